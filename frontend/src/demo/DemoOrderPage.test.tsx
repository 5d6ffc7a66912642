import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeOrder, makePage } from '../test/fixtures';
import { DEMO_TOKEN_PATH } from './demoAuth';
import { DemoOrderPage, readParams } from './DemoOrderPage';

/** The panel lives in a shadow root: query inside it. */
async function inPanel() {
  const host = await waitFor(() => {
    const el = document.querySelector('fastservice-whatsapp');
    if (!el?.shadowRoot) throw new Error('panel not mounted');
    return el;
  });
  return within(host.shadowRoot as unknown as HTMLElement);
}

function json(body: unknown) {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

describe('DemoOrderPage', () => {
  let fetchMock: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    window.history.replaceState(null, '', '/?order=2&key=abc');
    fetchMock = vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url.startsWith(DEMO_TOKEN_PATH)) {
        const user = new URL(url, 'http://x').searchParams.get('user');
        return json({ access_token: `jwt-${user}`, expires_in: 3600 });
      }
      const id = Number(/\/(\d+)(\?|$)/.exec(url)?.[1] ?? 0);
      if (url.includes('/orders/')) return json(makeOrder({ orderId: id, customer: { id, name: `Cliente ${id}` } }));
      return json(makePage([], null, id));
    });
    vi.stubGlobal('fetch', fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('offers the 15 demo orders and mounts the panel for the chosen one', async () => {
    const user = userEvent.setup();
    render(<DemoOrderPage />);
    const select = screen.getByRole('combobox', { name: 'Orden de demostración' });
    expect(within(select).getAllByRole('option')).toHaveLength(15);
    expect(within(select).getByRole('option', { name: '#11 · Javier Torres' })).toBeInTheDocument();
    expect(select).toHaveValue('2');
    expect(screen.getByRole('heading', { name: 'Orden #2' })).toBeInTheDocument();
    await (await inPanel()).findByText('Cliente 2');
    expect(fetchMock).toHaveBeenCalledWith('/api/whatsapp/orders/2', expect.objectContaining({
      headers: expect.objectContaining({ 'x-functions-key': 'abc' }) as unknown,
    }));

    await user.selectOptions(select, '11');
    expect(screen.getByRole('heading', { name: 'Orden #11' })).toBeInTheDocument();
    await (await inPanel()).findByText('Cliente 11');
    expect(window.location.search).toBe('?order=11&key=abc');
  });

  it('signs in as Ana by default, says so, and switches to Bruno', async () => {
    const user = userEvent.setup();
    render(<DemoOrderPage />);
    expect(screen.getByTestId('demo-session')).toHaveTextContent('Sesión de demo: Ana Gómez');
    await (await inPanel()).findByText('Cliente 2');
    expect(fetchMock).toHaveBeenCalledWith('/api/whatsapp/orders/2', expect.objectContaining({
      headers: expect.objectContaining({ Authorization: 'Bearer jwt-ana' }) as unknown,
    }));
    await user.click(screen.getByRole('button', { name: 'Entrar como Bruno Díaz' }));
    expect(screen.getByTestId('demo-session')).toHaveTextContent('Sesión de demo: Bruno Díaz');
    await waitFor(() =>
      expect(fetchMock).toHaveBeenLastCalledWith(expect.stringContaining('/api/whatsapp/'), expect.objectContaining({
        headers: expect.objectContaining({ Authorization: 'Bearer jwt-bruno' }) as unknown,
      })),
    );
    expect(new URLSearchParams(window.location.search).get('staff')).toBe('bruno');
    expect(screen.getByRole('button', { name: 'Entrar como Ana Gómez' })).toBeInTheDocument();
  });

  it('opens signed out with signin=off: no token asked for, none sent', async () => {
    window.history.replaceState(null, '', '/?order=2&signin=off');
    render(<DemoOrderPage />);
    expect(screen.getByTestId('demo-session')).toHaveTextContent('Sin sesión (demo)');
    await (await inPanel()).findByText('Cliente 2');
    expect(fetchMock.mock.calls.some(([url]) => String(url).startsWith(DEMO_TOKEN_PATH))).toBe(false);
    expect(fetchMock).toHaveBeenCalledWith('/api/whatsapp/orders/2', expect.objectContaining({
      headers: expect.not.objectContaining({ Authorization: expect.anything() as unknown }) as unknown,
    }));
  });

  it('applies a new function key when the field loses focus', async () => {
    const user = userEvent.setup();
    render(<DemoOrderPage />);
    await (await inPanel()).findByText('Cliente 2');
    const key = screen.getByLabelText(/Clave de función/);
    await user.clear(key);
    await user.type(key, 'nueva');
    await user.tab();
    await waitFor(() =>
      expect(fetchMock).toHaveBeenLastCalledWith(expect.any(String), expect.objectContaining({
        headers: expect.objectContaining({ 'x-functions-key': 'nueva' }) as unknown,
      })),
    );
  });
});

describe('readParams', () => {
  it('reads order, key, poll and api with defaults', () => {
    expect(readParams('')).toEqual({
      orderId: 1, functionKey: '', pollIntervalMs: 15000, pageSize: 50, baseUrl: '', token: '', signin: 'demo', staff: '',
    });
    expect(readParams('?order=5&key=k&poll=1000&limit=2&api=http://x&token=t&signin=off&staff=Ana')).toEqual({
      orderId: 5,
      functionKey: 'k',
      pollIntervalMs: 1000,
      pageSize: 2,
      baseUrl: 'http://x',
      token: 't',
      signin: 'off',
      staff: 'ana',
    });
    expect(readParams('?limit=500').pageSize).toBe(50);
    expect(readParams('?order=abc&poll=-3').orderId).toBe(1);
    expect(readParams('?poll=-3').pollIntervalMs).toBe(15000);
  });
});
