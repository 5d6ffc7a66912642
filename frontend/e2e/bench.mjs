// Browser benchmark of the WhatsApp panel (Chromium via playwright-core), run by `make bench`
// through bench/bench_browser.py, which reads the JSON this prints on its last line.
//
//  1. first render of a 200-message page: from the API answer's arrival to the 200 bubbles in
//     the DOM with layout done (React render + commit + style/layout), embed-test.html, median of runs;
//  2. a poll that brings one new message to a 1,000-message thread: same clock, plus how many
//     bubbles React rendered and how many DOM nodes changed;
//  3. the panel's own bundle as `npm run build:panel` ships it (its CSS inside, React external), gzip -9.
// Baselines measured in the same run: for the first render, the plainest DOM doing the same visible
// work (200 text rows built with createElement, then layout); for the poll, the panel's own first
// render of the whole 1,000-message thread (what a poll re-rendering everything would come near);
// for the bundle, React + ReactDOM's own bundle, gzip -9.
// The API is served by page.route on a made-up origin: no runner, no network, nothing else timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, FRONTEND, buildIfNeeded } from './harness.mjs';

const ORIGIN = 'http://panel-bench.test';
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const log = (...parts) => console.error('[bench]', ...parts);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Goals, as ratios to the baselines measured in the same run (make bench's rule), set from what this
// machine measured (2 shared cores, headless Chromium 156; see frontend/README.md for the reasons):
// first render 20–25× the plain DOM (~120–200 ms), poll ~0.05× a full render (~12–36 ms), bundle: what the
// order screen loads before it renders (the panel with composer, media viewer and notices; the inbox page and
// the history import wizard are lazy chunks), with every chunk reported beside it.
const GOALS = {
  firstRenderRatio: 50,
  pollRatio: 0.2,
  pollBubbles: 1,
  bundleRatio: 0.5,
};

function message(i, now) {
  const texts = [
    'Hola, ¿ya está lista la *pantalla*?',
    'El presupuesto es $85.000, ~$90.000~ con descuento. Detalle en https://fastservice.com.ar/orden/1.',
    'Dale, avancen. ¿Puedo pasar el _viernes_ a la tarde?',
    'Código del equipo: ```SM-A525M```',
  ];
  const at = new Date(now - (5000 - i) * 60_000).toISOString();
  return {
    id: i, whatsappMessageId: `b-${i}`, direction: i % 3 === 1 ? 'outbound' : 'inbound', type: 'text',
    text: `${texts[i % texts.length]} (#${i})`, timestamp: at, receivedAt: at, media: null, replyTo: null, reaction: null,
    choice: null, status: i % 3 === 1 ? { state: 'read', at, errorCode: null, errorMessage: null } : null,
  };
}

function order(count) {
  return {
    orderId: 1, orderOpen: true, customer: { id: 1, name: 'Juan Pérez' },
    phone: { e164: '+5491155551234', whatsappId: '5491155551234', source: 'whatsapp' }, phoneProblem: null,
    waMeUrl: 'https://wa.me/5491155551234', waMeUrlWithGreeting: null, summary: null, hasNewMessages: false,
    messageCount: count, unlinkedMessages: 0, lastSyncAt: null,
    customerServiceWindow: { open: false, until: null, lastInboundAt: null },
  };
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves dist/ and a conversation that `state` describes. */
async function serve(page, state) {
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/.localrunner/staff-token') {
      // the panel signs in first, as inside FastService (fetched once, before the clock starts)
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ access_token: 'bench', expires_in: 3600 }) });
    }
    // the composer's reads (issue 15): nothing pending, no proposal, no template
    const sub = /^\/api\/whatsapp\/orders\/\d+\/(outbox|proposals|templates)$/.exec(url.pathname)?.[1];
    if (sub) {
      const body = { outbox: { orderId: 1, sends: [] }, proposals: { orderId: 1, proposals: [] }, templates: { orderId: 1, window: { open: true, until: null, lastInboundAt: null }, templates: [] } }[sub];
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    }
    if (url.pathname.startsWith('/api/whatsapp/orders/')) {
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(order(state.messages.length)) });
    }
    if (url.pathname.startsWith('/api/whatsapp/messages/')) {
      // the first load gets the whole thread (a shortcut to a 1,000-message view); polls get the newest page
      const limit = state.firstWhole && !state.loaded ? state.messages.length : Number(url.searchParams.get('limit') ?? 50);
      state.loaded = true;
      const page_ = state.messages.slice(-limit);
      const nextCursor = state.messages.length > page_.length || state.firstWhole ? 'older' : null;
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ orderId: 1, messages: page_, nextCursor }) });
    }
    const file = path.join(FRONTEND, 'dist', url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file.startsWith(path.join(FRONTEND, 'dist')) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: MIME[path.extname(file)] ?? 'application/octet-stream', body: fs.readFileSync(file) });
  });
}

