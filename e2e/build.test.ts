import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHarness } from '../apps/agent/test/agent-harness.js';
import { openPage, signIn, useE2e } from './harness.js';

/**
 * The Build page, commit and push in a real browser against a real agent: a Dockerfile
 * typed into the editor and a context archive built through POST /api/build with the
 * output streamed live (and a rebuild from cache), a running container committed from its
 * page, a tag pushed to the local registry from the Images page, and a viewer who sees
 * none of it. One test drives the page against a stubbed /api/build (request shape,
 * error rendering, cancel) so the page's side is checked on its own.
 */
let agent: AgentHarness;
let browser: Browser;
let image: string;
let registry: string;
let work: string;

const BUILT_TAG = 'bld-e2e/app:v1';
const CTX_TAG = 'bld-e2e/ctx:v1';
const COMMITTED_TAG = 'bld-e2e/committed:v1';
const CONTAINER = 'bld-e2e-c';
const VIEWER = 'bld-e2e-viewer';

useE2e({}, (f) => ({ agent, browser, image, registry } = f));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'skiff-bld-e2e-'));
});

afterAll(async () => {
  if (agent) {
    agent.cli(['rm', '-f', CONTAINER]);
    agent.cli(['rmi', '-f', BUILT_TAG, CTX_TAG, COMMITTED_TAG, `${registry}/bld-e2e/pushed:v1`]);
    agent.cli(['user', 'rm', VIEWER]);
  }
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

/** Not this suite's business: the favicon, and prefetches of pages other branches add. */
const FOREIGN = /\/favicon\.ico$|\/(users|registries|audit)\?_rsc=/;
const PAGE = { viewport: { width: 1100, height: 1000 }, ignore: (text: string, url: string) => text.includes('status of 404') && FOREIGN.test(url) };

const log = (page: Page) =>
  page
    .getByTestId('build-log')
    .textContent()
    .then((t) => t ?? '');
const phase = (page: Page) =>
  page
    .getByTestId('build-phase')
    .textContent()
    .then(
      (t) => t ?? '',
      () => '',
    );

/** clicks Build and waits for the build to end; fails with the log when it did not finish */
async function buildAndWait(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await expect.poll(() => phase(page), { timeout: 120_000 }).toMatch(/finished|failed|cancelled/);
  const text = await log(page);
  expect(await phase(page), text).toBe('Build finished');
  return text;
}

describe('build, commit and push in the dashboard', () => {
  it('builds a Dockerfile from the editor with live output, rebuilds from cache, and builds an uploaded context', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    await page.getByRole('link', { name: 'Build', exact: true }).click();
    await page.waitForURL(/\/build$/);
    const editor = page.getByLabel('Dockerfile', { exact: true });
    // Tab indents instead of leaving the editor
    await editor.fill('RUN');
    await editor.press('End');
    await editor.press('Tab');
    await expect.poll(() => editor.inputValue()).toBe('RUN    ');
    await editor.fill(`FROM ${image}\nRUN echo built-$RANDOM | tee /x\nCMD cat /x\n`);
    await page.getByLabel('tags').fill(BUILT_TAG);

    const first = await buildAndWait(page);
    expect(first).toContain(`Step 1/3 : FROM ${image}`);
    expect(first).toContain('Step 2/3 : RUN echo built-$RANDOM | tee /x');
    const out = /built-(\d+)/.exec(first.replace('built-$RANDOM', ''));
    expect(out, first).not.toBeNull(); // the RUN output, streamed
    expect(first).toMatch(/Successfully built [0-9a-f]{12}/);
    expect(first).toContain(`Successfully tagged ${BUILT_TAG}`);
    expect(await page.getByTestId('build-step').textContent()).toBe('Step 3/3');
    const result = page.getByTestId('build-result');
    expect(await result.textContent()).toMatch(/sha256:[0-9a-f]{64}/);
    const id = /sha256:[0-9a-f]{64}/.exec((await result.textContent())!)![0];
    // the image runs what was built
    const run = agent.cli(['run', '--rm', BUILT_TAG]);
    expect(run.stdout.trim(), run.stderr).toBe(`built-${out![1]}`);

    // ---- the same again: every step from the cache, the same image
    const second = await buildAndWait(page);
    expect(second).toContain(' ---> Using cache');
    expect(second).not.toMatch(/built-\d+/);
    expect(await result.textContent()).toContain(id);

    // ---- the image is on the Images page (the result's link filters to it)
    await result.getByRole('link', { name: 'Show in images' }).click();
    await page.waitForURL(/\/images\?q=/);
    await page.getByTestId('image-tag').filter({ hasText: BUILT_TAG }).waitFor();

    // ---- a context archive: COPY of a file in it, the Dockerfile in a sub-directory
    const ctx = join(work, 'ctx');
    spawnSync('mkdir', ['-p', join(ctx, 'build')]);
    await writeFile(join(ctx, 'hello.txt'), 'hello from the context\n');
    await writeFile(
      join(ctx, 'build', 'Dockerfile'),
      `FROM ${image}\nARG GREETING=unset\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo "arg=$GREETING"\n`,
    );
    const archive = join(work, 'ctx.tar.gz');
    expect(spawnSync('tar', ['-czf', archive, '-C', ctx, '.']).status).toBe(0);
    await page.getByRole('link', { name: 'Build', exact: true }).click();
    await page.getByRole('radio', { name: 'Context archive' }).click();
    await page.getByLabel('context archive').setInputFiles(archive);
    await page.getByLabel('Dockerfile path').fill('build/Dockerfile');
    await page.getByLabel('tags').fill(CTX_TAG);
    await page.getByRole('button', { name: 'add build arg' }).click();
    await page.getByLabel('build arg name 1').fill('GREETING');
    await page.getByLabel('build arg value 1').fill('hi there');
    const third = await buildAndWait(page);
    expect(third).toContain('hello from the context');
    expect(third).toContain('arg=hi there');
    expect(third).toContain(`Successfully tagged ${CTX_TAG}`);

    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('commits a running container from its page and pushes a tag from the Images page', async () => {
    const r = agent.cli(['run', '-d', '--name', CONTAINER, image, 'sh', '-c', 'echo committed-from-dashboard > /marker; sleep 300']);
    expect(r.code, r.stderr).toBe(0);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);

    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByTestId(`row-${CONTAINER}`).getByRole('link', { name: CONTAINER }).click();
    await page.waitForURL(/\/containers\//);
    await expect.poll(() => page.getByTestId('state').textContent()).toMatch(/Up|running/i);
    await page.getByRole('toolbar', { name: 'container actions' }).getByRole('button', { name: 'commit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Commit/ });
    await dialog.getByLabel('repository:tag').fill(COMMITTED_TAG);
    await dialog.getByLabel('commit message').fill('from the dashboard');
    await dialog.getByLabel('author').fill('E2E <e2e@example.com>');
    // a bad change is shown in the dialog, which stays open for a fix
    await dialog.getByLabel('changes').fill('NOPE whatever');
    await dialog.getByRole('button', { name: 'Commit', exact: true }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/NOPE/i);
    await dialog.getByLabel('changes').fill('CMD ["cat", "/marker"]\nENV FROM_DASHBOARD=1');
    expect(await dialog.getByLabel('Pause the container while committing').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Commit', exact: true }).click();
    const committed = dialog.getByTestId('commit-result');
    await expect.poll(() => committed.textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/^Committed sha256:[0-9a-f]{64} as bld-e2e\/committed:v1/);
    expect(await dialog.getByRole('alert').count()).toBe(0);
    // the container kept running (paused only while committing)
    await expect.poll(() => page.getByTestId('state').textContent()).toMatch(/Up|running/i);
    const run = agent.cli(['run', '--rm', COMMITTED_TAG]);
    expect(run.stdout.trim(), run.stderr).toBe('committed-from-dashboard');
    const inspect = JSON.parse(agent.cli(['inspect', '--type', 'image', COMMITTED_TAG]).stdout) as [{ Config?: { Env?: string[]; Cmd?: string[] } }];
    expect(inspect[0].Config?.Env).toContain('FROM_DASHBOARD=1');
    expect(inspect[0].Config?.Cmd).toEqual(['cat', '/marker']);

    // ---- the new image on the Images page
    await committed.getByRole('link', { name: 'Show in images' }).click();
    await page.waitForURL(/\/images\?q=/);
    await page.getByTestId('image-tag').filter({ hasText: COMMITTED_TAG }).waitFor();
    const row = page.locator('tr').filter({ has: page.getByText(COMMITTED_TAG, { exact: true }) });
    await row.getByRole('button', { name: 'history' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('image-history')
          .textContent()
          .catch(() => ''),
      )
      .toContain('from the dashboard');

    // ---- push: a tag for the local registry goes there, with its digest shown
    const pushed = `${registry}/bld-e2e/pushed:v1`;
    expect(agent.cli(['tag', COMMITTED_TAG, pushed]).code).toBe(0);
    await page.getByLabel('search images').fill('');
    const pushButton = page.getByRole('button', { name: `push ${pushed}` });
    await pushButton.waitFor({ timeout: 15_000 });
    await pushButton.click();
    const status = page.getByTestId('push-status').filter({ hasText: pushed });
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^Pushed .* · sha256:[0-9a-f]{64}/);
    const digest = /sha256:[0-9a-f]{64}/.exec((await status.textContent())!)![0];
    const manifest = await fetch(`http://${registry}/v2/bld-e2e/pushed/manifests/v1`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(digest);

    // a push that cannot work shows its error inline
    const nowhere = '127.0.0.1:9/bld-e2e/nowhere:v1';
    expect(agent.cli(['tag', COMMITTED_TAG, nowhere]).code).toBe(0);
    await page.getByRole('button', { name: `push ${nowhere}` }).click();
    const failed = page.getByTestId('push-status').filter({ hasText: nowhere });
    await expect.poll(() => failed.textContent(), { timeout: 60_000 }).toMatch(/^Push of 127\.0\.0\.1:9\/bld-e2e\/nowhere:v1 failed: .+/);
    await page.getByRole('button', { name: `dismiss push result of ${nowhere}` }).click();
    await expect.poll(() => failed.count()).toBe(0);
    agent.cli(['rmi', nowhere]);

    // the browser logs the two refusals this test asked for
    expect(errors.filter((e) => !/status of (400|503) .*\/trpc\/(containers\.commit|images\.push)\?/.test(e))).toEqual([]);
    await page.close();
  }, 180_000);

  it('sends the form as the /api/build request and shows refusals, build errors and cancel (stubbed endpoint)', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, 'admin', AgentHarness.ADMIN_PASSWORD, errors);
    const requests: { url: URL; type: string; body: string }[] = [];
    let answer: (route: Route) => Promise<void> = (route) =>
      route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ message: 'building needs the operator role' }) });
    await page.route('**/api/build**', async (route) => {
      const req = route.request();
      requests.push({ url: new URL(req.url()), type: (await req.allHeaders())['content-type'] ?? '', body: req.postData() ?? '' });
      await answer(route);
    });

    await page.goto(`${agent.url}/build`);
    await page.getByLabel('Dockerfile', { exact: true }).fill('FROM scratch\nCOPY x /\n');
    await page.getByLabel('tags').fill('one:1, two:2 three');
    await page.getByLabel('target').fill('final');
    await page.getByLabel('no cache').check();
    await page.getByRole('button', { name: 'add build arg' }).click();
    await page.getByLabel('build arg name 1').fill('A');
    await page.getByLabel('build arg value 1').fill('x y');

    // ---- refused: the agent's message, inline
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => phase(page)).toBe('Build failed');
    expect(await page.locator('main').getByRole('alert').textContent()).toContain('building needs the operator role');
    const req = requests[0]!;
    expect(req.url.pathname).toBe('/api/build');
    expect(req.url.searchParams.getAll('t')).toEqual(['one:1', 'two:2', 'three']);
    expect(req.url.searchParams.get('target')).toBe('final');
    expect(req.url.searchParams.get('nocache')).toBe('1');
    expect(JSON.parse(req.url.searchParams.get('buildargs')!)).toEqual({ A: 'x y' });
    expect(req.url.searchParams.has('dockerfile')).toBe(false);
    expect(req.type).toMatch(/^text\/plain/);
    expect(req.body).toBe('FROM scratch\nCOPY x /\n');

    // ---- a build that fails midway: its output and its error
    answer = (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/x-ndjson',
        body: [
          { type: 'step', text: 'Step 1/2 : FROM scratch' },
          { type: 'status', text: ' ---> <none>' },
          { type: 'step', text: 'Step 2/2 : COPY x /' },
          { type: 'error', message: 'COPY failed: no source files were specified' },
        ]
          .map((e) => JSON.stringify(e))
          .join('\n'),
      });
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => log(page)).toContain('ERROR: COPY failed: no source files were specified');
    expect(await phase(page)).toBe('Build failed');
    expect(await page.getByTestId('build-step').textContent()).toBe('Step 2/2');
    expect(await page.locator('main').getByRole('alert').textContent()).toContain('COPY failed');
    expect(await page.getByTestId('build-result').count()).toBe(0);

    // ---- cancel: the request is aborted, the page says so
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    answer = async (route) => {
      await held;
      await route.abort().catch(() => undefined);
    };
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => phase(page)).toBe('Building…');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => phase(page)).toBe('Build cancelled');
    expect(await log(page)).toContain('Build cancelled');
    release();

    // ---- a context archive goes up as application/x-tar with its Dockerfile path
    answer = (route) => route.fulfill({ status: 200, contentType: 'application/x-ndjson', body: '{"type":"built","id":"sha256:' + 'a'.repeat(64) + '"}\n' });
    const tar = join(work, 'stub.tar');
    await writeFile(join(work, 'Dockerfile'), 'FROM scratch\n');
    expect(spawnSync('tar', ['-cf', tar, '-C', work, 'Dockerfile']).status).toBe(0);
    await page.getByRole('radio', { name: 'Context archive' }).click();
    await page.getByLabel('context archive').setInputFiles(tar);
    await page.getByLabel('Dockerfile path').fill('Dockerfile');
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => phase(page)).toBe('Build finished');
    const up = requests.at(-1)!;
    expect(up.type).toBe('application/x-tar');
    expect(up.url.searchParams.get('dockerfile')).toBe('Dockerfile');
    expect(up.body.length).toBe((await readFile(tar)).length);
    expect(await page.getByTestId('build-result').textContent()).toContain(`sha256:${'a'.repeat(64)}`);

    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows a viewer no Build page, no commit and no push', async () => {
    expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-password', VIEWER]).code).toBe(0);
    const errors: string[] = [];
    const page = await openPage(browser, errors, PAGE);
    await signIn(page, agent, VIEWER, 'viewer-password', errors);
    await page.getByRole('link', { name: 'Images' }).waitFor();
    expect(await page.getByRole('link', { name: 'Build', exact: true }).count()).toBe(0);
    await page.goto(`${agent.url}/build`);
    await page.getByText('Building images needs the operator role').waitFor();
    expect(await page.getByLabel('Dockerfile', { exact: true }).count()).toBe(0);

    await page.goto(`${agent.url}/images`);
    await page.getByTestId('image-tag').filter({ hasText: image }).waitFor();
    expect(await page.getByRole('button', { name: /^push / }).count()).toBe(0);

    await page.goto(`${agent.url}/containers/${CONTAINER}`);
    await page.getByTestId('state').waitFor();
    expect(await page.getByRole('button', { name: 'commit', exact: true }).count()).toBe(0);

    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
