import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { tarOf } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The container and image pages in detail, in a real browser against a real agent: stats
 * as time charts with axes, units and the container's limits; a slow stop that shows its
 * progress and ends in a toast; the logs' follow that a scroll up pauses; the image page
 * with its config, layers, history and a Run button; a date an image does not record.
 * Screenshots in e2e/screenshots/detail-*.png.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;

useE2e({}, (f) => ({ agent, browser, image } = f));

const PAGE = { viewport: { width: 1280, height: 1000 }, ignore: (_t: string, url: string) => url.endsWith('/favicon.ico') };

async function adminPage(errors: string[]): Promise<Page> {
  const page = await openPage(browser, errors, PAGE);
  await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
  return page;
}

const idOf = (name: string) => agent.cli(['inspect', '--format', '{{.Id}}', name]).stdout.trim();

/** a docker-archive image whose config has no `created` and no history (as some imported or hand-made images) */
async function undatedArchive(tag: string): Promise<string> {
  const layer = await tarOf([{ name: 'hello.txt', content: 'made without a date\n' }]);
  const diffID = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/hello.txt'], Env: ['UNDATED=1'] },
      rootfs: { type: 'layers', diff_ids: [diffID] },
    }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const archive = await tarOf([
    { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ['layer.tar'] }]) },
    { name: configName, content: config },
    { name: 'layer.tar', content: layer },
  ]);
  const file = join(agent.dir, 'undated.tar');
  writeFileSync(file, archive);
  return file;
}

