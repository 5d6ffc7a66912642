import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import { deferred, fakeService, makeOrder, makePage } from '../../test/fixtures';
import type { Consent, NotificationSent, OrderNotification, OrderNotifications, QuoteReply, Send } from '../../types/whatsapp';
import { CONSENT_LABELS, DISMISS_QUESTION, EVIDENCE_REQUIRED, NotificationsBlock, OPT_OUT_WARNING, formatAmount, noticeState } from './Notifications';
import { WhatsAppPanelView } from './WhatsAppPanelView';

const OPTED_IN: Consent = { state: 'opted_in', source: 'staff', at: '2026-11-30T14:00:00Z', by: 'Ana Gómez', evidence: 'En el mostrador' };
const UNKNOWN: Consent = { state: 'unknown', source: null, at: null, by: null, evidence: null };
const OPTED_OUT: Consent = { state: 'opted_out', source: 'whatsapp', at: '2026-11-29T10:00:00Z', by: null, evidence: 'BAJA' };

function notice(over: Partial<OrderNotification> = {}): OrderNotification {
  return {
    id: 7,
    orderId: 9,
    kind: 'status',
    purpose: 'presupuestado',
    mode: 'offer',
    state: 'offered',
    reason: null,
    changedAt: '2026-12-01T12:00:00Z',
    dueAt: '2026-12-01T12:05:00Z',
    outboxId: null,
    sendState: null,
    decidedBy: null,
    createdAt: '2026-12-01T12:01:00Z',
    ...over,
  };
}

function tap(over: Partial<QuoteReply> = {}): QuoteReply {
  return { id: 1, messageId: 30, decision: 'accepted', outcome: 'recorded', quoteRef: 4, amount: 85000, novedadId: 12, at: '2026-12-01T13:00:00Z', ...over };
}

function answer(over: Partial<OrderNotifications> = {}): OrderNotifications {
  return { orderId: 9, consent: OPTED_IN, notifications: [], quoteReplies: [], ...over };
}

function sent(n: OrderNotification, state: Send['state'] = 'sent', reason: string | null = null): NotificationSent {
  return {
    notification: { ...n, state: 'sent', outboxId: 1, decidedBy: 'Ana Gómez' },
    send: { id: 1, clientRequestId: `notification-${n.id}`, orderId: 9, state, kind: 'template', messageId: 'm', attempts: 1, nextAttemptAt: null, errorCode: null, reason, createdAt: '2026-12-01T12:10:00Z', proposalId: null, message: {} as Send['message'] },
  };
}

function service(overrides: Partial<WhatsAppService> = {}): WhatsAppService {
  return { ...fakeService(), listNotifications: vi.fn(async () => answer()), sendNotification: vi.fn(), recordConsent: vi.fn(), ...overrides };
}

const region = () => screen.getByRole('region', { name: 'Avisos' });

