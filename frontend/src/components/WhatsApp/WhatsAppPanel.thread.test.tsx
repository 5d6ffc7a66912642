import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { WhatsAppApiError } from '../../services/whatsappService';
import { fakeService, makeMessage, makeOrder, makePage } from '../../test/fixtures';
import type { Message, MessagePage } from '../../types/whatsapp';
import { renderStats } from './MessageBubble';
import { HOST_TAG, shadowCss, WhatsAppPanel } from './WhatsAppPanel';
import { WhatsAppPanelView } from './WhatsAppPanelView';

function conversation(count: number, from = 1): Message[] {
  return Array.from({ length: count }, (_, i) =>
    makeMessage({
      id: from + i,
      direction: i % 3 === 0 ? 'outbound' : 'inbound',
      text: `Mensaje número ${from + i}`,
      timestamp: new Date(Date.UTC(2026, 10, 22, 12, 0, from + i)).toISOString(),
    }),
  );
}

/** What a poll brings: the same messages as new objects, as JSON.parse would make them. */
const fresh = (messages: Message[]): Message[] => structuredClone(messages);

async function mountView(pages: Record<string, MessagePage>) {
  const order = makeOrder({ messageCount: pages['']?.messages.length ?? 0 });
  const service = fakeService(order, pages);
  render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
  const log = await screen.findByRole('log');
  await waitFor(() => expect(log.querySelectorAll('[data-direction]').length).toBe(pages['']?.messages.length));
  return { service, log, order };
}

/** jsdom has no layout: give the conversation a scroll geometry. */
function fakeScrollBox(log: HTMLElement, height = 4000, client = 400) {
  let top = 0;
  Object.defineProperty(log, 'scrollHeight', { configurable: true, get: () => height });
  Object.defineProperty(log, 'clientHeight', { configurable: true, get: () => client });
  Object.defineProperty(log, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (v: number) => {
      top = Math.max(0, Math.min(v, height - client));
    },
  });
  return {
    scrollTo(v: number) {
      log.scrollTop = v;
      fireEvent.scroll(log);
    },
    setHeight(h: number) {
      height = h;
    },
  };
}

describe('a poll renders only what changed', () => {
  it('renders one bubble for one new message on a 300-message thread, none when nothing changed', async () => {
    const messages = conversation(300);
    const pages: Record<string, MessagePage> = { '': makePage(messages) };
    const { log, service } = await mountView(pages);

    pages[''] = makePage(fresh(messages)); // 200 without ETag: same content, new objects
    let before = renderStats.bubbles;
    await act(async () => {
      fireEvent.focus(window);
    });
    await waitFor(() => expect(service.listMessages).toHaveBeenCalledTimes(2));
    expect(renderStats.bubbles - before).toBe(0);

    pages[''] = makePage([...fresh(messages), ...conversation(1, 301)]);
    before = renderStats.bubbles;
    await act(async () => {
      fireEvent.focus(window);
    });
    await waitFor(() => expect(log.querySelectorAll('[data-direction]')).toHaveLength(301));
    expect(renderStats.bubbles - before).toBe(1);

    // a changed delivery status re-renders that bubble only
    const changed = fresh([...messages, ...conversation(1, 301)]);
    (changed[0] as Message).status = { state: 'read', at: '2026-11-22T13:00:00Z', errorCode: null, errorMessage: null };
    pages[''] = makePage(changed);
    before = renderStats.bubbles;
    await act(async () => {
      fireEvent.focus(window);
    });
    await waitFor(() => expect(within(log).getByRole('img', { name: /^Leído/ })).toBeInTheDocument());
    expect(renderStats.bubbles - before).toBe(1);
  });
});

