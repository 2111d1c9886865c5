import { afterAll, beforeAll } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';

export interface AgentFixture {
  readonly agent: AgentHarness;
  /** the fixture registry's host:port, which the agent is told is insecure */
  readonly registry: string;
  /** the busybox test image in that registry */
  readonly image: string;
}

/**
 * The usual set-up of a file that drives a test agent: the fixture registry and an agent in
 * beforeAll (with the busybox test image pulled when `pull`), both removed after the file's
 * tests. The returned fixture's getters work once beforeAll has run; `ready` gets the same
 * fixture then, for files that keep `agent` and `image` in variables of their own. Hooks the
 * file registers after this call run after this beforeAll and before this afterAll.
 */
export function useAgent(opts: { pull?: boolean } = {}, ready?: (fixture: AgentFixture) => void): AgentFixture {
  let agent: AgentHarness | undefined;
  let registry = '';
  const fixture: AgentFixture = {
    get agent() {
      if (!agent) throw new Error('the test agent is made in beforeAll');
      return agent;
    },
    get registry() {
      return registry;
    },
    get image() {
      return `${registry}/skiff-test/busybox:latest`;
    },
  };
  beforeAll(async () => {
    registry = (await fixtureRegistry()).host;
    agent = await AgentHarness.create([registry]);
    if (opts.pull) {
      const r = agent.cli(['pull', '-q', fixture.image]);
      if (r.code !== 0) throw new Error(`pull of ${fixture.image} failed (${r.code}): ${r.stderr}`);
    }
    ready?.(fixture);
  }, 120_000);
  afterAll(async () => {
    await agent?.dispose();
    await stopFixtureRegistry();
  }, 90_000);
  return fixture;
}
