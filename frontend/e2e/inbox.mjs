// End-to-end tests of the WhatsApp inbox page (/inbox) on the demo data: tabs and their counts, a decision
// and its undo, the assistant's proposal, moving messages to an order, who waits for an answer; axe-core
// at both viewports in every state. Registered into run.mjs's suite (same runner, same Chromium).
import assert from 'node:assert/strict';
import { getJson, offerNotice, postIncomingText, staffToken } from './harness.mjs';

/** @param {{ test: Function }} suite @param {{ base: () => string, databaseUrl: () => string, captureState: Function }} ctx */
export function inboxTests(suite, { base, databaseUrl, captureState }) {
  async function openInbox(page, tab = '') {
    await page.goto(`${base()}/inbox${tab ? `?tab=${tab}` : ''}`);
    const inbox = page.getByRole('region', { name: 'Bandeja de WhatsApp' });
    await inbox.getByRole('tabpanel').waitFor();
    await inbox.locator('[role=tabpanel][aria-busy=false]').waitFor();
    return inbox;
  }

  const tab = (inbox, name) => inbox.getByRole('tab', { name: new RegExp(`^${name}`) });

  suite.test('bandeja: pestañas con sus contadores, como dice la API; axe sin violaciones en cada una', async (page) => {
    const inbox = await openInbox(page);
    const counts = await getJson(`${base()}/api/whatsapp/inbox/counts`);
    const expected = { 'Sin asignar': counts.unassigned, Ambiguos: counts.ambiguous, 'Varias órdenes': counts.multipleOrders, 'Esperan respuesta': counts.awaitingReply };
    for (const [name, count] of Object.entries(expected)) {
      await tab(inbox, name).getByText(String(count), { exact: true }).waitFor();
    }
    assert.equal(await tab(inbox, 'Sin asignar').getAttribute('aria-selected'), 'true');
    // the demo's senders: the daughter's phone (with the assistant's proposal), Martín's other mobile, a hidden number
    const items = inbox.getByRole('tabpanel').getByRole('listitem');
    await inbox.getByText('+54 9 11 7000-1111').waitFor();
    await inbox.getByText('+54 9 11 8888-7777').waitFor();
    await inbox.getByText('Número oculto (solo ID de WhatsApp)').waitFor();
    assert.equal(await items.count(), counts.unassigned);
    await captureState(page, 'inbox-unassigned');
    // keyboard: arrows move between tabs (WAI-ARIA tabs pattern)
    await tab(inbox, 'Sin asignar').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await tab(inbox, 'Ambiguos').getAttribute('aria-selected'), 'true');
    await inbox.getByText('Hola, soy de la familia Ruiz', { exact: false }).waitFor();
    await captureState(page, 'inbox-ambiguous');
    await page.keyboard.press('End');
    assert.equal(await tab(inbox, 'Avisos').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await tab(inbox, 'Esperan respuesta').getAttribute('aria-selected'), 'true');
    await inbox.getByText(/María González · orden #2/).waitFor();
    await inbox.getByText(/^Ventana abierta: cierra en/).first().waitFor();
    await inbox.getByText('Ventana de 24 h cerrada: solo plantillas').first().waitFor();
    const link = inbox.getByRole('link', { name: 'Abrir la orden #2' });
    assert.equal(await link.getAttribute('href'), '/?order=2');
    await captureState(page, 'inbox-awaiting');
  });

  suite.test('bandeja: elegir a Camila en una línea compartida, ver la decisión y deshacerla', async (page) => {
    const inbox = await openInbox(page, 'ambiguous');
    await inbox.getByRole('button', { name: /\+54 9 11 2222-3333/ }).click();
    await inbox.getByRole('list', { name: 'Mensajes' }).getByText('Hola, soy de la familia Ruiz', { exact: false }).waitFor();
    await captureState(page, 'inbox-ambiguous-open');
    await inbox.getByRole('button', { name: /^Es Camila Ruiz/ }).click();
    await inbox.getByRole('status').getByText('Asignado a Camila Ruiz.').waitFor();
    await inbox.getByText(EMPTY_AMBIGUOUS).waitFor();
    await tab(inbox, 'Ambiguos').getByText('0', { exact: true }).waitFor();
    // the decision is on the sender: who, when, and undo
    const [sender] = (await getJson(`${base()}/api/whatsapp/inbox/decisions?sender=phone:541122223333`)).decisions;
    assert.equal(sender.kind, 'pick_candidate');
    assert.equal(sender.customerName, 'Camila Ruiz');
    assert.equal(sender.decidedBy.name, 'Ana Gómez'); // the page's demo session
    const undone = await fetch(`${base()}/api/whatsapp/inbox/decisions/${sender.id}/undo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await staffToken(base(), 'bruno')}` },
    });
    assert.equal(undone.status, 200);
    await inbox.getByRole('button', { name: 'Actualizar' }).click();
    await inbox.locator('[role=tabpanel][aria-busy=false]').getByRole('button', { name: /\+54 9 11 2222-3333/ }).click();
    await inbox.getByText(/^Elegido Camila Ruiz \(cliente \d+\) \(1 mensaje\) por Ana Gómez el .* Deshecho por Bruno Díaz el /).waitFor();
  });

  suite.test('bandeja: confirmar la propuesta del asistente; otra persona que decide después ve la decisión vigente', async (page) => {
    const inbox = await openInbox(page);
    await inbox.getByRole('button', { name: /\+54 9 11 7000-1111/ }).click();
    await inbox.getByText(/El asistente propone que es/).waitFor();
    await captureState(page, 'inbox-proposal');
    await inbox.getByRole('button', { name: 'Confirmar propuesta' }).click();
    await inbox.getByRole('status').getByText('Propuesta confirmada.').waitFor();
    await inbox.getByText('+54 9 11 7000-1111').waitFor({ state: 'detached' });
    // a second person with the same stale screen assigns the same sender: 409, and the decision in force is shown
    const stale = await page.context().newPage();
    try {
      await stale.route('**/api/whatsapp/inbox?**', async (route) => {
        const body = await (await route.fetch()).json();
        body.items.unshift({
          sender: 'phone:541170001111', phone: '+5491170001111', bsuid: null, messageCount: 2,
          lastMessage: { id: 1, direction: 'inbound', at: new Date().toISOString(), text: 'Lo paso a buscar yo' },
          deletedCustomerId: null, proposals: [],
        });
        await route.fulfill({ json: body });
      });
      const other = await openInbox(stale);
      await other.getByRole('button', { name: /\+54 9 11 7000-1111/ }).click();
      await other.getByLabel('Orden', { exact: true }).fill('4');
      await other.getByRole('button', { name: 'Asignar', exact: true }).click();
      await other.getByRole('status').getByText(/Otra persona ya asignó este remitente/).waitFor();
      await other.getByRole('status').getByText(/^Decisión vigente: Asignado a Juan Pérez/).waitFor();
      await captureState(stale, 'inbox-conflict');
    } finally {
      await stale.close();
    }
  });

  suite.test('bandeja: asignar un número por orden y mover los mensajes de Lucía a una de sus órdenes', async (page) => {
    const inbox = await openInbox(page);
    await inbox.getByRole('button', { name: /\+54 9 11 8888-7777/ }).click();
    const number = inbox.getByLabel('Orden', { exact: true });
    await number.fill('siete');
    await inbox.getByRole('button', { name: 'Asignar', exact: true }).click();
    await inbox.getByText('Escribí un número entero positivo.').waitFor();
    assert.equal(await number.getAttribute('aria-invalid'), 'true');
    await number.fill('7');
    await inbox.getByRole('button', { name: 'Asignar', exact: true }).click();
    await inbox.getByRole('status').getByText(/Remitente asignado/).waitFor();
    const order7 = await getJson(`${base()}/api/whatsapp/messages/7`);
    assert.ok(order7.messages.some((m) => m.text?.includes('notebook Lenovo')), 'the message went to order 7');

    // Lucía has two open orders: what she writes waits for a person (an earlier test may have synced her first one)
    const text = `¿Y la funda de la tablet? (prueba ${Date.now()})`;
    await postIncomingText(base(), '5491133332222', text);
    await tab(inbox, 'Varias órdenes').click();
    await inbox.getByRole('button', { name: /Lucía Fernández/ }).click();
    await inbox.getByRole('list', { name: 'Mensajes' }).getByText(text).waitFor();
    await captureState(page, 'inbox-move');
    await inbox.getByLabel('A la orden').selectOption('5');
    await inbox.getByRole('button', { name: 'Mover a la orden #5' }).click();
    await inbox.getByRole('status').getByText('Mensajes movidos a la orden #5.').waitFor();
    const order5 = await getJson(`${base()}/api/whatsapp/messages/5`);
    assert.ok(order5.messages.some((m) => m.text === text), 'the message went to order 5');
  });

  suite.test('bandeja «Avisos»: un aviso ofrecido se envía con un clic, una sola vez, y la orden lo muestra enviado; respuestas al presupuesto — axe', async (page) => {
    const noticeId = offerNotice(databaseUrl(), 1, 'Rechazado'); // Juan's order is rejected: offered to staff
    const [tapped] = (await getJson(`${base()}/api/whatsapp/inbox/quote-taps`)).items; // the demo's: Agustín accepted
    const tapOrder = tapped.orderId;
    const counts = await getJson(`${base()}/api/whatsapp/inbox/counts`);
    assert.ok(counts.notices >= 1, 'the count includes the offer');
    const inbox = await openInbox(page, 'notices');
    await tab(inbox, 'Avisos').getByText(String(counts.notices), { exact: true }).waitFor();
    const offers = inbox.getByRole('list', { name: 'Avisos para enviar' });
    const juan = offers.getByRole('listitem').filter({ hasText: 'orden #1' });
    await juan.getByText('Presupuesto rechazado · Juan · orden #1').waitFor();
    await juan.getByText('Pasó a «Rechazado»').waitFor();
    await juan.getByText('Aceptó avisos por WhatsApp').waitFor();
    await juan.locator('blockquote').getByText(/Juan/).waitFor(); // the template filled for the order
    const taps = inbox.getByRole('list', { name: 'Respuestas al presupuesto' });
    await taps.getByText('Presupuesto aceptado por WhatsApp — $ 45.000').waitFor();
    await taps.getByText(`Agustín · orden #${tapOrder}`).waitFor();
    assert.equal(await taps.getByRole('link', { name: `Abrir la orden #${tapOrder}` }).getAttribute('href'), `/?order=${tapOrder}`);
    await captureState(page, 'inbox-notices');

    await juan.getByRole('button', { name: 'Enviar', exact: true }).click();
    await inbox.getByTestId('inbox-notice-result').getByText(/^Aviso (enviado|en camino)/).waitFor();
    await offers.getByRole('listitem').filter({ hasText: 'orden #1' }).waitFor({ state: 'detached' });
    assert.equal(await inbox.getByText('Presupuesto rechazado · Juan · orden #1').count(), 0, 'the sent offer left the list');
    await captureState(page, 'inbox-notice-sent');
    // a colleague's stale click: the same send, told as already sent; never a second message
    const again = await fetch(`${base()}/api/whatsapp/orders/1/notifications/${noticeId}/send`, {
      method: 'POST', headers: { Authorization: `Bearer ${await staffToken(base(), 'bruno')}` },
    });
    assert.equal(again.status, 200);
    const repeated = await again.json();
    assert.equal(repeated.alreadySent, true);
    assert.equal(repeated.notification.decidedBy, 'Ana Gómez');
    const api = await getJson(`${base()}/api/whatsapp/orders/1/notifications`);
    const mine = api.notifications.find((n) => n.id === noticeId);
    assert.equal(mine.state, 'sent');
    assert.equal(mine.outboxId, repeated.send.id);
    // the order's panel shows it sent
    await page.goto(`${base()}/?order=1`);
    const notices = page.getByRole('region', { name: 'WhatsApp', exact: true }).getByRole('region', { name: 'Avisos' });
    await notices.getByText('Presupuesto rechazado: Enviado por Ana Gómez', { exact: false }).waitFor();
  });

  suite.test('avisos (orden 4): registrar la baja desde el panel, con confirmación; quién y cuándo — axe', async (page) => {
    await page.goto(`${base()}/?order=4`);
    const notices = page.getByRole('region', { name: 'WhatsApp', exact: true }).getByRole('region', { name: 'Avisos' });
    await notices.getByText('Sin consentimiento registrado').waitFor();
    await notices.getByRole('button', { name: 'Registrar baja' }).click();
    const form = notices.getByRole('form', { name: 'Registrar baja' });
    await form.getByText('El cliente no va a recibir más avisos.', { exact: false }).waitFor();
    await form.getByRole('button', { name: 'Confirmar baja' }).click();
    await form.getByRole('alert').getByText('Escribí cómo pidió la baja', { exact: false }).waitFor();
    await captureState(page, 'notices-opt-out-confirm');
    await form.getByRole('textbox', { name: '¿Cómo pidió la baja?' }).fill('Lo pidió por teléfono');
    await form.getByRole('button', { name: 'Confirmar baja' }).click();
    await notices.getByText('Pidió no recibir más avisos (BAJA)').waitFor();
    await notices.getByText(/Registró Ana Gómez el \d\d\/\d\d\/\d{4}/).waitFor();
    await captureState(page, 'notices-opted-out');
    const api = await getJson(`${base()}/api/whatsapp/orders/4/notifications`);
    assert.equal(api.consent.state, 'opted_out');
    assert.equal(api.consent.by, 'Ana Gómez');
    assert.equal(api.consent.evidence, 'Lo pidió por teléfono');
  });

  suite.test('bandeja: error del servidor con «Reintentar», y vacía', async (page) => {
    await page.route('**/api/whatsapp/inbox?**', (route) =>
      route.fulfill({ status: 503, contentType: 'application/problem+json', headers: { 'Retry-After': '4' },
        body: JSON.stringify({ type: '/problems/database-unavailable', title: 'Database unavailable', status: 503,
          detail: 'La base de datos no responde en este momento. Probá de nuevo en 4 segundos.' }) }));
    const inbox = await openInbox(page);
    await inbox.getByRole('alert').getByText(/La base de datos no responde/).waitFor();
    await captureState(page, 'inbox-error');
    await page.unroute('**/api/whatsapp/inbox?**');
    await page.route('**/api/whatsapp/inbox?**', (route) => route.fulfill({ json: { tab: 'ambiguous', items: [], nextCursor: null } }));
    await inbox.getByRole('button', { name: 'Reintentar' }).click();
    await inbox.getByText('No hay mensajes sin asignar.').waitFor();
    await captureState(page, 'inbox-empty');
  });
}

const EMPTY_AMBIGUOUS = 'No hay números compartidos pendientes.';
