import { vi, type Mock } from 'vitest';
import type { ListMessagesOptions, RequestOptions, WhatsAppService } from '../services/whatsappService';
import type { ImportPreview, ImportResult, Message, MessagePage, OrderWhatsApp, SyncResult } from '../types/whatsapp';

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
  getMedia: Mock<(url: string, options?: RequestOptions) => Promise<Blob>>;
  previewImport: Mock<(orderId: number, file: File, options?: RequestOptions) => Promise<ImportPreview>>;
  importHistory: Mock<
    (orderId: number, file: File, shopParticipant: string, options?: RequestOptions) => Promise<ImportResult>
  >;
}

/** A preview of a two-participant export (ImportPreview), overridable field by field. */
export function makeImportPreview(overrides: Partial<ImportPreview> = {}): ImportPreview {
  return {
    fileName: 'Chat de WhatsApp con +54 9 11 5555-1234.txt',
    format: 'txt',
    platform: 'android',
    participants: [
      { name: 'Juan Pérez', messages: 6, firstMessageAt: '2024-02-01T13:00:00Z', lastMessageAt: '2024-03-17T18:10:00Z', looksLikePhone: false },
      { name: 'FastService', messages: 3, firstMessageAt: '2024-02-01T13:05:00Z', lastMessageAt: '2024-03-17T16:00:00Z', looksLikePhone: false },
    ],
    messages: 9,
    systemLines: 1,
    attachments: 2,
    mediaFiles: 0,
    firstMessageAt: '2024-02-01T13:00:00Z',
    lastMessageAt: '2024-03-17T18:10:00Z',
    customer: { customerId: 1, name: 'Juan Pérez', matchedBy: 'order', phone: '+5491155551234', filePhoneIsCustomers: true },
    customerProblem: null,
    candidates: [],
    suggestedShopParticipant: null,
    previousImport: null,
    maxMessages: 40000,
    ...overrides,
  };
}

/** An import's answer (ImportResult), overridable field by field. */
export function makeImportResult(overrides: Partial<ImportResult> = {}): ImportResult {
  return {
    importId: 1,
    state: 'completed',
    alreadyImported: false,
    fileName: 'Chat de WhatsApp con +54 9 11 5555-1234.txt',
    customerId: 1,
    customerName: 'Juan Pérez',
    shopParticipant: 'FastService',
    messagesInFile: 9,
    messagesImported: 5,
    addedNow: 5,
    alreadyStored: 0,
    duplicatesOfLive: 4,
    systemLines: 1,
    orders: [{ orderId: 1, messages: 2 }],
    unlinked: 3,
    firstMessageAt: '2024-02-01T13:00:00Z',
    lastMessageAt: '2024-03-17T18:10:00Z',
    completedAt: '2024-03-20T12:00:00Z',
    attachments: { stored: 0, failed: 0, pending: 0 },
    ...overrides,
  };
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
    getMedia: vi.fn(async () => new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' })),
    previewImport: vi.fn(async () => makeImportPreview()),
    importHistory: vi.fn(async () => makeImportResult()),
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