/** In the page before anything runs: watch the panel's shadow root, and time when `want` bubbles are there. */
const WATCH = () => {
  const w = window;
  w.__bench = { mutations: 0, want: Infinity, doneAt: null, apiAt: () => {
    // the answers the conversation waits for (the order and its messages), not the composer's side reads
    const api = performance.getEntriesByType('resource').filter((e) => /\/api\/whatsapp\/(messages\/|orders\/\d+(\?|$))/.test(e.name));
    return Math.max(...api.map((e) => e.responseEnd));
  } };
  const watchShadow = (root) => {
    new MutationObserver((records) => {
      for (const r of records) w.__bench.mutations += r.type === 'childList' ? r.addedNodes.length + r.removedNodes.length : 1;
      if (w.__bench.doneAt === null && root.querySelectorAll('[data-direction]').length >= w.__bench.want) {
        root.host.getBoundingClientRect(); // style + layout included
        void root.host.offsetHeight;
        w.__bench.doneAt = performance.now();
      }
    }).observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
  };
  new MutationObserver((_records, observer) => {
    const host = document.querySelector('fastservice-whatsapp');
    if (host?.shadowRoot) {
      observer.disconnect();
      watchShadow(host.shadowRoot);
    }
  }).observe(document, { childList: true, subtree: true });
};

async function firstRender(context, count) {
  const page = await context.newPage();
  await page.addInitScript(WATCH);
  await page.addInitScript((n) => {
    window.__benchWant = n;
  }, count);
  await page.addInitScript(() => {
    window.__bench.want = window.__benchWant;
  });
  const state = { messages: Array.from({ length: count }, (_, i) => message(i + 1, Date.now())), firstWhole: true };
  await serve(page, state);
  await page.goto(`${ORIGIN}/embed-test.html?order=1&poll=0&limit=200&css=clean`);
  await page.waitForFunction(() => window.__bench.doneAt !== null, null, { timeout: 30_000 });
  const ms = await page.evaluate(() => window.__bench.doneAt - window.__bench.apiAt());
  return { page, state, ms };
}

async function poll(context) {
  const { page, state, ms: full } = await firstRender(context, 1000);
  await page.waitForTimeout(300);
  state.messages.push(message(1001, Date.now()));
  const before = await page.evaluate(() => {
    window.__bench.want = 1001;
    window.__bench.doneAt = null;
    window.__bench.mutations = 0;
    performance.clearResourceTimings();
    return window.__whatsappRenderStats.bubbles;
  });
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await page.waitForFunction(() => window.__bench.doneAt !== null, null, { timeout: 30_000 });
  await page.waitForTimeout(100);
  const result = await page.evaluate((b) => ({
    ms: window.__bench.doneAt - window.__bench.apiAt(),
    bubbles: window.__whatsappRenderStats.bubbles - b,
    mutations: window.__bench.mutations,
  }), before);
  await page.close();
  return { ...result, full };
}

/** The plainest DOM doing the same visible work, timed the same way (build, then layout). */
async function plainDom(context) {
  const page = await context.newPage();
  await page.setContent('<!doctype html><html><body><div id="list"></div></body></html>');
  const result = await page.evaluate(() => {
    const list = document.getElementById('list');
    const rows = (from, n) => {
      const frag = document.createDocumentFragment();
      for (let i = from; i < from + n; i++) {
        const div = document.createElement('div');
        div.textContent = `Hola, ¿ya está lista la pantalla? (#${i})`;
        frag.appendChild(div);
      }
      return frag;
    };
    const t = performance.now();
    list.appendChild(rows(1, 200));
    void list.offsetHeight;
    return { first: performance.now() - t };
  });
  await page.close();
  return result;
}

