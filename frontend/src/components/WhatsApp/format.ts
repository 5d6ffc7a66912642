/** Dates and counts as FastService shows them: es-AR, Buenos Aires time, whatever the machine's zone. */

export const LOCALE = 'es-AR';
export const TIME_ZONE = 'America/Argentina/Buenos_Aires';

const timeFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const dayFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIME_ZONE,
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

/** Calendar day in Buenos Aires as YYYY-MM-DD (to group messages by day). */
const dayKeyFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

function toDate(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "14:30" */
export function formatTime(iso: string): string {
  const date = toDate(iso);
  return date ? timeFormat.format(date) : '';
}

/** "22/11/2026, 14:30" */
export function formatDateTime(iso: string): string {
  const date = toDate(iso);
  return date ? dateTimeFormat.format(date) : '';
}

/** "domingo, 22 de noviembre de 2026" */
export function formatDay(iso: string): string {
  const date = toDate(iso);
  return date ? dayFormat.format(date) : '';
}

/** "2026-11-22" (Buenos Aires calendar day) */
export function dayKey(iso: string): string {
  const date = toDate(iso);
  return date ? dayKeyFormat.format(date) : '';
}

/** "1 mensaje nuevo", "3 mensajes nuevos" */
export function newMessagesLabel(count: number): string {
  return count === 1 ? '1 mensaje nuevo' : `${count} mensajes nuevos`;
}

/** "1 mensaje", "5 mensajes" */
export function messagesLabel(count: number): string {
  return count === 1 ? '1 mensaje' : `${count} mensajes`;
}
