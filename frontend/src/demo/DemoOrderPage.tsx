/**
 * A stand-in for FastService's order details screen: pick a demo order, see its
 * card and the WhatsApp panel. URL parameters: `order` (ReparacionId), `key`
 * (function key: DEMO ONLY, never in FastService), `signin` (`demo`, the default: signed in as a
 * demo staff member through the local runner; `off`: signed out), `staff` (`ana`, the default, or
 * `bruno`), `token` (a staff token; see demoAuth.ts), `poll` (poll interval in ms), `limit` (messages
 * per page), `api` (API origin; same origin by default).
 */
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { DEMO_STAFF, demoStaffName, demoTokenSource } from './demoAuth';
import { WhatsAppPanel } from '../components/WhatsApp/WhatsAppPanel';
import { DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL_MS } from '../hooks/useWhatsAppMessages';
import { DEMO_ORDERS } from './demoOrders';

interface PageParams {
  orderId: number;
  functionKey: string;
  pollIntervalMs: number;
  pageSize: number;
  baseUrl: string;
  token: string;
  signin: string;
  staff: string;
}

export function readParams(search: string): PageParams {
  const query = new URLSearchParams(search);
  const order = Number(query.get('order'));
  const poll = Number(query.get('poll'));
  const limit = Number(query.get('limit'));
  return {
    orderId: Number.isInteger(order) && order > 0 ? order : 1,
    functionKey: query.get('key') ?? '',
    pollIntervalMs: query.has('poll') && Number.isFinite(poll) && poll >= 0 ? poll : DEFAULT_POLL_INTERVAL_MS,
    pageSize: Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_PAGE_SIZE,
    baseUrl: query.get('api') ?? '',
    token: query.get('token') ?? '',
    signin: query.get('signin') || 'demo',
    staff: (query.get('staff') ?? '').trim().toLowerCase(),
  };
}

function writeParams(orderId: number, functionKey: string, staff: string): void {
  const url = new URL(window.location.href);
  url.searchParams.set('order', String(orderId));
  if (staff) url.searchParams.set('staff', staff);
  url.searchParams.delete('token'); // read once; a token does not belong in the address bar
  if (functionKey) url.searchParams.set('key', functionKey);
  else url.searchParams.delete('key');
  window.history.replaceState(null, '', url);
}

/** The demo's header: FastService's name, its two WhatsApp pages (order screen, inbox) and the session. */
export function DemoHeader({ current, children }: { current: 'orders' | 'inbox'; children: ReactNode }) {
  const link = (active: boolean) =>
    `rounded px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white ${
      active ? 'bg-slate-700 font-medium text-white' : 'text-slate-200 underline hover:text-white'
    }`;
  return (
    <header className="bg-slate-900 text-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-3">
        <p className="text-lg font-semibold tracking-tight">
          FastService <span className="font-normal text-slate-300">· Órdenes de reparación</span>
        </p>
        <nav aria-label="Demo" className="flex flex-wrap items-center gap-2">
          <a href="/" className={link(current === 'orders')} aria-current={current === 'orders' ? 'page' : undefined}>
            Órdenes
          </a>
          <a href="/inbox" className={link(current === 'inbox')} aria-current={current === 'inbox' ? 'page' : undefined}>
            Bandeja de WhatsApp
          </a>
        </nav>
        {children}
      </div>
    </header>
  );
}

/** Who the demo session is, and the button to switch to the other demo staff member. */
export function DemoSession({ token, signedIn, current, other, onSwitch }: {
  token: boolean;
  signedIn: boolean;
  current: string;
  other: { name: string };
  onSwitch: () => void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      {token ? (
        <p className="text-slate-200">Sesión con el token de la dirección</p>
      ) : signedIn ? (
        <>
          <p className="text-slate-200" data-testid="demo-session">
            Sesión de demo: <strong className="font-semibold text-white">{current}</strong>
          </p>
          <button
            type="button"
            className="min-h-8 rounded-md border border-slate-500 px-2 py-1 text-xs text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white"
            onClick={onSwitch}
          >
            Entrar como {other.name}
          </button>
        </>
      ) : (
        <p className="text-slate-200" data-testid="demo-session">
          Sin sesión (demo)
        </p>
      )}
      <span className="rounded bg-slate-700 px-2 py-0.5 text-xs text-slate-200">Demo</span>
    </div>
  );
}

const field =
  'min-h-10 w-full rounded-md border border-gray-300 bg-white px-3 py-2 text-sm text-gray-900 shadow-sm focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-600';

