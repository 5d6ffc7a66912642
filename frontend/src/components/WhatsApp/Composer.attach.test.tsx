import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachmentProblem, createWhatsAppService, WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import { fakeService, makeMessage, makeOrder, makePage } from '../../test/fixtures';
import type { CustomerServiceWindow, Message, ReplyProposal, Send, SendRequest, UploadedMedia } from '../../types/whatsapp';
import { ATTACH_CLOSED_REASON, Composer } from './Composer';
import { WhatsAppPanelView } from './WhatsAppPanelView';

const OPEN = { open: true, until: new Date(Date.now() + 5 * 3_600_000).toISOString(), lastInboundAt: null };
const CLOSED = { open: false, until: '2026-11-20T10:00:00Z', lastInboundAt: '2026-11-19T10:00:00Z' };
const NOW = '2026-12-01T12:00:00Z';
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const REF = `outgoing/${'a'.repeat(64)}`;

function png(name = 'pantalla.png'): File {
  return new File([PNG_BYTES], name, { type: 'image/png' });
}

function pdf(name = 'Presupuesto 123.pdf', size = 2048): File {
  return new File([new Uint8Array(size)], name, { type: 'application/pdf' });
}

function uploadedOf(file: File): UploadedMedia {
  const kind = file.type.startsWith('image/') ? 'image' : 'document';
  return { blobRef: REF, kind, contentType: file.type, size: file.size, fileName: file.name };
}

