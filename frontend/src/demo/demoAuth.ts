/**
 * DEMO PAGE ONLY: where the demo page's staff token comes from. Inside FastService the host passes
 * its own MSAL `acquireTokenSilent` as `getAccessToken` and none of this is used.
 *
 * - `?token=<jwt>`: a token pasted in the URL (e.g. printed by the runner's command-line script);
 *   the page drops it from the address bar once read.
 * - `?signin=demo[&staff=<user>]`: asks the local runner for a demo staff token at
 *   `DEMO_TOKEN_PATH` (GET, answers JSON `{ "access_token": "…", "expires_in": 3600 }`), and
 *   again shortly before it expires. (Hook for the runner's demo sign-in; wired by the lead.)
 * - neither: no token source (the runner without sign-in enforced, as before).
 */
export const DEMO_TOKEN_PATH = '/api/demo/token';

export interface DemoAuthParams {
  token: string;
  signin: string;
  staff: string;
  baseUrl: string;
}

export function demoTokenSource(
  { token, signin, staff, baseUrl }: DemoAuthParams,
  doFetch: typeof fetch = (input, init) => globalThis.fetch(input, init),
): (() => Promise<string | null>) | undefined {
  if (token) return () => Promise.resolve(token);
  if (signin !== 'demo') return undefined;
  let cached: { token: string; until: number } | null = null;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.token;
    const query = staff ? `?user=${encodeURIComponent(staff)}` : '';
    try {
      const response = await doFetch(`${baseUrl.replace(/\/+$/, '')}${DEMO_TOKEN_PATH}${query}`, { cache: 'no-store' });
      if (!response.ok) return null;
      const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
      if (typeof body.access_token !== 'string' || !body.access_token) return null;
      const seconds = typeof body.expires_in === 'number' ? body.expires_in : 300;
      cached = { token: body.access_token, until: Date.now() + Math.max(0, seconds - 60) * 1000 };
      return cached.token;
    } catch {
      return null; // the panel then says the session expired
    }
  };
}
