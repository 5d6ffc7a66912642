/**
 * A message's media (issue 16): image thumbnails that open a viewer, voice notes and audio played in
 * place, videos on request, documents offered for download with name and size, and, in Spanish, what
 * happened to an item that is still downloading, failed or expired.
 *
 * Files come from `/api/whatsapp/media/{id}` with the panel's own sign-in (a bearer token cannot ride on
 * an `<img src>`), so each is fetched as a Blob and shown through an object URL, revoked when the bubble
 * goes away. Large things (video, documents) are fetched only when asked for.
 */
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState } from 'react';
import type { Media } from '../../types/whatsapp';

export type MediaLoader = (url: string, options?: { signal?: AbortSignal }) => Promise<Blob>;

/** The panel's service `getMedia`, for every bubble without prop drilling. */
export const MediaLoaderContext = createContext<MediaLoader | null>(null);

const sizeFormat = new Intl.NumberFormat('es-AR', { maximumFractionDigits: 1 });

/** "820 B", "12 KB", "1,5 MB" */
export function formatSize(bytes: number | null | undefined): string | null {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return null;
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${sizeFormat.format(Math.round(bytes / 1024))} KB`;
  return `${sizeFormat.format(bytes / (1024 * 1024))} MB`;
}

/** What staff read about an item that is not (yet) stored. */
export function mediaStateText(media: Media): string | null {
  switch (media.state) {
    case 'pending':
    case 'downloading':
      return media.reason
        ? `Todavía no pudimos descargar el archivo de WhatsApp; seguimos intentando. ${media.reason}`
        : 'Descargando el archivo de WhatsApp…';
    case 'failed':
      return `No se pudo guardar el archivo. ${media.reason ?? ''}`.trim();
    case 'expired':
      return `El archivo ya no está disponible en WhatsApp. ${media.reason ?? ''}`.trim();
    default:
      return null;
  }
}

function useObjectUrl(url: string | null): { src: string | null; failed: boolean } {
  const load = useContext(MediaLoaderContext);
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!url || !load) return undefined;
    const controller = new AbortController();
    let objectUrl: string | null = null;
    setFailed(false);
    load(url, { signal: controller.signal }).then(
      (blob) => {
        if (controller.signal.aborted) return;
        objectUrl = URL.createObjectURL(blob);
        setSrc(objectUrl);
      },
      () => {
        if (!controller.signal.aborted) setFailed(true);
      },
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setSrc(null);
    };
  }, [url, load]);
  return { src, failed };
}

/** The same box before and after the photo arrives: the thread does not jump (and keeps its scroll) when it loads. */
const THUMBNAIL_BOX = 'h-40 w-56 max-w-full';

const LOAD_FAILED = 'No se pudo abrir el archivo. Probá de nuevo en un momento.';

function ImageMedia({ media, alt }: { media: Media; alt: string }) {
  const { src, failed } = useObjectUrl(media.url ?? null);
  const [open, setOpen] = useState(false);
  const titleId = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) closeRef.current?.focus();
  }, [open]);
  if (failed) return <p className="text-xs text-red-700">{LOAD_FAILED}</p>;
  if (!src) {
    return (
      <div className={`${THUMBNAIL_BOX} animate-pulse rounded bg-gray-200`} role="img" aria-label={`${alt} (cargando)`} data-testid="media-loading" />
    );
  }
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        className="block overflow-hidden rounded focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-700"
        aria-label={`Ver en grande: ${alt}`}
      >
        <img src={src} alt={alt} className={`${THUMBNAIL_BOX} object-cover`} data-testid="media-thumbnail" />
      </button>
      {open && (
        <div
          role="dialog"
          aria-modal="true"
          aria-labelledby={titleId}
          className="fixed inset-0 z-50 flex flex-col items-center justify-center gap-2 bg-black/80 p-4"
          onKeyDown={(event) => {
            if (event.key === 'Escape') setOpen(false);
          }}
          onClick={(event) => {
            if (event.target === event.currentTarget) setOpen(false);
          }}
        >
          <h2 id={titleId} className="sr-only">
            {alt}
          </h2>
          <img src={src} alt={alt} className="max-h-[85vh] max-w-full object-contain" data-testid="media-viewer-image" />
          <button
            ref={closeRef}
            type="button"
            onClick={() => setOpen(false)}
            className="rounded bg-white px-3 py-1 text-sm font-semibold text-gray-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white"
          >
            Cerrar
          </button>
        </div>
      )}
    </>
  );
}

function AudioMedia({ media, label }: { media: Media; label: string }) {
  const { src, failed } = useObjectUrl(media.url ?? null);
  if (failed) return <p className="text-xs text-red-700">{LOAD_FAILED}</p>;
  return <audio controls preload="metadata" src={src ?? undefined} aria-label={label} className="max-w-full" data-testid="media-audio" />;
}

function OnRequest({ media, label, video }: { media: Media; label: string; video: boolean }) {
  const load = useContext(MediaLoaderContext);
  const [state, setState] = useState<'idle' | 'loading' | 'failed'>('idle');
  const [videoSrc, setVideoSrc] = useState<string | null>(null);
  const size = formatSize(media.size);
  useEffect(() => () => {
    if (videoSrc) URL.revokeObjectURL(videoSrc);
  }, [videoSrc]);
  const open = useCallback(async () => {
    if (!load || !media.url) return;
    setState('loading');
    try {
      const blob = await load(media.url);
      const objectUrl = URL.createObjectURL(blob);
      if (video) {
        setVideoSrc(objectUrl);
      } else {
        const link = document.createElement('a');
        link.href = objectUrl;
        link.download = media.fileName ?? 'archivo';
        link.rel = 'noopener';
        link.click();
        setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
      }
      setState('idle');
    } catch {
      setState('failed');
    }
  }, [load, media.url, media.fileName, video]);
  if (videoSrc) {
    return <video controls src={videoSrc} className="max-h-64 max-w-full rounded" aria-label={label} autoPlay />;
  }
  const action = video ? 'Ver' : 'Descargar';
  return (
    <>
      <button
        type="button"
        onClick={() => void open()}
        disabled={state === 'loading'}
        data-testid="media-download"
        className="inline-flex min-h-8 max-w-full items-center gap-2 rounded border border-gray-300 bg-white px-2 py-1 text-left text-xs font-medium text-gray-900 hover:bg-gray-50 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-700 disabled:opacity-60"
      >
        <span className="[overflow-wrap:anywhere]">{label}</span>{' '}
        <span className="shrink-0 text-sky-800">
          {action}
          {size ? ` (${size})` : ''}
        </span>
        {state === 'loading' && <span className="text-gray-600">…</span>}
      </button>
      {state === 'failed' && <p className="text-xs text-red-700">{LOAD_FAILED}</p>}
    </>
  );
}

/** The media of one message; `label` is the bubble's short name for it ("🖼️ Imagen", "📎 presupuesto.pdf"). */
export function MediaAttachment({ media, label, outbound = false }: { media: Media; label: string; outbound?: boolean }) {
  const load = useContext(MediaLoaderContext);
  const stateText = mediaStateText(media);
  const kind = media.kind.toLowerCase();
  const type = media.contentType ?? '';
  const plain = (
    <p dir="auto" className="font-medium text-gray-800 [overflow-wrap:anywhere]" data-testid="media">
      {label}
    </p>
  );
  if (stateText) {
    return (
      <div data-testid="media" data-state={media.state}>
        <p dir="auto" className="font-medium text-gray-800 [overflow-wrap:anywhere]">{label}</p>
        <p className={`text-xs ${media.state === 'failed' || media.state === 'expired' ? 'text-red-700' : 'text-gray-700'}`}>
          {stateText}
        </p>
      </div>
    );
  }
  if (media.state !== 'stored' || !media.url || !load) return plain;
  const alt = media.caption || (kind === 'sticker' ? 'Sticker' : outbound ? 'Foto enviada' : 'Imagen del cliente');
  let body;
  if (type.startsWith('image/')) body = <ImageMedia media={media} alt={alt} />;
  else if (type.startsWith('audio/')) body = <AudioMedia media={media} label={label} />;
  else body = <OnRequest media={media} label={label} video={type.startsWith('video/')} />;
  return (
    <div data-testid="media" data-state="stored" className="flex flex-col gap-1">
      {body}
    </div>
  );
}
