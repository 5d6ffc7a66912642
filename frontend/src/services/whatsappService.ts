/**
 * Typed client of FastService's WhatsApp staff API (see shared/openapi.json).
 *
 *   const service = createWhatsAppService({ baseUrl, getAccessToken });
 *   const order = await service.getOrder(1);
 *
 * Sign-in: `getAccessToken` (the host's MSAL `acquireTokenSilent`) is asked before every request
 * and its token sent as `Authorization: Bearer`; the panel holds no secret. A 401 becomes the
 * Spanish "sign in again" error, never retryable (the hook stops polling on it). `functionKey`
 * is for the local demo page only: a key in browser code lets anyone who reads the page write
 * as the shop.
 *
 * Cheap polling: GETs remember the answer's `ETag` and send `If-None-Match`; a `304 Not
 * Modified` returns the very same object as before (so React sees nothing changed). An answer
 * without `ETag` is simply used (and nothing is remembered for it).
 *
 * Every failure is a `WhatsAppApiError` with a Spanish `detail` a person can act
 * on: the server's problem+json detail when there is one, a generic one otherwise
 * (status 0 when the server could not be reached). An aborted request rejects
 * with the fetch `AbortError` unchanged.
 */
import type {
  ConsentRequest,
  ImportPreview,
  ImportResult,
  InboxCounts,
  InboxItems,
  InboxMessagePage,
  InboxNotice,
  InboxPage,
  InboxQuoteTap,
  InboxTab,
  KeysetPage,
  MessagePage,
  NotificationDismissed,
  NotificationSent,
  OrderNotifications,
  OrderTemplates,
  OrderWhatsApp,
  Problem,
  ReplyProposal,
  ReplyProposalList,
  Send,
  SendList,
  SendRequest,
  SyncResult,
  TriageDecision,
  UploadedMedia,
} from '../types/whatsapp';

export interface WhatsAppServiceOptions {
  /** Origin (and optional path prefix) of the function app; '' = same origin. */
  baseUrl?: string;
  /**
   * The signed-in staff member's access token for the function app (Entra ID, via the host's
   * MSAL instance); sent as `Authorization: Bearer`. Null = not signed in (no request is made).
   */
  getAccessToken?: (() => Promise<string | null>) | null;
  /**
   * DEMO ONLY (local runner): an Azure Functions key, sent as `x-functions-key`. Never give a
   * function key to the panel inside FastService: browser code is readable by anyone.
   */
  functionKey?: string | null;
  /** fetch implementation (tests); defaults to the global one. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ListMessagesOptions extends RequestOptions {
  /** Page size, 1..200 (server default 50). */
  limit?: number;
  /** `nextCursor` of the previous page, to get older messages. */
  before?: string | null;
}

/** Whose messages or decisions: a sender (`phone:…`/`bsuid:…`) or a customer. */
export type InboxSubject = { sender: string } | { customerId: number };

