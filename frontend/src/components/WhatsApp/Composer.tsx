/**
 * Under the thread: what the shop can send now.
 *
 * - Window open (the customer wrote in the last 24 h): a text box. Enter sends, Shift+Enter makes a
 *   new line, and nothing is sent while an input method is composing (Japanese, Chinese, dead keys:
 *   their Enter confirms the composition). The time left in the window is shown.
 * - Window closed: only approved templates, each with its preview filled from the order; one that
 *   needs a value the order lacks is disabled and says which and where to load it.
 * - The agent's proposals ("Sugerencia del asistente") sit above it: Enviar, Editar (into the text
 *   box; sending then goes through the proposal with the edited text) or Descartar. Nothing reaches
 *   the customer until a person presses Enviar.
 *
 * - A photo or document (issue 16): «Adjuntar foto o PDF» picks a JPEG/PNG photo or a PDF/Word/Excel
 *   document (checked here for type and WhatsApp's size limit, in Spanish); a chip shows it (a thumbnail,
 *   or name and size) with a button to take it out, and the text box becomes its caption. Sending uploads
 *   it and then sends it (useWhatsAppSends). Only while the window is open: WhatsApp allows no media
 *   outside it, so the button says so and does nothing then.
 *
 * One press = one action = one clientRequestId (useWhatsAppSends); the button is held while the
 * request runs, so a double click cannot make a second action.
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type ChangeEvent, type KeyboardEvent, type Ref } from 'react';
import {
  attachmentProblem,
  isAbortError,
  SENDABLE_TYPES,
  type WhatsAppApiError,
  type WhatsAppService,
} from '../../services/whatsappService';
import { formatSize } from './MediaAttachment';
import type { CustomerServiceWindow, OrderTemplates, ReplyProposal, TemplateOption } from '../../types/whatsapp';
import type { SendAction } from '../../hooks/useWhatsAppSends';
import { formatDateTime } from './format';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';

const MISSING: Record<string, string> = {
  presupuesto: 'el presupuesto: cargá una novedad con monto en la orden',
  cliente: 'el nombre del cliente: completalo en la ficha del cliente',
  ticket: 'el número de orden',
};

/** Why a template cannot be sent, in Spanish, with what to do; null when it can. */
export function templateBlocker(t: TemplateOption): string | null {
  if (t.missing.length) {
    return `Falta ${t.missing.map((m) => MISSING[m] ?? `el dato ${m}`).join('; y ')}.`;
  }
  if (!t.sendable) return 'Esta plantilla no se puede enviar ahora (no está aprobada). Avisá al administrador.';
  return null;
}

export const PURPOSE_NAMES: Record<string, string> = {
  presupuestado: 'Presupuesto listo',
  reparado: 'Equipo listo para retirar',
  rechazado: 'Presupuesto rechazado',
  recordatorio_retiro: 'Recordatorio de retiro',
  saludo: 'Saludo',
};

export function templateTitle(t: TemplateOption): string {
  return (t.purpose && PURPOSE_NAMES[t.purpose]) || t.name.replace(/_/g, ' ');
}

