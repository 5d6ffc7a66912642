import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError } from '../services/whatsappService';
import { deferred, fakeService, makeMessage, makeOrder, makePage } from '../test/fixtures';
import type { MessagePage, OrderWhatsApp } from '../types/whatsapp';
import { mergeNewestPage, useWhatsAppMessages } from './useWhatsAppMessages';

const m = (id: number, minute: number, extra = {}) =>
  makeMessage({ id, timestamp: `2026-11-22T15:${String(minute).padStart(2, '0')}:00Z`, ...extra });

afterEach(() => {
  vi.useRealTimers();
});

describe('useWhatsAppMessages', () => {
  it('loads the order and the newest page', async () => {
    const order = makeOrder({ messageCount: 2 });
    const service = fakeService(order, { '': makePage([m(1, 0), m(2, 1)]) });
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pollIntervalMs: 0 }));
    expect(result.current.status).toBe('loading');
    await waitFor(() => expect(result.current.status).toBe('ready'));
    expect(result.current.order).toEqual(order);
    expect(result.current.messages.map((x) => x.id)).toEqual([1, 2]);
    expect(result.current.hasOlder).toBe(false);
    expect(service.listMessages).toHaveBeenCalledWith(1, expect.objectContaining({ limit: 50 }));
  });

  it('reports a failed first load and recovers on refresh', async () => {
    const service = fakeService();
    service.getOrder.mockRejectedValueOnce(new WhatsAppApiError(404, 'No existe la orden 99.'));
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 99, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current.error?.detail).toBe('No existe la orden 99.');
    await act(() => result.current.refresh());
    expect(result.current.status).toBe('ready');
    expect(result.current.error).toBeNull();
  });

  it('loads older pages through the cursor', async () => {
    const service = fakeService(makeOrder(), {
      '': makePage([m(3, 3), m(4, 4)], 'C1'),
      C1: makePage([m(1, 1), m(2, 2)], null),
    });
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pageSize: 2, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    expect(result.current.hasOlder).toBe(true);
    await act(() => result.current.loadOlder());
    expect(service.listMessages).toHaveBeenLastCalledWith(1, expect.objectContaining({ limit: 2, before: 'C1' }));
    expect(result.current.messages.map((x) => x.id)).toEqual([1, 2, 3, 4]);
    expect(result.current.hasOlder).toBe(false);
  });

  it('keeps the data when a background refresh fails, and an older page failure apart', async () => {
    const service = fakeService(makeOrder(), { '': makePage([m(2, 2)], 'C1') });
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    service.getOrder.mockRejectedValueOnce(new WhatsAppApiError(0, 'Sin conexión.'));
    await act(() => result.current.refresh());
    expect(result.current.status).toBe('ready');
    expect(result.current.refreshError?.detail).toBe('Sin conexión.');
    expect(result.current.messages).toHaveLength(1);
    await act(() => result.current.loadOlder()); // no page for C1 in the fake: an unexpected error
    expect(result.current.olderError?.status).toBe(0);
    expect(result.current.hasOlder).toBe(true);
  });

  it('merges a refresh: new messages appended, changed ones replaced, older pages kept', async () => {
    const pages: Record<string, MessagePage> = {
      '': makePage([m(3, 3), m(4, 4, { direction: 'outbound', status: { state: 'sent', at: '2026-11-22T15:04:00Z', errorCode: null, errorMessage: null } })], 'C1'),
      C1: makePage([m(1, 1), m(2, 2)], null),
    };
    const order: OrderWhatsApp = makeOrder();
    const service = fakeService(order, pages);
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pageSize: 2, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    await act(() => result.current.loadOlder());

    pages[''] = makePage(
      [m(4, 4, { direction: 'outbound', status: { state: 'read', at: '2026-11-22T15:06:00Z', errorCode: null, errorMessage: null } }), m(5, 5)],
      'C2',
    );
    service.getOrder.mockResolvedValue(makeOrder({ hasNewMessages: true }));
    await act(() => result.current.refresh());
    expect(result.current.messages.map((x) => x.id)).toEqual([1, 2, 3, 4, 5]);
    expect(result.current.messages[3]?.status?.state).toBe('read');
    expect(result.current.order?.hasNewMessages).toBe(true);
    expect(result.current.hasOlder).toBe(false); // the oldest page was already loaded
  });

  it('polls while the page is visible', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const service = fakeService();
    renderHook(() => useWhatsAppMessages({ service, orderId: 1, pollIntervalMs: 1000 }));
    await waitFor(() => expect(service.getOrder).toHaveBeenCalledTimes(1));
    await act(async () => {
      vi.advanceTimersByTime(1000);
    });
    await waitFor(() => expect(service.getOrder).toHaveBeenCalledTimes(2));

    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    await act(async () => {
      vi.advanceTimersByTime(3000);
    });
    expect(service.getOrder).toHaveBeenCalledTimes(2);
    visibility.mockReturnValue('visible');
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor(() => expect(service.getOrder).toHaveBeenCalledTimes(3));
  });

  it('refreshes when the window gets focus', async () => {
    const service = fakeService();
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    await act(async () => {
      window.dispatchEvent(new Event('focus'));
    });
    await waitFor(() => expect(service.getOrder).toHaveBeenCalledTimes(2));
  });

  it('runs once more after a refresh asked for while one is running', async () => {
    const service = fakeService();
    const { result } = renderHook(() => useWhatsAppMessages({ service, orderId: 1, pollIntervalMs: 0 }));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    const slow = deferred<OrderWhatsApp>();
    service.getOrder.mockReturnValueOnce(slow.promise);
    let first!: Promise<void>;
    act(() => {
      first = result.current.refresh();
    });
    const second = result.current.refresh();
    const third = result.current.refresh();
    expect(second).toBe(first);
    expect(third).toBe(first);
    slow.resolve(makeOrder({ messageCount: 9 }));
    await act(() => first);
    expect(service.getOrder).toHaveBeenCalledTimes(3); // first load, the slow one, one more for the two calls
  });

  it('starts over on another order and ignores answers for the previous one', async () => {
    const slow = deferred<OrderWhatsApp>();
    const service = fakeService();
    service.getOrder.mockImplementation(async (id: number) =>
      id === 1 ? slow.promise : makeOrder({ orderId: id, customer: { id: 2, name: 'María González' } }),
    );
    const { result, rerender } = renderHook(({ orderId }) => useWhatsAppMessages({ service, orderId, pollIntervalMs: 0 }), {
      initialProps: { orderId: 1 },
    });
    rerender({ orderId: 2 });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    slow.resolve(makeOrder({ orderId: 1 }));
    await act(async () => {
      await slow.promise;
    });
    expect(result.current.order?.orderId).toBe(2);
    const firstSignal = service.getOrder.mock.calls[0]?.[1]?.signal;
    expect(firstSignal?.aborted).toBe(true);
  });
});