describe('container page', () => {
  it('charts stats since the page opened with time axes, units, cursor values and the limits', async () => {
    expect(agent.cli(['run', '-d', '--name', 'charted', '-m', '64m', '--cpus', '0.5', image, 'sh', '-c', 'while true; do echo tick; sleep 1; done']).code).toBe(
      0,
    );
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.goto(`${agent.url}/containers/${idOf('charted')}`);
    await page.getByTestId('state').waitFor();
    // on another tab for a while: the samples are taken from the page's opening on
    await page.waitForTimeout(5000);
    await page.getByRole('tab', { name: 'stats' }).click();
    const cpu = page.getByTestId('stats-cpu').getByTestId('chart');
    const mem = page.getByTestId('stats-mem').getByTestId('chart');
    expect(Number(await cpu.getAttribute('data-samples'))).toBeGreaterThanOrEqual(4);
    await expect.poll(() => cpu.getAttribute('data-x-ticks'), { timeout: 10_000 }).toMatch(/^\d{2}:\d{2}:\d{2}( \| \d{2}:\d{2}:\d{2})*$/);
    expect(await cpu.getAttribute('data-y-ticks')).toMatch(/^[\d.]+%( \| [\d.]+%)+$/);
    expect(await mem.getAttribute('data-y-ticks')).toMatch(/(KiB|MiB)/);
    expect(await page.getByTestId('stats-net').getByTestId('chart').getAttribute('data-y-ticks')).toMatch(/ B\/s|KiB\/s/);
    expect(await cpu.getAttribute('aria-label')).toMatch(/^CPU over time, from \d{2}:\d{2}:\d{2} to \d{2}:\d{2}:\d{2}$/);
    // the limits: 64 MiB of memory and half a CPU, each a series of its own
    expect(await page.getByTestId('stats-mem').textContent()).toMatch(/\/ 64 MiB/);
    expect(await page.getByTestId('stats-cpu').textContent()).toMatch(/limit 50%/);
    expect(await mem.locator('.u-legend').textContent()).toContain('limit');
    // the cursor shows the values under it, with their units and time
    const box = (await mem.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    await expect.poll(() => mem.locator('.u-legend').textContent()).toMatch(/time\d{2}:\d{2}:\d{2}.*used[\d.]+ (KiB|MiB).*limit64 MiB/);
    await screenshot(page, 'detail-stats-1280.png');
    // dark: the axes take the theme's text colour at the next sample's redraw
    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await page.waitForTimeout(1500);
    await screenshot(page, 'detail-stats-1280-dark.png');
    expect(errors).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'charted']);
  }, 90_000);

  it('shows a slow stop as it happens and says when it is done', async () => {
    // a shell as PID 1 ignores SIGTERM: the stop waits its 10 s, then kills
    expect(agent.cli(['run', '-d', '--name', 'slowstop', image, 'sh', '-c', 'while true; do sleep 1; done']).code).toBe(0);
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.goto(`${agent.url}/containers/${idOf('slowstop')}`);
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 10_000 }).toBe('running');
    await page.getByRole('toolbar', { name: 'container actions' }).getByRole('button', { name: 'stop' }).click();
    // under way: the signal sent and the seconds since, while the state is still running
    await expect.poll(() => page.getByTestId('in-progress').textContent(), { timeout: 10_000 }).toMatch(/Stopping: SIGTERM sent \d+ s ago/);
    await page.waitForTimeout(2500);
    expect(await page.getByTestId('in-progress').textContent()).toMatch(/SIGTERM sent [2-9] s ago/);
    await screenshot(page, 'detail-stopping-1280.png');
    // done: the state, the events as they landed, and a toast
    const toast = page.getByTestId('toast');
    await expect.poll(() => toast.textContent(), { timeout: 30_000 }).toMatch(/^Stopped slowstop/);
    expect(await toast.getAttribute('data-kind')).toBe('ok');
    expect(await page.locator('[aria-live=polite]').filter({ has: toast }).count()).toBe(1);
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 10_000 }).toBe('exited');
    const events = (await page.getByTestId('activity-event').allTextContents()).join(' / ');
    expect(events).toMatch(/stop.*die \(exit 137\).*kill \(SIGKILL\).*kill \(SIGTERM\)/);
    expect(await page.getByTestId('in-progress').count()).toBe(0);
    await screenshot(page, 'detail-stopped-toast-1280.png');
    // a failure is a toast too, with the agent's reason
    expect(agent.cli(['create', '--name', 'taken', image]).code).toBe(0);
    await page.getByRole('button', { name: 'rename' }).click();
    await page.getByLabel('new name').fill('taken');
    await page.getByRole('button', { name: 'save' }).click();
    await expect
      .poll(() => page.locator('[data-testid=toast][data-kind=error]').textContent(), { timeout: 10_000 })
      .toMatch(/^Could not rename slowstop: .*taken/);
    // the refused rename's own status line is the one error expected
    expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'slowstop', 'taken']);
  }, 90_000);

  it('unticks follow when scrolling up the logs, jumps back to the latest, and says when a log is empty', async () => {
    expect(agent.cli(['run', '-d', '--name', 'chatty', image, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.05; done']).code).toBe(0);
    expect(agent.cli(['run', '-d', '--name', 'quiet', image, 'sleep', '600']).code).toBe(0);
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.goto(`${agent.url}/containers/${idOf('chatty')}`);
    await page.getByRole('tab', { name: 'logs' }).click();
    const logs = page.getByTestId('logs');
    const follow = page.getByRole('checkbox', { name: 'follow' });
    await expect.poll(async () => (await logs.textContent())?.split('line-').length ?? 0, { timeout: 15_000 }).toBeGreaterThan(60);
    expect(await follow.isChecked()).toBe(true);
    const atBottom = () => logs.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40);
    expect(await atBottom()).toBe(true);
    // scrolling up to read: follow unticks, the view stays put while lines keep coming
    await logs.hover();
    await page.mouse.wheel(0, -600);
    await expect.poll(() => follow.isChecked()).toBe(false);
    const jump = page.getByRole('button', { name: /jump to latest/ });
    await jump.waitFor();
    const top = await logs.evaluate((el) => el.scrollTop);
    await page.waitForTimeout(1000);
    expect(await logs.evaluate((el) => el.scrollTop)).toBe(top);
    expect(await atBottom()).toBe(false);
    await screenshot(page, 'detail-logs-paused-1280.png');
    await jump.click();
    await expect.poll(() => follow.isChecked()).toBe(true);
    await expect.poll(atBottom).toBe(true);
    expect(await jump.count()).toBe(0);

    await page.goto(`${agent.url}/containers/${idOf('quiet')}`);
    await page.getByRole('tab', { name: 'logs' }).click();
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 10_000 }).toBe('No output yet.');
    await screenshot(page, 'detail-logs-empty-1280.png');
    expect(errors).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'chatty', 'quiet']);
  }, 90_000);

  it('names a container that does not exist', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, { ...PAGE, ignore: (t, url) => PAGE.ignore(t, url) || / 404 /.test(t) });
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await page.goto(`${agent.url}/containers/doesnotexist`);
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain('No such container: doesnotexist');
    expect(await page.getByRole('link', { name: 'Back to containers' }).count()).toBe(1);
    await page.close();
  }, 60_000);

  it('focuses the terminal in full screen and refits it when the window changes', async () => {
    expect(agent.cli(['run', '-d', '--name', 'shell', image, 'sleep', '600']).code).toBe(0);
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.goto(`${agent.url}/containers/${idOf('shell')}`);
    await page.getByRole('tab', { name: 'terminal' }).click();
    await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 10_000 }).toBe('connected');
    await page.getByRole('button', { name: 'full screen' }).click();
    // typed at once, without clicking into the terminal first
    await page.keyboard.type('stty size\n');
    const screen = async () => ((await page.locator('.xterm-rows').textContent()) ?? '').replace(/\u00a0/g, ' ');
    await expect.poll(screen, { timeout: 10_000 }).toMatch(/\d+ \d+/);
    const rows = async () => Number([...(await screen()).matchAll(/(\d+) (\d+)/g)].at(-1)?.[1] ?? 0);
    const tall = await rows();
    await screenshot(page, 'detail-terminal-full-1280.png');
    await page.setViewportSize({ width: 1280, height: 500 });
    await page.keyboard.type('clear; stty size\n');
    await expect.poll(rows, { timeout: 10_000 }).toBeLessThan(tall);
    expect(errors).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'shell']);
  }, 90_000);
});