/** "quedan 5 h 12 min" until `until`; null when it is past. */
export function windowLeft(until: string | null, now: number = Date.now()): string | null {
  if (!until) return null;
  const ms = Date.parse(until) - now;
  if (Number.isNaN(ms) || ms <= 0) return null;
  const minutes = Math.floor(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return m <= 1 ? 'queda menos de 1 min' : `quedan ${m} min`;
  return `quedan ${h} h ${m} min`;
}

/** Enter that should send: not with Shift (a new line), not while an input method composes. */
export function isSendKey(event: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'altKey' | 'ctrlKey' | 'metaKey'> & { nativeEvent: { isComposing?: boolean; keyCode?: number } }): boolean {
  if (event.key !== 'Enter' || event.shiftKey || event.altKey) return false;
  if (event.nativeEvent.isComposing || event.nativeEvent.keyCode === 229) return false;
  return true;
}

const MAX_TEXT = 4096;
/** WhatsApp's limit for a photo's or document's caption. */
export const MAX_CAPTION = 1024;
/** What the file picker offers: the types and the usual extensions (some systems give no type). */
const ACCEPT = [...Object.keys(SENDABLE_TYPES), '.jpg', '.jpeg', '.png', '.pdf', '.doc', '.docx', '.xls', '.xlsx'].join(',');
export const ATTACH_LABEL = 'Adjuntar foto o PDF';
export const ATTACH_CLOSED_REASON =
  'Con la ventana de 24 h cerrada WhatsApp no deja mandar fotos ni documentos: elegí una plantilla.';

function isImageFile(file: File): boolean {
  return file.type === 'image/jpeg' || file.type === 'image/png';
}

function PaperclipIcon() {
  return (
    <svg viewBox="0 0 20 20" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.7" aria-hidden="true">
      <path d="M14.5 9.5 9.3 14.7a3.2 3.2 0 0 1-4.5-4.5l6-6a2.1 2.1 0 0 1 3 3l-6 6a1 1 0 0 1-1.5-1.5l5.3-5.3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** The chosen file before sending: a thumbnail (photo) or its name and size, and a button to take it out. */
function AttachmentChip({ file, onRemove }: { file: File; onRemove: () => void }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!isImageFile(file) || typeof URL.createObjectURL !== 'function') return undefined;
    const made = URL.createObjectURL(file);
    setSrc(made);
    return () => {
      URL.revokeObjectURL(made);
      setSrc(null);
    };
  }, [file]);
  const size = formatSize(file.size);
  return (
    <div className="flex min-w-0 items-center gap-2 rounded-lg bg-gray-50 px-2 py-1.5 ring-1 ring-gray-200" data-testid="attachment-chip">
      {src ? (
        <img src={src} alt="" className="size-12 shrink-0 rounded object-cover" data-testid="attachment-thumbnail" />
      ) : (
        <span aria-hidden="true" className="shrink-0 text-lg">
          📎
        </span>
      )}
      <p className="min-w-0 flex-1 text-xs text-gray-900">
        <span className="font-semibold [overflow-wrap:anywhere]">{file.name}</span>
        {size ? <span className="text-gray-600"> · {size}</span> : null}
        <span className="block text-gray-700">{isImageFile(file) ? 'Foto' : 'Documento'} para enviar; el texto de abajo va como epígrafe.</span>
      </p>
      <button
        type="button"
        onClick={onRemove}
        aria-label={`Quitar ${file.name}`}
        className={`inline-flex min-h-8 shrink-0 items-center rounded-md bg-white px-2.5 text-xs font-semibold text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50 ${focusRing}`}
      >
        Quitar
      </button>
    </div>
  );
}

/** «Adjuntar foto o PDF»; while the window is closed it stays visible, says why, and does nothing. */
function AttachButton({ enabled, onPick, buttonRef }: { enabled: boolean; onPick: () => void; buttonRef?: Ref<HTMLButtonElement> }) {
  const reasonId = useId();
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        aria-disabled={!enabled}
        aria-describedby={enabled ? undefined : reasonId}
        onClick={() => enabled && onPick()}
        className={`inline-flex min-h-10 shrink-0 items-center gap-1 rounded-lg px-2.5 text-xs font-semibold ${focusRing} ${
          enabled ? 'bg-white text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50' : 'cursor-not-allowed bg-gray-100 text-gray-600 ring-1 ring-gray-200'
        }`}
      >
        <PaperclipIcon />
        {ATTACH_LABEL}
      </button>
      {!enabled && (
        <span id={reasonId} className="text-[11px] text-gray-700">
          {ATTACH_CLOSED_REASON}
        </span>
      )}
    </>
  );
}