export interface WhatsAppService {
  getOrder(orderId: number, options?: RequestOptions): Promise<OrderWhatsApp>;
  listMessages(orderId: number, options?: ListMessagesOptions): Promise<MessagePage>;
  syncOrder(orderId: number, options?: RequestOptions): Promise<SyncResult>;
  /** A stored media file (`media.url` of a message) as a Blob, with the same sign-in as the API. */
  getMedia(url: string, options?: RequestOptions): Promise<Blob>;
  /** What a WhatsApp chat export holds and whose it is (nothing is written). */
  previewImport(orderId: number, file: File, options?: RequestOptions): Promise<ImportPreview>;
  /** Import a chat export into the order's customer's history, `shopParticipant` being the shop. */
  importHistory(orderId: number, file: File, shopParticipant: string, options?: RequestOptions): Promise<ImportResult>;
  // the inbox
  listInbox<T extends InboxTab>(tab: T, options?: RequestOptions & { cursor?: string | null; limit?: number }): Promise<InboxPage<InboxItems[T]>>;
  inboxCounts(options?: RequestOptions): Promise<InboxCounts>;
  inboxMessages(subject: InboxSubject, options?: ListMessagesOptions): Promise<InboxMessagePage>;
  decisions(subject: InboxSubject, options?: RequestOptions): Promise<{ decisions: TriageDecision[] }>;
  /** 409 (`WhatsAppApiError.problem.decision`) when someone assigned the sender first. */
  assignSender(sender: string, target: { customerId?: number; orderId?: number }, options?: RequestOptions): Promise<TriageDecision>;
  moveMessages(
    move: { customerId: number; orderId: number; fromMessageId: number; toMessageId?: number | null },
    options?: RequestOptions,
  ): Promise<TriageDecision>;
  undoDecision(decisionId: number, options?: RequestOptions): Promise<TriageDecision>;
  confirmProposal(proposalId: number, options?: RequestOptions): Promise<TriageDecision>;
  discardProposal(proposalId: number, options?: RequestOptions): Promise<unknown>;
  /**
   * Sends a text or a template to the order's customer. `clientRequestId` is made once per compose
   * action and sent again unchanged on a retry: the server answers the same send (200), never a second.
   */
  sendMessage?(orderId: number, request: SendRequest, options?: RequestOptions): Promise<Send>;
  /**
   * Stores a photo (JPEG, PNG) or document (PDF, Word, Excel) to send; its `blobRef` then goes in a send's
   * `media`. The same file twice is one upload. Too large or of another type: a Spanish 413/415 before
   * anything is uploaded.
   */
  uploadMedia?(file: File, options?: RequestOptions): Promise<UploadedMedia>;
  listTemplates?(orderId: number, options?: RequestOptions): Promise<OrderTemplates>;
  /** Sends not (yet) in the conversation: sending, unknown, failed. */
  listOutbox?(orderId: number, options?: RequestOptions): Promise<SendList>;
  listReplyProposals?(orderId: number, options?: RequestOptions): Promise<ReplyProposalList>;
  /** Sends an agent's proposal (optionally with the edited `text`), exactly once per `clientRequestId`. */
  sendReplyProposal?(
    orderId: number,
    proposalId: number,
    body: { clientRequestId: string; text?: string },
    options?: RequestOptions,
  ): Promise<Send>;
  discardReplyProposal?(orderId: number, proposalId: number, options?: RequestOptions): Promise<ReplyProposal>;
  /** The customer's consent to notifications, the order's notifications and its quote taps (issue 18). */
  listNotifications?(orderId: number, options?: RequestOptions): Promise<OrderNotifications>;
  /**
   * Sends an offered notification (one click). Exactly once on the server: a second click answers the
   * same send; 409 when it is no longer offered or the customer has not consented.
   */
  sendNotification?(orderId: number, notificationId: number, options?: RequestOptions): Promise<NotificationSent>;
  /** Records the customer's opt-in (or opt-out) with how it was given; the signed-in staff member is its author. */
  recordConsent?(orderId: number, body: ConsentRequest, options?: RequestOptions): Promise<OrderNotifications>;
  /** «No enviar»: the offered notification is skipped (who, when), once; 409 when it was sent or gone meanwhile. */
  dismissNotification?(orderId: number, notificationId: number, options?: RequestOptions): Promise<NotificationDismissed>;
  /** The inbox's «Avisos»: offered notifications across orders, newest first. */
  listInboxNotices?(options?: RequestOptions & { cursor?: string | null; limit?: number }): Promise<KeysetPage<InboxNotice>>;
  /** The inbox's «Avisos»: customers' taps on quote buttons across orders, newest first. */
  listQuoteTaps?(options?: RequestOptions & { cursor?: string | null; limit?: number }): Promise<KeysetPage<InboxQuoteTap>>;
}

function queryString(values: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  const qs = query.toString();
  return qs ? `?${qs}` : '';
}

function subjectQuery(subject: InboxSubject): Record<string, string | number> {
  return 'sender' in subject ? { sender: subject.sender } : { customerId: subject.customerId };
}

/** What the composer can attach (WhatsApp's types for a business's photo or document), with its kind. */
export const SENDABLE_TYPES: Readonly<Record<string, 'image' | 'document'>> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'application/pdf': 'document',
  'application/msword': 'document',
  'application/vnd.ms-excel': 'document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'document',
};

/** WhatsApp's size limits per kind (the server checks the same: 413). */
export const SENDABLE_LIMITS: Readonly<Record<'image' | 'document', number>> = {
  image: 5 * 1024 * 1024,
  document: 100 * 1024 * 1024,
};

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  pdf: 'application/pdf',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The file's type as the upload declares it: the browser's, or from its extension when the browser has none. */
export function sendableType(file: Pick<File, 'type' | 'name'>): string | null {
  const declared = file.type.toLowerCase();
  if (declared in SENDABLE_TYPES) return declared;
  if (declared) return null;
  const extension = file.name.toLowerCase().split('.').pop() ?? '';
  return EXTENSION_TYPES[extension] ?? null;
}

