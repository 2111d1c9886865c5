import type { ReactNode } from 'react';

/**
 * A box that scrolls sideways on a narrow screen (a wide table), reachable by the keyboard:
 * without a focusable element inside, Tab never lands in it and the arrows cannot scroll it
 * (axe's scrollable-region-focusable).
 */
export function ScrollRegion({ label, className, children, testId }: { label: string; className: string; children: ReactNode; testId?: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take the focus for the keyboard to scroll it (WCAG 2.1.1)
    <section className={`overflow-x-auto ${className}`} aria-label={label} tabIndex={0} data-testid={testId}>
      {children}
    </section>
  );
}
