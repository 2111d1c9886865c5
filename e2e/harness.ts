import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type ViewportSize } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { isHostNetworkChange } from './browser-noise.js';

export interface E2eFixture {
  readonly agent: AgentHarness;
  readonly browser: Browser;
  /** the registry's host:port, which the agent is told is insecure */
  readonly registry: string;
  /** the busybox test image in the fixture registry */
  readonly image: string;
}

/** a registry of a suite's own (e.g. one that wants a password) instead of the fixture registry */
export interface OwnRegistry {
  host: string;
  stop(): Promise<void>;
}

/**
 * The set-up of every browser suite: a registry (the fixture registry with busybox, unless
 * `registry` starts another), an agent that trusts it (with `env` added to its environment)
 * and Debian's chromium, made in
 * beforeAll and removed after the file's tests. `ready` gets the fixture once made, for
 * files that keep `agent` and `browser` in variables of their own. Hooks the file registers
 * after this call run after this beforeAll and before this afterAll (the agent still runs).
 */
export function useE2e(opts: { registry?: () => Promise<OwnRegistry>; env?: Record<string, string> } = {}, ready?: (fixture: E2eFixture) => void): void {
  let own: OwnRegistry | undefined;
  let agent: AgentHarness | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    own = opts.registry ? await opts.registry() : undefined;
    const registry = own?.host ?? (await fixtureRegistry()).host;
    agent = await AgentHarness.create([registry], { env: opts.env });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    ready?.({ agent, browser, registry, image: `${registry}/skiff-test/busybox:latest` });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await agent?.dispose();
    if (own) await own.stop();
    else await stopFixtureRegistry();
  }, 90_000);
}

/**
 * Records the page's errors and console errors into `errors`, except those `ignore` names
 * and Chromium's own line for a host network change (see browser-noise.ts).
 */
export function recordErrors(page: Page, errors: string[], ignore: (text: string, url: string) => boolean = () => false): void {
  page.on('pageerror', (e) => errors.push(`${e.message} ${e.stack}`));
  page.on('console', (m) => {
    const url = m.location().url;
    if (m.type() === 'error' && !isHostNetworkChange(m.text()) && !ignore(m.text(), url)) errors.push(`${m.text()} ${url}`);
  });
}

/** a new page that records its errors into `errors` and accepts confirm() dialogs */
export async function openPage(
  browser: Browser,
  errors: string[],
  opts: { viewport?: ViewportSize; ignore?: (text: string, url: string) => boolean } = {},
): Promise<Page> {
  const page = await browser.newPage(opts.viewport ? { viewport: opts.viewport } : {});
  recordErrors(page, errors, opts.ignore);
  page.on('dialog', (d) => void d.accept());
  return page;
}

/**
 * Signs in through the login form the dashboard redirects to; then forgets the errors
 * recorded so far (the signed-out page's 401 for auth.me is how it found out).
 */
export async function signIn(page: Page, agent: AgentHarness, username: string, password: string, errors?: string[]): Promise<void> {
  await page.goto(`${agent.url}/`);
  await page.waitForURL(/\/login$/);
  await page.getByLabel('username').fill(username);
  await page.getByLabel('password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${agent.url}/`);
  if (errors) errors.length = 0;
}

/**
 * Confirms the dashboard's confirmation dialog (components/confirm-dialog.tsx) by its
 * destructive button, which names the verb and the object ("Remove container web-1").
 * The dialog stays up while the action runs; `settled` waits until it has gone.
 */
export async function confirmAction(page: Page, name: string | RegExp, opts: { settled?: boolean; timeout?: number } = {}): Promise<void> {
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('button', { name, exact: typeof name === 'string' }).click();
  if (opts.settled) await dialog.waitFor({ state: 'detached', timeout: opts.timeout ?? 60_000 });
}

/** a full-page screenshot into e2e/screenshots/ (kept out of git), to look at a layout */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(import.meta.dirname, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}

/** the dashboard's main pages as [name, path], the container page showing `containerId`, then `more` */
export function mainPages(containerId: string, more: [string, string][] = []): [string, string][] {
  return [
    ['home', '/'],
    ['containers', '/containers'],
    ['container', `/containers/${containerId}`],
    ['images', '/images'],
    ['volumes', '/volumes'],
    ['networks', '/networks'],
    ['users', '/users'],
    ['audit', '/audit'],
    ['registries', '/registries'],
    ...more,
  ];
}

/** a compose file of `services` (the YAML under `services:`) whose default network is in `subnet` (freeTestSubnet: no clash with other tests' networks) */
export function composeOnSubnet(services: string, subnet: string): string {
  return `services:\n${services}networks:\n  default:\n    ipam:\n      config:\n        - subnet: ${subnet}\n`;
}
