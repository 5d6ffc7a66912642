/**
 * The WhatsApp panel as FastService drops it in: `WhatsAppPanelView` inside an open shadow root
 * with its own stylesheet (ShadowMount.tsx says why).
 *
 *   <WhatsAppPanel orderId={order.ReparacionId} baseUrl={API} getAccessToken={getToken} />
 */
import { ShadowMount } from './ShadowMount';
import { WhatsAppPanelView, type WhatsAppPanelProps } from './WhatsAppPanelView';

export type { WhatsAppPanelProps } from './WhatsAppPanelView';
export { EMPTY_CONVERSATION_TEXT, OPEN_LABEL, WhatsAppPanelView } from './WhatsAppPanelView';
export { HOST_TAG, shadowCss } from './ShadowMount';

export function WhatsAppPanel({ className, ...props }: WhatsAppPanelProps) {
  return (
    <ShadowMount className={className}>
      <WhatsAppPanelView {...props} />
    </ShadowMount>
  );
}
