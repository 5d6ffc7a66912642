import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import { deferred, fakeService } from '../../test/fixtures';
import type { Consent, InboxCounts, InboxNotice, InboxQuoteTap, KeysetPage, NotificationSent, Send } from '../../types/whatsapp';
import { EMPTY_NOTICES, tapText } from './WhatsAppInboxNotices';
import { WhatsAppInboxView } from './WhatsAppInboxView';

const OPTED_IN: Consent = { state: 'opted_in', source: 'staff', at: '2026-11-30T14:00:00Z', by: 'Ana Gómez', evidence: 'En el mostrador' };
const OPTED_OUT: Consent = { state: 'opted_out', source: 'whatsapp', at: '2026-11-30T14:00:00Z', by: null, evidence: 'BAJA' };

function notice(over: Partial<InboxNotice> = {}): InboxNotice {
  return {
    id: 7, orderId: 9, customerId: 7, customerFirstName: 'Diego', kind: 'status', purpose: 'presupuestado', status: 'Presupuestado',
    offeredAt: '2026-12-01T12:05:00Z', changedAt: '2026-12-01T12:00:00Z', preview: 'Hola Diego, el presupuesto de tu equipo es $ 120.000.',
    consent: OPTED_IN, sendable: true, problem: null, ...over,
  };
}

function tap(over: Partial<InboxQuoteTap> = {}): InboxQuoteTap {
  return { id: 3, orderId: 15, customerFirstName: 'Agustín', decision: 'accepted', outcome: 'recorded', amount: 45000, novedadId: 20, at: '2026-12-01T13:00:00Z', ...over };
}

function sent(n: InboxNotice, alreadySent = false): NotificationSent {
  return {
    notification: { id: n.id, orderId: n.orderId, kind: 'status', purpose: n.purpose, mode: 'offer', state: 'sent', reason: null, changedAt: null, dueAt: null, outboxId: 1, sendState: 'sent', decidedBy: 'Ana Gómez', createdAt: null },
    send: { id: 1, clientRequestId: `notification-${n.id}`, orderId: n.orderId, state: 'sent', kind: 'template', messageId: 'm', attempts: 1, nextAttemptAt: null, errorCode: null, reason: null, createdAt: '2026-12-01T12:10:00Z', proposalId: null, message: {} as Send['message'] },
    alreadySent,
  };
}

const COUNTS: InboxCounts = { unassigned: 0, ambiguous: 0, multipleOrders: 0, awaitingReply: 0, proposals: 0, notices: 2 };

function service(notices: InboxNotice[], taps: InboxQuoteTap[] = [tap()], overrides: Partial<WhatsAppService> = {}) {
  const state = { notices: [...notices] };
  const s: WhatsAppService = {
    ...fakeService(),
    inboxCounts: vi.fn(async () => ({ ...COUNTS, notices: state.notices.length })),
    listInbox: vi.fn(async (tab) => ({ tab, items: [], nextCursor: null })) as WhatsAppService['listInbox'],
    listInboxNotices: vi.fn(async (): Promise<KeysetPage<InboxNotice>> => ({ items: state.notices, nextCursor: null })),
    listQuoteTaps: vi.fn(async (): Promise<KeysetPage<InboxQuoteTap>> => ({ items: taps, nextCursor: null })),
    sendNotification: vi.fn(async (_order: number, id: number) => {
      const n = state.notices.find((x) => x.id === id)!;
      state.notices = state.notices.filter((x) => x.id !== id);
      return sent(n);
    }),
    dismissNotification: vi.fn(async (_order: number, id: number) => {
      state.notices = state.notices.filter((x) => x.id !== id);
      return { notification: sent(notice({ id })).notification };
    }),
    ...overrides,
  };
  return { s, state };
}

const avisosTab = () => screen.getByRole('tab', { name: /^Avisos/ });

