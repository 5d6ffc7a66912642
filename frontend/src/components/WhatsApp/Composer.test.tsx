import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import { deferred, fakeService, makeMessage, makeOrder, makePage } from '../../test/fixtures';
import type { Message, OrderTemplates, ReplyProposal, Send, SendRequest } from '../../types/whatsapp';
import { Composer, isSendKey, templateBlocker, windowLeft } from './Composer';
import { WhatsAppPanelView } from './WhatsAppPanelView';

const OPEN = { open: true, until: new Date(Date.now() + 5 * 3_600_000 + 12 * 60_000 + 30_000).toISOString(), lastInboundAt: null };
const CLOSED = { open: false, until: '2026-11-20T10:00:00Z', lastInboundAt: '2026-11-19T10:00:00Z' };

const TEMPLATES: OrderTemplates = {
  orderId: 1,
  window: CLOSED,
  templates: [
    { purpose: 'presupuestado', name: 'presupuesto_listo', language: 'es_AR', category: null, preview: 'Hola Juan, el presupuesto es de «4».', missing: ['presupuesto'], sendable: false },
    { purpose: 'reparado', name: 'equipo_listo_para_retirar', language: 'es_AR', category: null, preview: 'Hola Juan, tu equipo (orden 1) está reparado.', missing: [], sendable: true },
  ],
};

function composerService(overrides: Partial<WhatsAppService> = {}): WhatsAppService {
  return { ...fakeService(), listTemplates: vi.fn(async () => TEMPLATES), ...overrides };
}

function renderComposer(props: Partial<Parameters<typeof Composer>[0]> = {}) {
  const submit = vi.fn(async () => undefined);
  const onDiscardProposal = vi.fn(async () => undefined);
  render(
    <Composer
      orderId={1}
      service={composerService()}
      window={OPEN}
      submit={submit}
      proposals={[]}
      proposalsError={null}
      onDiscardProposal={onDiscardProposal}
      customerName="Juan"
      {...props}
    />,
  );
  return { submit, onDiscardProposal };
}

describe('isSendKey', () => {
  const key = (over: object = {}, native: object = {}) =>
    ({ key: 'Enter', shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, ...over, nativeEvent: { ...native } }) as Parameters<typeof isSendKey>[0];
  it('Enter sends; Shift+Enter, other keys and an input method composing do not', () => {
    expect(isSendKey(key())).toBe(true);
    expect(isSendKey(key({ shiftKey: true }))).toBe(false);
    expect(isSendKey(key({ key: 'a' }))).toBe(false);
    expect(isSendKey(key({}, { isComposing: true }))).toBe(false);
    expect(isSendKey(key({}, { keyCode: 229 }))).toBe(false);
  });
});

describe('windowLeft', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('says the hours and minutes left, or nothing once past', () => {
    expect(windowLeft('2026-12-01T15:12:30Z', now)).toBe('quedan 5 h 12 min');
    expect(windowLeft('2026-12-01T10:40:00Z', now)).toBe('quedan 40 min');
    expect(windowLeft('2026-12-01T10:00:30Z', now)).toBe('queda menos de 1 min');
    expect(windowLeft('2026-12-01T09:00:00Z', now)).toBeNull();
    expect(windowLeft(null, now)).toBeNull();
  });
});

describe('templateBlocker', () => {
  it('names what is missing and where to load it', () => {
    expect(templateBlocker(TEMPLATES.templates[0]!)).toBe('Falta el presupuesto: cargá una novedad con monto en la orden.');
    expect(templateBlocker(TEMPLATES.templates[1]!)).toBeNull();
    expect(templateBlocker({ ...TEMPLATES.templates[1]!, sendable: false })).toMatch(/no está aprobada/);
  });
});

