import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@skiff/runtime';
import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, pushImage, startRegistry, TEST_REGISTRY_USER } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, recordErrors, signIn, useE2e } from './harness.js';

/**
 * The admin pages (users, API tokens, audit log, registry logins) in a real browser against
 * a real agent, with a registry that wants a password.
 */
let agent: AgentHarness;
let browser: Browser;
let registryHost: string;
let privateImage: string;
const pages: Page[] = [];

useE2e(
  {
    registry: async () => {
      const registry = await startRegistry({ auth: 'basic' });
      const client = new RegistryClient({ registry: registry.host, insecure: true, credentials: TEST_REGISTRY_USER });
      await pushImage(client, 'private/busybox', 'latest', buildImage([await buildLayer(busyboxEntries())], BUSYBOX_CONFIG));
      return registry;
    },
  },
  (f) => {
    ({ agent, browser, registry: registryHost } = f);
    privateImage = `${registryHost}/private/busybox:latest`;
  },
);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
});

/** A signed-in page (its own browser context, so its own cookie) that records page and console errors from then on. */
async function signedIn(username: string, password: string): Promise<{ page: Page; errors: string[]; provoke: (status: number) => void }> {
  const page = await browser.newPage();
  pages.push(page);
  await signIn(page, agent, username, password);
  await expect.poll(() => page.getByTestId('whoami').textContent()).toContain(username);
  const errors: string[] = [];
  const provoked = new Set<number>();
  // the browser logs every refused request; one the test provokes on purpose is not a fault
  recordErrors(page, errors, (text) => {
    const status = /status of (\d+)/.exec(text)?.[1];
    return !!status && provoked.has(Number(status));
  });
  return { page, errors, provoke: (status) => provoked.add(status) };
}

function userList(): string {
  const r = agent.cli(['user', 'ls']);
  expect(r.code).toBe(0);
  return r.stdout;
}

