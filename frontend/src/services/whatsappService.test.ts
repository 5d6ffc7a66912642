import { describe, expect, it, vi } from 'vitest';
import {
  createWhatsAppService,
  isAbortError,
  parseRetryAfter,
  WhatsAppApiError,
} from './whatsappService';
import { makeOrder, makePage, makeSyncResult } from '../test/fixtures';

function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json', ...headers },
  });
}

function setup(
  response: () => Response | Promise<Response>,
  options: { baseUrl?: string; functionKey?: string | null; getAccessToken?: () => Promise<string | null> } = {},
) {
  const fetchMock = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => response());
  const service = createWhatsAppService({ ...options, fetch: fetchMock as unknown as typeof fetch });
  const call = (i = 0) => {
    const [input, init] = fetchMock.mock.calls[i] ?? [];
    return { url: String(input), init: init ?? {}, headers: (init?.headers ?? {}) as Record<string, string> };
  };
  return { service, fetchMock, call };
}

describe('createWhatsAppService', () => {
  it('gets an order from the same origin by default, without a key header', async () => {
    const order = makeOrder();
    const { service, call } = setup(() => jsonResponse(order));
    await expect(service.getOrder(1)).resolves.toEqual(order);
    expect(call().url).toBe('/api/whatsapp/orders/1');
    expect(call().init.method).toBe('GET');
    expect(call().headers).not.toHaveProperty('x-functions-key');
  });

  it('uses the configured base URL and function key', async () => {
    const { service, call } = setup(() => jsonResponse(makeOrder()), {
      baseUrl: 'https://fastservice-wa.azurewebsites.net/',
      functionKey: 'secreto',
    });
    await service.getOrder(7);
    expect(call().url).toBe('https://fastservice-wa.azurewebsites.net/api/whatsapp/orders/7');
    expect(call().headers['x-functions-key']).toBe('secreto');
  });

  it('lists messages with limit and cursor', async () => {
    const page = makePage([], 'CURSOR2');
    const { service, call } = setup(() => jsonResponse(page));
    await expect(service.listMessages(3, { limit: 20, before: 'abc+/=' })).resolves.toEqual(page);
    expect(call().url).toBe('/api/whatsapp/messages/3?limit=20&before=abc%2B%2F%3D');
    await service.listMessages(3);
    expect(call(1).url).toBe('/api/whatsapp/messages/3');
  });

  it('syncs with a POST', async () => {
    const result = makeSyncResult({ status: 'success', messagesReceived: 3 });
    const { service, call } = setup(() => jsonResponse(result));
    await expect(service.syncOrder(5)).resolves.toEqual(result);
    expect(call().url).toBe('/api/whatsapp/sync?orderId=5');
    expect(call().init.method).toBe('POST');
  });

  it('turns problem+json into a WhatsAppApiError with the Spanish detail', async () => {
    const problem = {
      type: '/problems/no-usable-phone',
      title: 'Customer has no usable phone',
      status: 422,
      detail: 'El cliente no tiene un teléfono que WhatsApp pueda usar.',
      fieldsTried: [{ field: 'Telefono1', reason: 'no contiene un número' }],
    };
    const { service } = setup(() => jsonResponse(problem, 422));
    const error = await service.syncOrder(11).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppApiError);
    expect(error).toMatchObject({ status: 422, detail: problem.detail, retryAfter: null, problem });
    expect((error as WhatsAppApiError).retryable).toBe(false);
    expect((error as WhatsAppApiError).message).toBe(problem.detail);
  });

  it('reads Retry-After of a 503', async () => {
    const { service } = setup(() =>
      jsonResponse({ type: 'about:blank', title: 'Unavailable', status: 503, detail: 'La base no responde.' }, 503, {
        'Retry-After': '30',
      }),
    );
    await expect(service.getOrder(1)).rejects.toMatchObject({ status: 503, detail: 'La base no responde.', retryAfter: 30, retryable: true });
  });

  it('says which demo key is wrong when the Functions host refuses a function key (401, no body)', async () => {
    const { service } = setup(() => new Response(null, { status: 401 }), { functionKey: 'vieja' });
    const error = await service.getOrder(1).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, detail: expect.stringContaining('clave de función de la demo') as unknown, problem: null });
    expect((error as WhatsAppApiError).retryable).toBe(false);
  });

  it('gives a Spanish detail for a non-JSON error body', async () => {
    const { service } = setup(() => new Response('<html>boom</html>', { status: 500, headers: { 'Content-Type': 'text/html' } }));
    await expect(service.getOrder(1)).rejects.toMatchObject({ status: 500, detail: expect.stringContaining('HTTP 500') as unknown });
  });

  it('reports an unreachable server as status 0', async () => {
    const { service } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(service.getOrder(1)).rejects.toMatchObject({ status: 0, detail: expect.stringContaining('No se pudo conectar') as unknown });
  });

  it('lets an abort through unchanged', async () => {
    const { service } = setup(() => {
      throw new DOMException('The operation was aborted.', 'AbortError');
    });
    const error = await service.getOrder(1).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(WhatsAppApiError);
  });

  it('rejects an invalid order id without calling the server', async () => {
    const { service, fetchMock } = setup(() => jsonResponse({}));
    await expect(service.getOrder(0)).rejects.toMatchObject({ status: 400 });
    await expect(service.listMessages(1.5)).rejects.toBeInstanceOf(WhatsAppApiError);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', Date.parse('2026-11-25T12:00:00Z'))).toBe(30);
    expect(parseRetryAfter('pronto')).toBeNull();
  });

  it('sends the signed-in staff token as a bearer, asked before every request', async () => {
    const tokens = ['t1', 't2'];
    const getAccessToken = vi.fn(async () => tokens.shift() ?? null);
    const { service, call } = setup(() => jsonResponse(makeOrder()), { getAccessToken });
    await service.getOrder(1);
    await service.syncOrder(1).catch(() => undefined);
    expect(call(0).headers.Authorization).toBe('Bearer t1');
    expect(call(1).headers.Authorization).toBe('Bearer t2');
    expect(call(0).headers).not.toHaveProperty('x-functions-key');
  });

  it('makes no request without a token, and says to sign in again', async () => {
    for (const getAccessToken of [async () => null, async () => { throw new Error('interaction_required'); }]) {
      const { service, fetchMock } = setup(() => jsonResponse(makeOrder()), { getAccessToken });
      const error = (await service.getOrder(1).catch((e: unknown) => e)) as WhatsAppApiError;
      expect(fetchMock).not.toHaveBeenCalled();
      expect(error.status).toBe(401);
      expect(error.unauthorized).toBe(true);
      expect(error.retryable).toBe(false);
      expect(error.detail).toMatch(/^Tu sesión venció: volvé a iniciar sesión en FastService/);
    }
  });

  it('turns a 401 with a token into "sign in again", whatever the body says', async () => {
    const { service } = setup(() => jsonResponse({ type: 'x', title: 'Unauthorized', status: 401, detail: 'IDX10223: Lifetime validation failed' }, 401), {
      getAccessToken: async () => 'expired',
    });
    await expect(service.getOrder(1)).rejects.toMatchObject({ status: 401, detail: expect.stringMatching(/^Tu sesión venció/) as unknown });
  });

  it('revalidates with If-None-Match and keeps its data (same object) on 304', async () => {
    const order = makeOrder();
    const answers = [
      () => jsonResponse(order, 200, { ETag: '"v1"' }),
      () => new Response(null, { status: 304, headers: { ETag: '"v1"' } }),
      () => jsonResponse({ ...order, messageCount: 9 }, 200, { ETag: '"v2"' }),
      () => new Response(null, { status: 304 }),
    ];
    const { service, call } = setup(() => (answers.shift() as () => Response)());
    const first = await service.getOrder(1);
    expect(call(0).headers).not.toHaveProperty('If-None-Match');
    expect(call(0).init.cache).toBe('no-store');
    const second = await service.getOrder(1);
    expect(call(1).headers['If-None-Match']).toBe('"v1"');
    expect(second).toBe(first);
    const third = await service.getOrder(1);
    expect(third.messageCount).toBe(9);
    expect(call(2).headers['If-None-Match']).toBe('"v1"');
    expect(await service.getOrder(1)).toBe(third);
    expect(call(3).headers['If-None-Match']).toBe('"v2"');
  });

  it('works with a server that sends no ETag (no If-None-Match, fresh data each time)', async () => {
    const { service, call } = setup(() => jsonResponse(makePage([])));
    await service.listMessages(1);
    await service.listMessages(1);
    expect(call(1).headers).not.toHaveProperty('If-None-Match');
  });

  it('keeps ETags per URL (another page or order is not answered from the wrong cache)', async () => {
    const { service, call } = setup(() => jsonResponse(makePage([]), 200, { ETag: '"p"' }));
    await service.listMessages(1);
    await service.listMessages(1, { before: 'C' });
    await service.listMessages(2);
    expect(call(1).headers).not.toHaveProperty('If-None-Match');
    expect(call(2).headers).not.toHaveProperty('If-None-Match');
  });

  it('uploads a chat export as raw bytes with the order, file name and shop in the query', async () => {
    const { service, call } = setup(() => jsonResponse({ importId: 1 }), { getAccessToken: async () => 'tok' });
    const file = new File(['1/2/24, 10:00 - Juan: hola\n'], 'Chat de WhatsApp con +54 9 11 5555-1234.txt', { type: 'text/plain' });
    await service.previewImport(7, file);
    expect(call(0).url).toBe(
      '/api/whatsapp/imports/preview?orderId=7&fileName=Chat+de+WhatsApp+con+%2B54+9+11+5555-1234.txt',
    );
    expect(call(0).init.method).toBe('POST');
    expect(call(0).init.body).toBe(file);
    expect(call(0).headers['Content-Type']).toBe('application/octet-stream');
    expect(call(0).headers.Authorization).toBe('Bearer tok');
    await service.importHistory(7, file, 'Taller & Cía');
    expect(call(1).url).toContain('/api/whatsapp/imports?orderId=7&fileName=');
    expect(call(1).url).toContain('&shopParticipant=Taller+%26+C%C3%ADa');
  });

  it('refuses a file over the upload limit before sending it', async () => {
    const { service, fetchMock } = setup(() => jsonResponse({}));
    const big = new File(['x'], 'grande.zip');
    Object.defineProperty(big, 'size', { value: 64 * 1024 * 1024 + 1 });
    await expect(service.previewImport(1, big)).rejects.toMatchObject({ status: 413 });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('getMedia (issue 16)', () => {
  it('fetches a media file as a Blob with the staff bearer token', async () => {
    const { service, call } = setup(
      () => new Response(new Uint8Array([0xff, 0xd8, 0xff]), { headers: { 'Content-Type': 'image/jpeg' } }),
      { baseUrl: 'https://fsw.example', getAccessToken: async () => 'token-ana' },
    );
    const blob = await service.getMedia('/api/whatsapp/media/12');
    expect(blob.size).toBe(3);
    expect(call().url).toBe('https://fsw.example/api/whatsapp/media/12');
    expect(call().headers.Authorization).toBe('Bearer token-ana');
  });

  it('refuses URLs that are not a media item of this API, without fetching', async () => {
    const { service, fetchMock } = setup(() => new Response(''), { getAccessToken: async () => 'token-ana' });
    await expect(service.getMedia('https://evil.example/x')).rejects.toBeInstanceOf(WhatsAppApiError);
    await expect(service.getMedia('/api/whatsapp/media/1/../../orders/1')).rejects.toBeInstanceOf(WhatsAppApiError);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('reports a gone item with its status', async () => {
    const { service } = setup(
      () => jsonResponse({ status: 410, title: 'Media could not be kept', type: '/problems/media-gone',
        detail: 'WhatsApp ya no tiene el archivo.' }, 410),
      { getAccessToken: async () => 'token-ana' },
    );
    await expect(service.getMedia('/api/whatsapp/media/3')).rejects.toMatchObject({ status: 410 });
  });
});

describe('createWhatsAppService: sending (issue 15)', () => {
  it('posts a reply as JSON with its clientRequestId, never cached, and returns the send', async () => {
    const answer = { id: 1, clientRequestId: 'abc-1', state: 'sent' };
    const { service, call } = setup(() => jsonResponse(answer, 201), { getAccessToken: async () => 'tok' });
    await expect(service.sendMessage!(2, { clientRequestId: 'abc-1', text: 'Hola' })).resolves.toEqual(answer);
    expect(call().url).toBe('/api/whatsapp/orders/2/messages');
    expect(call().init.method).toBe('POST');
    expect(call().headers['Content-Type']).toBe('application/json');
    expect(call().headers.Authorization).toBe('Bearer tok');
    expect(JSON.parse(String(call().init.body))).toEqual({ clientRequestId: 'abc-1', text: 'Hola' });
  });

  it('reaches the templates, outbox and proposals routes', async () => {
    const { service, call } = setup(() => jsonResponse({}));
    await service.listTemplates!(3);
    await service.listOutbox!(3);
    await service.listReplyProposals!(3);
    await service.sendReplyProposal!(3, 9, { clientRequestId: 'p-1', text: 'Editado' });
    await service.discardReplyProposal!(3, 9);
    expect([0, 1, 2, 3, 4].map((i) => `${call(i).init.method} ${call(i).url}`)).toEqual([
      'GET /api/whatsapp/orders/3/templates',
      'GET /api/whatsapp/orders/3/outbox',
      'GET /api/whatsapp/orders/3/proposals',
      'POST /api/whatsapp/orders/3/proposals/9/send',
      'POST /api/whatsapp/orders/3/proposals/9/discard',
    ]);
    expect(JSON.parse(String(call(3).init.body))).toEqual({ clientRequestId: 'p-1', text: 'Editado' });
    expect(call(4).init.body).toBeUndefined();
  });

  it('a window-closed 409 is a WhatsAppApiError with the server\'s Spanish detail, not retryable', async () => {
    const detail = 'Pasaron más de 24 horas desde el último mensaje del cliente: elegí una plantilla.';
    const { service } = setup(() => jsonResponse({ type: '/problems/window-closed', title: 'x', status: 409, detail }, 409));
    const error = await service.sendMessage!(1, { clientRequestId: 'a', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppApiError);
    expect((error as WhatsAppApiError).detail).toBe(detail);
    expect((error as WhatsAppApiError).retryable).toBe(false);
  });
});

describe('createWhatsAppService: notifications and consent (issue 18)', () => {
  it('reads the order\'s notifications, sends one offered notification and records consent with its evidence', async () => {
    const { service, call } = setup(() => jsonResponse({ orderId: 9 }), { getAccessToken: async () => 'tok' });
    await service.listNotifications!(9);
    await service.sendNotification!(9, 4);
    await service.recordConsent!(9, { state: 'opted_in', evidence: 'En el mostrador' });
    expect([0, 1, 2].map((i) => `${call(i).init.method} ${call(i).url}`)).toEqual([
      'GET /api/whatsapp/orders/9/notifications',
      'POST /api/whatsapp/orders/9/notifications/4/send',
      'POST /api/whatsapp/orders/9/consent',
    ]);
    expect(call(1).init.body).toBeUndefined();
    expect(JSON.parse(String(call(2).init.body))).toEqual({ state: 'opted_in', evidence: 'En el mostrador' });
    expect(call(2).headers['Content-Type']).toBe('application/json');
    expect(call(2).headers.Authorization).toBe('Bearer tok');
  });

  it('a notification no longer offered is a 409 with the server\'s Spanish detail; a bad id asks nothing', async () => {
    const detail = 'Ese aviso ya se envió o fue reemplazado por uno más nuevo.';
    const { service, fetchMock } = setup(() => jsonResponse({ type: '/problems/notification-not-offered', title: 'x', status: 409, detail }, 409));
    const error = await service.sendNotification!(9, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppApiError);
    expect((error as WhatsAppApiError).status).toBe(409);
    expect((error as WhatsAppApiError).detail).toBe(detail);
    await expect(service.sendNotification!(9, 0)).rejects.toBeInstanceOf(WhatsAppApiError);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

