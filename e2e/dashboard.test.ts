import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { fixtureRegistry, freeTestSubnet, stopFixtureRegistry } from '../packages/runtime/test/fixtures/index.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a
 * real agent running real containers.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  agent = await AgentHarness.create([reg.host]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agent?.dispose();
  await stopFixtureRegistry();
}, 60_000);

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${agent.url}/`);
  await page.waitForURL(/\/login$/);
  await page.getByLabel('username').fill(username);
  await page.getByLabel('password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${agent.url}/`);
}

describe('dashboard', () => {
  it('signs in, runs a container (pulling it), follows its logs and opens a terminal in it', async () => {
    const page = await browser.newPage();
    await login(page, 'admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByTestId('running-count').waitFor();
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByRole('button', { name: 'Run a container' }).click();
    await page.getByLabel('image').fill(image);
    await page.getByLabel('name').fill('from-browser');
    await page.getByLabel('command').fill('while true; do echo tick-tock; sleep 1; done');
    expect(await page.locator('code').textContent()).toContain(`skiff run -d --name from-browser ${image}`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const row = page.getByTestId('row-from-browser');
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/Up/);

    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`${e.message} ${e.stack}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await row.getByRole('link').click();
    await page.waitForURL(/\/containers\//);
    await page.getByRole('button', { name: 'logs' }).click().catch(async (e) => {
      throw new Error(`${(e as Error).message}\npage errors: ${errors.join(' | ')}\n${(await page.content()).slice(0, 3000)}`);
    });
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 10_000 }).toContain('tick-tock');

    await page.getByRole('button', { name: 'terminal' }).click();
    await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 10_000 }).toBe('connected');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo hello-$((6*7)); tty\n');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 10_000 }).toMatch(/hello-42.*\/dev\/pts\/\d/);
    await page.getByRole('button', { name: 'stats' }).click();
    await expect.poll(() => page.getByTestId('stats-mem').textContent(), { timeout: 10_000 }).toMatch(/Memory [\d.]+ MiB/);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('creates and removes volumes and networks', async () => {
    const page = await browser.newPage();
    await login(page, 'admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.getByLabel('volume name').fill('from-ui');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'from-ui', exact: true }).waitFor();
    expect(agent.cli(['volume', 'ls', '-q']).stdout).toContain('from-ui');
    await page.getByRole('link', { name: 'Networks' }).click();
    const uiNet = freeTestSubnet().subnet;
    await page.getByLabel('network name').fill('ui-net');
    await page.getByLabel('subnet').fill(uiNet);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText(uiNet).waitFor();
    await page.getByRole('row', { name: /ui-net/ }).getByRole('button', { name: 'remove' }).click();
    await expect.poll(() => page.getByText(uiNet).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('shows a viewer no way to change anything, and refuses a wrong password inline', async () => {
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', 'watcher']).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`${agent.url}/login`);
    await page.getByLabel('username').fill('watcher');
    await page.getByLabel('password').fill('not-it');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('p[role=alert]').textContent()).toMatch(/wrong user name or password/);
    await login(page, 'watcher', 'viewer-password');
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByTestId('row-from-browser').waitFor();
    expect(await page.getByRole('button', { name: 'Run a container' }).count()).toBe(0);
    expect(await page.getByLabel('select from-browser').count()).toBe(0); // no bulk actions
    expect(await page.getByRole('button', { name: 'remove' }).count()).toBe(0);
    await page.close();
  }, 60_000);
});
