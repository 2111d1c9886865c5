import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { composeOnSubnet, mainPages, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The run form, the container list (columns, sorting, compose groups), the phone layout and
 * the state kept in URLs and titles, in a real browser against a real agent running a real
 * compose stack. Screenshots land in e2e/screenshots/ (lists-*.png).
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const net = freeTestSubnet();
const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-lists-'));
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

useE2e({}, (f) => ({ agent, browser, image } = f));

afterAll(() => {
  agent?.cli(['compose', '-p', 'shop', '-f', join(dir, 'compose.yaml'), 'down']);
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

async function signedIn(viewport: { width: number; height: number }, errors: string[] = []): Promise<Page> {
  const page = await openPage(browser, errors, { viewport });
  await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
  return page;
}

/** the containers the list tests look at: a compose stack (shop: web, db) and two of their own */
function makeContainers(): void {
  writeFileSync(
    join(dir, 'compose.yaml'),
    composeOnSubnet(
      `  web:
    image: \${IMAGE}
    command: sleep 600
    stop_grace_period: 1s
  db:
    image: \${IMAGE}
    command: sleep 600
    stop_grace_period: 1s
`,
      net.subnet,
    ),
  );
  const up = agent.cli(['compose', '-p', 'shop', '-f', join(dir, 'compose.yaml'), 'up', '-d'], { env: { IMAGE: image } });
  expect(up.code, up.stderr).toBe(0);
  expect(agent.cli(['run', '-d', '--name', 'alpha', image, 'sleep', '600']).code).toBe(0);
  // created a second later than the rest, so "newest first" has one answer
  execFileSync('sleep', ['1.1']);
  expect(agent.cli(['create', '--name', 'zed', image, 'true']).code).toBe(0);
}

/** names of the rendered container rows, top to bottom, and the group rows as [project] */
const rowOrder = (page: Page) =>
  page.locator('[data-testid="container-rows"] tbody tr[data-testid]').evaluateAll((rows) =>
    rows.map((r) =>
      r
        .getAttribute('data-testid')!
        .replace(/^row-/, '')
        .replace(/^group-(.*)$/, '[$1]'),
    ),
  );

/** every visible header cell against the same column's cell in the first container row: [column, Δleft, Δright] */
const misalignment = (page: Page) =>
  page.evaluate(() => {
    const table = document.querySelector('[data-testid="container-rows"] table')!;
    const heads = [...table.querySelectorAll('thead th')] as HTMLTableCellElement[];
    const row = table.querySelector('tbody tr[data-testid^="row-"]') as HTMLTableRowElement;
    return heads
      .map((th, i) => [th, row.cells[i]!] as const)
      .filter(([th]) => th.getBoundingClientRect().width > 0)
      .map(([th, td]) => {
        const a = th.getBoundingClientRect();
        const b = td.getBoundingClientRect();
        return [th.dataset.column ?? String(th.cellIndex), Math.round(b.left - a.left), Math.round(b.right - a.right)] as const;
      });
  });

/** the page's search parameters as the page has them (page.url() learns of history.replaceState a moment later) */
const search = (page: Page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));

const sideways = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);

describe('run form', () => {
  it('shows the env value, marks bad fields, keeps bad values out of the preview, and confirms and resets after Run', async () => {
    const errors: string[] = [];
    const page = await signedIn(LAPTOP, errors);
    await page.goto(`${agent.url}/containers`);
    await page.getByRole('button', { name: 'Run a container' }).click();
    await page.getByLabel('env key 1').fill('GREETING');
    await page.getByLabel('env value 1').fill('hello there');
    // the value box takes the room left (it was 18 px)
    const valueWidth = await page.getByLabel('env value 1').evaluate((el) => el.getBoundingClientRect().width);
    const keyWidth = await page.getByLabel('env key 1').evaluate((el) => el.getBoundingClientRect().width);
    expect(valueWidth).toBeGreaterThan(200);
    expect(valueWidth).toBeGreaterThan(keyWidth);

    await page.getByLabel('image').fill(image);
    await page.getByLabel('memory').fill('abc');
    const memory = page.getByLabel('memory');
    expect(await memory.getAttribute('aria-invalid')).toBe('true');
    const describedBy = await memory.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/memory is a size like 256m/);
    // red, where a valid field's border is grey
    const border = (label: string) => page.getByLabel(label).evaluate((el) => getComputedStyle(el).borderTopColor);
    expect(await border('memory')).not.toBe(await border('cpus'));
    const preview = page.getByTestId('run-command-line');
    expect(await preview.textContent()).not.toContain('-m abc');
    expect(await preview.textContent()).toMatch(/memory is a size/);
    await screenshot(page, 'lists-run-form-invalid-1280.png');
    // Run with a bad field sends nothing and puts the focus on it
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    expect(await memory.evaluate((el) => el === document.activeElement)).toBe(true);
    await memory.fill('64m');
    expect(await memory.getAttribute('aria-invalid')).toBeNull();
    expect(await preview.textContent()).toContain('-m 64m');

    await page.getByLabel('name').fill('from-form');
    await page.getByLabel('command').fill('sleep 600');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const done = page.getByTestId('run-started');
    await expect.poll(() => done.textContent(), { timeout: 30_000 }).toMatch(/Started from-form/);
    // a fresh form for the next one
    expect(await page.getByLabel('image').inputValue()).toBe('');
    expect(await page.getByLabel('name').inputValue()).toBe('');
    expect(await page.getByLabel('memory').inputValue()).toBe('');
    expect(await page.getByLabel('env key 1').inputValue()).toBe('');
    expect(await page.getByLabel('env value 1').inputValue()).toBe('');
    await screenshot(page, 'lists-run-form-done-1280.png');
    await done.getByRole('link', { name: 'from-form' }).click();
    await page.waitForURL(/\/containers\/[0-9a-f]{64}$/);
    await page.getByTestId('state').waitFor();
    expect(agent.cli(['inspect', '--format', '{{.HostConfig.Memory}}', 'from-form']).stdout.trim()).toBe(String(64 * 1024 * 1024));
    agent.cli(['rm', '-f', 'from-form']);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('container list', () => {
  it('lines the headers up with their columns, sorts by header, groups a compose stack, and shows IP, created and project', async () => {
    makeContainers();
    const ip = agent.cli(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'alpha']).stdout.trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const errors: string[] = [];
    const page = await signedIn(LAPTOP, errors);
    await page.goto(`${agent.url}/containers`);
    await page.getByTestId('row-alpha').waitFor();

    // one table: each header cell spans exactly its column, the action column showing
    for (const viewport of [LAPTOP, { width: 768, height: 900 }, PHONE]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(200);
      const off = await misalignment(page);
      expect(off.length).toBeGreaterThanOrEqual(3); // a phone keeps select, name and buttons
      expect(
        off.map(([, l, r]) => Math.max(Math.abs(l), Math.abs(r))),
        JSON.stringify(off),
      ).toEqual(off.map(() => 0));
      expect(off.map(([c]) => c)).toContain('actions');
      await screenshot(page, `lists-containers-${viewport.width}.png`);
    }
    await page.setViewportSize(LAPTOP);

    const alpha = page.getByTestId('row-alpha');
    expect(await alpha.locator('[data-column="ip"]').textContent()).toBe(ip);
    expect(await alpha.locator('[data-column="created"]').textContent()).toMatch(/ago|now/);
    expect(await page.getByTestId('row-shop-web-1').locator('[data-column="project"]').textContent()).toBe('shop');

    // grouped under the project, where "shop" sorts by name, and folding
    expect(await rowOrder(page)).toEqual(['alpha', '[shop]', 'shop-db-1', 'shop-web-1', 'zed']);
    const fold = page.getByTestId('group-shop').getByRole('button', { name: 'shop' });
    expect(await fold.getAttribute('aria-expanded')).toBe('true');
    expect(await page.getByTestId('group-shop').textContent()).toContain('2/2 running');
    await fold.click();
    expect(await fold.getAttribute('aria-expanded')).toBe('false');
    expect(await rowOrder(page)).toEqual(['alpha', '[shop]', 'zed']);
    await fold.click();
    // the group's checkbox selects its containers for the bulk toolbar
    await page.getByLabel('select stack shop').check();
    expect(await page.getByTestId('selected-count').textContent()).toBe('2 selected');
    expect(await page.getByLabel('select shop-web-1').isChecked()).toBe(true);
    await page.getByLabel('select stack shop').uncheck();
    expect(await page.getByTestId('selected-count').count()).toBe(0);

    // sorting by header, aria-sort saying how
    const header = (name: string) => page.locator('thead th').filter({ has: page.getByRole('button', { name, exact: true }) });
    expect(await header('Name').getAttribute('aria-sort')).toBe('ascending');
    await header('Name').getByRole('button').click();
    expect(await header('Name').getAttribute('aria-sort')).toBe('descending');
    expect(await rowOrder(page)).toEqual(['zed', '[shop]', 'shop-web-1', 'shop-db-1', 'alpha']);
    await header('State').getByRole('button').click();
    expect(await header('State').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('Name').getAttribute('aria-sort')).toBe('none');
    expect((await rowOrder(page)).at(-1)).toBe('zed'); // created, not running: last
    await header('Created').getByRole('button').click(); // newest first
    expect(await header('Created').getAttribute('aria-sort')).toBe('descending');
    expect((await rowOrder(page))[0]).toBe('zed');
    await header('IP').getByRole('button').click();
    expect((await rowOrder(page)).at(-1)).toBe('zed'); // no address
    await header('Image').getByRole('button').click();
    expect(await header('Image').getAttribute('aria-sort')).toBe('ascending');
    // the sort is in the URL
    await header('Created').getByRole('button').click();
    expect(await search(page)).toMatchObject({ sort: '-created' });
    await page.reload();
    await page.getByTestId('row-alpha').waitFor();
    expect(await header('Created').getAttribute('aria-sort')).toBe('descending');
    await screenshot(page, 'lists-containers-sorted-1280.png');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});

describe('state in the URL and titles', () => {
  it('keeps filters, tabs and log options through reload and back, and titles every page', async () => {
    const errors: string[] = [];
    const page = await signedIn(LAPTOP, errors);
    await page.goto(`${agent.url}/containers`);
    await expect.poll(() => page.title()).toBe('Containers · Skiff');
    await page.getByRole('button', { name: /^running/ }).click();
    await page.getByLabel('search').fill('shop');
    await expect.poll(() => page.getByTestId('shown-count').textContent()).toMatch(/^2 of/);
    expect(await search(page)).toEqual({ state: 'running', q: 'shop' });
    await page.reload();
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 10_000 }).toMatch(/^2 of/);
    expect(await page.getByLabel('search').inputValue()).toBe('shop');
    expect(await page.getByRole('button', { name: /^running/ }).getAttribute('aria-pressed')).toBe('true');

    // a container's page: its name in the title, the tab and the log options in the URL
    await page.getByTestId('row-shop-web-1').getByRole('link', { name: 'shop-web-1' }).click();
    await page.waitForURL(/\/containers\/[0-9a-f]{64}$/);
    await expect.poll(() => page.title()).toBe('shop-web-1 · Containers · Skiff');
    await page.getByRole('tab', { name: 'logs' }).click();
    await page.getByLabel('tail').selectOption('1000');
    await page.getByLabel('timestamps').check();
    await page.getByLabel('search logs').fill('sleep');
    expect(await search(page)).toEqual({ tab: 'logs', tail: '1000', ts: '1', grep: 'sleep' });
    await page.reload();
    await page.getByTestId('logs').waitFor();
    expect(await page.getByRole('tab', { name: 'logs' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByLabel('tail').inputValue()).toBe('1000');
    expect(await page.getByLabel('timestamps').isChecked()).toBe(true);
    expect(await page.getByLabel('search logs').inputValue()).toBe('sleep');
    await page.getByRole('tab', { name: 'inspect' }).click();
    await page.getByTestId('inspect').waitFor();
    // back: the tab before, then the filtered list
    await page.goBack();
    await page.getByTestId('logs').waitFor();
    expect(await page.getByRole('tab', { name: 'logs' }).getAttribute('aria-selected')).toBe('true');
    await page.goBack();
    await page.goBack();
    await page.waitForURL(/\/containers\?/);
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 10_000 }).toMatch(/^2 of/);
    expect(await page.getByLabel('search').inputValue()).toBe('shop');

    const titles: [string, string][] = [
      ['/', 'Home · Skiff'],
      ['/images', 'Images · Skiff'],
      ['/volumes', 'Volumes · Skiff'],
      ['/networks', 'Networks · Skiff'],
      ['/stacks', 'Stacks · Skiff'],
      ['/stacks/shop', 'shop · Stacks · Skiff'],
      ['/users', 'Users · Skiff'],
      ['/audit', 'Audit log · Skiff'],
      ['/registries', 'Registries · Skiff'],
      ['/build', 'Build · Skiff'],
    ];
    for (const [path, title] of titles) {
      await page.goto(`${agent.url}${path}`);
      await expect.poll(() => page.title(), { message: path }).toBe(title);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('phone width', () => {
  it('folds the nav into a menu and scrolls no page sideways at 390 px (screenshots lists-phone-*.png)', async () => {
    const errors: string[] = [];
    const page = await signedIn(PHONE, errors);
    // the nav: a menu button instead of three rows of links
    const menu = page.getByRole('button', { name: /menu/i });
    await menu.waitFor();
    expect(await page.getByRole('link', { name: 'Volumes' }).isVisible()).toBe(false);
    const navHeight = await page.locator('header').evaluate((el) => el.getBoundingClientRect().height);
    expect(navHeight).toBeLessThan(70);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'lists-phone-menu.png');
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.waitForURL(/\/volumes$/);
    expect(await page.getByRole('link', { name: 'Images' }).isVisible()).toBe(false); // closed again

    const id = agent.cli(['inspect', '--format', '{{.Id}}', 'shop-web-1']).stdout.trim();
    const pages = mainPages(id, [
      ['stacks', '/stacks'],
      ['stack', '/stacks/shop'],
      ['build', '/build'],
    ]);
    const overflowing: string[] = [];
    for (const [name, path] of pages) {
      await page.goto(`${agent.url}${path}`);
      await page.locator('main h1, main [data-testid]').first().waitFor();
      await page.waitForTimeout(500); // the first data lands
      await screenshot(page, `lists-phone-${name}.png`);
      const by = await sideways(page);
      if (by > 0) overflowing.push(`${name} by ${by}px`);
    }
    expect(overflowing, 'pages that scroll sideways at 390 px').toEqual([]);

    // the container rows' actions menu stays on screen (the table scrolls under it), as do the image rows' buttons
    await page.goto(`${agent.url}/containers`);
    await page.getByTestId('row-alpha').waitFor();
    const actions = page.getByTestId('row-alpha').getByRole('button', { name: 'actions for alpha' });
    expect(await actions.evaluate((b) => b.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
    await actions.click();
    await page.getByRole('menu', { name: 'actions for alpha' }).getByRole('menuitem', { name: 'stop' }).click();
    await expect.poll(() => page.getByTestId('row-alpha').textContent(), { timeout: 15_000 }).toMatch(/Exited/);
    await page.goto(`${agent.url}/images`);
    await page.getByRole('button', { name: 'remove' }).first().waitFor();
    const offscreen = await page
      .locator('main button')
      .evaluateAll((buttons) =>
        buttons.filter((b) => b.getBoundingClientRect().width > 0 && b.getBoundingClientRect().right > window.innerWidth).map((b) => b.textContent),
      );
    expect(offscreen).toEqual([]);

    // the container overview: no text runs over its neighbour
    await page.goto(`${agent.url}/containers/${id}`);
    await page.getByTestId('state').waitFor();
    const overlaps = await page
      .locator('main dd, main dt')
      .evaluateAll((els) =>
        els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth).map((e) => e.textContent),
      );
    expect(overlaps).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