describe('NotificationsBlock: consent', () => {
  it('says who recorded the opt-in, when and how, and offers no second recording', async () => {
    render(<NotificationsBlock orderId={9} service={service()} />);
    await screen.findByText(CONSENT_LABELS.opted_in);
    const consent = within(region()).getByTestId('consent');
    expect(consent).toHaveTextContent(/Registró Ana Gómez el 30\/11\/2026/);
    expect(consent).toHaveTextContent('«En el mostrador»');
    expect(within(region()).queryByRole('button', { name: 'Registrar consentimiento' })).toBeNull();
  });

  it('records an opt-in with how it was given, and asks for it when empty', async () => {
    const user = userEvent.setup();
    const recordConsent = vi.fn(async () => answer({ consent: { ...OPTED_IN, evidence: 'En el mostrador' } }));
    const s = service({ listNotifications: vi.fn(async () => answer({ consent: UNKNOWN })), recordConsent });
    render(<NotificationsBlock orderId={9} service={s} />);
    await screen.findByText(CONSENT_LABELS.unknown);
    await user.click(screen.getByRole('button', { name: 'Registrar consentimiento' }));
    const input = screen.getByRole('textbox', { name: '¿Cómo dio su consentimiento?' });
    expect(input).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Guardar consentimiento' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(EVIDENCE_REQUIRED);
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(recordConsent).not.toHaveBeenCalled();

    await user.type(input, '  En el mostrador {Enter}');
    await screen.findByText(CONSENT_LABELS.opted_in);
    expect(recordConsent).toHaveBeenCalledTimes(1);
    expect(recordConsent).toHaveBeenCalledWith(9, { state: 'opted_in', evidence: 'En el mostrador' });
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.getByText('Consentimiento registrado.')).toBeInTheDocument();
  });

  it('shows the server\'s reason when recording fails, and keeps what was typed', async () => {
    const user = userEvent.setup();
    const recordConsent = vi.fn(async () => {
      throw new WhatsAppApiError(503, 'La base de datos no responde. Probá de nuevo en un minuto.');
    });
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ consent: UNKNOWN })), recordConsent })} />);
    await user.click(await screen.findByRole('button', { name: 'Registrar consentimiento' }));
    await user.type(screen.getByRole('textbox'), 'Por teléfono{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('La base de datos no responde');
    expect(screen.getByRole('textbox')).toHaveValue('Por teléfono');
    expect(screen.getByText(CONSENT_LABELS.unknown)).toBeInTheDocument();
  });

  it('after a BAJA, offers recording only once staff confirm the customer asked again', async () => {
    const user = userEvent.setup();
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ consent: OPTED_OUT })) })} />);
    await screen.findByText(CONSENT_LABELS.opted_out);
    expect(screen.getByTestId('consent')).toHaveTextContent(/Por WhatsApp el 29\/11\/2026/);
    expect(screen.queryByRole('button', { name: 'Registrar consentimiento' })).toBeNull();
    await user.click(screen.getByRole('checkbox', { name: 'El cliente me pidió volver a recibir avisos' }));
    await user.click(screen.getByRole('button', { name: 'Registrar consentimiento' }));
    expect(screen.getByRole('textbox', { name: '¿Cómo dio su consentimiento?' })).toBeInTheDocument();
    await user.click(screen.getByRole('checkbox'));
    expect(screen.queryByRole('textbox')).toBeNull();
  });
});

describe('NotificationsBlock: offered notifications', () => {
  it('sends with one press, held while it runs, then says it was sent and shows it as sent', async () => {
    const user = userEvent.setup();
    const offered = notice();
    const pending = deferred<NotificationSent>();
    const sendNotification = vi.fn(() => pending.promise);
    let list = answer({ notifications: [offered] });
    const listNotifications = vi.fn(async () => list);
    render(<NotificationsBlock orderId={9} service={service({ listNotifications, sendNotification })} />);
    const button = await screen.findByRole('button', { name: 'Enviar aviso' });
    expect(button).toHaveAccessibleDescription(/Presupuesto listo/);
    await user.click(button);
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Enviando…');
    await user.click(button);
    expect(sendNotification).toHaveBeenCalledTimes(1);
    expect(sendNotification).toHaveBeenCalledWith(9, 7);

    list = answer({ notifications: [sent(offered).notification] });
    pending.resolve(sent(offered));
    const result = await screen.findByTestId('notice-result');
    await waitFor(() => expect(result).toHaveTextContent('Aviso enviado.'));
    await screen.findByText(/Enviado por Ana Gómez/);
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
    expect(result).toHaveFocus();
  });

  it('a refused send shows the server\'s Spanish reason and keeps the offer', async () => {
    const user = userEvent.setup();
    const detail = 'El cliente no dio su consentimiento para recibir avisos: registralo antes de enviar.';
    const sendNotification = vi.fn(async () => {
      throw new WhatsAppApiError(409, detail);
    });
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ notifications: [notice()] })), sendNotification })} />);
    await user.click(await screen.findByRole('button', { name: 'Enviar aviso' }));
    await waitFor(() => expect(screen.getByTestId('notice-result')).toHaveTextContent(detail));
    expect(screen.getByRole('button', { name: 'Enviar aviso' })).toBeEnabled();
  });

  it('a send ACS refused says why', async () => {
    const user = userEvent.setup();
    const n = notice();
    const sendNotification = vi.fn(async () => sent(n, 'failed', 'WhatsApp rechazó el mensaje: el número no tiene WhatsApp.'));
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ notifications: [n] })), sendNotification })} />);
    await user.click(await screen.findByRole('button', { name: 'Enviar aviso' }));
    await waitFor(() => expect(screen.getByTestId('notice-result')).toHaveTextContent('No se pudo enviar el aviso: WhatsApp rechazó el mensaje'));
  });

  it('lists skipped and held notifications with their reason, not superseded ones', async () => {
    const notifications = [
      notice({ id: 1, state: 'skipped', purpose: 'reparado', reason: 'el cliente pidió la baja', createdAt: '2026-12-01T10:00:00Z' }),
      notice({ id: 2, state: 'superseded', purpose: 'rechazado' }),
    ];
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ notifications })) })} />);
    const recent = await screen.findByRole('list', { name: 'Avisos recientes' });
    expect(recent).toHaveTextContent('Equipo listo para retirar: No se envió: el cliente pidió la baja');
    expect(recent).not.toHaveTextContent('rechazado');
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
  });
});

