/**
 * A stand-in for a FastService page holding the WhatsApp inbox (`/inbox` on the local runner). Same
 * URL parameters as the order page for the API and the demo sign-in (`signin`, `staff`, `token`, `key`,
 * `api`), plus `tab` (unassigned, ambiguous, multiple_orders, awaiting_reply, notices).
 */
import { useMemo, useState } from 'react';
import { WhatsAppInbox } from '../components/WhatsApp/WhatsAppInbox';
import type { InboxViewTab } from '../types/whatsapp';
import { DEMO_STAFF, demoStaffName, demoTokenSource } from './demoAuth';
import { DemoHeader, DemoSession, readParams } from './DemoOrderPage';

const TABS: readonly InboxViewTab[] = ['unassigned', 'ambiguous', 'multiple_orders', 'awaiting_reply', 'notices'];

export function DemoInboxPage() {
  const [initial] = useState(() => readParams(window.location.search));
  const tab = new URLSearchParams(window.location.search).get('tab');
  const [staffUser, setStaffUser] = useState(initial.staff);
  const getAccessToken = useMemo(() => demoTokenSource({ ...initial, staff: staffUser }), [initial, staffUser]);
  const current = demoStaffName(staffUser);
  const other = DEMO_STAFF.find((s) => s.name !== current) ?? DEMO_STAFF[0];
  return (
    <div className="min-h-screen bg-gray-100 text-gray-900">
      <DemoHeader current="inbox">
        <DemoSession
          token={Boolean(initial.token)}
          signedIn={Boolean(initial.token) || initial.signin === 'demo'}
          current={current}
          other={other}
          onSwitch={() => setStaffUser(other.user)}
        />
      </DemoHeader>
      <main className="mx-auto flex max-w-4xl flex-col gap-4 px-3 py-4 sm:px-4">
        <h1 className="sr-only">FastService: bandeja de WhatsApp</h1>
        <WhatsAppInbox
          key={staffUser /* another staff member: a fresh inbox */}
          baseUrl={initial.baseUrl}
          getAccessToken={getAccessToken}
          functionKey={initial.functionKey || null /* DEMO ONLY */}
          initialTab={TABS.find((t) => t === tab) ?? 'unassigned'}
          orderHref={(orderId) => `/?order=${orderId}`}
        />
      </main>
    </div>
  );
}
