import { vi, type Mock } from 'vitest';
import type { ListMessagesOptions, RequestOptions, WhatsAppService } from '../services/whatsappService';
import type { Message, MessagePage, OrderWhatsApp, SyncResult } from '../types/whatsapp';

export function makeMessage(overrides: Partial<Message> & { id: number }): Message {
  return {
    whatsappMessageId: null,
    direction: 'inbound',
    type: 'text',
    text: `Mensaje ${overrides.id}`,
    timestamp: '2026-11-22T15:00:00Z',
    receivedAt: '2026-11-22T15:00:01Z',
    media: null,
    replyTo: null,
    reaction: null,
    choice: null,
    status: null,
    ...overrides,
  };
}

export function makeOrder(overrides: Partial<OrderWhatsApp> = {}): OrderWhatsApp {
  return {
    orderId: 1,
    orderOpen: true,
    customer: { id: 1, name: 'Juan Pérez' },
    phone: { e164: '+5491155551234', whatsappId: '5491155551234', source: 'whatsapp' },
    phoneProblem: null,
    waMeUrl: 'https://wa.me/5491155551234',
    waMeUrlWithGreeting: 'https://wa.me/5491155551234?text=Hola%20Juan',
    summary: null,
    hasNewMessages: false,
    messageCount: 0,
    unlinkedMessages: 0,
    lastSyncAt: null,
    customerServiceWindow: { open: false, until: null, lastInboundAt: null },
    ...overrides,
  };
}

export function makePage(messages: Message[], nextCursor: string | null = null, orderId = 1): MessagePage {
  return { orderId, messages, nextCursor };
}

export function makeSyncResult(overrides: Partial<SyncResult> = {}): SyncResult {
  return {
    orderId: 1,
    messagesReceived: 0,
    lastSyncAt: '2026-11-25T12:00:00Z',
    summaryGenerated: false,
    summaryError: null,
    status: 'no_messages',
    ...overrides,
  };
}

export interface FakeService extends WhatsAppService {
  getOrder: Mock<(orderId: number, options?: RequestOptions) => Promise<OrderWhatsApp>>;
  listMessages: Mock<(orderId: number, options?: ListMessagesOptions) => Promise<MessagePage>>;
  syncOrder: Mock<(orderId: number, options?: RequestOptions) => Promise<SyncResult>>;
}

/** A service answering with the given order and pages (keyed by cursor; '' = newest page). */
export function fakeService(
  order: OrderWhatsApp = makeOrder(),
  pages: Record<string, MessagePage> = { '': makePage([]) },
  sync: SyncResult = makeSyncResult(),
): FakeService {
  return {
    getOrder: vi.fn(async () => order),
    listMessages: vi.fn(async (_id: number, options?: ListMessagesOptions) => {
      const page = pages[options?.before ?? ''];
      if (!page) throw new Error(`no page for cursor ${options?.before ?? ''}`);
      return page;
    }),
    syncOrder: vi.fn(async () => sync),
    ...inboxNotUsed(),
  };
}

/** The inbox's methods, for fakes of the panel (which never calls them). */
export function inboxNotUsed(): Pick<
  WhatsAppService,
  | 'listInbox'
  | 'inboxCounts'
  | 'inboxMessages'
  | 'decisions'
  | 'assignSender'
  | 'moveMessages'
  | 'undoDecision'
  | 'confirmProposal'
  | 'discardProposal'
> {
  const unused = () => Promise.reject(new Error('the panel does not use the inbox'));
  return {
    listInbox: vi.fn(unused),
    inboxCounts: vi.fn(unused),
    inboxMessages: vi.fn(unused),
    decisions: vi.fn(unused),
    assignSender: vi.fn(unused),
    moveMessages: vi.fn(unused),
    undoDecision: vi.fn(unused),
    confirmProposal: vi.fn(unused),
    discardProposal: vi.fn(unused),
  };
}

/** A promise with its resolve/reject exposed. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
