// End-to-end tests of the WhatsApp panel: Debian's Chromium driven by playwright-core
// against the local runner with the demo data. `npm run e2e` (E2E_GREP=regex runs some).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  ARTIFACTS,
  CHROMIUM,
  CHROMIUM_ARGS,
  buildIfNeeded,
  createSuite,
  ensureChromium,
  eventually,
  fakeAcs,
  getJson,
  log,
  offerQuoteNotification,
  postIncomingText,
  propose,
  startRunner,
} from './harness.mjs';
import { inboxTests } from './inbox.mjs';

const JUAN = '5491155551234';
const shot = (name) => path.join(ARTIFACTS, `${name}.png`);
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const HOST_TAG = 'fastservice-whatsapp';
const VIEWPORTS = [
  [1366, 768],
  [390, 844],
];
const ddmmyyyy = (iso) =>
  new Intl.DateTimeFormat('es-AR', {
    timeZone: 'America/Argentina/Buenos_Aires',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

const suite = createSuite();
let base = '';
let databaseUrl = '';
let context;

async function openOrder(page, orderId, extra = '') {
  await page.goto(`${base}/?order=${orderId}&poll=1000${extra}`);
  const panel = page.getByRole('region', { name: 'WhatsApp', exact: true });
  await panel.getByRole('log').or(panel.getByText('No se pudo cargar la conversación')).first().waitFor();
  return panel;
}

async function noHorizontalOverflow(page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `horizontal overflow: scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
}

suite.test('orden 1: resumen, conversación completa y enlace wa.me en pestaña nueva', async (page) => {
  const panel = await openOrder(page, 1);
  const api = await getJson(`${base}/api/whatsapp/orders/1`);
  await panel.getByText('Juan Pérez', { exact: true }).waitFor();

  const summary = panel.getByRole('region', { name: 'Resumen de WhatsApp' });
  await summary.waitFor();
  if (api.summary) {
    await summary.getByText(api.summary.text.slice(0, 40), { exact: false }).waitFor();
    await summary.getByText(ddmmyyyy(api.summary.createdAt)).waitFor();
  } else {
    await summary.getByText('Todavía no hay un resumen de esta conversación.').waitFor();
  }
  assert.equal(await summary.getByText(/^mensajes nuevos/).isVisible(), api.hasNewMessages);

  const conversation = panel.getByRole('log');
  await conversation.getByText('Les dejé un Samsung A52 con la pantalla rota', { exact: false }).waitFor();
  const bubbles = conversation.locator('[data-direction]');
  const directions = await bubbles.evaluateAll((els) => els.map((e) => e.getAttribute('data-direction')));
  assert.deepEqual(directions, ['inbound', 'inbound', 'outbound', 'inbound']);
  // the customer's photo, downloaded (demo: stored at start-up) and shown as a thumbnail from the media route
  const thumbnail = bubbles.nth(1).getByTestId('media-thumbnail');
  await thumbnail.waitFor();
  await eventually(async () => assert.ok(await thumbnail.evaluate((img) => img.complete && img.naturalWidth === 240)));
  await bubbles.nth(1).getByText('Así quedó la pantalla').waitFor();
  await bubbles.nth(2).getByRole('img', { name: /^Leído/ }).waitFor();
  await bubbles.nth(2).getByText('Juan Pérez reaccionó 👍').waitFor({ state: 'attached' });
  await bubbles.nth(3).getByLabel('En respuesta a Taller').waitFor();
  // Customer left, shop right.
  const inboundBox = await bubbles.nth(0).locator(':scope > div').boundingBox();
  const outboundBox = await bubbles.nth(2).locator(':scope > div').boundingBox();
  const logBox = await conversation.boundingBox();
  assert.ok(inboundBox.x - logBox.x < 30, 'customer bubble on the left');
  assert.ok(logBox.x + logBox.width - (outboundBox.x + outboundBox.width) < 30, 'shop bubble on the right');

  const link = panel.getByRole('link', { name: /Abrir en mi WhatsApp/ });
  assert.equal(await link.getAttribute('href'), api.waMeUrl);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  await page.screenshot({ path: shot('order-1'), fullPage: true });

  // wa.me is not reachable from here: answer it locally and check the new tab.
  await context.route('https://wa.me/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<title>wa.me</title><p>WhatsApp</p>' }),
  );
  const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), api.waMeUrl);
  assert.equal(await popup.evaluate(() => window.opener), null, 'noopener: the new tab has no opener');
  await popup.close();
  await context.unroute('https://wa.me/**');
});

suite.test('sesión de demo: entra como Ana por defecto y la API recibe su token', async (page) => {
  const seen = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/whatsapp/')) seen.push(r.headers().authorization ?? '');
  });
  const panel = await openOrder(page, 1);
  await page.getByTestId('demo-session').filter({ hasText: 'Sesión de demo: Ana Gómez' }).waitFor();
  await panel.getByText('Juan Pérez', { exact: true }).waitFor();
  assert.ok(seen.length > 0 && seen.every((h) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(h)), 'every API call carries the demo token');
  await page.getByRole('button', { name: 'Entrar como Bruno Díaz' }).click();
  await page.getByTestId('demo-session').filter({ hasText: 'Sesión de demo: Bruno Díaz' }).waitFor();
  await panel.getByText('Juan Pérez', { exact: true }).waitFor();
});

suite.test('sin sesión: la API responde 401 y el panel pide volver a iniciar sesión, sin reintentar en bucle', async (page) => {
  let calls = 0;
  page.on('request', (r) => {
    if (r.url().includes('/api/whatsapp/orders/1')) calls++;
  });
  await page.goto(`${base}/?order=1&poll=200&signin=off`);
  await page.getByTestId('demo-session').filter({ hasText: 'Sin sesión (demo)' }).waitFor();
  const panel = page.getByRole('region', { name: 'WhatsApp', exact: true });
  await panel.getByText(/Tu sesión venció: volvé a iniciar sesión en FastService/).waitFor();
  const before = calls;
  await page.waitForTimeout(1000);
  assert.equal(calls, before, 'a 401 is not retried in a loop');
  const direct = await fetch(`${base}/api/whatsapp/orders/1`);
  assert.equal(direct.status, 401, 'the app itself refuses a request without a token');
  assert.equal((await direct.json()).type, '/problems/sign-in-required');
  await page.screenshot({ path: shot('signed-out-real'), fullPage: true });
});

suite.test('sincronizar muestra progreso y resultado; un mensaje entrante por Event Grid aparece con la marca', async (page) => {
  const panel = await openOrder(page, 1);
  // Slow the sync down a little to see the progress state.
  await page.route('**/api/whatsapp/sync**', async (route) => {
    await new Promise((r) => setTimeout(r, 600));
    await route.continue();
  });
  await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).click();
  const busy = panel.getByRole('button', { name: 'Sincronizando…' });
  await busy.waitFor();
  assert.equal(await busy.isDisabled(), true);
  const status = panel.getByRole('status').filter({ hasText: /mensajes? nuevos?|Sin mensajes nuevos/ });
  await status.waitFor();
  assert.match(await status.innerText(), /^(Sin mensajes nuevos|\d+ mensajes? nuevos?)/);
  assert.equal(await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).isEnabled(), true);
  await panel.getByText(/Última sincronización/).waitFor();
  await page.unroute('**/api/whatsapp/sync**');
  const badge = panel.getByRole('region', { name: 'Resumen de WhatsApp' }).getByText(/^mensajes nuevos/);
  const afterSync = await getJson(`${base}/api/whatsapp/orders/1`);
  if (!afterSync.hasNewMessages) {
    // The sync wrote a summary covering everything: no badge until a new message comes.
    await badge.waitFor({ state: 'hidden' });
    await page.screenshot({ path: shot('order-1-synced'), fullPage: true });
  }

  const text = `¿Ya está lista la pantalla? (prueba ${Date.now()})`;
  await postIncomingText(base, JUAN, text);
  // The panel polls every second here (?poll=1000).
  const bubble = panel.getByRole('log').locator('[data-direction]').filter({ hasText: text });
  await bubble.waitFor({ timeout: 10_000 });
  assert.equal(await bubble.getAttribute('data-direction'), 'inbound');
  const api = await getJson(`${base}/api/whatsapp/orders/1`);
  assert.equal(api.hasNewMessages, true, 'the API says there are messages the summary does not cover');
  await badge.waitFor();
  // The newest message is scrolled into view.
  await eventually(async () => assert.ok(await bubble.isVisible() && (await bubble.boundingBox()) !== null));
  await page.screenshot({ path: shot('order-1-new-message'), fullPage: true });
});

suite.test('Lucía (orden 5): vacía hasta sincronizar, luego «1 mensaje nuevo»', async (page) => {
  const panel = await openOrder(page, 5);
  await panel.getByText('No hay mensajes guardados. Usá «Sincronizar WhatsApp» para traerlos.').waitFor();
  await page.screenshot({ path: shot('order-5-empty'), fullPage: true });
  await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).click();
  await panel.getByRole('status').getByText('1 mensaje nuevo').waitFor();
  await panel.getByRole('log').getByText('Hola, ¿ya está el presupuesto de la tablet?').waitFor();
  await page.screenshot({ path: shot('order-5-synced'), fullPage: true });
});

suite.test('Juan (orden 1): la foto se abre en grande y se cierra con Escape', async (page) => {
  const panel = await openOrder(page, 1);
  await panel.getByRole('button', { name: 'Ver en grande: Así quedó la pantalla' }).click();
  const viewer = panel.getByRole('dialog');
  await viewer.getByTestId('media-viewer-image').waitFor();
  await page.screenshot({ path: shot('order-1-viewer') });
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
});

suite.test('María (orden 2): PDF con epígrafe, entregado y ventana de 24 h abierta', async (page) => {
  const panel = await openOrder(page, 2);
  await panel.getByText('📎 factura-compra.pdf').waitFor();
  await panel.getByText('Les paso la factura por la garantía').waitFor();
  // the document is offered for download with its size, fetched only when asked
  const download = panel.getByTestId('media-download');
  await download.getByText(/^Descargar \(\d+ B\)$/).waitFor();
  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  assert.equal(file.suggestedFilename(), 'factura-compra.pdf');
  await panel.getByRole('img', { name: /^Entregado/ }).waitFor();
  await panel.getByText(/^Ventana de 24 h abierta hasta/).waitFor();
  await page.screenshot({ path: shot('order-2'), fullPage: true });
});

suite.test('Valentina (orden 10): envío fallido con el motivo al pasar el mouse', async (page) => {
  const panel = await openOrder(page, 10);
  const failed = panel.getByRole('img', { name: 'No entregado' });
  const tooltip = panel.getByRole('tooltip').filter({ hasText: '131047' });
  assert.equal(await tooltip.isVisible(), false);
  await failed.hover();
  await tooltip.waitFor();
  assert.match(await tooltip.innerText(), /más de 24 h.*plantilla/s);
  // keyboard: focus opens it, Esc closes it without moving focus
  await page.mouse.move(0, 0);
  await tooltip.waitFor({ state: 'hidden' });
  await failed.focus();
  await tooltip.waitFor();
  await page.keyboard.press('Escape');
  await tooltip.waitFor({ state: 'hidden' });
  assert.equal(await failed.evaluate((el) => el.getRootNode().activeElement === el), true, 'focus stays on the tick');
  const box = await failed.boundingBox();
  assert.ok(box.width >= 24 && box.height >= 24, `touch target ${box.width}×${box.height}`);
  await panel.getByText('Ventana de 24 h cerrada: solo plantillas').waitFor();
  await page.screenshot({ path: shot('order-10-failed'), fullPage: true });
});

suite.test('Javier (orden 11): sin celular, «Abrir en mi WhatsApp» y sincronizar dicen por qué y qué hacer', async (page) => {
  const panel = await openOrder(page, 11);
  assert.equal(await panel.getByRole('link', { name: /Abrir en mi WhatsApp/ }).count(), 0);
  const button = panel.getByRole('button', { name: 'Abrir en mi WhatsApp' });
  assert.equal(await button.getAttribute('aria-disabled'), 'true');
  const tooltip = panel.getByRole('tooltip').filter({ hasText: 'Cargá un celular en la ficha del cliente en FastService' });
  await button.hover();
  await tooltip.first().waitFor();
  await page.mouse.move(0, 0);
  await tooltip.first().waitFor({ state: 'hidden' });
  await button.focus();
  await tooltip.first().waitFor(); // also on keyboard focus
  await page.keyboard.press('Escape');
  await tooltip.first().waitFor({ state: 'hidden' });
  const notice = panel.getByText(/^Sin WhatsApp para este cliente:/);
  await notice.waitFor();
  const text = await notice.locator('..').innerText();
  assert.match(text, /Cargá un celular en la ficha del cliente en FastService/);
  assert.doesNotMatch(await panel.innerText(), /Telefono[12]/, 'no internal column names');

  const sync = panel.getByRole('button', { name: 'Sincronizar WhatsApp' });
  assert.equal(await sync.getAttribute('aria-disabled'), 'true');
  let synced = 0;
  await page.route('**/api/whatsapp/sync**', (route) => {
    synced++;
    return route.continue();
  });
  await sync.click({ force: true });
  await page.waitForTimeout(300);
  assert.equal(synced, 0, 'no sync that cannot help');
  assert.equal(await panel.getByRole('button', { name: 'Reintentar' }).count(), 0);
  await page.screenshot({ path: shot('order-11-no-phone'), fullPage: true });
});

suite.test('«Ver anteriores» trae las páginas viejas por el cursor', async (page) => {
  const panel = await openOrder(page, 1, '&limit=2');
  const log = panel.getByRole('log');
  const more = log.getByRole('button', { name: 'Ver anteriores' });
  await more.waitFor();
  const before = await log.locator('[data-direction]').count();
  let clicks = 0;
  while ((await more.count()) > 0 && clicks < 10) {
    await more.click();
    clicks++;
    await eventually(async () => assert.equal(await log.getAttribute('aria-busy'), 'false'));
  }
  assert.ok(clicks >= 1);
  await log.getByText('Les dejé un Samsung A52 con la pantalla rota', { exact: false }).waitFor();
  assert.ok((await log.locator('[data-direction]').count()) > before);
});

suite.test('360 px de ancho: sin desborde horizontal', async (page) => {
  await page.setViewportSize({ width: 360, height: 780 });
  for (const order of [1, 2, 10, 11]) {
    const panel = await openOrder(page, order);
    await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).waitFor();
    await noHorizontalOverflow(page);
    const box = await panel.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 360, `panel of order ${order} fits in 360 px`);
    await page.screenshot({ path: shot(`mobile-360-order-${order}`), fullPage: true });
  }
});

suite.test('teclado: se llega a los controles con Tab y el foco se ve', async (page) => {
  const panel = await openOrder(page, 1);
  await page.getByRole('combobox', { name: 'Orden de demostración' }).focus();
  const reached = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    reached.push(
      await page.evaluate(() => {
        let el = document.activeElement; // inside the panel's shadow root: follow it in
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return el?.textContent?.trim() || el?.getAttribute('aria-label') || el?.tagName;
      }),
    );
  }
  assert.ok(reached.includes('Sincronizar WhatsApp'), `Tab order: ${reached.join(' | ')}`);
  assert.ok(reached.some((r) => r.startsWith('Abrir en mi WhatsApp')), `Tab order: ${reached.join(' | ')}`);
  await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).focus();
  const outline = await panel
    .getByRole('button', { name: 'Sincronizar WhatsApp' })
    .evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'a visible focus ring');
});

/** A line of an Android 24-hour export ("d/m/yy, HH:MM - Autor: texto") at `msAgo` before now, Buenos Aires time. */
function exportLine(msAgo, author, text) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/Argentina/Buenos_Aires',
      day: 'numeric',
      month: 'numeric',
      year: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(Date.now() - msAgo))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year}, ${parts.hour}:${parts.minute} - ${author}: ${text}`;
}

suite.test('importar historial (orden 9): archivo inválido, vista previa, quién es el taller, resultado, el mismo archivo otra vez — axe en cada paso', async (page) => {
  // order 9 (Diego Gómez): no other test looks at it (the «estados» test needs order 8 empty)
  const panel = await openOrder(page, 9);
  const toggle = panel.getByRole('button', { name: 'Importar historial' });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const region = panel.getByRole('region', { name: 'Importar historial de WhatsApp' });
  const input = region.getByLabel('Archivo exportado (.txt o .zip)');
  await input.waitFor();
  await captureState(page, 'import-choose');

  // A foreign file: a clear Spanish error, and nothing imported.
  await input.setInputFiles({ name: 'notas.csv', mimeType: 'text/csv', buffer: Buffer.from('fecha;monto\n1/3;2000\n') });
  await region.getByRole('alert').getByText('no parece una exportación de chat de WhatsApp', { exact: false }).waitFor();
  await captureState(page, 'import-error');
  await region.getByRole('button', { name: 'Elegir otro archivo' }).click();

  const DAY = 24 * 3600 * 1000;
  const stamp = Date.now();
  const texts = [`Hola, ¿puedo llevar la notebook mañana? (historial ${stamp})`, `Sí, te esperamos de 9 a 18 (historial ${stamp})`, `Perfecto, gracias (historial ${stamp})`];
  const chat = [
    exportLine(3 * DAY, 'Diego Gómez', texts[0]),
    exportLine(3 * DAY - 10 * 60_000, 'FastService', texts[1]),
    exportLine(3 * DAY - 20 * 60_000, 'Diego Gómez', texts[2]),
  ].join('\n');
  const exported = { name: 'Chat de WhatsApp con +54 9 11 5555-8888.txt', mimeType: 'text/plain', buffer: Buffer.from(`${chat}\n`) };
  await input.setInputFiles(exported);
  await region.getByRole('heading', { name: `Vista previa de «${exported.name}»` }).waitFor();
  await region.getByText('3 mensajes', { exact: true }).waitFor();
  await region.getByText('Diego Gómez', { exact: true }).first().waitFor();
  const group = region.getByRole('group', { name: '¿Quién es el taller en este chat?' });
  assert.equal(await group.getByRole('radio').count(), 2);
  await captureState(page, 'import-preview');

  // Nothing is imported before saying who the shop is.
  const importButton = region.getByRole('button', { name: 'Importar 3 mensajes' });
  await importButton.click();
  await region.getByText('Elegí quién es el taller para poder importar.').waitFor();
  await group.getByRole('radio', { name: /FastService/ }).check();
  await importButton.click();
  await region.getByText('Listo: se importaron 3 mensajes.').waitFor();
  await region.getByText('Quedaron 3 mensajes en esta orden.').waitFor();
  await captureState(page, 'import-done');

  // The thread shows the history, each message on its side.
  const log = panel.getByRole('log');
  for (const [i, direction] of [[0, 'inbound'], [1, 'outbound'], [2, 'inbound']]) {
    const bubble = log.locator('[data-direction]').filter({ hasText: texts[i] });
    await bubble.waitFor();
    assert.equal(await bubble.getAttribute('data-direction'), direction);
  }

  // The same file again: the preview says so, and importing adds nothing.
  await region.getByRole('button', { name: 'Importar otro archivo' }).click();
  await input.setInputFiles(exported);
  await region.getByText('Este archivo ya se importó', { exact: false }).waitFor();
  assert.equal(await group.getByRole('radio', { name: /FastService/ }).isChecked(), true, 'the earlier choice is suggested');
  await region.getByRole('button', { name: 'Importar 3 mensajes' }).click();
  await region.getByText('Este archivo ya estaba importado (3 mensajes): no se agregó nada.').waitFor();
  assert.equal(await log.locator('[data-direction]').filter({ hasText: texts[0] }).count(), 1);
  await region.getByRole('button', { name: 'Cerrar' }).click();
  await region.waitFor({ state: 'detached' });
  assert.equal(await toggle.evaluate((el) => el.getRootNode().activeElement === el), true, 'focus back on «Importar historial»');
});

// ---------------------------------------------------------------------------------------------
// Helpers for the states, accessibility, isolation and screenshots.

/** axe-core (pinned in package.json) on the whole page, shadow root included: WCAG 2.0/2.1 A+AA and 2.2's target size. */
async function axeCheck(page, state) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe found WCAG violations in "${state}":\n${JSON.stringify(violations, null, 1)}`);
}

async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      nodes: v.nodes.slice(0, 4).map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`),
    }));
  });
}

