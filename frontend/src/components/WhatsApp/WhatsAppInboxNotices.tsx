/**
 * The inbox's «Avisos» tab (issue 18): the notifications offered to staff across orders, each sent with
 * one press of «Enviar» or dismissed with «No enviar», and the customers' taps on the quote's buttons.
 *
 * - Sending is the order panel's endpoint: exactly once on the server, whoever presses. A second press
 *   (or a colleague with a stale list) gets the same send back, told as "ya lo había enviado …".
 * - An offer that cannot go now (no consent, the customer asked for BAJA, no approved template) says why
 *   and keeps only «No enviar»; consent is recorded in the order (the panel's Avisos block), which the
 *   «Abrir la orden» link opens.
 * - «No enviar» asks once more before it records the dismissal (who and when): a dismissed notice is never
 *   offered again for that change.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { isAbortError, isWhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import type { InboxNotice, InboxQuoteTap, KeysetPage } from '../../types/whatsapp';
import { formatDateTime } from './format';
import { CONSENT_LABELS, formatAmount, noticeTitle, sendResultText } from './Notifications';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
const button = `inline-flex min-h-10 items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium shadow-sm ${focusRing} disabled:cursor-not-allowed disabled:opacity-60`;
const primary = `${button} bg-emerald-700 text-white hover:bg-emerald-800`;
const secondary = `${button} bg-white text-gray-900 ring-1 ring-gray-300 hover:bg-gray-50`;

export const NOTICES_HINT =
  'Avisos de cambio de estado que las reglas dejan para que una persona los mande, y las respuestas de los clientes a los botones del presupuesto.';
export const EMPTY_NOTICES = 'No hay avisos para enviar.';
export const EMPTY_TAPS = 'Todavía no hay respuestas a presupuestos.';

interface ListState<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
}

const EMPTY = { items: [], nextCursor: null, loading: true, error: null };

function errorText(error: unknown): string {
  return isWhatsAppApiError(error) ? error.detail : 'Ocurrió un error inesperado. Reintentá en unos segundos.';
}

/** "Presupuesto aceptado por WhatsApp — $ 45.000" (a tap on an outdated quote says so). */
export function tapText(tap: InboxQuoteTap): string {
  const amount = tap.amount === null ? '' : ` — ${formatAmount(tap.amount)}`;
  if (tap.outcome === 'outdated') {
    return `${tap.decision === 'rejected' ? 'Rechazó' : 'Aceptó'} un presupuesto que ya no está vigente${amount}`;
  }
  return `${tap.decision === 'rejected' ? 'Presupuesto rechazado' : 'Presupuesto aceptado'} por WhatsApp${amount}`;
}

function usePages<T>(fetchPage: ((cursor: string | null, signal?: AbortSignal) => Promise<KeysetPage<T>>) | null, version: number) {
  const [state, setState] = useState<ListState<T>>(EMPTY);
  const load = useCallback(
    (cursor: string | null, signal?: AbortSignal) => {
      if (!fetchPage) return;
      setState((s) => ({ ...s, loading: true, error: null }));
      fetchPage(cursor, signal).then(
        (page) =>
          setState((s) => ({
            items: cursor ? [...s.items, ...(page.items ?? [])] : (page.items ?? []),
            nextCursor: page.nextCursor ?? null,
            loading: false,
            error: null,
          })),
        (error: unknown) => {
          if (!isAbortError(error)) setState((s) => ({ ...s, loading: false, error: errorText(error) }));
        },
      );
    },
    [fetchPage],
  );
  useEffect(() => {
    const abort = new AbortController();
    load(null, abort.signal);
    return () => abort.abort();
  }, [load, version]);
  return { ...state, more: () => load(state.nextCursor) };
}

export interface InboxNoticesProps {
  service: WhatsAppService;
  orderHref?: (orderId: number) => string;
  pageSize?: number;
  /** Something was sent or dismissed: the tab counts may have changed. */
  onChange?: () => void;
  /** Bumped by the inbox's «Actualizar». */
  version?: number;
}

