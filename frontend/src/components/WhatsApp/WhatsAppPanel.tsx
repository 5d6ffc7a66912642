/**
 * The WhatsApp panel of FastService's order details: the latest "WhatsApp
 * Resumen", the stored conversation, "Sincronizar WhatsApp" and "Abrir en
 * WhatsApp".
 *
 *   <WhatsAppPanel orderId={order.ReparacionId} functionKey={key} />
 */
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef } from 'react';
import { useWhatsAppMessages, DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL_MS } from '../../hooks/useWhatsAppMessages';
import { createWhatsAppService, type WhatsAppService } from '../../services/whatsappService';
import type { CustomerServiceWindow, OrderWhatsApp, PhoneSource } from '../../types/whatsapp';
import { formatDateTime, messagesLabel } from './format';
import { MessageBubble } from './MessageBubble';
import { SyncButton } from './SyncButton';
import { buildThread } from './thread';
import { Tooltip } from './Tooltip';

export interface WhatsAppPanelProps {
  /** ReparacionId (the ticket number). */
  orderId: number;
  /** A ready client; otherwise one is made from baseUrl and functionKey. */
  service?: WhatsAppService;
  /** Function app origin; '' (default) = same origin. */
  baseUrl?: string;
  functionKey?: string | null;
  /** How often to look for new messages while the page is visible (ms); 0 = never. */
  pollIntervalMs?: number;
  pageSize?: number;
  /** "Abrir en WhatsApp" pre-fills a greeting (waMeUrlWithGreeting) instead of an empty chat. */
  openWithGreeting?: boolean;
  className?: string;
}

export const EMPTY_CONVERSATION_TEXT = 'No hay mensajes guardados. Usá «Sincronizar WhatsApp» para traerlos.';
export const NO_PHONE_TEXT = 'Sin número de teléfono';

const PHONE_SOURCES: Record<PhoneSource, string> = {
  Telefono1: 'Teléfono 1',
  Telefono2: 'Teléfono 2',
  whatsapp: 'desde WhatsApp',
};

const focusRing =
  'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600';

function WhatsAppIcon() {
  return (
    <svg className="size-4" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
      <path d="M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Zm0 18.2a8.2 8.2 0 0 1-4.2-1.1l-.3-.2-3 .8.8-2.9-.2-.3A8.2 8.2 0 1 1 12 20.2Zm4.5-6.1c-.2-.1-1.5-.7-1.7-.8-.2-.1-.4-.1-.6.1l-.8 1c-.1.2-.3.2-.5.1a6.7 6.7 0 0 1-3.3-2.9c-.2-.4.3-.4.8-1.3.1-.2 0-.3 0-.4l-.8-1.8c-.2-.5-.4-.4-.6-.4h-.5a1 1 0 0 0-.7.3 3 3 0 0 0-.9 2.2 5.2 5.2 0 0 0 1.1 2.7 11.8 11.8 0 0 0 4.5 4c1.7.7 2.3.8 3.2.6.5-.1 1.5-.6 1.7-1.2.2-.6.2-1.1.2-1.2-.1-.1-.3-.2-.5-.3Z" />
    </svg>
  );
}

function OpenInWhatsApp({ order, withGreeting }: { order: OrderWhatsApp; withGreeting: boolean }) {
  const href = (withGreeting && order.waMeUrlWithGreeting) || order.waMeUrl;
  const base =
    'inline-flex min-h-10 items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium shadow-sm';
  if (!href) {
    return (
      <Tooltip text={NO_PHONE_TEXT}>
        <button
          type="button"
          aria-disabled="true"
          onClick={(e) => e.preventDefault()}
          className={`${base} ${focusRing} cursor-not-allowed bg-gray-200 text-gray-500`}
        >
          <WhatsAppIcon />
          Abrir en WhatsApp
        </button>
      </Tooltip>
    );
  }
  return (
    <a
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      className={`${base} ${focusRing} bg-emerald-600 text-white hover:bg-emerald-700`}
    >
      <WhatsAppIcon />
      Abrir en WhatsApp
      <span className="sr-only"> (se abre en una pestaña nueva)</span>
    </a>
  );
}

function WindowChip({ window }: { window: CustomerServiceWindow }) {
  if (window.open) {
    return (
      <span className="inline-flex items-center gap-1 rounded-full bg-emerald-50 px-2 py-0.5 text-xs text-emerald-800 ring-1 ring-emerald-200">
        <span className="size-1.5 rounded-full bg-emerald-500" aria-hidden="true" />
        Ventana de 24 h abierta{window.until ? ` hasta ${formatDateTime(window.until)}` : ''}
      </span>
    );
  }
  if (!window.lastInboundAt) return null;
  return (
    <span className="inline-flex items-center gap-1 rounded-full bg-gray-100 px-2 py-0.5 text-xs text-gray-700 ring-1 ring-gray-200">
      <span className="size-1.5 rounded-full bg-gray-400" aria-hidden="true" />
      Ventana de 24 h cerrada: solo plantillas
    </span>
  );
}

