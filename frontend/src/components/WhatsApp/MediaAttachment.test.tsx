import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Media } from '../../types/whatsapp';
import { formatSize, MediaAttachment, MediaLoaderContext, type MediaLoader } from './MediaAttachment';

function stored(overrides: Partial<Media>): Media {
  return {
    kind: 'image', mimeType: 'image/jpeg', fileName: null, caption: null, id: 7, state: 'stored', reason: null,
    contentType: 'image/jpeg', size: 2048, url: '/api/whatsapp/media/7', ...overrides,
  };
}

function show(media: Media, load: MediaLoader = vi.fn(async () => new Blob(['x'], { type: media.contentType ?? '' }))) {
  render(
    <MediaLoaderContext.Provider value={load}>
      <MediaAttachment media={media} label="🖼️ Imagen" />
    </MediaLoaderContext.Provider>,
  );
  return load;
}

let created: string[] = [];
let revoked: string[] = [];

beforeEach(() => {
  created = [];
  revoked = [];
  let n = 0;
  URL.createObjectURL = vi.fn(() => {
    const url = `blob:test/${++n}`;
    created.push(url);
    return url;
  });
  URL.revokeObjectURL = vi.fn((url: string) => {
    revoked.push(url);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MediaAttachment', () => {
  it('shows an image as a thumbnail fetched with the sign-in, and opens it in a viewer', async () => {
    const load = show(stored({ caption: 'Pantalla rota' }));
    const thumbnail = await screen.findByTestId('media-thumbnail');
    expect(load).toHaveBeenCalledWith('/api/whatsapp/media/7', expect.objectContaining({ signal: expect.any(AbortSignal) }));
    expect(thumbnail).toHaveAttribute('src', 'blob:test/1');
    expect(thumbnail).toHaveAttribute('alt', 'Pantalla rota');
    await userEvent.click(screen.getByRole('button', { name: 'Ver en grande: Pantalla rota' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(screen.getByTestId('media-viewer-image')).toHaveAttribute('src', 'blob:test/1');
    expect(screen.getByRole('button', { name: 'Cerrar' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('releases the object URL when the bubble goes away', async () => {
    const load = vi.fn(async () => new Blob(['x']));
    const { unmount } = render(
      <MediaLoaderContext.Provider value={load}>
        <MediaAttachment media={stored({})} label="🖼️ Imagen" />
      </MediaLoaderContext.Provider>,
    );
    await screen.findByTestId('media-thumbnail');
    unmount();
    expect(revoked).toEqual(created);
  });

  it('plays a voice note in place', async () => {
    show(stored({ kind: 'audio', contentType: 'audio/ogg', mimeType: 'audio/ogg; codecs=opus' }));
    await waitFor(() => expect(screen.getByTestId('media-audio')).toHaveAttribute('src', 'blob:test/1'));
    expect(screen.getByTestId('media-audio')).toHaveAttribute('controls');
  });

  it('offers a document for download with its name and size, fetched only when asked', async () => {
    const load = show(stored({ kind: 'document', contentType: 'application/pdf', fileName: 'presupuesto.pdf',
      size: 1_572_864 }));
    expect(screen.getByRole('button', { name: '🖼️ Imagen Descargar (1,5 MB)' })).toBeInTheDocument();
    const button = screen.getByTestId('media-download');
    expect(button).toHaveTextContent('🖼️ Imagen Descargar (1,5 MB)');
    expect(load).not.toHaveBeenCalled();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    await userEvent.click(button);
    expect(load).toHaveBeenCalledWith('/api/whatsapp/media/7');
    expect(click).toHaveBeenCalledTimes(1);
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toBe('presupuesto.pdf');
  });

  it('says in Spanish when the file is still coming, failed or expired, and fetches nothing', () => {
    const load = vi.fn(async () => new Blob([]));
    render(
      <MediaLoaderContext.Provider value={load}>
        <MediaAttachment media={stored({ state: 'pending', url: null })} label="🖼️ Imagen" />
        <MediaAttachment media={stored({ state: 'expired', url: null, reason: 'WhatsApp ya no tiene el archivo.' })} label="🎤 Audio" />
        <MediaAttachment media={stored({ state: 'failed', url: null, reason: 'El archivo supera el límite.' })} label="📎 doc" />
      </MediaLoaderContext.Provider>,
    );
    expect(screen.getByText('Descargando el archivo de WhatsApp…')).toBeInTheDocument();
    expect(screen.getByText('El archivo ya no está disponible en WhatsApp. WhatsApp ya no tiene el archivo.')).toBeInTheDocument();
    expect(screen.getByText('No se pudo guardar el archivo. El archivo supera el límite.')).toBeInTheDocument();
    expect(load).not.toHaveBeenCalled();
  });

  it('says so when the file cannot be fetched', async () => {
    show(stored({}), vi.fn(async () => Promise.reject(new Error('503'))));
    expect(await screen.findByText('No se pudo abrir el archivo. Probá de nuevo en un momento.')).toBeInTheDocument();
  });

  it('keeps the plain label for messages stored before media were kept', () => {
    show({ kind: 'image', mimeType: 'image/jpeg', fileName: null, caption: null });
    expect(screen.getByTestId('media')).toHaveTextContent('🖼️ Imagen');
  });

  it('formats sizes the Argentine way', () => {
    expect(formatSize(820)).toBe('820 B');
    expect(formatSize(12 * 1024)).toBe('12 KB');
    expect(formatSize(1.5 * 1024 * 1024)).toBe('1,5 MB');
    expect(formatSize(null)).toBeNull();
  });
});
