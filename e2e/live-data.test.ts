import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { isHostNetworkChange } from './browser-noise.js';
import { confirmAction } from './harness.js';

/**
 * The dashboard's data layer in a real browser against a real agent: what one tab changes
 * shows in another without a reload (the runtime's event stream invalidates the cached
 * queries, apps/web/trpc/live-events.tsx), and a refused input is shown by the fields the
 * agent names (its error data), not as the JSON of its message.
 */
let agent: AgentHarness;
let browser: Browser;
const net = freeTestSubnet();
const NET = 'live-net';

beforeAll(async () => {
  agent = await AgentHarness.create([]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (agent) {
    agent.cli(['network', 'rm', NET]);
    await agent.dispose();
  }
}, 60_000);

/** a tab that records page and console errors (a status the test provokes on purpose excepted) and accepts confirm() */
async function tab(context: BrowserContext, errors: string[], provoked: number[] = []): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${e.message} ${e.stack}`));
  page.on('console', (m) => {
    const status = Number(/status of (\d+)/.exec(m.text())?.[1]);
    if (m.type() === 'error' && !isHostNetworkChange(m.text()) && !provoked.includes(status) && !m.location().url.endsWith('/favicon.ico'))
      errors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  return page;
}

/** signs the browser context in (its tabs share the cookie) */
async function signIn(page: Page, username = 'admin', password = AgentHarness.ADMIN_PASSWORD): Promise<void> {
  await page.goto(`${agent.url}/login`);
  await page.getByLabel('username').fill(username);
  await page.getByLabel('password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${agent.url}/`);
  await page.getByTestId('whoami').waitFor();
}

const networkOptions = (page: Page) => page.getByLabel('network', { exact: true }).locator('option').allTextContents();

describe('live data', () => {
  it('updates an open run form in one tab when another tab creates and removes a network', async () => {
    const context = await browser.newContext();
    const errors: string[] = [];
    const a = await tab(context, errors);
    await signIn(a);
    await a.getByRole('link', { name: 'Containers' }).click();
    await a.getByRole('button', { name: 'Run a container' }).click();
    await expect.poll(() => networkOptions(a)).toContain('bridge (default)');
    expect(await networkOptions(a)).not.toContain(NET);
    await a.getByLabel('image').fill('kept:latest');

    const b = await tab(context, errors);
    await b.goto(`${agent.url}/networks`);
    await b.getByLabel('network name').fill(NET);
    await b.getByLabel('subnet').fill(net.subnet);
    await b.getByRole('button', { name: 'Create' }).click();
    await b.getByTestId(`network-${NET}`).waitFor();

    // tab A was not touched: the network event refetched its list
    await expect.poll(() => networkOptions(a), { timeout: 10_000 }).toContain(NET);
    await b.getByTestId(`network-${NET}`).getByRole('button', { name: 'remove' }).click();
    await confirmAction(b, `Remove network ${NET}`);
    await expect.poll(() => networkOptions(a), { timeout: 10_000 }).not.toContain(NET);
    // the form kept what was typed meanwhile: a refetch, not a remount
    expect(await a.getByLabel('image').inputValue()).toBe('kept:latest');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('shows what the CLI changes without a reload: home’s disk use and the audit log', async () => {
    const context = await browser.newContext();
    const errors: string[] = [];
    const home = await tab(context, errors);
    await signIn(home);
    const volumesUsed = home.getByTestId('disk').locator('dt:text-is("Volumes") + dd');
    await expect.poll(() => volumesUsed.textContent(), { timeout: 10_000 }).toMatch(/\(0\)$/);
    const audit = await tab(context, errors);
    await audit.goto(`${agent.url}/audit`);
    await audit.getByTestId('audit-row').first().waitFor();
    // a reload would drop these marks
    for (const p of [home, audit]) await p.evaluate(() => ((window as unknown as { kept: boolean }).kept = true));

    expect(agent.cli(['volume', 'create', 'cli-made']).code).toBe(0);
    await expect.poll(() => volumesUsed.textContent(), { timeout: 15_000 }).toMatch(/\(1\)$/);
    const row = audit.getByTestId('audit-row').filter({ hasText: 'volumes.create' }).filter({ hasText: 'cli-made' });
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(agent.cli(['volume', 'rm', 'cli-made']).code).toBe(0);
    await expect.poll(() => volumesUsed.textContent(), { timeout: 15_000 }).toMatch(/\(0\)$/);
    await expect.poll(() => audit.getByTestId('audit-row').filter({ hasText: 'volumes.remove' }).count(), { timeout: 15_000 }).toBe(1);
    for (const p of [home, audit]) expect(await p.evaluate(() => (window as unknown as { kept?: boolean }).kept)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a refused input as a sentence naming the field and the reason', async () => {
    const context = await browser.newContext();
    const errors: string[] = [];
    const page = await tab(context, errors, [400]);
    await signIn(page);
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.getByLabel('volume name').fill('v'.repeat(300)); // the agent's schema allows 255
    await page.getByRole('button', { name: 'Create' }).click();
    const alert = page.locator('main p[role=alert]');
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toMatch(/^Name must be at most 255 characters\./);
    expect(await alert.textContent()).not.toMatch(/[[{"]/); // not zod's JSON
    expect(agent.cli(['volume', 'ls', '-q']).stdout).not.toContain('vvvv');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('signs out and in as someone else without showing anything cached for the first user', async () => {
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', 'vic']).code).toBe(0);
    const context = await browser.newContext();
    const errors: string[] = [];
    const page = await tab(context, errors);
    await signIn(page);
    await page.getByRole('link', { name: 'Audit' }).waitFor();
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByRole('button', { name: 'Run a container' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await signIn(page, 'vic', 'viewer-password');
    expect(await page.getByTestId('whoami').textContent()).toBe('vic · viewer');
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByTestId('shown-count').waitFor();
    expect(await page.getByRole('button', { name: 'Run a container' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