/** Screenshots at 1366×768 and 390×844, axe at both sizes, and no blank space under the page. */
async function captureState(page, name) {
  const original = page.viewportSize();
  for (const [width, height] of VIEWPORTS) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(150);
    await noBlankBelow(page, name);
    await axeCheck(page, `${name} ${width}×${height}`);
    await page.screenshot({ path: shot(`state-${name}-${width}x${height}`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** The page ends where its content ends (screen-reader text must not stretch it). */
async function noBlankBelow(page, name) {
  const { scrollHeight, contentBottom, viewport } = await page.evaluate(() => {
    const main = document.querySelector('main') ?? document.body;
    return {
      scrollHeight: document.documentElement.scrollHeight,
      contentBottom: main.getBoundingClientRect().bottom + window.scrollY,
      viewport: window.innerHeight,
    };
  });
  assert.ok(
    scrollHeight <= Math.max(viewport, contentBottom + 40),
    `${name}: blank space under the page (scrollHeight ${scrollHeight}, content ends at ${Math.round(contentBottom)})`,
  );
}

/** A synthetic conversation served in place of the API (states the demo database does not hold). */
function syntheticThread(orderId, total) {
  const now = Date.now();
  const samples = [
    'Hola, ¿ya está lista la *pantalla*?',
    'Te paso el _presupuesto_: $85.000, ~$90.000~ con descuento. Detalle en https://fastservice.com.ar/orden/900.',
    'Código del equipo: ```SM-A525M```',
    'مرحبا، هل الهاتف جاهز؟',
    'Dale, avancen.',
    `${'Detalle largo del diagnóstico. '.repeat(40)}Fin del detalle.`,
  ];
  const messages = Array.from({ length: total }, (_, i) => ({
    id: i + 1,
    whatsappMessageId: `syn-${i + 1}`,
    direction: i % 3 === 1 ? 'outbound' : 'inbound',
    type: 'text',
    text: `${samples[i % samples.length]} (#${i + 1})`,
    timestamp: new Date(now - (total - i) * 20 * 60_000).toISOString(),
    receivedAt: new Date(now - (total - i) * 20 * 60_000 + 1000).toISOString(),
    media: null,
    replyTo: null,
    reaction: null,
    choice: null,
    status: i % 3 === 1 ? { state: 'read', at: new Date(now - (total - i) * 20 * 60_000 + 5000).toISOString(), errorCode: null, errorMessage: null } : null,
  }));
  // the customer reacts 👍 to every 7th message of the shop (reactions carry screen-reader-only text)
  for (const m of messages.filter((x) => x.direction === 'outbound' && x.id % 7 === 0)) {
    messages.push({ ...m, id: total + 1000 + m.id, whatsappMessageId: `syn-r-${m.id}`, direction: 'inbound', type: 'reaction', text: null,
      status: null, timestamp: new Date(Date.parse(m.timestamp) + 60_000).toISOString(), reaction: { emoji: '👍', messageId: m.whatsappMessageId } });
  }
  messages.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.id - b.id);
  const state = { messages, orderId };
  state.order = () => ({
    orderId,
    orderOpen: true,
    customer: { id: 900, name: 'Rocío Benítez' },
    phone: { e164: '+5491144443333', whatsappId: '5491144443333', source: 'Telefono1' },
    phoneKind: 'mobile',
    phoneProblem: null,
    waMeUrl: 'https://wa.me/5491144443333',
    waMeUrlWithGreeting: 'https://wa.me/5491144443333?text=Hola',
    summary: {
      text: 'Rocío trajo un Samsung A52 con la pantalla rota. Aprobó el presupuesto de $85.000 y pregunta cada tanto si ya está lista. Pidió que le avisen por WhatsApp cuando pueda retirarlo; paga en efectivo.',
      createdAt: new Date(now - 3_600_000).toISOString(),
      messageCount: state.messages.length,
      provider: 'fake',
    },
    hasNewMessages: false,
    messageCount: state.messages.length,
    unlinkedMessages: 0,
    lastSyncAt: new Date(now - 3_600_000).toISOString(),
    customerServiceWindow: { open: true, until: new Date(now + 3_600_000).toISOString(), lastInboundAt: new Date(now - 600_000).toISOString() },
  });
  state.add = (count) => {
    const template = state.messages.find((m) => m.type === 'text');
    for (let i = 0; i < count; i++) {
      const id = Math.max(...state.messages.map((m) => m.id)) + 1;
      state.messages.push({ ...template, id, whatsappMessageId: `syn-${id}`, direction: 'inbound', status: null,
        text: `Mensaje nuevo ${i + 1}`, timestamp: new Date().toISOString() });
    }
  };
  return state;
}

async function serveThread(page, state) {
  await page.route(`**/api/whatsapp/orders/${state.orderId}`, (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(state.order()) }),
  );
  await page.route(`**/api/whatsapp/messages/${state.orderId}**`, async (route) => {
    const url = new URL(route.request().url());
    const limit = Number(url.searchParams.get('limit') ?? 50);
    // cursor = index in the chronological list of the oldest message already sent
    const before = Number(url.searchParams.get('before') ?? state.messages.length);
    if (url.searchParams.has('before') && state.gate) await state.gate;
    const start = Math.max(0, before - limit);
    const page_ = state.messages.slice(start, before);
    const body = { orderId: state.orderId, messages: page_, nextCursor: start > 0 ? String(start) : null };
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  });
}

const logOf = (panel) => panel.getByRole('log');
const scrollState = (log) =>
  log.evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));

