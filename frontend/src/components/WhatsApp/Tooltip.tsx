/**
 * A small tooltip (shadcn style): shown while its trigger is hovered or has keyboard focus, closed
 * with Esc without moving focus (WCAG 1.4.13), hoverable itself, and linked to the trigger with
 * aria-describedby so screen readers read it.
 */
import { cloneElement, useEffect, useId, useState, type ReactElement } from 'react';

export interface TooltipProps {
  text: string;
  /** A focusable element; it gets aria-describedby. */
  children: ReactElement<{ 'aria-describedby'?: string }>;
  /** Which edge of the trigger the bubble lines up with. */
  align?: 'start' | 'end';
  className?: string;
}

export function Tooltip({ text, children, align = 'start', className = '' }: TooltipProps) {
  const id = useId();
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const open = (hovered || focused) && !dismissed;

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setDismissed(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <span
      className={`relative inline-flex ${className}`}
      onMouseEnter={() => {
        setHovered(true);
        setDismissed(false);
      }}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => {
        setFocused(true);
        setDismissed(false);
      }}
      onBlur={() => setFocused(false)}
    >
      {cloneElement(children, { 'aria-describedby': id })}
      <span
        id={id}
        role="tooltip"
        hidden={!open}
        className={`absolute bottom-full z-20 mb-1.5 w-max max-w-[min(16rem,80vw)] rounded-md bg-gray-900 px-2 py-1 text-left text-xs font-normal text-white shadow-lg ${
          align === 'end' ? 'right-0' : 'left-0'
        }`}
      >
        {text}
      </span>
    </span>
  );
}
