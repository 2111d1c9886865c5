import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * Safe to click (issue 25): destructive actions ask first and name what they destroy, the
 * buttons stay where they are; a terminal leaves no shell behind; refused input and the
 * audit log read as sentences and names. Screenshots: e2e/screenshots/safety-*.png.
 */
const GRACE_MS = 3000;
let agent: AgentHarness;
let browser: Browser;
let image: string;

useE2e({ env: { SKIFF_SESSION_GRACE_MS: String(GRACE_MS) } }, (f) => ({ agent, browser, image } = f));

const VIEWPORT = { width: 1280, height: 900 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signedIn(ignore?: (text: string, url: string) => boolean): Promise<{ page: Page; errors: string[] }> {
  const errors: string[] = [];
  const page = await openPage(browser, errors, { viewport: VIEWPORT, ignore });
  await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
  return { page, errors };
}

const run = (name: string) => {
  const r = agent.cli(['run', '-d', '--name', name, image, 'sleep', '600']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};
/** whether the agent has a container of this name (`inspect` fails for none) */
const exists = (name: string) => agent.cli(['inspect', '--format', '{{.Name}}', name]).code === 0;

/** the container's terminals: its /bin/sh processes as `ps` inside it lists them */
function shells(id: string): string[] {
  const r = agent.cli(['exec', id, 'ps', '-o', 'pid,args']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 2 && f[1] === '/bin/sh')
    .map((f) => f[0]!);
}

describe('destructive actions ask first', () => {
  it('the list: Escape and Cancel keep the container, the named button removes it; a double click removes nothing', async () => {
    run('safe-1');
    run('safe-2');
    const { page, errors } = await signedIn();
    await page.getByRole('link', { name: 'Containers' }).click();
    const row = page.getByTestId('row-safe-1');
    await row.waitFor();
    await page.getByTestId('row-safe-2').waitFor();

    // a double click on remove: the first opens the dialog, the second lands on it, not on a row
    await row.getByRole('button', { name: 'remove' }).dblclick();
    const dialog = page.getByRole('alertdialog', { name: 'Remove container safe-1?' });
    await dialog.waitFor();
    expect(await page.getByRole('alertdialog').count()).toBe(1);
    expect(await dialog.getByRole('button', { name: 'Remove container safe-1', exact: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect([exists('safe-1'), exists('safe-2')]).toEqual([true, true]);

    await row.getByRole('button', { name: 'remove' }).click();
    await dialog.waitFor();
    await screenshot(page, 'safety-confirm-remove.png');
    // focus starts on Cancel and stays in the dialog
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Remove container safe-1');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Remove container safe-1');
    // Escape cancels
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect([exists('safe-1'), exists('safe-2')]).toEqual([true, true]);

    // Cancel cancels
    await row.getByRole('button', { name: 'remove' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await sleep(500);
    expect(exists('safe-1')).toBe(true);

    // Enter on the named button removes it, and only it
    await row.getByRole('button', { name: 'remove' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => exists('safe-1'), { timeout: 15_000 }).toBe(false);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    expect(exists('safe-2')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('the list in bulk: kill names the selected containers, Cancel keeps them running, the named button kills them', async () => {
    run('safe-bulk-a');
    run('safe-bulk-b');
    const running = (name: string) => agent.cli(['inspect', '--format', '{{.State.Running}}', name]).stdout.trim() === 'true';
    const { page, errors } = await signedIn();
    await page.goto(`${agent.url}/containers?q=safe-bulk`);
    await page.getByTestId('row-safe-bulk-a').waitFor();
    await page.getByTestId('row-safe-bulk-b').waitFor();
    await page.getByLabel('select all').check();
    const toolbar = page.getByRole('toolbar', { name: 'bulk actions' });
    await toolbar.getByRole('button', { name: 'kill' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Kill 2 containers?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/safe-bulk-a, safe-bulk-b|safe-bulk-b, safe-bulk-a/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await sleep(500);
    expect([running('safe-bulk-a'), running('safe-bulk-b')]).toEqual([true, true]);

    await toolbar.getByRole('button', { name: 'kill' }).click();
    await confirmAction(page, 'Kill 2 containers', { settled: true });
    await expect.poll(() => [running('safe-bulk-a'), running('safe-bulk-b')], { timeout: 15_000 }).toEqual([false, false]);
    expect(await page.getByTestId('bulk-progress').textContent()).toBe('kill: 2 done');
    expect(errors).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'safe-bulk-a', 'safe-bulk-b']);
  }, 90_000);

  it('the container page: kill and remove ask, and no button moves when the state changes', async () => {
    const id = run('safe-page');
    // once removed, the page's own refetch of the container may land before the page has left: its 404 is expected
    const { page, errors } = await signedIn((t, url) => /status of 404/.test(t) && url.includes('containers.inspect'));
    await page.goto(`${agent.url}/containers/${id}`);
    const toolbar = page.getByRole('toolbar', { name: 'container actions' });
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 15_000 }).toBe('running');
    const boxes = async () => {
      const out: Record<string, string> = {};
      for (const b of await toolbar.getByRole('button').all()) {
        const box = await b.boundingBox();
        out[(await b.textContent()) ?? ''] = `${box?.x},${box?.y},${box?.width}`;
      }
      return out;
    };
    const running = await boxes();
    expect(Object.keys(running)).toEqual(expect.arrayContaining(['start', 'stop', 'restart', 'pause', 'kill', 'remove']));

    // kill asks, names the container; cancelled, it keeps running
    await toolbar.getByRole('button', { name: 'kill' }).click();
    const kill = page.getByRole('alertdialog', { name: 'Kill container safe-page?' });
    await kill.waitFor();
    await screenshot(page, 'safety-confirm-kill.png');
    await kill.getByRole('button', { name: 'Cancel' }).click();
    await kill.waitFor({ state: 'detached' });
    await sleep(500);
    expect(agent.cli(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim()).toBe('running');

    // confirmed, it is killed; every button is where it was (kill now disabled, not gone)
    await toolbar.getByRole('button', { name: 'kill' }).click();
    await confirmAction(page, 'Kill container safe-page', { settled: true });
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 15_000 }).toBe('exited');
    expect(await boxes()).toEqual(running);
    expect(await toolbar.getByRole('button', { name: 'kill' }).isDisabled()).toBe(true);
    await screenshot(page, 'safety-toolbar-exited.png');

    await toolbar.getByRole('button', { name: 'remove' }).click();
    await confirmAction(page, 'Remove container safe-page');
    await page.waitForURL(/\/containers$/);
    expect(exists('safe-page')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('terminal', () => {
  it('leaves no /bin/sh behind after two visits, re-attaches after a reload, and top shows no shim', async () => {
    const id = run('safe-term');
    const { page, errors } = await signedIn();
    await page.goto(`${agent.url}/containers/${id}`);
    const screen = () => page.locator('.xterm-rows').textContent();
    const open = async () => {
      await page.getByRole('tab', { name: 'terminal' }).click();
      await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 15_000 }).toBe('connected');
      await page.getByTestId('terminal').click();
    };
    for (let visit = 1; visit <= 2; visit++) {
      await open();
      await page.keyboard.type(`echo visit-$((${visit}*1000))\n`);
      await expect.poll(screen, { timeout: 10_000 }).toContain(`visit-${visit * 1000}`);
      expect(shells(id)).toHaveLength(1);
      // left the tab: the shell ends at once, not after the grace
      await page.getByRole('tab', { name: 'logs' }).click();
      await expect.poll(() => shells(id), { timeout: GRACE_MS - 500 }).toEqual([]);
    }

    // a reload keeps the shell: the page re-attaches to it
    await open();
    await page.keyboard.type('echo "pid=$$"\n');
    await expect.poll(screen, { timeout: 10_000 }).toMatch(/pid=\d+/);
    const pid = /pid=(\d+)/.exec((await screen()) ?? '')![1];
    await page.reload();
    await open();
    await expect.poll(screen, { timeout: 10_000 }).toContain('re-attached');
    await page.keyboard.type('echo "again=$$"\n');
    await expect.poll(screen, { timeout: 10_000 }).toContain(`again=${pid}`);
    expect(shells(id)).toEqual([pid]);
    await screenshot(page, 'safety-terminal-reattached.png');

    // top: the container's processes (its exec'd ones too), never the host's shim that runs them
    const detached = agent.cli(['exec', '-d', id, 'sleep', '777']);
    expect(detached.code, detached.stderr).toBe(0);
    const other = await openPage(browser, errors, { viewport: VIEWPORT });
    await signIn(other, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await other.goto(`${agent.url}/containers/${id}`);
    await other.getByRole('tab', { name: 'top' }).click();
    const top = () => other.getByTestId('top').textContent();
    await expect.poll(top, { timeout: 10_000 }).toContain('sleep 777');
    expect(await top()).toContain('/bin/sh');
    expect(await top()).not.toMatch(/skiff-shim|\/native\/|\.conf/);
    await screenshot(other, 'safety-top.png');
    await other.close();

    // leaving the page for another one ends it
    await page.getByRole('link', { name: 'Containers' }).click();
    await expect.poll(() => shells(id), { timeout: GRACE_MS - 500 }).toEqual([]);

    // and a closed tab (the socket gone, no goodbye) ends it after the grace
    await page.goto(`${agent.url}/containers/${id}`);
    await open();
    await expect.poll(() => shells(id).length, { timeout: 10_000 }).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
    await expect.poll(() => shells(id), { timeout: GRACE_MS + 15_000 }).toEqual([]);
    agent.cli(['rm', '-f', id]);
  }, 180_000);
});

describe('messages and the audit log', () => {
  it('says what is wrong with refused input in a sentence, on user creation; a spent set-up link says so', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, { viewport: VIEWPORT, ignore: (t) => /status of 400/.test(t) });
    // the agent has its admin: the set-up page no longer offers a form, it says the link is spent
    await page.goto(`${agent.url}/setup?token=not-the-token`);
    await expect.poll(() => page.getByTestId('setup-used').textContent(), { timeout: 10_000 }).toMatch(/has been used already/);
    await screenshot(page, 'safety-setup-message.png');

    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('new username').fill('shorty');
    await page.getByLabel('new password').fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    const alert = page.locator('p[role=alert]');
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe('Password must be at least 8 characters.');
    await page.close();
  }, 60_000);

  it('names who signed in, the container and the network, and keeps sentences', async () => {
    const id = run('audited');
    expect(agent.cli(['network', 'create', 'audit-net']).code).toBe(0);
    expect(agent.cli(['network', 'connect', 'audit-net', 'audited']).code).toBe(0);
    expect(agent.cli(['rm', '-f', id]).code).toBe(0);
    const { page, errors } = await signedIn();
    await page.goto(`${agent.url}/audit`);
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    await page.getByLabel('filter action').fill('auth.login');
    await expect.poll(() => rows.first().locator('td:nth-child(2)').textContent()).toBe('admin');
    for (const text of await rows.allTextContents()) expect(text).not.toMatch(/anonymous.*auth\.login.*ok/);
    await page.getByLabel('filter action').fill('networks.connect');
    await expect.poll(() => rows.first().textContent()).toContain(`audited (${id.slice(0, 12)}) to network audit-net`);
    await page.getByLabel('filter action').fill('containers.');
    await expect.poll(() => rows.first().textContent()).toContain(`audited (${id.slice(0, 12)})`);
    expect(await page.getByText(id).count()).toBe(0); // no 64-character ids
    await page.getByLabel('filter action').fill('users.create');
    await expect.poll(() => rows.first().textContent()).toContain('Password must be at least 8 characters.');
    expect(await rows.first().textContent()).not.toMatch(/[[{"]/);
    await page.getByLabel('filter action').fill('');
    await screenshot(page, 'safety-audit.png');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
