/**
 * "Avisos" (issue 18): what the order's customer agreed to, the notifications staff can send with one
 * click, and the customer's taps on the quote's buttons.
 *
 * - Consent comes first because it decides everything else: notifications go only to a customer who
 *   accepted them, and Meta requires a record of how. "Registrar consentimiento" asks how it was given
 *   ("En el mostrador") and records `opted_in` with that evidence; the signed-in staff member is the
 *   author (the server knows who). A customer who asked for BAJA is not re-subscribed by a stray click:
 *   the action only appears after staff confirm the customer asked to receive notifications again.
 * - "Registrar baja" records the customer's opt-out (how they asked) after a confirmation step ("El cliente
 *   no va a recibir más avisos"); the block then shows who recorded it and when.
 * - An offered notification is one press of "Enviar aviso". The button is held while the request runs;
 *   the server makes a second press answer the same send anyway, so nothing goes out twice. While the
 *   customer has not agreed (or asked for BAJA) the button is replaced by why it cannot go: the server
 *   refuses such a send too. «No enviar» asks once more, then records the dismissal (who and when): the
 *   notice is never offered again. The inbox's «Avisos» tab lists the same offers across orders.
 * - Quote taps are shown as the novedad they became ("Presupuesto aceptado por WhatsApp — $ 85.000").
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { isAbortError, WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import type { Consent, NotificationSent, OrderNotification, OrderNotifications, QuoteReply } from '../../types/whatsapp';
import { PURPOSE_NAMES } from './Composer';
import { formatDateTime } from './format';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
const buttonBase = `inline-flex min-h-8 items-center justify-center rounded-md px-3 text-xs font-semibold ${focusRing}`;
const primaryButton = `${buttonBase} bg-emerald-700 text-white hover:bg-emerald-800 disabled:cursor-not-allowed disabled:bg-gray-500`;
const secondaryButton = `${buttonBase} bg-white text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50 disabled:cursor-not-allowed disabled:text-gray-600`;

export const NOTICES_TITLE = 'Avisos';
export const CONSENT_LABELS = {
  opted_in: 'Aceptó avisos por WhatsApp',
  opted_out: 'Pidió no recibir más avisos (BAJA)',
  unknown: 'Sin consentimiento registrado',
} as const;
export const EVIDENCE_REQUIRED = 'Escribí cómo lo dio el cliente (por ejemplo, «En el mostrador»).';
const EVIDENCE_MAX = 500;

const NOTICE_NAMES: Record<string, string> = {
  ...PURPOSE_NAMES,
  presupuestado: 'Presupuesto listo',
  presupuesto_vencido: 'Presupuesto ya no vigente (respuesta)',
};

/** "Presupuesto listo"; the purpose with spaces when it has no name. */
export function noticeTitle(n: Pick<OrderNotification, 'purpose' | 'kind'>): string {
  return NOTICE_NAMES[n.purpose] ?? n.purpose.replace(/_/g, ' ');
}

/** "$ 85.000" or "$ 85.000,50" (es-AR; a plain space so it reads and matches the same everywhere). */
export function formatAmount(amount: number): string {
  const whole = Number.isInteger(amount);
  const number = new Intl.NumberFormat('es-AR', {
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: whole ? 0 : 2,
  }).format(amount);
  return `$ ${number}`;
}

/** The consent's details in a sentence: who and when, and how it was given. */
export function consentDetail(consent: Consent): string {
  const when = consent.at ? formatDateTime(consent.at) : '';
  const parts: string[] = [];
  if (consent.state === 'unknown') return 'No se le mandan avisos hasta que registres cómo los aceptó.';
  if (consent.source === 'whatsapp') parts.push(when ? `Por WhatsApp el ${when}` : 'Por WhatsApp');
  else if (consent.by) parts.push(when ? `Registró ${consent.by} el ${when}` : `Registró ${consent.by}`);
  else if (consent.source === 'import') parts.push(when ? `Importado el ${when}` : 'Importado');
  else if (when) parts.push(`El ${when}`);
  if (consent.evidence) parts.push(`«${consent.evidence}»`);
  if (consent.state === 'opted_out') parts.push('No le mandamos avisos');
  return parts.join(' · ');
}

