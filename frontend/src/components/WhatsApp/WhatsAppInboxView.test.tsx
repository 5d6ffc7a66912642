import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import { fakeService, makePage } from '../../test/fixtures';
import type { InboxCounts, InboxCustomer, InboxSender, TriageDecision } from '../../types/whatsapp';
import { remainingLabel } from './format';
import { describeDecision, WhatsAppInboxView } from './WhatsAppInboxView';

const COUNTS: InboxCounts = { unassigned: 1, ambiguous: 0, multipleOrders: 1, awaitingReply: 0, proposals: 0 };
const SENDER: InboxSender = {
  sender: 'phone:541170001111',
  phone: '+5491170001111',
  bsuid: null,
  messageCount: 2,
  lastMessage: { id: 2, direction: 'inbound', at: '2026-11-30T12:00:00Z', text: 'Lo paso a buscar yo' },
  deletedCustomerId: null,
  proposals: [],
};
const CUSTOMER: InboxCustomer = {
  customerId: 4,
  customerName: 'Lucía Fernández',
  customerExists: true,
  messageCount: 1,
  lastMessage: { id: 9, direction: 'inbound', at: '2026-11-30T12:00:00Z', text: '¿y la tablet?' },
  openOrders: [{ orderId: 5, createdAt: '2026-11-20T12:00:00Z' }, { orderId: 6, createdAt: '2026-11-25T12:00:00Z' }],
};
const DECISION: TriageDecision = {
  id: 7, kind: 'assign', sender: SENDER.sender, customerId: 1, customerName: 'Juan Pérez', customerExists: true,
  orderId: null, messageCount: 2, fromMessageId: null, toMessageId: null, source: 'staff', proposalId: null,
  decidedBy: { id: 'oid', name: 'Ana' }, decidedAt: '2026-11-30T15:00:00Z', undoneAt: null, undoneBy: null, undoneCount: null,
};

function inboxService(): WhatsAppService {
  const service = fakeService();
  service.inboxCounts = vi.fn(async () => COUNTS);
  service.listInbox = vi.fn(async (tab) => ({ tab, items: tab === 'unassigned' ? [SENDER] : tab === 'multiple_orders' ? [CUSTOMER] : [], nextCursor: null })) as WhatsAppService['listInbox'];
  service.inboxMessages = vi.fn(async () => makePage([]));
  service.decisions = vi.fn(async () => ({ decisions: [] }));
  return service;
}

describe('WhatsAppInboxView', () => {
  it('shows the counts on the tabs and switches tabs without mixing their items', async () => {
    const user = userEvent.setup();
    const service = inboxService();
    render(<WhatsAppInboxView service={service} />);
    const tabs = await screen.findAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['Sin asignar1', 'Ambiguos0', 'Varias órdenes1', 'Esperan respuesta0']);
    expect(await screen.findByText('+54 9 11 7000-1111')).toBeInTheDocument();
    await user.click(screen.getByRole('tab', { name: /^Varias órdenes/ }));
    expect(await screen.findByText('Lucía Fernández (cliente 4)')).toBeInTheDocument();
    expect(screen.getByText(/2 órdenes abiertas/)).toBeInTheDocument();
    await user.click(screen.getByRole('tab', { name: /^Ambiguos/ }));
    expect(await screen.findByText('No hay números compartidos pendientes.')).toBeInTheDocument();
  });

  it('assigns by order number, and shows the decision in force when someone decided first (409)', async () => {
    const user = userEvent.setup();
    const service = inboxService();
    service.assignSender = vi.fn(async () => {
      throw new WhatsAppApiError(409, 'Otra persona ya asignó este remitente.', null, {
        type: '/problems/decision-conflict', title: 'Decision conflict', status: 409, detail: 'Otra persona ya asignó este remitente.',
        decision: DECISION,
      } as never);
    });
    render(<WhatsAppInboxView service={service} />);
    await user.click(await screen.findByRole('button', { name: /\+54 9 11 7000-1111/ }));
    const form = screen.getByRole('form', { name: 'Asignar a un cliente' });
    await user.type(within(form).getByLabelText('Orden'), '12');
    await user.click(within(form).getByRole('button', { name: 'Asignar' }));
    expect(service.assignSender).toHaveBeenCalledWith('phone:541170001111', { orderId: 12 });
    const status = await screen.findByText(/^Decisión vigente:/);
    expect(status).toHaveTextContent('Asignado a Juan Pérez (cliente 1) (2 mensajes) por Ana el 30/11/2026, 12:00.');
  });

  it('describes decisions and time left in Spanish', () => {
    expect(describeDecision({ ...DECISION, kind: 'move', orderId: 5, undoneAt: '2026-11-30T16:00:00Z', undoneBy: null })).toBe(
      '2 mensajes movidos a la orden #5 por Ana el 30/11/2026, 12:00. Deshecho por alguien sin identificar el 30/11/2026, 13:00.',
    );
    expect(remainingLabel(3 * 3600 + 20 * 60 + 5)).toBe('3 h 20 min');
    expect(remainingLabel(7200)).toBe('2 h');
    expect(remainingLabel(30)).toBe('menos de 1 min');
  });
});