// ---------------------------------------------------------------------------------------------

suite.test('avisos (orden 9): consentimiento, «Enviar aviso» con el teclado, enviado una sola vez — axe y capturas', async (page) => {
  offerQuoteNotification(databaseUrl); // what `make setup` adds to the demo: Diego's quote, offered to staff
  const panel = await openOrder(page, 9);
  const notices = panel.getByRole('region', { name: 'Avisos' });
  await notices.getByText('Aceptó avisos por WhatsApp').waitFor();
  await notices.getByText(/Registró Ana Gómez el \d\d\/\d\d\/\d{4}/).waitFor();
  assert.equal(await notices.getByRole('button', { name: 'Registrar consentimiento' }).count(), 0, 'no second opt-in for a customer who accepted');
  const button = notices.getByRole('button', { name: 'Enviar aviso' });
  await button.waitFor();
  const box = await button.boundingBox();
  assert.ok(box && box.width >= 24 && box.height >= 24, `«Enviar aviso» is at least 24×24 (${JSON.stringify(box)})`);
  await captureState(page, 'notices-offered');

  // one press, from the keyboard
  await button.focus();
  await page.keyboard.press('Enter');
  await notices.getByTestId('notice-result').getByText('Aviso enviado.').waitFor();
  await notices.getByText(/Presupuesto listo: Enviado por /).waitFor();
  assert.equal(await button.count(), 0, 'the offer is gone once sent');
  const api = await getJson(`${base}/api/whatsapp/orders/9/notifications`);
  assert.deepEqual(api.notifications.map((n) => n.state), ['sent']);
  // the quote template reaches the conversation, once
  const quote = panel.getByRole('log').locator('[data-direction]').filter({ hasText: 'el presupuesto de tu equipo (orden 9)' });
  await quote.first().waitFor();
  await page.waitForTimeout(1500); // a poll or two later, still one
  assert.equal(await quote.count(), 1);
  await captureState(page, 'notices-sent');
  await page.setViewportSize({ width: 360, height: 740 });
  await noHorizontalOverflow(page);
});

