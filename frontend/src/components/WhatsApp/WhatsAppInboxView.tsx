/**
 * The WhatsApp inbox as staff see it (without its style isolation: see WhatsAppInbox.tsx, the drop-in):
 * the conversations no order holds and the orders waiting for an answer, in four tabs with their
 * counts, and the decisions a person takes on them (assign a sender, pick one of a shared line's
 * customers, confirm or discard the assistant's proposal, move messages to an order, undo), plus «Avisos»
 * (WhatsAppInboxNotices.tsx: offered notifications sent or dismissed with one press, quote taps). Every
 * decision shows who took it and when, and can be undone; when someone else decided first, the
 * server's 409 says so and shows the decision in force.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { createWhatsAppService, isAbortError, isWhatsAppApiError, type InboxSubject, type WhatsAppService } from '../../services/whatsappService';
import type {
  InboxAwaiting,
  InboxCounts,
  InboxCustomer,
  InboxItems,
  InboxSender,
  InboxTab,
  InboxViewTab,
  Message,
  TriageDecision,
} from '../../types/whatsapp';
import { formatDateTime, formatPhone, messagesLabel, remainingLabel } from './format';
import { MessageBubble } from './MessageBubble';
import { EMPTY_NOTICES, InboxNotices, NOTICES_HINT } from './WhatsAppInboxNotices';

export interface WhatsAppInboxProps {
  /** A ready client; otherwise one is made from baseUrl and getAccessToken (or the demo's functionKey). */
  service?: WhatsAppService;
  /** Function app origin; '' (default) = same origin. */
  baseUrl?: string;
  /** The signed-in staff member's token for the function app (the host's MSAL acquireTokenSilent). */
  getAccessToken?: () => Promise<string | null>;
  /** DEMO PAGE ONLY: a function key. Never pass one inside FastService (browser code is public). */
  functionKey?: string | null;
  /** Where FastService shows an order (for "Abrir la orden"); without it orders are plain numbers. */
  orderHref?: (orderId: number) => string;
  initialTab?: InboxViewTab;
  /** Items per page (1-100). */
  pageSize?: number;
  className?: string;
}

export const TAB_LABELS: Record<InboxViewTab, string> = {
  unassigned: 'Sin asignar',
  ambiguous: 'Ambiguos',
  multiple_orders: 'Varias órdenes',
  awaiting_reply: 'Esperan respuesta',
  notices: 'Avisos',
};
const TAB_COUNTS: Record<InboxViewTab, keyof InboxCounts> = {
  unassigned: 'unassigned',
  ambiguous: 'ambiguous',
  multiple_orders: 'multipleOrders',
  awaiting_reply: 'awaitingReply',
  notices: 'notices',
};
const TAB_HINTS: Record<InboxViewTab, string> = {
  notices: NOTICES_HINT,
  unassigned: 'Números que no coinciden con ningún cliente. Abrí uno, leé sus mensajes y asignalo a un cliente o a una orden.',
  ambiguous: 'Números que comparten varios clientes. Elegí de quién son los mensajes.',
  multiple_orders: 'Clientes con mensajes que ninguna orden tiene (tienen varias órdenes abiertas, o ninguna cuando escribieron). Movelos a la orden que corresponde.',
  awaiting_reply: 'Órdenes cuyo cliente escribió último y nadie le respondió. Primero las que ya cerraron o cierran antes la ventana de 24 h.',
};
export const EMPTY_TAB_TEXT: Record<InboxViewTab, string> = {
  notices: EMPTY_NOTICES,
  unassigned: 'No hay mensajes sin asignar.',
  ambiguous: 'No hay números compartidos pendientes.',
  multiple_orders: 'No hay mensajes fuera de una orden.',
  awaiting_reply: 'Nadie espera respuesta.',
};
const CONVERSATION_TABS: InboxTab[] = ['unassigned', 'ambiguous', 'multiple_orders', 'awaiting_reply'];

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
const button = `inline-flex min-h-10 items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium shadow-sm ${focusRing} disabled:cursor-not-allowed disabled:opacity-60`;
const primary = `${button} bg-emerald-700 text-white hover:bg-emerald-800`;
const secondary = `${button} bg-white text-gray-900 ring-1 ring-gray-300 hover:bg-gray-50`;
const field = `min-h-10 rounded-md border border-gray-300 bg-white px-3 py-2 text-sm text-gray-900 ${focusRing}`;

