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

/** Calendar arithmetic on a YYYY-MM-DD key (no time zone involved). */
function shiftDayKey(key: string, days: number): string {
  const [y, m, d] = key.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const dayNoYearFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIME_ZONE,
  weekday: 'long',
  day: 'numeric',
  month: 'long',
});

/**
 * A day separator as WhatsApp shows it, on Buenos Aires' calendar: "Hoy", "Ayer",
 * "lunes, 23 de noviembre" this year, "lunes, 23 de noviembre de 2025" before.
 */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const key = dayKey(iso);
  if (!key) return '';
  const today = dayKeyFormat.format(now);
  if (key === today) return 'Hoy';
  if (key === shiftDayKey(today, -1)) return 'Ayer';
  const date = toDate(iso) as Date;
  return key.slice(0, 4) === today.slice(0, 4) ? dayNoYearFormat.format(date) : dayFormat.format(date);
}

/** Argentine area codes of three digits (11 is the only one of two; the rest have four). */
const AREA_CODES_3 = new Set(
  '220 221 223 230 236 237 249 260 261 263 264 266 280 291 294 297 298 299 336 341 342 343 345 348 351 353 358 362 364 370 376 379 380 381 383 385 387 388'.split(
    ' ',
  ),
);

/**
 * A phone as Argentines write it: "+54 9 11 5555-1234" (mobile, international), "+54 351 555-1234"
 * (landline); `national` gives "11 5555-1234". Other countries keep their E.164 form.
 */
export function formatPhone(e164: string, { national = false }: { national?: boolean } = {}): string {
  const digits = e164.replace(/\D/g, '');
  if (!digits.startsWith('54')) return digits ? `+${digits}` : e164;
  let rest = digits.slice(2);
  const mobile = rest.startsWith('9');
  if (mobile) rest = rest.slice(1);
  if (rest.length !== 10) return `+${digits}`;
  const areaLength = rest.startsWith('11') ? 2 : AREA_CODES_3.has(rest.slice(0, 3)) ? 3 : 4;
  const area = rest.slice(0, areaLength);
  const local = rest.slice(areaLength);
  const number = `${area} ${local.slice(0, -4)}-${local.slice(-4)}`;
  return national ? number : `+54 ${mobile ? '9 ' : ''}${number}`;
}

/** FastService's column names as staff know the fields ("Telefono1" → "Teléfono 1"). */
export function humanizeFieldNames(text: string): string {
  return text.replace(/\bTelefono([12])\b/g, 'Teléfono $1');
}

/** Time left as staff read it: "3 h 20 min", "45 min", "menos de 1 min". */
export function remainingLabel(seconds: number): string {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return 'menos de 1 min';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest} min`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
