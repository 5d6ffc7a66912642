import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../test/fixtures';
import { buildThread } from './thread';

describe('buildThread', () => {
  it('puts a day separator before each Buenos Aires day', () => {
    const items = buildThread([
      makeMessage({ id: 1, timestamp: '2026-11-22T15:00:00Z' }),
      makeMessage({ id: 2, timestamp: '2026-11-23T02:59:00Z' }), // 23:59 on the 22nd in Buenos Aires
      makeMessage({ id: 3, timestamp: '2026-11-23T03:00:00Z' }),
    ], new Date('2027-01-10T12:00:00Z'));
    expect(items.map((i) => (i.kind === 'day' ? i.label : i.kind))).toEqual([
      'domingo, 22 de noviembre de 2026',
      'message',
      'message',
      'lunes, 23 de noviembre de 2026',
      'message',
    ]);
  });

  it('says "Hoy" and "Ayer" on the Buenos Aires calendar, and leaves the year out this year', () => {
    // 01:30 UTC on the 24th is still the 23rd (22:30) in Buenos Aires
    const now = new Date('2026-11-24T01:30:00Z');
    const items = buildThread([
      makeMessage({ id: 1, timestamp: '2026-11-20T15:00:00Z' }),
      makeMessage({ id: 2, timestamp: '2026-11-22T02:59:00Z' }), // 21st, 23:59
      makeMessage({ id: 3, timestamp: '2026-11-22T03:00:00Z' }), // 22nd, 00:00: yesterday
      makeMessage({ id: 4, timestamp: '2026-11-23T03:00:00Z' }), // 23rd, 00:00: today
    ], now);
    expect(items.filter((i) => i.kind === 'day').map((i) => i.kind === 'day' && i.label)).toEqual([
      'viernes, 20 de noviembre',
      'sábado, 21 de noviembre',
      'Ayer',
      'Hoy',
    ]);
  });

  it('attaches reactions to their message, latest per side, and drops taken-back ones', () => {
    const items = buildThread([
      makeMessage({ id: 1, direction: 'outbound', whatsappMessageId: 'wa-1' }),
      makeMessage({ id: 2, type: 'reaction', text: null, reaction: { emoji: '😮', messageId: 'wa-1' } }),
      makeMessage({ id: 3, type: 'reaction', text: null, reaction: { emoji: '👍', messageId: 'wa-1' } }),
      makeMessage({ id: 4, direction: 'outbound', whatsappMessageId: 'wa-4' }),
      makeMessage({ id: 5, type: 'reaction', text: null, reaction: { emoji: '❤️', messageId: 'wa-4' } }),
      makeMessage({ id: 6, type: 'reaction', text: null, reaction: { emoji: null, messageId: 'wa-4' } }),
    ]);
    const messages = items.filter((i) => i.kind === 'message');
    expect(messages.map((m) => m.message.id)).toEqual([1, 4]);
    expect(messages[0]?.reactions.map((r) => r.emoji)).toEqual(['👍']);
    expect(messages[1]?.reactions).toEqual([]);
  });

  it('keeps a reaction to a message that is not loaded as its own line', () => {
    const items = buildThread([
      makeMessage({ id: 7, type: 'reaction', text: null, reaction: { emoji: '👍', messageId: 'older' } }),
    ]);
    expect(items.map((i) => i.kind)).toEqual(['day', 'reaction']);
  });

  it('resolves quoted messages: found, not loaded, or not a reply', () => {
    const quotedMsg = makeMessage({ id: 1, direction: 'outbound', whatsappMessageId: 'wa-1' });
    const items = buildThread([
      quotedMsg,
      makeMessage({ id: 2, replyTo: 'wa-1' }),
      makeMessage({ id: 3, replyTo: 'wa-missing' }),
    ]);
    const quoted = items.filter((i) => i.kind === 'message').map((i) => i.quoted);
    expect(quoted).toEqual([undefined, quotedMsg, null]);
  });
});
