import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, mainPages, recordErrors, screenshot, signIn, useE2e } from './harness.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a
 * real agent running real containers.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;

useE2e({}, (f) => ({ agent, browser, image } = f));

/** page errors and console errors from now on, to assert a page stayed clean */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  recordErrors(page, errors);
  return errors;
}

describe('dashboard', () => {
  it('signs in, runs a container with a port and a volume (pulling it), follows its logs, opens a terminal, stops and removes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    const errors = watchErrors(page); // signed out, the app's own auth.me check is a 401
    await page.getByTestId('running-count').waitFor();
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByRole('button', { name: 'Run a container' }).click();
    const port = 20000 + Math.floor(Math.random() * 9000);
    await page.getByLabel('image').fill(image);
    await page.getByLabel('name').fill('from-browser');
    await page
      .getByLabel('command')
      .fill('mkdir -p /www; echo served-$HOSTNAME > /www/index.html; httpd -p 80 -h /www; while true; do echo tick-tock; echo to-stderr >&2; sleep 1; done');
    await page.getByLabel('ports').fill(`127.0.0.1:${port}:80`);
    await page.getByLabel('volumes').fill('browser-data:/data');
    await page.getByLabel('env key 1').fill('GREETING');
    await page.getByLabel('env value 1').fill('hello there');
    const line = await page.getByTestId('run-command-line').textContent();
    expect(line).toContain(`skiff run -d --name from-browser -p 127.0.0.1:${port}:80 -v browser-data:/data -e 'GREETING=hello there' ${image} sh -c`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const row = page.getByTestId('row-from-browser');
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/Up/);
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${port}/`).then(
            (r) => r.text(),
            () => '',
          ),
        { timeout: 10_000 },
      )
      .toMatch(/^served-/);
    expect(agent.cli(['volume', 'ls', '-q']).stdout).toContain('browser-data');

    await row.getByRole('link', { name: 'from-browser' }).click();
    await page.waitForURL(/\/containers\//);
    await page.getByRole('region', { name: 'mounts' }).getByText('browser-data').waitFor();
    await page.getByRole('region', { name: 'ports' }).getByText(`127.0.0.1:${port}`).waitFor();
    await page.getByRole('tab', { name: 'logs' }).click();
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 10_000 }).toContain('tick-tock');
    await page.getByLabel('search logs').fill('stderr');
    await expect.poll(() => page.getByTestId('logs').textContent()).not.toContain('tick-tock');
    expect(await page.getByTestId('logs').locator('mark').first().textContent()).toBe('stderr');

    await page.getByRole('tab', { name: 'terminal' }).click();
    await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 10_000 }).toBe('connected');
    await page.getByTestId('terminal').click();
    const nonce = Math.floor(Math.random() * 1e6);
    await page.keyboard.type(`echo hello-${nonce} "$GREETING"; tty\n`);
    const screen = () => page.locator('.xterm-rows').textContent();
    await expect.poll(screen, { timeout: 10_000 }).toMatch(new RegExp(`hello-${nonce} hello there.*/dev/pts/\\d`));
    // the PTY follows the browser: a narrower window gives the shell fewer columns
    await page.keyboard.type('stty size\n');
    await expect.poll(screen).toMatch(/\d+ \d+/);
    const colsBefore = Number(/(\d+) (\d+)\s*[#$]?\s*$/m.exec((await screen())!.replace(/\u00a0/g, ' '))?.[2] ?? 0);
    await page.setViewportSize({ width: 900, height: 900 });
    await page.keyboard.type('clear; stty size\n');
    await expect
      .poll(async () => Number(/(\d+) (\d+)/.exec((await screen())!.replace(/\u00a0/g, ' '))?.[2] ?? 0), { timeout: 10_000 })
      .toBeLessThan(colsBefore || 1000);

    await page.getByRole('tab', { name: 'top' }).click();
    await expect.poll(() => page.getByTestId('top').textContent(), { timeout: 10_000 }).toContain('httpd');
    await page.getByRole('tab', { name: 'stats' }).click();
    await expect.poll(() => page.getByTestId('stats-mem').textContent(), { timeout: 10_000 }).toMatch(/Memory [\d.]+ MiB/);
    await page.getByRole('tab', { name: 'inspect' }).click();
    await page.getByTestId('inspect').getByText('"NetworkSettings"').waitFor();

    await page.getByRole('toolbar', { name: 'container actions' }).getByRole('button', { name: 'stop' }).click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 15_000 }).toBe('exited');
    await page.getByRole('toolbar', { name: 'container actions' }).getByRole('button', { name: 'start', exact: true }).click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 15_000 }).toBe('running');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('lays every main page out without overflow at laptop and tablet widths, in light and dark (screenshots in e2e/screenshots/)', async () => {
    expect(
      agent.cli(['run', '-d', '--name', 'shot', '-p', '127.0.0.1::80', '-v', 'shot-data:/data', image, 'sh', '-c', 'while true; do echo shot; sleep 1; done'])
        .code,
    ).toBe(0);
    const id = agent.cli(['inspect', '--format', '{{.Id}}', 'shot']).stdout.trim();
    const pages = mainPages(id);
    for (const width of [1280, 768]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
      const errors = watchErrors(page);
      for (const [name, path] of pages) {
        await page.goto(`${agent.url}${path}`);
        await page.locator('main h1, main [data-testid]').first().waitFor();
        await page.waitForTimeout(400); // let the first data land before measuring
        // nothing wider than the window: no sideways scrolling of the whole page
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${name} at ${width}px overflows by ${overflow}px`).toBeLessThanOrEqual(0);
        await screenshot(page, `${name}-${width}.png`);
      }
      // the theme switch flips the whole page to dark and is remembered
      const dark = async () => page.evaluate(() => document.documentElement.classList.contains('dark'));
      const before = await dark();
      await page.getByRole('button', { name: 'theme' }).click();
      if ((await dark()) === before) await page.getByRole('button', { name: 'theme' }).click(); // system → light → dark cycles
      expect(await dark()).toBe(!before);
      await page.reload();
      await page.locator('main h1, main [data-testid]').first().waitFor();
      expect(await dark()).toBe(!before);
      await screenshot(page, `${pages.at(-1)![0]}-${width}-${before ? 'light' : 'dark'}.png`);
      expect(errors).toEqual([]);
      await page.close();
    }
    agent.cli(['rm', '-f', 'shot']);
  }, 120_000);

  it('creates and removes volumes and networks', async () => {
    const page = await browser.newPage();
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
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
    await page
      .getByRole('row', { name: /ui-net/ })
      .getByRole('button', { name: 'remove' })
      .click();
    await confirmAction(page, 'Remove network ui-net');
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
    await signIn(page, agent, 'watcher', 'viewer-password');
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByTestId('row-from-browser').waitFor();
    expect(await page.getByRole('button', { name: 'Run a container' }).count()).toBe(0);
    expect(await page.getByLabel('select from-browser').count()).toBe(0); // no bulk actions
    expect(await page.getByRole('button', { name: 'remove' }).count()).toBe(0);
    await page.getByTestId('row-from-browser').getByRole('link', { name: 'from-browser' }).click();
    await page.getByTestId('state').waitFor();
    expect(await page.getByRole('toolbar', { name: 'container actions' }).count()).toBe(0);
    expect(await page.getByRole('tab', { name: 'terminal' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'stop' }).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('removes a container from its page and goes back to the list', async () => {
    const page = await browser.newPage();
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByTestId('row-from-browser').getByRole('link', { name: 'from-browser' }).click();
    await page.getByRole('toolbar', { name: 'container actions' }).getByRole('button', { name: 'remove' }).click();
    await confirmAction(page, 'Remove container from-browser');
    await page.waitForURL(/\/containers$/);
    await expect.poll(() => page.getByTestId('row-from-browser').count()).toBe(0);
    expect(agent.cli(['ps', '-a', '--format', '{{.Names}}']).stdout).not.toContain('from-browser');
    await page.close();
  }, 60_000);

  it('lists hundreds of containers virtualised, filters them, and acts on a selection in bulk', async () => {
    const n = 300;
    // created (not started) through the HTTP API, a few at a time: the list's size is what matters here
    expect(agent.cli(['pull', '-q', image]).code).toBe(0); // when run alone
    const token = agent.token('operate');
    const queue = Array.from({ length: n }, (_, i) => i + 1);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = queue.shift(); i; i = queue.shift()) {
          const r = await fetch(`${agent.url}/trpc/containers.create`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ image, name: `bulk-${i}`, cmd: ['sleep', '600'] }),
          });
          expect(r.status, await r.text()).toBe(200);
        }
      }),
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    const errors = watchErrors(page); // signed out, the app's own auth.me check is a 401
    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByLabel('search').fill('bulk-');
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^${n} of \\d+$`));
    // only what is on screen (plus overscan) is in the DOM
    expect(await page.locator('[data-testid^="row-bulk-"]').count()).toBeLessThan(60);
    const rendered = async () => new Set(await page.locator('[data-testid^="row-bulk-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))));
    const top = await rendered();
    await page.getByTestId('container-rows').evaluate((el) => (el.scrollTop = el.scrollHeight));
    // the far end of the list is rendered in place of the top, still only a screenful
    await expect.poll(async () => [...(await rendered())].filter((t) => top.has(t)).length).toBe(0);
    expect((await rendered()).size).toBeLessThan(60);

    await page.getByRole('heading', { name: 'Containers' }).click(); // out of the search box
    await page.keyboard.press('/'); // keyboard: "/" jumps to the search box
    expect(await page.getByLabel('search').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByLabel('search').fill('bulk-1');
    // bulk-1, bulk-10..19, bulk-100..199
    await expect.poll(() => page.getByTestId('shown-count').textContent()).toMatch(/^111 of \d+$/);
    await page.getByLabel('select all').check();
    expect(await page.getByTestId('selected-count').textContent()).toBe('111 selected');
    await page.getByRole('toolbar', { name: 'bulk actions' }).getByRole('button', { name: 'start', exact: true }).click();
    await expect
      .poll(
        async () =>
          (await page.getByTestId('bulk-progress').count()) ? page.getByTestId('bulk-progress').textContent() : page.getByRole('alert').first().textContent(),
        { timeout: 90_000 },
      )
      .toBe('start: 111 done'); // else the alert says which failed
    const running = () => agent.cli(['ps', '-q', '--filter', 'name=bulk-']).stdout.trim().split('\n').filter(Boolean).length;
    expect(running()).toBe(111);
    await page.getByRole('button', { name: /^running/ }).click();
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 15_000 }).toMatch(/^111 of \d+$/);
    await page.getByLabel('search').fill('bulk-');
    await page.getByLabel('select all').check();
    await page.getByRole('toolbar', { name: 'bulk actions' }).getByRole('button', { name: 'remove' }).click();
    await confirmAction(page, 'Remove 111 containers');
    await expect.poll(() => page.getByTestId('bulk-progress').count(), { timeout: 90_000 }).toBe(0); // the toolbar goes with the selection
    // the rows (and so the selection) go as each removal lands; the last few may still be on their way
    await expect.poll(running, { timeout: 30_000 }).toBe(0);
    await page.getByRole('button', { name: /^all/ }).click();
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^${n - 111} of \\d+$`));
    await page.getByLabel('select all').check();
    await page.getByRole('toolbar', { name: 'bulk actions' }).getByRole('button', { name: 'remove' }).click();
    await confirmAction(page, /^Remove \d+ containers$/);
    await expect.poll(() => agent.cli(['ps', '-aq', '--filter', 'name=bulk-']).stdout.trim(), { timeout: 120_000 }).toBe('');
    await expect.poll(() => page.getByTestId('shown-count').textContent(), { timeout: 15_000 }).toMatch(/^0 of/);
    await page.getByText(/^No containers? (yet|matches)\.$/).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
