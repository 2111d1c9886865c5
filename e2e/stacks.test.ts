import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { composeOnSubnet, confirmAction, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The Stacks pages in a real browser against a real agent: a new stack typed into the
 * editor, the located error of a typo'd key, the fix, deploy with streamed progress, the
 * services running, a viewer without buttons, and remove.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
const stack = `e2e${randomBytes(3).toString('hex')}`;
const viewerName = `sv${randomBytes(2).toString('hex')}`;
const net = freeTestSubnet();

useE2e({}, (f) => ({ agent, browser, image } = f));

afterAll(() => {
  if (agent) agent.cli(['compose', '-p', stack, 'down', '-v']);
}, 90_000);

const FOREIGN = /\/favicon\.ico$/;
const PAGE = { viewport: { width: 1280, height: 1000 }, ignore: (_text: string, url: string) => FOREIGN.test(url) };

const file = (key: string) =>
  composeOnSubnet(
    `  web:
    ${key}: \${IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www"]
    stop_grace_period: 1s
  worker:
    image: \${IMAGE}
    command: sh -c 'while true; do wget -qO- http://web/ >/dev/null; sleep 1; done'
    stop_grace_period: 1s
`,
    net.subnet,
  );

describe('stacks page', () => {
  it('creates a stack in the editor, shows a located error, deploys, shows the services running, and removes it', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    await page.getByRole('link', { name: 'Stacks' }).click();
    await page.waitForURL(/\/stacks$/);
    await page.getByRole('link', { name: 'New stack' }).click();
    await page.getByLabel('stack name').fill(stack);
    await page.getByLabel('env file').fill(`IMAGE=${image}\n`);

    // a typo'd key: the error with its place, the line marked in the gutter, Save disabled
    await page.getByLabel('compose file').fill(file('imagee'));
    await expect
      .poll(() => page.getByTestId('validation').textContent(), { timeout: 10_000 })
      .toMatch(/compose\.yaml:3:5: services\.web: unknown key "imagee" \(did you mean "image"\?\)/);
    expect(await page.getByTestId('validation-location').textContent()).toBe('compose.yaml line 3, column 5');
    expect(await page.getByTestId('error-line').textContent()).toBe('3');
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'stack-error-1280.png');

    // fixed: valid, saved, and the page becomes the stack's own
    await page.getByLabel('compose file').fill(file('image'));
    await expect.poll(() => page.getByTestId('validation').textContent(), { timeout: 10_000 }).toMatch(/valid · 2 services/);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(new RegExp(`/stacks/${stack}$`));
    await expect.poll(() => page.getByTestId('stack-state').textContent(), { timeout: 10_000 }).toBe('not deployed');

    // deploy: progress streams in, then both services run, with links to their containers
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => page.getByTestId('deploy-status').textContent(), { timeout: 90_000 }).toBe('Done');
    expect(await page.getByTestId('deploy-progress').textContent()).toContain(`${stack}-worker-1`);
    await expect.poll(() => page.getByTestId('stack-state').textContent(), { timeout: 20_000 }).toBe('running');
    for (const s of ['web', 'worker']) {
      await expect.poll(() => page.getByTestId(`service-${s}`).getByTestId('container-state').textContent(), { timeout: 20_000 }).toMatch(/^running/);
    }
    const ps = agent.cli(['ps', '--filter', `label=com.docker.compose.project=${stack}`]).stdout;
    expect(ps).toContain(`${stack}-web-1`);
    expect(ps).toContain(`${stack}-worker-1`);

    // the service's logs, and the list page with its state
    await page.getByTestId('service-web').getByRole('button', { name: 'logs' }).click();
    await page.getByTestId('service-logs').waitFor();
    await page.getByRole('link', { name: 'Stacks', exact: true }).first().click();
    await page.waitForURL(/\/stacks$/);
    await expect.poll(() => page.getByTestId(`stack-${stack}`).getByTestId('stack-state').textContent(), { timeout: 10_000 }).toBe('running');

    // the container link leads to the container's page
    await page.getByRole('link', { name: stack, exact: true }).click();
    await page.getByRole('link', { name: `${stack}-web-1` }).click();
    await page.waitForURL(/\/containers\/[0-9a-f]{64}$/);
    await page.goBack();

    // laid out without sideways overflow at laptop and tablet widths, light and dark (screenshots in e2e/screenshots/)
    for (const width of [1280, 768]) {
      await page.setViewportSize({ width, height: 1000 });
      for (const [shot, path] of [
        ['stacks', '/stacks'],
        ['stack', `/stacks/${stack}`],
      ] as const) {
        await page.goto(`${agent.url}${path}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(500);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${shot} at ${width}px overflows by ${overflow}px`).toBeLessThanOrEqual(0);
        await screenshot(page, `${shot}-${width}.png`);
      }
    }
    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await screenshot(page, 'stack-768-dark.png');
    await page.setViewportSize({ width: 1280, height: 1000 });

    // remove: containers, network and the stored stack are gone
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirmAction(page, `Remove stack ${stack}`);
    await page.waitForURL(/\/stacks$/);
    await expect.poll(() => page.getByTestId(`stack-${stack}`).count(), { timeout: 10_000 }).toBe(0);
    expect(agent.cli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${stack}`]).stdout).toBe('');
    expect(agent.cli(['network', 'ls']).stdout).not.toContain(stack);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a viewer the stacks and the file but no mutating buttons', async () => {
    // a stored stack (saved over the API would need a token; the editor is what viewers read)
    const errors: string[] = [];
    const admin = await openPage(browser, errors, PAGE);
    await signIn(admin, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await admin.goto(`${agent.url}/stacks/new`);
    await admin.getByLabel('stack name').fill(`${stack}v`);
    await admin.getByLabel('env file').fill(`IMAGE=${image}\n`);
    await admin.getByLabel('compose file').fill(file('image'));
    await expect.poll(() => admin.getByTestId('validation').textContent(), { timeout: 10_000 }).toMatch(/valid/);
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.waitForURL(new RegExp(`/stacks/${stack}v$`));
    await admin.close();

    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', viewerName]).code).toBe(0);
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, viewerName, 'viewer-password', errors);
    await page.goto(`${agent.url}/stacks`);
    await page.getByTestId(`stack-${stack}v`).waitFor();
    expect(await page.getByRole('link', { name: 'New stack' }).count()).toBe(0);
    await page.getByRole('link', { name: `${stack}v` }).click();
    await expect.poll(() => page.getByLabel('compose file').inputValue(), { timeout: 10_000 }).toContain('services:');
    expect(await page.getByLabel('compose file').getAttribute('readonly')).not.toBeNull();
    for (const b of ['Save', 'Deploy', 'Stop', 'Start', 'Down', 'Remove']) expect(await page.getByRole('button', { name: b, exact: true }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
