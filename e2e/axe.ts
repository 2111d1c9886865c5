import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Accessibility checks for the e2e suites: axe-core's rules (WCAG 2.1 A/AA and its best
 * practices) run inside the page, plus two the dashboard promises that axe rates as less than
 * serious (exactly one h1; a skip-to-content link first in the tab order). axe-core is
 * injected by evaluating its source: @axe-core/playwright needs Node 22, and an added
 * <script> tag would break the agent's CSP (script-src 'self' plus hashes).
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** the impacts that fail a page; axe's "minor" and "moderate" are reported by its own tools only */
const FAILING = new Set(['serious', 'critical']);
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** where a page was checked: its name in reports, the colour scheme and the viewport width */
export interface A11yWhere {
  page: string;
  mode: 'light' | 'dark';
  width: number;
}

export interface A11yViolation extends A11yWhere {
  rule: string;
  impact: string;
  /** a CSS selector of the offending element */
  target: string;
  /** axe's one-line summary of what is wrong with it (the contrast ratio, the missing name) */
  summary: string;
}

interface RawViolation {
  rule: string;
  impact: string;
  nodes: { target: string; summary: string }[];
}

/**
 * The serious and critical accessibility violations of what `page` shows now, one per
 * offending element. Wait for the page's content before calling: axe checks what is there.
 */
export async function checkA11y(page: Page, where: A11yWhere): Promise<A11yViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const raw = await page.evaluate(async (tags): Promise<RawViolation[]> => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is a global the evaluated source defined
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    const found: RawViolation[] = result.violations.map((v: { id: string; impact: string; nodes: { target: string[]; failureSummary?: string }[] }) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })),
    }));
    // the dashboard's own promises, which axe calls moderate
    const h1s = document.querySelectorAll('h1').length;
    if (h1s !== 1) found.push({ rule: 'one-h1', impact: 'serious', nodes: [{ target: 'h1', summary: `the page has ${h1s} h1 elements, not one` }] });
    const first = document.querySelector('body a[href], body button, body input, body select, body textarea, body [tabindex]');
    const href = first?.getAttribute('href') ?? '';
    const skipOk = first?.tagName === 'A' && href.startsWith('#') && !!document.getElementById(href.slice(1));
    if (!skipOk)
      found.push({
        rule: 'skip-link',
        impact: 'serious',
        nodes: [{ target: first?.outerHTML.slice(0, 80) ?? 'body', summary: 'the first focusable element is not a link to the main content' }],
      });
    return found;
  }, TAGS);
  return raw
    .filter((v) => FAILING.has(v.impact))
    .flatMap((v) => v.nodes.map((n) => ({ ...where, rule: v.rule, impact: v.impact, target: n.target, summary: n.summary })));
}

/** one line per violation, to read in a failed test: rule, target, page, mode, width and what is wrong */
export function formatViolations(violations: readonly A11yViolation[]): string[] {
  return violations.map((v) => `${v.rule} (${v.impact}) ${v.target} on ${v.page} [${v.mode}, ${v.width} px]: ${v.summary}`);
}