export function InboxNotices({ service, orderHref, pageSize = 20, onChange, version: outer = 0 }: InboxNoticesProps) {
  const [version, setVersion] = useState(0);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const resultRef = useRef<HTMLParagraphElement>(null);
  const offeredId = useId();
  const tapsId = useId();

  const fetchNotices = useCallback(
    (cursor: string | null, signal?: AbortSignal) => service.listInboxNotices!({ cursor, limit: pageSize, signal }),
    [service, pageSize],
  );
  const fetchTaps = useCallback(
    (cursor: string | null, signal?: AbortSignal) => service.listQuoteTaps!({ cursor, limit: pageSize, signal }),
    [service, pageSize],
  );
  const notices = usePages(service.listInboxNotices ? fetchNotices : null, version + outer);
  const taps = usePages(service.listQuoteTaps ? fetchTaps : null, version + outer);

  const done = useCallback(
    (outcome: { ok: boolean; text: string }) => {
      setBusyId(null);
      setConfirming(null);
      setResult(outcome);
      setVersion((v) => v + 1);
      onChange?.();
      // the pressed button leaves the list: the keyboard stays on what happened
      setTimeout(() => resultRef.current?.focus());
    },
    [onChange],
  );

  async function send(notice: InboxNotice) {
    if (!service.sendNotification || busyId !== null) return;
    setBusyId(notice.id);
    setResult(null);
    const who = `${notice.customerFirstName ?? 'el cliente'} (orden #${notice.orderId})`;
    try {
      const answer = await service.sendNotification(notice.orderId, notice.id);
      if (answer.alreadySent) {
        done({ ok: true, text: `Este aviso a ${who} ya lo había enviado ${answer.notification?.decidedBy ?? 'otra persona'}: no se mandó de nuevo.` });
      } else {
        const outcome = sendResultText(answer);
        done({ ok: outcome.ok, text: `${outcome.text} A ${who}.` });
      }
    } catch (error) {
      done({ ok: false, text: `No se envió el aviso a ${who}: ${errorText(error)}` });
    }
  }

  async function dismiss(notice: InboxNotice) {
    if (!service.dismissNotification || busyId !== null) return;
    setBusyId(notice.id);
    setResult(null);
    try {
      await service.dismissNotification(notice.orderId, notice.id);
      done({ ok: true, text: `Aviso descartado (orden #${notice.orderId}): no se le va a enviar.` });
    } catch (error) {
      done({ ok: false, text: `No se descartó el aviso: ${errorText(error)}` });
    }
  }

  const orderLink = (orderId: number) =>
    orderHref ? (
      <a className={`text-sm font-medium text-emerald-800 underline ${focusRing}`} href={orderHref(orderId)}>
        Abrir la orden #{orderId}
      </a>
    ) : null;

  return (
    <div className="flex flex-col gap-3" aria-busy={notices.loading || taps.loading} data-testid="inbox-notices">
      <p
        ref={resultRef}
        tabIndex={-1}
        role="status"
        aria-live="polite"
        data-testid="inbox-notice-result"
        className={result ? `rounded-md px-3 py-2 text-sm outline-none ring-1 ${result.ok ? 'bg-emerald-50 text-emerald-900 ring-emerald-200' : 'bg-red-50 text-red-800 ring-red-200'}` : 'sr-only'}
      >
        {result?.text}
      </p>

      <section aria-labelledby={offeredId} className="flex flex-col gap-2">
        <h3 id={offeredId} className="text-base font-semibold">
          Para enviar
        </h3>
        {notices.error && (
          <div role="alert" className="flex flex-wrap items-center gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
            <span>{notices.error}</span>
            <button type="button" className={secondary} onClick={() => setVersion((v) => v + 1)}>
              Reintentar
            </button>
          </div>
        )}
        {!notices.error && !notices.loading && !notices.items.length && (
          <p className="rounded-lg bg-white p-3 text-sm text-gray-700 ring-1 ring-gray-200">{EMPTY_NOTICES}</p>
        )}
        {notices.loading && !notices.items.length && !notices.error && <p className="text-sm text-gray-700">Cargando…</p>}
        {notices.items.length > 0 && (
          <ul className="flex flex-col gap-2" aria-label="Avisos para enviar">
            {notices.items.map((n) => (
              <NoticeItem
                key={n.id}
                notice={n}
                busy={busyId !== null}
                sending={busyId === n.id}
                confirming={confirming === n.id}
                onSend={() => void send(n)}
                onAskDismiss={() => setConfirming(n.id)}
                onCancelDismiss={() => setConfirming(null)}
                onDismiss={() => void dismiss(n)}
                link={orderLink(n.orderId)}
              />
            ))}
          </ul>
        )}
        {notices.nextCursor && (
          <button type="button" className={`${secondary} self-center`} disabled={notices.loading} onClick={notices.more}>
            {notices.loading ? 'Cargando…' : 'Ver más avisos'}
          </button>
        )}
      </section>

      <section aria-labelledby={tapsId} className="flex flex-col gap-2">
        <h3 id={tapsId} className="text-base font-semibold">
          Respuestas al presupuesto
        </h3>
        {taps.error && (
          <div role="alert" className="flex flex-wrap items-center gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
            <span>{taps.error}</span>
            <button type="button" className={secondary} onClick={() => setVersion((v) => v + 1)}>
              Reintentar
            </button>
          </div>
        )}
        {!taps.error && !taps.loading && !taps.items.length && (
          <p className="rounded-lg bg-white p-3 text-sm text-gray-700 ring-1 ring-gray-200">{EMPTY_TAPS}</p>
        )}
        {taps.items.length > 0 && (
          <ul className="flex flex-col gap-2" aria-label="Respuestas al presupuesto">
            {taps.items.map((t) => (
              <li key={t.id} className="flex flex-col gap-1 rounded-lg bg-white p-3 ring-1 ring-gray-200">
                <span className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
                  <span className={`font-medium ${t.outcome === 'outdated' ? 'text-amber-900' : t.decision === 'rejected' ? 'text-red-800' : 'text-emerald-800'}`}>
                    {tapText(t)}
                  </span>
                  {t.at && (
                    <time className="text-xs text-gray-700" dateTime={t.at}>
                      {formatDateTime(t.at)}
                    </time>
                  )}
                </span>
                <span className="flex flex-wrap items-center gap-2 text-sm text-gray-700">
                  <span>
                    {t.customerFirstName ?? 'Cliente'} · orden #{t.orderId}
                    {t.outcome === 'outdated' ? ' · no se registró como decisión' : ''}
                  </span>
                  {orderLink(t.orderId)}
                </span>
              </li>
            ))}
          </ul>
        )}
        {taps.nextCursor && (
          <button type="button" className={`${secondary} self-center`} disabled={taps.loading} onClick={taps.more}>
            {taps.loading ? 'Cargando…' : 'Ver más respuestas'}
          </button>
        )}
      </section>
    </div>
  );
}