describe('image page', () => {
  it('shows the config, layers, history and users of an image, and runs it from a prefilled form', async () => {
    expect(agent.cli(['run', '-d', '--name', 'user-of-image', image, 'sleep', '600']).code).toBe(0);
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('link', { name: image, exact: true }).click();
    await page.waitForURL(/\/images\/view\?ref=/);
    await expect.poll(() => page.getByTestId('image-platform').textContent(), { timeout: 10_000 }).toBe('linux/amd64');
    expect(await page.getByTestId('image-tags').textContent()).toBe(image);
    expect(await page.getByTestId('image-created').textContent()).toMatch(/^2024-01-01 \d{2}:00:00 \([\d,]+ days ago\)$/);
    for (const f of ['cmd', 'entrypoint', 'workingdir', 'user', 'exposed-ports', 'volumes', 'env', 'labels'])
      expect(await page.getByTestId(`image-${f}`).count()).toBe(1);
    expect(await page.getByTestId('layer-row').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('history-row').first().textContent()).toContain('skiff test fixture');
    await page.getByTestId('image-container').getByRole('link', { name: 'user-of-image' }).waitFor();
    await screenshot(page, 'detail-image-1280.png');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    expect(await page.getByLabel('image').inputValue()).toBe(image);
    expect(await page.getByTestId('run-command-line').textContent()).toContain(image);
    await screenshot(page, 'detail-image-run-1280.png');
    expect(errors).toEqual([]);
    await page.close();
    agent.cli(['rm', '-f', 'user-of-image']);
  }, 90_000);

  it('shows N/A, not "20,000 days ago", for an image that records no date', async () => {
    const load = agent.cli(['load', '-i', await undatedArchive('undated:1')]);
    expect(load.code, load.stderr).toBe(0);
    const errors: string[] = [];
    const page = await adminPage(errors);
    await page.goto(`${agent.url}/images`);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'undated:1', exact: true }) });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('N/A');
    expect(await row.textContent()).not.toMatch(/days ago/);
    await row.getByRole('button', { name: 'history' }).click();
    await expect.poll(() => page.getByTestId('history-row').first().textContent()).toContain('N/A');
    expect(await page.getByTestId('history-row').first().textContent()).toContain('not recorded in the image');
    await page.goto(`${agent.url}/images/view?ref=${encodeURIComponent('undated:1')}`);
    await expect.poll(() => page.getByTestId('image-created').textContent(), { timeout: 10_000 }).toBe('N/A');
    expect(await page.getByTestId('image-env').textContent()).toContain('UNDATED=1');
    await screenshot(page, 'detail-image-undated-1280.png');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
