/**
 * Loads an order's WhatsApp context and conversation and keeps them fresh.
 *
 * - First load: `getOrder` + the newest page of messages, together.
 * - `loadOlder()` follows `nextCursor` and prepends the older page.
 * - `refresh()` fetches the order and the newest page again and merges them in
 *   (new messages appended, changed ones — e.g. a delivery status — replaced,
 *   older pages already loaded kept). Calls while one runs are coalesced into one
 *   more run after it, so a refresh asked for after a sync always sees the sync.
 * - Polls `refresh()` every `pollIntervalMs` while the page is visible, and
 *   refreshes when the window gets focus or the tab becomes visible again.
 * - A poll changes only what changed: a message equal to the one loaded keeps its object (and an
 *   order equal to the one loaded, or a `304` answered from the service's cache, keeps its own),
 *   so memoized bubbles skip rendering and an unchanged poll renders no bubble at all.
 * - A 401 (signed out / session expired) stops polling and focus refreshes: asking again cannot
 *   help until the person signs in again and presses "Reintentar" (`refresh()`).
 */
import { useCallback, useEffect, useReducer, useRef } from 'react';
import {
  isAbortError,
  WhatsAppApiError,
  type WhatsAppService,
} from '../services/whatsappService';
import type { Message, MessagePage, OrderWhatsApp } from '../types/whatsapp';
import { compareMessages } from '../components/WhatsApp/thread';

export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_POLL_INTERVAL_MS = 15_000;

export interface UseWhatsAppMessagesOptions {
  service: WhatsAppService;
  orderId: number;
  /** Messages per page (1..200). */
  pageSize?: number;
  /** Poll interval in ms while the page is visible; 0 or null turns polling off. */
  pollIntervalMs?: number | null;
  /** Refresh when the window gets focus / the tab becomes visible (default true). */
  refreshOnFocus?: boolean;
}

export type LoadStatus = 'loading' | 'ready' | 'error';

export interface UseWhatsAppMessagesResult {
  /** 'loading' until the first answer, 'error' when the first load failed. */
  status: LoadStatus;
  order: OrderWhatsApp | null;
  /** Loaded messages, chronological. */
  messages: Message[];
  /** Why the first load failed (status 'error'). */
  error: WhatsAppApiError | null;
  /** Why the last background refresh failed (the data shown is kept). */
  refreshError: WhatsAppApiError | null;
  refreshing: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: WhatsAppApiError | null;
  refresh: () => Promise<void>;
  loadOlder: () => Promise<void>;
}

interface State {
  status: LoadStatus;
  order: OrderWhatsApp | null;
  messages: Message[];
  nextCursor: string | null;
  error: WhatsAppApiError | null;
  refreshError: WhatsAppApiError | null;
  refreshing: boolean;
  loadingOlder: boolean;
  olderError: WhatsAppApiError | null;
}

type Action =
  | { type: 'reset' }
  | { type: 'refreshStart' }
  | { type: 'refreshDone'; order: OrderWhatsApp; page: MessagePage }
  | { type: 'refreshFailed'; error: WhatsAppApiError }
  | { type: 'olderStart' }
  | { type: 'olderDone'; page: MessagePage }
  | { type: 'olderFailed'; error: WhatsAppApiError };

const initialState: State = {
  status: 'loading',
  order: null,
  messages: [],
  nextCursor: null,
  error: null,
  refreshError: null,
  refreshing: false,
  loadingOlder: false,
  olderError: null,
};

/** Same content (the API's JSON is small and flat enough to compare this way). */
function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** `fresh`, with every message equal to a loaded one replaced by the loaded object. */
function reuseLoaded(current: readonly Message[], fresh: readonly Message[]): Message[] {
  if (current.length === 0) return [...fresh];
  const byId = new Map<number, Message>();
  for (const m of current) byId.set(m.id, m);
  return fresh.map((m) => {
    const old = byId.get(m.id);
    return old && sameJson(old, m) ? old : m;
  });
}

/** The previous array when nothing in it changed (so `useMemo` consumers keep their result). */
function keepIfSame(previous: Message[], next: Message[]): Message[] {
  if (previous.length !== next.length) return next;
  for (let i = 0; i < next.length; i++) if (previous[i] !== next[i]) return next;
  return previous;
}

function unionById(a: readonly Message[], b: readonly Message[]): Message[] {
  const byId = new Map<number, Message>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m); // b's version wins
  return [...byId.values()].sort(compareMessages);
}

/**
 * Merges a fresh newest page into what is loaded. Keeps the older pages (and the
 * cursor to the ones before them) when the fresh page overlaps what is loaded;
 * starts over from the fresh page when it does not (more new messages than a page
 * arrived, so there would be a gap), when it is the whole conversation, or when the
 * conversation grew by more than the fresh page brought (a sync linked older
 * messages, which would otherwise fall between the loaded pages and never show).
 */