suite.test('avisos (orden 5): registrar el consentimiento «En el mostrador»', async (page) => {
  const panel = await openOrder(page, 5);
  const notices = panel.getByRole('region', { name: 'Avisos' });
  await notices.getByText('Sin consentimiento registrado').waitFor();
  await notices.getByRole('button', { name: 'Registrar consentimiento' }).click();
  const input = notices.getByRole('textbox', { name: '¿Cómo dio su consentimiento?' });
  await notices.getByRole('button', { name: 'Guardar consentimiento' }).click();
  await notices.getByRole('alert').getByText('Escribí cómo lo dio el cliente').waitFor();
  await captureState(page, 'notices-consent-form');
  await input.fill('En el mostrador');
  await input.press('Enter');
  await notices.getByText('Aceptó avisos por WhatsApp').waitFor();
  await notices.getByText('«En el mostrador»').waitFor();
  const api = await getJson(`${base}/api/whatsapp/orders/5/notifications`);
  assert.equal(api.consent.state, 'opted_in');
  assert.equal(api.consent.evidence, 'En el mostrador');
  assert.ok(api.consent.by, 'the signed-in staff member is its author');
});

suite.test('estados: conversación rica, 300+ mensajes, vacía, sin teléfono, cargando y error — axe sin violaciones y capturas', async (page) => {
  let panel = await openOrder(page, 1);
  await logOf(panel).getByText('Les dejé un Samsung A52', { exact: false }).waitFor();
  await captureState(page, 'rich');
  // the check is not vacuous: axe does look inside the panel's shadow root
  await page.locator(HOST_TAG).evaluate((host) => {
    const bad = document.createElement('button');
    bad.id = 'axe-probe';
    host.shadowRoot.querySelector('section').appendChild(bad);
  });
  assert.ok((await axeViolations(page)).some((v) => v.id === 'button-name'), 'axe sees an unnamed button inside the shadow root');

  const many = syntheticThread(900, 320);
  await serveThread(page, many);
  panel = await openOrder(page, 900, '&poll=0');
  await logOf(panel).getByText('(#320)', { exact: false }).waitFor();
  await captureState(page, 'many-320');
  // scrolled to the top, the screen-reader text of the messages below must not stretch the page
  await logOf(panel).evaluate((el) => {
    el.scrollTop = 0;
  });
  await page.waitForTimeout(300);
  await noBlankBelow(page, 'many-320 scrolled to the top');

  panel = await openOrder(page, 8);
  await panel.getByText('No hay mensajes guardados.', { exact: false }).waitFor();
  await captureState(page, 'empty');

  panel = await openOrder(page, 11);
  await panel.getByText(/^Sin WhatsApp para este cliente:/).waitFor();
  await captureState(page, 'no-phone');
  assert.doesNotMatch(await page.locator('body').innerText(), /Telefono[12]/, 'no internal column names on the page');

  await page.route(/\/api\/whatsapp\/(orders|messages)\/901/, () => {}); // never answers
  await page.goto(`${base}/?order=901&poll=0`);
  await page.getByRole('status').filter({ hasText: 'Cargando conversación…' }).first().waitFor({ state: 'attached' });
  await captureState(page, 'loading');

  await page.route('**/api/whatsapp/orders/902', (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/problem+json',
      headers: { 'Retry-After': '5' },
      body: JSON.stringify({ type: '/problems/database-unavailable', title: 'Database unavailable', status: 503, detail: 'La base de datos no responde en este momento. Probá de nuevo en 5 segundos.' }),
    }),
  );
  panel = await openOrder(page, 902, '&poll=0');
  await panel.getByRole('alert').filter({ hasText: 'No se pudo cargar la conversación' }).waitFor();
  await panel.getByRole('button', { name: 'Reintentar' }).waitFor();
  await captureState(page, 'error');

  // signed out: Spanish, no loop
  let calls = 0;
  await page.route('**/api/whatsapp/orders/903', (route) => {
    calls++;
    return route.fulfill({ status: 401, body: '' });
  });
  await page.route('**/api/whatsapp/messages/903**', (route) => route.fulfill({ status: 401, body: '' }));
  panel = await openOrder(page, 903, '&poll=200&token=vencido');
  await panel.getByText(/Tu sesión venció: volvé a iniciar sesión en FastService/).waitFor();
  const seen = calls;
  await page.waitForTimeout(1200);
  assert.equal(calls, seen, 'a 401 is not retried in a loop');
  await captureState(page, 'signed-out');
});