describe('NotificationsBlock: «No enviar»', () => {
  it('dismisses only after the confirmation, once, then says so and shows it no more', async () => {
    const user = userEvent.setup();
    const offered = notice();
    let list = answer({ notifications: [offered] });
    const listNotifications = vi.fn(async () => list);
    const pending = deferred<{ notification: OrderNotification }>();
    const dismissNotification = vi.fn(() => pending.promise);
    render(<NotificationsBlock orderId={9} service={service({ listNotifications, dismissNotification })} />);
    await user.click(await screen.findByRole('button', { name: 'No enviar' }));
    expect(dismissNotification).not.toHaveBeenCalled();
    expect(screen.getByText(DISMISS_QUESTION)).toBeInTheDocument();
    const confirm = screen.getByRole('button', { name: 'Sí, no enviar' });
    expect(confirm).toHaveFocus();
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
    await user.click(confirm);
    await user.click(confirm);
    expect(dismissNotification).toHaveBeenCalledTimes(1);
    expect(dismissNotification).toHaveBeenCalledWith(9, 7);
    const skipped = { ...offered, state: 'skipped' as const, reason: 'descartado', decidedBy: 'Ana Gómez' };
    list = answer({ notifications: [skipped] });
    pending.resolve({ notification: skipped });
    const result = await screen.findByTestId('notice-result');
    await waitFor(() => expect(result).toHaveTextContent('Aviso descartado'));
    expect(result).toHaveFocus();
    expect(screen.queryByRole('button', { name: 'No enviar' })).toBeNull();
  });

  it('cancelling sends nothing and gives the send button back; a refusal says why', async () => {
    const user = userEvent.setup();
    const dismissNotification = vi.fn(async () => {
      throw new WhatsAppApiError(409, 'El aviso ya se envió.');
    });
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ notifications: [notice()] })), dismissNotification })} />);
    await user.click(await screen.findByRole('button', { name: 'No enviar' }));
    await user.click(screen.getByRole('button', { name: 'Cancelar' }));
    expect(dismissNotification).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Enviar aviso' })).toBeEnabled();
    await user.click(screen.getByRole('button', { name: 'No enviar' }));
    await user.click(screen.getByRole('button', { name: 'Sí, no enviar' }));
    await waitFor(() => expect(screen.getByTestId('notice-result')).toHaveTextContent('No se descartó el aviso: El aviso ya se envió.'));
  });

  it('an offer that cannot go (BAJA) can still be dismissed', async () => {
    const user = userEvent.setup();
    const dismissNotification = vi.fn(async () => ({ notification: notice({ state: 'skipped' }) }));
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ consent: OPTED_OUT, notifications: [notice()] })), dismissNotification })} />);
    await screen.findByTestId('notice-blocked');
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'No enviar' }));
    await user.click(screen.getByRole('button', { name: 'Sí, no enviar' }));
    expect(dismissNotification).toHaveBeenCalledWith(9, 7);
  });
});

