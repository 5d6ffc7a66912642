/**
 * What the WhatsApp panel shows (without its style isolation: see WhatsAppPanel.tsx, the drop-in).
 * The conversation is primary and reads like WhatsApp Web: it opens at the newest message, older
 * pages load when scrolling up without moving what is being read, and messages that arrive while
 * reading older ones show a "↓ N nuevos" pill instead of yanking the view. The summary is compact
 * and expands on demand. Nothing is a dead end: without a usable phone, sync and "Abrir en mi
 * WhatsApp" say why and what to do.
 */
import { lazy, Suspense, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useWhatsAppMessages, DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL_MS } from '../../hooks/useWhatsAppMessages';
import { phaseOf, useWhatsAppSends, type SendPhase } from '../../hooks/useWhatsAppSends';
import { createWhatsAppService, WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import type { CustomerServiceWindow, Message, OrderWhatsApp, PhoneSource, ReplyProposal } from '../../types/whatsapp';
import { Composer } from './Composer';
import { OutgoingBubble } from './OutgoingBubble';
import { NO_PHONE_ACTION } from './explain';
import { formatDateTime, formatPhone, humanizeFieldNames, messagesLabel } from './format';
import { MessageBubble } from './MessageBubble';
import { MediaLoaderContext } from './MediaAttachment';
import { NotificationsBlock } from './Notifications';
import { SyncButton } from './SyncButton';
import { buildThread } from './thread';
import { Tooltip } from './Tooltip';

// The history import is a once-per-customer task: its wizard loads when staff open it, not with every
// order screen (frontend/README.md: the order screen's initial load).
const ImportHistory = lazy(() => import('./ImportHistory').then((m) => ({ default: m.ImportHistory })));

export interface WhatsAppPanelProps {
  /** ReparacionId (the ticket number). */
  orderId: number;
  /** A ready client; otherwise one is made from baseUrl and getAccessToken (or the demo's functionKey). */
  service?: WhatsAppService;
  /** Function app origin; '' (default) = same origin. */
  baseUrl?: string;
  /** The signed-in staff member's token for the function app (the host's MSAL acquireTokenSilent). */
  getAccessToken?: () => Promise<string | null>;
  /** DEMO PAGE ONLY: a function key. Never pass one inside FastService (browser code is public). */
  functionKey?: string | null;
  /** How often to look for new messages while the page is visible (ms); 0 = never. */
  pollIntervalMs?: number;
  pageSize?: number;
  /** "Abrir en mi WhatsApp" pre-fills a greeting (waMeUrlWithGreeting) instead of an empty chat. */
  openWithGreeting?: boolean;
  className?: string;
}

export const EMPTY_CONVERSATION_TEXT = 'No hay mensajes guardados. Usá «Sincronizar WhatsApp» para traerlos.';
/** Empty, and no phone to sync with: pointing at the disabled button would be a dead end. */
export const EMPTY_NO_PHONE_TEXT = 'No hay mensajes guardados con este cliente.';
export const OPEN_LABEL = 'Abrir en mi WhatsApp';
export const OPEN_HINT =
  'Abre wa.me en una pestaña nueva: escribís desde tu propio WhatsApp (tu celular o WhatsApp Web), no desde el número del taller.';

const PHONE_SOURCES: Record<PhoneSource, string> = {
  Telefono1: 'Teléfono 1',
  Telefono2: 'Teléfono 2',
  whatsapp: 'desde el que escribió',
};

const PHASE_ANNOUNCEMENTS: Record<SendPhase, string> = {
  sending: 'Enviando mensaje…',
  sent: 'Mensaje enviado.',
  failed: 'El mensaje no se envió: mirá el motivo en la conversación.',
  rejected: 'El mensaje no se envió: mirá el motivo en la conversación.',
  unknown: 'No pudimos confirmar si el mensaje salió.',
  requestFailed: 'No pudimos confirmar el envío con el servidor: podés reintentar.',
};

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
/** How close to the bottom (px) still counts as "reading the newest". */
const NEAR_BOTTOM = 48;
/** How close to the top (px) starts loading the older page. */
const NEAR_TOP = 160;

function WhatsAppIcon() {
  return (
    <svg className="size-4" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
      <path d="M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Zm0 18.2a8.2 8.2 0 0 1-4.2-1.1l-.3-.2-3 .8.8-2.9-.2-.3A8.2 8.2 0 1 1 12 20.2Zm4.5-6.1c-.2-.1-1.5-.7-1.7-.8-.2-.1-.4-.1-.6.1l-.8 1c-.1.2-.3.2-.5.1a6.7 6.7 0 0 1-3.3-2.9c-.2-.4.3-.4.8-1.3.1-.2 0-.3 0-.4l-.8-1.8c-.2-.5-.4-.4-.6-.4h-.5a1 1 0 0 0-.7.3 3 3 0 0 0-.9 2.2 5.2 5.2 0 0 0 1.1 2.7 11.8 11.8 0 0 0 4.5 4c1.7.7 2.3.8 3.2.6.5-.1 1.5-.6 1.7-1.2.2-.6.2-1.1.2-1.2-.1-.1-.3-.2-.5-.3Z" />
    </svg>
  );
}

/**
 * Why WhatsApp cannot be used with this order's customer, with what to do; null when it can.
 * A landline (phoneKind, when the API says so) gets no wa.me link: WhatsApp needs a mobile.
 */
export function phoneBlocker(order: OrderWhatsApp): string | null {
  if (order.phone && order.phoneKind === 'landline') {
    return `El ${formatPhone(order.phone.e164)} es un teléfono fijo y WhatsApp necesita un celular. ${NO_PHONE_ACTION}`;
  }
  if (!order.phone || !order.waMeUrl) {
    const why = order.phoneProblem?.trim() ? ` (${humanizeFieldNames(order.phoneProblem.trim())})` : '';
    return `El cliente no tiene un celular que WhatsApp pueda usar${why}. ${NO_PHONE_ACTION}`;
  }
  return null;
}

function OpenInWhatsApp({ order, withGreeting, blocker }: { order: OrderWhatsApp; withGreeting: boolean; blocker: string | null }) {
  const href = (withGreeting && order.waMeUrlWithGreeting) || order.waMeUrl;
  const base = 'inline-flex min-h-10 items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium shadow-sm';
  if (blocker || !href) {
    return (
      <Tooltip text={blocker ?? NO_PHONE_ACTION}>
        <button
          type="button"
          aria-disabled="true"
          onClick={(e) => e.preventDefault()}
          className={`${base} ${focusRing} cursor-not-allowed bg-gray-100 text-gray-700 ring-1 ring-gray-200`}
        >
          <WhatsAppIcon />
          {OPEN_LABEL}
        </button>
      </Tooltip>
    );
  }
  return (
    <Tooltip text={OPEN_HINT}>
      <a
        href={href}
        target="_blank"
        rel="noopener noreferrer"
        className={`${base} ${focusRing} bg-emerald-700 text-white hover:bg-emerald-800`}
      >
        <WhatsAppIcon />
        {OPEN_LABEL}
        <span className="sr-only"> (se abre en una pestaña nueva)</span>
      </a>
    </Tooltip>
  );
}

function WindowChip({ window }: { window: CustomerServiceWindow }) {
  if (window.open) {
    return (
      <span className="inline-flex items-center gap-1 rounded-full bg-emerald-50 px-2 py-0.5 text-xs text-emerald-900 ring-1 ring-emerald-200">
        <span className="size-1.5 rounded-full bg-emerald-600" aria-hidden="true" />
        Ventana de 24 h abierta{window.until ? ` hasta ${formatDateTime(window.until)}` : ''}
      </span>
    );
  }
  if (!window.lastInboundAt) return null;
  return (
    <span className="inline-flex items-center gap-1 rounded-full bg-gray-100 px-2 py-0.5 text-xs text-gray-700 ring-1 ring-gray-200">
      <span className="size-1.5 rounded-full bg-gray-500" aria-hidden="true" />
      Ventana de 24 h cerrada: solo plantillas
    </span>
  );
}

/** The summary, two lines high until asked for more: the conversation stays above the fold. */
function Summary({ order, headingId }: { order: OrderWhatsApp; headingId: string }) {
  const [expanded, setExpanded] = useState(false);
  const bodyId = useId();
  const text = order.summary?.text ?? '';
  const long = text.length > 140 || text.includes('\n');
  return (
    <section aria-labelledby={headingId} className="rounded-lg bg-gray-50 px-3 py-2 ring-1 ring-gray-200">
      <div className="flex flex-wrap items-center justify-between gap-x-2 gap-y-1">
        <h3 id={headingId} className="text-sm font-semibold text-gray-900">
          Resumen de WhatsApp
        </h3>
        {order.hasNewMessages && (
          <span className="inline-flex items-center gap-1 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-300">
            <span className="size-1.5 rounded-full bg-amber-600" aria-hidden="true" />
            mensajes nuevos
            {/* said in words, not in a hover-only title */}
            <span className="sr-only">
              {order.summary ? ': llegaron después de este resumen' : ': ningún resumen los cubre todavía'}
            </span>
          </span>
        )}
      </div>
      {order.summary ? (
        <>
          <p
            id={bodyId}
            className={`mt-1 whitespace-pre-wrap text-sm text-gray-800 [overflow-wrap:anywhere] ${expanded ? '' : 'line-clamp-2'}`}
          >
            {order.summary.text}
          </p>
          <div className="mt-1 flex flex-wrap items-center justify-between gap-x-2 text-xs text-gray-600">
            <span>
              Resumen del <time dateTime={order.summary.createdAt}>{formatDateTime(order.summary.createdAt)}</time>
              {' · '}
              {messagesLabel(order.summary.messageCount)}
            </span>
            {long && (
              <button
                type="button"
                aria-expanded={expanded}
                aria-controls={bodyId}
                onClick={() => setExpanded((v) => !v)}
                className={`inline-flex min-h-6 items-center rounded px-1 font-semibold text-sky-800 hover:underline ${focusRing}`}
              >
                {expanded ? 'Ver menos' : 'Ver resumen completo'}
              </button>
            )}
          </div>
        </>
      ) : (
        <p className="mt-1 text-sm text-gray-600">Todavía no hay un resumen de esta conversación.</p>
      )}
      {order.unlinkedMessages > 0 && (
        <p className="mt-1 text-xs font-medium text-amber-900" data-testid="unlinked">
          {order.unlinkedMessages === 1
            ? 'Hay 1 mensaje con este cliente sin vincular a esta orden: «Sincronizar WhatsApp» lo trae.'
            : `Hay ${order.unlinkedMessages} mensajes con este cliente sin vincular a esta orden: «Sincronizar WhatsApp» los trae.`}
        </p>
      )}
    </section>
  );
}

function LoadingState() {
  return (
    <div role="status" aria-live="polite" className="flex flex-col gap-3 p-1">
      <span className="sr-only">Cargando conversación…</span>
      <div className="h-10 animate-pulse rounded-lg bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <div className="h-10 w-2/3 animate-pulse rounded-2xl bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <div className="ml-auto h-10 w-1/2 animate-pulse rounded-2xl bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <p className="text-center text-xs text-gray-600" aria-hidden="true">
        Cargando conversación…
      </p>
    </div>
  );
}

/** The element that has focus in `el`'s tree (document or shadow root). */
function activeElementOf(el: Element | null): Element | null {
  const root = el?.getRootNode() as Document | ShadowRoot | undefined;
  return root?.activeElement ?? null;
}

function countAfter(messages: readonly Message[], lastId: number): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.id === lastId) return messages.length - 1 - i;
  return 0;
}

