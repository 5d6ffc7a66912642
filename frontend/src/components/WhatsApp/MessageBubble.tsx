/**
 * One message of the conversation: the customer's on the left, the shop's on the
 * right, with time, delivery ticks (shop only), media placeholder, quoted
 * message and reactions.
 */
import { memo, useState } from 'react';
import type { DeliveryStatus, Media, Message } from '../../types/whatsapp';
import { explainFailure, unknownTypeText } from './explain';
import { formatDateTime, formatTime } from './format';
import { FormattedText } from './FormattedText';
import { foldText } from './whatsappText';
import type { AttachedReaction } from './thread';
import { Tooltip } from './Tooltip';
import { MediaAttachment } from './MediaAttachment';

export interface MessageBubbleProps {
  message: Message;
  /** The replied-to message when loaded; null when it is not; undefined when not a reply. */
  quoted?: Message | null;
  reactions?: AttachedReaction[];
  /** Shown for the customer's messages (screen readers, quotes). */
  customerName?: string;
}

const MEDIA_ICONS: Record<string, string> = {
  image: '🖼️',
  video: '🎬',
  audio: '🎤',
  voice: '🎤',
  sticker: '💟',
  document: '📎',
};

const MEDIA_NAMES: Record<string, string> = {
  image: 'Imagen',
  video: 'Video',
  audio: 'Audio',
  voice: 'Mensaje de voz',
  sticker: 'Sticker',
  document: 'Documento',
  media: 'Adjunto no incluido en la exportación',
};

/** "📎 presupuesto.pdf", "🖼️ Imagen" */
export function mediaLabel(media: Media): string {
  const kind = media.kind.toLowerCase();
  const icon = media.fileName ? (kind === 'image' || kind === 'video' ? MEDIA_ICONS[kind] : '📎') : (MEDIA_ICONS[kind] ?? '📎');
  return `${icon} ${media.fileName ?? MEDIA_NAMES[kind] ?? 'Archivo adjunto'}`;
}

/** A short text for a message (quotes, reactions). */
export function messagePreview(message: Message): string {
  if (message.text) return message.text;
  if (message.media) return message.media.caption || mediaLabel(message.media);
  if (message.choice?.title) return message.choice.title;
  return message.type === 'unrecorded' ? 'Mensaje del taller' : 'Mensaje';
}

/** Label and reason of a delivery state, in Spanish. */
export function deliveryLabel(status: DeliveryStatus): { label: string; reason: string | null } {
  switch (status.state) {
    case 'sent':
      return { label: 'Enviado', reason: null };
    case 'delivered':
      return { label: 'Entregado', reason: null };
    case 'read':
      return { label: 'Leído', reason: null };
    case 'failed':
      return { label: 'No entregado', reason: explainFailure(status.errorCode) };
    default:
      return { label: 'Estado de entrega desconocido', reason: null };
  }
}

function Ticks({ status }: { status: DeliveryStatus }) {
  const { label, reason } = deliveryLabel(status);
  const at = formatDateTime(status.at);
  if (status.state === 'failed') {
    return (
      <Tooltip text={`No entregado. ${reason ?? ''}`} align="end">
        <span
          tabIndex={0}
          role="img"
          aria-label={label}
          data-state="failed"
          className="inline-flex size-6 cursor-help items-center justify-center rounded-full focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-red-700"
        >
          <span className="inline-flex size-4 items-center justify-center rounded-full bg-red-700 text-[10px] font-bold leading-none text-white">
            !
          </span>
        </span>
      </Tooltip>
    );
  }
  const double = status.state === 'delivered' || status.state === 'read';
  const known = double || status.state === 'sent';
  return (
    <span
      role="img"
      aria-label={at ? `${label} (${at})` : label}
      title={at ? `${label} · ${at}` : label}
      data-state={status.state}
      className={`text-xs font-semibold leading-none tracking-[-0.2em] ${status.state === 'read' ? 'text-sky-700' : 'text-gray-600'}`}
    >
      {known ? (double ? '✓✓' : '✓') : <span className="tracking-normal">?</span>}
    </span>
  );
}

function Quote({ quoted, customerName }: { quoted: Message | null; customerName: string }) {
  if (!quoted) {
    return (
      <div className="mb-1 rounded border-l-4 border-gray-300 bg-black/5 px-2 py-1 text-xs italic text-gray-700">
        Respuesta a un mensaje que no está cargado
      </div>
    );
  }
  const who = quoted.direction === 'inbound' ? customerName : 'Taller';
  return (
    <blockquote
      dir="auto"
      aria-label={`En respuesta a ${who}`}
      className={`mb-1 rounded border-l-4 bg-black/5 px-2 py-1 text-xs ${
        quoted.direction === 'inbound' ? 'border-gray-400' : 'border-emerald-600'
      }`}
    >
      <span className="block font-semibold text-gray-800">{who}</span>
      <span className="line-clamp-2 text-gray-700 [overflow-wrap:anywhere]">{messagePreview(quoted)}</span>
    </blockquote>
  );
}

