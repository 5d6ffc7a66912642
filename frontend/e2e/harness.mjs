// The e2e set-up: Chromium, the front-end build, a local runner on a free port
// with a fresh SQLite database, and a tiny test runner (playwright-core has none).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(FRONTEND, '..');
export const ARTIFACTS = path.join(FRONTEND, 'artifacts');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function log(...parts) {
  console.log('[e2e]', ...parts);
}

export function ensureChromium() {
  const r = spawnSync('bash', [path.join(FRONTEND, 'scripts', 'ensure-chromium.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('Chromium is not available (scripts/ensure-chromium.sh failed)');
}

function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** Builds dist/ when it is missing or older than its sources. */
export function buildIfNeeded() {
  const built = path.join(FRONTEND, 'dist', 'index.html');
  const sources = ['src', 'index.html', 'embed-test.html', 'vite.config.ts', 'tsconfig.json', 'package.json'].map((p) => path.join(FRONTEND, p));
  const builtAt = newestMtime(built);
  if (builtAt && sources.every((s) => newestMtime(s) <= builtAt)) {
    log('dist/ is up to date');
    return;
  }
  log('building the front end (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: FRONTEND, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `python -m localrunner serve` on a free port with a fresh SQLite database and no timers. */
export async function startRunner() {
  const python = path.join(ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: create the venv first (make setup at the repo root)`);
  const port = await freePort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-wa-e2e-'));
  const databaseUrl = `sqlite:///${path.join(tmp, 'e2e.db')}`;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, 'runner.log');
  const out = fs.openSync(logFile, 'w');
  // An Azurite of this run's own on free ports (the runner starts it and stops it with itself): one on the standard
  // ports may belong to another session on this machine and go away under the suite.
  const [blobPort, queuePort] = [await freePort(), await freePort()];
  const mediaStorage =
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${queuePort}/devstoreaccount1;`;
  const env = {
    ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, TIMERS: 'off',
    MEDIA_STORAGE: process.env.E2E_MEDIA_STORAGE || mediaStorage,
    // keys as in Azure (localrunner/keys.py), known to the helpers below
    FUNCTIONS_KEYS: 'on', ...RUNNER_KEYS,
    // signed in as in Azure: the app validates the demo page's tokens of the runner's demo issuer
    STAFF_SIGN_IN: 'required', STAFF_AUTH_TENANT_ID: '', STAFF_AUTH_ISSUER: '',
  };
  const child = spawn(python, ['-m', 'localrunner', 'serve'], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  log(`local runner pid ${child.pid} on ${baseUrl} (database ${databaseUrl})`);
  for (;;) {
    if (exited) throw new Error(`the local runner exited (${JSON.stringify(exited)}); see ${logFile}`);
    try {
      const r = await fetch(`${baseUrl}/api/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      throw new Error(`the local runner did not answer /api/health within 90 s; see ${logFile}`);
    }
    await sleep(250);
  }
  log(`runner healthy after ${Date.now() - started} ms`);

  async function stop() {
    if (exited) return;
    child.kill('SIGTERM');
    // uvicorn's graceful shutdown, then the runner stops the Azurite it started (up to 10 s): a SIGKILL before
    // that would leave Azurite running on this run's ports
    for (let i = 0; i < 250 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { baseUrl, port, stop, logFile, databaseUrl };
}

/** The keys the runner of these tests enforces (Event Grid's system key goes in `code=`, the admin API takes the master key). */
export const RUNNER_KEYS = {
  FUNCTIONS_KEY: 'e2e-function-key',
  FUNCTIONS_MASTER_KEY: 'e2e-master-key',
  EVENTGRID_EXTENSION_KEY: 'e2e-eventgrid-key',
  MCP_EXTENSION_KEY: 'e2e-mcp-key',
};

/** An incoming WhatsApp text as Event Grid delivers it (see tests/data/acs-events/text-received.json). */
export async function postIncomingText(baseUrl, from, content) {
  const now = new Date().toISOString();
  const event = {
    id: randomUUID(),
    topic:
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/fastservice/providers/microsoft.communication/communicationservices/fastservice-acs',
    subject: `advancedMessage/sender/${from}/recipient/11111111-1111-1111-1111-111111111111`,
    data: {
      content,
      channelType: 'whatsapp',
      messageType: 'text',
      from,
      to: '11111111-1111-1111-1111-111111111111',
      receivedTimestamp: now,
    },
    eventType: 'Microsoft.Communication.AdvancedMessageReceived',
    dataVersion: '1.0',
    metadataVersion: '1',
    eventTime: now,
  };
  const webhook = `${baseUrl}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event&code=${RUNNER_KEYS.EVENTGRID_EXTENSION_KEY}`;
  const r = await fetch(webhook, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([event]),
  });
  if (r.status !== 202) throw new Error(`Event Grid webhook answered ${r.status}: ${await r.text()}`);
  return event;
}

/** A demo staff member's bearer token from the runner's dev-only route (what the demo page does). */
export async function staffToken(baseUrl, user = 'ana') {
  const r = await fetch(`${baseUrl}/.localrunner/staff-token?user=${user}`);
  if (!r.ok) throw new Error(`the demo token route answered ${r.status}`);
  return (await r.json()).access_token;
}

/** GET a staff route's JSON, signed in as the demo page is. */
export async function getJson(url) {
  const { origin } = new URL(url);
  const r = await fetch(url, { headers: { Authorization: `Bearer ${await staffToken(origin)}` } });
  if (!r.ok) throw new Error(`GET ${url} answered ${r.status}`);
  return r.json();
}

/** Polls `fn` until it returns without throwing (or the time runs out, rethrowing its last error). */
export async function eventually(fn, { timeout = 10_000, interval = 200 } = {}) {
  const started = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() - started > timeout) throw error;
      await sleep(interval);
    }
  }
}

/** A minimal sequential test runner with per-test timeout and a screenshot on failure. */
export function createSuite() {
  const tests = [];
  return {
    test(name, fn, { timeout = 45_000 } = {}) {
      tests.push({ name, fn, timeout });
    },
    async run(makePage) {
      let passed = 0;
      let failed = 0;
      const only = process.env.E2E_GREP ? new RegExp(process.env.E2E_GREP) : null;
      for (const t of tests) {
        if (only && !only.test(t.name)) continue;
        const started = Date.now();
        const page = await makePage();
        let timer;
        try {
          await Promise.race([
            t.fn(page),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${t.timeout} ms`)), t.timeout);
            }),
          ]);
          passed++;
          console.log(`  ✓ ${t.name} (${Date.now() - started} ms)`);
        } catch (error) {
          failed++;
          console.log(`  ✗ ${t.name} (${Date.now() - started} ms)\n    ${String(error?.stack ?? error).split('\n').join('\n    ')}`);
          const file = path.join(ARTIFACTS, `FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => {});
        } finally {
          clearTimeout(timer);
          await page.close().catch(() => {});
        }
      }
      return { passed, failed };
    },
  };
}

/**
 * The local ACS fake's control API (devkit/fake_acs.py: faults, reset), over HTTPS with the CA the runner made;
 * the runner announces where in `.data/fake-acs/control.json`.
 */
export async function fakeAcs(pathAndQuery, body = {}, method = 'POST') {
  const https = await import('node:https');
  const control = JSON.parse(fs.readFileSync(path.join(ROOT, '.data', 'fake-acs', 'control.json'), 'utf8'));
  const url = new URL(pathAndQuery, control.endpoint);
  const ca = fs.readFileSync(control.ca);
  const payload = method === 'GET' ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(data || '{}')) : reject(new Error(`fake ACS ${url.pathname} answered ${res.statusCode}: ${data}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** What the agent's MCP tool propose_whatsapp_reply writes (shared/proposals.propose), straight into the runner's database. */
export function propose(databaseUrl, orderId, text) {
  const python = path.join(ROOT, '.venv', 'bin', 'python');
  const code = 'import sys\nfrom shared import proposals\nproposals.propose(int(sys.argv[1]), sys.argv[2], None, sys.argv[3])';
  const r = spawnSync(python, ['-c', code, String(orderId), text, databaseUrl], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`propose failed: ${r.stderr}`);
}

/**
 * Issue 18's demo on the suite's plain demo database (what `make setup` adds): Diego (order 9) agreed to
 * notifications, his order got a quote, and the timer offered the quote notification to staff.
 */
export function offerQuoteNotification(databaseUrl) {
  const python = path.join(ROOT, '.venv', 'bin', 'python');
  const code = 'import sys\nfrom datetime import UTC, datetime\nfrom devkit import demo\ndemo._notifications(sys.argv[1], datetime.now(UTC))';
  const r = spawnSync(python, ['-c', code, databaseUrl], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`offering the quote notification failed: ${r.stderr}`);
}

/** Order `orderId` moves to `status` (an «offer» rule) with its customer's consent: offered to staff (the inbox's
 * «Avisos»). The notification's id. */
export function offerNotice(databaseUrl, orderId, status) {
  const python = path.join(ROOT, '.venv', 'bin', 'python');
  const code = 'import sys\nfrom devkit import demo\nprint(demo.offer_notice(sys.argv[1], int(sys.argv[2]), sys.argv[3]))';
  const r = spawnSync(python, ['-c', code, databaseUrl, String(orderId), status], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`offering a notice failed: ${r.stderr}`);
  return Number(r.stdout.trim().split('\n').pop());
}