describe('NotificationsBlock: quote taps and loading', () => {
  it('shows recorded and outdated taps with the amount, newest first; ignores forged ones', async () => {
    const quoteReplies = [
      tap({ id: 1, at: '2026-12-01T13:00:00Z' }),
      tap({ id: 2, decision: 'rejected', amount: 90000.5, at: '2026-12-01T14:00:00Z' }),
      tap({ id: 3, outcome: 'forged', amount: 1 }),
      tap({ id: 4, outcome: 'outdated', amount: 70000, at: '2026-12-01T12:00:00Z' }),
    ];
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ quoteReplies })) })} />);
    const list = await screen.findByRole('list', { name: 'Respuestas al presupuesto' });
    const items = within(list).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/^Presupuesto rechazado por WhatsApp — \$ 90\.000,50/);
    expect(items[1]).toMatch(/^Presupuesto aceptado por WhatsApp — \$ 85\.000 · /);
    expect(items[2]).toMatch(/ya no está vigente — \$ 70\.000/);
  });

  it('a load error says why and retries; a server without the route shows nothing', async () => {
    const user = userEvent.setup();
    const listNotifications = vi
      .fn()
      .mockRejectedValueOnce(new WhatsAppApiError(503, 'La base de datos no responde.'))
      .mockResolvedValueOnce(answer());
    render(<NotificationsBlock orderId={9} service={service({ listNotifications })} />);
    expect(await screen.findByRole('alert')).toHaveTextContent('No se pudieron cargar los avisos: La base de datos no responde.');
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    await screen.findByText(CONSENT_LABELS.opted_in);

    const missing = vi.fn(async () => {
      throw new WhatsAppApiError(404, 'No existe.');
    });
    const { container } = render(<NotificationsBlock orderId={1} service={service({ listNotifications: missing })} />);
    await waitFor(() => expect(missing).toHaveBeenCalled());
    await waitFor(() => expect(container).toBeEmptyDOMElement());
  });

  it('an answer of another shape shows no consent and no lists instead of breaking the panel', async () => {
    const odd = vi.fn(async () => ({ orderId: 9, consent: { state: 'maybe' } }) as unknown as OrderNotifications);
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: odd })} />);
    await screen.findByText(CONSENT_LABELS.unknown);
    expect(screen.getByText('No hay avisos para esta orden.')).toBeInTheDocument();
  });

  it('formats amounts as es-AR pesos', () => {
    expect(formatAmount(85000)).toBe('$ 85.000');
    expect(formatAmount(1234567.5)).toBe('$ 1.234.567,50');
  });
});

describe('WhatsAppPanelView: Avisos', () => {
  it('shows the block under the summary when the service has the notifications route', async () => {
    const listNotifications = vi.fn(async () => answer({ notifications: [notice()] }));
    const s = { ...fakeService(makeOrder(), { '': makePage([]) }), listNotifications, sendNotification: vi.fn(), recordConsent: vi.fn() };
    render(<WhatsAppPanelView orderId={9} service={s} pollIntervalMs={0} />);
    await screen.findByRole('region', { name: 'Avisos' });
    await within(region()).findByRole('button', { name: 'Enviar aviso' });
    expect(listNotifications).toHaveBeenCalledWith(9, expect.anything());
  });
});

