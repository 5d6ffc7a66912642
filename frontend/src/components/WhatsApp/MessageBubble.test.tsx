import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../test/fixtures';
import { deliveryLabel, mediaLabel, MessageBubble } from './MessageBubble';

function bubble(container: HTMLElement) {
  return container.querySelector('[data-direction]') as HTMLElement;
}

describe('MessageBubble', () => {
  it("puts the customer's messages on the left with the Buenos Aires time", () => {
    const { container } = render(
      <MessageBubble message={makeMessage({ id: 1, text: 'Hola, ¿está lista?', timestamp: '2026-11-22T17:05:00Z' })} customerName="Juan Pérez" />,
    );
    expect(bubble(container)).toHaveAttribute('data-direction', 'inbound');
    expect(bubble(container)).toHaveClass('justify-start');
    expect(screen.getByText('Hola, ¿está lista?')).toBeInTheDocument();
    const time = screen.getByText('14:05');
    expect(time.tagName).toBe('TIME');
    expect(time).toHaveAttribute('dateTime', '2026-11-22T17:05:00Z');
    expect(time).toHaveAttribute('title', '22/11/2026, 14:05');
    expect(screen.getByText('Juan Pérez:')).toHaveClass('sr-only');
    expect(screen.queryByRole('img')).not.toBeInTheDocument(); // no ticks on the customer's side
  });

  it("says plainly when the shop's message is known only from its delivery status", () => {
    const { container } = render(
      <MessageBubble
        message={makeMessage({
          id: 1,
          direction: 'outbound',
          type: 'unrecorded',
          text: null,
          status: { state: 'delivered', at: '2026-11-22T18:00:00Z', errorCode: null, errorMessage: null },
        })}
      />,
    );
    expect(bubble(container)).toHaveClass('justify-end');
    expect(screen.getByText('Mensaje enviado por el taller (su texto no llega a FastService)')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: /Entregado/ })).toBeInTheDocument();
  });

  it.each([
    ['sent', '✓', 'Enviado'],
    ['delivered', '✓✓', 'Entregado'],
    ['read', '✓✓', 'Leído'],
  ] as const)("shows the shop's %s state as ticks on the right", (state, ticks, label) => {
    const { container } = render(
      <MessageBubble
        message={makeMessage({
          id: 1,
          direction: 'outbound',
          status: { state, at: '2026-11-22T18:00:00Z', errorCode: null, errorMessage: null },
        })}
      />,
    );
    expect(bubble(container)).toHaveClass('justify-end');
    const tick = screen.getByRole('img', { name: `${label} (22/11/2026, 15:00)` });
    expect(tick).toHaveTextContent(ticks);
    expect(tick).toHaveClass(state === 'read' ? 'text-sky-700' : 'text-gray-600');
  });

  it('explains a failed delivery on hover and on keyboard focus', async () => {
    const user = userEvent.setup();
    render(
      <MessageBubble
        message={makeMessage({
          id: 1,
          direction: 'outbound',
          status: {
            state: 'failed',
            at: '2026-11-24T05:04:42Z',
            errorCode: '131047',
            errorMessage: 'Re-engagement message: more than 24 hours have passed',
          },
        })}
      />,
    );
    const tick = screen.getByRole('img', { name: 'No entregado' });
    expect(tick).toHaveAccessibleDescription(/más de 24 h.*Mandale una plantilla.*\(código 131047\)/);
    // Meta's English text is not for staff
    expect(document.body).not.toHaveTextContent('Re-engagement');
    const tooltip = screen.getByRole('tooltip', { hidden: true });
    expect(tooltip).not.toBeVisible();
    await user.tab();
    expect(tick).toHaveFocus();
    expect(tooltip).toBeVisible(); // keyboard focus opens it
    await user.keyboard('{Escape}');
    expect(tooltip).not.toBeVisible(); // Esc closes it without moving focus
    expect(tick).toHaveFocus();
    await user.hover(tick);
    expect(tooltip).toBeVisible();
    expect(tooltip).toHaveTextContent('No entregado. Pasaron más de 24 h');
    // also written under the bubble: a tooltip can be cut off by the scrolling conversation, and
    // touch screens have no hover (hidden from screen readers, which read the tick's description)
    const inline = screen.getByText(/^No entregado\. Pasaron más de 24 h/, { selector: 'p' });
    expect(inline).toHaveAttribute('aria-hidden', 'true');
  });

  it('shows a document as a placeholder with its name and caption', () => {
    render(
      <MessageBubble
        message={makeMessage({
          id: 1,
          type: 'document',
          text: null,
          media: { kind: 'document', mimeType: 'application/pdf', fileName: 'presupuesto.pdf', caption: 'Acá va' },
        })}
      />,
    );
    expect(screen.getByText('📎 presupuesto.pdf')).toBeInTheDocument();
    expect(screen.getByText('Acá va')).toBeInTheDocument();
  });

  it("shows an image's caption once, even when the text repeats it", () => {
    render(
      <MessageBubble
        message={makeMessage({
          id: 1,
          type: 'image',
          text: 'Así quedó la pantalla',
          media: { kind: 'image', mimeType: 'image/jpeg', fileName: null, caption: 'Así quedó la pantalla' },
        })}
      />,
    );
    expect(screen.getByText('🖼️ Imagen')).toBeInTheDocument();
    expect(screen.getAllByText('Así quedó la pantalla')).toHaveLength(1);
  });

  it('shows the quoted message of a reply, or says it is not loaded', () => {
    const quoted = makeMessage({ id: 1, direction: 'outbound', whatsappMessageId: 'wa-1', text: 'El presupuesto es $85.000' });
    const { rerender } = render(
      <MessageBubble message={makeMessage({ id: 2, text: 'Dale, avancen', replyTo: 'wa-1' })} quoted={quoted} customerName="Juan" />,
    );
    const quote = screen.getByLabelText('En respuesta a Taller');
    expect(within(quote).getByText('El presupuesto es $85.000')).toBeInTheDocument();
    rerender(<MessageBubble message={makeMessage({ id: 2, text: 'Dale, avancen', replyTo: 'wa-1' })} quoted={null} />);
    expect(screen.getByText('Respuesta a un mensaje que no está cargado')).toBeInTheDocument();
  });

  it('shows reactions under the bubble', () => {
    render(
      <MessageBubble
        message={makeMessage({ id: 1, direction: 'outbound' })}
        reactions={[{ emoji: '👍', direction: 'inbound', at: '2026-11-22T18:00:00Z' }]}
        customerName="Juan Pérez"
      />,
    );
    const list = screen.getByRole('list', { name: 'Reacciones' });
    expect(within(list).getByText('Juan Pérez reaccionó 👍')).toBeInTheDocument();
  });

  it('shows a button reply and a type it does not know', () => {
    const { rerender } = render(
      <MessageBubble message={makeMessage({ id: 1, type: 'interactive', text: null, choice: { title: 'Apruebo', payload: 'aprobar' } })} />,
    );
    expect(screen.getByText('«Apruebo»')).toBeInTheDocument();
    rerender(<MessageBubble message={makeMessage({ id: 2, type: 'location', text: null })} />);
    expect(screen.getByText(/^📍 Ubicación compartida: el panel todavía no lo muestra/)).toBeInTheDocument();
    rerender(<MessageBubble message={makeMessage({ id: 3, type: 'hologram_v9', text: null })} />);
    expect(screen.getByText(/Un tipo de mensaje que el panel todavía no puede mostrar\. Pedile al cliente/)).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('hologram_v9'); // never the raw type name
  });
});

