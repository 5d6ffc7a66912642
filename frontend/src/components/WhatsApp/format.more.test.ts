import { describe, expect, it } from 'vitest';
import { explainFailure } from './explain';
import { formatPhone, humanizeFieldNames } from './format';

describe('formatPhone', () => {
  it.each([
    ['+5491155551234', '+54 9 11 5555-1234', '11 5555-1234'],
    ['+5493515551234', '+54 9 351 555-1234', '351 555-1234'],
    ['+5492966123456', '+54 9 2966 12-3456', '2966 12-3456'],
    ['+541143211234', '+54 11 4321-1234', '11 4321-1234'],
    ['+34612345678', '+34612345678', '+34612345678'],
  ])('%s → %s', (e164, international, national) => {
    expect(formatPhone(e164)).toBe(international);
    expect(formatPhone(e164, { national: true })).toBe(national);
  });
});

describe('humanizeFieldNames', () => {
  it('uses the names staff see in FastService', () => {
    expect(humanizeFieldNames('Telefono1: vacío; Telefono2: fijo')).toBe('Teléfono 1: vacío; Teléfono 2: fijo');
  });
});

describe('explainFailure', () => {
  it.each(['131047', '131026', '131049', '131051', '131052', '131053', '130472', '131000', '131048', '131056'])(
    'explains Meta code %s in Spanish with what to do',
    (code) => {
      const text = explainFailure(code);
      expect(text).toMatch(new RegExp(`\\(código ${code}\\)$`));
      expect(text).toMatch(/(Mandale|Confirmá|esperá|Esperá|Mandalo|Pedile|Probá|Avisá|No lo reenvíes)/);
    },
  );

  it('still says what to do for a code it does not know, or no code', () => {
    expect(explainFailure('999999')).toBe('WhatsApp no lo entregó (código 999999). Si vuelve a pasar, avisá al administrador.');
    expect(explainFailure(null)).toMatch(/^WhatsApp no informó el motivo/);
  });
});