describe('Composer, window open', () => {
  it('Enter sends the text, Shift+Enter makes a new line, the box empties', async () => {
    const user = userEvent.setup();
    const { submit } = renderComposer();
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    expect(screen.getByText(/Ventana abierta: quedan 5 h 12 min/)).toBeInTheDocument();
    await user.type(box, 'Hola{Shift>}{Enter}{/Shift}Juan');
    expect(box).toHaveValue('Hola\nJuan');
    expect(submit).not.toHaveBeenCalled();
    await user.keyboard('{Enter}');
    expect(submit).toHaveBeenCalledTimes(1);
    expect(submit).toHaveBeenCalledWith({ kind: 'text', text: 'Hola\nJuan' });
    expect(box).toHaveValue('');
  });

  it('does not send while an input method is composing, nor an empty text', () => {
    const { submit } = renderComposer();
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    fireEvent.change(box, { target: { value: 'にほん' } });
    fireEvent.keyDown(box, { key: 'Enter', isComposing: true });
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 });
    expect(submit).not.toHaveBeenCalled();
    expect(box).toHaveValue('にほん');
    fireEvent.change(box, { target: { value: '   ' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(submit).not.toHaveBeenCalled();
  });
});

describe('Composer, window closed', () => {
  it('offers templates with their preview; a missing value disables one and says why; one click sends', async () => {
    const user = userEvent.setup();
    const { submit } = renderComposer({ window: CLOSED });
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    const list = await screen.findByRole('region', { name: 'Plantillas' });
    await within(list).findByText('Hola Juan, tu equipo (orden 1) está reparado.');
    const budget = within(list).getByRole('button', { name: 'Enviar plantilla «Presupuesto listo»' });
    expect(budget).toHaveAttribute('aria-disabled', 'true');
    expect(budget).toHaveAccessibleDescription(/Falta el presupuesto: cargá una novedad con monto en la orden/);
    await user.click(budget);
    expect(submit).not.toHaveBeenCalled();
    await user.click(within(list).getByRole('button', { name: 'Enviar plantilla «Equipo listo para retirar»' }));
    expect(submit).toHaveBeenCalledWith({
      kind: 'template', purpose: 'reparado', name: 'equipo_listo_para_retirar', language: 'es_AR', preview: 'Hola Juan, tu equipo (orden 1) está reparado.',
    });
  });

  it('a double click while the first send runs is one action', async () => {
    const user = userEvent.setup();
    const gate = deferred<void>();
    const submit = vi.fn(() => gate.promise);
    renderComposer({ window: CLOSED, submit });
    const button = await screen.findByRole('button', { name: 'Enviar plantilla «Equipo listo para retirar»' });
    await user.dblClick(button);
    await user.click(button);
    expect(submit).toHaveBeenCalledTimes(1);
    await act(async () => gate.resolve());
    await user.click(button);
    expect(submit).toHaveBeenCalledTimes(2); // a new press after it finished is a new action
  });
});

// ------------------------------------------------------------------------------------------------
// The panel with sending: one request per action, the same id on retry, a new one on resend,
// the optimistic bubble replaced by the stored one without a duplicate or a gap.

const NOW = new Date().toISOString();

function sendOf(body: SendRequest | { clientRequestId: string; text?: string }, state: Send['state'], stored: Message | null, extra: Partial<Send> = {}): Send {
  const text = 'text' in body ? (body.text ?? null) : 'Plantilla';
  return {
    id: 77,
    clientRequestId: body.clientRequestId,
    orderId: 1,
    state,
    kind: 'text',
    messageId: stored?.whatsappMessageId ?? null,
    attempts: 1,
    nextAttemptAt: null,
    errorCode: null,
    reason: null,
    createdAt: NOW,
    proposalId: null,
    message: stored ?? {
      id: null,
      direction: 'outbound',
      type: 'text',
      text,
      timestamp: NOW,
      status: { state: state === 'sent' ? 'sent' : state === 'pending' ? 'sending' : state, reason: extra.reason ?? null },
      sentBy: 'Ana Gómez',
    },
    ...extra,
  };
}

function storedReply(text: string, id = 50): Message {
  return makeMessage({ id, direction: 'outbound', text, whatsappMessageId: `acs-${id}`, timestamp: NOW, sentBy: 'Ana Gómez' });
}

function panelService(messages: { current: Message[] }, overrides: Partial<WhatsAppService> = {}) {
  const base = fakeService(makeOrder({ customerServiceWindow: OPEN, messageCount: 1 }), {});
  const inbound = makeMessage({ id: 1, text: 'Hola, ¿está lista?', timestamp: '2026-11-30T12:00:00Z' });
  base.listMessages.mockImplementation(async () => makePage([inbound, ...messages.current]));
  const service = {
    ...base,
    listTemplates: vi.fn(async () => ({ ...TEMPLATES, window: OPEN })),
    listOutbox: vi.fn(async () => ({ orderId: 1, sends: [] as Send[] })),
    listReplyProposals: vi.fn(async () => ({ orderId: 1, proposals: [] as ReplyProposal[] })),
    sendMessage: vi.fn(async (_id: number, body: SendRequest) => sendOf(body, 'sent', storedReply('text' in body ? body.text : ''))),
    sendReplyProposal: vi.fn(),
    discardReplyProposal: vi.fn(),
    ...overrides,
  };
  return service;
}

/** Counts, at every DOM change, the outbound bubbles holding `text`. */
function watch(text: string) {
  const counts: number[] = [];
  const count = () => [...document.querySelectorAll('[data-direction="outbound"]')].filter((el) => el.textContent?.includes(text)).length;
  const observer = new MutationObserver(() => counts.push(count()));
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  return { counts, stop: () => observer.disconnect() };
}

async function typeAndSend(text: string) {
  const box = await screen.findByRole('textbox', { name: 'Tu respuesta' });
  fireEvent.change(box, { target: { value: text } });
  fireEvent.keyDown(box, { key: 'Enter' });
}

describe('WhatsAppPanelView sending', () => {
  it('shows «enviando» at once, then the stored message once, never two and never none', async () => {
    const messages = { current: [] as Message[] };
    const answer = deferred<Send>();
    const sendMessage = vi.fn((_id: number, _body: SendRequest) => answer.promise);
    const service = panelService(messages, { sendMessage });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await screen.findByText('Hola, ¿está lista?');
    const watcher = watch('Ya está lista');
    await typeAndSend('Ya está lista');
    const sending = await screen.findByText('enviando');
    expect(sending.closest('[data-phase]')).toHaveAttribute('data-phase', 'sending');
    const body = sendMessage.mock.calls[0]![1] as { clientRequestId: string; text: string };
    expect(body.text).toBe('Ya está lista');
    // ACS accepted it; the refresh that follows brings the stored message.
    const stored = storedReply('Ya está lista');
    messages.current = [stored];
    await act(async () => answer.resolve(sendOf(body, 'sent', stored)));
    await waitFor(() => expect(document.querySelector('[data-id="50"]')).not.toBeNull());
    await waitFor(() => expect(document.querySelector('[data-send]')).toBeNull());
    watcher.stop();
    const first = watcher.counts.indexOf(1);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(watcher.counts.every((n) => n <= 1)).toBe(true);
    expect(watcher.counts.slice(first).every((n) => n === 1)).toBe(true);
    expect(sendMessage).toHaveBeenCalledTimes(1);
  });

  it('a request without an answer is retried with the same clientRequestId', async () => {
    const user = userEvent.setup();
    const messages = { current: [] as Message[] };
    const sendMessage = vi
      .fn<(id: number, body: SendRequest) => Promise<Send>>()
      .mockRejectedValueOnce(new WhatsAppApiError(0, 'No se pudo conectar con el servidor. Revisá la conexión y reintentá.'))
      .mockImplementationOnce(async (_id, body) => {
        messages.current = [storedReply('Hola')];
        return sendOf(body, 'sent', storedReply('Hola'));
      });
    const service = panelService(messages, { sendMessage });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await typeAndSend('Hola');
    await screen.findByText('No pudimos confirmar el envío con el servidor.');
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    await waitFor(() => expect(document.querySelector('[data-id="50"]')).not.toBeNull());
    expect(sendMessage).toHaveBeenCalledTimes(2);
    const [a, b] = sendMessage.mock.calls.map((c) => c[1]);
    expect(b).toEqual(a);
    expect(a!.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown: says so, never resends by itself; «Reenviar…» asks, then sends with a NEW id', async () => {
    const user = userEvent.setup();
    const messages = { current: [] as Message[] };
    const sendMessage = vi
      .fn<(id: number, body: SendRequest) => Promise<Send>>()
      .mockImplementationOnce(async (_id, body) => sendOf(body, 'unknown', null, { errorCode: 'not_confirmed' }))
      .mockImplementationOnce(async (_id, body) => sendOf(body, 'sent', storedReply('¿Llegó?')));
    const service = panelService(messages, { sendMessage });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await typeAndSend('¿Llegó?');
    await screen.findByText('No pudimos confirmar si salió.');
    expect(screen.queryByRole('button', { name: 'Reintentar' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reenviar…' }));
    const confirm = screen.getByRole('group', { name: 'Confirmar reenvío' });
    expect(confirm).toHaveTextContent('el cliente lo va a recibir dos veces');
    await user.click(within(confirm).getByRole('button', { name: 'No' }));
    expect(sendMessage).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Reenviar…' }));
    await user.click(screen.getByRole('button', { name: 'Sí, reenviar' }));
    await waitFor(() => expect(sendMessage).toHaveBeenCalledTimes(2));
    const [a, b] = sendMessage.mock.calls.map((c) => c[1] as { clientRequestId: string; text: string });
    expect(b!.text).toBe(a!.text);
    expect(b!.clientRequestId).not.toBe(a!.clientRequestId);
  });

  it('a failure shows the Spanish reason and what to do; Descartar hides it', async () => {
    const user = userEvent.setup();
    const reason = 'WhatsApp no pudo entregar el mensaje a ese número. Revisá el teléfono del cliente o llamalo.';
    const service = panelService(
      { current: [] },
      { sendMessage: vi.fn(async (_id: number, body: SendRequest) => sendOf(body, 'failed', null, { reason, errorCode: '131026' })) },
    );
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await typeAndSend('No llega');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(`No se envió. ${reason}`);
    await user.click(screen.getByRole('button', { name: 'Descartar' }));
    expect(screen.queryByText('No llega')).not.toBeInTheDocument();
  });

  it('brings back, after a reload, what the outbox still holds', async () => {
    const messages = { current: [] as Message[] };
    const pending = sendOf({ clientRequestId: 'prev-1', text: 'Quedó en camino' }, 'pending', null);
    const oldFailure = sendOf({ clientRequestId: 'prev-0', text: 'Falló hace días' }, 'failed', null, { createdAt: '2026-01-01T00:00:00Z', reason: 'x' });
    const service = panelService(messages, { listOutbox: vi.fn(async () => ({ orderId: 1, sends: [pending, oldFailure] })) });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const bubble = (await screen.findByText('Quedó en camino')).closest('[data-phase]');
    expect(bubble).toHaveAttribute('data-phase', 'sending');
    expect(screen.queryByText('Falló hace días')).not.toBeInTheDocument();
  });
});

const proposal: ReplyProposal = {
  id: 5, orderId: 1, kind: 'text', text: 'Hola Juan, está lista el lunes.', templatePurpose: null, proposedBy: 'agent',
  state: 'proposed', createdAt: NOW, decidedBy: null, decidedAt: null, outboxId: null,
};

describe('WhatsAppPanelView proposals', () => {
  it('a proposal the agent writes while the order is open shows up with the next poll', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let proposals: ReplyProposal[] = [];
      const service = panelService({ current: [] }, { listReplyProposals: vi.fn(async () => ({ orderId: 1, proposals })) });
      render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={1000} />);
      await screen.findByRole('textbox', { name: 'Tu respuesta' });
      expect(screen.queryByRole('region', { name: /Sugerencia del asistente/ })).not.toBeInTheDocument();
      proposals = [{ ...proposal, text: 'Recién propuesta' }];
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1100);
      });
      expect(await screen.findByText('Recién propuesta')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });


  it('nothing is sent until Enviar; Editar loads it and sends the edited text through the proposal', async () => {
    const user = userEvent.setup();
    let proposals = [proposal];
    const sendReplyProposal = vi.fn(async (_o: number, _p: number, body: { clientRequestId: string; text?: string }) => {
      proposals = [];
      return sendOf({ clientRequestId: body.clientRequestId, text: body.text }, 'pending', null, { proposalId: 5 });
    });
    const service = panelService({ current: [] }, { listReplyProposals: vi.fn(async () => ({ orderId: 1, proposals })), sendReplyProposal });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const region = await screen.findByRole('region', { name: /Sugerencia del asistente/ });
    expect(within(region).getByText('Hola Juan, está lista el lunes.')).toBeInTheDocument();
    expect(sendReplyProposal).not.toHaveBeenCalled();
    expect(service.sendMessage).not.toHaveBeenCalled();
    await user.click(within(region).getByRole('button', { name: 'Editar' }));
    const box = screen.getByRole('textbox', { name: 'Editando la sugerencia del asistente' });
    expect(box).toHaveValue('Hola Juan, está lista el lunes.');
    await user.clear(box);
    await user.type(box, 'Hola Juan, está lista el martes.{Enter}');
    await waitFor(() => expect(sendReplyProposal).toHaveBeenCalledTimes(1));
    expect(sendReplyProposal.mock.calls[0]![1]).toBe(5);
    expect(sendReplyProposal.mock.calls[0]![2]).toEqual({ clientRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, text: 'Hola Juan, está lista el martes.' });
    expect(service.sendMessage).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.queryByRole('region', { name: /Sugerencia del asistente/ })).not.toBeInTheDocument());
  });

  it('Enviar sends it as proposed (no text), once; Descartar discards it', async () => {
    const user = userEvent.setup();
    const gate = deferred<Send>();
    const sendReplyProposal = vi.fn(() => gate.promise);
    const discardReplyProposal = vi.fn(async () => ({ ...proposal, state: 'discarded' as const }));
    const service = panelService({ current: [] }, { listReplyProposals: vi.fn(async () => ({ orderId: 1, proposals: [proposal] })), sendReplyProposal, discardReplyProposal });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const region = await screen.findByRole('region', { name: /Sugerencia del asistente/ });
    await user.dblClick(within(region).getByRole('button', { name: 'Enviar' }));
    expect(sendReplyProposal).toHaveBeenCalledTimes(1);
    expect((sendReplyProposal.mock.calls[0] as unknown[])[2]).toEqual({ clientRequestId: expect.any(String) as unknown });
    await act(async () => gate.resolve(sendOf({ clientRequestId: 'x' }, 'pending', null)));
    await user.click(within(region).getByRole('button', { name: 'Descartar' }));
    expect(discardReplyProposal).toHaveBeenCalledWith(1, 5);
  });
});