export function WhatsAppPanelView({
  orderId,
  service: givenService,
  baseUrl = '',
  getAccessToken,
  functionKey = null,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
  pageSize = DEFAULT_PAGE_SIZE,
  openWithGreeting = false,
  className = '',
}: WhatsAppPanelProps) {
  // The host may pass a new arrow function on every render: keep the latest without new clients.
  const tokenSource = useRef(getAccessToken);
  tokenSource.current = getAccessToken;
  const hasTokenSource = Boolean(getAccessToken);
  const service = useMemo(
    () =>
      givenService ??
      createWhatsAppService({
        baseUrl,
        functionKey,
        getAccessToken: hasTokenSource ? () => tokenSource.current?.() ?? Promise.resolve(null) : null,
      }),
    [givenService, baseUrl, functionKey, hasTokenSource],
  );
  const data = useWhatsAppMessages({ service, orderId, pageSize, pollIntervalMs });
  const { order, messages, refresh } = data;
  const titleId = useId();
  const summaryId = useId();
  const conversationId = useId();
  const blockerId = useId();

  const thread = useMemo(() => buildThread(messages), [messages]);
  const customerName = order?.customer.name ?? 'Cliente';
  const blocker = order ? phoneBlocker(order) : null;

  // Scrolling like WhatsApp Web. Runs before paint, so nothing visibly jumps.
  const logRef = useRef<HTMLDivElement>(null);
  const edges = useRef<{ first: number | null; last: number | null; height: number; top: number }>({
    first: null,
    last: null,
    height: 0,
    top: 0,
  });
  const nearBottom = useRef(true);
  const lastScrollTop = useRef(0); // where the previous scroll event left the view
  const [unseen, setUnseen] = useState(0);
  useLayoutEffect(() => {
    const log = logRef.current;
    const first = messages[0]?.id ?? null;
    const last = messages[messages.length - 1]?.id ?? null;
    const previous = edges.current;
    if (!log) {
      edges.current = { first: null, last: null, height: 0, top: 0 };
      return;
    }
    if (previous.last === null) {
      log.scrollTop = log.scrollHeight; // opens at the newest message
    } else {
      if (first !== previous.first) {
        // Older messages went on top: keep what was being read where it was.
        log.scrollTop = previous.top + (log.scrollHeight - previous.height);
      }
      if (last !== previous.last) {
        if (nearBottom.current) log.scrollTop = log.scrollHeight;
        else setUnseen((n) => n + countAfter(messages, previous.last as number));
      }
    }
    edges.current = { first, last, height: log.scrollHeight, top: log.scrollTop };
  }, [messages]);


  const { loadOlder: fetchOlder, loadingOlder, hasOlder, olderError } = data;
  const onScroll = useCallback(() => {
    const log = logRef.current;
    if (!log) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM;
    // Away from the bottom only when the person scrolled up: a scroll event that finds the content taller
    // than when the view was pinned (a photo loaded in between) leaves it pinned.
    if (atBottom) nearBottom.current = true;
    else if (log.scrollTop < lastScrollTop.current - 1) nearBottom.current = false;
    lastScrollTop.current = log.scrollTop;
    edges.current.top = log.scrollTop;
    edges.current.height = log.scrollHeight;
    if (nearBottom.current) setUnseen(0);
    if (log.scrollTop < NEAR_TOP && hasOlder && !loadingOlder && !olderError) void fetchOlder();
  }, [hasOlder, loadingOlder, olderError, fetchOlder]);

  const jumpToNewest = useCallback(() => {
    const log = logRef.current;
    if (!log) return;
    log.scrollTop = log.scrollHeight;
    nearBottom.current = true;
    setUnseen(0);
    log.focus(); // the pill goes away: keep the keyboard in the conversation
  }, []);

  // "Ver anteriores" disappears after the oldest page: keep keyboard focus in the conversation.
  const olderButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const loadOlder = useCallback(() => {
    refocus.current = activeElementOf(olderButton.current) === olderButton.current;
    void fetchOlder();
  }, [fetchOlder]);
  useEffect(() => {
    if (loadingOlder || !refocus.current) return;
    refocus.current = false;
    if (!hasOlder) logRef.current?.focus();
  }, [loadingOlder, hasOlder]);

  useEffect(() => {
    nearBottom.current = true;
    setUnseen(0);
  }, [orderId]);

  // The agent's proposals for this order (nothing is sent until a person presses Enviar).
  const [proposals, setProposals] = useState<ReplyProposal[]>([]);
  const [proposalsError, setProposalsError] = useState<WhatsAppApiError | null>(null);
  const proposalsGen = useRef(0);
  const loadProposals = useCallback(async () => {
    if (!service.listReplyProposals) return;
    const gen = ++proposalsGen.current;
    try {
      const list = await service.listReplyProposals(orderId);
      if (gen !== proposalsGen.current) return;
      setProposals(Array.isArray(list?.proposals) ? list.proposals : []);
      setProposalsError(null);
    } catch (error) {
      if (gen === proposalsGen.current && error instanceof WhatsAppApiError && error.status !== 404) setProposalsError(error);
    }
  }, [service, orderId]);
  useEffect(() => {
    setProposals([]);
    void loadProposals();
  }, [loadProposals]);
  // The agent may propose while the order is open: look again as often as for messages (while visible).
  const signedOut = Boolean(data.error?.unauthorized || data.refreshError?.unauthorized);
  useEffect(() => {
    if (!pollIntervalMs || pollIntervalMs <= 0 || signedOut) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void loadProposals();
    }, pollIntervalMs);
    return () => clearInterval(timer);
  }, [pollIntervalMs, loadProposals, signedOut]);
  const discardReplyProposal = useCallback(
    async (proposal: ReplyProposal) => {
      if (!service.discardReplyProposal) return;
      try {
        await service.discardReplyProposal(orderId, proposal.id);
      } catch (error) {
        if (error instanceof WhatsAppApiError) setProposalsError(error);
      }
      await loadProposals();
    },
    [service, orderId, loadProposals],
  );

  const sends = useWhatsAppSends({
    service,
    orderId,
    messages,
    refreshConversation: refresh,
    pollIntervalMs,
    onProposalSent: () => void loadProposals(),
  });
  const dismissSend = useCallback(
    (clientRequestId: string) => {
      sends.dismiss(clientRequestId);
      logRef.current?.focus(); // its buttons go with it: keep the keyboard in the conversation
    },
    [sends],
  );
  // What screen readers hear about the newest send of this panel.
  const newest = sends.pending[sends.pending.length - 1];
  const newestPhase = newest ? phaseOf(newest) : null;
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    if (!newestPhase) return;
    setAnnouncement(PHASE_ANNOUNCEMENTS[newestPhase]);
  }, [newestPhase, newest?.clientRequestId]);
  const [draft, setDraft] = useState<{ text: string; seq: number } | null>(null);
  const editFailed = useCallback((text: string) => setDraft((d) => ({ text, seq: (d?.seq ?? 0) + 1 })), []);

  // A new send of this panel: show it (the person just wrote it).
  const pendingCount = sends.pending.length;
  const previousPending = useRef(0);
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log && pendingCount > previousPending.current) {
      log.scrollTop = log.scrollHeight;
      nearBottom.current = true;
      setUnseen(0);
    }
    previousPending.current = pendingCount;
  }, [pendingCount]);

  // Resizing (window, sidebar, fonts loading) and content growing under the view (a photo that finished
  // loading, in a bubble or in the one being sent) keep the newest message in view if it was.
  const ready = data.status === 'ready';
  const hasList = thread.length > 0 || sends.pending.length > 0;
  useEffect(() => {
    const log = logRef.current;
    if (!log || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (nearBottom.current) log.scrollTop = log.scrollHeight;
    });
    observer.observe(log);
    const list = log.querySelector('ol');
    if (list) observer.observe(list);
    return () => observer.disconnect();
  }, [ready, hasList]);

  const onSynced = useCallback(() => refresh(), [refresh]);
  // "Importar historial": an inline step-by-step region under the actions; closing it returns focus here.
  const [importOpen, setImportOpen] = useState(false);
  const importToggle = useRef<HTMLButtonElement>(null);
  const importRegionId = useId();
  const closeImport = useCallback(() => {
    setImportOpen(false);
    importToggle.current?.focus();
  }, []);
  const onImported = useCallback(() => void refresh(), [refresh]);
  useEffect(() => setImportOpen(false), [orderId]);
  const panel = useRef<HTMLElement>(null);
  const loadError = data.status === 'error' ? data.error : null;
  const loadMedia = useCallback(
    (url: string, options?: { signal?: AbortSignal }) => service.getMedia(url, options),
    [service],
  );

  return (
    <MediaLoaderContext.Provider value={loadMedia}>
    <section
      ref={panel}
      tabIndex={-1}
      aria-labelledby={titleId}
      className={`relative flex w-full min-w-0 flex-col gap-2 rounded-xl border border-gray-200 bg-white p-3 text-gray-900 shadow-sm sm:p-4 ${className}`}
    >
      <header className="flex flex-col gap-2">
        <div className="flex min-w-0 flex-wrap items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 id={titleId} className="flex items-center gap-2 text-base font-semibold">
              <span className="text-emerald-700">
                <WhatsAppIcon />
              </span>
              WhatsApp
            </h2>
            {order && (
              <p className="mt-0.5 text-sm text-gray-700 [overflow-wrap:anywhere]">
                <span className="font-medium text-gray-900">{order.customer.name}</span>
                {order.phone && (
                  <>
                    {' · '}
                    <span className="whitespace-nowrap tabular-nums">{formatPhone(order.phone.e164)}</span>{' '}
                    <span className="text-xs text-gray-600">
                      ({PHONE_SOURCES[order.phone.source] ?? 'teléfono del cliente'}
                      {order.phoneKind === 'landline' ? ', fijo' : ''})
                    </span>
                  </>
                )}
              </p>
            )}
          </div>
          {order && <WindowChip window={order.customerServiceWindow} />}
        </div>
        {order && (
          <SyncButton key={orderId} orderId={orderId} service={service} onSynced={onSynced} disabledReason={order.phone ? null : blocker}>
            <OpenInWhatsApp order={order} withGreeting={openWithGreeting} blocker={blocker} />
            <button
              ref={importToggle}
              type="button"
              aria-expanded={importOpen}
              aria-controls={importOpen ? importRegionId : undefined}
              onClick={() => setImportOpen((open) => !open)}
              className={`inline-flex min-h-10 items-center justify-center gap-2 rounded-md border border-gray-300 bg-white px-3 py-2 text-sm font-medium text-gray-900 shadow-sm hover:bg-gray-50 ${focusRing}`}
            >
              <svg className="size-4" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                <path d="M12 3v12m0 0-4-4m4 4 4-4M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              Importar historial
            </button>
          </SyncButton>
        )}
        {order && importOpen && (
          <Suspense fallback={<p id={importRegionId} role="status" className="text-sm text-gray-700">Cargando…</p>}>
            <ImportHistory id={importRegionId} orderId={orderId} service={service} onImported={onImported} onClose={closeImport} />
          </Suspense>
        )}
        {blocker && (
          <p id={blockerId} className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200 [overflow-wrap:anywhere]">
            <span className="font-semibold">Sin WhatsApp para este cliente:</span> {blocker}
          </p>
        )}
      </header>

      {data.status === 'loading' && <LoadingState />}

      {loadError && (
        <div role="alert" className="flex flex-col items-start gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
          <p className="[overflow-wrap:anywhere]">
            <span className="font-semibold">No se pudo cargar la conversación.</span> {humanizeFieldNames(loadError.detail)}
          </p>
          {(loadError.retryable || loadError.unauthorized) && (
            <button
              type="button"
              onClick={() => {
                panel.current?.focus(); // this button goes away with the error: keep the keyboard in the panel
                void refresh();
              }}
              className={`inline-flex min-h-8 items-center rounded-md bg-white px-3 py-1.5 text-sm font-medium text-red-900 ring-1 ring-red-300 hover:bg-red-100 ${focusRing}`}
            >
              Reintentar
            </button>
          )}
        </div>
      )}

      {data.status === 'ready' && order && (
        <>
          <Summary order={order} headingId={summaryId} />
          <NotificationsBlock key={orderId} orderId={orderId} service={service} pollIntervalMs={signedOut ? 0 : pollIntervalMs} />

          <section aria-labelledby={conversationId} className="flex min-w-0 flex-col gap-1.5">
            <div className="flex flex-wrap items-baseline justify-between gap-x-2 text-xs text-gray-600">
              <h3 id={conversationId} className="text-sm font-semibold text-gray-900">
                Conversación
              </h3>
              <span>
                {messagesLabel(order.messageCount)} ·{' '}
                {order.lastSyncAt ? (
                  <>
                    Última sincronización: <time dateTime={order.lastSyncAt}>{formatDateTime(order.lastSyncAt)}</time>
                  </>
                ) : (
                  'Nunca sincronizada'
                )}
              </span>
            </div>

            {data.refreshError && (
              <div role="alert" className="flex flex-wrap items-center gap-2 rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900">
                <span className="min-w-0 [overflow-wrap:anywhere]">No se pudo actualizar: {humanizeFieldNames(data.refreshError.detail)}</span>
                {data.refreshError.unauthorized && (
                  <button
                    type="button"
                    onClick={() => void refresh()}
                    className={`inline-flex min-h-6 items-center rounded px-1.5 font-medium underline underline-offset-2 ${focusRing}`}
                  >
                    Reintentar
                  </button>
                )}
              </div>
            )}

            {/* relative: screen-reader-only text (position: absolute) stays inside this scroll box
                instead of stretching the page below the panel */}
            <div className="relative min-w-0">
              <div
                ref={logRef}
                role="log"
                aria-label={`Conversación de WhatsApp con ${customerName}`}
                aria-busy={data.loadingOlder}
                tabIndex={0}
                onScroll={onScroll}
                className={`relative max-h-[min(576px,70vh)] min-h-32 overflow-y-auto overflow-x-hidden overscroll-contain rounded-lg bg-[#efeae2] p-2 [overflow-anchor:none] sm:p-3 ${focusRing}`}
              >
                {hasOlder && (
                  <div className="mb-2 flex justify-center">
                    <button
                      ref={olderButton}
                      type="button"
                      onClick={loadOlder}
                      aria-disabled={data.loadingOlder}
                      className={`inline-flex min-h-6 items-center rounded-full bg-white px-3 py-1 text-xs font-medium text-gray-800 shadow-sm ring-1 ring-gray-200 hover:bg-gray-50 ${focusRing}`}
                    >
                      {data.loadingOlder ? 'Cargando…' : 'Ver anteriores'}
                    </button>
                  </div>
                )}
                {olderError && (
                  <p role="alert" className="mb-2 rounded-md bg-red-50 px-2 py-1 text-center text-xs text-red-800">
                    No se pudieron cargar los mensajes anteriores: {olderError.detail}
                  </p>
                )}
                {thread.length === 0 && sends.pending.length === 0 ? (
                  <p className="px-2 py-6 text-center text-sm text-gray-700">
                    {order.phone ? EMPTY_CONVERSATION_TEXT : EMPTY_NO_PHONE_TEXT}
                  </p>
                ) : (
                  <ol className="flex flex-col gap-2">
                    {thread.map((item) => {
                      if (item.kind === 'day') {
                        return (
                          <li key={item.key} className="sticky top-0 z-10 flex justify-center py-1" data-day>
                            <span className="rounded-md bg-white px-2 py-0.5 text-[11px] font-medium text-gray-700 shadow-sm">
                              {item.label}
                            </span>
                          </li>
                        );
                      }
                      if (item.kind === 'reaction') {
                        const who = item.message.direction === 'inbound' ? customerName : 'Taller';
                        return (
                          <li key={item.key} className="text-center text-xs text-gray-700">
                            {who} reaccionó {item.message.reaction?.emoji} a un mensaje anterior
                          </li>
                        );
                      }
                      return (
                        <li key={item.key}>
                          <MessageBubble
                            message={item.message}
                            quoted={item.quoted}
                            reactions={item.reactions}
                            customerName={customerName}
                          />
                        </li>
                      );
                    })}
                    {sends.pending.map((local) => (
                      <li key={`s-${local.clientRequestId}`}>
                        <OutgoingBubble
                          local={local}
                          onRetry={(id) => void sends.retry(id)}
                          onResend={(id) => void sends.resend(id)}
                          onDismiss={dismissSend}
                          onEdit={order.customerServiceWindow.open ? editFailed : undefined}
                        />
                      </li>
                    ))}
                  </ol>
                )}
              </div>
              {unseen > 0 && (
                <button
                  type="button"
                  onClick={jumpToNewest}
                  className={`absolute bottom-3 left-1/2 z-20 inline-flex min-h-8 -translate-x-1/2 items-center gap-1 rounded-full bg-emerald-700 px-3 py-1 text-xs font-semibold text-white shadow-md hover:bg-emerald-800 ${focusRing}`}
                >
                  {/* the visible words start the accessible name (WCAG 2.5.3, label in name) */}
                  <span aria-hidden="true">↓</span> {unseen === 1 ? '1 nuevo' : `${unseen} nuevos`}
                  <span className="sr-only">{unseen === 1 ? ': ir al mensaje nuevo' : `: ir a los ${unseen} mensajes nuevos`}</span>
                </button>
              )}
            </div>
          </section>

          <p role="status" aria-live="polite" className="sr-only" data-testid="send-announcement">
            {announcement}
          </p>
          {service.sendMessage && !blocker && (
            <Composer
              orderId={orderId}
              service={service}
              window={order.customerServiceWindow}
              submit={sends.submit}
              draft={draft}
              proposals={proposals}
              proposalsError={proposalsError}
              onDiscardProposal={discardReplyProposal}
              customerName={order.customer.name.split(' ')[0] || 'el cliente'}
            />
          )}
        </>
      )}
    </section>
    </MediaLoaderContext.Provider>
  );
}
