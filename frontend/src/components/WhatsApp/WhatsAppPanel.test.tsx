import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError } from '../../services/whatsappService';
import { deferred, fakeService, makeMessage, makeOrder, makePage, makeSyncResult } from '../../test/fixtures';
import type { MessagePage, OrderWhatsApp } from '../../types/whatsapp';
import { EMPTY_CONVERSATION_TEXT, WhatsAppPanelView as WhatsAppPanel } from './WhatsAppPanelView';

const juanConversation = [
  makeMessage({ id: 4, text: 'Hola, les dejé un Samsung A52', timestamp: '2026-11-22T07:04:42Z' }),
  makeMessage({
    id: 5,
    type: 'image',
    text: null,
    timestamp: '2026-11-22T08:04:42Z',
    media: { kind: 'image', mimeType: 'image/jpeg', fileName: null, caption: 'Así quedó la pantalla' },
  }),
  makeMessage({
    id: 1,
    whatsappMessageId: 'demo-out-juan-1',
    direction: 'outbound',
    text: 'El presupuesto es $85.000',
    timestamp: '2026-11-22T11:04:42Z',
    status: { state: 'read', at: '2026-11-22T12:04:42Z', errorCode: null, errorMessage: null },
  }),
  makeMessage({ id: 6, text: 'Dale, avancen', replyTo: 'demo-out-juan-1', timestamp: '2026-11-22T13:04:42Z' }),
  makeMessage({
    id: 7,
    type: 'reaction',
    text: null,
    timestamp: '2026-11-22T14:04:42Z',
    reaction: { emoji: '👍', messageId: 'demo-out-juan-1' },
  }),
];

const summarized = makeOrder({
  summary: {
    text: 'Juan aprobó el presupuesto de $85.000 por el módulo de pantalla.',
    createdAt: '2026-11-23T02:30:00Z',
    messageCount: 5,
    provider: 'fake',
  },
  hasNewMessages: true,
  messageCount: 5,
  lastSyncAt: '2026-11-24T15:00:00Z',
});

async function renderPanel(order: OrderWhatsApp = summarized, pages: Record<string, MessagePage> = { '': makePage(juanConversation) }) {
  const service = fakeService(order, pages);
  const utils = render(<WhatsAppPanel orderId={order.orderId} service={service} pollIntervalMs={0} />);
  await screen.findByRole('log');
  return { service, ...utils };
}

