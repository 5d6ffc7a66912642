import { describe, expect, it, vi } from 'vitest';
import { DEMO_TOKEN_PATH, demoStaffName, demoTokenSource } from './demoAuth';

const params = { token: '', signin: '', staff: '', baseUrl: '' };

describe('demoTokenSource (demo page only)', () => {
  it('has no token source when signed out (signin=off)', () => {
    expect(demoTokenSource({ ...params, signin: 'off' })).toBeUndefined();
  });

  it("asks the runner's dev-only route, as Ana unless told otherwise", async () => {
    expect(DEMO_TOKEN_PATH).toBe('/.localrunner/staff-token');
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ access_token: 'jwt', expires_in: 3600 }), { status: 200 }));
    await demoTokenSource({ ...params, signin: 'demo' }, fetchMock as unknown as typeof fetch)?.();
    expect(fetchMock).toHaveBeenCalledWith(`${DEMO_TOKEN_PATH}?user=ana`, expect.anything());
    expect(demoStaffName('BRUNO')).toBe('Bruno Díaz');
    expect(demoStaffName('')).toBe('Ana Gómez');
  });

  it('uses a token given in the URL', async () => {
    await expect(demoTokenSource({ ...params, token: 'abc' })?.()).resolves.toBe('abc');
  });

  it("asks the runner's demo-token endpoint once until the token is about to expire", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ access_token: 'jwt', expires_in: 3600 }), { status: 200 }));
    const source = demoTokenSource({ ...params, signin: 'demo', staff: 'ana', baseUrl: 'http://127.0.0.1:7071/' }, fetchMock as unknown as typeof fetch);
    await expect(source?.()).resolves.toBe('jwt');
    await expect(source?.()).resolves.toBe('jwt');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledWith(`http://127.0.0.1:7071${DEMO_TOKEN_PATH}?user=ana`, expect.anything());
  });

  it('gives null (the panel says to sign in again) when the runner has no token to give', async () => {
    const fetchMock = vi.fn(async () => new Response('no', { status: 404 }));
    await expect(demoTokenSource({ ...params, signin: 'demo' }, fetchMock as unknown as typeof fetch)?.()).resolves.toBeNull();
  });
});
