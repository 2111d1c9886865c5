/**
 * Loaded with NODE_OPTIONS=--import (node refuses --cpu-prof there): profiles the whole
 * process with the inspector and writes a .cpuprofile to SKIFF_CPU_PROFILE_DIR at exit,
 * for benches that start the agent through its ordinary wrapper.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SKIFF_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // the in-process session answers synchronously, so this completes before exit
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `agent-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
