/**
 * WhatsApp's own text formatting (`*negrita*`, `_cursiva_`, `~tachado~`, ```` ```mono``` ````) and
 * http/https links, parsed into a small tree that React renders as elements: no HTML string is
 * ever built, so nothing the customer writes can become markup (no dangerouslySetInnerHTML).
 *
 * Linear in the text, whatever it holds: customer text is adversarial input. A naive "find the
 * closing marker" search per opening marker is quadratic on `*a *a *a …`; here every closing
 * position is precomputed once (right-to-left arrays), so an opener finds its closer in O(1), and
 * each nesting level (at most one per marker kind, 3) scans its own disjoint ranges once.
 * `stats.steps` counts the scanning work so a test can check the bound without timing anything.
 *
 * Rules (as WhatsApp applies them): an opening marker follows the start, a space or punctuation
 * and is followed by a non-space; a closing one follows a non-space and is followed by the end, a
 * space or punctuation; bold/italic/strike stay within one line; the same kind does not nest;
 * text inside ``` ``` and inside links is literal. Only http:// and https:// become links.
 */

export type TextNode =
  | { kind: 'text'; text: string }
  | { kind: 'bold' | 'italic' | 'strike'; children: TextNode[] }
  | { kind: 'mono'; text: string }
  | { kind: 'link'; href: string; text: string };

export interface ParseStats {
  steps: number;
}

const MARKERS = ['*', '_', '~'] as const;
type Marker = (typeof MARKERS)[number];
const KIND: Record<Marker, 'bold' | 'italic' | 'strike'> = { '*': 'bold', _: 'italic', '~': 'strike' };
const BIT: Record<Marker, number> = { '*': 1, _: 2, '~': 4 };

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
const URL = /https?:\/\/[^\s<>"]+/giu;
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '*', '_', '~', '¡', '¿']);

function isWord(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}
function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && SPACE.test(ch);
}

/** Trims punctuation that ends a sentence rather than the link (and an unbalanced closing parenthesis). */
function trimUrl(url: string): string {
  let end = url.length;
  let opens = 0;
  let closes = 0;
  for (let i = 0; i < url.length; i++) {
    if (url[i] === '(') opens++;
    else if (url[i] === ')') closes++;
  }
  for (;;) {
    const ch = url[end - 1];
    if (ch === undefined) break;
    if (TRAILING.has(ch)) end--;
    else if (ch === ')' && closes > opens) {
      end--;
      closes--;
    } else break;
  }
  return url.slice(0, end);
}