let created: string[] = [];
beforeEach(() => {
  created = [];
  let n = 0;
  URL.createObjectURL = vi.fn(() => {
    n += 1;
    const url = `blob:local/${n}`;
    created.push(url);
    return url;
  });
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => vi.restoreAllMocks());

function storedPhoto(caption: string | null, id = 60): Message {
  return makeMessage({
    id,
    direction: 'outbound',
    type: 'image',
    text: null,
    whatsappMessageId: `acs-${id}`,
    timestamp: NOW,
    sentBy: 'Ana Gómez',
    media: { kind: 'image', mimeType: 'image/png', fileName: 'pantalla.png', caption, id: 7, state: 'stored', reason: null, contentType: 'image/png', size: PNG_BYTES.length, url: '/api/whatsapp/media/7' },
  });
}

function sentOf(body: SendRequest, message: Message): Send {
  return {
    id: 9,
    clientRequestId: body.clientRequestId,
    orderId: 1,
    state: 'sent',
    kind: 'media',
    messageId: message.whatsappMessageId ?? null,
    attempts: 1,
    nextAttemptAt: null,
    errorCode: null,
    reason: null,
    createdAt: NOW,
    proposalId: null,
    message,
  };
}

function panelService(messages: { current: Message[] }, overrides: Partial<WhatsAppService> = {}) {
  const base = fakeService(makeOrder({ customerServiceWindow: OPEN, messageCount: 1 }), {});
  const inbound = makeMessage({ id: 1, text: 'Mandame una foto', timestamp: '2026-11-30T12:00:00Z' });
  base.listMessages.mockImplementation(async () => makePage([inbound, ...messages.current]));
  return {
    ...base,
    listTemplates: vi.fn(async () => ({ orderId: 1, window: OPEN, templates: [] })),
    listOutbox: vi.fn(async () => ({ orderId: 1, sends: [] as Send[] })),
    listReplyProposals: vi.fn(async () => ({ orderId: 1, proposals: [] as ReplyProposal[] })),
    uploadMedia: vi.fn(async (file: File) => uploadedOf(file)),
    sendMessage: vi.fn(async (_id: number, body: SendRequest) => {
      const caption = 'media' in body ? (body.media.caption ?? null) : null;
      messages.current = [storedPhoto(caption)];
      return sentOf(body, storedPhoto(caption));
    }),
    sendReplyProposal: vi.fn(),
    discardReplyProposal: vi.fn(),
    ...overrides,
  };
}

function attachInput(): HTMLInputElement {
  return document.querySelector('[data-testid="attach-input"]') as HTMLInputElement;
}

async function choose(file: File) {
  const user = userEvent.setup({ applyAccept: false });
  await user.upload(attachInput(), file);
}

async function noAxeViolations(container: HTMLElement) {
  const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
}

describe('attachmentProblem', () => {
  it('takes photos and documents WhatsApp carries, within its limits, and says why not otherwise', () => {
    expect(attachmentProblem(png())).toBeNull();
    expect(attachmentProblem(pdf())).toBeNull();
    expect(attachmentProblem({ name: 'planilla.xlsx', type: '', size: 10 })).toBeNull(); // no type: by extension
    expect(attachmentProblem({ name: 'a.gif', type: 'image/gif', size: 10 })?.status).toBe(415);
    expect(attachmentProblem({ name: 'a.exe', type: '', size: 10 })?.detail).toMatch(/foto \(JPG o PNG\) o un documento/);
    const big = attachmentProblem({ name: 'a.jpg', type: 'image/jpeg', size: 5 * 1024 * 1024 + 1 });
    expect(big?.status).toBe(413);
    expect(big?.detail).toMatch(/5 MB/);
    expect(attachmentProblem({ name: 'a.pdf', type: 'application/pdf', size: 5 * 1024 * 1024 + 1 })).toBeNull();
  });
});

describe('uploadMedia', () => {
  it('sends the file as its own type with its name, and refuses what WhatsApp would not carry before uploading', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(uploadedOf(png())), { status: 201, headers: { 'Content-Type': 'application/json' } }));
    const service = createWhatsAppService({ fetch: fetch as unknown as typeof globalThis.fetch });
    const file = png('foto de la pantalla.png');
    expect((await service.uploadMedia!(file)).blobRef).toBe(REF);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/whatsapp/media?fileName=foto+de+la+pantalla.png');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('image/png');
    expect(init.body).toBe(file);
    await expect(service.uploadMedia!(new File(['x'], 'a.gif', { type: 'image/gif' }))).rejects.toMatchObject({ status: 415 });
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('Composer: attaching', () => {
  function renderComposer(window: CustomerServiceWindow = OPEN, service: Partial<WhatsAppService> = {}) {
    const submit = vi.fn(async () => undefined);
    const view = render(
      <Composer
        orderId={1}
        service={{ ...fakeService(), listTemplates: vi.fn(async () => ({ orderId: 1, window, templates: [] })), uploadMedia: vi.fn(), ...service }}
        window={window}
        submit={submit}
        proposals={[]}
        proposalsError={null}
        onDiscardProposal={vi.fn(async () => undefined)}
        customerName="Juan"
      />,
    );
    return { submit, container: view.container };
  }

  it('the button opens the picker from the keyboard; a photo shows as a chip with its thumbnail; Enter sends it with the caption', async () => {
    const user = userEvent.setup({ applyAccept: false });
    const { submit, container } = renderComposer();
    const button = screen.getByRole('button', { name: 'Adjuntar foto o PDF' });
    const click = vi.spyOn(attachInput(), 'click');
    button.focus();
    await user.keyboard('{Enter}');
    expect(click).toHaveBeenCalledTimes(1);
    expect(attachInput().accept).toContain('image/jpeg');
    expect(attachInput().accept).toContain('application/pdf');
    await choose(png());
    const chip = await screen.findByTestId('attachment-chip');
    expect(within(chip).getByText('pantalla.png')).toBeInTheDocument();
    expect(within(chip).getByTestId('attachment-thumbnail')).toHaveAttribute('src', created[0]);
    await noAxeViolations(container);
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    await waitFor(() => expect(box).toHaveFocus());
    fireEvent.change(box, { target: { value: 'Así quedó' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(submit).toHaveBeenCalledTimes(1);
    expect(submit).toHaveBeenCalledWith({ kind: 'media', file: expect.any(File), caption: 'Así quedó' });
    await waitFor(() => expect(screen.queryByTestId('attachment-chip')).toBeNull());
    expect(box).toHaveValue('');
  });

  it('a document shows its name and size; Quitar takes it out and gives the focus back to the button', async () => {
    const user = userEvent.setup();
    renderComposer();
    await choose(pdf());
    const chip = await screen.findByTestId('attachment-chip');
    expect(within(chip).getByText('Presupuesto 123.pdf')).toBeInTheDocument();
    expect(within(chip).getByText('· 2 KB')).toBeInTheDocument();
    expect(within(chip).queryByTestId('attachment-thumbnail')).toBeNull();
    await user.click(within(chip).getByRole('button', { name: 'Quitar Presupuesto 123.pdf' }));
    expect(screen.queryByTestId('attachment-chip')).toBeNull();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Adjuntar foto o PDF' })).toHaveFocus());
  });

  it('a file of another type or too large is refused here, in Spanish, and nothing is attached', async () => {
    renderComposer();
    await choose(new File(['GIF89a'], 'animado.gif', { type: 'image/gif' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Ese tipo de archivo no se puede enviar por WhatsApp');
    const big = new File([new Uint8Array(1)], 'enorme.jpg', { type: 'image/jpeg' });
    Object.defineProperty(big, 'size', { value: 6 * 1024 * 1024 });
    await choose(big);
    expect(await screen.findByRole('alert')).toHaveTextContent('La foto supera los 5 MB que acepta WhatsApp');
    expect(screen.queryByTestId('attachment-chip')).toBeNull();
  });

  it('a caption over 1,024 characters says so and does not send; without a caption the file goes alone', async () => {
    const { submit } = renderComposer();
    await choose(png());
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    fireEvent.change(box, { target: { value: 'x'.repeat(1025) } });
    expect(screen.getByRole('alert')).toHaveTextContent('hasta 1024 caracteres'.replace('1024', (1024).toLocaleString('es-AR')));
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(submit).not.toHaveBeenCalled();
    fireEvent.change(box, { target: { value: '' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(submit).toHaveBeenCalledWith({ kind: 'media', file: expect.any(File), caption: '' });
  });

  it('with the window closed the button is there, says why, and opens nothing', async () => {
    const user = userEvent.setup();
    const { container } = renderComposer(CLOSED);
    const button = await screen.findByRole('button', { name: 'Adjuntar foto o PDF' });
    expect(button).toHaveAttribute('aria-disabled', 'true');
    expect(button).toHaveAccessibleDescription(ATTACH_CLOSED_REASON);
    await user.click(button);
    expect(attachInput()).toBeNull(); // no picker at all while closed
    await noAxeViolations(container);
  });
});

describe('WhatsAppPanelView: sending a photo', () => {
  it('shows the photo at once while it uploads and sends, then the stored one from the media route, once', async () => {
    const messages = { current: [] as Message[] };
    let releaseUpload: (value: UploadedMedia) => void = () => undefined;
    const uploadMedia = vi.fn((file: File) => new Promise<UploadedMedia>((resolve) => (releaseUpload = () => resolve(uploadedOf(file)))));
    const service = panelService(messages, { uploadMedia });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await screen.findByText('Mandame una foto');
    await choose(png());
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    fireEvent.change(box, { target: { value: 'Así quedó la pantalla' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    const sending = await screen.findByTestId('media-sending-thumbnail');
    expect(sending.closest('[data-phase]')).toHaveAttribute('data-phase', 'sending');
    expect(sending).toHaveAttribute('alt', 'Foto enviada: Así quedó la pantalla');
    expect(service.sendMessage).not.toHaveBeenCalled(); // the upload comes first
    await act(async () => releaseUpload(uploadedOf(png())));
    await waitFor(() => expect(document.querySelector('[data-id="60"]')).not.toBeNull());
    await waitFor(() => expect(document.querySelector('[data-send]')).toBeNull());
    expect(service.sendMessage).toHaveBeenCalledTimes(1);
    const body = vi.mocked(service.sendMessage).mock.calls[0]![1];
    expect(body).toEqual({ clientRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/), media: { blobRef: REF, caption: 'Así quedó la pantalla' } });
    const stored = document.querySelector('[data-id="60"]') as HTMLElement;
    await within(stored).findByTestId('media-thumbnail');
    expect(service.getMedia).toHaveBeenCalledWith('/api/whatsapp/media/7', expect.anything());
    expect(within(stored).getByRole('button', { name: 'Ver en grande: Así quedó la pantalla' })).toBeInTheDocument();
  });

  it('storage down at upload: «Reintentar» uploads again and sends with the same clientRequestId, once', async () => {
    const user = userEvent.setup();
    const messages = { current: [] as Message[] };
    const uploadMedia = vi
      .fn<(file: File) => Promise<UploadedMedia>>()
      .mockRejectedValueOnce(new WhatsAppApiError(503, 'El almacenamiento de archivos no responde en este momento. Probá de nuevo en un minuto.'))
      .mockImplementation(async (file) => uploadedOf(file));
    const sendMessage = vi
      .fn<(id: number, body: SendRequest) => Promise<Send>>()
      .mockRejectedValueOnce(new WhatsAppApiError(0, 'No se pudo conectar con el servidor. Revisá la conexión y reintentá.'))
      .mockImplementation(async (_id, body) => {
        messages.current = [storedPhoto(null)];
        return sentOf(body, storedPhoto(null));
      });
    const service = panelService(messages, { uploadMedia, sendMessage });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await screen.findByText('Mandame una foto');
    await choose(pdf());
    fireEvent.keyDown(screen.getByRole('textbox', { name: 'Tu respuesta' }), { key: 'Enter' });
    expect(await screen.findByText(/El almacenamiento de archivos no responde/)).toBeInTheDocument();
    expect(screen.getByTestId('media')).toHaveTextContent('Presupuesto 123.pdf · 2 KB');
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    await screen.findByText(/No se pudo conectar con el servidor/);
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    await waitFor(() => expect(document.querySelector('[data-id="60"]')).not.toBeNull());
    expect(uploadMedia).toHaveBeenCalledTimes(2); // the second upload finished; the send's retry did not upload again
    expect(sendMessage).toHaveBeenCalledTimes(2);
    const [a, b] = sendMessage.mock.calls.map((c) => c[1]);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ media: { blobRef: REF, fileName: 'Presupuesto 123.pdf' } });
  });

  it('the window closed meanwhile: the server says to choose a template, and nothing is offered to edit', async () => {
    const messages = { current: [] as Message[] };
    const sendMessage = vi.fn(async () => {
      throw new WhatsAppApiError(409, 'Pasaron más de 24 horas desde el último mensaje del cliente (o nunca escribió): WhatsApp solo permite enviarle una plantilla aprobada. Elegí una plantilla.');
    });
    const service = panelService(messages, { sendMessage });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    await screen.findByText('Mandame una foto');
    await choose(png());
    const box = screen.getByRole('textbox', { name: 'Tu respuesta' });
    fireEvent.change(box, { target: { value: 'La pantalla' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    const rejected = await screen.findByText(/Elegí una plantilla/);
    const bubble = rejected.closest('[data-phase]') as HTMLElement;
    expect(bubble).toHaveAttribute('data-phase', 'rejected');
    expect(within(bubble).queryByRole('button', { name: 'Editar' })).toBeNull();
    expect(within(bubble).getByRole('button', { name: 'Descartar' })).toBeInTheDocument();
  });
  it('after a reload a failed photo is sent again from its upload (no file needed), as a new message, once', async () => {
    const user = userEvent.setup();
    const messages = { current: [] as Message[] };
    const standIn: Send['message'] = {
      id: null, whatsappMessageId: null, direction: 'outbound', type: 'image', text: null, timestamp: new Date().toISOString(), receivedAt: null,
      media: { kind: 'image', mimeType: 'image/png', fileName: 'pantalla.png', caption: 'La pantalla', state: 'failed', contentType: 'image/png', size: 11, url: null, blobRef: REF },
      status: { state: 'failed', at: null, errorCode: '131053', errorMessage: null, reason: 'WhatsApp no aceptó el archivo.' }, sentBy: 'Ana Gómez', replyTo: null, reaction: null, choice: null,
    };
    const failed: Send = { ...sentOf({ clientRequestId: 'before-reload', media: { blobRef: REF } }, storedPhoto(null)), message: standIn, state: 'failed', reason: 'x', createdAt: new Date().toISOString() };
    const service = panelService(messages, { listOutbox: vi.fn(async () => ({ orderId: 1, sends: [failed] })) });
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const bubble = (await screen.findByText('La pantalla')).closest('[data-phase]') as HTMLElement;
    expect(bubble).toHaveAttribute('data-phase', 'failed');
    await user.click(within(bubble).getByRole('button', { name: 'Reenviar…' }));
    await user.click(within(bubble).getByRole('button', { name: 'Sí, reenviar' }));
    await waitFor(() => expect(service.sendMessage).toHaveBeenCalledTimes(1));
    const [, body] = vi.mocked(service.sendMessage).mock.calls[0] as [number, SendRequest];
    expect(body.clientRequestId).not.toBe('before-reload');
    expect(body).toMatchObject({ media: { blobRef: REF, caption: 'La pantalla' } });
    expect(service.uploadMedia).not.toHaveBeenCalled();
  });
});