export interface ComposerProps {
  orderId: number;
  service: WhatsAppService;
  window: CustomerServiceWindow;
  submit: (action: SendAction) => Promise<unknown>;
  /** A text to load into the box (a failed send's "Editar"), with a counter so the same text loads again. */
  draft?: { text: string; seq: number } | null;
  /** Proposals of the agent for this order. */
  proposals: ReplyProposal[];
  proposalsError: WhatsAppApiError | null;
  onDiscardProposal: (proposal: ReplyProposal) => Promise<void>;
  /** The customer's first name, for the placeholder. */
  customerName: string;
}

function ProposalItem({
  proposal,
  templates,
  windowOpen,
  onSend,
  onEdit,
  onDiscard,
}: {
  proposal: ReplyProposal;
  templates: TemplateOption[] | null;
  windowOpen: boolean;
  onSend: () => Promise<void>;
  onEdit: (() => void) | null;
  onDiscard: () => Promise<void>;
}) {
  const [busy, setBusy] = useState<'send' | 'discard' | null>(null);
  const template = proposal.kind === 'template' ? templates?.find((t) => t.purpose === proposal.templatePurpose) : undefined;
  const text = proposal.kind === 'text' ? (proposal.text ?? '') : (template?.preview ?? `Plantilla «${proposal.templatePurpose}»`);
  const blocker =
    proposal.kind === 'template'
      ? template
        ? templateBlocker(template)
        : templates
          ? 'Esa plantilla no está disponible para esta orden.'
          : null
      : windowOpen
        ? null
        : 'La ventana de 24 h está cerrada: un texto libre no se puede enviar. Usá una plantilla.';
  const run = (kind: 'send' | 'discard', fn: () => Promise<void>) => {
    if (busy) return;
    setBusy(kind);
    void fn().finally(() => setBusy(null));
  };
  const reasonId = useId();
  return (
    <li className="rounded-lg bg-sky-50 px-2.5 py-2 text-sm ring-1 ring-sky-200" data-proposal={proposal.id}>
      <p className="text-xs font-semibold text-sky-900">
        {proposal.kind === 'template' ? `Plantilla sugerida: ${template ? templateTitle(template) : proposal.templatePurpose}` : 'Texto sugerido'}
      </p>
      <p dir="auto" className="mt-0.5 whitespace-pre-wrap text-gray-900 [overflow-wrap:anywhere]">
        {text}
      </p>
      {blocker && (
        <p id={reasonId} className="mt-1 text-xs text-amber-900">
          {blocker}
        </p>
      )}
      <div className="mt-1.5 flex flex-wrap gap-1.5">
        <button
          type="button"
          aria-disabled={Boolean(blocker) || busy !== null}
          aria-describedby={blocker ? reasonId : undefined}
          onClick={() => !blocker && run('send', onSend)}
          className={`inline-flex min-h-8 items-center rounded-md px-3 text-xs font-semibold ${focusRing} ${
            blocker ? 'cursor-not-allowed bg-gray-100 text-gray-600 ring-1 ring-gray-200' : 'bg-emerald-700 text-white hover:bg-emerald-800'
          }`}
        >
          {busy === 'send' ? 'Enviando…' : 'Enviar'}
        </button>
        {onEdit && (
          <button
            type="button"
            onClick={onEdit}
            className={`inline-flex min-h-8 items-center rounded-md bg-white px-3 text-xs font-semibold text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50 ${focusRing}`}
          >
            Editar
          </button>
        )}
        <button
          type="button"
          aria-disabled={busy !== null}
          onClick={() => run('discard', onDiscard)}
          className={`inline-flex min-h-8 items-center rounded-md bg-white px-3 text-xs font-semibold text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50 ${focusRing}`}
        >
          {busy === 'discard' ? 'Descartando…' : 'Descartar'}
        </button>
      </div>
    </li>
  );
}