describe('mediaLabel and deliveryLabel', () => {
  it('names media', () => {
    expect(mediaLabel({ kind: 'audio', mimeType: null, fileName: null, caption: null })).toBe('🎤 Audio');
    expect(mediaLabel({ kind: 'whatever', mimeType: null, fileName: null, caption: null })).toBe('📎 Archivo adjunto');
    expect(mediaLabel({ kind: 'image', mimeType: null, fileName: 'foto.jpg', caption: null })).toBe('🖼️ foto.jpg');
  });

  it('labels a state WhatsApp adds later in Spanish, never raw', () => {
    expect(deliveryLabel({ state: 'played', at: '', errorCode: null, errorMessage: null })).toEqual({
      label: 'Estado de entrega desconocido',
      reason: null,
    });
    expect(deliveryLabel({ state: 'failed', at: '', errorCode: null, errorMessage: null }).reason).toMatch(
      /^WhatsApp no informó el motivo\. Si vuelve a pasar, avisá al administrador\.$/,
    );
  });
});

describe('MessageBubble author', () => {
  it('names the staff member who sent a reply from the panel, never on the customer\'s messages', () => {
    const { rerender } = render(<MessageBubble message={makeMessage({ id: 1, direction: 'outbound', sentBy: 'Ana Gómez' })} />);
    expect(screen.getByTestId('sent-by')).toHaveTextContent('Ana Gómez ·');
    rerender(<MessageBubble message={makeMessage({ id: 2, direction: 'inbound', sentBy: 'Ana Gómez' })} />);
    expect(screen.queryByTestId('sent-by')).not.toBeInTheDocument();
    rerender(<MessageBubble message={makeMessage({ id: 3, direction: 'outbound', sentBy: null })} />);
    expect(screen.queryByTestId('sent-by')).not.toBeInTheDocument();
  });
});
