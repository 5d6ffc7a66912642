import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError } from '../../services/whatsappService';
import { deferred, fakeService, makeSyncResult } from '../../test/fixtures';
import type { SyncResult } from '../../types/whatsapp';
import { SyncButton } from './SyncButton';

describe('SyncButton', () => {
  it('shows progress and disables itself while running, then reports new messages', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    const pending = deferred<SyncResult>();
    service.syncOrder.mockReturnValueOnce(pending.promise);
    const onSynced = vi.fn();
    render(<SyncButton orderId={5} service={service} onSynced={onSynced} />);

    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    const busy = screen.getByRole('button', { name: 'Sincronizando…' });
    // aria-disabled, not disabled: a disabled button would drop the keyboard's focus to <body>
    expect(busy).toHaveAttribute('aria-disabled', 'true');
    expect(busy).toHaveAttribute('aria-busy', 'true');
    expect(busy).toHaveFocus();
    await user.click(busy);
    expect(service.syncOrder).toHaveBeenCalledTimes(1);
    expect(service.syncOrder).toHaveBeenCalledWith(5);

    const result = makeSyncResult({ orderId: 5, status: 'success', messagesReceived: 3, summaryGenerated: true });
    pending.resolve(result);
    expect(await screen.findByRole('status')).toHaveTextContent('3 mensajes nuevos');
    expect(screen.getByRole('status')).toHaveTextContent('Resumen actualizado');
    expect(screen.getByRole('button', { name: 'Sincronizar WhatsApp' })).toHaveAttribute('aria-disabled', 'false');
    expect(onSynced).toHaveBeenCalledWith(result);
  });

  it('is usable again while the refresh after a sync is still running', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    const refreshing = deferred<void>();
    render(<SyncButton orderId={5} service={service} onSynced={() => refreshing.promise} />);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    await screen.findByText(/mensaje/);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    expect(service.syncOrder).toHaveBeenCalledTimes(2);
    refreshing.resolve();
  });

  it('keeps the keyboard on the sync button when "Reintentar" starts again', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.syncOrder.mockRejectedValueOnce(new WhatsAppApiError(503, 'La base de datos no responde.', 5));
    const pending = deferred<SyncResult>();
    service.syncOrder.mockReturnValueOnce(pending.promise);
    render(<SyncButton orderId={5} service={service} />);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    await user.click(await screen.findByRole('button', { name: 'Reintentar' }));
    expect(screen.getByRole('button', { name: 'Sincronizando…' })).toHaveFocus();
    pending.resolve(makeSyncResult());
  });

  it('says "1 mensaje nuevo" in the singular and why no summary was written', async () => {
    const user = userEvent.setup();
    const service = fakeService(undefined, undefined, makeSyncResult({
      status: 'success',
      messagesReceived: 1,
      summaryError: 'No hay un servicio de resúmenes configurado.',
    }));
    render(<SyncButton orderId={5} service={service} />);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    const status = await screen.findByText('1 mensaje nuevo');
    expect(status).toBeInTheDocument();
    expect(screen.getByText('Resumen no generado: No hay un servicio de resúmenes configurado.')).toBeInTheDocument();
  });

  it('reports "Sin mensajes nuevos"', async () => {
    const user = userEvent.setup();
    render(<SyncButton orderId={1} service={fakeService()} />);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Sin mensajes nuevos'));
    expect(screen.getByRole('button', { name: 'Sincronizar WhatsApp' })).toHaveAccessibleDescription('Sin mensajes nuevos');
  });

  it('shows an error with its detail and retries', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.syncOrder.mockRejectedValueOnce(new WhatsAppApiError(503, 'La base de datos no responde.', 10));
    const onSynced = vi.fn();
    render(<SyncButton orderId={1} service={service} onSynced={onSynced} />);

    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No se pudo sincronizar: La base de datos no responde. Podés reintentar en 10 s.');
    expect(onSynced).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Sin mensajes nuevos'));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(service.syncOrder).toHaveBeenCalledTimes(2);
    expect(onSynced).toHaveBeenCalledTimes(1);
  });

  it('treats a "failed" sync as an error', async () => {
    const user = userEvent.setup();
    render(<SyncButton orderId={1} service={fakeService(undefined, undefined, makeSyncResult({ status: 'failed' }))} />);
    await user.click(screen.getByRole('button', { name: 'Sincronizar WhatsApp' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('La sincronización no se pudo completar.');
  });

  it('ignores clicks while running and works from the keyboard', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    const pending = deferred<SyncResult>();
    service.syncOrder.mockReturnValueOnce(pending.promise);
    render(<SyncButton orderId={1} service={service} />);
    await user.tab();
    expect(screen.getByRole('button', { name: 'Sincronizar WhatsApp' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await user.click(screen.getByRole('button', { name: 'Sincronizando…' }));
    expect(service.syncOrder).toHaveBeenCalledTimes(1);
    pending.resolve(makeSyncResult());
    await screen.findByText('Sin mensajes nuevos');
  });
});
