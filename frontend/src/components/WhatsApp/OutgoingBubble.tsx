/**
 * A send of this panel that the conversation does not hold yet: "enviando" at once, then what the
 * server says. Once ACS accepted it, it is drawn exactly as the stored message will be (same
 * MessageBubble), so the swap when the conversation brings it is invisible.
 *
 * Failures say why and what to do. `unknown` ("No pudimos confirmar si salió") offers nothing
 * automatic: "Reenviar…" asks first, and then sends a NEW request (a person decided to risk a
 * second copy); a request that got no answer offers "Reintentar", which repeats the very same
 * request (same clientRequestId), which the server never sends twice.
 *
 * A photo or document shows from the browser's own copy of the file while it goes (a thumbnail, or its
 * name and size); once ACS accepted it, the stored copy comes from the media route like any other.
 */
import { useEffect, useId, useState } from 'react';
import { bubbleOf, phaseOf, textOf, type LocalSend } from '../../hooks/useWhatsAppSends';
import type { Media, Message } from '../../types/whatsapp';
import { humanizeFieldNames, formatDateTime, formatTime } from './format';
import { FormattedText } from './FormattedText';
import { formatSize } from './MediaAttachment';
import { MessageBubble, mediaLabel } from './MessageBubble';

/** An object URL of `file` while mounted (revoked after). */
function useFileUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file || typeof URL.createObjectURL !== 'function') return undefined;
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [file]);
  return url;
}

/** The file of a send not yet accepted: the local copy when this page has it, else its name. */
function PendingMedia({ media, file }: { media: Media; file: File | null }) {
  const isImage = media.kind === 'image';
  const src = useFileUrl(isImage ? file : null);
  const size = formatSize(media.size ?? file?.size);
  if (isImage && src) {
    return (
      <img
        src={src}
        alt={media.caption ? `Foto enviada: ${media.caption}` : 'Foto enviada'}
        className="h-40 w-56 max-w-full rounded object-cover"
        data-testid="media-sending-thumbnail"
      />
    );
  }
  return (
    <p dir="auto" className="font-medium text-gray-800 [overflow-wrap:anywhere]" data-testid="media">
      {mediaLabel(media)}
      {size ? <span className="font-normal text-gray-600"> · {size}</span> : null}
    </p>
  );
}

export const UNKNOWN_TEXT = 'No pudimos confirmar si salió.';
export const UNKNOWN_HELP =
  'Puede que WhatsApp lo haya entregado igual: fijate en la conversación en unos minutos o preguntale al cliente. Si no llegó, reenvialo.';
export const REQUEST_FAILED_TEXT = 'No pudimos confirmar el envío con el servidor.';
export const REQUEST_FAILED_HELP = '«Reintentar» repite el mismo pedido: si ya había salido, no se manda dos veces.';

const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700';
const actionClass = `inline-flex min-h-6 min-w-6 items-center rounded px-1.5 text-[11px] font-semibold underline underline-offset-2 ${focusRing}`;

export interface OutgoingBubbleProps {
  local: LocalSend;
  onRetry: (clientRequestId: string) => void;
  onResend: (clientRequestId: string) => void;
  onDismiss: (clientRequestId: string) => void;
  onEdit?: (text: string) => void;
}

function Clock() {
  return (
    <span role="img" aria-label="Enviando" data-state="sending" className="inline-flex size-3 items-center justify-center text-gray-600">
      <svg viewBox="0 0 16 16" className="size-3" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
        <circle cx="8" cy="8" r="6.2" />
        <path d="M8 4.5V8l2.2 1.6" strokeLinecap="round" />
      </svg>
    </span>
  );
}

