/**
 * Test page (e2e only, served as /embed-test.html): mounts the drop-in panel the way FastService
 * will, under a chosen host stylesheet, next to a few of the host's own elements.
 *   css=clean     no host CSS at all (the reference)
 *   css=hostile   old global CSS (hostile.css: Bootstrap-like buttons, list numbering, big headings,
 *                 `* {box-sizing: content-box}`, `html {font-size: 10px}`, no reset)
 *   css=tailwind  a Tailwind v4 host (the demo page's stylesheet, with its reset)
 *   layout=main (a 520 px column at a fixed place, so screenshots of different hosts compare pixel
 *   for pixel) | sidebar (a 360 px sidebar in the page's flow); panel=0 leaves the panel out;
 *   order, poll, limit, signin, staff as on the demo page (signed in as a demo staff member by default,
 *   the way FastService passes its MSAL token source).
 */
import { createRoot } from 'react-dom/client';
import { renderStats } from '../components/WhatsApp/MessageBubble';
import { WhatsAppPanel } from '../components/WhatsApp/WhatsAppPanel';
import { demoTokenSource } from './demoAuth';
import hostileCss from './hostile.css?inline';

const query = new URLSearchParams(window.location.search);
const css = query.get('css') ?? 'clean';
const sidebar = query.get('layout') === 'sidebar';
const withPanel = query.get('panel') !== '0';
const orderId = Number(query.get('order') ?? '1') || 1;
const poll = Number(query.get('poll') ?? '0');
const limit = Number(query.get('limit') ?? '50');
const getAccessToken = demoTokenSource({ token: '', signin: query.get('signin') || 'demo', staff: query.get('staff') ?? '', baseUrl: '' });

async function main() {
  if (css === 'hostile') {
    const style = document.createElement('style');
    style.textContent = hostileCss;
    document.head.appendChild(style);
  } else if (css === 'tailwind') {
    await import('../index.css');
  }
  const root = document.getElementById('host');
  if (!root) throw new Error('Falta #host');
  createRoot(root).render(
    <div id="page" style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
      <div id="host-content" style={{ flex: '1 1 0', minWidth: 0 }}>
        <h1 id="host-h1">Orden #{orderId}</h1>
        <p id="host-p">Ficha de la orden de reparación.</p>
        <ol id="host-ol">
          <li>Diagnóstico</li>
          <li>Presupuesto</li>
        </ol>
        <button id="host-button" type="button">
          Guardar
        </button>
        <a id="host-a" href="#x">
          Ver cliente
        </a>
      </div>
      <aside
        id="slot"
        // a white slot in every mode: the panel's rounded corners and shadow blend with what is behind
        style={{ background: '#fff', ...(sidebar ? { width: 360, flex: 'none' } : { position: 'absolute', top: 16, left: 800, width: 520 }) }}
      >
        {withPanel && <WhatsAppPanel orderId={orderId} pollIntervalMs={poll} pageSize={limit} getAccessToken={getAccessToken} />}
      </aside>
    </div>,
  );
}

// the browser benchmark (e2e/bench.mjs) counts bubble renders per poll
(window as unknown as { __whatsappRenderStats: typeof renderStats }).__whatsappRenderStats = renderStats;

void main();