type Notice = { kind: 'ok' | 'error'; text: string; decision?: TriageDecision | null };

function errorText(error: unknown): string {
  return isWhatsAppApiError(error) ? error.detail : 'Ocurrió un error inesperado. Reintentá en unos segundos.';
}

function conflictDecision(error: unknown): TriageDecision | null {
  if (!isWhatsAppApiError(error) || error.status !== 409) return null;
  const decision = (error.problem as { decision?: TriageDecision | null } | null)?.decision;
  return decision ?? null;
}

function senderLabel(item: InboxSender): string {
  if (item.phone) return formatPhone(item.phone);
  return 'Número oculto (solo ID de WhatsApp)';
}

function customerLabel(name: string | null, id: number): string {
  return name ? `${name} (cliente ${id})` : `cliente ${id} (eliminado)`;
}

/** What a decision did, in one sentence. */
export function describeDecision(d: TriageDecision): string {
  const who = d.decidedBy?.name ?? 'alguien sin identificar';
  const customer = customerLabel(d.customerName, d.customerId);
  const order = d.orderId ? `, orden #${d.orderId}` : '';
  const what =
    d.kind === 'move'
      ? `${messagesLabel(d.messageCount)} movidos a la orden #${d.orderId}`
      : `${d.kind === 'pick_candidate' ? 'Elegido' : 'Asignado a'} ${customer}${order} (${messagesLabel(d.messageCount)})`;
  const via = d.source === 'agent-proposal' ? ', propuesto por el asistente' : '';
  const undone = d.undoneAt
    ? `. Deshecho por ${d.undoneBy?.name ?? 'alguien sin identificar'} el ${formatDateTime(d.undoneAt)}`
    : '';
  return `${what} por ${who} el ${formatDateTime(d.decidedAt)}${via}${undone}.`;
}

function Badge({ count, selected }: { count: number | undefined; selected: boolean }) {
  if (count === undefined) return null;
  return (
    <span
      className={`min-w-6 rounded-full px-1.5 py-0.5 text-center text-xs font-semibold tabular-nums ${
        count ? (selected ? 'bg-emerald-800 text-white' : 'bg-emerald-100 text-emerald-900') : 'bg-gray-100 text-gray-700'
      }`}
    >
      {count}
    </span>
  );
}

function Messages({ messages, name }: { messages: Message[] | null; name?: string }) {
  if (messages === null) return <p className="text-sm text-gray-700">Cargando mensajes…</p>;
  if (!messages.length) return <p className="text-sm text-gray-700">No quedan mensajes pendientes.</p>;
  return (
    <ol className="flex max-h-80 flex-col gap-1 overflow-y-auto rounded-md bg-[#efeae2] p-2" aria-label="Mensajes" tabIndex={0}>
      {messages.map((m) => (
        <li key={m.id}>
          <MessageBubble message={m} customerName={name} />
        </li>
      ))}
    </ol>
  );
}

