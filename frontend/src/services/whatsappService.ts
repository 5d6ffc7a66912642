/**
 * Typed client of FastService's WhatsApp staff API (see shared/openapi.json).
 *
 *   const service = createWhatsAppService({ baseUrl: '', functionKey: null });
 *   const order = await service.getOrder(1);
 *
 * Every failure is a `WhatsAppApiError` with a Spanish `detail` a person can act
 * on: the server's problem+json detail when there is one, a generic one otherwise
 * (status 0 when the server could not be reached). An aborted request rejects
 * with the fetch `AbortError` unchanged.
 */
import type { MessagePage, OrderWhatsApp, Problem, SyncResult } from '../types/whatsapp';

export interface WhatsAppServiceOptions {
  /** Origin (and optional path prefix) of the function app; '' = same origin. */
  baseUrl?: string;
  /** Azure Functions key, sent as `x-functions-key`; none when empty. */
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

export interface WhatsAppService {
  getOrder(orderId: number, options?: RequestOptions): Promise<OrderWhatsApp>;
  listMessages(orderId: number, options?: ListMessagesOptions): Promise<MessagePage>;
  syncOrder(orderId: number, options?: RequestOptions): Promise<SyncResult>;
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

function genericDetail(status: number): string {
  if (status === 401 || status === 403) return 'La clave de acceso a las funciones (function key) falta o no es válida.';
  if (status === 404) return 'No se encontró lo pedido en el servidor.';
  if (status === 429) return 'Demasiados pedidos seguidos. Esperá un momento y reintentá.';
  if (status === 503) return 'El servicio no está disponible en este momento. Reintentá en unos segundos.';
  if (status >= 500) return `Error del servidor (HTTP ${status}). Reintentá en unos segundos.`;
  return `El servidor rechazó el pedido (HTTP ${status}).`;
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string';
}

async function errorFrom(response: Response): Promise<WhatsAppApiError> {
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
  const detail = problem?.detail.trim() ? problem.detail : genericDetail(response.status);
  return new WhatsAppApiError(response.status, detail, retryAfter, problem);
}

function checkOrderId(orderId: number): void {
  if (!Number.isInteger(orderId) || orderId < 1 || orderId > 2147483647) {
    throw new WhatsAppApiError(400, 'El número de orden debe ser un entero positivo.');
  }
}

export function createWhatsAppService(options: WhatsAppServiceOptions = {}): WhatsAppService {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const functionKey = options.functionKey?.trim() || null;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (functionKey) headers['x-functions-key'] = functionKey;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, { method, headers, signal });
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new WhatsAppApiError(0, 'No se pudo conectar con el servidor. Revisá la conexión y reintentá.');
    }
    if (!response.ok) throw await errorFrom(response);
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new WhatsAppApiError(response.status, 'El servidor respondió algo que no se pudo leer.');
    }
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
  };
}