suite.test('hilo como WhatsApp Web: abre en lo último, carga lo anterior sin mover la lectura, «↓ N nuevos»', async (page) => {
  const thread = syntheticThread(910, 320);
  await serveThread(page, thread);
  const panel = await openOrder(page, 910, '&poll=0');
  const log = logOf(panel);
  await log.getByText('(#320)', { exact: false }).waitFor();
  let s = await scrollState(log);
  assert.ok(s.height > s.client, 'the conversation scrolls');
  assert.ok(s.top + s.client >= s.height - 2, `opens at the newest message (top ${s.top}, client ${s.client}, height ${s.height})`);
  // formatting, links, direction
  const bold = log.locator('strong', { hasText: 'pantalla' }).first();
  await bold.waitFor();
  const link = log.getByRole('link', { name: 'https://fastservice.com.ar/orden/900' }).first();
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.getAttribute('target'), '_blank');
  const arabic = log.locator('[dir="auto"]', { hasText: 'مرحبا' }).first();
  assert.equal(await arabic.evaluate((el) => getComputedStyle(el).direction), 'rtl');
  await log.getByRole('button', { name: 'Leer más' }).first().waitFor();

  // scroll to the top: the older page loads and the message read stays where it was
  let release;
  thread.gate = new Promise((r) => {
    release = r;
  });
  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await eventually(async () => assert.equal(await log.getAttribute('aria-busy'), 'true'));
  const firstId = await log.locator('[data-direction]').first().getAttribute('data-id');
  const before = await log.locator(`[data-id="${firstId}"]`).evaluate((el) => el.getBoundingClientRect().top);
  release();
  thread.gate = null;
  await eventually(async () => assert.ok((await log.locator('[data-direction]').count()) > 50));
  await eventually(async () => assert.equal(await log.getAttribute('aria-busy'), 'false'));
  const after = await log.locator(`[data-id="${firstId}"]`).evaluate((el) => el.getBoundingClientRect().top);
  assert.ok(Math.abs(after - before) <= 2, `reading position kept (${before} → ${after})`);

  // new messages while reading older ones: a pill, no jump
  s = await scrollState(log);
  thread.add(2);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  const pill = panel.getByRole('button', { name: /^2 nuevos\s*: ir a los 2 mensajes nuevos$/ });
  await pill.waitFor();
  assert.match(await pill.innerText(), /↓\s*2 nuevos/);
  assert.ok(Math.abs((await scrollState(log)).top - s.top) <= 2, 'not yanked to the bottom');
  await page.screenshot({ path: shot('thread-new-pill'), fullPage: true });
  await pill.click();
  s = await scrollState(log);
  assert.ok(s.top + s.client >= s.height - 2, 'the pill goes to the newest message');
  await pill.waitFor({ state: 'detached' });
  await log.getByText('Mensaje nuevo 2', { exact: true }).waitFor();
});

const STYLE_PROPS = [
  'display', 'position', 'box-sizing', 'width', 'height', 'margin-top', 'margin-left', 'padding-top', 'padding-left',
  'border-top-width', 'border-top-style', 'font-family', 'font-size', 'font-weight', 'font-style', 'line-height',
  'letter-spacing', 'word-spacing', 'text-align', 'text-transform', 'color', 'background-color', 'list-style-type',
  'text-decoration-line',
];

/** Every element of the panel's shadow tree: tag, computed styles and box relative to the host. */
async function panelSignature(page) {
  const host = page.locator(HOST_TAG);
  await host.getByRole('log').getByText('Les dejé un Samsung A52', { exact: false }).waitFor();
  // the customer's photo arrives after the text (fetched from the media route): compare mounts once it is shown
  await eventually(async () => assert.equal(await host.getByTestId('media-loading').count(), 0));
  const thumbnail = host.getByTestId('media-thumbnail');
  if (await thumbnail.count()) await eventually(async () => assert.ok(await thumbnail.evaluate((img) => img.complete && img.naturalWidth > 0)));
  // the composer settles too: Juan's proposal with its template's title (the templates arrived)
  await host.getByText('Plantilla sugerida: Equipo listo para retirar').waitFor();
  await page.waitForTimeout(200);
  return host.evaluate((el, props) => {
    const origin = el.getBoundingClientRect();
    return [...el.shadowRoot.querySelectorAll('*')]
      .filter((node) => node.tagName !== 'STYLE')
      .map((node) => {
        const cs = getComputedStyle(node);
        const r = node.getBoundingClientRect();
        const box = cs.display === 'none' ? 'hidden' : [r.x - origin.x, r.y - origin.y, r.width, r.height].map((v) => Math.round(v)).join(',');
        return `${node.tagName} ${box} ${props.map((p) => cs.getPropertyValue(p)).join('|')}`;
      });
  }, STYLE_PROPS);
}

async function hostSignature(page) {
  return page.evaluate(() =>
    ['host-h1', 'host-p', 'host-ol', 'host-button', 'host-a', 'host-content'].map((id) => {
      const el = document.getElementById(id);
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return [id, Math.round(r.width), Math.round(r.height), cs.fontSize, cs.fontFamily, cs.color, cs.backgroundColor, cs.marginTop,
        cs.paddingLeft, cs.listStyleType, cs.boxSizing, cs.lineHeight, cs.textTransform, cs.borderTopWidth].join('|');
    }),
  );
}

suite.test('inserción: igual en una página hostil y en una Tailwind v4 que en una limpia, sin tocar la página', async (page) => {
  // tall enough for the whole panel with its composer: a panel cut by the viewport shows the page behind its corners
  await page.setViewportSize({ width: 1366, height: 1600 });
  // one clock for the three mounts: "quedan N h M min" must not turn a minute between them
  await page.clock.setFixedTime(new Date());
  const open = async (css, extra = '') => {
    await page.goto(`${base}/embed-test.html?order=1&poll=0&css=${css}${extra}`);
    await page.locator('#host-h1').waitFor();
  };
  const results = {};
  for (const css of ['clean', 'hostile', 'tailwind']) {
    await open(css, '&panel=0');
    const hostAlone = await hostSignature(page);
    const sheetsAlone = await page.evaluate(() => document.styleSheets.length);
    await open(css);
    const signature = await panelSignature(page);
    assert.deepEqual(await hostSignature(page), hostAlone, `${css}: the host's own elements are unchanged by the panel`);
    assert.equal(await page.evaluate(() => document.styleSheets.length), sheetsAlone, `${css}: no stylesheet added to the page`);
    const image = await page.locator(HOST_TAG).screenshot({ path: shot(`embed-${css}`) });
    await page.screenshot({ path: shot(`embed-page-${css}`), fullPage: true });
    results[css] = { signature, image };
  }
  // the hostile CSS does reach the host's own elements (the page is really hostile)
  await open('hostile', '&panel=0');
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('host-ol')).listStyleType), 'upper-roman');
  for (const css of ['hostile', 'tailwind']) {
    const diff = results[css].signature.filter((line, i) => line !== results.clean.signature[i]);
    assert.equal(results[css].signature.length, results.clean.signature.length, `${css}: same elements`);
    assert.deepEqual(diff.slice(0, 5), [], `${css}: computed styles differ from the clean mount`);
    assert.ok(results[css].image.equals(results.clean.image), `${css}: the panel's pixels differ from the clean mount`);
  }
});