function History({ decisions, onUndo, busy }: { decisions: TriageDecision[] | null; onUndo: (d: TriageDecision) => void; busy: boolean }) {
  if (!decisions?.length) return null;
  return (
    <div className="flex flex-col gap-1">
      <h4 className="text-sm font-semibold">Decisiones</h4>
      <ul className="flex flex-col gap-1 text-sm">
        {decisions.map((d) => (
          <li key={d.id} className="flex flex-wrap items-center justify-between gap-2 rounded-md bg-gray-50 px-2 py-1 ring-1 ring-gray-200">
            <span className={d.undoneAt ? 'text-gray-700' : ''}>{describeDecision(d)}</span>
            {!d.undoneAt && (
              <button type="button" className={secondary} disabled={busy} onClick={() => onUndo(d)}>
                Deshacer<span className="sr-only"> la decisión {d.id}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface DetailState {
  messages: Message[] | null;
  decisions: TriageDecision[] | null;
  error: string | null;
}

function useSubject(service: WhatsAppService, subject: InboxSubject, version: number): DetailState {
  const [state, setState] = useState<DetailState>({ messages: null, decisions: null, error: null });
  const key = 'sender' in subject ? subject.sender : `c${subject.customerId}`;
  useEffect(() => {
    const abort = new AbortController();
    Promise.all([
      service.inboxMessages(subject, { signal: abort.signal, limit: 200 }),
      service.decisions(subject, { signal: abort.signal }),
    ]).then(
      ([page, history]) => setState({ messages: page.messages, decisions: history.decisions, error: null }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ messages: [], decisions: null, error: errorText(error) });
      },
    );
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `subject` is keyed by `key`
  }, [service, key, version]);
  return state;
}

interface DecideProps {
  service: WhatsAppService;
  busy: boolean;
  decide: (action: () => Promise<unknown>, success: string) => Promise<void>;
  version: number;
}

function SenderDetail({ item, candidates, service, busy, decide, version }: DecideProps & { item: InboxSender; candidates: boolean }) {
  const detail = useSubject(service, { sender: item.sender }, version);
  const [kind, setKind] = useState<'orderId' | 'customerId'>('orderId');
  const [number, setNumber] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const numberId = useId();
  const kindId = useId();
  const errorId = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    const value = Number(number.trim());
    if (!/^\d+$/.test(number.trim()) || value < 1 || value > 2147483647) {
      setInvalid('Escribí un número entero positivo.');
      return;
    }
    setInvalid(null);
    void decide(() => service.assignSender(item.sender, { [kind]: value }), 'Remitente asignado. Sus mensajes ya están con el cliente.');
  }

  return (
    <div className="flex flex-col gap-3 border-t border-gray-200 p-3">
      {item.deletedCustomerId !== null && (
        <p className="rounded-md bg-amber-50 px-2 py-1 text-sm text-amber-900 ring-1 ring-amber-200">
          Cliente eliminado: una persona había asignado este número al cliente {item.deletedCustomerId}, que ya no existe en FastService. Asignalo de nuevo.
        </p>
      )}
      {detail.error && (
        <p role="alert" className="rounded-md bg-red-50 px-2 py-1 text-sm text-red-800">
          {detail.error}
        </p>
      )}
      <Messages messages={detail.messages} />
      {candidates && item.candidates && (
        <div className="flex flex-col gap-2">
          <h4 className="text-sm font-semibold">¿De quién son estos mensajes?</h4>
          <div className="flex flex-wrap gap-2">
            {item.candidates.map((c) => (
              <button
                key={c.customerId}
                type="button"
                className={primary}
                disabled={busy || !c.exists}
                onClick={() =>
                  void decide(() => service.assignSender(item.sender, { customerId: c.customerId }), `Asignado a ${c.name ?? `cliente ${c.customerId}`}.`)
                }
              >
                Es {customerLabel(c.name, c.customerId)}
              </button>
            ))}
          </div>
        </div>
      )}
      {item.proposals.map((p) => (
        <div key={p.id} className="flex flex-col gap-2 rounded-md bg-sky-50 p-2 text-sm text-sky-950 ring-1 ring-sky-200">
          <p>
            El asistente propone que es <strong>{customerLabel(p.customerName, p.customerId)}</strong>
            {p.orderId ? `, orden #${p.orderId}` : ''}
            {p.reason ? `: «${p.reason}»` : '.'}
          </p>
          <div className="flex flex-wrap gap-2">
            <button type="button" className={primary} disabled={busy} onClick={() => void decide(() => service.confirmProposal(p.id), 'Propuesta confirmada.')}>
              Confirmar propuesta
            </button>
            <button type="button" className={secondary} disabled={busy} onClick={() => void decide(() => service.discardProposal(p.id), 'Propuesta descartada.')}>
              Descartar propuesta
            </button>
          </div>
        </div>
      ))}
      <form className="flex flex-wrap items-end gap-2" onSubmit={submit} aria-label="Asignar a un cliente">
        <div className="flex flex-col gap-1">
          <label htmlFor={kindId} className="text-sm font-medium">
            Asignar por
          </label>
          <select id={kindId} className={field} value={kind} onChange={(e) => setKind(e.target.value as 'orderId' | 'customerId')}>
            <option value="orderId">Número de orden</option>
            <option value="customerId">Número de cliente</option>
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor={numberId} className="text-sm font-medium">
            {kind === 'orderId' ? 'Orden' : 'Cliente'}
          </label>
          <input
            id={numberId}
            className={`${field} w-32`}
            inputMode="numeric"
            autoComplete="off"
            value={number}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? errorId : undefined}
            onChange={(e) => setNumber(e.target.value)}
          />
        </div>
        <button type="submit" className={primary} disabled={busy}>
          Asignar
        </button>
        {invalid && (
          <p id={errorId} className="basis-full text-sm text-red-800">
            {invalid}
          </p>
        )}
      </form>
      <History decisions={detail.decisions} busy={busy} onUndo={(d) => void decide(() => service.undoDecision(d.id), 'Decisión deshecha.')} />
    </div>
  );
}

function CustomerDetail({ item, service, busy, decide, version }: DecideProps & { item: InboxCustomer }) {
  const detail = useSubject(service, { customerId: item.customerId }, version);
  const messages = detail.messages ?? [];
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [order, setOrder] = useState(item.openOrders[0] ? String(item.openOrders[0].orderId) : '');
  const ids = { from: useId(), to: useId(), order: useId() };
  const first = from || (messages[0] ? String(messages[0].id) : '');
  const option = (m: Message) => `${formatDateTime(m.timestamp)} · ${(m.text ?? m.media?.fileName ?? m.type).slice(0, 40)}`;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!first || !/^\d+$/.test(order)) return;
    void decide(
      () =>
        service.moveMessages({
          customerId: item.customerId,
          orderId: Number(order),
          fromMessageId: Number(first),
          toMessageId: to ? Number(to) : null,
        }),
      `Mensajes movidos a la orden #${order}.`,
    );
  }

  return (
    <div className="flex flex-col gap-3 border-t border-gray-200 p-3">
      {detail.error && (
        <p role="alert" className="rounded-md bg-red-50 px-2 py-1 text-sm text-red-800">
          {detail.error}
        </p>
      )}
      <Messages messages={detail.messages} name={item.customerName ?? undefined} />
      {messages.length > 0 && (
        <form className="grid gap-2 sm:grid-cols-3" onSubmit={submit} aria-label="Mover mensajes a una orden">
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={ids.from} className="text-sm font-medium">
              Desde el mensaje
            </label>
            <select id={ids.from} className={field} value={first} onChange={(e) => setFrom(e.target.value)}>
              {messages.map((m) => (
                <option key={m.id} value={m.id}>
                  {option(m)}
                </option>
              ))}
            </select>
          </div>
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={ids.to} className="text-sm font-medium">
              Hasta
            </label>
            <select id={ids.to} className={field} value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Hasta el último</option>
              {messages.map((m) => (
                <option key={m.id} value={m.id}>
                  {option(m)}
                </option>
              ))}
            </select>
          </div>
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={ids.order} className="text-sm font-medium">
              A la orden
            </label>
            <select id={ids.order} className={field} value={order} onChange={(e) => setOrder(e.target.value)}>
              {!item.openOrders.length && <option value="">Sin órdenes abiertas</option>}
              {item.openOrders.map((o) => (
                <option key={o.orderId} value={o.orderId}>
                  #{o.orderId} (creada {formatDateTime(o.createdAt)})
                </option>
              ))}
            </select>
          </div>
          <div className="sm:col-span-3">
            <button type="submit" className={primary} disabled={busy || !order}>
              Mover a la orden{order ? ` #${order}` : ''}
            </button>
          </div>
        </form>
      )}
      <History decisions={detail.decisions} busy={busy} onUndo={(d) => void decide(() => service.undoDecision(d.id), 'Decisión deshecha.')} />
    </div>
  );
}

function WindowChip({ item }: { item: InboxAwaiting }) {
  return item.windowOpen ? (
    <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs text-emerald-900 ring-1 ring-emerald-200">
      Ventana abierta: cierra en {remainingLabel(item.secondsLeft)}
    </span>
  ) : (
    <span className="rounded-full bg-amber-50 px-2 py-0.5 text-xs text-amber-900 ring-1 ring-amber-200">Ventana de 24 h cerrada: solo plantillas</span>
  );
}

function Row({ title, meta, preview, children }: { title: ReactNode; meta: ReactNode; preview: string; children?: ReactNode }) {
  return (
    <>
      <span className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
        <span className="font-medium">{title}</span>
        <span className="text-xs text-gray-700">{meta}</span>
      </span>
      <span className="line-clamp-2 text-sm text-gray-700">{preview}</span>
      {children}
    </>
  );
}

interface TabState<T extends InboxTab> {
  /** The tab these items belong to (a switch renders nothing of the previous tab's items). */
  tab: T;
  items: InboxItems[T][];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
}

export function WhatsAppInboxView({
  service: given,
  baseUrl = '',
  getAccessToken,
  functionKey = null,
  orderHref,
  initialTab = 'unassigned',
  pageSize = 20,
  className = '',
}: WhatsAppInboxProps) {
  const service = useMemo(
    () => given ?? createWhatsAppService({ baseUrl, getAccessToken, functionKey }),
    [given, baseUrl, getAccessToken, functionKey],
  );
  // «Avisos» only where the service speaks issue 18's inbox endpoints
  const TABS: InboxViewTab[] = service.listInboxNotices ? [...CONVERSATION_TABS, 'notices'] : CONVERSATION_TABS;
  const [tab, setTab] = useState<InboxViewTab>(TABS.includes(initialTab) ? initialTab : 'unassigned');
  const [counts, setCounts] = useState<InboxCounts | null>(null);
  const [list, setList] = useState<TabState<InboxTab>>({ tab: tab === 'notices' ? 'unassigned' : tab, items: [], nextCursor: null, loading: true, error: null });
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [version, setVersion] = useState(0);
  const headingId = useId();
  const tabIds = useId();
  const tabRefs = useRef<Partial<Record<InboxViewTab, HTMLButtonElement | null>>>({});

  const refreshCounts = useCallback(
    (signal?: AbortSignal) => {
      service.inboxCounts({ signal }).then(setCounts, () => {});
    },
    [service],
  );

  const load = useCallback(
    (cursor: string | null, signal?: AbortSignal) => {
      if (tab === 'notices') {
        // the tab lists its own two lists (InboxNotices); the counts still come from here
        setList({ tab: 'unassigned', items: [], nextCursor: null, loading: false, error: null });
        refreshCounts(signal);
        return;
      }
      setList((s) => ({ ...s, loading: true, error: null }));
      service.listInbox(tab, { cursor, limit: pageSize, signal }).then(
        (page) =>
          setList((s) => ({ tab, items: cursor ? [...s.items, ...page.items] : page.items, nextCursor: page.nextCursor, loading: false, error: null })),
        (error: unknown) => {
          if (!isAbortError(error)) setList((s) => ({ ...s, loading: false, error: errorText(error) }));
        },
      );
      refreshCounts(signal);
    },
    [service, tab, pageSize, refreshCounts],
  );

  useEffect(() => {
    const abort = new AbortController();
    if (tab !== 'notices') setList({ tab, items: [], nextCursor: null, loading: true, error: null });
    load(null, abort.signal);
    return () => abort.abort();
  }, [load, version, tab]);

  const decide = useCallback(async (action: () => Promise<unknown>, success: string) => {
    setBusy(true);
    setNotice(null);
    try {
      await action();
      setNotice({ kind: 'ok', text: success });
      setOpen(null); // what was decided leaves the list
    } catch (error) {
      setNotice({ kind: 'error', text: errorText(error), decision: conflictDecision(error) });
    } finally {
      setBusy(false);
      setVersion((v) => v + 1);
    }
  }, []);

  function onTabKey(e: React.KeyboardEvent) {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const index = TABS.indexOf(tab);
    const next = e.key === 'Home' ? TABS[0] : e.key === 'End' ? TABS[TABS.length - 1] : TABS[(index + step + TABS.length) % TABS.length];
    if (!next) return;
    selectTab(next);
    tabRefs.current[next]?.focus();
  }

  function selectTab(next: InboxViewTab) {
    setTab(next);
    setOpen(null);
    setNotice(null);
  }

  const decideProps = { service, busy, decide, version };
  const items = list.tab === tab ? list.items : [];
  const onNotices = tab === 'notices';

  function renderItem(item: InboxItems[InboxTab]): ReactNode {
    if (list.tab === 'awaiting_reply') {
      const a = item as InboxAwaiting;
      return (
        <li key={a.orderId} className="rounded-lg bg-white p-3 ring-1 ring-gray-200">
          <Row
            title={`${a.customer || 'Cliente sin nombre'} · orden #${a.orderId}${a.orderOpen ? '' : ' (cerrada)'}`}
            meta={`Escribió el ${formatDateTime(a.waitingSince)}`}
            preview={a.lastMessage.text}
          >
            <span className="mt-1 flex flex-wrap items-center gap-2">
              <WindowChip item={a} />
              {orderHref && (
                <a className={`text-sm font-medium text-emerald-800 underline ${focusRing}`} href={orderHref(a.orderId)}>
                  Abrir la orden #{a.orderId}
                </a>
              )}
            </span>
          </Row>
        </li>
      );
    }
    const key = tab === 'multiple_orders' ? `c${(item as InboxCustomer).customerId}` : (item as InboxSender).sender;
    const expanded = open === key;
    const detailId = `${tabIds}-detail-${key.replace(/[^a-zA-Z0-9]/g, '')}`;
    let title: string;
    let meta: string;
    if (tab === 'multiple_orders') {
      const c = item as InboxCustomer;
      title = customerLabel(c.customerName, c.customerId);
      const orders = c.openOrders.length;
      meta = `${messagesLabel(c.messageCount)} · ${orders === 0 ? 'sin órdenes abiertas' : orders === 1 ? '1 orden abierta' : `${orders} órdenes abiertas`}`;
    } else {
      const s = item as InboxSender;
      title = senderLabel(s);
      const extra = s.candidates ? ` · ${s.candidates.length} clientes` : '';
      const proposals = s.proposals.length ? ' · propuesta del asistente' : '';
      meta = `${messagesLabel(s.messageCount)}${extra}${proposals}`;
    }
    return (
      <li key={key} className="overflow-hidden rounded-lg bg-white ring-1 ring-gray-200">
        <button
          type="button"
          aria-expanded={expanded}
          aria-controls={detailId}
          onClick={() => setOpen(expanded ? null : key)}
          className={`flex w-full flex-col gap-1 p-3 text-start hover:bg-gray-50 ${focusRing}`}
        >
          <Row title={title} meta={`${meta} · ${formatDateTime(item.lastMessage.at)}`} preview={item.lastMessage.text} />
        </button>
        <div id={detailId} hidden={!expanded}>
          {expanded &&
            (tab === 'multiple_orders' ? (
              <CustomerDetail item={item as InboxCustomer} {...decideProps} />
            ) : (
              <SenderDetail item={item as InboxSender} candidates={tab === 'ambiguous'} {...decideProps} />
            ))}
        </div>
      </li>
    );
  }

  return (
    <section aria-labelledby={headingId} className={`flex flex-col gap-3 rounded-xl bg-gray-50 p-3 ring-1 ring-gray-200 sm:p-4 ${className}`}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          Bandeja de WhatsApp
        </h2>
        <button
          type="button"
          className={secondary}
          onClick={() => {
            setOpen(null);
            setNotice(null);
            setVersion((v) => v + 1);
          }}
          disabled={list.loading}
        >
          Actualizar
        </button>
      </div>
      <div role="tablist" aria-label="Bandeja de WhatsApp" className="flex flex-wrap gap-1" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t}
            ref={(el) => {
              tabRefs.current[t] = el;
            }}
            type="button"
            role="tab"
            id={`${tabIds}-tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`${tabIds}-panel`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => selectTab(t)}
            className={`inline-flex min-h-10 items-center gap-2 rounded-md px-3 py-2 text-sm font-medium ${focusRing} ${
              tab === t ? 'bg-emerald-700 text-white' : 'bg-white text-gray-900 ring-1 ring-gray-300 hover:bg-gray-100'
            }`}
          >
            {TAB_LABELS[t]}
            <Badge count={counts?.[TAB_COUNTS[t]]} selected={tab === t} />
          </button>
        ))}
      </div>
      <div role="status" aria-live="polite" className="empty:hidden">
        {notice && (
          <div
            className={`rounded-md px-3 py-2 text-sm ring-1 ${
              notice.kind === 'ok' ? 'bg-emerald-50 text-emerald-900 ring-emerald-200' : 'bg-red-50 text-red-800 ring-red-200'
            }`}
          >
            <p>{notice.text}</p>
            {notice.decision && <p className="mt-1">Decisión vigente: {describeDecision(notice.decision)}</p>}
          </div>
        )}
      </div>
      <div role="tabpanel" id={`${tabIds}-panel`} aria-labelledby={`${tabIds}-tab-${tab}`} aria-busy={list.loading} className="flex flex-col gap-2">
        <p className="text-sm text-gray-700">{TAB_HINTS[tab]}</p>
        {onNotices && <InboxNotices service={service} orderHref={orderHref} pageSize={pageSize} version={version} onChange={() => refreshCounts()} />}
        {list.error && (
          <div role="alert" className="flex flex-wrap items-center gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
            <span>{list.error}</span>
            <button type="button" className={secondary} onClick={() => setVersion((v) => v + 1)}>
              Reintentar
            </button>
          </div>
        )}
        {!onNotices && !list.error && !list.loading && !items.length && <p className="rounded-lg bg-white p-3 text-sm text-gray-700 ring-1 ring-gray-200">{EMPTY_TAB_TEXT[tab]}</p>}
        {!onNotices && list.loading && !items.length && !list.error && <p className="text-sm text-gray-700">Cargando…</p>}
        {!onNotices && items.length > 0 && <ul className="flex flex-col gap-2">{items.map(renderItem)}</ul>}
        {!onNotices && list.nextCursor && list.tab === tab && (
          <button type="button" className={`${secondary} self-center`} disabled={list.loading} onClick={() => load(list.nextCursor)}>
            {list.loading ? 'Cargando…' : 'Ver más'}
          </button>
        )}
      </div>
    </section>
  );
}