/** Why the file cannot be attached (Spanish), or null when it can. */
export function attachmentProblem(file: Pick<File, 'type' | 'name' | 'size'>): WhatsAppApiError | null {
  const type = sendableType(file);
  if (!type) return new WhatsAppApiError(415, 'Ese tipo de archivo no se puede enviar por WhatsApp: elegí una foto (JPG o PNG) o un documento (PDF, Word o Excel).');
  const kind = SENDABLE_TYPES[type] ?? 'document';
  if (file.size === 0) return new WhatsAppApiError(415, 'El archivo está vacío. Elegí otro.');
  if (file.size > SENDABLE_LIMITS[kind]) {
    return new WhatsAppApiError(
      413,
      kind === 'image'
        ? 'La foto supera los 5 MB que acepta WhatsApp. Achicala o mandala como documento PDF.'
        : 'El documento supera los 100 MB que acepta WhatsApp.',
    );
  }
  return null;
}

/** Largest file the import accepts (the server says the same with a 413). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function isFile(body: unknown): body is Blob {
  return typeof Blob !== 'undefined' && body instanceof Blob;
}

/** An HTTP API failure, parsed from `application/problem+json` when the server sent one. */
export class WhatsAppApiError extends Error {
  /** HTTP status; 0 when the request never got an answer. */
  readonly status: number;
  /** Spanish text for the person using FastService. */
  readonly detail: string;
  /** Seconds to wait before retrying (`Retry-After`), when the server said so. */
  readonly retryAfter: number | null;
  /** The problem document, when the answer carried one. */
  readonly problem: Problem | null;

  constructor(status: number, detail: string, retryAfter: number | null = null, problem: Problem | null = null) {
    super(detail);
    this.name = 'WhatsAppApiError';
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }

  /** The sign-in is missing or expired: only signing in again helps. */
  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** Whether trying again later may work (network trouble, 5xx, 408, 429). */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

export function isWhatsAppApiError(error: unknown): error is WhatsAppApiError {
  return error instanceof WhatsAppApiError;
}

/** True for the error fetch rejects with when its signal was aborted. */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export const SESSION_EXPIRED_TEXT = 'Tu sesión venció: volvé a iniciar sesión en FastService y después tocá «Reintentar».';
export const FORBIDDEN_TEXT = 'Tu usuario no tiene permiso para ver WhatsApp en FastService. Pedile acceso al administrador.';
export const FUNCTION_KEY_TEXT = 'La clave de función de la demo falta o no es válida (parámetro «key=» de la página).';

function genericDetail(status: number): string {
  if (status === 401) return SESSION_EXPIRED_TEXT;
  if (status === 403) return FORBIDDEN_TEXT;
  if (status === 404) return 'No se encontró lo pedido en el servidor.';
  if (status === 429) return 'Demasiados pedidos seguidos. Esperá un momento y reintentá.';
  if (status === 503) return 'El servicio no está disponible en este momento. Reintentá en unos segundos.';
  if (status >= 500) return `Error del servidor (HTTP ${status}). Reintentá en unos segundos.`;
  return `El servidor rechazó el pedido (HTTP ${status}).`;
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string';
}

async function errorFrom(response: Response, usesKey: boolean): Promise<WhatsAppApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  let problem: Problem | null = null;
  const contentType = response.headers.get('Content-Type') ?? '';
  if (contentType.includes('json')) {
    try {
      const body: unknown = await response.json();
      if (isProblem(body)) problem = body;
    } catch {
      // an unreadable body: fall back to the generic text
    }
  }
  // 401/403 (the app's sign-in problem, or a gateway's bare answer):
  // always our own text, which says what to do.
  let detail = problem?.detail.trim() ? problem.detail : genericDetail(response.status);
  if (response.status === 401) detail = usesKey ? FUNCTION_KEY_TEXT : SESSION_EXPIRED_TEXT;
  else if (response.status === 403) detail = FORBIDDEN_TEXT;
  return new WhatsAppApiError(response.status, detail, retryAfter, problem);
}

function checkOrderId(orderId: number): void {
  if (!Number.isInteger(orderId) || orderId < 1 || orderId > 2147483647) {
    throw new WhatsAppApiError(400, 'El número de orden debe ser un entero positivo.');
  }
}

function checkImportFile(file: File): void {
  if (file.size > MAX_IMPORT_BYTES) {
    throw new WhatsAppApiError(
      413,
      'El archivo supera los 64 MB que se pueden subir desde el panel. Exportá el chat «sin archivos» (solo el .txt) o pedile a un operador que lo importe.',
    );
  }
}

interface Cached {
  etag: string;
  data: unknown;
}