function ConsentChip({ notice }: { notice: InboxNotice }) {
  if (notice.kind === 'quote_outdated') return null; // an answer inside the window the tap opened: no consent needed
  const state = notice.consent.state;
  const style =
    state === 'opted_in'
      ? 'bg-emerald-50 text-emerald-900 ring-emerald-200'
      : state === 'opted_out'
        ? 'bg-red-50 text-red-800 ring-red-200'
        : 'bg-gray-100 text-gray-800 ring-gray-300';
  return <span className={`rounded-full px-2 py-0.5 text-xs ring-1 ${style}`}>{CONSENT_LABELS[state]}</span>;
}

interface NoticeItemProps {
  notice: InboxNotice;
  busy: boolean;
  sending: boolean;
  confirming: boolean;
  onSend: () => void;
  onAskDismiss: () => void;
  onCancelDismiss: () => void;
  onDismiss: () => void;
  link: React.ReactNode;
}

function NoticeItem({ notice: n, busy, sending, confirming, onSend, onAskDismiss, onCancelDismiss, onDismiss, link }: NoticeItemProps) {
  const titleId = useId();
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  return (
    <li className="flex flex-col gap-2 rounded-lg bg-white p-3 ring-1 ring-gray-200" data-testid="inbox-notice">
      <span className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
        <span id={titleId} className="font-medium">
          {noticeTitle(n)}
          {n.kind === 'reminder' ? ' (recordatorio)' : ''} · {n.customerFirstName ?? 'Cliente'} · orden #{n.orderId}
        </span>
        <span className="text-xs text-gray-700">
          {n.status ? `Pasó a «${n.status}»` : 'Aviso'}
          {n.offeredAt ? ` · para enviar desde el ${formatDateTime(n.offeredAt)}` : ''}
        </span>
      </span>
      {n.preview && (
        <blockquote className="line-clamp-3 rounded-md bg-gray-50 px-2 py-1 text-sm text-gray-800 ring-1 ring-gray-200 [overflow-wrap:anywhere]">
          {n.preview}
        </blockquote>
      )}
      <span className="flex flex-wrap items-center gap-2">
        <ConsentChip notice={n} />
        {link}
      </span>
      {n.problem && <p className="rounded-md bg-amber-50 px-2 py-1 text-sm text-amber-900 ring-1 ring-amber-200">No se puede enviar: {n.problem}</p>}
      {confirming ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md bg-gray-50 p-2 ring-1 ring-gray-200">
          <span className="text-sm">¿Descartar este aviso? No se le va a enviar y no vuelve a aparecer.</span>
          <button ref={confirmRef} type="button" className={primary} disabled={busy} onClick={onDismiss} aria-describedby={titleId}>
            Sí, no enviar
          </button>
          <button type="button" className={secondary} disabled={busy} onClick={onCancelDismiss}>
            Cancelar
          </button>
        </div>
      ) : (
        <span className="flex flex-wrap gap-2">
          {n.sendable && (
            <button type="button" className={primary} disabled={busy} aria-busy={sending} aria-describedby={titleId} onClick={onSend}>
              {sending ? 'Enviando…' : 'Enviar'}
            </button>
          )}
          <button type="button" className={secondary} disabled={busy} aria-describedby={titleId} onClick={onAskDismiss}>
            No enviar
          </button>
        </span>
      )}
    </li>
  );
}