async function gzipOfBuild(entry, external, config = 'vite.config.ts') {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-wa-bundle-'));
  try {
    const result = await build({
      configFile: path.join(FRONTEND, config),
      root: FRONTEND,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      build: {
        outDir: out, emptyOutDir: true, write: true, minify: true, copyPublicDir: false,
        lib: { entry, formats: ['es'], fileName: () => 'bundle.js' },
        rollupOptions: { input: entry, external },
      },
    });
    const js = fs.readdirSync(out).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(out, f)));
    const all = Buffer.concat(js);
    // what loads before anything renders: the entry and the chunks it imports statically (not the
    // lazily imported ones: the inbox page, the history import wizard)
    const chunks = (Array.isArray(result) ? result[0] : result).output.filter((o) => o.type === 'chunk');
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const initial = new Set();
    const visit = (name) => {
      if (initial.has(name) || !byName.has(name)) return;
      initial.add(name);
      for (const dep of byName.get(name).imports) visit(dep);
    };
    for (const c of chunks) if (c.isEntry) visit(c.fileName);
    const first = Buffer.concat([...initial].map((name) => fs.readFileSync(path.join(out, name))));
    return { raw: all.length, gzip: zlib.gzipSync(all, { level: 9 }).length, initialGzip: zlib.gzipSync(first, { level: 9 }).length };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(JSON.stringify({ skipped: `${CHROMIUM} is missing` }));
    return;
  }
  buildIfNeeded();
  // what `npm run build:panel` ships to FastService
  const panelBundle = await gzipOfBuild(
    path.join(FRONTEND, 'src/components/WhatsApp/index.ts'),
    [/^react($|\/)/, /^react-dom($|\/)/],
    'vite.panel.config.ts',
  );
  // inside node_modules so that 'react' resolves from it
  const reactEntry = path.join(fs.mkdtempSync(path.join(FRONTEND, 'node_modules', '.bench-')), 'react-entry.js');
  fs.writeFileSync(reactEntry, "export { createRoot } from 'react-dom/client';\nexport { createElement, useState } from 'react';\n");
  const reactBundle = await gzipOfBuild(reactEntry, []);
  fs.rmSync(path.dirname(reactEntry), { recursive: true, force: true });
  log(`bundle: panel ${panelBundle.gzip} B gzip (${panelBundle.raw} B; initial load ${panelBundle.initialGzip} B gzip), React+ReactDOM ${reactBundle.gzip} B gzip`);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-wa-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1366, height: 900 },
    locale: 'es-AR', timezoneId: 'America/Argentina/Buenos_Aires',
  });
  const first = [];
  const polls = [];
  const plainFirst = [];
  const fullRenders = [];
  const bubbles = [];
  const mutations = [];
  try {
    for (const p of context.pages()) await p.close();
    await (await firstRender(context, 200)).page.close(); // warm-up (caches, JIT)
    for (let i = 0; i < RUNS; i++) {
      const r = await firstRender(context, 200);
      first.push(r.ms);
      await r.page.close();
      const p = await poll(context);
      polls.push(p.ms);
      fullRenders.push(p.full);
      bubbles.push(p.bubbles);
      mutations.push(p.mutations);
      const d = await plainDom(context);
      plainFirst.push(d.first);

      log(`run ${i + 1}/${RUNS}: first ${r.ms.toFixed(1)} ms, poll ${p.ms.toFixed(1)} ms (${p.bubbles} bubble(s), ${p.mutations} DOM changes; full 1,000 render ${p.full.toFixed(1)} ms)`);
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const fr = median(first);
  const pl = median(polls);
  const pf = median(plainFirst);
  const pp = median(fullRenders);
  const worstBubbles = Math.max(...bubbles);
  const kb = panelBundle.gzip / 1024;
  const figures = [
    { metric: 'first render, 200 messages (median)', value: fr, unit: 'ms', goal: `<= ${GOALS.firstRenderRatio}× plain DOM`, met: fr / pf <= GOALS.firstRenderRatio, baseline: pf, ratio: fr / pf },
    { metric: 'poll +1 message on 1,000 (median)', value: pl, unit: 'ms', goal: `<= ${GOALS.pollRatio}× full render of the 1,000`, met: pl / pp <= GOALS.pollRatio, baseline: pp, ratio: pl / pp },
    { metric: 'bubbles rendered by that poll (worst)', value: worstBubbles, unit: 'renders', goal: `<= ${GOALS.pollBubbles}`, met: worstBubbles <= GOALS.pollBubbles, baseline: null, ratio: null },
    { metric: 'DOM nodes changed by that poll (worst)', value: Math.max(...mutations), unit: 'nodes', goal: '', met: null, baseline: null, ratio: null },
    { metric: 'drop-in module, initial load (order screen) without React, gzip', value: panelBundle.initialGzip / 1024, unit: 'KiB', goal: `<= ${GOALS.bundleRatio}× React+ReactDOM`, met: panelBundle.initialGzip / reactBundle.gzip <= GOALS.bundleRatio, baseline: reactBundle.gzip / 1024, ratio: panelBundle.initialGzip / reactBundle.gzip },
    { metric: 'drop-in module, every chunk (+ inbox page, history import), gzip', value: kb, unit: 'KiB', goal: '', met: null, baseline: reactBundle.gzip / 1024, ratio: panelBundle.gzip / reactBundle.gzip },
  ];
  console.log(JSON.stringify({ figures, samples_ms: { 'first render 200': first, 'poll +1 on 1000': polls, 'plain DOM 200 rows': plainFirst, 'first render 1000': fullRenders } }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