export function mergeNewestPage(
  current: readonly Message[],
  currentCursor: string | null,
  page: MessagePage,
  grewBy: number | null = null,
): { messages: Message[]; nextCursor: string | null } {
  const fresh = reuseLoaded(current, page.messages).sort(compareMessages);
  if (current.length === 0 || page.nextCursor === null) return { messages: fresh, nextCursor: page.nextCursor };
  const loaded = new Set(current.map((m) => m.id));
  const arrived = fresh.filter((m) => !loaded.has(m.id)).length;
  if (arrived === fresh.length || (grewBy !== null && grewBy > arrived)) {
    return { messages: fresh, nextCursor: page.nextCursor };
  }
  const oldestFresh = fresh[0];
  // Drop loaded messages the fresh page should hold but does not (no longer in the conversation).
  const kept = oldestFresh
    ? current.filter((m) => compareMessages(m, oldestFresh) < 0)
    : [...current];
  return { messages: unionById(kept, fresh), nextCursor: currentCursor };
}

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'reset':
      return initialState;
    case 'refreshStart':
      return state.status === 'error'
        ? { ...state, status: 'loading', error: null, refreshing: true }
        : { ...state, refreshing: true };
    case 'refreshDone': {
      const grewBy = state.order ? action.order.messageCount - state.order.messageCount : null;
      const merged = mergeNewestPage(state.order ? state.messages : [], state.nextCursor, action.page, grewBy);
      return {
        ...state,
        status: 'ready',
        order: state.order && sameJson(state.order, action.order) ? state.order : action.order,
        messages: keepIfSame(state.messages, merged.messages),
        nextCursor: merged.nextCursor,
        error: null,
        refreshError: null,
        refreshing: false,
      };
    }
    case 'refreshFailed':
      return state.order
        ? { ...state, refreshError: action.error, refreshing: false }
        : { ...state, status: 'error', error: action.error, refreshing: false };
    case 'olderStart':
      return { ...state, loadingOlder: true, olderError: null };
    case 'olderDone':
      return {
        ...state,
        messages: unionById(action.page.messages, state.messages),
        nextCursor: action.page.nextCursor,
        loadingOlder: false,
      };
    case 'olderFailed':
      return { ...state, loadingOlder: false, olderError: action.error };
  }
}

function toApiError(error: unknown): WhatsAppApiError {
  if (error instanceof WhatsAppApiError) return error;
  return new WhatsAppApiError(0, 'Ocurrió un error inesperado al leer la conversación. Reintentá.');
}

export function useWhatsAppMessages({
  service,
  orderId,
  pageSize = DEFAULT_PAGE_SIZE,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
  refreshOnFocus = true,
}: UseWhatsAppMessagesOptions): UseWhatsAppMessagesResult {
  const [state, dispatch] = useReducer(reducer, initialState);

  // What the current requests belong to; bumped (and in-flight requests aborted) on every change.
  const generation = useRef(0);
  const controller = useRef<AbortController | null>(null);
  const params = useRef({ service, orderId, pageSize });
  const inflight = useRef<Promise<void> | null>(null);
  const again = useRef(false);
  const cursor = useRef<string | null>(null);
  const olderInflight = useRef(false);
  cursor.current = state.nextCursor;
  // Signed out: no automatic request until the person asks again.
  const signedOut = Boolean(state.error?.unauthorized || state.refreshError?.unauthorized);

  const fetchNewest = useCallback(async (): Promise<void> => {
    const gen = generation.current;
    const signal = controller.current?.signal;
    const { service: svc, orderId: id, pageSize: limit } = params.current;
    dispatch({ type: 'refreshStart' });
    try {
      const [order, page] = await Promise.all([
        svc.getOrder(id, { signal }),
        svc.listMessages(id, { limit, signal }),
      ]);
      if (gen === generation.current) dispatch({ type: 'refreshDone', order, page });
    } catch (error) {
      if (gen !== generation.current || isAbortError(error)) return;
      dispatch({ type: 'refreshFailed', error: toApiError(error) });
    }
  }, []);

  const refresh = useCallback((): Promise<void> => {
    if (inflight.current) {
      again.current = true;
      return inflight.current;
    }
    const gen = generation.current;
    const run = (async () => {
      do {
        again.current = false;
        await fetchNewest();
      } while (again.current && gen === generation.current);
    })().finally(() => {
      if (gen === generation.current) inflight.current = null;
    });
    inflight.current = run;
    return run;
  }, [fetchNewest]);

  const loadOlder = useCallback(async (): Promise<void> => {
    const before = cursor.current;
    if (!before || olderInflight.current) return;
    olderInflight.current = true;
    const gen = generation.current;
    const signal = controller.current?.signal;
    const { service: svc, orderId: id, pageSize: limit } = params.current;
    dispatch({ type: 'olderStart' });
    try {
      const page = await svc.listMessages(id, { limit, before, signal });
      if (gen === generation.current) dispatch({ type: 'olderDone', page });
    } catch (error) {
      if (gen === generation.current && !isAbortError(error)) dispatch({ type: 'olderFailed', error: toApiError(error) });
    } finally {
      if (gen === generation.current) olderInflight.current = false;
    }
  }, []);

  // (Re)load whenever the order, the service or the page size changes.
  useEffect(() => {
    params.current = { service, orderId, pageSize };
    generation.current += 1;
    const abort = new AbortController();
    controller.current = abort;
    inflight.current = null;
    again.current = false;
    olderInflight.current = false;
    dispatch({ type: 'reset' });
    void refresh();
    return () => {
      generation.current += 1;
      abort.abort();
    };
  }, [service, orderId, pageSize, refresh]);

  // Poll while visible.
  useEffect(() => {
    if (!pollIntervalMs || pollIntervalMs <= 0 || signedOut) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, pollIntervalMs);
    return () => clearInterval(timer);
  }, [pollIntervalMs, refresh, signedOut]);

  // Refresh when the person comes back to the tab.
  useEffect(() => {
    if (!refreshOnFocus || signedOut) return;
    const onFocus = () => void refresh();
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [refreshOnFocus, refresh, signedOut]);

  return {
    status: state.status,
    order: state.order,
    messages: state.messages,
    error: state.error,
    refreshError: state.refreshError,
    refreshing: state.refreshing,
    hasOlder: state.nextCursor !== null,
    loadingOlder: state.loadingOlder,
    olderError: state.olderError,
    refresh,
    loadOlder,
  };
}