/** Text that folds behind "Leer más" when it is very long (WhatsApp does the same). */
function MessageText({ text }: { text: string }) {
  const [expanded, setExpanded] = useState(false);
  const folded = expanded ? null : foldText(text);
  return (
    <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">
      <FormattedText text={folded ?? text} />
      {folded !== null && (
        <>
          {' '}
          <button
            type="button"
            aria-expanded="false"
            onClick={() => setExpanded(true)}
            className="inline-flex min-h-6 items-center rounded px-1 font-semibold text-sky-800 hover:underline focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-700"
          >
            Leer más
          </button>
        </>
      )}
    </p>
  );
}

/** How many times a bubble rendered (tests and the browser benchmark read it; nothing else). */
export const renderStats = { bubbles: 0 };

function sameReactions(a: readonly AttachedReaction[] = [], b: readonly AttachedReaction[] = []): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, i) => {
    const o = b[i] as AttachedReaction;
    return r.emoji === o.emoji && r.direction === o.direction && r.at === o.at;
  });
}

function MessageBubbleImpl({ message, quoted, reactions = [], customerName = 'Cliente' }: MessageBubbleProps) {
  renderStats.bubbles++;
  const inbound = message.direction === 'inbound';
  const caption = message.media?.caption ?? null;
  const text = message.text && message.text !== caption ? message.text : null;
  const hasContent = Boolean(text || message.media || message.choice?.title);

  return (
    <div className={`flex ${inbound ? 'justify-start' : 'justify-end'}`} data-direction={message.direction} data-id={message.id}>
      <div className={`flex max-w-[85%] min-w-0 flex-col ${inbound ? 'items-start' : 'items-end'}`}>
        <div
          dir="auto"
          className={`relative min-w-0 max-w-full rounded-2xl px-3 py-2 text-sm shadow-sm ${
            inbound ? 'rounded-tl-sm bg-white text-gray-900 ring-1 ring-gray-200' : 'rounded-tr-sm bg-emerald-100 text-gray-900'
          }`}
        >
          <span className="sr-only" dir="auto">{inbound ? `${customerName}:` : 'Taller:'} </span>
          {message.replyTo && <Quote quoted={quoted ?? null} customerName={customerName} />}
          {message.media && <MediaAttachment media={message.media} label={mediaLabel(message.media)} outbound={message.direction === 'outbound'} />}
          {caption && <MessageText text={caption} />}
          {text && <MessageText text={text} />}
          {message.choice?.title && (
            <p dir="auto" className="[overflow-wrap:anywhere]">
              <span aria-hidden="true">🔘 </span>
              <span className="sr-only">Eligió la opción </span>
              <span className="font-medium">«{message.choice.title}»</span>
            </p>
          )}
          {!hasContent && <p className="italic text-gray-700">{unknownTypeText(message.type)}</p>}
          <div dir="ltr" className="mt-1 flex min-w-0 items-center justify-end gap-1.5 text-[11px] leading-none text-gray-600">
            {!inbound && message.sentBy && (
              // who of the shop sent it from the panel
              <span className="min-w-0 truncate" data-testid="sent-by">
                {message.sentBy} ·
              </span>
            )}
            <time dateTime={message.timestamp} title={formatDateTime(message.timestamp)}>
              {formatTime(message.timestamp)}
            </time>
            {!inbound && message.status && <Ticks status={message.status} />}
          </div>
        </div>
        {!inbound && message.status?.state === 'failed' && (
          // also in the tick's tooltip; shown here too because a tooltip near the top of the
          // scrolling conversation is cut off, and touch screens have no hover
          <p aria-hidden="true" className="mt-0.5 max-w-full px-1 text-right text-[11px] text-red-700 [overflow-wrap:anywhere]">
            No entregado. {deliveryLabel(message.status).reason}
          </p>
        )}
        {reactions.length > 0 && (
          <ul aria-label="Reacciones" className="-mt-1 flex gap-1 px-2">
            {reactions.map((r) => (
              <li
                key={r.direction}
                className="rounded-full bg-white px-1.5 py-0.5 text-xs shadow ring-1 ring-gray-200"
                title={`${r.direction === 'inbound' ? customerName : 'Taller'} reaccionó ${r.emoji}`}
              >
                <span aria-hidden="true">{r.emoji}</span>
                <span className="sr-only">
                  {r.direction === 'inbound' ? customerName : 'Taller'} reaccionó {r.emoji}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/**
 * Memoized: a poll that brings one new message renders one bubble. The thread is rebuilt on every
 * change, so reactions are compared by content; the message and its quote keep their objects
 * when unchanged (see useWhatsAppMessages).
 */
export const MessageBubble = memo(
  MessageBubbleImpl,
  (a, b) =>
    a.message === b.message &&
    a.quoted === b.quoted &&
    a.customerName === b.customerName &&
    sameReactions(a.reactions, b.reactions),
);