export function OutgoingBubble({ local, onRetry, onResend, onDismiss, onEdit }: OutgoingBubbleProps) {
  const phase = phaseOf(local);
  const [confirming, setConfirming] = useState(false);
  const noteId = useId();
  const bubble = bubbleOf(local);

  if (phase === 'sent' && bubble.id !== null) {
    // The stored message: the same bubble the conversation will draw.
    return (
      <div data-send={local.clientRequestId} data-phase="sent">
        <MessageBubble message={bubble as Message} />
      </div>
    );
  }

  const text = textOf(local) || (bubble.media?.caption ?? '');
  const media = bubble.media ?? null;
  const file = local.action?.kind === 'media' ? local.action.file : null;
  const reason =
    local.send?.reason ?? (local.send?.message.status && 'reason' in local.send.message.status ? local.send.message.status.reason : null);
  const problem = phase === 'failed' || phase === 'rejected';
  const warn = phase === 'unknown' || phase === 'requestFailed';

  return (
    <div
      className="flex justify-end"
      data-direction="outbound"
      data-send={local.clientRequestId}
      data-phase={phase}
    >
      <div className="flex min-w-0 max-w-[85%] flex-col items-end">
        <div
          dir="auto"
          aria-describedby={problem || warn ? noteId : undefined}
          className={`relative min-w-0 max-w-full rounded-2xl rounded-tr-sm px-3 py-2 text-sm text-gray-900 shadow-sm ${
            problem ? 'bg-red-50 ring-1 ring-red-200' : 'bg-emerald-100'
          }`}
        >
          <span className="sr-only">Taller: </span>
          {media && <PendingMedia media={media} file={file} />}
          {(text || !media) && (
            <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">
              <FormattedText text={text} />
            </p>
          )}
          <div dir="ltr" className="mt-1 flex items-center justify-end gap-1.5 text-[11px] leading-none text-gray-600">
            <time dateTime={bubble.timestamp} title={formatDateTime(bubble.timestamp)}>
              {formatTime(bubble.timestamp)}
            </time>
            {phase === 'sending' && (
              <>
                <span>enviando</span>
                <Clock />
              </>
            )}
            {problem && (
              <span role="img" aria-label="No enviado" data-state="failed" className="inline-flex size-4 items-center justify-center rounded-full bg-red-700 text-[10px] font-bold leading-none text-white">
                !
              </span>
            )}
            {warn && (
              <span role="img" aria-label="Sin confirmar" data-state="unknown" className="inline-flex size-4 items-center justify-center rounded-full bg-amber-600 text-[10px] font-bold leading-none text-white">
                ?
              </span>
            )}
          </div>
        </div>
        {(problem || warn) && (
          <div id={noteId} role={problem ? 'alert' : 'status'} className="mt-0.5 flex max-w-full flex-col items-end gap-0.5 px-1 text-right text-[11px]">
            {phase === 'failed' && (
              <p className="text-red-800 [overflow-wrap:anywhere]">
                <span className="font-semibold">No se envió.</span> {reason ?? 'WhatsApp no lo aceptó. Si vuelve a pasar, avisá al administrador.'}
              </p>
            )}
            {phase === 'rejected' && (
              <p className="text-red-800 [overflow-wrap:anywhere]">
                <span className="font-semibold">No se envió.</span> {humanizeFieldNames(local.error?.detail ?? '')}
              </p>
            )}
            {phase === 'unknown' && (
              <p className="text-amber-900 [overflow-wrap:anywhere]">
                <span className="font-semibold">{UNKNOWN_TEXT}</span> {UNKNOWN_HELP}
              </p>
            )}
            {phase === 'requestFailed' && (
              <p className="text-amber-900 [overflow-wrap:anywhere]">
                <span className="font-semibold">{REQUEST_FAILED_TEXT}</span> {humanizeFieldNames(local.error?.detail ?? '')}{' '}
                {REQUEST_FAILED_HELP}
              </p>
            )}
            <div className="flex flex-wrap justify-end gap-1">
              {phase === 'requestFailed' && (
                <button type="button" className={`${actionClass} text-amber-900`} onClick={() => onRetry(local.clientRequestId)}>
                  Reintentar
                </button>
              )}
              {(phase === 'unknown' || phase === 'failed') && !confirming && (
                <button type="button" className={`${actionClass} ${phase === 'failed' ? 'text-red-900' : 'text-amber-900'}`} onClick={() => setConfirming(true)}>
                  Reenviar…
                </button>
              )}
              {(phase === 'failed' || phase === 'rejected') && onEdit && text && !media && local.send?.kind !== 'template' && local.action?.kind !== 'template' && (
                <button
                  type="button"
                  className={`${actionClass} text-red-900`}
                  onClick={() => {
                    onEdit(text);
                    onDismiss(local.clientRequestId);
                  }}
                >
                  Editar
                </button>
              )}
              {(phase === 'failed' || phase === 'rejected') && (
                <button type="button" className={`${actionClass} text-red-900`} onClick={() => onDismiss(local.clientRequestId)}>
                  Descartar
                </button>
              )}
            </div>
            {confirming && (
              <div role="group" aria-label="Confirmar reenvío" className="mt-1 flex max-w-full flex-col items-end gap-1 rounded-md bg-white px-2 py-1.5 text-gray-900 shadow ring-1 ring-gray-200">
                <p className="[overflow-wrap:anywhere]">
                  {phase === 'unknown'
                    ? '¿Reenviarlo? Si el primero sí salió, el cliente lo va a recibir dos veces.'
                    : '¿Reenviarlo como un mensaje nuevo?'}
                </p>
                <div className="flex gap-1">
                  <button
                    type="button"
                    className={`inline-flex min-h-6 items-center rounded bg-emerald-700 px-2 text-[11px] font-semibold text-white hover:bg-emerald-800 ${focusRing}`}
                    onClick={() => {
                      setConfirming(false);
                      onResend(local.clientRequestId);
                    }}
                  >
                    Sí, reenviar
                  </button>
                  <button
                    type="button"
                    className={`inline-flex min-h-6 items-center rounded px-2 text-[11px] font-semibold text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50 ${focusRing}`}
                    onClick={() => setConfirming(false)}
                  >
                    No
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
