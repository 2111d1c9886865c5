import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { testCatalogue } from '../apps/agent/test/templates-fixtures.js';
import { confirmAction, openPage, screenshot, signIn, useE2e } from './harness.js';

/**
 * The Templates page in a real browser against a real agent: the built-in grid and its
 * search, an admin uploading a catalogue, deploying one of its templates from the form made
 * from its parameters (progress streamed, the generated password sealed and revealed on
 * demand), and a viewer who sees the grid without Deploy buttons.
 */
let agent: AgentHarness;
let browser: Browser;
let registry: string;
const stack = `tpl${randomBytes(3).toString('hex')}`;
const subnet = freeTestSubnet().subnet;

useE2e({}, (f) => ({ agent, browser, registry } = f));

afterAll(() => {
  if (agent) agent.cli(['compose', '-p', stack, 'down', '-v']);
}, 90_000);

const PAGE = { viewport: { width: 1280, height: 1000 }, ignore: (_text: string, url: string) => /\/favicon\.ico$/.test(url) };

describe('templates page', () => {
  it('searches the grid, adds a catalogue from a file, deploys a template with a sealed password', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL(/\/templates$/);
    await expect.poll(() => page.title()).toBe('Templates · Skiff');

    // the built-in grid, each card with its inline logo; search narrows it
    await page.getByTestId('template-builtin-postgres').waitFor();
    expect(await page.getByTestId('template-builtin-postgres').locator('img').getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    await page.getByLabel('search templates').fill('redis');
    await expect.poll(() => page.getByTestId('template-builtin-postgres').count()).toBe(0);
    await expect.poll(() => page.getByTestId('template-builtin-redis').count()).toBe(1);
    await page.getByLabel('search templates').fill('');

    // an admin adds a catalogue by uploading its file
    await page.getByLabel('catalogue name').fill('e2e');
    await page
      .getByLabel('catalogue file')
      .setInputFiles({ name: 'catalogue.yaml', mimeType: 'application/yaml', buffer: Buffer.from(testCatalogue(registry, [subnet])) });
    await page.getByRole('button', { name: 'Add catalogue' }).click();
    await expect.poll(() => page.getByTestId('catalogue-e2e').textContent(), { timeout: 10_000 }).toContain('3 templates');
    await page.getByLabel('catalogue', { exact: true }).selectOption('e2e');
    await page.getByTestId('template-e2e-keeper').waitFor();
    await expect.poll(() => page.getByTestId('template-builtin-postgres').count()).toBe(0);

    // the deploy form is made from the parameters: a password to generate, a text, a select
    await page.getByRole('button', { name: 'Deploy Secret keeper' }).click();
    const form = page.getByTestId('deploy-form');
    await form.waitFor();
    expect(await form.getByLabel('parameter PASS').getAttribute('type')).toBe('password');
    expect(await form.getByLabel('parameter NOTE').inputValue()).toBe('none');
    expect(await form.getByLabel('parameter SUBNET').inputValue()).toBe(subnet);
    await form.getByLabel('stack name').fill(stack);
    await form.getByLabel('parameter NOTE').fill('from the dashboard');
    await form.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => page.getByTestId('template-status').textContent(), { timeout: 90_000 }).toBe('Done');
    expect(await page.getByTestId('template-progress').textContent()).toContain(`${stack}-app-1`);
    const outcome = page.getByTestId('template-outcome');
    expect(await outcome.textContent()).toContain('Sealed secrets: PASS');
    // the password is not on the page until asked for
    expect(await page.content()).not.toMatch(/PASS=[A-Za-z0-9]{40}/);
    await outcome.getByRole('button', { name: 'Reveal secrets' }).click();
    await expect.poll(() => page.getByTestId('revealed-secrets').textContent(), { timeout: 10_000 }).toMatch(/^PASS=[A-Za-z0-9]{40}$/);
    const pass = (await page.getByTestId('revealed-secrets').textContent())!.slice('PASS='.length);
    expect(agent.cli(['exec', `${stack}-app-1`, 'sh', '-c', 'printf %s "$PASS"']).stdout).toBe(pass);
    await screenshot(page, 'templates-1280.png');

    // the stack it made is an ordinary stack
    await outcome.getByRole('link', { name: stack }).click();
    await page.waitForURL(new RegExp(`/stacks/${stack}$`));
    await expect.poll(() => page.getByTestId('stack-state').textContent(), { timeout: 20_000 }).toBe('running');

    // removing the catalogue asks first; the stack stays
    await page.goto(`${agent.url}/templates`);
    await page.getByTestId('catalogue-e2e').getByRole('button', { name: 'Remove' }).click();
    await confirmAction(page, 'Remove catalogue e2e', { settled: true });
    await expect.poll(() => page.getByTestId('catalogue-e2e').count(), { timeout: 10_000 }).toBe(0);
    expect(agent.cli(['ps', '-q', '--filter', `label=com.docker.compose.project=${stack}`]).stdout).not.toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a viewer the templates without Deploy buttons or the catalogue form', async () => {
    const viewer = `tv${randomBytes(2).toString('hex')}`;
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-pass-1', viewer]).code).toBe(0);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, viewer, 'viewer-pass-1', errors);
    await page.goto(`${agent.url}/templates`);
    await page.getByTestId('template-builtin-postgres').waitFor();
    expect(await page.getByRole('button', { name: /^Deploy / }).count()).toBe(0);
    expect(await page.getByLabel('catalogue name').count()).toBe(0);
    // a phone's width: the grid folds to one column, nothing scrolls sideways
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, 'templates-phone-390.png');
    expect(errors).toEqual([]);
    await page.close();
  });
});
