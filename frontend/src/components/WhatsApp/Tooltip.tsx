/**
 * A small CSS-only tooltip (shadcn style): shown on hover and on keyboard focus
 * of its trigger, and linked to it with aria-describedby so screen readers read it.
 */
import { cloneElement, useId, type ReactElement } from 'react';

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
  return (
    <span className={`group/tooltip relative inline-flex ${className}`}>
      {cloneElement(children, { 'aria-describedby': id })}
      <span
        id={id}
        role="tooltip"
        className={`pointer-events-none absolute bottom-full z-20 mb-1.5 hidden w-max max-w-[min(16rem,80vw)] rounded-md bg-gray-900 px-2 py-1 text-left text-xs font-normal text-white shadow-lg group-hover/tooltip:block group-focus-within/tooltip:block ${
          align === 'end' ? 'right-0' : 'left-0'
        }`}
      >
        {text}
      </span>
    </span>
  );
}
