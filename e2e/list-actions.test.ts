import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The container list's row actions (a toast when each is done, restart among them), folded
 * stacks kept in the URL, and the phone layout's rows (name, state, an actions menu), in a
 * real browser against a real agent. Screenshots: e2e/screenshots/list-actions-*.png.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const net = freeTestSubnet();
const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-list-actions-'));
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

useE2e({}, (f) => ({ agent, browser, image } = f));

beforeAll(() => {
  writeFileSync(
    join(dir, 'compose.yaml'),
    `services:
  web:
    image: \${IMAGE}
    command: sleep 1d
    stop_grace_period: 1s
  db:
    image: \${IMAGE}
    command: sleep 1d
    stop_grace_period: 1s
networks:
  default:
    ipam:
      config:
        - subnet: ${net.subnet}
`,
  );
  const up = agent.cli(['compose', '-p', 'cafe', '-f', join(dir, 'compose.yaml'), 'up', '-d'], { env: { IMAGE: image } });
  expect(up.code, up.stderr).toBe(0);
  for (const name of ['row-a', 'row-b']) expect(agent.cli(['run', '-d', '--name', name, image, 'sleep', '1d']).code).toBe(0);
}, 120_000);

afterAll(() => {
  agent?.cli(['compose', '-p', 'cafe', '-f', join(dir, 'compose.yaml'), 'down']);
  agent?.cli(['rm', '-f', 'row-a', 'row-b']);
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

async function signedIn(viewport: { width: number; height: number }, errors: string[]): Promise<Page> {
  const page = await openPage(browser, errors, { viewport, ignore: (_t, url) => url.endsWith('/favicon.ico') });
  await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
  return page;
}

const startedAt = (name: string) => agent.cli(['inspect', '--format', '{{.State.StartedAt}}', name]).stdout.trim();
const stateOf = (name: string) => agent.cli(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
const toasts = (page: Page) => page.getByTestId('toast').allTextContents();

describe('container list row actions', () => {
  it('says in a toast when a row’s stop, start, restart and remove are done', async () => {
    const errors: string[] = [];
    const page = await signedIn(LAPTOP, errors);
    await page.goto(`${agent.url}/containers`);
    const row = page.getByTestId('row-row-a');
    await row.waitFor();
    await row.getByRole('button', { name: 'stop', exact: true }).click();
    await expect.poll(() => toasts(page), { timeout: 20_000 }).toContainEqual(expect.stringContaining('Stopped row-a'));
    expect(stateOf('row-a')).toBe('exited');
    await row.getByRole('button', { name: 'start', exact: true }).click();
    await expect.poll(() => toasts(page), { timeout: 20_000 }).toContainEqual(expect.stringContaining('Started row-a'));
    const before = startedAt('row-a');
    await row.getByRole('button', { name: 'restart', exact: true }).click();
    await expect.poll(() => toasts(page), { timeout: 20_000 }).toContainEqual(expect.stringContaining('Restarted row-a'));
    expect(startedAt('row-a')).not.toBe(before);
    await screenshot(page, 'list-actions-toasts-1280.png');
    await row.getByRole('button', { name: 'remove row-a' }).click();
    await confirmAction(page, 'Remove container row-a', { settled: true });
    await expect.poll(() => toasts(page), { timeout: 20_000 }).toContainEqual(expect.stringContaining('Removed row-a'));
    expect(agent.cli(['inspect', 'row-a']).code).not.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('keeps a folded stack folded through a reload and back', async () => {
    const errors: string[] = [];
    const page = await signedIn(LAPTOP, errors);
    await page.goto(`${agent.url}/containers?sort=name`);
    const fold = page.getByTestId('group-cafe').getByRole('button', { name: 'cafe' });
    await page.getByTestId('row-cafe-web-1').waitFor();
    await fold.click();
    expect(await fold.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).get('folded'))).toBe('cafe');
    await page.reload();
    await page.getByTestId('row-row-b').waitFor();
    expect(await fold.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByTestId('row-cafe-web-1').count()).toBe(0);
    await screenshot(page, 'list-actions-folded-1280.png');
    // to another page and back: still folded
    await page.goto(`${agent.url}/images`);
    await page.goBack();
    await page.getByTestId('row-row-b').waitFor();
    expect(await fold.getAttribute('aria-expanded')).toBe('false');
    await fold.click();
    await page.getByTestId('row-cafe-web-1').waitFor();
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).has('folded'))).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});

describe('container list on a phone', () => {
  it('shows each row’s name and state, and an actions menu that works by pointer and keyboard', async () => {
    const errors: string[] = [];
    const page = await signedIn(PHONE, errors);
    await page.goto(`${agent.url}/containers`);
    const row = page.getByTestId('row-row-b');
    await row.waitFor();
    // the state in words, under the name, on screen
    const state = row.getByTestId('phone-state');
    expect(await state.isVisible()).toBe(true);
    expect(await state.textContent()).toMatch(/^Up /);
    const onScreen = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth;
    };
    expect(await row.getByRole('link', { name: 'row-b' }).evaluate(onScreen)).toBe(true);
    expect(await state.evaluate(onScreen)).toBe(true);

    const menuButton = row.getByRole('button', { name: 'actions for row-b' });
    expect(await menuButton.evaluate(onScreen)).toBe(true);
    await menuButton.click();
    const menu = page.getByRole('menu', { name: 'actions for row-b' });
    await menu.waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['stop', 'restart', 'remove']);
    expect(await menu.evaluate(onScreen)).toBe(true);
    await screenshot(page, 'list-actions-phone-menu.png');
    // the keyboard: the first item has the focus, arrows move, Escape closes back onto the button
    expect(await menu.getByRole('menuitem', { name: 'stop' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await menu.getByRole('menuitem', { name: 'restart' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    expect(await menuButton.evaluate((el) => el === document.activeElement)).toBe(true);

    await menuButton.click();
    await menu.getByRole('menuitem', { name: 'stop', exact: true }).click();
    await expect.poll(() => toasts(page), { timeout: 20_000 }).toContainEqual(expect.stringContaining('Stopped row-b'));
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toMatch(/^Exited/);
    await menuButton.click();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['start', 'restart', 'remove']);
    await menu.getByRole('menuitem', { name: 'start', exact: true }).click();
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toMatch(/^Up /);
    await screenshot(page, 'list-actions-phone.png');
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
