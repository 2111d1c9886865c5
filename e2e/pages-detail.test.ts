import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The smaller pages' details in a real browser against a real agent: the sign-in and setup
 * pages once they have nothing to ask, the logo, the home page's cards that hold their place
 * while loading, volume sizes, and a stack's removal that shows each container going.
 * Screenshots in e2e/screenshots/pages-*.png.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const stack = `rm${randomBytes(3).toString('hex')}`;

useE2e({}, (f) => ({ agent, browser, image } = f));

afterAll(() => {
  if (agent) agent.cli(['compose', '-p', stack, 'down']);
}, 90_000);

const PAGE = { viewport: { width: 1280, height: 1000 }, ignore: (_t: string, url: string) => url.endsWith('/favicon.ico') };

describe('sign-in and setup pages', () => {
  it('sends a signed-in visitor of /login home, and says a used setup link was used', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await page.goto(`${agent.url}/login`);
    // the sail is drawn, not an emoji a font may lack
    const heading = page.getByRole('heading', { name: /Sign in to Skiff/ });
    await heading.waitFor();
    expect(await heading.locator('svg').count()).toBe(1);
    expect(await heading.textContent()).not.toContain('⛵');
    await screenshot(page, 'pages-login-1280.png');
    expect(errors).toEqual([]); // asking whether signed in is no 401
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    await page.goto(`${agent.url}/login`);
    await page.waitForURL(`${agent.url}/`);
    await page.getByTestId('running-count').waitFor();

    await page.goto(`${agent.url}/setup?token=spent`);
    await page.getByTestId('setup-used').waitFor();
    expect(await page.getByTestId('setup-used').textContent()).toContain('This setup link has been used already');
    expect(await page.getByLabel(/password/i).count()).toBe(0); // no form to fill in vain
    await page.getByRole('link', { name: 'Go to the dashboard' }).waitFor();
    await screenshot(page, 'pages-setup-used-1280.png');
    expect(errors).toEqual([]);
    await page.close();

    // signed out, the used link offers the way to sign in
    const fresh = await openPage(browser, errors, PAGE);
    await fresh.goto(`${agent.url}/setup?token=spent`);
    await fresh.getByRole('link', { name: 'Sign in' }).click();
    await fresh.waitForURL(/\/login$/);
    expect(errors).toEqual([]);
    await fresh.close();
  }, 60_000);

  it('labels the setup fields of a fresh agent', async () => {
    const fresh = await AgentHarness.create([], { adminPassword: null });
    try {
      const token = /setup\?token=([\w-]+)/.exec(fresh.output)?.[1];
      const errors: string[] = [];
      const page = await openPage(browser, errors, PAGE);
      await page.goto(`${fresh.url}/setup?token=${token}`);
      await page.getByLabel('Username').fill('boss');
      await page.getByLabel('Password').fill('boss-password');
      expect(await page.locator('label', { hasText: 'Username' }).count()).toBe(1); // visible, not only aria
      await screenshot(page, 'pages-setup-1280.png');
      await page.getByRole('button', { name: 'Create admin' }).click();
      await page.waitForURL(`${fresh.url}/`);
      await page.getByTestId('whoami').waitFor();
      expect(await page.getByTestId('whoami').textContent()).toBe('boss · admin');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await fresh.dispose();
    }
  }, 90_000);
});

