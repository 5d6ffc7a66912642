import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FormattedText } from './FormattedText';
import { foldText, parseWhatsAppText, plainText, type ParseStats, type TextNode } from './whatsappText';

/** A compact rendering of the tree: *b*, _i_, ~s~, `m`, [link]. */
function show(nodes: readonly TextNode[]): string {
  return nodes
    .map((n) => {
      switch (n.kind) {
        case 'text':
          return n.text;
        case 'bold':
          return `<b>${show(n.children)}</b>`;
        case 'italic':
          return `<i>${show(n.children)}</i>`;
        case 'strike':
          return `<s>${show(n.children)}</s>`;
        case 'mono':
          return `<code>${n.text}</code>`;
        case 'link':
          return `<a ${n.href}>`;
      }
    })
    .join('');
}

const parse = (text: string) => show(parseWhatsAppText(text));

describe('parseWhatsAppText', () => {
  it.each([
    ['*negrita*', '<b>negrita</b>'],
    ['_cursiva_ y ~tachado~', '<i>cursiva</i> y <s>tachado</s>'],
    ['el *total* es $85.000', 'el <b>total</b> es $85.000'],
    ['*_negrita y cursiva_*', '<b><i>negrita y cursiva</i></b>'],
    ['```const a = *b*;```', '<code>const a = *b*;</code>'],
    ['a ```x``` b ```y``` c', 'a <code>x</code> b <code>y</code> c'],
    ['(*ojo*)', '(<b>ojo</b>)'],
  ])('formats %j', (input, expected) => {
    expect(parse(input)).toBe(expected);
  });

  it.each([
    ['2*3*4', 'markers inside words'],
    ['snake_case_name', 'underscores inside a word'],
    ['* no *', 'spaces just inside the markers'],
    ['**', 'nothing between'],
    ['*una\notra*', 'across a line break'],
    ['```sin cerrar', 'an unclosed fence'],
    ['*~cruzado*~', 'crossed markers stay literal inside'],
  ])('leaves %j alone (%s)', (input) => {
    expect(plainText(parseWhatsAppText(input))).toBe(input.replace('*~cruzado*~', '~cruzado~'));
  });

  it('links http and https only, trimming sentence punctuation, and ignores markers inside links', () => {
    expect(parse('Mirá https://fastservice.com.ar/orden_12_ok.')).toBe('Mirá <a https://fastservice.com.ar/orden_12_ok>.');
    expect(parse('(ver http://x.ar/a)')).toBe('(ver <a http://x.ar/a>)');
    expect(parse('*https://x.ar/p*')).toBe('<b><a https://x.ar/p></b>');
    expect(parse('javascript:alert(1) ftp://x.ar data:text/html,hola www.x.ar')).toBe(
      'javascript:alert(1) ftp://x.ar data:text/html,hola www.x.ar',
    );
  });

  it.each([
    ['openers only', '*a '.repeat(20_000)],
    ['alternating markers', '*_~'.repeat(20_000)],
    ['nested openers', '*_~a'.repeat(15_000) + '~_*'],
    ['closers only', 'a* '.repeat(20_000)],
    ['fences', '```'.repeat(10_000) + 'x'],
    ['url-like', 'http://'.repeat(5_000) + 'https:/'.repeat(5_000)],
    ['one long line', 'x'.repeat(60_000)],
  ])('does work linear in the text on adversarial input (%s)', (_name, big) => {
    const small = big.slice(0, big.length / 10);
    const work = (text: string) => {
      const stats: ParseStats = { steps: 0 };
      const nodes = parseWhatsAppText(text, stats);
      expect(plainText(nodes).length).toBeLessThanOrEqual(text.length); // nothing invented
      return stats.steps;
    };
    const few = work(small);
    const many = work(big);
    expect(many).toBeLessThanOrEqual(8 * big.length);
    // ten times the text, about ten times the work (a quadratic parser would do ~100×)
    expect(many / few).toBeLessThan(12);
  });
});

describe('FormattedText', () => {
  it('renders elements, never markup from the text, and safe links', () => {
    const { container } = render(
      <p>
        <FormattedText text={'*hola* <img src=x onerror=alert(1)> https://x.ar/a ```<b>no</b>```'} />
      </p>,
    );
    expect(container.querySelector('strong')).toHaveTextContent('hola');
    expect(container.querySelector('img')).toBeNull();
    expect(container).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(container.querySelector('code')).toHaveTextContent('<b>no</b>');
    const link = screen.getByRole('link', { name: 'https://x.ar/a' });
    expect(link).toHaveAttribute('href', 'https://x.ar/a');
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  });
});

describe('foldText', () => {
  it('keeps short messages whole and folds long ones at a word or line boundary', () => {
    expect(foldText('corto')).toBeNull();
    const long = 'palabra '.repeat(200);
    const folded = foldText(long) as string;
    expect(folded.length).toBeLessThanOrEqual(501);
    expect(folded.endsWith('palabra…')).toBe(true);
    const lines = Array.from({ length: 20 }, (_, i) => `línea ${i}`).join('\n');
    expect(foldText(lines)).toBe(`${Array.from({ length: 8 }, (_, i) => `línea ${i}`).join('\n')}…`);
  });

  it('never cuts an emoji in half', () => {
    const text = 'a'.repeat(499) + '😀'.repeat(300);
    const folded = foldText(text) as string;
    expect(folded).not.toMatch(/[\uD800-\uDBFF]…$/);
  });
});
