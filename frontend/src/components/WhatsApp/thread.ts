/**
 * Turns a chronological list of messages into what the conversation shows:
 * day separators, bubbles with their quoted message and reactions attached,
 * and reactions whose message is not loaded (older page) as their own line.
 */
import type { Message, MessageDirection } from '../../types/whatsapp';
import { dayKey, dayLabel } from './format';

export interface AttachedReaction {
  emoji: string;
  direction: MessageDirection;
  at: string;
}

export type ThreadItem =
  | { kind: 'day'; key: string; label: string }
  | {
      kind: 'message';
      key: string;
      message: Message;
      /** The replied-to message when loaded; null when it is not; undefined when not a reply. */
      quoted: Message | null | undefined;
      reactions: AttachedReaction[];
    }
  | { kind: 'reaction'; key: string; message: Message };

/** Sorts chronologically (timestamp, then id), as the API pages are ordered. */
export function compareMessages(a: Message, b: Message): number {
  const diff = Date.parse(a.timestamp) - Date.parse(b.timestamp);
  return diff !== 0 && !Number.isNaN(diff) ? diff : a.id - b.id;
}

/** `now` decides which day is "Hoy" and "Ayer" (Buenos Aires calendar). */
export function buildThread(messages: readonly Message[], now: Date = new Date()): ThreadItem[] {
  const byWhatsAppId = new Map<string, Message>();
  for (const m of messages) if (m.whatsappMessageId) byWhatsAppId.set(m.whatsappMessageId, m);

  // Latest reaction of each side on each message; an empty emoji takes it back.
  const reactions = new Map<number, Map<MessageDirection, AttachedReaction>>();
  const orphans = new Set<number>();
  for (const m of messages) {
    if (m.type !== 'reaction' || !m.reaction) continue;
    const target = m.reaction.messageId ? byWhatsAppId.get(m.reaction.messageId) : undefined;
    if (!target) {
      if (m.reaction.emoji) orphans.add(m.id);
      continue;
    }
    const sides = reactions.get(target.id) ?? new Map<MessageDirection, AttachedReaction>();
    if (m.reaction.emoji) sides.set(m.direction, { emoji: m.reaction.emoji, direction: m.direction, at: m.timestamp });
    else sides.delete(m.direction);
    reactions.set(target.id, sides);
  }

  const items: ThreadItem[] = [];
  let lastDay = '';
  for (const m of messages) {
    const isReaction = m.type === 'reaction' && m.reaction !== null;
    if (isReaction && !orphans.has(m.id)) continue;
    const day = dayKey(m.timestamp);
    if (day !== lastDay) {
      items.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.timestamp, now) });
      lastDay = day;
    }
    if (isReaction) {
      items.push({ kind: 'reaction', key: `m-${m.id}`, message: m });
      continue;
    }
    items.push({
      kind: 'message',
      key: `m-${m.id}`,
      message: m,
      quoted: m.replyTo ? (byWhatsAppId.get(m.replyTo) ?? null) : undefined,
      reactions: [...(reactions.get(m.id)?.values() ?? [])],
    });
  }
  return items;
}