function parseInline(s: string, stats: ParseStats): TextNode[] {
  const n = s.length;
  if (n === 0) return [];
  // Links: where each starts and ends; no marker inside one counts.
  const urlEnd = new Int32Array(n).fill(-1);
  const inUrl = new Uint8Array(n);
  URL.lastIndex = 0;
  for (let m = URL.exec(s); m !== null; m = URL.exec(s)) {
    const text = trimUrl(m[0]);
    stats.steps += m[0].length;
    if (text.length > 'https://'.length - 1) {
      urlEnd[m.index] = m.index + text.length;
      inUrl.fill(1, m.index, m.index + text.length);
    }
    URL.lastIndex = m.index + Math.max(1, m[0].length);
  }
  // Next line break at or after i, and next valid closing marker of each kind at or after i.
  const nextNewline = new Int32Array(n + 1);
  const nextCloser: Record<Marker, Int32Array> = {
    '*': new Int32Array(n + 1),
    _: new Int32Array(n + 1),
    '~': new Int32Array(n + 1),
  };
  nextNewline[n] = n;
  for (const c of MARKERS) nextCloser[c][n] = -1;
  for (let i = n - 1; i >= 0; i--) {
    stats.steps++;
    const ch = s[i];
    nextNewline[i] = ch === '\n' ? i : (nextNewline[i + 1] as number);
    for (const c of MARKERS) {
      const closes = ch === c && !inUrl[i] && i > 0 && !isSpace(s[i - 1]) && (i + 1 === n || !isWord(s[i + 1]));
      nextCloser[c][i] = closes ? i : (nextCloser[c][i + 1] as number);
    }
  }

  function parseRange(start: number, end: number, active: number): TextNode[] {
    const out: TextNode[] = [];
    let textStart = start;
    const flush = (upTo: number) => {
      if (upTo > textStart) out.push({ kind: 'text', text: s.slice(textStart, upTo) });
    };
    let i = start;
    while (i < end) {
      stats.steps++;
      const linkEnd = urlEnd[i] as number;
      if (linkEnd > 0 && linkEnd <= end) {
        flush(i);
        const text = s.slice(i, linkEnd);
        out.push({ kind: 'link', href: text, text });
        i = linkEnd;
        textStart = i;
        continue;
      }
      const ch = s[i] as string;
      if ((ch === '*' || ch === '_' || ch === '~') && !(active & BIT[ch]) && !inUrl[i]) {
        const opens = (i === 0 || !isWord(s[i - 1])) && i + 1 < end && !isSpace(s[i + 1]);
        const close = opens && i + 2 <= n ? (nextCloser[ch][i + 2] as number) : -1;
        if (close !== -1 && close < end && close < (nextNewline[i] as number)) {
          flush(i);
          out.push({ kind: KIND[ch], children: parseRange(i + 1, close, active | BIT[ch]) });
          i = close + 1;
          textStart = i;
          continue;
        }
      }
      i++;
    }
    flush(end);
    return out;
  }

  return parseRange(0, n, 0);
}

/** Parses a message's text into formatted nodes (see the module notes for the rules). */
export function parseWhatsAppText(text: string, stats: ParseStats = { steps: 0 }): TextNode[] {
  const out: TextNode[] = [];
  const FENCE = '```';
  let pos = 0;
  for (;;) {
    const open = text.indexOf(FENCE, pos);
    const close = open === -1 ? -1 : text.indexOf(FENCE, open + FENCE.length + 1);
    stats.steps += (close === -1 ? text.length : close + FENCE.length) - pos;
    if (open === -1 || close === -1) {
      out.push(...parseInline(text.slice(pos), stats));
      return out;
    }
    out.push(...parseInline(text.slice(pos, open), stats));
    out.push({ kind: 'mono', text: text.slice(open + FENCE.length, close) });
    pos = close + FENCE.length;
  }
}

/** The plain text the nodes show (markers removed), e.g. for previews and tests. */
export function plainText(nodes: readonly TextNode[]): string {
  let out = '';
  const stack: TextNode[] = [...nodes].reverse();
  while (stack.length) {
    const node = stack.pop() as TextNode;
    if ('children' in node) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as TextNode);
    } else out += node.text;
  }
  return out;
}

export const FOLD_CHARS = 700;
export const FOLD_LINES = 12;
const FOLD_KEEP_CHARS = 500;
const FOLD_KEEP_LINES = 8;

/**
 * The start of a long message (WhatsApp's "Leer más"): null when it is short enough to show whole.
 * Cuts at a line or word boundary, never inside a surrogate pair.
 */
export function foldText(text: string): string | null {
  let lines = 1;
  let cutAtLine = -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\n') continue;
    lines++;
    if (lines === FOLD_KEEP_LINES + 1) cutAtLine = i;
    if (lines > FOLD_LINES) break;
  }
  if (text.length <= FOLD_CHARS && lines <= FOLD_LINES) return null;
  let cut: number;
  if (cutAtLine !== -1 && cutAtLine <= FOLD_KEEP_CHARS) cut = cutAtLine;
  else {
    cut = FOLD_KEEP_CHARS;
    const space = text.lastIndexOf(' ', cut);
    if (space > cut - 60 && space > 0) cut = space;
  }
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut).trimEnd()}…`;
}
