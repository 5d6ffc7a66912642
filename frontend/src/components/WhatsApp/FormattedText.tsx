/**
 * Renders WhatsApp-formatted text (see whatsappText.ts) as React elements: the text stays text,
 * links open in a new tab without giving it access to this page.
 */
import { Fragment, type ReactNode } from 'react';
import { parseWhatsAppText, type TextNode } from './whatsappText';

function render(nodes: readonly TextNode[]): ReactNode[] {
  return nodes.map((node, i) => {
    switch (node.kind) {
      case 'text':
        return <Fragment key={i}>{node.text}</Fragment>;
      case 'bold':
        return <strong key={i} className="font-semibold">{render(node.children)}</strong>;
      case 'italic':
        return <em key={i} className="italic">{render(node.children)}</em>;
      case 'strike':
        return <s key={i} className="line-through">{render(node.children)}</s>;
      case 'mono':
        return (
          <code key={i} className="rounded bg-black/5 px-1 font-mono text-[0.92em]">
            {node.text}
          </code>
        );
      case 'link':
        return (
          <a
            key={i}
            href={node.href}
            target="_blank"
            rel="noopener noreferrer"
            className="text-sky-800 underline underline-offset-2 [overflow-wrap:anywhere] hover:text-sky-950 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-700"
          >
            {node.text}
          </a>
        );
    }
  });
}

export function FormattedText({ text }: { text: string }) {
  return <>{render(parseWhatsAppText(text))}</>;
}
