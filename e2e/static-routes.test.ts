import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { openPage, signIn, useE2e } from './harness.js';

/**
 * The dashboard as a static export served by the agent: the URLs users have for a
 * container or a stack load directly, client-side navigation between two of them stays in
 * the page and shows the right one, Back works, and every page runs under its CSP without
 * a console error (a CSP violation is one).
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const ids: Record<string, string> = {};

useE2e({}, (f) => ({ agent, browser, image } = f));

beforeAll(() => {
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
  for (const name of ['static-a', 'static-b']) {
    const r = agent.cli(['run', '-d', '--name', name, image, 'sleep', '1d']);
    expect(r.code, r.stderr).toBe(0);
    ids[name] = r.stdout.trim();
  }
}, 60_000);

/** the page's own JS state: gone after a full page load, kept by client-side navigation */
const MARK = '__skiffSamePage';

describe('dashboard routes from the static export', () => {
  it('loads a container by id and by name, moves between containers in the page, and goes back', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, { viewport: { width: 1280, height: 900 } });
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    const res = await page.goto(`${agent.url}/containers/${ids['static-a']}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self' 'sha256-");
    await expect.poll(() => page.locator('h1').textContent()).toContain('static-a');
    await page.goto(`${agent.url}/containers/static-b`);
    await expect.poll(() => page.locator('h1').textContent()).toContain('static-b');

    // from the list to a container's page and on to another: no full page load
    await page.goto(`${agent.url}/containers`);
    await page.evaluate((m) => ((window as unknown as Record<string, boolean>)[m] = true), MARK);
    await page.getByTestId('row-static-a').getByRole('link', { name: 'static-a' }).click();
    await page.waitForURL(new RegExp(`/containers/${ids['static-a']}$`));
    await expect.poll(() => page.locator('h1').textContent()).toContain('static-a');
    await page.goBack();
    await page.getByTestId('row-static-b').getByRole('link', { name: 'static-b' }).click();
    await page.waitForURL(new RegExp(`/containers/${ids['static-b']}$`));
    await expect.poll(() => page.locator('h1').textContent()).toContain('static-b');
    await page.goBack();
    await page.goForward();
    await expect.poll(() => page.locator('h1').textContent()).toContain('static-b');
    expect(await page.evaluate((m) => (window as unknown as Record<string, boolean>)[m], MARK)).toBe(true);
    expect(errors).toEqual([]);
  }, 90_000);

  it('loads a stack’s page by its URL, and answers an unknown page with the 404 page', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, { viewport: { width: 1280, height: 900 } });
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    // a stack that is not stored: the page asks the agent for the name in its URL (a 404)
    const res = await page.goto(`${agent.url}/stacks/static-web`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('main').textContent()).toContain('static-web');
    expect(errors.filter((e) => !(e.includes('status of 404') && e.includes('/trpc/stacks.get') && e.includes('static-web')))).toEqual([]);
    const missing = await page.goto(`${agent.url}/no-such-page`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator('body').textContent()).toMatch(/404|could not be found/i);
  }, 60_000);
});