function Summary({ order, headingId }: { order: OrderWhatsApp; headingId: string }) {
  return (
    <section aria-labelledby={headingId} className="rounded-lg bg-gray-50 p-3 ring-1 ring-gray-200">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={headingId} className="text-sm font-semibold text-gray-900">
          Resumen de WhatsApp
        </h3>
        {order.hasNewMessages && (
          <span
            className="inline-flex items-center gap-1 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-300"
            title={order.summary ? 'Llegaron mensajes después de este resumen' : 'Hay mensajes que ningún resumen cubre'}
          >
            <span className="size-1.5 rounded-full bg-amber-500" aria-hidden="true" />
            mensajes nuevos
          </span>
        )}
      </div>
      {order.summary ? (
        <>
          <p className="mt-1.5 whitespace-pre-wrap text-sm text-gray-800 [overflow-wrap:anywhere]">{order.summary.text}</p>
          <p className="mt-1.5 text-xs text-gray-500">
            Resumen del <time dateTime={order.summary.createdAt}>{formatDateTime(order.summary.createdAt)}</time>
            {' · '}
            {messagesLabel(order.summary.messageCount)}
          </p>
        </>
      ) : (
        <p className="mt-1.5 text-sm text-gray-500">Todavía no hay un resumen de esta conversación.</p>
      )}
      {order.unlinkedMessages > 0 && (
        <p className="mt-1.5 text-xs font-medium text-amber-900" data-testid="unlinked">
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
      <div className="h-16 animate-pulse rounded-lg bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <div className="h-10 w-2/3 animate-pulse rounded-2xl bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <div className="ml-auto h-10 w-1/2 animate-pulse rounded-2xl bg-gray-100 motion-reduce:animate-none" aria-hidden="true" />
      <p className="text-center text-xs text-gray-500" aria-hidden="true">
        Cargando conversación…
      </p>
    </div>
  );
}

export function WhatsAppPanel({
  orderId,
  service: givenService,
  baseUrl = '',
  functionKey = null,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
  pageSize = DEFAULT_PAGE_SIZE,
  openWithGreeting = false,
  className = '',
}: WhatsAppPanelProps) {
  const service = useMemo(
    () => givenService ?? createWhatsAppService({ baseUrl, functionKey }),
    [givenService, baseUrl, functionKey],
  );
  const data = useWhatsAppMessages({ service, orderId, pageSize, pollIntervalMs });
  const { order, messages, refresh } = data;
  const titleId = useId();
  const summaryId = useId();
  const conversationId = useId();

  const thread = useMemo(() => buildThread(messages), [messages]);
  const customerName = order?.customer.name ?? 'Cliente';

  // Keep the newest message in view when new ones arrive (if the person was at the
  // bottom); keep the view still when older ones are put on top.
  const logRef = useRef<HTMLDivElement>(null);
  const edges = useRef<{ first: number | null; last: number | null; height: number }>({
    first: null,
    last: null,
    height: 0,
  });
  const nearBottom = useRef(true);
  useLayoutEffect(() => {
    const log = logRef.current;
    const first = messages[0]?.id ?? null;
    const last = messages[messages.length - 1]?.id ?? null;
    const previous = edges.current;
    if (log) {
      if (previous.last === null || (last !== previous.last && nearBottom.current)) {
        log.scrollTop = log.scrollHeight;
      } else if (first !== previous.first && last === previous.last) {
        log.scrollTop += log.scrollHeight - previous.height;
      }
      edges.current = { first, last, height: log.scrollHeight };
    } else {
      edges.current = { first: null, last: null, height: 0 };
    }
  }, [messages]);
  const onScroll = useCallback(() => {
    const log = logRef.current;
    if (log) nearBottom.current = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }, []);

  // "Ver anteriores" disappears after the oldest page: keep keyboard focus in the conversation.
  const olderButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const { loadOlder: fetchOlder, loadingOlder, hasOlder } = data;
  const loadOlder = useCallback(() => {
    refocus.current = document.activeElement === olderButton.current;
    void fetchOlder();
  }, [fetchOlder]);
  useEffect(() => {
    if (loadingOlder || !refocus.current) return;
    refocus.current = false;
    if (!hasOlder) logRef.current?.focus();
  }, [loadingOlder, hasOlder]);

  useEffect(() => {
    nearBottom.current = true;
  }, [orderId]);

  const onSynced = useCallback(() => refresh(), [refresh]);
  const panel = useRef<HTMLElement>(null);

  return (
    <section
      ref={panel}
      tabIndex={-1}
      aria-labelledby={titleId}
      className={`flex w-full min-w-0 flex-col gap-3 rounded-xl border border-gray-200 bg-white p-3 text-gray-900 shadow-sm sm:p-4 ${className}`}
    >
      <header className="flex flex-col gap-3">
        <div className="flex min-w-0 flex-wrap items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 id={titleId} className="flex items-center gap-2 text-base font-semibold">
              <span className="text-emerald-600">
                <WhatsAppIcon />
              </span>
              WhatsApp
            </h2>
            {order && (
              <p className="mt-0.5 text-sm text-gray-600 [overflow-wrap:anywhere]">
                <span className="font-medium text-gray-800">{order.customer.name}</span>
                {order.phone && (
                  <>
                    {' · '}
                    <span className="tabular-nums">{order.phone.e164}</span>{' '}
                    <span className="text-xs text-gray-500">({PHONE_SOURCES[order.phone.source] ?? order.phone.source})</span>
                  </>
                )}
              </p>
            )}
          </div>
          {order && <WindowChip window={order.customerServiceWindow} />}
        </div>
        {order && (
          <SyncButton key={orderId} orderId={orderId} service={service} onSynced={onSynced}>
            <OpenInWhatsApp order={order} withGreeting={openWithGreeting} />
          </SyncButton>
        )}
        {order?.phoneProblem && (
          <p className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200 [overflow-wrap:anywhere]">
            <span className="font-semibold">Sin número de WhatsApp:</span> {order.phoneProblem}
          </p>
        )}
      </header>

      {data.status === 'loading' && <LoadingState />}

      {data.status === 'error' && data.error && (
        <div role="alert" className="flex flex-col items-start gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
          <p className="[overflow-wrap:anywhere]">
            <span className="font-semibold">No se pudo cargar la conversación.</span> {data.error.detail}
          </p>
          <button
            type="button"
            onClick={() => {
              panel.current?.focus(); // this button goes away with the error: keep the keyboard in the panel
              void refresh();
            }}
            className={`rounded-md bg-white px-3 py-1.5 text-sm font-medium text-red-900 ring-1 ring-red-300 hover:bg-red-100 ${focusRing}`}
          >
            Reintentar
          </button>
        </div>
      )}

      {data.status === 'ready' && order && (
        <>
          <Summary order={order} headingId={summaryId} />

          <section aria-labelledby={conversationId} className="flex min-w-0 flex-col gap-2">
            <div className="flex flex-wrap items-baseline justify-between gap-x-2 text-xs text-gray-500">
              <h3 id={conversationId} className="text-sm font-semibold text-gray-900">
                Conversación
              </h3>
              <span>
                {messagesLabel(order.messageCount)} ·{' '}
                {order.lastSyncAt ? (
                  <>
                    Última sincronización:{' '}
                    <time dateTime={order.lastSyncAt}>{formatDateTime(order.lastSyncAt)}</time>
                  </>
                ) : (
                  'Nunca sincronizada'
                )}
              </span>
            </div>

            {data.refreshError && (
              <p role="alert" className="rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900">
                No se pudo actualizar: {data.refreshError.detail}
              </p>
            )}

            <div
              ref={logRef}
              role="log"
              aria-label={`Conversación de WhatsApp con ${customerName}`}
              aria-busy={data.loadingOlder}
              tabIndex={0}
              onScroll={onScroll}
              className={`max-h-[28rem] min-h-24 overflow-y-auto overscroll-contain rounded-lg bg-[#efeae2] p-2 sm:p-3 ${focusRing}`}
            >
              {data.hasOlder && (
                <div className="mb-2 flex justify-center">
                  <button
                    ref={olderButton}
                    type="button"
                    onClick={loadOlder}
                    aria-disabled={data.loadingOlder}
                    className={`rounded-full bg-white px-3 py-1 text-xs font-medium text-gray-700 shadow-sm ring-1 ring-gray-200 hover:bg-gray-50 aria-disabled:opacity-60 ${focusRing}`}
                  >
                    {data.loadingOlder ? 'Cargando…' : 'Ver anteriores'}
                  </button>
                </div>
              )}
              {data.olderError && (
                <p role="alert" className="mb-2 rounded-md bg-red-50 px-2 py-1 text-center text-xs text-red-800">
                  No se pudieron cargar los mensajes anteriores: {data.olderError.detail}
                </p>
              )}
              {thread.length === 0 ? (
                <p className="px-2 py-6 text-center text-sm text-gray-600">{EMPTY_CONVERSATION_TEXT}</p>
              ) : (
                <ol className="flex flex-col gap-2">
                  {thread.map((item) => {
                    if (item.kind === 'day') {
                      return (
                        <li key={item.key} className="flex justify-center py-1">
                          <span className="rounded-md bg-white/80 px-2 py-0.5 text-[11px] font-medium text-gray-600 shadow-sm">
                            {item.label}
                          </span>
                        </li>
                      );
                    }
                    if (item.kind === 'reaction') {
                      const who = item.message.direction === 'inbound' ? customerName : 'Taller';
                      return (
                        <li key={item.key} className="text-center text-xs text-gray-600">
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
                </ol>
              )}
            </div>
          </section>
        </>
      )}
    </section>
  );
}

