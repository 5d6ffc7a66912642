import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WhatsAppApiError } from '../../services/whatsappService';
import { deferred, fakeService, makeImportPreview, makeImportResult, makeOrder, makePage } from '../../test/fixtures';
import type { ImportResult } from '../../types/whatsapp';
import { ImportHistory, importOutcome, periodText } from './ImportHistory';
import { WhatsAppPanelView } from './WhatsAppPanelView';

const file = () => new File(['1/2/24, 10:00 - Juan Pérez: hola\n'], 'Chat de WhatsApp con +54 9 11 5555-1234.txt', { type: 'text/plain' });

describe('ImportHistory', () => {
  it('previews the file, needs the shop chosen, imports and says what happened', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    const onImported = vi.fn();
    const pending = deferred<ImportResult>();
    service.importHistory.mockReturnValueOnce(pending.promise);
    render(<ImportHistory orderId={1} service={service} onImported={onImported} onClose={() => {}} />);

    const chosen = file();
    await user.upload(screen.getByLabelText('Archivo exportado (.txt o .zip)'), chosen);
    expect(service.previewImport).toHaveBeenCalledWith(1, chosen, expect.objectContaining({ signal: expect.any(AbortSignal) }));
    const heading = await screen.findByRole('heading', { name: `Vista previa de «${chosen.name}»` });
    expect(heading).toHaveFocus();
    expect(screen.getByText('9 mensajes')).toBeInTheDocument();
    expect(screen.getByText(/y 1 avisos de WhatsApp/)).toBeInTheDocument();
    expect(screen.getByText('del 01/02/2024, 10:00 al 17/03/2024, 15:10')).toBeInTheDocument();

    // nothing is imported until staff say which participant is the shop
    const importButton = screen.getByRole('button', { name: 'Importar 9 mensajes' });
    await user.click(importButton);
    expect(service.importHistory).not.toHaveBeenCalled();
    expect(screen.getByText('Elegí quién es el taller para poder importar.')).toBeInTheDocument();

    const group = screen.getByRole('group', { name: '¿Quién es el taller en este chat?' });
    expect(group).toHaveAccessibleDescription(/Elegí quién es el taller/);
    await user.click(screen.getByRole('radio', { name: /FastService/ }));
    await user.click(importButton);
    expect(service.importHistory).toHaveBeenCalledWith(1, chosen, 'FastService', expect.anything());
    expect(screen.getByRole('button', { name: 'Importando…' })).toHaveAttribute('aria-disabled', 'true');

    pending.resolve(makeImportResult());
    expect(await screen.findByRole('heading', { name: 'Historial importado' })).toHaveFocus();
    expect(screen.getByText('Listo: se importaron 5 mensajes.')).toBeInTheDocument();
    expect(screen.getByText('4 mensajes ya habían llegado por WhatsApp y no se repitieron.')).toBeInTheDocument();
    expect(screen.getByText('Quedaron 2 mensajes en esta orden, 3 mensajes en el historial del cliente, sin orden.')).toBeInTheDocument();
    expect(onImported).toHaveBeenCalledTimes(1);
  });

  it('preselects the suggested shop and warns about a file imported before or of another phone', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.previewImport.mockResolvedValueOnce(
      makeImportPreview({
        suggestedShopParticipant: 'FastService',
        customer: { customerId: 1, name: 'Juan Pérez', matchedBy: 'order', phone: '+5491144443333', filePhoneIsCustomers: false },
        previousImport: {
          importId: 3, state: 'completed', customerId: 1, shopParticipant: 'FastService', messagesImported: 5,
          importedBy: 'Ana Gómez', startedAt: '2024-03-20T12:00:00Z', completedAt: '2024-03-20T12:00:05Z',
        },
      }),
    );
    render(<ImportHistory orderId={1} service={service} onClose={() => {}} />);
    await user.upload(screen.getByLabelText('Archivo exportado (.txt o .zip)'), file());
    expect(await screen.findByRole('radio', { name: /FastService/ })).toBeChecked();
    expect(screen.getByText(/no es de Juan Pérez: revisá que sea el chat correcto/)).toBeInTheDocument();
    expect(screen.getByText(/Este archivo ya se importó el 20\/03\/2024, 09:00 \(lo importó Ana Gómez\)/)).toBeInTheDocument();
  });

  it('a file that is not an export is a clear error, and another file can be chosen', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.previewImport.mockRejectedValueOnce(
      new WhatsAppApiError(422, 'El archivo no parece una exportación de chat de WhatsApp («Exportar chat»): es un archivo binario, no texto.'),
    );
    render(<ImportHistory orderId={1} service={service} onClose={() => {}} />);
    await user.upload(screen.getByLabelText('Archivo exportado (.txt o .zip)'), file());
    expect(await screen.findByRole('heading', { name: 'No se pudo leer el archivo' })).toHaveFocus();
    expect(screen.getByRole('alert')).toHaveTextContent('es un archivo binario, no texto');
    expect(screen.queryByRole('button', { name: 'Reintentar' })).toBeNull(); // the same file would fail the same way
    await user.click(screen.getByRole('button', { name: 'Elegir otro archivo' }));
    await waitFor(() => expect(screen.getByLabelText('Archivo exportado (.txt o .zip)')).toHaveFocus());
    expect(service.importHistory).not.toHaveBeenCalled();
  });

  it('a database outage during the import offers to retry (it resumes on the server)', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.previewImport.mockResolvedValueOnce(makeImportPreview({ suggestedShopParticipant: 'FastService' }));
    service.importHistory.mockRejectedValueOnce(new WhatsAppApiError(503, 'La base de datos no responde en este momento.', 5));
    render(<ImportHistory orderId={1} service={service} onClose={() => {}} />);
    await user.upload(screen.getByLabelText('Archivo exportado (.txt o .zip)'), file());
    await user.click(await screen.findByRole('button', { name: 'Importar 9 mensajes' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Podés reintentar en 5 s.');
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    expect(await screen.findByText('Listo: se importaron 5 mensajes.')).toBeInTheDocument();
    expect(service.importHistory).toHaveBeenCalledTimes(2);
  });

  it('lists the customers sharing the phone when the server cannot tell', async () => {
    const user = userEvent.setup();
    const service = fakeService();
    service.previewImport.mockResolvedValueOnce(makeImportPreview({ suggestedShopParticipant: 'FastService' }));
    service.importHistory.mockRejectedValueOnce(
      new WhatsAppApiError(422, 'Ese teléfono es de varios clientes; elegí de cuál es el chat.', null, {
        type: '/problems/customer-not-identified', title: 'Customer not identified', status: 422,
        detail: 'Ese teléfono es de varios clientes; elegí de cuál es el chat.',
        candidates: [{ customerId: 10, name: 'Camila Ruiz' }, { customerId: 11, name: 'Pablo Ruiz' }],
      }),
    );
    render(<ImportHistory orderId={1} service={service} onClose={() => {}} />);
    await user.upload(screen.getByLabelText('Archivo exportado (.txt o .zip)'), file());
    await user.click(await screen.findByRole('button', { name: 'Importar 9 mensajes' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Camila Ruiz (#10), Pablo Ruiz (#11)');
  });
});

describe('the panel opens and closes the import', () => {
  it('toggles the region and returns focus to its button; a successful import reloads the conversation', async () => {
    const user = userEvent.setup();
    const service = fakeService(makeOrder(), { '': makePage([]) });
    service.previewImport.mockResolvedValue(makeImportPreview({ suggestedShopParticipant: 'FastService' }));
    render(<WhatsAppPanelView orderId={1} service={service} pollIntervalMs={0} />);
    const toggle = await screen.findByRole('button', { name: 'Importar historial' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const region = await screen.findByRole('region', { name: 'Importar historial de WhatsApp' }); // a lazy chunk
    expect(toggle).toHaveAttribute('aria-controls', region.id);
    await user.click(screen.getByRole('button', { name: 'Cancelar' }));
    expect(screen.queryByRole('region', { name: 'Importar historial de WhatsApp' })).toBeNull();
    expect(toggle).toHaveFocus();

    await user.click(toggle);
    const loads = service.getOrder.mock.calls.length;
    await user.upload(await screen.findByLabelText('Archivo exportado (.txt o .zip)'), file());
    await user.click(await screen.findByRole('button', { name: 'Importar 9 mensajes' }));
    await screen.findByText('Listo: se importaron 5 mensajes.');
    await waitFor(() => expect(service.getOrder.mock.calls.length).toBeGreaterThan(loads));
  });
});

describe('texts', () => {
  it('says a period and an already imported file in Spanish', () => {
    expect(periodText(null, null)).toBe('sin fechas');
    expect(periodText('2024-03-17T18:10:00Z', '2024-03-17T18:10:00Z')).toBe('el 17/03/2024, 15:10');
    expect(importOutcome(makeImportResult({ alreadyImported: true, addedNow: 0 }), 1)).toEqual([
      'Este archivo ya estaba importado (5 mensajes): no se agregó nada.',
    ]);
    expect(importOutcome(makeImportResult({ addedNow: 1, duplicatesOfLive: 1, alreadyStored: 1, orders: [{ orderId: 7, messages: 1 }], unlinked: 0 }), 1)).toEqual([
      'Listo: se importó 1 mensaje.',
      '1 mensaje ya había llegado por WhatsApp y no se repitió.',
      '1 mensaje ya estaba guardado.',
      'Quedaron 0 mensajes en esta orden, 1 mensaje en otras órdenes del cliente.',
    ]);
  });

  it('says what became of the .zip\'s photos and files, also when importing it again stored the pending ones', () => {
    expect(importOutcome(makeImportResult({ orders: [], unlinked: 5, attachments: { stored: 3, failed: 1, pending: 2 } }), 1).slice(-3)).toEqual([
      'Se guardaron 3 fotos y archivos del chat.',
      '1 archivo no se guardó: el motivo está en su mensaje.',
      '2 archivos quedaron pendientes: el almacenamiento no respondió. Importá el mismo archivo de nuevo para guardarlos.',
    ]);
    expect(importOutcome(makeImportResult({ alreadyImported: true, attachments: { stored: 1, failed: 0, pending: 0 } }), 1)).toEqual([
      'Este archivo ya estaba importado (5 mensajes): no se agregó nada.',
      'Se guardó 1 foto o archivo del chat.',
    ]);
  });
});
