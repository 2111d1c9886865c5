import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { confirmAction, openPage, signIn, useE2e } from './harness.js';

/**
 * The Images, Volumes and Networks pages in a real browser against a real agent: pulling
 * with per-layer progress, tagging, history, in-use counts, network connect/disconnect,
 * volume labels and prune, and a viewer who can look but not touch.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const NEW_TAG = 'res-local/busybox:v1';
const net = freeTestSubnet();

useE2e({}, (f) => ({ agent, browser, image } = f));

afterAll(() => {
  if (!agent) return;
  agent.cli(['rm', '-f', 'res-c']);
  agent.cli(['network', 'rm', 'res-net']);
  agent.cli(['volume', 'rm', 'res-vol']);
}, 60_000);

/**
 * Not this suite's business: the favicon, and the nav's prefetches of pages that are not
 * on this branch yet (users, registries, audit) answering 404.
 */
const FOREIGN = /\/favicon\.ico$|\/(users|registries|audit)\?_rsc=/;
/** pages 768 px wide */
const PAGE = { viewport: { width: 768, height: 1000 }, ignore: (text: string, url: string) => text.includes('status of 404') && FOREIGN.test(url) };

const imageRow = (page: Page) => page.locator('tr').filter({ has: page.getByText(image, { exact: true }) });