suite.test('inserción en una barra lateral de 360 px (página hostil): sin desborde horizontal', async (page) => {
  for (const [width, height] of VIEWPORTS) {
    await page.setViewportSize({ width: Math.max(width, 400), height });
    for (const order of [1, 2, 10, 11]) {
      await page.goto(`${base}/embed-test.html?order=${order}&poll=0&css=hostile&layout=sidebar`);
      const host = page.locator(HOST_TAG);
      await host.getByRole('button', { name: 'Sincronizar WhatsApp' }).waitFor();
      await host.getByRole('log').or(host.getByText('No hay mensajes guardados', { exact: false })).first().waitFor();
      // the composer too: the text box, or the templates once loaded
      if (order !== 11) await host.getByRole('textbox').or(host.locator('[data-template]')).first().waitFor();
      const overflow = await host.evaluate((el) => {
        const box = el.getBoundingClientRect();
        const out = [...el.shadowRoot.querySelectorAll('*')]
          .filter((n) => n.tagName !== 'STYLE' && !n.closest('[role="tooltip"]') && !n.closest('.sr-only'))
          .filter((n) => {
            const r = n.getBoundingClientRect();
            return r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5);
          })
          .map((n) => `${n.tagName}.${n.className}`.slice(0, 80));
        const section = el.shadowRoot.querySelector('section');
        return { width: box.width, out, scroll: section.scrollWidth, client: section.clientWidth };
      });
      assert.equal(Math.round(overflow.width), 360, 'the panel takes the sidebar width');
      assert.deepEqual(overflow.out, [], `order ${order}: elements overflow the 360 px sidebar`);
      assert.ok(overflow.scroll <= overflow.client, `order ${order}: horizontal scroll inside the panel`);
      if (order === 2 || order === 10) await page.screenshot({ path: shot(`embed-sidebar-360-${width}-order-${order}`), fullPage: true });
    }
    await page.screenshot({ path: shot(`embed-sidebar-360-${width}`), fullPage: true });
  }
});

inboxTests(suite, { base: () => base, databaseUrl: () => databaseUrl, captureState });
// ---------------------------------------------------------------------------------------------
// Replying from the order (issue 15): the composer against the runner and its local ACS fake.

/** Counts, at every DOM change inside the panel, the bubbles holding `text` (to prove: never 2, never back to 0). */
async function watchBubbles(page, text) {
  await page.locator(HOST_TAG).evaluate((host, wanted) => {
    const root = host.shadowRoot;
    const seen = [];
    const count = () =>
      [...root.querySelectorAll('[data-direction="outbound"]')].filter((el) => el.textContent.includes(wanted)).length;
    new MutationObserver(() => seen.push(count())).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    window.__bubbleCounts = seen;
  }, text);
}

async function bubbleCounts(page) {
  return page.evaluate(() => window.__bubbleCounts);
}

function assertNoDuplicateNoGap(counts, what) {
  const first = counts.indexOf(1);
  assert.ok(first >= 0, `${what}: the bubble appeared`);
  assert.ok(counts.every((n) => n <= 1), `${what}: never two bubbles (${counts.join(',')})`);
  assert.ok(counts.slice(first).every((n) => n === 1), `${what}: never gone once shown (${counts.join(',')})`);
}

/** POSTs the page made to the send endpoints, with their bodies. */
function recordSends(page) {
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/whatsapp\/orders\/\d+\/(messages|proposals\/\d+\/send)$/.test(r.url())) {
      posts.push({ url: r.url(), body: JSON.parse(r.postData() ?? '{}') });
    }
  });
  return posts;
}

suite.test('responder (orden 2, ventana abierta): «enviando» al instante, después entregado y leído, sin duplicado', async (page) => {
  const posts = recordSends(page);
  const panel = await openOrder(page, 2);
  const box = panel.getByRole('textbox', { name: 'Tu respuesta' });
  await box.waitFor();
  await panel.getByText(/Ventana abierta: quedan \d+ h \d+ min/).waitFor();
  await captureState(page, 'composer-open');

  // The request is held 1.5 s: the bubble must be there before the answer.
  let held = false;
  await page.route('**/api/whatsapp/orders/2/messages', async (route) => {
    if (!held) {
      held = true;
      await new Promise((r) => setTimeout(r, 1500));
    }
    await route.continue().catch(() => {});
  });
  const text = `Hola María, la notebook está lista (prueba ${Date.now()})`;
  await watchBubbles(page, text);
  await box.fill(text);
  await box.press('Shift+Enter');
  await box.pressSequentially('¡Te esperamos!');
  assert.equal(await box.inputValue(), `${text}\n¡Te esperamos!`, 'Shift+Enter makes a new line');
  await box.press('Enter');
  const log = logOf(panel);
  const sending = log.locator('[data-phase="sending"]').filter({ hasText: text });
  await sending.waitFor({ timeout: 1000 });
  await sending.getByRole('img', { name: 'Enviando' }).waitFor();
  assert.equal(await box.inputValue(), '', 'the box is emptied at once');
  await page.screenshot({ path: shot('send-sending'), fullPage: true });

  // Then the stored message, its ticks following the fake's Sent → Delivered → Read.
  const stored = log.locator('[data-direction="outbound"][data-id]').filter({ hasText: text });
  await stored.getByRole('img', { name: /^Entregado|^Leído/ }).waitFor({ timeout: 15_000 });
  await stored.getByRole('img', { name: /^Leído/ }).waitFor({ timeout: 15_000 });
  await stored.getByText('Ana Gómez ·').waitFor(); // the signed-in staff member is its author
  const [tickColor, timeColor] = await stored.evaluate((el) => [
    getComputedStyle(el.querySelector('[data-state="read"]')).color,
    getComputedStyle(el.querySelector('time')).color,
  ]);
  assert.match(tickColor, /242\.7|sky|rgb\(3, 105, 161\)/, `read ticks are blue (${tickColor})`);
  assert.notEqual(tickColor, timeColor, 'read ticks differ from the grey of the time');
  await page.waitForTimeout(1200); // one more poll: still one bubble
  assertNoDuplicateNoGap(await bubbleCounts(page), 'reply');
  assert.equal(posts.length, 1, 'one request');
  assert.equal(posts[0].body.text, `${text}\n¡Te esperamos!`);
  assert.match(posts[0].body.clientRequestId, /^[0-9a-f-]{36}$/);
  const page_ = await getJson(`${base}/api/whatsapp/messages/2`);
  assert.equal(page_.messages.filter((m) => m.text?.startsWith(text)).length, 1, 'stored once');
  await captureState(page, 'composer-read');
});

suite.test('plantilla con la ventana cerrada (orden 10, escribió hace 6 días): vista previa, faltantes y un clic envía una sola vez', async (page) => {
  const posts = recordSends(page);
  const panel = await openOrder(page, 10);
  const templates = panel.getByRole('region', { name: 'Plantillas' });
  await templates.waitFor();
  assert.equal(await panel.getByRole('textbox').count(), 0, 'no free text outside the window');
  const ready = templates.locator('[data-template="reparado"]');
  await ready.getByText(/Hola Valentina, tu equipo \(orden 10\) está reparado/).waitFor();
  const budget = templates.locator('[data-template="presupuestado"]');
  await budget.getByText(/No se puede enviar: Falta el presupuesto/).waitFor();
  assert.equal(await budget.getByRole('button').getAttribute('aria-disabled'), 'true');
  await budget.getByRole('button').click({ force: true });
  await captureState(page, 'composer-templates');
  assert.equal(posts.length, 0, 'a template with a missing value is not sent');

  await watchBubbles(page, 'está reparado y listo para retirar');
  await ready.getByRole('button', { name: /^Enviar/ }).dblclick();
  const stored = logOf(panel).locator('[data-direction="outbound"][data-id]').filter({ hasText: 'está reparado y listo para retirar' });
  await stored.getByRole('img', { name: /^Leído/ }).waitFor({ timeout: 15_000 });
  await page.waitForTimeout(1200);
  assertNoDuplicateNoGap(await bubbleCounts(page), 'template');
  assert.equal(posts.length, 1, `a double click sends one request (${posts.length})`);
  assert.deepEqual(posts[0].body.template, { purpose: 'reparado' });
  await page.screenshot({ path: shot('template-read'), fullPage: true });
});