/** at tablet width the page itself never scrolls sideways (wide tables scroll in their card) */
async function fitsTablet(page: Page): Promise<void> {
  await page.setViewportSize({ width: 768, height: 1000 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
}

const trpcGet = (path: string, token: string, input?: unknown) =>
  fetch(`${agent.url}/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
    headers: { authorization: `Bearer ${token}` },
  });

describe('admin pages', () => {
  it('creates an operator who can sign in, changes their role, removes them', async () => {
    const { page, errors, provoke } = await signedIn('admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('new username').fill('otto');
    await page.getByLabel('new password').fill('otto-password-1');
    await page.getByLabel('role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('user-otto').waitFor();
    expect(userList()).toMatch(/otto\s+operator/);

    const otto = await signedIn('otto', 'otto-password-1');
    expect(await otto.page.getByTestId('whoami').textContent()).toBe('otto · operator');
    expect(otto.errors).toEqual([]);

    await page.getByLabel('role of otto').selectOption('viewer');
    // asked first: Escape keeps the role (the select shows it again), the named button changes it
    await page.getByRole('alertdialog', { name: 'Make otto a viewer?' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    expect(await page.getByLabel('role of otto').inputValue()).toBe('operator');
    expect(userList()).toMatch(/otto\s+operator/);
    await page.getByLabel('role of otto').selectOption('viewer');
    await confirmAction(page, 'Change the role of otto to viewer');
    await expect.poll(() => userList()).toMatch(/otto\s+viewer/);
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/otto is now viewer/);

    // a duplicate is refused inline
    provoke(409);
    await page.getByLabel('new username').fill('otto');
    await page.getByLabel('new password').fill('otto-password-2');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => page.locator('p[role=alert]').textContent()).toMatch(/already exists/);

    // reset password: the old one stops working, the new one works
    await page.getByTestId('user-otto').getByRole('button', { name: 'reset password' }).click();
    await page.getByLabel('new password for otto').fill('otto-password-3');
    await page.getByTestId('user-otto').getByRole('button', { name: 'Set' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Password of otto reset/);
    const login = (password: string) =>
      fetch(`${agent.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'otto', password }),
      });
    expect((await login('otto-password-1')).status).toBe(401);
    expect((await login('otto-password-3')).status).toBe(200);

    // no remove button for yourself
    expect(await page.getByTestId('user-admin').getByRole('button', { name: 'remove' }).count()).toBe(0);
    await page.getByTestId('user-otto').getByRole('button', { name: 'remove' }).click();
    await confirmAction(page, 'Remove user otto');
    await expect.poll(() => page.getByTestId('user-otto').count()).toBe(0);
    expect(userList()).not.toMatch(/otto/);
    expect(errors).toEqual([]);
  }, 90_000);

  it('creates an API token, shows its secret once, and revokes it', async () => {
    const { page, errors } = await signedIn('admin', AgentHarness.ADMIN_PASSWORD);
    await page.goto(`${agent.url}/users`);
    await page.getByLabel('token name').fill('from-ui');
    await page.getByLabel('token scope').selectOption('admin');
    await page.getByLabel('token expiry days').fill('7');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token-secret').textContent())!.trim();
    expect(secret).toMatch(/^sk_[\w-]+_[\w-]{20,}$/);
    expect(await page.getByText(/shown only this once/).count()).toBe(1);

    const me = await trpcGet('auth.me', secret);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { result: { data: unknown } }).result.data).toEqual({
      username: 'admin',
      role: 'admin',
      via: 'token',
      can: { operate: true, admin: true, tokenScopes: ['read', 'operate', 'admin'] },
    });

    const row = page.getByRole('row', { name: /from-ui/ });
    await expect.poll(() => row.textContent()).toMatch(/in 7 days/);
    await page.reload();
    await expect.poll(() => row.textContent()).toMatch(/ago|now/); // last used
    expect(await page.getByTestId('new-token-secret').count()).toBe(0); // never again
    await fitsTablet(page);
    expect(await page.content()).not.toContain(secret);

    await row.getByRole('button', { name: 'revoke' }).click();
    await confirmAction(page, /^Revoke token /);
    await expect.poll(() => row.count()).toBe(0);
    expect((await trpcGet('auth.me', secret)).status).toBe(401);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows the audit log, filtered and paged', async () => {
    const { page, errors } = await signedIn('admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('filter action').fill('users.create');
    // both tries of the first test: the creation, then the refused duplicate (newest first)
    const created = page.getByTestId('audit-row').filter({ hasText: 'otto' });
    await expect
      .poll(() => created.allTextContents())
      .toEqual([expect.stringMatching(/admin.*users\.create.*otto.*error.*already exists/), expect.stringMatching(/admin.*users\.create.*otto.*ok/)]);
    await page.getByLabel('filter user').fill('nobody-at-all');
    await page.getByText('No entry matches.').waitFor();
    await page.getByLabel('filter user').fill('');
    await page.getByLabel('filter action').fill('');
    // newest first: the token revoke of the test before comes before the user creation
    await expect.poll(async () => (await page.getByTestId('audit-row').allTextContents()).length).toBeGreaterThan(5);
    const actions = await page.getByTestId('audit-row').locator('td:nth-child(3)').allTextContents();
    expect(actions.indexOf('tokens.revoke')).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf('tokens.revoke')).toBeLessThan(actions.indexOf('users.create'));
    await fitsTablet(page);
    expect(errors).toEqual([]);

    // the API pages with `before`, without gaps or repeats
    const token = agent.token('admin');
    const get = async (input: unknown) =>
      ((await (await trpcGet('audit.list', token, input)).json()) as { result: { data: { id: string }[] } }).result.data.map((e) => e.id);
    const all = await get({ limit: 1000 });
    const first = await get({ limit: 3 });
    const second = await get({ limit: 3, before: first[2] });
    expect([...first, ...second]).toEqual(all.slice(0, 6));
    expect((await trpcGet('audit.list', token, { limit: 0 })).status).toBe(400);
  }, 60_000);

  it('stores registry credentials that pulls then use, and forgets them', async () => {
    const { page, errors, provoke } = await signedIn('admin', AgentHarness.ADMIN_PASSWORD);
    expect(agent.cli(['pull', '-q', privateImage]).code).not.toBe(0); // needs a login
    await page.getByRole('link', { name: 'Registries' }).click();
    await page.getByText(/No registry logins stored/).waitFor();

    // the agent's validation error, inline
    provoke(400);
    await page.getByLabel('registry', { exact: true }).fill(`${'r'.repeat(300)}.example`);
    await page.getByLabel('registry username').fill(TEST_REGISTRY_USER.username);
    await page.getByLabel('registry password').fill(TEST_REGISTRY_USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('p[role=alert]').textContent()).toMatch(/^Registry must be at most 255 characters\./);

    // a password the registry refuses is reported and not stored (like docker login)
    provoke(401);
    await page.getByLabel('registry', { exact: true }).fill(`http://${registryHost}`);
    await page.getByLabel('registry password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('p[role=alert]').textContent()).toMatch(/refused these credentials/);
    expect(await page.getByTestId(`registry-${registryHost}`).count()).toBe(0);

    await page.getByLabel('registry password').fill(TEST_REGISTRY_USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const row = page.getByTestId(`registry-${registryHost}`);
    await row.waitFor();
    expect(await row.textContent()).toContain(TEST_REGISTRY_USER.username);
    await fitsTablet(page);
    expect(await page.content()).not.toContain(TEST_REGISTRY_USER.password);
    expect(await page.locator('p[role=alert]').count()).toBe(0);
    const pulled = agent.cli(['pull', '-q', privateImage]);
    expect(pulled.code, pulled.stderr).toBe(0);

    await row.getByRole('button', { name: 'Log out' }).click();
    await confirmAction(page, /^Remove registry login /);
    await expect.poll(() => row.count()).toBe(0);
    expect(agent.cli(['rmi', privateImage]).code).toBe(0);
    expect(agent.cli(['pull', '-q', privateImage]).code).not.toBe(0);
    expect(errors).toEqual([]);
  }, 90_000);

  it('shows a viewer "Admins only" and no destructive button', async () => {
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', 'vicky']).code).toBe(0);
    const { page, errors } = await signedIn('vicky', 'viewer-password');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByTestId('admins-only').waitFor();
    expect(await page.getByText('Admins only').count()).toBe(1);
    expect(await page.getByLabel('new username').count()).toBe(0);
    // the viewer's own tokens are still theirs to manage (read scope only)
    expect(await page.getByLabel('token scope').locator('option').allTextContents()).toEqual(['read']);
    expect(await page.locator('.btn-danger').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    for (const path of ['/audit', '/registries']) {
      await page.goto(`${agent.url}${path}`);
      await page.getByTestId('admins-only').waitFor();
      expect(await page.locator('.btn-danger').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Log in|Load more/ }).count()).toBe(0);
    }
    // and the API refuses too
    const token = agent.token('read', 'vicky');
    for (const path of ['users.list', 'audit.list', 'registries.list']) expect((await trpcGet(path, token)).status).toBe(403);
    expect(errors).toEqual([]);
  }, 60_000);
});