describe('WhatsAppPanel', () => {
  it('shows a loading state first', async () => {
    const service = fakeService();
    const pending = deferred<OrderWhatsApp>();
    service.getOrder.mockReturnValueOnce(pending.promise);
    render(<WhatsAppPanel orderId={1} service={service} pollIntervalMs={0} />);
    expect(screen.getByRole('region', { name: 'WhatsApp' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Cargando conversación…');
    pending.resolve(makeOrder());
    expect(await screen.findByText(EMPTY_CONVERSATION_TEXT)).toBeInTheDocument();
    expect(screen.queryByText('Cargando conversación…')).not.toBeInTheDocument();
  });

  it('shows the latest summary with its date and the "mensajes nuevos" badge', async () => {
    await renderPanel();
    const summary = screen.getByRole('region', { name: 'Resumen de WhatsApp' });
    expect(within(summary).getByText(/Juan aprobó el presupuesto/)).toBeInTheDocument();
    expect(within(summary).getByText('22/11/2026, 23:30')).toHaveAttribute('dateTime', '2026-11-23T02:30:00Z');
    expect(within(summary).getByText('mensajes nuevos')).toBeVisible();
    expect(screen.getByText('24/11/2026, 12:00')).toBeInTheDocument(); // last sync
  });

  it('shows no badge when the summary covers everything, and says when there is no summary', async () => {
    const { unmount } = await renderPanel({ ...summarized, hasNewMessages: false });
    expect(screen.queryByText('mensajes nuevos')).not.toBeInTheDocument();
    unmount();
    await renderPanel(makeOrder({ summary: null, hasNewMessages: true }));
    expect(screen.getByText('Todavía no hay un resumen de esta conversación.')).toBeInTheDocument();
    expect(screen.getByText('mensajes nuevos')).toBeInTheDocument();
    expect(screen.getByText(/Nunca sincronizada/)).toBeInTheDocument();
  });

  it('says when messages of the customer wait for a sync (several open orders)', async () => {
    const { unmount } = await renderPanel({ ...summarized, unlinkedMessages: 3 });
    expect(screen.getByTestId('unlinked')).toHaveTextContent(
      'Hay 3 mensajes con este cliente sin vincular a esta orden: «Sincronizar WhatsApp» los trae.',
    );
    unmount();
    await renderPanel({ ...summarized, unlinkedMessages: 1 });
    expect(screen.getByTestId('unlinked')).toHaveTextContent('Hay 1 mensaje con este cliente sin vincular a esta orden');
  });

  it('shows the conversation in chronological order with customer left, shop right, quote and reaction', async () => {
    await renderPanel();
    const log = screen.getByRole('log', { name: 'Conversación de WhatsApp con Juan Pérez' });
    const bubbles = [...log.querySelectorAll('[data-direction]')];
    expect(bubbles.map((b) => b.getAttribute('data-direction'))).toEqual(['inbound', 'inbound', 'outbound', 'inbound']);
    expect(bubbles[0]).toHaveTextContent('Hola, les dejé un Samsung A52');
    expect(bubbles[1]).toHaveTextContent('🖼️ ImagenAsí quedó la pantalla');
    expect(within(bubbles[2] as HTMLElement).getByRole('img', { name: /^Leído/ })).toBeInTheDocument();
    expect(within(bubbles[2] as HTMLElement).getByText('Juan Pérez reaccionó 👍')).toBeInTheDocument();
    expect(within(bubbles[3] as HTMLElement).getByLabelText('En respuesta a Taller')).toHaveTextContent('El presupuesto es $85.000');
    expect(within(log).getByText(/^domingo, 22 de noviembre/)).toBeInTheDocument();
    expect(within(log).getByText('04:04')).toBeInTheDocument();
  });

  it('shows the empty state', async () => {
    await renderPanel(makeOrder(), { '': makePage([]) });
    expect(screen.getByText('No hay mensajes guardados. Usá «Sincronizar WhatsApp» para traerlos.')).toBeInTheDocument();
  });

  it('shows a load error with a retry', async () => {
    const user = userEvent.setup();
    const service = fakeService(makeOrder(), { '': makePage(juanConversation) });
    service.getOrder.mockRejectedValueOnce(new WhatsAppApiError(503, 'La base de datos no responde en este momento.'));
    render(<WhatsAppPanel orderId={999} service={service} pollIntervalMs={0} />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No se pudo cargar la conversación. La base de datos no responde en este momento.');
    await user.click(within(alert).getByRole('button', { name: 'Reintentar' }));
    expect(screen.getByRole('region', { name: 'WhatsApp' })).toHaveFocus(); // not dropped to <body>
    expect(await screen.findByRole('log')).toHaveTextContent('Dale, avancen');
  });

  it('"Ver anteriores" loads the older page and keeps focus in the conversation', async () => {
    const user = userEvent.setup();
    const { service } = await renderPanel(summarized, {
      '': makePage(juanConversation.slice(3), 'CUR'),
      CUR: makePage(juanConversation.slice(0, 3), null),
    });
    const log = screen.getByRole('log');
    expect(within(log).getByText('Respuesta a un mensaje que no está cargado')).toBeInTheDocument();
    const more = screen.getByRole('button', { name: 'Ver anteriores' });
    more.focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(within(log).getByText('Hola, les dejé un Samsung A52')).toBeInTheDocument());
    expect(service.listMessages).toHaveBeenLastCalledWith(1, expect.objectContaining({ before: 'CUR' }));
    expect(screen.queryByRole('button', { name: 'Ver anteriores' })).not.toBeInTheDocument();
    expect(within(log).getByLabelText('En respuesta a Taller')).toBeInTheDocument();
    expect(log).toHaveFocus();
  });

  it('opens WhatsApp in a new tab, safely', async () => {
    await renderPanel();
    const link = screen.getByRole('link', { name: /Abrir en mi WhatsApp/ });
    expect(link).toHaveAttribute('href', 'https://wa.me/5491155551234');
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  });

  it('can open WhatsApp with the greeting pre-filled', async () => {
    render(<WhatsAppPanel orderId={1} service={fakeService(summarized)} pollIntervalMs={0} openWithGreeting />);
    const link = await screen.findByRole('link', { name: /Abrir en mi WhatsApp/ });
    expect(link).toHaveAttribute('href', 'https://wa.me/5491155551234?text=Hola%20Juan');
  });

  it('without a usable phone, says why and what to do on "Abrir en mi WhatsApp" and sync, and offers no retry', async () => {
    const user = userEvent.setup();
    const { service } = await renderPanel(
      makeOrder({
        orderId: 11,
        customer: { id: 9, name: 'Javier Torres' },
        phone: null,
        phoneProblem: 'Telefono1: no contiene un número; Telefono2: vacío',
        waMeUrl: null,
        waMeUrlWithGreeting: null,
      }),
      { '': makePage([]) },
    );
    expect(screen.queryByRole('link', { name: /Abrir en mi WhatsApp/ })).not.toBeInTheDocument();
    const open = screen.getByRole('button', { name: 'Abrir en mi WhatsApp' });
    expect(open).toHaveAttribute('aria-disabled', 'true');
    expect(open).toHaveAccessibleDescription(/Cargá un celular en la ficha del cliente en FastService/);
    const sync = screen.getByRole('button', { name: 'Sincronizar WhatsApp' });
    expect(sync).toHaveAttribute('aria-disabled', 'true');
    expect(sync).toHaveAccessibleDescription(/no tiene un celular que WhatsApp pueda usar .*Cargá un celular/);
    // the field names staff know, not FastService's column names
    expect(screen.getByText(/Teléfono 1: no contiene un número; Teléfono 2: vacío/, { selector: 'p' })).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('Telefono1');
    // the empty conversation does not point at the disabled sync
    expect(screen.getByText('No hay mensajes guardados con este cliente.')).toBeInTheDocument();
    expect(screen.queryByText(/Usá «Sincronizar WhatsApp»/)).not.toBeInTheDocument();
    const windowOpen = vi.spyOn(window, 'open');
    await user.click(open);
    await user.click(sync);
    expect(windowOpen).not.toHaveBeenCalled();
    expect(service.syncOrder).not.toHaveBeenCalled(); // a sync cannot help without a phone
    expect(screen.queryByRole('button', { name: 'Reintentar' })).not.toBeInTheDocument();
  });

  it('offers no wa.me link for a landline, and says to load a mobile', async () => {
    await renderPanel(
      makeOrder({
        phone: { e164: '+543514221234', whatsappId: '543514221234', source: 'Telefono1' },
        phoneKind: 'landline',
        waMeUrl: 'https://wa.me/543514221234',
        waMeUrlWithGreeting: 'https://wa.me/543514221234?text=Hola',
      }),
    );
    expect(screen.queryByRole('link', { name: /WhatsApp/ })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Abrir en mi WhatsApp' })).toHaveAttribute('aria-disabled', 'true');
    expect(
      screen.getByText(/El \+54 351 422-1234 es un teléfono fijo y WhatsApp necesita un celular\. Cargá un celular/, { selector: 'p' }),
    ).toBeInTheDocument();
    // a sync still makes sense: the customer may have written from a mobile
    expect(screen.getByRole('button', { name: 'Sincronizar WhatsApp' })).not.toHaveAttribute('aria-disabled', 'true');
  });

  it("says the link opens the staff member's own WhatsApp, and shows the phone as Argentines write it", async () => {
    await renderPanel();
    const link = screen.getByRole('link', { name: /Abrir en mi WhatsApp/ });
    expect(link).toHaveAccessibleDescription(/tu propio WhatsApp.*no desde el número del taller/);
    expect(screen.getByText('+54 9 11 5555-1234')).toBeInTheDocument();
  });

  it('reloads order and messages after a sync', async () => {
    const user = userEvent.setup();
    const pages: Record<string, MessagePage> = { '': makePage(juanConversation.slice(0, 2)) };
    const { service } = await renderPanel(makeOrder({ hasNewMessages: false }), pages);
    expect(screen.queryByText('mensajes nuevos')).not.toBeInTheDocument();
    pages[''] = makePage(juanConversation);
    service.getOrder.mockResolvedValue(makeOrder({ hasNewMessages: true, messageCount: 5 }));
    service.syncOrder.mockResolvedValue(makeSyncResult({ status: 'success', messagesReceived: 3 }));

    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    expect(await screen.findByText('3 mensajes nuevos')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('log')).toHaveTextContent('Dale, avancen'));
    expect(screen.getByText('mensajes nuevos')).toBeInTheDocument();
    expect(service.getOrder).toHaveBeenCalledTimes(2);
  });

  it('shows a sync refusal with its Spanish detail and no retry that cannot help', async () => {
    const user = userEvent.setup();
    const { service } = await renderPanel(makeOrder(), { '': makePage([]) });
    service.syncOrder.mockRejectedValue(
      new WhatsAppApiError(422, 'El cliente no tiene un teléfono que WhatsApp pueda usar. Cargá un celular en Telefono1 o Telefono2.'),
    );
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cargá un celular en Teléfono 1 o Teléfono 2.');
    expect(screen.queryByRole('button', { name: 'Reintentar' })).not.toBeInTheDocument();
    service.syncOrder.mockRejectedValue(new WhatsAppApiError(503, 'El servicio no está disponible.'));
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    expect(await screen.findByRole('button', { name: 'Reintentar' })).toBeInTheDocument();
  });

  it('is reachable from the keyboard in a sensible order', async () => {
    const user = userEvent.setup();
    await renderPanel();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Sincronizar WhatsApp' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('link', { name: /Abrir en mi WhatsApp/ })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Importar historial' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('log')).toHaveFocus();
  });

  it('shows the 24-hour window', async () => {
    const { unmount } = await renderPanel(
      makeOrder({ customerServiceWindow: { open: true, until: '2026-11-26T02:14:42Z', lastInboundAt: '2026-11-25T02:14:42Z' } }),
    );
    expect(screen.getByText('Ventana de 24 h abierta hasta 25/11/2026, 23:14')).toBeInTheDocument();
    unmount();
    await renderPanel(
      makeOrder({ customerServiceWindow: { open: false, until: '2026-11-20T07:04:42Z', lastInboundAt: '2026-11-19T07:04:42Z' } }),
    );
    expect(screen.getByText('Ventana de 24 h cerrada: solo plantillas')).toBeInTheDocument();
  });
});