suite.test('sugerencia del asistente (orden 2): Editar la carga en el cuadro y Enviar manda el texto editado por la sugerencia', async (page) => {
  const posts = recordSends(page);
  const panel = await openOrder(page, 2);
  const proposals = panel.getByRole('region', { name: /Sugerencia del asistente/ });
  await proposals.getByText('la notebook va a estar lista el lunes', { exact: false }).waitFor();
  await captureState(page, 'proposal');
  assert.equal(posts.length, 0, 'a proposal alone sends nothing');
  await proposals.getByRole('button', { name: 'Editar' }).click();
  const box = panel.getByRole('textbox', { name: 'Editando la sugerencia del asistente' });
  await box.waitFor();
  assert.match(await box.inputValue(), /^Hola María, la notebook va a estar lista el lunes/);
  const edited = `Hola María, la notebook va a estar lista el martes (editado ${Date.now()})`;
  await box.fill(edited);
  await box.press('Enter');
  const stored = logOf(panel).locator('[data-direction="outbound"][data-id]').filter({ hasText: edited });
  await stored.getByRole('img', { name: /^Leído/ }).waitFor({ timeout: 15_000 });
  await proposals.waitFor({ state: 'detached' });
  assert.equal(posts.length, 1);
  assert.match(posts[0].url, /\/proposals\/\d+\/send$/);
  assert.equal(posts[0].body.text, edited);
  const list = await getJson(`${base}/api/whatsapp/orders/2/proposals`);
  assert.equal(list.proposals.filter((p) => p.state === 'proposed').length, 0, 'the proposal is decided');
});

suite.test('fallas: motivo en castellano; «No pudimos confirmar si salió» solo se reenvía tras confirmar, con un id nuevo', async (page) => {
  const posts = recordSends(page);
  const panel = await openOrder(page, 2);
  const box = panel.getByRole('textbox', { name: 'Tu respuesta' });
  // ACS refuses it: WhatsApp cannot deliver to that number (Meta 131026)
  await fakeAcs('/_fake/faults', { kind: '400', code: '131026', count: 1, route: 'send' });
  await box.fill('Este no va a salir');
  await box.press('Enter');
  const failed = logOf(panel).locator('[data-phase="failed"]');
  await failed.getByText(/No se envió\..*WhatsApp no pudo entregar/).waitFor();
  await failed.getByRole('button', { name: 'Descartar' }).waitFor();
  await captureState(page, 'send-failed');
  await failed.getByRole('button', { name: 'Descartar' }).click();
  await failed.waitFor({ state: 'detached' });

  // An answer ACS may or may not have accepted: the server says unknown (served here, the fake reconciles in 1 s).
  let unknownServed = null;
  await page.route('**/api/whatsapp/orders/2/messages', async (route) => {
    const body = JSON.parse(route.request().postData());
    if (unknownServed) return route.continue();
    const now = new Date().toISOString();
    unknownServed = { id: 9000, clientRequestId: body.clientRequestId, orderId: 2, state: 'unknown', kind: 'text', messageId: null, attempts: 1,
      nextAttemptAt: null, errorCode: 'not_confirmed', reason: null, createdAt: now, proposalId: null,
      message: { id: null, direction: 'outbound', type: 'text', text: body.text, timestamp: now, status: { state: 'unknown', at: now, errorCode: 'not_confirmed', reason: null }, sentBy: 'Ana Gómez' } };
    return route.fulfill({ status: 201, contentType: 'application/json', body: JSON.stringify(unknownServed) });
  });
  await page.route('**/api/whatsapp/orders/2/outbox', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ orderId: 2, sends: unknownServed ? [unknownServed] : [] }) }),
  );
  await box.fill('¿Llegó este?');
  await box.press('Enter');
  const unknown = logOf(panel).locator('[data-phase="unknown"]');
  await unknown.getByText('No pudimos confirmar si salió.').waitFor();
  await page.waitForTimeout(2500); // polls go by: nothing is sent again by itself
  const before = posts.length;
  assert.equal(posts.filter((p) => p.body.text === '¿Llegó este?').length, 1, 'no automatic resend');
  await captureState(page, 'send-unknown');
  await unknown.getByRole('button', { name: 'Reenviar…' }).click();
  const confirm = unknown.getByRole('group', { name: 'Confirmar reenvío' });
  await confirm.getByText(/el cliente lo va a recibir dos veces/).waitFor();
  await confirm.getByRole('button', { name: 'Sí, reenviar' }).click();
  await eventually(() => assert.equal(posts.length, before + 1));
  const [first, second] = posts.filter((p) => p.body.text === '¿Llegó este?');
  assert.notEqual(second.body.clientRequestId, first.body.clientRequestId, 'a resend is a new request');
  await logOf(panel).locator('[data-direction="outbound"][data-id]').filter({ hasText: '¿Llegó este?' }).getByRole('img', { name: /^Leído|^Entregado|^Enviado/ }).waitFor({ timeout: 15_000 });
});

suite.test('sin respuesta del servidor: «Reintentar» repite el mismo pedido (mismo id) y sale una sola vez', async (page) => {
  const posts = recordSends(page);
  const panel = await openOrder(page, 2);
  const box = panel.getByRole('textbox', { name: 'Tu respuesta' });
  // The request reaches the app, but the answer is lost on the way back.
  let dropAnswer = true;
  await page.route('**/api/whatsapp/orders/2/messages', async (route) => {
    if (!dropAnswer) return route.continue();
    dropAnswer = false;
    await route.fetch(); // the app gets it and sends it
    return route.abort('connectionreset');
  });
  const text = `Respuesta perdida (${Date.now()})`;
  await box.fill(text);
  await box.press('Enter');
  const failed = logOf(panel).locator('[data-phase="requestFailed"]');
  await failed.getByText('No pudimos confirmar el envío con el servidor.').waitFor();
  await failed.getByRole('button', { name: 'Reintentar' }).click();
  const stored = logOf(panel).locator('[data-direction="outbound"][data-id]').filter({ hasText: text });
  await stored.waitFor({ timeout: 15_000 });
  assert.equal(posts.length, 2);
  assert.equal(posts[1].body.clientRequestId, posts[0].body.clientRequestId, 'the retry reuses the id');
  const page_ = await getJson(`${base}/api/whatsapp/messages/2`);
  assert.equal(page_.messages.filter((m) => m.text === text).length, 1, 'sent once');
});

suite.test('un envío en curso sobrevive a recargar la página (GET …/outbox)', async (page) => {
  await fakeAcs('/_fake/faults', { kind: '503', count: 50, route: 'send' });
  try {
    const panel = await openOrder(page, 2);
    const text = `Con ACS ocupado (${Date.now()})`;
    await panel.getByRole('textbox', { name: 'Tu respuesta' }).fill(text);
    await panel.getByRole('textbox', { name: 'Tu respuesta' }).press('Enter');
    await logOf(panel).locator('[data-phase="sending"]').filter({ hasText: text }).waitFor();
    await page.waitForResponse((r) => r.url().endsWith('/api/whatsapp/orders/2/messages'), { timeout: 20_000 });
    await captureState(page, 'send-pending');
    const again = await openOrder(page, 2);
    await logOf(again).locator('[data-phase="sending"]').filter({ hasText: text }).waitFor();
  } finally {
    await fakeAcs('/_fake/reset');
  }
}, { timeout: 60_000 });

