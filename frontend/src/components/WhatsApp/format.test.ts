import { describe, expect, it } from 'vitest';
import { dayKey, formatDateTime, formatDay, formatTime, messagesLabel, newMessagesLabel } from './format';

describe('format (es-AR, America/Argentina/Buenos_Aires)', () => {
  it('runs in a machine zone far from Buenos Aires (pinned by the test config)', () => {
    // Asia/Tokyo is UTC+9 all year: if this fails the TZ pin is not in effect.
    expect(new Date('2026-01-01T00:00:00Z').getTimezoneOffset()).toBe(-540);
  });

  it('formats times in Buenos Aires time (UTC-3), 24 h', () => {
    expect(formatTime('2026-11-22T17:05:00Z')).toBe('14:05');
    expect(formatTime('2026-11-23T02:30:00Z')).toBe('23:30');
  });

  it('formats date and time', () => {
    expect(formatDateTime('2026-11-23T02:30:00Z')).toBe('22/11/2026, 23:30');
  });

  it('groups by the Buenos Aires day', () => {
    expect(dayKey('2026-11-23T02:30:00Z')).toBe('2026-11-22');
    expect(dayKey('2026-11-23T03:00:00Z')).toBe('2026-11-23');
    expect(formatDay('2026-11-23T02:30:00Z')).toBe('domingo, 22 de noviembre de 2026');
  });

  it('returns empty text for unreadable dates', () => {
    expect(formatTime('no es una fecha')).toBe('');
    expect(dayKey('')).toBe('');
  });

  it('counts in Spanish', () => {
    expect(newMessagesLabel(1)).toBe('1 mensaje nuevo');
    expect(newMessagesLabel(3)).toBe('3 mensajes nuevos');
    expect(messagesLabel(1)).toBe('1 mensaje');
    expect(messagesLabel(0)).toBe('0 mensajes');
  });
});
