import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { type A11yViolation, type A11yWhere, checkA11y, formatViolations } from './axe.js';
import { recordErrors, screenshot, signIn, useE2e } from './harness.js';

/**
 * Every dashboard page through axe-core (e2e/axe.ts) in light and dark, at a laptop's and a
 * phone's width: no serious or critical violation (contrast, names of controls and links,
 * landmarks), exactly one h1 and a skip-to-content link. A failure lists each violation
 * with its rule, element, page, mode and width. Screenshots: e2e/screenshots/a11y-*.png.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
/** a fresh agent whose setup form is still open */
let fresh: AgentHarness | undefined;
let setupToken = '';
const net = freeTestSubnet();
const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-a11y-'));
const STACK = 'a11yshop';
const WIDTHS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;
const MODES = ['light', 'dark'] as const;

useE2e({}, (f) => ({ agent, browser, image } = f));

beforeAll(async () => {
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
  // a published port (the list's port links), a volume, and a stored stack that runs
  const port = 21000 + Math.floor(Math.random() * 8000);
  const run = agent.cli(['run', '-d', '--name', 'a11y-web', '-p', `127.0.0.1:${port}:80`, '-v', 'a11y-data:/data', image, 'sleep', '1d']);
  expect(run.code, run.stderr).toBe(0);
  expect(agent.cli(['create', '--name', 'a11y-idle', image, 'true']).code).toBe(0);
  const composeFile = `services:
  web:
    image: ${image}
    command: sleep 1d
    stop_grace_period: 1s
networks:
  default:
    ipam:
      config:
        - subnet: ${net.subnet}
`;
  const saved = await fetch(`${agent.url}/trpc/stacks.save`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token('operate')}` },
    body: JSON.stringify({ name: STACK, composeFile, envFile: '', create: true }),
  });
  expect(saved.status, await saved.text()).toBe(200);
  writeFileSync(join(dir, 'compose.yaml'), composeFile);
  const up = agent.cli(['compose', '-p', STACK, '-f', join(dir, 'compose.yaml'), 'up', '-d']);
  expect(up.code, up.stderr).toBe(0);
  fresh = await AgentHarness.create([], { adminPassword: null });
  setupToken = /setup\?token=([\w-]+)/.exec(fresh.output)?.[1] ?? '';
}, 180_000);

afterAll(async () => {
  agent?.cli(['compose', '-p', STACK, '-f', join(dir, 'compose.yaml'), 'down']);
  agent?.cli(['rm', '-f', 'a11y-web', 'a11y-idle']);
  await fresh?.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

interface Visit {
  name: string;
  path: string;
  /** what shows once the page has its data (default: the page's h1) */
  ready?: (page: Page) => Locator;
  /** what to open once it is ready (a form, a dialog) */
  open?: (page: Page) => Promise<void>;
}

const h1 = (page: Page) => page.locator('main h1');
const tab = (t: string) => (page: Page) => page.locator(`[role=tab][aria-selected=true]:text-is("${t}")`);

/** the signed-in pages, each with a view that has content (a container per tab, a stack, an image) */
function signedInPages(): Visit[] {
  const tabs = ['overview', 'logs', 'terminal', 'stats', 'top', 'inspect'];
  return [
    { name: 'home', path: '/', ready: (p) => p.getByTestId('running-count') },
    { name: 'containers', path: '/containers', ready: (p) => p.getByTestId('row-a11y-web') },
    {
      name: 'run-form',
      path: '/containers',
      ready: (p) => p.getByRole('button', { name: 'Run a container' }),
      open: async (p) => {
        await p.getByRole('button', { name: 'Run a container' }).click();
        await p.getByLabel('image').fill('no such image!'); // a field marked invalid, with its message
      },
    },
    {
      name: 'remove-dialog',
      path: '/containers',
      ready: (p) => p.getByTestId('row-a11y-idle'),
      open: async (p) => {
        const row = p.getByTestId('row-a11y-idle');
        const remove = row.getByRole('button', { name: 'remove a11y-idle' });
        // a phone has the menu instead of the buttons
        if (await remove.isVisible()) await remove.click();
        else {
          await row.getByRole('button', { name: 'actions for a11y-idle' }).click();
          await p.getByRole('menuitem', { name: 'remove' }).click();
        }
        await p.getByRole('alertdialog').waitFor();
      },
    },
    ...tabs.map((t) => ({ name: `container-${t}`, path: `/containers/a11y-web?tab=${t}`, ready: tab(t) })),
    { name: 'images', path: '/images', ready: (p) => p.locator('main table tbody tr, main [data-testid^=image-]').first() },
    { name: 'image', path: `/images/view?ref=${encodeURIComponent(image)}` },
    { name: 'networks', path: '/networks', ready: (p) => p.getByTestId('network-bridge') },
    { name: 'volumes', path: '/volumes', ready: (p) => p.getByText('a11y-data').first() },
    { name: 'stacks', path: '/stacks', ready: (p) => p.getByRole('link', { name: STACK }).first() },
    { name: 'stack', path: `/stacks/${STACK}`, ready: (p) => p.getByTestId('stack-state') },
    { name: 'new-stack', path: '/stacks/new' },
    { name: 'build', path: '/build' },
    { name: 'users', path: '/users', ready: (p) => p.locator('main table tbody tr').first() },
    { name: 'audit', path: '/audit', ready: (p) => p.locator('main table tbody tr').first() },
    { name: 'registries', path: '/registries' },
  ];
}

/** visits each page, checks it and takes its screenshot; the violations of all of them */
async function checkPages(page: Page, base: string, visits: Visit[], where: Omit<A11yWhere, 'page'>): Promise<A11yViolation[]> {
  const found: A11yViolation[] = [];
  for (const v of visits) {
    await page.goto(`${base}${v.path}`);
    await (v.ready ?? h1)(page).first().waitFor({ timeout: 20_000 });
    await v.open?.(page);
    // the queries after the first (usage, sizes) land
    await page.waitForTimeout(400);
    found.push(...(await checkA11y(page, { ...where, page: v.name })));
    await screenshot(page, `a11y-${v.name}-${where.mode}-${where.width}.png`);
  }
  return found;
}

async function context(mode: 'light' | 'dark', viewport: { width: number; height: number }): Promise<BrowserContext> {
  return browser.newContext({ viewport, colorScheme: mode });
}

describe('accessibility (axe-core)', () => {
  for (const mode of MODES) {
    for (const viewport of WIDTHS) {
      it(`has no serious or critical violation on any page in ${mode} at ${viewport.width} px`, async () => {
        const errors: string[] = [];
        const where = { mode, width: viewport.width };
        const found: A11yViolation[] = [];

        // signed out: the sign-in page and a spent setup link; a fresh agent's setup form
        const out = await context(mode, viewport);
        const signedOut = await out.newPage();
        found.push(...(await checkPages(signedOut, agent.url, [{ name: 'login', path: '/login' }], where)));
        found.push(
          ...(await checkPages(signedOut, agent.url, [{ name: 'setup-used', path: '/setup?token=spent', ready: (p) => p.getByTestId('setup-used') }], where)),
        );
        found.push(
          ...(await checkPages(signedOut, fresh!.url, [{ name: 'setup', path: `/setup?token=${setupToken}`, ready: (p) => p.getByLabel('Password') }], where)),
        );
        await out.close();

        const ctx = await context(mode, viewport);
        const page = await ctx.newPage();
        // the signed-out page's 401 (how it learns it is signed out) is forgotten by signIn
        recordErrors(page, errors, (_t, url) => url.endsWith('/favicon.ico'));
        await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
        found.push(...(await checkPages(page, agent.url, signedInPages(), where)));
        if (viewport.width < 768) {
          // the folded nav, opened
          await page.goto(`${agent.url}/`);
          await page.getByRole('button', { name: /menu/i }).click();
          await page.getByRole('link', { name: 'Volumes' }).waitFor();
          found.push(...(await checkA11y(page, { ...where, page: 'home (menu open)' })));
          await screenshot(page, `a11y-menu-${mode}-${viewport.width}.png`);
        }
        await ctx.close();
        expect(formatViolations(found), 'accessibility violations').toEqual([]);
        expect(errors).toEqual([]);
      }, 300_000);
    }
  }

  it('lets the keyboard skip the nav, and describes the home page’s stat links by what they count', async () => {
    const ctx = await context('light', WIDTHS[0]);
    const page = await ctx.newPage();
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    // a fresh load: the focus starts at the top of the document
    await page.goto(`${agent.url}/`);
    await page.getByTestId('running-count').waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    // shown while focused, at the top of the page
    expect(await skip.evaluate((el) => el.getBoundingClientRect().width > 20 && el.getBoundingClientRect().top < 40)).toBe(true);
    await screenshot(page, 'a11y-skip-link.png');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // the next Tab lands in the page, past the nav
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);
    // each count's link is described by its card's label
    const stats = await page
      .locator('main a[aria-describedby]')
      .evaluateAll((links) => links.map((a) => [a.textContent, document.getElementById(a.getAttribute('aria-describedby')!)?.textContent]));
    expect(stats.map(([, label]) => label)).toEqual(['Running', 'Stopped', 'Images', 'Volumes · networks']);
    expect(stats.every(([text]) => /\d/.test(text ?? ''))).toBe(true);
    await ctx.close();
  }, 60_000);

  it('names the rule, the element, the page, the mode and the width of a violation', async () => {
    const ctx = await context('dark', WIDTHS[1]);
    const page = await ctx.newPage();
    await page.goto(`${agent.url}/login`);
    await h1(page).waitFor();
    // an icon button without a name and grey on grey text: what the checks are there to catch
    await page.evaluate(() => {
      const b = document.createElement('button');
      b.id = 'nameless';
      b.innerHTML = '<svg width="10" height="10"></svg>';
      const p = document.createElement('p');
      p.id = 'faint';
      p.textContent = 'hard to read';
      p.style.cssText = 'color:#777;background:#666';
      document.querySelector('main')!.append(b, p);
    });
    const lines = formatViolations(await checkA11y(page, { page: 'login', mode: 'dark', width: 390 }));
    expect(lines).toContainEqual(expect.stringMatching(/^button-name \(critical\) #nameless on login \[dark, 390 px\]: /));
    expect(lines).toContainEqual(expect.stringMatching(/^color-contrast \(serious\) #faint on login \[dark, 390 px\]: .*contrast/));
    await ctx.close();
  }, 60_000);
});