describe('home and volumes', () => {
  it('keeps the recent-events card in place while the cards above it load', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await page.goto(`${agent.url}/volumes`);
    // every frame from the first paint on: where the events card's top is
    await page.addInitScript(() => {
      const tops: number[] = [];
      (window as unknown as { eventTops: number[] }).eventTops = tops;
      const look = () => {
        const el = document.querySelector('section[aria-label="recent events"]');
        if (el) tops.push(Math.round(el.getBoundingClientRect().top));
        if (tops.length < 600) requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    });
    await page.goto(`${agent.url}/`);
    await page.getByTestId('running-count').waitFor();
    await page.waitForTimeout(500);
    const tops = await page.evaluate(() => (window as unknown as { eventTops: number[] }).eventTops);
    expect(tops.length).toBeGreaterThan(3);
    // the host card's rows may wrap differently from the placeholder's by a line at most
    expect(Math.max(...tops) - Math.min(...tops), `events card tops: ${[...new Set(tops)].join(', ')}`).toBeLessThanOrEqual(24);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows each volume’s size', async () => {
    expect(agent.cli(['run', '--rm', '-v', 'sized:/data', image, 'sh', '-c', 'head -c 300000 /dev/zero > /data/blob']).code).toBe(0);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await page.goto(`${agent.url}/volumes`);
    const size = page.getByTestId('volume-sized').getByTestId('volume-size');
    await expect.poll(() => size.textContent(), { timeout: 15_000 }).toMatch(/^29\d KiB$/);
    await screenshot(page, 'pages-volumes-1280.png');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('stack removal', () => {
  it('shows each container going while a stack is removed, then a toast', async () => {
    // stored over the API; the stop grace of 4 s keeps each container visible on its way out
    const composeFile = `services:
  a:
    image: ${image}
    command: sleep 600
    stop_grace_period: 4s
  b:
    image: ${image}
    command: sleep 600
    stop_grace_period: 4s
`;
    const saved = await fetch(`${agent.url}/trpc/stacks.save`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token('operate')}` },
      body: JSON.stringify({ name: stack, composeFile, envFile: '', create: true }),
    });
    expect(saved.status, await saved.text()).toBe(200);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await page.goto(`${agent.url}/stacks/${stack}`);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => page.getByTestId('deploy-status').textContent(), { timeout: 90_000 }).toBe('Done');
    await expect.poll(() => page.getByTestId('stack-state').textContent(), { timeout: 20_000 }).toBe('running');
    await expect.poll(() => page.getByTestId('toast').last().textContent(), { timeout: 10_000 }).toMatch(/^Deployed /);

    // what the page shows at each change while the removal runs: the stack's badge and each container's state
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const snap = () => {
        const badge = document.querySelector('[data-testid=stack-state]')?.textContent ?? '';
        const cs = [...document.querySelectorAll('[data-testid=container-state]')].map((e) => e.textContent?.split(/(?=[A-Z])/)[0]);
        const line = `${badge}: ${cs.join(', ')}`;
        if (seen.at(-1) !== line) seen.push(line);
      };
      new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirmAction(page, `Remove stack ${stack}`);
    await expect.poll(() => page.getByTestId('stack-state').textContent(), { timeout: 10_000 }).toBe('removing…');
    // a picture of the removal half way, for a reviewer (the recorder below is what the test asserts on)
    for (let i = 0; i < 100 && page.url().endsWith(`/stacks/${stack}`); i++) {
      const states = await page.getByTestId('container-state').allTextContents();
      if (states.filter((t) => t.startsWith('running')).length < 2) {
        await screenshot(page, 'pages-stack-removing-1280.png');
        break;
      }
      await page.waitForTimeout(100);
    }
    await page.waitForURL(/\/stacks$/, { timeout: 60_000 });
    await expect.poll(() => page.getByTestId('toast').last().textContent(), { timeout: 10_000 }).toMatch(`Removed stack ${stack}`);
    // while "removing…", the containers were seen leaving running (stopped, or gone) before the page left
    const seen = await page.evaluate(() => (window as unknown as { seen?: string[] }).seen ?? []);
    const during = seen.filter((l) => l.startsWith('removing…: '));
    expect(
      during.some((l) => !/^removing…: running\b.*, running\b/.test(l)),
      seen.join('\n'),
    ).toBe(true);
    await screenshot(page, 'pages-stack-removed-toast-1280.png');
    expect(agent.cli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${stack}`]).stdout).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);
});