export function createWhatsAppService(options: WhatsAppServiceOptions = {}): WhatsAppService {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const functionKey = options.functionKey?.trim() || null;
  const getAccessToken = options.getAccessToken ?? null;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // Last answer of each GET URL that came with an ETag (a handful: one order, its newest page).
  const cache = new Map<string, Cached>();

  async function authorization(): Promise<string | null> {
    if (!getAccessToken) return null;
    let token: string | null;
    try {
      token = await getAccessToken();
    } catch (error) {
      if (isAbortError(error)) throw error;
      token = null; // e.g. MSAL's InteractionRequiredAuthError: the person must sign in again
    }
    if (!token?.trim()) throw new WhatsAppApiError(401, SESSION_EXPIRED_TEXT);
    return `Bearer ${token.trim()}`;
  }

  async function request<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal, body?: unknown, fileType?: string): Promise<T> {
    const url = `${baseUrl}${path}`;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    // a file goes as its raw bytes (a chat export as octet-stream, a photo to send as its own type); anything else as JSON
    if (body !== undefined) headers['Content-Type'] = isFile(body) ? (fileType ?? 'application/octet-stream') : 'application/json';
    const bearer = await authorization();
    if (bearer) headers.Authorization = bearer;
    if (functionKey) headers['x-functions-key'] = functionKey;
    const cached = method === 'GET' ? cache.get(url) : undefined;
    if (cached) headers['If-None-Match'] = cached.etag;
    let response: Response;
    try {
      // no-store: the browser's own cache stays out of the way, so a 304 reaches this code.
      response = await doFetch(url, {
        method,
        headers,
        signal,
        cache: 'no-store',
        ...(body === undefined ? {} : { body: isFile(body) ? body : JSON.stringify(body) }),
      });
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new WhatsAppApiError(0, 'No se pudo conectar con el servidor. Revisá la conexión y reintentá.');
    }
    if (response.status === 304 && cached) return cached.data as T;
    if (!response.ok) throw await errorFrom(response, Boolean(functionKey) && !bearer);
    let data: T;
    try {
      data = (await response.json()) as T;
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new WhatsAppApiError(response.status, 'El servidor respondió algo que no se pudo leer.');
    }
    if (method === 'GET') {
      const etag = response.headers.get('ETag');
      if (etag) cache.set(url, { etag, data });
      else cache.delete(url);
    }
    return data;
  }

  return {
    async getOrder(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<OrderWhatsApp>('GET', `/api/whatsapp/orders/${orderId}`, signal);
    },
    async listMessages(orderId, { limit, before, signal } = {}) {
      checkOrderId(orderId);
      const query = new URLSearchParams();
      if (limit !== undefined) query.set('limit', String(limit));
      if (before) query.set('before', before);
      const qs = query.toString();
      return request<MessagePage>('GET', `/api/whatsapp/messages/${orderId}${qs ? `?${qs}` : ''}`, signal);
    },
    async syncOrder(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<SyncResult>('POST', `/api/whatsapp/sync?orderId=${orderId}`, signal);
    },
    async getMedia(url, { signal } = {}) {
      if (!/^\/api\/whatsapp\/media\/[0-9]+$/.test(url)) throw new WhatsAppApiError(400, 'Ese archivo no es de esta conversación.');
      const headers: Record<string, string> = {};
      const bearer = await authorization();
      if (bearer) headers.Authorization = bearer;
      if (functionKey) headers['x-functions-key'] = functionKey;
      let response: Response;
      try {
        // the browser may cache it (private, immutable): a media id never changes content
        response = await doFetch(`${baseUrl}${url}`, { method: 'GET', headers, signal });
      } catch (error) {
        if (isAbortError(error)) throw error;
        throw new WhatsAppApiError(0, 'No se pudo conectar con el servidor. Revisá la conexión y reintentá.');
      }
      if (!response.ok) throw await errorFrom(response, Boolean(functionKey) && !bearer);
      return response.blob();
    },
    async previewImport(orderId, file, { signal } = {}) {
      checkOrderId(orderId);
      checkImportFile(file);
      const query = new URLSearchParams({ orderId: String(orderId), fileName: file.name });
      return request<ImportPreview>('POST', `/api/whatsapp/imports/preview?${query.toString()}`, signal, file);
    },
    async importHistory(orderId, file, shopParticipant, { signal } = {}) {
      checkOrderId(orderId);
      checkImportFile(file);
      const query = new URLSearchParams({ orderId: String(orderId), fileName: file.name, shopParticipant });
      return request<ImportResult>('POST', `/api/whatsapp/imports?${query.toString()}`, signal, file);
    },
    async listInbox(tab, { cursor, limit, signal } = {}) {
      return request('GET', `/api/whatsapp/inbox${queryString({ tab, cursor, limit })}`, signal);
    },
    async inboxCounts({ signal } = {}) {
      return request<InboxCounts>('GET', '/api/whatsapp/inbox/counts', signal);
    },
    async inboxMessages(subject, { limit, before, signal } = {}) {
      const qs = queryString({ ...subjectQuery(subject), limit, before });
      return request<InboxMessagePage>('GET', `/api/whatsapp/inbox/messages${qs}`, signal);
    },
    async decisions(subject, { signal } = {}) {
      return request('GET', `/api/whatsapp/inbox/decisions${queryString(subjectQuery(subject))}`, signal);
    },
    async assignSender(sender, { customerId, orderId }, { signal } = {}) {
      return request<TriageDecision>('POST', `/api/whatsapp/inbox/assign${queryString({ sender, customerId, orderId })}`, signal);
    },
    async moveMessages({ customerId, orderId, fromMessageId, toMessageId }, { signal } = {}) {
      checkOrderId(orderId);
      const qs = queryString({ customerId, orderId, fromMessageId, toMessageId });
      return request<TriageDecision>('POST', `/api/whatsapp/inbox/move${qs}`, signal);
    },
    async undoDecision(decisionId, { signal } = {}) {
      return request<TriageDecision>('POST', `/api/whatsapp/inbox/decisions/${decisionId}/undo`, signal);
    },
    async confirmProposal(proposalId, { signal } = {}) {
      return request<TriageDecision>('POST', `/api/whatsapp/inbox/proposals/${proposalId}/confirm`, signal);
    },
    async discardProposal(proposalId, { signal } = {}) {
      return request<unknown>('POST', `/api/whatsapp/inbox/proposals/${proposalId}/discard`, signal);
    },
    async sendMessage(orderId, body, { signal } = {}) {
      checkOrderId(orderId);
      return request<Send>('POST', `/api/whatsapp/orders/${orderId}/messages`, signal, body);
    },
    async uploadMedia(file, { signal } = {}) {
      const problem = attachmentProblem(file);
      if (problem) throw problem;
      const query = new URLSearchParams({ fileName: file.name });
      return request<UploadedMedia>('POST', `/api/whatsapp/media?${query.toString()}`, signal, file, sendableType(file) ?? undefined);
    },
    async listTemplates(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<OrderTemplates>('GET', `/api/whatsapp/orders/${orderId}/templates`, signal);
    },
    async listOutbox(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<SendList>('GET', `/api/whatsapp/orders/${orderId}/outbox`, signal);
    },
    async listReplyProposals(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<ReplyProposalList>('GET', `/api/whatsapp/orders/${orderId}/proposals`, signal);
    },
    async sendReplyProposal(orderId, proposalId, body, { signal } = {}) {
      checkOrderId(orderId);
      return request<Send>('POST', `/api/whatsapp/orders/${orderId}/proposals/${proposalId}/send`, signal, body);
    },
    async discardReplyProposal(orderId, proposalId, { signal } = {}) {
      checkOrderId(orderId);
      return request<ReplyProposal>('POST', `/api/whatsapp/orders/${orderId}/proposals/${proposalId}/discard`, signal);
    },
    async listNotifications(orderId, { signal } = {}) {
      checkOrderId(orderId);
      return request<OrderNotifications>('GET', `/api/whatsapp/orders/${orderId}/notifications`, signal);
    },
    async sendNotification(orderId, notificationId, { signal } = {}) {
      checkOrderId(orderId);
      if (!Number.isInteger(notificationId) || notificationId < 1) throw new WhatsAppApiError(400, 'Ese aviso no existe.');
      return request<NotificationSent>('POST', `/api/whatsapp/orders/${orderId}/notifications/${notificationId}/send`, signal);
    },
    async recordConsent(orderId, body, { signal } = {}) {
      checkOrderId(orderId);
      return request<OrderNotifications>('POST', `/api/whatsapp/orders/${orderId}/consent`, signal, body);
    },
    async dismissNotification(orderId, notificationId, { signal } = {}) {
      checkOrderId(orderId);
      if (!Number.isInteger(notificationId) || notificationId < 1) throw new WhatsAppApiError(400, 'Ese aviso no existe.');
      return request<NotificationDismissed>('POST', `/api/whatsapp/orders/${orderId}/notifications/${notificationId}/dismiss`, signal);
    },
    async listInboxNotices({ cursor, limit, signal } = {}) {
      return request<KeysetPage<InboxNotice>>('GET', `/api/whatsapp/inbox/notices${queryString({ cursor, limit })}`, signal);
    },
    async listQuoteTaps({ cursor, limit, signal } = {}) {
      return request<KeysetPage<InboxQuoteTap>>('GET', `/api/whatsapp/inbox/quote-taps${queryString({ cursor, limit })}`, signal);
    },
  };
}
