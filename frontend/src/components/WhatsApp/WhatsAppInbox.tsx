/**
 * The WhatsApp inbox as FastService drops it in (a page of its own, or a panel): `WhatsAppInboxView`
 * inside the same shadow root and stylesheet as the order panel (ShadowMount.tsx says why).
 *
 *   <WhatsAppInbox baseUrl={API} getAccessToken={getToken} orderHref={(id) => `/ordenes/${id}`} />
 */
import { lazy, Suspense } from 'react';
import { ShadowMount } from './ShadowMount';
import type { WhatsAppInboxProps } from './WhatsAppInboxView';

export type { WhatsAppInboxProps } from './WhatsAppInboxView';

// The inbox is a page of its own: its code loads when that page is shown, never with an order screen
// (frontend/README.md: the order screen's initial load).
const WhatsAppInboxView = lazy(() => import('./WhatsAppInboxView').then((m) => ({ default: m.WhatsAppInboxView })));

export function WhatsAppInbox({ className, ...props }: WhatsAppInboxProps) {
  return (
    <ShadowMount className={className}>
      <Suspense fallback={<p role="status" className="p-4 text-sm text-gray-700">Cargando la bandeja…</p>}>
        <WhatsAppInboxView {...props} />
      </Suspense>
    </ShadowMount>
  );
}
