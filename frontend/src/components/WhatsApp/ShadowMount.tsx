/**
 * The drop-in mechanism the WhatsApp panel and the inbox share: their view inside an open shadow root
 * of a `<fastservice-whatsapp>` element, with the folder's own stylesheet (panel.css).
 *
 * Why a shadow root (and not a class prefix, CSS modules or @layer): FastService's pages carry old
 * global CSS (`button {…}`, list numbering, big headings, `* {box-sizing: content-box}`) that is
 * unlayered, and unlayered rules beat every rule Tailwind v4 puts in a layer whatever their
 * specificity, so a prefix would have to out-shout each host rule. A shadow root is the only
 * boundary host selectors do not cross, and the Tailwind reset cannot leak out of it.
 * What still crosses: inherited properties (cut off by `.wa-root { all: initial }` in panel.css)
 * and the host's root font size behind `rem` (turned into px here, so an `html {font-size: 10px}`
 * host does not shrink the view). Tailwind registers its variables with `@property`, which a
 * shadow root ignores; its own fallback (initial values on `*`) is switched on for every browser.
 */
import { createElement, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import panelCss from './panel.css?inline';

/** The host element's tag: a custom name, so a host's `div {…}` or `section {…}` rules miss it. */
export const HOST_TAG = 'fastservice-whatsapp';

/**
 * panel.css as the shadow root needs it: `rem` → px (16 px per rem; not inside selectors, whose
 * escaped class names end in a backslash), and Tailwind's `@property` fallback unconditional.
 */
export function shadowCss(css: string): string {
  return css
    .replace(/(\d*\.?\d+)rem(?![\\\w-])/g, (_m, n: string) => `${Number((Number(n) * 16).toFixed(4))}px`)
    .replace(/@supports[^{]*-webkit-hyphens[^{]*\{/g, '@supports (display: block) {');
}

let compiled: string | null = null;

export function ShadowMount({ className, children }: { className?: string; children: ReactNode }) {
  const host = useRef<HTMLElement>(null);
  const [root, setRoot] = useState<ShadowRoot | null>(null);

  useLayoutEffect(() => {
    const el = host.current;
    if (!el) return;
    const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    if (!shadow.querySelector('style[data-whatsapp-panel]')) {
      const style = document.createElement('style');
      style.setAttribute('data-whatsapp-panel', '');
      style.textContent = compiled ??= shadowCss(panelCss);
      shadow.appendChild(style);
    }
    setRoot(shadow);
  }, []);

  return createElement(
    HOST_TAG,
    { ref: host, className: className || undefined, style: { display: 'block', minWidth: 0 } },
    root && createPortal(<div className="wa-root">{children}</div>, root),
  );
}