/** A non-offered notification's state in Spanish. */
export function noticeState(n: OrderNotification): string {
  switch (n.state) {
    case 'sent':
      if (n.sendState === 'failed') return 'No se pudo enviar';
      return n.decidedBy ? `Enviado por ${n.decidedBy}` : 'Enviado';
    case 'skipped':
      if (n.decidedBy) return `No se envió: lo descartó ${n.decidedBy}`;
      return n.reason ? `No se envió: ${n.reason}` : 'No se envió';
    case 'held_quiet_hours':
      return n.dueAt ? `En espera por el horario de descanso: sale el ${formatDateTime(n.dueAt)}` : 'En espera por el horario de descanso';
    case 'queued':
      return n.dueAt ? `Programado para el ${formatDateTime(n.dueAt)}` : 'Programado';
    case 'superseded':
      return 'Reemplazado por un cambio más nuevo';
    default:
      return 'Para enviar';
  }
}

/** What a press of "Enviar aviso" did, in Spanish. */
export function sendResultText(result: NotificationSent): { ok: boolean; text: string } {
  const { send } = result;
  switch (send?.state) {
    case 'sent':
      return { ok: true, text: 'Aviso enviado.' };
    case 'pending':
    case 'sending':
      return { ok: true, text: 'Aviso en camino: lo estamos enviando.' };
    case 'failed':
      return { ok: false, text: `No se pudo enviar el aviso: ${send.reason ?? 'probá de nuevo en unos minutos.'}` };
    default:
      return { ok: false, text: `No sabemos si el aviso llegó: ${send?.reason ?? 'revisá la conversación en unos minutos.'}` };
  }
}

function quoteTapText(tap: QuoteReply): string {
  const amount = tap.amount === null ? '' : ` — ${formatAmount(tap.amount)}`;
  if (tap.outcome === 'outdated') {
    const what = tap.decision === 'rejected' ? 'rechazó' : 'aceptó';
    return `El cliente ${what} un presupuesto que ya no está vigente${amount}`;
  }
  return `${tap.decision === 'rejected' ? 'Presupuesto rechazado' : 'Presupuesto aceptado'} por WhatsApp${amount}`;
}

const newestFirst = (a: { at?: string | null; createdAt?: string | null; id: number }, b: typeof a) =>
  (b.at ?? b.createdAt ?? '').localeCompare(a.at ?? a.createdAt ?? '') || b.id - a.id;

const RECENT = 3;
const NO_CONSENT: Consent = { state: 'unknown', source: null, at: null, by: null, evidence: null };

/** The answer with every list and the consent present: an odd answer must not take the whole panel down. */
export function normalize(answer: Partial<OrderNotifications> | null | undefined, orderId: number): OrderNotifications {
  const consent = answer?.consent;
  return {
    orderId: answer?.orderId ?? orderId,
    consent: consent && consent.state in CONSENT_LABELS ? consent : NO_CONSENT,
    notifications: Array.isArray(answer?.notifications) ? answer.notifications : [],
    quoteReplies: Array.isArray(answer?.quoteReplies) ? answer.quoteReplies : [],
  };
}

export interface NotificationsBlockProps {
  orderId: number;
  service: WhatsAppService;
  /** Look again this often while the page is visible (0 = never). */
  pollIntervalMs?: number;
}