describe('reading like WhatsApp Web', () => {
  it('shows "↓ N nuevos" when messages arrive while reading older ones, and jumps to them', async () => {
    const user = userEvent.setup();
    const messages = conversation(40);
    const pages: Record<string, MessagePage> = { '': makePage(messages) };
    const { log } = await mountView(pages);
    const box = fakeScrollBox(log);
    box.scrollTo(3600); // at the newest message
    box.scrollTo(1000); // scrolled up: reading older messages
    pages[''] = makePage([...fresh(messages), ...conversation(2, 41)]);
    box.setHeight(4200);
    await act(async () => {
      fireEvent.focus(window);
    });
    const pill = await screen.findByRole('button', { name: '2 nuevos: ir a los 2 mensajes nuevos' });
    expect(pill).toHaveTextContent(/^↓ 2 nuevos/);
    expect(log.scrollTop).toBe(1000); // not yanked to the bottom
    await user.click(pill);
    expect(log.scrollTop).toBe(3800);
    expect(screen.queryByRole('button', { name: /mensajes? nuevos?$/ })).not.toBeInTheDocument();
    expect(log).toHaveFocus();
  });

  it('a photo loading under the newest message keeps the view pinned: a new message then is scrolled to, no pill', async () => {
    const messages = conversation(40);
    const pages: Record<string, MessagePage> = { '': makePage(messages) };
    const { log } = await mountView(pages);
    const box = fakeScrollBox(log);
    box.scrollTo(3600); // at the newest message
    box.setHeight(4300); // a photo finished loading: the content grew under the view
    box.scrollTo(3600); // the browser's scroll event finds the view 300 px above the bottom, not scrolled up
    pages[''] = makePage([...fresh(messages), ...conversation(1, 41)]);
    box.setHeight(4400);
    await act(async () => {
      fireEvent.focus(window);
    });
    await waitFor(() => expect(log.scrollTop).toBe(4000));
    expect(screen.queryByRole('button', { name: /nuevos?:/ })).not.toBeInTheDocument();
  });

  it('loads the older page when scrolled near the top and keeps the reading position', async () => {
    const newest = conversation(20, 21);
    const older = conversation(20, 1);
    const pages: Record<string, MessagePage> = { '': makePage(newest, 'OLDER'), OLDER: makePage(older, null) };
    const { log, service } = await mountView(pages);
    const box = fakeScrollBox(log, 2000);
    box.scrollTo(100);
    box.setHeight(3500); // the older page adds 1500 px on top
    await waitFor(() => expect(log.querySelectorAll('[data-direction]')).toHaveLength(40));
    expect(service.listMessages).toHaveBeenLastCalledWith(1, expect.objectContaining({ before: 'OLDER' }));
    expect(log.scrollTop).toBe(1600); // the message that was read is still in the same place
  });

  it('sets dir="auto" on every bubble, and folds very long messages behind "Leer más"', async () => {
    const user = userEvent.setup();
    const long = `${'Detalle del presupuesto. '.repeat(60)}FIN`;
    const pages = { '': makePage([makeMessage({ id: 1, text: 'مرحبا، هل الهاتف جاهز؟' }), makeMessage({ id: 2, text: long })]) };
    const { log } = await mountView(pages);
    const bubbles = [...log.querySelectorAll('[data-direction] [dir="auto"]')].filter((el) => el.matches('.rounded-2xl'));
    expect(bubbles).toHaveLength(2);
    expect(within(log).queryByText(/FIN/)).not.toBeInTheDocument();
    const more = within(log).getByRole('button', { name: 'Leer más' });
    expect(more).toHaveAttribute('aria-expanded', 'false');
    await user.click(more);
    expect(within(log).getByText(/FIN$/)).toBeInTheDocument();
  });

  it('keeps the summary to two lines until asked', async () => {
    const user = userEvent.setup();
    const text = 'Juan dejó un Samsung A52 con la pantalla rota. '.repeat(6);
    const service = fakeService(makeOrder({ summary: { text, createdAt: '2026-11-23T02:30:00Z', messageCount: 5, provider: 'fake' } }));
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const toggle = await screen.findByRole('button', { name: 'Ver resumen completo' });
    const body = screen.getByText(/^Juan dejó un Samsung/);
    expect(body).toHaveClass('line-clamp-2');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(body).not.toHaveClass('line-clamp-2');
    expect(screen.getByRole('button', { name: 'Ver menos' })).toHaveAttribute('aria-expanded', 'true');
  });
});

describe('signed out', () => {
  it('says to sign in again, stops asking on its own, and retries once when asked', async () => {
    const user = userEvent.setup();
    const service = fakeService(makeOrder(), { '': makePage(conversation(3)) });
    const { unmount } = render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={20} />);
    await screen.findByRole('log');
    const expired = new WhatsAppApiError(401, 'Tu sesión venció: volvé a iniciar sesión en FastService y después tocá «Reintentar».');
    service.getOrder.mockRejectedValue(expired);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Tu sesión venció: volvé a iniciar sesión en FastService');
    const calls = service.getOrder.mock.calls.length;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 150)); // several poll intervals
      fireEvent.focus(window);
    });
    expect(service.getOrder.mock.calls.length).toBe(calls); // no loop of 401s
    service.getOrder.mockResolvedValue(makeOrder());
    await user.click(within(alert).getByRole('button', { name: 'Reintentar' }));
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
    unmount();
  });
});

describe('WhatsAppPanel (the drop-in)', () => {
  it('renders inside an open shadow root with its own stylesheet and leaves the page alone', async () => {
    const service = fakeService(makeOrder(), { '': makePage(conversation(2)) });
    const before = document.head.innerHTML;
    const { container } = render(<WhatsAppPanel orderId={1} service={service} pollIntervalMs={0} className="host-layout" />);
    const host = container.querySelector(HOST_TAG) as HTMLElement;
    expect(host).toHaveClass('host-layout');
    const shadow = host.shadowRoot as ShadowRoot;
    expect(shadow).not.toBeNull();
    expect(shadow.querySelector('style[data-whatsapp-panel]')).not.toBeNull();
    await waitFor(() => expect(shadow.querySelectorAll('[data-direction]')).toHaveLength(2));
    expect(host.children).toHaveLength(0); // nothing in the light DOM
    expect(document.head.innerHTML).toBe(before); // no global style added
  });

  it('turns rem into px outside selectors and enables the @property fallback', () => {
    const css =
      '.max-h-\\[min\\(36rem\\,70vh\\)\\]{max-height:min(36rem,70vh)}:root{--spacing:.25rem;--text-sm:0.875rem}' +
      '@layer properties{@supports (((-webkit-hyphens:none)) and (not (margin-trim:block))) or ((-moz-orient: inline) and (not (color:rgb(from red r g b)))){*{--tw-shadow:0 0 #0000}}}';
    const out = shadowCss(css);
    expect(out).toContain('.max-h-\\[min\\(36rem\\,70vh\\)\\]{max-height:min(576px,70vh)}');
    expect(out).toContain('--spacing:4px;--text-sm:14px');
    expect(out).toContain('@layer properties{@supports (display: block) {*{--tw-shadow:0 0 #0000}}}');
  });
});