export function DemoOrderPage() {
  const [initial] = useState(() => readParams(window.location.search));
  const [orderId, setOrderId] = useState(initial.orderId);
  const [functionKey, setFunctionKey] = useState(initial.functionKey);
  // The key is applied on blur or Enter, not on every keystroke (each change reloads the panel).
  const [keyDraft, setKeyDraft] = useState(initial.functionKey);
  const selectId = useId();
  const keyId = useId();
  const known = DEMO_ORDERS.find((o) => o.id === orderId);
  // Who the demo session is: switching asks the runner for the other demo staff member's token.
  const [staffUser, setStaffUser] = useState(initial.staff);
  const signedIn = Boolean(initial.token) || initial.signin === 'demo';
  const getAccessToken = useMemo(() => demoTokenSource({ ...initial, staff: staffUser }), [initial, staffUser]);
  const current = demoStaffName(staffUser);
  const other = DEMO_STAFF.find((s) => s.name !== current) ?? DEMO_STAFF[0];

  useEffect(() => writeParams(orderId, functionKey, staffUser), [orderId, functionKey, staffUser]);

  return (
    <div className="min-h-screen bg-gray-100 text-gray-900">
      <DemoHeader current="orders">
        <DemoSession
          token={Boolean(initial.token)}
          signedIn={signedIn}
          current={current}
          other={other}
          onSwitch={() => setStaffUser(other.user)}
        />
      </DemoHeader>

      <main className="mx-auto flex max-w-6xl flex-col gap-4 px-3 py-4 sm:px-4">
        <form
          className="grid gap-3 rounded-xl border border-gray-200 bg-white p-3 shadow-sm sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)] sm:p-4"
          onSubmit={(e) => {
            e.preventDefault();
            setFunctionKey(keyDraft.trim());
          }}
          aria-label="Elegir orden de demostración"
        >
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={selectId} className="text-sm font-medium">
              Orden de demostración
            </label>
            <select
              id={selectId}
              className={field}
              value={orderId}
              onChange={(e) => setOrderId(Number(e.target.value))}
            >
              {!known && <option value={orderId}>Orden #{orderId}</option>}
              {DEMO_ORDERS.map((o) => (
                <option key={o.id} value={o.id}>
                  #{o.id} · {o.customer}
                  {o.closed ? ' (cerrada)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={keyId} className="text-sm font-medium">
              Clave de función <span className="font-normal text-gray-600">(solo demo, opcional)</span>
            </label>
            <input
              id={keyId}
              type="password"
              autoComplete="off"
              className={field}
              value={keyDraft}
              onChange={(e) => setKeyDraft(e.target.value)}
              onBlur={() => setFunctionKey(keyDraft.trim())}
              placeholder="x-functions-key"
            />
          </div>
        </form>

        <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)]">
          <article
            aria-labelledby="order-title"
            className="rounded-xl border border-gray-200 bg-white p-3 shadow-sm sm:p-4"
          >
            <div className="flex flex-wrap items-center justify-between gap-2">
              <h1 id="order-title" className="text-xl font-semibold">
                Orden #{orderId}
              </h1>
              {known && (
                <span
                  className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${
                    known.closed
                      ? 'bg-gray-100 text-gray-700 ring-gray-300'
                      : 'bg-sky-50 text-sky-800 ring-sky-200'
                  }`}
                >
                  {known.closed ? 'Cerrada' : 'Abierta'}
                </span>
              )}
            </div>
            <dl className="mt-3 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-sm">
              <dt className="text-gray-600">Cliente</dt>
              <dd className="font-medium">{known?.customer ?? '—'}</dd>
              <dt className="text-gray-600">Ticket</dt>
              <dd className="tabular-nums">{orderId}</dd>
              <dt className="text-gray-600">Caso de prueba</dt>
              <dd className="text-gray-700">{known?.note ?? 'Orden fuera de la lista de demostración.'}</dd>
            </dl>
          </article>

          <WhatsAppPanel
            orderId={orderId}
            baseUrl={initial.baseUrl}
            key={staffUser /* another staff member: a fresh panel, nothing of the previous session kept */}
            getAccessToken={getAccessToken}
            functionKey={functionKey || null /* DEMO ONLY: FastService passes getAccessToken, never a key */}
            pollIntervalMs={initial.pollIntervalMs}
            pageSize={initial.pageSize}
          />
        </div>
      </main>
    </div>
  );
}
