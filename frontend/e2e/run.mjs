// End-to-end tests of the WhatsApp panel: Debian's Chromium driven by playwright-core
// against the local runner with the demo data. `npm run e2e` (E2E_GREP=regex runs some).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  ARTIFACTS,
  CHROMIUM,
  CHROMIUM_ARGS,
  buildIfNeeded,
  createSuite,
  ensureChromium,
  eventually,
  getJson,
  log,
  postIncomingText,
  startRunner,
} from './harness.mjs';

const JUAN = '5491155551234';
const shot = (name) => path.join(ARTIFACTS, `${name}.png`);
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
  assert.equal(await summary.getByText('mensajes nuevos', { exact: true }).isVisible(), api.hasNewMessages);

  const conversation = panel.getByRole('log');
  await conversation.getByText('Les dejé un Samsung A52 con la pantalla rota', { exact: false }).waitFor();
  const bubbles = conversation.locator('[data-direction]');
  const directions = await bubbles.evaluateAll((els) => els.map((e) => e.getAttribute('data-direction')));
  assert.deepEqual(directions, ['inbound', 'inbound', 'outbound', 'inbound']);
  await bubbles.nth(1).getByText('🖼️ Imagen').waitFor();
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

  const link = panel.getByRole('link', { name: /Abrir en WhatsApp/ });
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
  const badge = panel.getByRole('region', { name: 'Resumen de WhatsApp' }).getByText('mensajes nuevos', { exact: true });
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

suite.test('María (orden 2): PDF con epígrafe, entregado y ventana de 24 h abierta', async (page) => {
  const panel = await openOrder(page, 2);
  await panel.getByText('📎 factura-compra.pdf').waitFor();
  await panel.getByText('Les paso la factura por la garantía').waitFor();
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
  assert.match(await tooltip.innerText(), /más de 24 h/);
  await panel.getByText('Ventana de 24 h cerrada: solo plantillas').waitFor();
  await page.screenshot({ path: shot('order-10-failed'), fullPage: true });
});

suite.test('Javier (orden 11): sin teléfono, botón deshabilitado con aviso y sync con error', async (page) => {
  const panel = await openOrder(page, 11);
  assert.equal(await panel.getByRole('link', { name: /Abrir en WhatsApp/ }).count(), 0);
  const button = panel.getByRole('button', { name: 'Abrir en WhatsApp' });
  assert.equal(await button.getAttribute('aria-disabled'), 'true');
  assert.equal(await button.isDisabled(), true);
  const tooltip = panel.getByRole('tooltip').filter({ hasText: 'Sin número de teléfono' });
  await button.hover();
  await tooltip.waitFor();
  await page.mouse.move(0, 0);
  await tooltip.waitFor({ state: 'hidden' });
  await button.focus();
  await tooltip.waitFor(); // also on keyboard focus
  await panel.getByText(/Sin número de WhatsApp:/).waitFor();
  await page.screenshot({ path: shot('order-11-no-phone'), fullPage: true });

  await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).click();
  const alert = panel.getByRole('alert').filter({ hasText: 'No se pudo sincronizar' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /no tiene un teléfono que WhatsApp pueda usar/);
  await alert.getByRole('button', { name: 'Reintentar' }).waitFor();
  await page.screenshot({ path: shot('order-11-sync-error'), fullPage: true });
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
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName));
  }
  assert.ok(reached.includes('Sincronizar WhatsApp'), `Tab order: ${reached.join(' | ')}`);
  assert.ok(reached.some((r) => r.startsWith('Abrir en WhatsApp')), `Tab order: ${reached.join(' | ')}`);
  await panel.getByRole('button', { name: 'Sincronizar WhatsApp' }).focus();
  const outline = await panel
    .getByRole('button', { name: 'Sincronizar WhatsApp' })
    .evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'a visible focus ring');
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
