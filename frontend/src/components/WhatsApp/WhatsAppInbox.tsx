/**
 * The WhatsApp inbox as FastService drops it in (a page of its own, or a panel): `WhatsAppInboxView`
 * inside the same shadow root and stylesheet as the order panel (ShadowMount.tsx says why).
 *
 *   <WhatsAppInbox baseUrl={API} getAccessToken={getToken} orderHref={(id) => `/ordenes/${id}`} />
 */
import { ShadowMount } from './ShadowMount';
import { WhatsAppInboxView, type WhatsAppInboxProps } from './WhatsAppInboxView';

export type { WhatsAppInboxProps } from './WhatsAppInboxView';
export { WhatsAppInboxView } from './WhatsAppInboxView';

export function WhatsAppInbox({ className, ...props }: WhatsAppInboxProps) {
  return (
    <ShadowMount className={className}>
      <WhatsAppInboxView {...props} />
    </ShadowMount>
  );
}