suite.test('teclado: decidir una sugerencia y responder sin mouse; el foco no se pierde y se ve', async (page) => {
  propose(databaseUrl, 2, 'Hola María, ¿te queda bien retirarla mañana?');
  const panel = await openOrder(page, 2);
  await panel.getByText('¿te queda bien retirarla mañana?', { exact: false }).waitFor();
  const activeName = () =>
    page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return `${el?.tagName} ${el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? ''}`.slice(0, 60);
    });
  await logOf(panel).focus();
  const reached = [];
  // (sends of earlier tests may be in the outbox, with their own buttons in the conversation)
  const onProposalDiscard = () =>
    page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.textContent?.trim() === 'Descartar' && el.closest('[data-proposal]') !== null;
    });
  for (let i = 0; i < 20 && !(await onProposalDiscard()); i++) {
    await page.keyboard.press('Tab');
    reached.push(await activeName());
  }
  assert.ok(await onProposalDiscard(), `Tab order: ${reached.join(' | ')}`);
  const outline = await page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return getComputedStyle(el).outlineStyle;
  });
  assert.notEqual(outline, 'none', 'a visible focus ring');
  const decided = await page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el.closest('[data-proposal]').getAttribute('data-proposal');
  });
  await page.keyboard.press('Enter');
  await panel.locator(`[data-proposal="${decided}"]`).waitFor({ state: 'detached' });
  await eventually(async () => assert.match(await activeName(), /^TEXTAREA/));
  const text = `Sin mouse (${Date.now()})`;
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await logOf(panel).locator('[data-direction="outbound"]').filter({ hasText: text }).first().waitFor();
  assert.match(await activeName(), /^TEXTAREA/, 'the box keeps the focus after sending');
  await panel.getByTestId('send-announcement').filter({ hasText: /Enviando mensaje|Mensaje enviado/ }).waitFor({ state: 'attached' });
  // 24×24 targets (WCAG 2.2): every button of the composer and its proposals
  const boxes = await panel.getByTestId('composer').getByRole('button').evaluateAll((els) =>
    els.map((el) => ({ name: el.textContent.trim(), w: el.getBoundingClientRect().width, h: el.getBoundingClientRect().height })),
  );
  assert.ok(boxes.length >= 1);
  for (const b of boxes) assert.ok(b.w >= 24 && b.h >= 24, `target «${b.name}» ${b.w}×${b.h}`);
});

/** A real PNG of `width`×`height` (solid colour), so the browser decodes it and its size can be checked. */
function makePng(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x2a)]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

suite.test('adjuntar una foto (orden 2): vista previa, epígrafe, enviada una vez; el fake bajó por el enlace los mismos bytes — axe', async (page) => {
  // María's window as the fake knows it (an earlier test's /_fake/reset forgets it; ours is open from the demo data)
  await fakeAcs('/_fake/inbound', { from: '5491144445678' });
  const posts = recordSends(page);
  const panel = await openOrder(page, 2);
  const box = panel.getByRole('textbox', { name: 'Tu respuesta' });
  await box.waitFor();
  const photo = makePng(64, 48);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), panel.getByRole('button', { name: 'Adjuntar foto o PDF' }).click()]);
  await chooser.setFiles({ name: 'pantalla-rota.png', mimeType: 'image/png', buffer: photo });
  const chip = panel.getByTestId('attachment-chip');
  await chip.getByText('pantalla-rota.png').waitFor();
  await eventually(async () => assert.ok(await chip.getByTestId('attachment-thumbnail').evaluate((img) => img.complete && img.naturalWidth === 64)));
  await eventually(async () => assert.match(await page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.tagName ?? '';
  }), /TEXTAREA/, 'the caption box has the focus'));
  await captureState(page, 'composer-attach');
  const caption = `Así quedó la pantalla (${Date.now()})`;
  await box.fill(caption);
  await box.press('Enter');
  await chip.waitFor({ state: 'detached' });
  const stored = logOf(panel).locator('[data-direction="outbound"][data-id]').filter({ hasText: caption });
  const thumbnail = stored.getByTestId('media-thumbnail');
  await thumbnail.waitFor({ timeout: 15_000 });
  await eventually(async () => assert.ok(await thumbnail.evaluate((img) => img.complete && img.naturalWidth === 64)));
  await stored.getByRole('img', { name: /^Entregado|^Leído/ }).waitFor({ timeout: 15_000 });
  await page.waitForTimeout(1200); // one more poll: still one bubble
  assert.equal(await logOf(panel).locator('[data-direction="outbound"]').filter({ hasText: caption }).count(), 1, 'one bubble');
  // the person's own photo stays in view while it and the stored copy load: no "↓ 1 nuevo" for it
  assert.equal(await panel.getByRole('button', { name: /nuevos?:/ }).count(), 0, 'no new-message pill for our own photo');
  assert.ok(await logOf(panel).evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight < 48), 'the thread is at its newest message');
  assert.equal(posts.length, 1, 'one send request');
  assert.match(posts[0].body.media.blobRef, /^outgoing\/[0-9a-f]{64}$/);
  assert.equal(posts[0].body.media.caption, caption);
  const sent = (await fakeAcs('/_fake/messages', {}, 'GET')).filter((m) => m.body?.caption === caption);
  assert.equal(sent.length, 1, 'ACS got one image send');
  assert.equal(sent[0].kind, 'image');
  assert.equal(sent[0].media.status, 200, 'its link worked');
  assert.equal(sent[0].media.sha256, crypto.createHash('sha256').update(photo).digest('hex'), 'the link fetched the same bytes');
  const page_ = await getJson(`${base}/api/whatsapp/messages/2`);
  const mine = page_.messages.filter((m) => m.media?.caption === caption);
  assert.equal(mine.length, 1, 'stored once');
  assert.equal(mine[0].type, 'image');
  assert.equal(mine[0].media.state, 'stored');
  await captureState(page, 'send-photo-sent');
}, { timeout: 60_000 });

suite.test('con la ventana cerrada (orden 10) «Adjuntar foto o PDF» dice por qué y no abre nada', async (page) => {
  const panel = await openOrder(page, 10);
  const attach = panel.getByRole('button', { name: 'Adjuntar foto o PDF' });
  await attach.waitFor();
  assert.equal(await attach.getAttribute('aria-disabled'), 'true');
  await panel.getByText('no deja mandar fotos ni documentos: elegí una plantilla', { exact: false }).waitFor();
  let opened = false;
  page.once('filechooser', () => (opened = true));
  await attach.click({ force: true }); // aria-disabled: Playwright would wait for it to be enabled
  await attach.focus();
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
  assert.equal(opened, false, 'no file picker while the window is closed');
});

async function main() {
  const started = Date.now();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Start clean: no screenshot from an earlier run passes for one of this run.
  for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, f));
  ensureChromium();
  buildIfNeeded();
  const runner = await startRunner();
  base = runner.baseUrl;
  databaseUrl = runner.databaseUrl;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-wa-chromium-'));
  let result = { passed: 0, failed: 1 };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'es-AR',
      timezoneId: 'America/Argentina/Buenos_Aires',
    });
    context.setDefaultTimeout(10_000);
    const errors = [];
    context.on('weberror', (e) => errors.push(String(e.error())));
    log(`Chromium ${context.browser()?.version() ?? ''} at ${CHROMIUM}; screenshots in ${path.relative(process.cwd(), ARTIFACTS) || '.'}`);
    for (const p of context.pages()) await p.close();
    result = await suite.run(() => context.newPage());
    if (errors.length) {
      console.log(`  ✗ uncaught page errors:\n    ${errors.join('\n    ')}`);
      result.failed++;
    }
  } finally {
    await context?.close().catch(() => {});
    await runner.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`\ne2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${result.passed} passed, ${result.failed} failed`);
  process.exitCode = result.failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
