import { describe, expect, it } from 'vitest';
import { useAgent } from './use-agent.js';
import { bearer, RawTrpcSocket } from './security-helpers.js';

const env = useAgent({ pull: true });

describe("`ps` over the agent's tRPC WebSocket", () => {
  it("comes as text frames holding the list's JSON, the same for unchanged calls", async () => {
    const made = env.agent.cli(['create', '--name', 'ws-ps', env.image, 'true']);
    expect(made.code, made.stderr).toBe(0);
    const ws = await RawTrpcSocket.open(env.agent, bearer(env.agent.token('read')));
    const frames: { binary: boolean; text: string }[] = [];
    ws.ws.on('message', (data: Buffer, isBinary: boolean) => frames.push({ binary: isBinary, text: data.toString() }));
    try {
      const answers = [];
      // cached answers come from the encoder's pooled buffers: repeat past the pool's two
      for (let i = 0; i < 5; i++) answers.push((await ws.call('query', 'containers.list', { all: true }))?.result?.data);
      expect(frames.map((f) => f.binary)).toEqual([false, false, false, false, false]);
      expect(answers[0]).toEqual([expect.objectContaining({ names: ['/ws-ps'], state: 'created' })]);
      for (const a of answers) expect(a).toEqual(answers[0]);
      // exactly the text JSON.stringify gives for the message (no stale or overrun bytes from a reused buffer)
      for (const f of frames) expect(f.text).toBe(JSON.stringify(JSON.parse(f.text)));
    } finally {
      ws.close();
      env.agent.cli(['rm', '-f', 'ws-ps']);
    }
  });
});
