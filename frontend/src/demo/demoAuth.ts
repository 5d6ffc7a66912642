/**
 * DEMO PAGE ONLY: where the demo page's staff token comes from. Inside FastService the host passes
 * its own MSAL `acquireTokenSilent` as `getAccessToken` and none of this is used.
 *
 * - `signin=demo` (the default) `[&staff=ana|bruno]`: asks the local runner, which is the app's demo
 *   token issuer when no Entra tenant is configured, for a demo staff token at `DEMO_TOKEN_PATH`
 *   (GET, answers JSON `{ "access_token": "…", "expires_in": 3600, "staff": {…} }`), and again
 *   shortly before it expires. The function app validates it as it validates Entra tokens in Azure.
 * - `?token=<jwt>`: a token pasted in the URL (e.g. printed by `python -m localrunner token`);
 *   the page drops it from the address bar once read.
 * - `signin=off`: no token source: the page is signed out (or the runner runs with STAFF_SIGN_IN=off).
 */
export const DEMO_TOKEN_PATH = '/.localrunner/staff-token';

/** The runner's demo staff (localrunner/demo_issuer.py DEMO_STAFF). */
export const DEMO_STAFF = [
  { user: 'ana', name: 'Ana Gómez' },
  { user: 'bruno', name: 'Bruno Díaz' },
] as const;

export function demoStaffName(user: string): string {
  const wanted = user.trim().toLowerCase();
  return (DEMO_STAFF.find((s) => s.user === wanted) ?? DEMO_STAFF[0]).name;
}

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
    const query = `?user=${encodeURIComponent(staff || DEMO_STAFF[0].user)}`;
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