describe('NotificationsBlock: opt-out from the panel', () => {
  it('records the BAJA only after the confirmation step, with how it was asked, and shows who and when', async () => {
    const user = userEvent.setup();
    const BRUNO_OUT: Consent = { state: 'opted_out', source: 'staff', at: '2026-12-01T15:00:00Z', by: 'Bruno Díaz', evidence: 'Lo pidió por teléfono' };
    const recordConsent = vi.fn(async () => answer({ consent: BRUNO_OUT, notifications: [notice()] }));
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ notifications: [notice()] })), recordConsent })} />);
    await screen.findByText(CONSENT_LABELS.opted_in);
    expect(screen.queryByText(OPT_OUT_WARNING, { exact: false })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Registrar baja' }));
    const form = screen.getByRole('form', { name: 'Registrar baja' });
    expect(form).toHaveTextContent(OPT_OUT_WARNING);
    const input = within(form).getByRole('textbox', { name: '¿Cómo pidió la baja?' });
    expect(input).toHaveFocus();
    await user.click(within(form).getByRole('button', { name: 'Confirmar baja' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('Escribí cómo pidió la baja');
    expect(recordConsent).not.toHaveBeenCalled();
    await user.type(input, 'Lo pidió por teléfono');
    await user.click(within(form).getByRole('button', { name: 'Confirmar baja' }));
    await screen.findByText(CONSENT_LABELS.opted_out);
    expect(recordConsent).toHaveBeenCalledTimes(1);
    expect(recordConsent).toHaveBeenCalledWith(9, { state: 'opted_out', evidence: 'Lo pidió por teléfono' });
    expect(screen.getByTestId('consent')).toHaveTextContent(/Registró Bruno Díaz el 01\/12\/2026/);
    expect(screen.getByTestId('consent')).toHaveTextContent('No le mandamos avisos');
    expect(screen.getByTestId('consent')).toHaveFocus();
    // the offer that was waiting cannot go now: no button, the reason instead
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
    expect(screen.getByTestId('notice-blocked')).toHaveTextContent('pidió no recibir más avisos');
    expect(screen.queryByRole('button', { name: 'Registrar baja' })).toBeNull();
  });

  it('cancelling the confirmation records nothing', async () => {
    const user = userEvent.setup();
    const recordConsent = vi.fn();
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ consent: UNKNOWN })), recordConsent })} />);
    expect(await screen.findByRole('button', { name: 'Registrar consentimiento' })).toBeInTheDocument();
    await user.click(await screen.findByRole('button', { name: 'Registrar baja' }));
    // one form at a time: while the opt-out is being written, the opt-in is not offered beside it
    expect(screen.queryByRole('button', { name: 'Registrar consentimiento' })).toBeNull();
    await user.type(screen.getByRole('textbox', { name: '¿Cómo pidió la baja?' }), 'por error');
    await user.click(screen.getByRole('button', { name: 'Cancelar' }));
    expect(screen.queryByRole('form', { name: 'Registrar baja' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Registrar consentimiento' })).toBeInTheDocument();
    expect(recordConsent).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Registrar baja' })).toHaveFocus());
  });

  it('an offer to a customer without consent says so instead of a send button', async () => {
    render(<NotificationsBlock orderId={9} service={service({ listNotifications: vi.fn(async () => answer({ consent: UNKNOWN, notifications: [notice()] })) })} />);
    expect(await screen.findByTestId('notice-blocked')).toHaveTextContent('registrá primero cómo aceptó');
    expect(screen.queryByRole('button', { name: 'Enviar aviso' })).toBeNull();
  });

  it('a notice a person dismissed says who', () => {
    expect(noticeState(notice({ state: 'skipped', reason: 'Una persona del taller decidió no enviarlo.', decidedBy: 'Ana Gómez' }))).toBe(
      'No se envió: lo descartó Ana Gómez',
    );
    expect(noticeState(notice({ state: 'skipped', reason: 'El cliente pidió no recibir más mensajes (baja).' }))).toBe(
      'No se envió: El cliente pidió no recibir más mensajes (baja).',
    );
  });
});