describe('Inbox «Avisos»', () => {
  it('is a tab with its count; lists the offer (preview, status, consent) and the quote taps with the order link', async () => {
    const user = userEvent.setup();
    const { s } = service([notice(), notice({ id: 8, orderId: 1, customerFirstName: 'Juan', consent: OPTED_OUT, sendable: false, problem: 'El cliente pidió no recibir más mensajes (baja).' })]);
    render(<WhatsAppInboxView service={s} orderHref={(id) => `/?order=${id}`} />);
    await waitFor(() => expect(avisosTab()).toHaveTextContent('Avisos2'));
    await user.click(avisosTab());
    const offers = await screen.findByRole('list', { name: 'Avisos para enviar' });
    const [diego, juan] = within(offers).getAllByRole('listitem') as [HTMLElement, HTMLElement];
    expect(diego).toHaveTextContent('Presupuesto listo · Diego · orden #9');
    expect(diego).toHaveTextContent('Pasó a «Presupuestado»');
    expect(diego).toHaveTextContent('Hola Diego, el presupuesto de tu equipo es $ 120.000.');
    expect(diego).toHaveTextContent('Aceptó avisos por WhatsApp');
    expect(within(diego).getByRole('link', { name: 'Abrir la orden #9' })).toHaveAttribute('href', '/?order=9');
    // an opted-out customer's offer: why, and only «No enviar»
    expect(juan).toHaveTextContent('No se puede enviar: El cliente pidió no recibir más mensajes (baja).');
    expect(within(juan).queryByRole('button', { name: 'Enviar' })).toBeNull();
    expect(within(juan).getByRole('button', { name: 'No enviar' })).toBeEnabled();
    const taps = screen.getByRole('list', { name: 'Respuestas al presupuesto' });
    expect(taps).toHaveTextContent('Presupuesto aceptado por WhatsApp — $ 45.000');
    expect(taps).toHaveTextContent('Agustín · orden #15');
    expect(s.listInbox).not.toHaveBeenCalledWith('notices', expect.anything());
  });

  it('«Enviar» sends once (held while it runs), says so, and the offer leaves the list and the count', async () => {
    const user = userEvent.setup();
    const pending = deferred<NotificationSent>();
    const { s, state } = service([notice()]);
    s.sendNotification = vi.fn(() => pending.promise);
    render(<WhatsAppInboxView service={s} initialTab="notices" />);
    const send = await screen.findByRole('button', { name: 'Enviar' });
    await user.click(send);
    expect(send).toBeDisabled();
    await user.click(send); // a second press while the first runs: nothing more
    expect(s.sendNotification).toHaveBeenCalledTimes(1);
    expect(s.sendNotification).toHaveBeenCalledWith(9, 7);
    state.notices = [];
    pending.resolve(sent(notice()));
    const result = await screen.findByTestId('inbox-notice-result');
    await waitFor(() => expect(result).toHaveTextContent('Aviso enviado. A Diego (orden #9).'));
    expect(await screen.findByText(EMPTY_NOTICES)).toBeInTheDocument();
    await waitFor(() => expect(avisosTab()).toHaveTextContent('Avisos0'));
    await waitFor(() => expect(result).toHaveFocus());
  });

  it('a colleague sent it first: the answer is the same send, told as already sent', async () => {
    const user = userEvent.setup();
    const { s } = service([notice()]);
    s.sendNotification = vi.fn(async () => sent(notice(), true));
    render(<WhatsAppInboxView service={s} initialTab="notices" />);
    await user.click(await screen.findByRole('button', { name: 'Enviar' }));
    expect(await screen.findByText('Este aviso a Diego (orden #9) ya lo había enviado Ana Gómez: no se mandó de nuevo.')).toBeInTheDocument();
  });

  it('a refusal (409) shows the server\'s reason and reloads the list', async () => {
    const user = userEvent.setup();
    const { s } = service([notice()]);
    s.sendNotification = vi.fn(async () => {
      throw new WhatsAppApiError(409, 'Este aviso ya no está disponible: se envió, se descartó o lo reemplazó un cambio de estado posterior. Actualizá el panel.');
    });
    render(<WhatsAppInboxView service={s} initialTab="notices" />);
    await user.click(await screen.findByRole('button', { name: 'Enviar' }));
    expect(await screen.findByTestId('inbox-notice-result')).toHaveTextContent('No se envió el aviso a Diego (orden #9): Este aviso ya no está disponible');
    await waitFor(() => expect(s.listInboxNotices).toHaveBeenCalledTimes(2));
  });

  it('«No enviar» asks first; cancel keeps it, confirming dismisses it once', async () => {
    const user = userEvent.setup();
    const { s } = service([notice()]);
    render(<WhatsAppInboxView service={s} initialTab="notices" />);
    await user.click(await screen.findByRole('button', { name: 'No enviar' }));
    expect(screen.getByText(/¿Descartar este aviso\?/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sí, no enviar' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Cancelar' }));
    expect(s.dismissNotification).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'No enviar' }));
    await user.click(screen.getByRole('button', { name: 'Sí, no enviar' }));
    expect(await screen.findByText('Aviso descartado (orden #9): no se le va a enviar.')).toBeInTheDocument();
    expect(s.dismissNotification).toHaveBeenCalledTimes(1);
    expect(s.dismissNotification).toHaveBeenCalledWith(9, 7);
    expect(s.sendNotification).not.toHaveBeenCalled();
    expect(await screen.findByText(EMPTY_NOTICES)).toBeInTheDocument();
  });

  it('pages with the cursor («Ver más avisos»)', async () => {
    const user = userEvent.setup();
    const { s } = service([]);
    s.listInboxNotices = vi.fn(async ({ cursor }: { cursor?: string | null } = {}) =>
      cursor === 'c1' ? { items: [notice({ id: 2, orderId: 2, customerFirstName: 'María' })], nextCursor: null } : { items: [notice()], nextCursor: 'c1' },
    ) as WhatsAppService['listInboxNotices'];
    render(<WhatsAppInboxView service={s} initialTab="notices" pageSize={1} />);
    await user.click(await screen.findByRole('button', { name: 'Ver más avisos' }));
    const offers = screen.getByRole('list', { name: 'Avisos para enviar' });
    await waitFor(() => expect(within(offers).getAllByRole('listitem')).toHaveLength(2));
    expect(s.listInboxNotices).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: 'c1', limit: 1 }));
    expect(screen.queryByRole('button', { name: 'Ver más avisos' })).toBeNull();
  });

  it('a server without the inbox notices has no «Avisos» tab', async () => {
    const { s } = service([]);
    delete s.listInboxNotices;
    render(<WhatsAppInboxView service={s} initialTab="notices" />);
    await screen.findAllByRole('tab');
    expect(screen.queryByRole('tab', { name: /^Avisos/ })).toBeNull();
    expect(screen.getByRole('tab', { name: /^Sin asignar/ })).toHaveAttribute('aria-selected', 'true');
  });

  it('describes taps on outdated quotes as not a decision', () => {
    expect(tapText(tap({ outcome: 'outdated', decision: 'rejected', amount: null }))).toBe('Rechazó un presupuesto que ya no está vigente');
    expect(tapText(tap({ decision: 'rejected', amount: 85000.5 }))).toBe('Presupuesto rechazado por WhatsApp — $ 85.000,50');
  });
});