describe('mergeNewestPage', () => {
  it('starts over when more new messages arrived than a page holds (no overlap)', () => {
    const merged = mergeNewestPage([m(1, 1), m(2, 2)], 'OLD', makePage([m(10, 10), m(11, 11)], 'NEW'));
    expect(merged.messages.map((x) => x.id)).toEqual([10, 11]);
    expect(merged.nextCursor).toBe('NEW');
  });

  it('takes a page that holds the whole conversation as is', () => {
    const merged = mergeNewestPage([m(1, 1), m(2, 2)], null, makePage([m(2, 2), m(3, 3)], null));
    expect(merged.messages.map((x) => x.id)).toEqual([2, 3]);
    expect(merged.nextCursor).toBeNull();
  });

  it('keeps the older cursor when the page overlaps', () => {
    const merged = mergeNewestPage([m(1, 1), m(2, 2), m(3, 3)], 'OLD', makePage([m(3, 3), m(4, 4)], 'X'));
    expect(merged.messages.map((x) => x.id)).toEqual([1, 2, 3, 4]);
    expect(merged.nextCursor).toBe('OLD');
  });

  it('starts over when the conversation grew by more than the page brought (a sync linked older messages)', () => {
    // loaded: 2, 3, 4 (cursor to 1); a sync linked 9 (dated between 2 and 3) and 10 arrived: 2 more in all
    const merged = mergeNewestPage([m(2, 2), m(3, 3), m(4, 4)], 'OLD', makePage([m(3, 3), m(4, 4), m(10, 10)], 'NEW'), 2);
    expect(merged.messages.map((x) => x.id)).toEqual([3, 4, 10]);
    expect(merged.nextCursor).toBe('NEW'); // "ver anteriores" now walks back through 9
    const same = mergeNewestPage([m(2, 2), m(3, 3), m(4, 4)], 'OLD', makePage([m(3, 3), m(4, 4), m(10, 10)], 'NEW'), 1);
    expect(same.nextCursor).toBe('OLD'); // only the new message: the loaded pages stay
  });
});