describe('images, volumes and networks pages', () => {
  it('pulls with per-layer progress, tags, shows history and usage, connects networks and prunes volumes', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    // ---- pull, with a progress row per layer and a final status line
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByLabel('image to pull').fill(image);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    await expect.poll(() => page.getByTestId('pull-status').textContent(), { timeout: 60_000 }).toMatch(/(sha256:[0-9a-f]{64}|done)$/);
    const layers = page.locator('[data-testid^="layer-"]');
    expect(await layers.count()).toBeGreaterThanOrEqual(1);
    expect(await layers.first().textContent()).toMatch(/Pull complete|Already exists/);
    const bar = layers.first().locator('progress');
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    await imageRow(page).waitFor();
    expect(await imageRow(page).getByTestId('in-use').textContent()).toBe('unused');

    // ---- tag in the UI: both tags on the row and in the CLI
    await imageRow(page).getByRole('button', { name: 'tag', exact: true }).click();
    await page.getByLabel('new tag').fill(NEW_TAG);
    await page.getByRole('button', { name: 'Add tag' }).click();
    await imageRow(page).getByText(NEW_TAG, { exact: true }).waitFor();
    expect(await imageRow(page).getByTestId('image-tag').count()).toBe(2);
    const cliImages = agent.cli(['images']).stdout;
    expect(cliImages).toMatch(/res-local\/busybox\s+v1/);
    expect(cliImages).toMatch(/skiff-test\/busybox\s+latest/);

    // ---- history: docker history's rows
    await imageRow(page).getByRole('button', { name: 'history' }).click();
    await page.getByTestId('history-row').first().waitFor();
    expect(await page.getByTestId('history-row').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('image-history').textContent()).toContain('skiff test fixture');

    // ---- a container from the CLI shows up as "in use" (live, through the event stream)
    const run = agent.cli(['run', '-d', '--name', 'res-c', image, 'sleep', '300']);
    expect(run.code, run.stderr).toBe(0);
    await expect.poll(() => imageRow(page).getByTestId('in-use').textContent(), { timeout: 15_000 }).toBe('1 container');
    await expect.poll(() => imageRow(page).getByRole('button', { name: 'force remove' }).count()).toBe(1);

    // ---- networks: create with subnet and gateway, connect res-c, see its IP, disconnect
    await page.getByRole('link', { name: 'Networks' }).click();
    expect(await page.getByTestId('network-bridge').getByRole('button', { name: 'remove' }).count()).toBe(0);
    await page.getByLabel('network name').fill('res-net');
    await page.getByLabel('subnet').fill(net.subnet);
    await page.getByLabel('gateway').fill(net.gateway);
    await page.getByRole('button', { name: 'Create' }).click();
    const netRow = page.getByTestId('network-res-net');
    await netRow.waitFor();
    expect(await netRow.textContent()).toContain(net.subnet);
    expect(await netRow.textContent()).toContain(net.gateway);
    await netRow.getByRole('button', { name: 'inspect' }).click();
    const inspect = page.getByTestId('network-inspect');
    await inspect.getByLabel('container to connect').selectOption('res-c');
    await inspect.getByRole('button', { name: 'Connect', exact: true }).click();
    const endpoint = inspect.getByTestId('endpoint-res-c');
    await expect
      .poll(
        () =>
          endpoint
            .getByTestId('endpoint-ip')
            .textContent()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toMatch(new RegExp(`^${net.prefix.replace(/\./g, '\\.')}\\.\\d+/24$`));
    await expect.poll(() => netRow.getByTestId('network-containers').textContent()).toBe('1');
    expect(agent.cli(['network', 'inspect', 'res-net']).stdout).toContain('res-c');
    await endpoint.getByRole('button', { name: 'disconnect' }).click();
    await expect.poll(() => endpoint.count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => netRow.getByTestId('network-containers').textContent()).toBe('0');
    // aliases come from the container's own inspect (Docker's network inspect has none)
    expect(agent.cli(['network', 'connect', '--alias', 'res-db', 'res-net', 'res-c']).code).toBe(0);
    await expect
      .poll(
        () =>
          endpoint
            .getByTestId('endpoint-aliases')
            .textContent()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe('res-db');
    expect(agent.cli(['network', 'disconnect', 'res-net', 'res-c']).code).toBe(0);
    await expect.poll(() => endpoint.count(), { timeout: 15_000 }).toBe(0);

    // ---- volumes: create with a label, see it, prune it away
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.getByLabel('volume name').fill('res-vol');
    await page.getByLabel('labels').fill('team=qa');
    await page.getByRole('button', { name: 'Create' }).click();
    const volRow = page.getByTestId('volume-res-vol');
    await volRow.waitFor();
    expect(await volRow.textContent()).toContain('team=qa');
    expect(agent.cli(['volume', 'ls', '-q']).stdout).toContain('res-vol');
    await volRow.getByRole('button', { name: 'inspect' }).click();
    expect(await page.getByTestId('volume-inspect').textContent()).toContain('Containersnone');
    await page.getByLabel('prune mode').selectOption('all');
    await page.getByRole('button', { name: 'Prune' }).click();
    await confirmAction(page, 'Remove unused volumes');
    await expect.poll(() => page.getByTestId('volumes-notice').textContent()).toMatch(/Pruned [1-9]\d* volume\(s\), reclaimed/);
    await expect.poll(() => volRow.count()).toBe(0);
    expect(agent.cli(['volume', 'ls', '-q']).stdout).not.toContain('res-vol');

    // ---- images again: prune dangling (nothing), remove the extra tag
    await page.getByRole('link', { name: 'Images' }).click();
    await imageRow(page).waitFor();
    await page.getByRole('button', { name: 'Prune' }).click();
    await confirmAction(page, 'Remove dangling images');
    await expect.poll(() => page.getByTestId('images-notice').textContent()).toMatch(/Pruned 0 image\/layer\(s\), reclaimed 0 B/);
    await imageRow(page)
      .getByRole('button', { name: `untag ${NEW_TAG}` })
      .click();
    await confirmAction(page, `Untag ${NEW_TAG}`);
    await expect.poll(() => imageRow(page).getByTestId('image-tag').count()).toBe(1);
    expect(agent.cli(['images']).stdout).not.toContain('res-local/busybox');

    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('shows a viewer the lists but no Pull, Create, remove, prune or connect', async () => {
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', 'v1']).code).toBe(0);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'v1', 'viewer-password', errors);

    await page.getByRole('link', { name: 'Images' }).click();
    await imageRow(page).waitFor();
    await expect.poll(() => imageRow(page).getByTestId('in-use').textContent()).toBe('1 container');
    expect(await page.getByRole('button', { name: 'Pull' }).count()).toBe(0);
    expect(await page.getByLabel('image to pull').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'remove' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Prune' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'tag', exact: true }).count()).toBe(0);
    await imageRow(page).getByRole('button', { name: 'history' }).click(); // reading is allowed
    await page.getByTestId('history-row').first().waitFor();

    await page.getByRole('link', { name: 'Networks' }).click();
    const netRow = page.getByTestId('network-res-net');
    await netRow.waitFor();
    expect(await page.getByRole('button', { name: 'Create' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'remove' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Prune' }).count()).toBe(0);
    await netRow.getByRole('button', { name: 'inspect' }).click();
    await page.getByTestId('network-inspect').waitFor();
    expect(await page.getByRole('button', { name: 'Connect', exact: true }).count()).toBe(0);

    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.getByRole('heading', { name: 'Volumes' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'remove' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Prune' }).count()).toBe(0);

    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