export function Composer({
  orderId,
  service,
  window: replyWindow,
  submit,
  draft,
  proposals,
  proposalsError,
  onDiscardProposal,
  customerName,
}: ComposerProps) {
  const [text, setText] = useState('');
  const [editing, setEditing] = useState<ReplyProposal | null>(null);
  const [attachment, setAttachment] = useState<File | null>(null);
  const [attachError, setAttachError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const attachButton = useRef<HTMLButtonElement>(null);
  const [templates, setTemplates] = useState<OrderTemplates | null>(null);
  const [templatesError, setTemplatesError] = useState<WhatsAppApiError | null>(null);
  const [, setTick] = useState(0);
  const busy = useRef(false);
  const [sending, setSending] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const labelId = useId();
  const hintId = useId();
  const headingId = useId();
  const open = replyWindow.open;
  const root = useRef<HTMLDivElement>(null);
  /** A control that goes away (a decided proposal) hands focus to the box, else to the composer. */
  const wantFocus = useRef(false);
  const refocus = useCallback(() => {
    if (!wantFocus.current) return;
    const rootNode = root.current?.getRootNode() as Document | ShadowRoot | undefined;
    const active = rootNode?.activeElement;
    if (active && active !== document.body && root.current?.contains(active) && active.isConnected) return;
    wantFocus.current = false;
    (box.current ?? root.current)?.focus();
  }, []);
  const keepFocus = useCallback(() => {
    wantFocus.current = true;
    requestAnimationFrame(refocus);
  }, [refocus]);

  // Templates: when the window closes (or opens: proposals of templates need their preview too).
  useEffect(() => {
    if (!service.listTemplates) return;
    const controller = new AbortController();
    service
      .listTemplates(orderId, { signal: controller.signal })
      .then((t) => {
        setTemplates(Array.isArray(t?.templates) ? t : { orderId, window: replyWindow, templates: [] });
        setTemplatesError(null);
      })
      .catch((error: unknown) => {
        if (!isAbortError(error)) setTemplatesError(error as WhatsAppApiError);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the window is read, `open` decides
  }, [service, orderId, open]);

  // The time left, kept current.
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => setTick((n) => n + 1), 60_000);
    return () => clearInterval(timer);
  }, [open]);

  useEffect(() => {
    if (!draft) return;
    setText(draft.text);
    setEditing(null);
    box.current?.focus();
  }, [draft]);

  useEffect(() => {
    setText('');
    setEditing(null);
    setAttachment(null);
    setAttachError(null);
  }, [orderId]);

  const canAttach = open && Boolean(service.uploadMedia) && editing === null;
  const pickFile = () => {
    if (!canAttach) return;
    fileInput.current?.click();
  };
  const onFileChosen = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0] ?? null;
    event.target.value = ''; // the same file can be chosen again after taking it out
    if (!file) return;
    const problem = attachmentProblem(file);
    if (problem) {
      setAttachError(problem.detail);
      return;
    }
    setAttachError(null);
    setAttachment(file);
    requestAnimationFrame(() => box.current?.focus());
  };
  const removeAttachment = () => {
    setAttachment(null);
    setAttachError(null);
    requestAnimationFrame(() => attachButton.current?.focus());
  };

  const act = useCallback(
    async (action: SendAction, after?: () => void) => {
      if (busy.current) return; // a second press while the first runs is the same press
      busy.current = true;
      setSending(true);
      after?.();
      try {
        await submit(action);
      } finally {
        busy.current = false;
        setSending(false);
      }
    },
    [submit],
  );

  const trimmed = text.trim();
  const captionTooLong = attachment !== null && text.length > MAX_CAPTION;
  const canSendText = attachment ? !captionTooLong : trimmed.length > 0 && text.length <= MAX_TEXT;
  const sendText = () => {
    if (!canSendText || busy.current) return;
    const action: SendAction = attachment
      ? { kind: 'media', file: attachment, caption: text }
      : editing
        ? { kind: 'proposal', proposalId: editing.id, text, preview: text }
        : { kind: 'text', text };
    void act(action, () => {
      setText('');
      setEditing(null);
      setAttachment(null);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!isSendKey(event)) return;
    event.preventDefault();
    sendText();
  };

  const sendTemplate = (t: TemplateOption) => {
    if (templateBlocker(t)) return;
    void act({ kind: 'template', purpose: t.purpose, name: t.name, language: t.language, preview: t.preview });
  };

  const left = open ? windowLeft(replyWindow.until) : null;
  const openProposals = proposals.filter((p) => p.state === 'proposed');
  // The decided proposal's item is gone now: its focus goes to the box.
  const openCount = openProposals.length;
  useLayoutEffect(() => {
    refocus();
  }, [openCount, refocus]);
  const templateList = templates?.templates ?? null;
  // A draft survives the window closing under it (it then says the text will not go out).
  const showBox = open || editing !== null || text !== '' || attachment !== null;
  const captionId = useId();

  return (
    <div ref={root} tabIndex={-1} className="flex min-w-0 flex-col gap-2 outline-none" data-testid="composer">
      {openProposals.length > 0 && (
        <section aria-labelledby={headingId} className="flex flex-col gap-1.5">
          <h3 id={headingId} className="text-xs font-semibold text-sky-900">
            Sugerencia del asistente
            <span className="font-normal text-gray-700"> · no se envía hasta que la mandes vos</span>
          </h3>
          <ul className="flex flex-col gap-1.5">
            {openProposals.map((p) => (
              <ProposalItem
                key={p.id}
                proposal={p}
                templates={templateList}
                windowOpen={open}
                onSend={() =>
                  act({ kind: 'proposal', proposalId: p.id, preview: p.text ?? templateList?.find((t) => t.purpose === p.templatePurpose)?.preview ?? '' }).then(keepFocus)
                }
                onEdit={
                  p.kind === 'text'
                    ? () => {
                        setEditing(p);
                        setText(p.text ?? '');
                        requestAnimationFrame(() => box.current?.focus());
                      }
                    : null
                }
                onDiscard={() => onDiscardProposal(p).then(keepFocus)}
              />
            ))}
          </ul>
        </section>
      )}
      {proposalsError && (
        <p className="text-xs text-amber-900">No se pudieron cargar las sugerencias del asistente: {proposalsError.detail}</p>
      )}

      {showBox ? (
        <form
          className="flex flex-col gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            sendText();
          }}
        >
          <div className="flex flex-wrap items-baseline justify-between gap-x-2">
            <label id={labelId} htmlFor={`${labelId}-box`} className="text-xs font-semibold text-gray-900">
              {editing ? 'Editando la sugerencia del asistente' : 'Tu respuesta'}
            </label>
            <span id={hintId} className="text-[11px] text-gray-600">
              {open
                ? `Ventana abierta${left ? `: ${left}` : ''}${replyWindow.until ? ` (hasta ${formatDateTime(replyWindow.until)})` : ''}. Enter envía, Mayús+Enter hace otra línea.`
                : 'La ventana de 24 h está cerrada: el texto libre no va a salir.'}
            </span>
          </div>
          {attachment && <AttachmentChip file={attachment} onRemove={removeAttachment} />}
          {attachError && (
            <p role="alert" className="text-xs text-red-800">
              {attachError}
            </p>
          )}
          {captionTooLong && (
            <p id={captionId} role="alert" className="text-xs text-red-800">
              El epígrafe de un archivo puede tener hasta {MAX_CAPTION.toLocaleString('es-AR')} caracteres (tiene {text.length.toLocaleString('es-AR')}). Acortalo.
            </p>
          )}
          <div className="flex items-end gap-1.5">
            <textarea
              ref={box}
              id={`${labelId}-box`}
              aria-describedby={captionTooLong ? `${hintId} ${captionId}` : hintId}
              value={text}
              rows={2}
              maxLength={MAX_TEXT}
              placeholder={attachment ? 'Epígrafe (opcional)…' : `Escribile a ${customerName}…`}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={onKeyDown}
              className={`min-h-10 w-full min-w-0 resize-y rounded-lg border border-gray-300 bg-white px-2.5 py-2 text-sm text-gray-900 placeholder:text-gray-600 ${focusRing}`}
            />
            <button
              type="submit"
              aria-disabled={!canSendText || sending}
              className={`inline-flex min-h-10 shrink-0 items-center rounded-lg px-3 text-sm font-semibold ${focusRing} ${
                canSendText && !sending ? 'bg-emerald-700 text-white hover:bg-emerald-800' : 'cursor-not-allowed bg-gray-100 text-gray-600 ring-1 ring-gray-200'
              }`}
            >
              Enviar
            </button>
          </div>
          {editing === null && service.uploadMedia && (
            <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
              <AttachButton enabled={canAttach} onPick={pickFile} buttonRef={attachButton} />
              <input ref={fileInput} type="file" accept={ACCEPT} onChange={onFileChosen} className="hidden" tabIndex={-1} aria-label="Elegir foto o documento" data-testid="attach-input" />
            </div>
          )}
          {editing && (
            <div className="flex items-center gap-2 text-[11px] text-gray-700">
              <span>Se envía como la sugerencia del asistente, con tus cambios.</span>
              <button
                type="button"
                onClick={() => {
                  setEditing(null);
                  setText('');
                }}
                className={`inline-flex min-h-6 items-center rounded px-1 font-semibold text-sky-800 underline underline-offset-2 ${focusRing}`}
              >
                Cancelar edición
              </button>
            </div>
          )}
        </form>
      ) : (
        <section aria-label="Plantillas" className="flex flex-col gap-1.5">
          <p className="text-xs text-gray-700">
            <span className="font-semibold text-gray-900">Ventana de 24 h cerrada:</span> WhatsApp solo deja mandar plantillas
            aprobadas hasta que {customerName} vuelva a escribir. Un clic envía.
          </p>
          {templatesError && (
            <p role="alert" className="text-xs text-red-800">
              No se pudieron cargar las plantillas: {templatesError.detail}
            </p>
          )}
          {service.uploadMedia && (
            <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
              <AttachButton enabled={false} onPick={pickFile} />
            </div>
          )}
          {templateList === null && !templatesError && <p className="text-xs text-gray-600">Cargando plantillas…</p>}
          {templateList !== null && templateList.length === 0 && (
            <p className="text-xs text-amber-900">No hay plantillas aprobadas. Pedile al administrador que las cree en WhatsApp Manager.</p>
          )}
          {templateList !== null && templateList.length > 0 && (
            <ul className="flex flex-col gap-1.5">
              {templateList.map((t) => (
                <TemplateItem key={`${t.name}:${t.language}`} template={t} disabled={sending} onSend={() => sendTemplate(t)} />
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}

function TemplateItem({ template, disabled, onSend }: { template: TemplateOption; disabled: boolean; onSend: () => void }) {
  const blocker = templateBlocker(template);
  const reasonId = useId();
  const previewId = useId();
  return (
    <li className="rounded-lg bg-gray-50 px-2.5 py-2 ring-1 ring-gray-200" data-template={template.purpose ?? template.name}>
      <div className="flex items-start justify-between gap-2">
        <p className="min-w-0 text-xs font-semibold text-gray-900">{templateTitle(template)}</p>
        <button
          type="button"
          aria-disabled={Boolean(blocker) || disabled}
          aria-describedby={`${previewId}${blocker ? ` ${reasonId}` : ''}`}
          onClick={() => !blocker && !disabled && onSend()}
          className={`inline-flex min-h-8 shrink-0 items-center rounded-md px-2.5 text-xs font-semibold ${focusRing} ${
            blocker ? 'cursor-not-allowed bg-gray-100 text-gray-600 ring-1 ring-gray-200' : 'bg-emerald-700 text-white hover:bg-emerald-800'
          }`}
        >
          Enviar <span className="sr-only">plantilla «{templateTitle(template)}»</span>
        </button>
      </div>
      <p id={previewId} dir="auto" className="mt-0.5 whitespace-pre-wrap text-sm text-gray-800 [overflow-wrap:anywhere]">
        {template.preview}
      </p>
      {blocker && (
        <p id={reasonId} className="mt-1 text-xs font-medium text-amber-900">
          No se puede enviar: {blocker}
        </p>
      )}
    </li>
  );
}