export function NotificationsBlock({ orderId, service, pollIntervalMs = 0 }: NotificationsBlockProps) {
  const headingId = useId();
  const [data, setData] = useState<OrderNotifications | null>(null);
  const [loadError, setLoadError] = useState<WhatsAppApiError | null>(null);
  const [sendingId, setSendingId] = useState<number | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const resultRef = useRef<HTMLParagraphElement>(null);
  const gen = useRef(0);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (!service.listNotifications) return;
      const mine = ++gen.current;
      try {
        const answer = await service.listNotifications(orderId, { signal });
        if (mine !== gen.current) return;
        setData(normalize(answer, orderId));
        setLoadError(null);
      } catch (error) {
        if (mine !== gen.current || isAbortError(error)) return;
        setLoadError(error instanceof WhatsAppApiError ? error : new WhatsAppApiError(0, 'No se pudieron cargar los avisos.'));
      }
    },
    [service, orderId],
  );

  useEffect(() => {
    setData(null);
    setLoadError(null);
    setResult(null);
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  useEffect(() => {
    if (!pollIntervalMs || pollIntervalMs <= 0 || loadError?.unauthorized || loadError?.status === 404) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, pollIntervalMs);
    return () => clearInterval(timer);
  }, [pollIntervalMs, load, loadError?.unauthorized, loadError?.status]);

  // One press on an offered notification («Enviar aviso» or «No enviar»): held while it runs, then what happened.
  const decide = useCallback(
    async (notification: OrderNotification, run: (() => Promise<{ ok: boolean; text: string }>) | null, failure: string) => {
      if (!run || sendingId !== null) return;
      setSendingId(notification.id);
      setResult(null);
      let outcome: { ok: boolean; text: string };
      try {
        outcome = await run();
      } catch (error) {
        outcome = { ok: false, text: `${failure}: ${error instanceof WhatsAppApiError ? error.detail : 'probá de nuevo en unos minutos.'}` };
      }
      setSendingId(null);
      setResult(outcome);
      await load();
      // the pressed button is gone (or held): keep the keyboard here, on what happened
      resultRef.current?.focus();
    },
    [sendingId, load],
  );
  const send = (n: OrderNotification) =>
    decide(
      n,
      service.sendNotification ? async () => sendResultText(await service.sendNotification!(orderId, n.id)) : null,
      'No se envió el aviso',
    );
  const dismiss = (n: OrderNotification) =>
    decide(
      n,
      service.dismissNotification
        ? async () => {
            await service.dismissNotification!(orderId, n.id);
            return { ok: true, text: 'Aviso descartado: no se le va a enviar.' };
          }
        : null,
      'No se descartó el aviso',
    );

  if (!service.listNotifications) return null;
  // Nothing until the first answer: a block that appears and then goes (a server without issue 18
  // answers 404) would move the conversation under the reader's eyes.
  if (!data && !loadError) return null;
  if (loadError?.status === 404) return null;

  const offered = data ? data.notifications.filter((n) => n.state === 'offered') : [];
  const recent = data
    ? data.notifications
        .filter((n) => n.state !== 'offered' && n.state !== 'superseded')
        .sort(newestFirst)
        .slice(0, RECENT)
    : [];
  const taps = data
    ? data.quoteReplies
        .filter((t) => t.outcome === 'recorded' || t.outcome === 'outdated')
        .sort(newestFirst)
        .slice(0, RECENT)
    : [];

  return (
    <section aria-labelledby={headingId} className="rounded-lg bg-white px-3 py-2 ring-1 ring-gray-200" data-testid="notices">
      <h3 id={headingId} className="text-sm font-semibold text-gray-900">
        {NOTICES_TITLE}
      </h3>

      {loadError && (
        <div role="alert" className="mt-1 flex flex-wrap items-center gap-2 text-xs text-red-800">
          <span className="min-w-0 [overflow-wrap:anywhere]">No se pudieron cargar los avisos: {loadError.detail}</span>
          <button type="button" onClick={() => void load()} className={secondaryButton}>
            Reintentar
          </button>
        </div>
      )}

      {data && (
        <>
          <ConsentLine
            key={orderId}
            consent={data.consent}
            record={
              service.recordConsent
                ? async (state, evidence) => {
                    const answer = await service.recordConsent!(orderId, { state, evidence });
                    gen.current++; // an older GET still on its way must not undo this
                    setData(normalize(answer, orderId));
                  }
                : null
            }
          />

          {offered.length > 0 && (
            <ul className="mt-2 flex flex-col gap-1.5" aria-label="Avisos para enviar">
              {offered.map((n) => (
                <OfferedItem
                  key={n.id}
                  notification={n}
                  sending={sendingId === n.id}
                  busy={sendingId !== null}
                  onSend={send}
                  onDismiss={service.dismissNotification ? dismiss : null}
                  blocked={n.kind !== 'quote_outdated' ? blockedBy(data.consent) : null}
                />
              ))}
            </ul>
          )}

          <p
            ref={resultRef}
            tabIndex={-1}
            role="status"
            aria-live="polite"
            data-testid="notice-result"
            className={result ? `mt-1.5 rounded-md px-2 py-1 text-xs font-medium outline-none ${result.ok ? 'bg-emerald-50 text-emerald-900' : 'bg-red-50 text-red-800'}` : 'sr-only'}
          >
            {result?.text}
          </p>

          {recent.length > 0 && (
            <ul className="mt-2 flex flex-col gap-0.5 text-xs text-gray-700" aria-label="Avisos recientes">
              {recent.map((n) => (
                <li key={n.id} className="[overflow-wrap:anywhere]">
                  <span className="font-medium text-gray-900">{noticeTitle(n)}</span>: {noticeState(n)}
                  {n.createdAt && (
                    <>
                      {' · '}
                      <time dateTime={n.createdAt}>{formatDateTime(n.createdAt)}</time>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}

          {taps.length > 0 && (
            <ul className="mt-2 flex flex-col gap-0.5 text-xs" aria-label="Respuestas al presupuesto">
              {taps.map((t) => (
                <li key={t.id} className="[overflow-wrap:anywhere]">
                  <span className={`font-semibold ${t.outcome === 'outdated' ? 'text-amber-900' : t.decision === 'rejected' ? 'text-red-800' : 'text-emerald-800'}`}>
                    {quoteTapText(t)}
                  </span>
                  {t.at && (
                    <span className="text-gray-700">
                      {' · '}
                      <time dateTime={t.at}>{formatDateTime(t.at)}</time>
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}

          {offered.length === 0 && recent.length === 0 && taps.length === 0 && (
            <p className="mt-1 text-xs text-gray-600">No hay avisos para esta orden.</p>
          )}
        </>
      )}
    </section>
  );
}

/** Why an offered notification cannot go to this customer now (the server refuses it the same way). */
export function blockedBy(consent: Consent): string | null {
  if (consent.state === 'opted_out') return 'No se puede enviar: el cliente pidió no recibir más avisos (baja).';
  if (consent.state === 'unknown') return 'No se puede enviar todavía: registrá primero cómo aceptó los avisos.';
  return null;
}

function OfferedItem({
  notification,
  sending,
  busy,
  onSend,
  onDismiss,
  blocked,
}: {
  notification: OrderNotification;
  sending: boolean;
  busy: boolean;
  onSend: (n: OrderNotification) => void;
  onDismiss: ((n: OrderNotification) => void) | null;
  blocked: string | null;
}) {
  const titleId = useId();
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  return (
    <li className="flex flex-wrap items-center justify-between gap-x-2 gap-y-1 rounded-md bg-emerald-50 px-2 py-1.5 ring-1 ring-emerald-200">
      <span id={titleId} className="min-w-0 text-xs text-gray-800 [overflow-wrap:anywhere]">
        <span className="font-semibold text-gray-900">{noticeTitle(notification)}</span>
        {notification.kind === 'reminder' ? ' (recordatorio)' : ''}
        {notification.createdAt && (
          <>
            {' · listo desde el '}
            <time dateTime={notification.createdAt}>{formatDateTime(notification.createdAt)}</time>
          </>
        )}
      </span>
      {blocked && (
        <span className="basis-full text-xs font-medium text-red-800 [overflow-wrap:anywhere]" data-testid="notice-blocked">
          {blocked}
        </span>
      )}
      {confirming && onDismiss ? (
        <span className="flex basis-full flex-wrap items-center gap-2 rounded-md bg-white px-2 py-1 ring-1 ring-gray-200">
          <span className="text-xs text-gray-800">{DISMISS_QUESTION}</span>
          <button ref={confirmRef} type="button" aria-describedby={titleId} disabled={busy} onClick={() => onDismiss(notification)} className={primaryButton}>
            Sí, no enviar
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              requestAnimationFrame(() => askRef.current?.focus());
            }}
            className={secondaryButton}
          >
            Cancelar
          </button>
        </span>
      ) : (
        <span className="flex flex-wrap gap-2">
          {!blocked && (
            <button
              type="button"
              aria-describedby={titleId}
              disabled={busy}
              aria-busy={sending}
              onClick={() => onSend(notification)}
              className={primaryButton}
            >
              {sending ? 'Enviando…' : 'Enviar aviso'}
            </button>
          )}
          {onDismiss && (
            <button ref={askRef} type="button" aria-describedby={titleId} disabled={busy} onClick={() => setConfirming(true)} className={secondaryButton}>
              No enviar
            </button>
          )}
        </span>
      )}
    </li>
  );
}

type RecordConsent = (state: 'opted_in' | 'opted_out', evidence: string) => Promise<void>;

export const OPT_OUT_WARNING = 'El cliente no va a recibir más avisos.';
export const DISMISS_QUESTION = '¿Descartar este aviso? No se le va a enviar y no vuelve a aparecer.';

function ConsentLine({ consent, record }: { consent: Consent; record: RecordConsent | null }) {
  const [confirmedBack, setConfirmedBack] = useState(false);
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [optingOut, setOptingOut] = useState(false); // one form at a time: the opt-out's hides the opt-in's button
  const toggle = useRef<HTMLButtonElement>(null);
  const status = useRef<HTMLParagraphElement>(null);

  const canRecord = record !== null && consent.state !== 'opted_in' && (consent.state === 'unknown' || confirmedBack);
  const dot = consent.state === 'opted_in' ? 'bg-emerald-600' : consent.state === 'opted_out' ? 'bg-red-600' : 'bg-gray-500';

  return (
    <div className="mt-1 flex flex-col gap-1.5">
      <p ref={status} tabIndex={-1} className="text-xs text-gray-700 outline-none [overflow-wrap:anywhere]" data-testid="consent">
        <span className="inline-flex items-center gap-1.5 font-semibold text-gray-900">
          <span className={`size-2 shrink-0 rounded-full ${dot}`} aria-hidden="true" />
          {CONSENT_LABELS[consent.state]}
        </span>
        <span className="block">{consentDetail(consent)}</span>
      </p>
      <p role="status" className="sr-only">
        {saved ?? ''}
      </p>

      {record && consent.state === 'opted_out' && (
        <label className="flex min-h-6 items-center gap-2 text-xs text-gray-800">
          <input
            type="checkbox"
            checked={confirmedBack}
            onChange={(e) => {
              setConfirmedBack(e.target.checked);
              if (!e.target.checked) setOpen(false);
            }}
            className={`size-4 accent-emerald-700 ${focusRing}`}
          />
          El cliente me pidió volver a recibir avisos
        </label>
      )}

      {canRecord && !open && !optingOut && (
        <div>
          <button
            ref={toggle}
            type="button"
            onClick={() => {
              setSaved(null);
              setOpen(true);
            }}
            className={secondaryButton}
          >
            Registrar consentimiento
          </button>
        </div>
      )}

      {canRecord && open && record && (
        <EvidenceForm
          question="¿Cómo dio su consentimiento?"
          placeholder="En el mostrador"
          hint="Por ejemplo: «En el mostrador», «Firmó la orden de ingreso». Quedás registrado como quien lo cargó."
          submitLabel="Guardar consentimiento"
          emptyError={EVIDENCE_REQUIRED}
          failure="No se registró el consentimiento"
          save={async (text) => {
            await record('opted_in', text);
            setOpen(false);
            setConfirmedBack(false);
            setSaved('Consentimiento registrado.');
            status.current?.focus();
          }}
          cancel={() => {
            setOpen(false);
            setTimeout(() => toggle.current?.focus());
          }}
        />
      )}

      {record && consent.state !== 'opted_out' && !open && (
        <OptOut
          record={record}
          onOpenChange={setOptingOut}
          done={() => {
            setOptingOut(false);
            setSaved('Baja registrada: el cliente no va a recibir más avisos.');
            setTimeout(() => status.current?.focus());
          }}
        />
      )}
    </div>
  );
}

/** «Registrar baja»: staff record that the customer asked to stop notifications, after a confirmation. */
function OptOut({ record, done, onOpenChange }: { record: RecordConsent; done: () => void; onOpenChange: (open: boolean) => void }) {
  const [open, setOpenState] = useState(false);
  const setOpen = (value: boolean) => {
    setOpenState(value);
    onOpenChange(value);
  };
  const toggle = useRef<HTMLButtonElement>(null);

  if (!open) {
    return (
      <div>
        <button ref={toggle} type="button" onClick={() => setOpen(true)} className={secondaryButton}>
          Registrar baja
        </button>
      </div>
    );
  }
  return (
    <EvidenceForm
      name="Registrar baja"
      question="¿Cómo pidió la baja?"
      placeholder="Lo pidió por teléfono"
      warning={`${OPT_OUT_WARNING} Usalo solo si el cliente lo pidió.`}
      submitLabel="Confirmar baja"
      emptyError="Escribí cómo pidió la baja (por ejemplo, «Lo pidió por teléfono»)."
      failure="No se registró la baja"
      save={async (text) => {
        await record('opted_out', text); // the block shows the new consent (who, when) in place of this form
        done();
      }}
      cancel={() => {
        setOpen(false);
        setTimeout(() => toggle.current?.focus());
      }}
    />
  );
}

/** How the customer gave (or withdrew) consent, written by staff: required, focused when shown, the server's
 * reason on failure (what was typed is kept). `warning` (above, red) makes it the opt-out's confirmation step. */
function EvidenceForm({
  name,
  question,
  placeholder,
  hint,
  warning,
  submitLabel,
  emptyError,
  failure,
  save,
  cancel,
}: {
  name?: string;
  question: string;
  placeholder: string;
  hint?: string;
  warning?: string;
  submitLabel: string;
  emptyError: string;
  failure: string;
  save: (evidence: string) => Promise<void>;
  cancel: () => void;
}) {
  const [evidence, setEvidence] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const inputId = useId();
  const errorId = useId();
  const noteId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const text = evidence.trim();
    if (!text) {
      setError(emptyError);
      input.current?.focus();
      return;
    }
    if (saving) return;
    setSaving(true);
    setError(null);
    try {
      await save(text);
    } catch (e) {
      setError(`${failure}: ${e instanceof WhatsAppApiError ? e.detail : 'probá de nuevo.'}`);
      setSaving(false);
      input.current?.focus();
    }
  }

  const note = warning ?? hint;
  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label={name}
      className={`flex flex-col gap-1.5 rounded-md p-2 ring-1 ${warning ? 'bg-red-50 ring-red-200' : 'bg-gray-50 ring-gray-200'}`}
    >
      {warning && (
        <p id={noteId} className="text-xs font-semibold text-red-900">
          {warning}
        </p>
      )}
      <label htmlFor={inputId} className="text-xs font-medium text-gray-900">
        {question}
      </label>
      <input
        ref={input}
        id={inputId}
        type="text"
        value={evidence}
        maxLength={EVIDENCE_MAX}
        onChange={(e) => setEvidence(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={[error ? errorId : null, note ? noteId : null].filter(Boolean).join(' ') || undefined}
        autoComplete="off"
        placeholder={placeholder}
        className={`min-h-8 w-full min-w-0 rounded-md border border-gray-400 bg-white px-2 text-sm text-gray-900 placeholder:text-gray-600 ${focusRing}`}
      />
      {hint && !warning && (
        <p id={noteId} className="text-xs text-gray-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-xs font-medium text-red-800 [overflow-wrap:anywhere]">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <button
          type="submit"
          disabled={saving}
          className={warning ? `${buttonBase} bg-red-700 text-white hover:bg-red-800 disabled:cursor-not-allowed disabled:bg-gray-500` : primaryButton}
        >
          {saving ? 'Guardando…' : submitLabel}
        </button>
        <button type="button" disabled={saving} onClick={cancel} className={secondaryButton}>
          Cancelar
        </button>
      </div>
    </form>
  );
}
