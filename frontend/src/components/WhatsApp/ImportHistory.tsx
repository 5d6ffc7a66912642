/**
 * "Importar historial": brings a WhatsApp chat export (the .txt or .zip of «Exportar chat») into the
 * order's customer's history, in four steps that never guess: choose the file → see what it holds
 * (participants with their counts, the dates, whose chat it is, whether it was imported before) →
 * say which participant is the shop (that gives every message its side) → import and read what
 * happened. Nothing is written before the last step; importing the same file again adds nothing.
 * Errors say what to do (the server's Spanish detail); "Reintentar" only where it can help.
 */
import { useCallback, useEffect, useId, useRef, useState, type RefObject } from 'react';
import { isAbortError, MAX_IMPORT_BYTES, WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import type { ImportPreview, ImportResult } from '../../types/whatsapp';
import { formatDateTime, messagesLabel } from './format';
import { Spinner } from './SyncButton';

export const IMPORT_TITLE = 'Importar historial de WhatsApp';
const ACCEPT = '.txt,.zip,text/plain,application/zip';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
const primary = `inline-flex min-h-10 items-center justify-center gap-2 rounded-md bg-emerald-700 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-emerald-800 aria-disabled:cursor-not-allowed aria-disabled:bg-gray-200 aria-disabled:text-gray-700 ${focusRing}`;
const secondary = `inline-flex min-h-10 items-center justify-center rounded-md border border-gray-300 bg-white px-3 py-2 text-sm font-medium text-gray-900 shadow-sm hover:bg-gray-50 ${focusRing}`;

type Step =
  | { kind: 'choose' }
  | { kind: 'reading'; file: File }
  | { kind: 'preview'; file: File; preview: ImportPreview }
  | { kind: 'importing'; file: File; preview: ImportPreview }
  | { kind: 'done'; result: ImportResult }
  | { kind: 'error'; stage: 'preview' | 'import'; error: WhatsAppApiError; file: File; preview: ImportPreview | null };

export interface ImportHistoryProps {
  orderId: number;
  service: WhatsAppService;
  /** The region's id (the toggle button's aria-controls). */
  id?: string;
  /** After an import that added messages (the panel reloads the conversation). */
  onImported?: (result: ImportResult) => void;
  /** "Cancelar" / "Cerrar": the panel hides this and puts focus back on its toggle. */
  onClose: () => void;
}

/** "del 01/02/2024, 10:00 al 17/03/2024, 15:10" */
export function periodText(first: string | null, last: string | null): string {
  if (!first || !last) return 'sin fechas';
  return first === last ? `el ${formatDateTime(first)}` : `del ${formatDateTime(first)} al ${formatDateTime(last)}`;
}

/** What an import did, in one or more Spanish sentences. */
export function importOutcome(result: ImportResult, orderId: number): string[] {
  if (result.alreadyImported) {
    return [`Este archivo ya estaba importado (${messagesLabel(result.messagesImported)}): no se agregó nada.`, ...attachmentLines(result)];
  }
  const lines = [
    result.addedNow === 1 ? 'Listo: se importó 1 mensaje.' : `Listo: se importaron ${result.addedNow} mensajes.`,
  ];
  if (result.duplicatesOfLive > 0) {
    lines.push(
      result.duplicatesOfLive === 1
        ? '1 mensaje ya había llegado por WhatsApp y no se repitió.'
        : `${result.duplicatesOfLive} mensajes ya habían llegado por WhatsApp y no se repitieron.`,
    );
  }
  if (result.alreadyStored > 0) {
    lines.push(
      result.alreadyStored === 1 ? '1 mensaje ya estaba guardado.' : `${result.alreadyStored} mensajes ya estaban guardados.`,
    );
  }
  const here = result.orders.find((o) => o.orderId === orderId)?.messages ?? 0;
  const elsewhere = result.orders.filter((o) => o.orderId !== orderId).reduce((n, o) => n + o.messages, 0);
  if (result.addedNow > 0) {
    const parts = [`${messagesLabel(here)} en esta orden`];
    if (elsewhere) parts.push(`${messagesLabel(elsewhere)} en otras órdenes del cliente`);
    if (result.unlinked) parts.push(`${messagesLabel(result.unlinked)} en el historial del cliente, sin orden`);
    lines.push(`Quedaron ${parts.join(', ')}.`);
  }
  return [...lines, ...attachmentLines(result)];
}

/** The .zip's photos and files: stored, refused (each message says why) or waiting for storage. */
function attachmentLines(result: ImportResult): string[] {
  const files = result.attachments;
  if (!files) return [];
  const lines: string[] = [];
  if (files.stored > 0) lines.push(files.stored === 1 ? 'Se guardó 1 foto o archivo del chat.' : `Se guardaron ${files.stored} fotos y archivos del chat.`);
  if (files.failed > 0) {
    lines.push(
      files.failed === 1
        ? '1 archivo no se guardó: el motivo está en su mensaje.'
        : `${files.failed} archivos no se guardaron: el motivo está en cada mensaje.`,
    );
  }
  if (files.pending > 0) {
    lines.push(
      `${files.pending === 1 ? '1 archivo quedó pendiente' : `${files.pending} archivos quedaron pendientes`}: el almacenamiento no respondió. Importá el mismo archivo de nuevo para guardarlos.`,
    );
  }
  return lines;
}

function asApiError(error: unknown, what: string): WhatsAppApiError {
  return error instanceof WhatsAppApiError ? error : new WhatsAppApiError(0, `Ocurrió un error inesperado al ${what}. Reintentá.`);
}

export function ImportHistory({ orderId, service, id, onImported, onClose }: ImportHistoryProps) {
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [shop, setShop] = useState<string | null>(null);
  const [shopMissing, setShopMissing] = useState(false);
  const titleId = useId();
  const inputId = useId();
  const hintId = useId();
  const shopHintId = useId();
  const shopErrorId = useId();
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const controller = useRef<AbortController | null>(null);

  useEffect(() => () => controller.current?.abort(), []);
  // Each new step is announced by moving focus to its heading (the previous controls are gone).
  useEffect(() => {
    if (step.kind === 'preview' || step.kind === 'done' || step.kind === 'error') stepHeading.current?.focus();
  }, [step.kind]);

  const read = useCallback(
    async (file: File) => {
      controller.current?.abort();
      const ctrl = new AbortController();
      controller.current = ctrl;
      setStep({ kind: 'reading', file });
      setShopMissing(false);
      try {
        const preview = await service.previewImport(orderId, file, { signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        const names = preview.participants.map((p) => p.name);
        setShop(preview.suggestedShopParticipant && names.includes(preview.suggestedShopParticipant) ? preview.suggestedShopParticipant : null);
        setStep({ kind: 'preview', file, preview });
      } catch (error) {
        if (isAbortError(error) || ctrl.signal.aborted) return;
        setStep({ kind: 'error', stage: 'preview', error: asApiError(error, 'leer el archivo'), file, preview: null });
      }
    },
    [orderId, service],
  );

  const run = useCallback(
    async (file: File, preview: ImportPreview) => {
      if (!shop) {
        setShopMissing(true);
        return;
      }
      controller.current?.abort();
      const ctrl = new AbortController();
      controller.current = ctrl;
      setStep({ kind: 'importing', file, preview });
      try {
        const result = await service.importHistory(orderId, file, shop, { signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        setStep({ kind: 'done', result });
        if (result.addedNow > 0) onImported?.(result);
      } catch (error) {
        if (isAbortError(error) || ctrl.signal.aborted) return;
        setStep({ kind: 'error', stage: 'import', error: asApiError(error, 'importar'), file, preview });
      }
    },
    [orderId, service, shop, onImported],
  );

  const chooseAnother = useCallback(() => {
    controller.current?.abort();
    setStep({ kind: 'choose' });
    setShop(null);
    setShopMissing(false);
  }, []);
  // After "Elegir otro archivo" the file field is back: put the keyboard there.
  const refocusInput = useRef(false);
  useEffect(() => {
    if (step.kind === 'choose' && refocusInput.current) {
      refocusInput.current = false;
      fileInput.current?.focus();
    }
  }, [step.kind]);
  const another = () => {
    refocusInput.current = true;
    chooseAnother();
  };

  const cancel = () => {
    controller.current?.abort();
    onClose();
  };

  return (
    <section id={id} aria-labelledby={titleId} className="flex min-w-0 flex-col gap-2 rounded-lg bg-gray-50 p-3 ring-1 ring-gray-200">
      <h3 id={titleId} className="text-sm font-semibold text-gray-900">
        {IMPORT_TITLE}
      </h3>

      {(step.kind === 'choose' || step.kind === 'reading') && (
        <div className="flex min-w-0 flex-col gap-1.5">
          <p id={hintId} className="text-xs text-gray-700">
            Traé la conversación de antes con este cliente: en el celular del taller abrí el chat, tocá «Más» › «Exportar chat» y
            subí el archivo que se genera (.txt, o .zip con los archivos). Antes de importar vas a ver qué tiene.
          </p>
          <label htmlFor={inputId} className="text-sm font-medium text-gray-900">
            Archivo exportado (.txt o .zip)
          </label>
          <input
            ref={fileInput}
            id={inputId}
            type="file"
            accept={ACCEPT}
            aria-describedby={hintId}
            disabled={step.kind === 'reading'}
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              event.currentTarget.value = ''; // choosing the same file again fires change again
              if (file) void read(file);
            }}
            className={`block w-full min-w-0 text-sm text-gray-900 file:mr-3 file:min-h-10 file:rounded-md file:border file:border-gray-300 file:bg-white file:px-3 file:py-2 file:text-sm file:font-medium file:text-gray-900 hover:file:bg-gray-50 ${focusRing}`}
          />
          <p className="text-xs text-gray-600">Hasta {MAX_IMPORT_BYTES / (1024 * 1024)} MB por archivo.</p>
          <div role="status" aria-live="polite" className="text-xs text-gray-700">
            {step.kind === 'reading' && (
              <span className="inline-flex items-center gap-2">
                <Spinner /> Leyendo «{step.file.name}»…
              </span>
            )}
          </div>
          <div>
            <button type="button" onClick={cancel} className={secondary}>
              Cancelar
            </button>
          </div>
        </div>
      )}

      {(step.kind === 'preview' || step.kind === 'importing') && (
        <Preview
          step={step}
          orderId={orderId}
          shop={shop}
          setShop={(name) => {
            setShop(name);
            setShopMissing(false);
          }}
          shopMissing={shopMissing}
          headingRef={stepHeading}
          shopHintId={shopHintId}
          shopErrorId={shopErrorId}
          onImport={() => void run(step.file, step.preview)}
          onAnother={another}
          onCancel={cancel}
        />
      )}

      {step.kind === 'done' && (
        <div className="flex min-w-0 flex-col gap-2">
          <h4 ref={stepHeading} tabIndex={-1} className={`text-sm font-semibold text-emerald-800 ${focusRing}`}>
            {step.result.alreadyImported ? 'Nada para agregar' : 'Historial importado'}
          </h4>
          <div role="status" className="text-sm text-gray-800">
            {importOutcome(step.result, orderId).map((line) => (
              <p key={line}>{line}</p>
            ))}
          </div>
          <div className="flex flex-wrap gap-2">
            <button type="button" onClick={another} className={secondary}>
              Importar otro archivo
            </button>
            <button type="button" onClick={onClose} className={secondary}>
              Cerrar
            </button>
          </div>
        </div>
      )}

      {step.kind === 'error' && (
        <div className="flex min-w-0 flex-col gap-2">
          <h4 ref={stepHeading} tabIndex={-1} className={`text-sm font-semibold text-red-800 ${focusRing}`}>
            {step.stage === 'preview' ? 'No se pudo leer el archivo' : 'No se pudo importar'}
          </h4>
          <p role="alert" className="rounded-md bg-red-50 px-2 py-1.5 text-sm text-red-800 [overflow-wrap:anywhere]">
            «{step.file.name}»: {step.error.detail}
            {step.error.retryAfter !== null && ` Podés reintentar en ${step.error.retryAfter} s.`}
            {step.error.problem?.candidates?.length ? (
              <span className="block">
                Clientes con ese teléfono: {step.error.problem.candidates.map((c) => `${c.name} (#${c.customerId})`).join(', ')}.
              </span>
            ) : null}
          </p>
          <div className="flex flex-wrap gap-2">
            {(step.error.retryable || step.error.unauthorized) && (
              <button
                type="button"
                onClick={() => {
                  if (step.stage === 'import' && step.preview) void run(step.file, step.preview);
                  else void read(step.file);
                }}
                className={secondary}
              >
                Reintentar
              </button>
            )}
            <button type="button" onClick={another} className={secondary}>
              Elegir otro archivo
            </button>
            <button type="button" onClick={cancel} className={secondary}>
              Cancelar
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

interface PreviewProps {
  step: Extract<Step, { kind: 'preview' | 'importing' }>;
  orderId: number;
  shop: string | null;
  setShop: (name: string) => void;
  shopMissing: boolean;
  headingRef: RefObject<HTMLHeadingElement | null>;
  shopHintId: string;
  shopErrorId: string;
  onImport: () => void;
  onAnother: () => void;
  onCancel: () => void;
}

function Preview({ step, shop, setShop, shopMissing, headingRef, shopHintId, shopErrorId, onImport, onAnother, onCancel }: PreviewProps) {
  const { preview, file } = step;
  const importing = step.kind === 'importing';
  const previous = preview.previousImport;
  const customer = preview.customer;
  const groupName = useId();
  return (
    <div className="flex min-w-0 flex-col gap-2">
      <h4 ref={headingRef} tabIndex={-1} className={`text-sm font-semibold text-gray-900 [overflow-wrap:anywhere] ${focusRing}`}>
        Vista previa de «{file.name}»
      </h4>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm">
        <dt className="text-gray-600">Mensajes</dt>
        <dd className="text-gray-900">
          {messagesLabel(preview.messages)}
          {preview.systemLines > 0 && <span className="text-gray-600"> (y {preview.systemLines} avisos de WhatsApp, que no se importan)</span>}
        </dd>
        <dt className="text-gray-600">Período</dt>
        <dd className="text-gray-900">{periodText(preview.firstMessageAt, preview.lastMessageAt)}</dd>
        <dt className="text-gray-600">Adjuntos</dt>
        <dd className="text-gray-900">
          {preview.attachments}
          {preview.mediaFiles > 0 && (
            <span className="block text-xs text-gray-600">
              El .zip trae {preview.mediaFiles === 1 ? '1 archivo' : `${preview.mediaFiles} archivos`}: por ahora se guarda qué se adjuntó
              (tipo y nombre), no el archivo.
            </span>
          )}
        </dd>
        <dt className="text-gray-600">Cliente</dt>
        <dd className="text-gray-900 [overflow-wrap:anywhere]">{customer ? customer.name || `#${customer.customerId}` : 'sin identificar'}</dd>
      </dl>

      {customer?.filePhoneIsCustomers === false && (
        <p className="rounded-md bg-amber-50 px-2 py-1.5 text-xs text-amber-900 ring-1 ring-amber-200">
          El teléfono del nombre del archivo no es de {customer.name || 'este cliente'}: revisá que sea el chat correcto antes de importar.
        </p>
      )}
      {!customer && preview.customerProblem && (
        <p className="rounded-md bg-amber-50 px-2 py-1.5 text-xs text-amber-900 ring-1 ring-amber-200">{preview.customerProblem}</p>
      )}
      {previous?.state === 'completed' && (
        <p className="rounded-md bg-sky-50 px-2 py-1.5 text-xs text-sky-900 ring-1 ring-sky-200">
          Este archivo ya se importó{previous.completedAt ? ` el ${formatDateTime(previous.completedAt)}` : ''}
          {previous.importedBy ? ` (lo importó ${previous.importedBy})` : ''}: importarlo de nuevo no agrega nada.
        </p>
      )}
      {previous && previous.state !== 'completed' && (
        <p className="rounded-md bg-amber-50 px-2 py-1.5 text-xs text-amber-900 ring-1 ring-amber-200">
          Una importación anterior de este archivo quedó a medias ({messagesLabel(previous.messagesImported)} guardados): importalo de nuevo,
          con el mismo participante como taller, para completarla.
        </p>
      )}

      <fieldset
        className="flex min-w-0 flex-col gap-1"
        aria-describedby={shopMissing ? `${shopHintId} ${shopErrorId}` : shopHintId}
        disabled={importing}
      >
        <legend className="text-sm font-medium text-gray-900">¿Quién es el taller en este chat?</legend>
        <p id={shopHintId} className="text-xs text-gray-600">
          Sus mensajes quedan como enviados por el taller; los del otro participante, como del cliente.
        </p>
        {preview.participants.map((p) => (
          <label key={p.name} className="flex min-h-10 min-w-0 items-center gap-2 rounded-md px-1 text-sm text-gray-900 hover:bg-white">
            <input
              type="radio"
              name={groupName}
              value={p.name}
              checked={shop === p.name}
              onChange={() => setShop(p.name)}
              className={`size-4 shrink-0 accent-emerald-700 ${focusRing}`}
            />
            <span className="min-w-0 [overflow-wrap:anywhere]">
              <span className="font-medium">{p.name}</span>
              <span className="text-gray-600"> · {messagesLabel(p.messages)}</span>
            </span>
          </label>
        ))}
        {shopMissing && (
          <p id={shopErrorId} className="text-xs font-medium text-red-800">
            Elegí quién es el taller para poder importar.
          </p>
        )}
      </fieldset>

      <div role="status" aria-live="polite" className="text-xs text-gray-700">
        {importing && (
          <span className="inline-flex items-center gap-2">
            <Spinner /> Importando {messagesLabel(preview.messages)}…
          </span>
        )}
      </div>
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          onClick={() => {
            if (!importing && customer) onImport();
          }}
          aria-disabled={importing || !customer}
          aria-busy={importing}
          className={primary}
        >
          {importing ? 'Importando…' : `Importar ${messagesLabel(preview.messages)}`}
        </button>
        <button type="button" onClick={onAnother} disabled={importing} className={secondary}>
          Elegir otro archivo
        </button>
        <button type="button" onClick={onCancel} className={secondary}>
          Cancelar
        </button>
      </div>
    </div>
  );
}
