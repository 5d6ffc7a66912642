import { describe, expect, it } from 'vitest';
import { makeMessage } from '../test/fixtures';
import type { Send } from '../types/whatsapp';
import { isInConversation, phaseOf, requestBody, sendsReducer, type LocalSend } from './useWhatsAppSends';
import { WhatsAppApiError } from '../services/whatsappService';

function local(over: Partial<LocalSend> = {}): LocalSend {
  return { clientRequestId: 'c-1', action: { kind: 'text', text: 'Hola' }, createdAt: '2026-12-01T10:00:00Z', posting: false, send: null, error: null, ...over };
}

function send(state: Send['state'], over: Partial<Send> = {}): Send {
  return {
    id: 1, clientRequestId: 'c-1', orderId: 1, state, kind: 'text', messageId: null, attempts: 1, nextAttemptAt: null, errorCode: null,
    reason: null, createdAt: '2026-12-01T10:00:00Z', proposalId: null,
    message: { id: null, direction: 'outbound', type: 'text', text: 'Hola', timestamp: '2026-12-01T10:00:00Z', status: { state: 'sending', reason: null }, sentBy: null },
    ...over,
  };
}

describe('requestBody: the same body on every retry of an action', () => {
  it('text, template by purpose or by name, proposal with and without an edited text', () => {
    expect(requestBody(local())).toEqual({ clientRequestId: 'c-1', text: 'Hola' });
    expect(requestBody(local({ action: { kind: 'template', purpose: 'reparado', name: 'n', language: 'es_AR', preview: 'p' } }))).toEqual({
      clientRequestId: 'c-1', template: { purpose: 'reparado' },
    });
    expect(requestBody(local({ action: { kind: 'template', purpose: null, name: 'promo', language: 'es_AR', preview: 'p' } }))).toEqual({
      clientRequestId: 'c-1', template: { name: 'promo', language: 'es_AR' },
    });
    expect(requestBody(local({ action: { kind: 'proposal', proposalId: 3, preview: 'p' } }))).toEqual({ clientRequestId: 'c-1' });
    expect(requestBody(local({ action: { kind: 'proposal', proposalId: 3, text: 'Editado', preview: 'p' } }))).toEqual({ clientRequestId: 'c-1', text: 'Editado' });
    expect(requestBody(local({ action: null }))).toBeNull();
  });
});

describe('phaseOf', () => {
  it('follows the server, else the request', () => {
    expect(phaseOf(local({ posting: true }))).toBe('sending');
    expect(phaseOf(local({ send: send('pending') }))).toBe('sending');
    expect(phaseOf(local({ send: send('unknown') }))).toBe('unknown');
    expect(phaseOf(local({ send: send('failed') }))).toBe('failed');
    // the server gave up confirming it: still «No pudimos confirmar si salió», a person decides
    expect(phaseOf(local({ send: send('failed', { errorCode: 'not_confirmed', reason: 'No pudimos confirmar si el mensaje salió.' }) }))).toBe('unknown');
    expect(phaseOf(local({ error: new WhatsAppApiError(0, 'x') }))).toBe('requestFailed');
    expect(phaseOf(local({ error: new WhatsAppApiError(503, 'x') }))).toBe('requestFailed');
    expect(phaseOf(local({ error: new WhatsAppApiError(401, 'x') }))).toBe('requestFailed');
    expect(phaseOf(local({ error: new WhatsAppApiError(409, 'x') }))).toBe('rejected');
  });
});

describe('isInConversation', () => {
  it('matches the stored message by id or by ACS message id, only once sent', () => {
    const stored = makeMessage({ id: 9, direction: 'outbound', whatsappMessageId: 'acs-9' });
    const sent = local({ send: send('sent', { messageId: 'acs-9', message: stored }) });
    expect(isInConversation(sent, [stored])).toBe(true);
    expect(isInConversation(sent, [makeMessage({ id: 10, whatsappMessageId: 'acs-9' })])).toBe(true);
    expect(isInConversation(sent, [makeMessage({ id: 10, whatsappMessageId: 'other' })])).toBe(false);
    expect(isInConversation(local({ send: send('pending') }), [stored])).toBe(false);
  });
});

describe('sendsReducer outbox', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('adds what this page did not know (not failures older than a day), updates what it knows, marks what left', () => {
    const mine = local({ send: send('pending') });
    const left = local({ clientRequestId: 'c-2', send: send('pending', { clientRequestId: 'c-2' }) });
    const stillPosting = local({ clientRequestId: 'c-3', posting: true });
    const state = [mine, left, stillPosting];
    const next = sendsReducer(state, {
      type: 'outbox',
      now,
      sends: [
        send('unknown'),
        send('pending', { clientRequestId: 'reload-1' }),
        send('failed', { clientRequestId: 'old', createdAt: '2026-11-29T00:00:00Z' }),
      ],
    });
    expect(next.find((s) => s.clientRequestId === 'c-1')?.send?.state).toBe('unknown');
    expect(next.find((s) => s.clientRequestId === 'c-2')?.gone).toBe(true);
    expect(next.find((s) => s.clientRequestId === 'c-3')?.gone).toBeUndefined();
    expect(next.find((s) => s.clientRequestId === 'reload-1')?.action).toBeNull();
    expect(next.some((s) => s.clientRequestId === 'old')).toBe(false);
  });

  it('keeps the same array when nothing is dropped, and never starts the same id twice', () => {
    const state = [local()];
    expect(sendsReducer(state, { type: 'drop', clientRequestIds: ['nope'] })).toBe(state);
    expect(sendsReducer(state, { type: 'start', local: local() })).toBe(state);
  });
});
