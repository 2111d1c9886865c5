import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../src/build/dockerfile.js';
import { applyMetadata, type ImageRunConfig } from '../src/build/image-config.js';

/** runs the metadata instructions of a one-stage Dockerfile over a base config */
function configOf(body: string, base: ImageRunConfig = { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'] }, args: Record<string, string> = {}) {
  const df = parseDockerfile(`FROM base\n${body}`);
  let config = base;
  const history: string[] = [];
  for (const ins of df.stages[0]!.instructions) {
    const r = applyMetadata(config, ins, { args: (n) => args[n] });
    config = r.config;
    history.push(r.createdBy);
  }
  return { config, history };
}

describe('metadata instructions → image config', () => {
  it('sets and expands ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL', () => {
    const { config, history } = configOf(
      [
        'ENV APP=/srv/app MODE=${MODE:-prod}',
        'ENV PATH=$APP/bin:$PATH',
        'LABEL org.example.mode="$MODE" tier=web',
        'WORKDIR $APP',
        'WORKDIR sub',
        'USER ${RUNAS}',
        'EXPOSE 80 53/udp 8000-8001',
        'VOLUME ["/data", "/logs"]',
        'STOPSIGNAL SIGTERM',
      ].join('\n'),
      undefined,
      { RUNAS: 'nobody' },
    );
    // an ENV of a name set already replaces it in place, as dockerd does: PATH stays first
    expect(config.Env).toEqual(['PATH=/srv/app/bin:/usr/bin:/bin', 'APP=/srv/app', 'MODE=prod']);
    expect(config.Labels).toEqual({ 'org.example.mode': 'prod', tier: 'web' });
    expect(config.WorkingDir).toBe('/srv/app/sub');
    expect(config.User).toBe('nobody');
    expect(Object.keys(config.ExposedPorts!)).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    expect(Object.keys(config.Volumes!)).toEqual(['/data', '/logs']);
    expect(config.StopSignal).toBe('SIGTERM');
    expect(history[0]).toBe('ENV APP=/srv/app MODE=prod');
  });

  it('follows the CMD/ENTRYPOINT rules: shell form wraps in the SHELL, ENTRYPOINT drops the inherited CMD', () => {
    expect(configOf('CMD echo $HOME').config.Cmd).toEqual(['/bin/sh', '-c', 'echo $HOME']);
    expect(configOf('ENTRYPOINT ["/app"]').config).toMatchObject({ Entrypoint: ['/app'], Cmd: null });
    expect(configOf('ENTRYPOINT ["/app"]\nCMD ["--help"]').config).toMatchObject({ Entrypoint: ['/app'], Cmd: ['--help'] });
    expect(configOf('SHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nCMD run it').config.Cmd).toEqual(['/bin/ash', '-eo', 'pipefail', '-c', 'run it']);
  });

  it('stores HEALTHCHECK with durations in nanoseconds, and NONE', () => {
    expect(configOf('HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD wget -q localhost || exit 1').config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'wget -q localhost || exit 1'],
      Interval: 5e9,
      Timeout: 90e9,
      Retries: 3,
    });
    expect(configOf('HEALTHCHECK CMD ["true"]').config.Healthcheck).toEqual({ Test: ['CMD', 'true'] });
    expect(configOf('HEALTHCHECK NONE').config.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(() => configOf('HEALTHCHECK --interval=soon CMD true')).toThrow(/Dockerfile:2: invalid duration for --interval/);
  });

  it('refuses bad ports and empty volumes with the line', () => {
    expect(() => configOf('EXPOSE 99999')).toThrow(/Dockerfile:2: invalid port range/);
    expect(() => configOf('EXPOSE http')).toThrow(/Dockerfile:2: invalid containerPort: http/);
    expect(() => configOf('VOLUME [""]')).toThrow(/can not be an empty string/);
  });

  it('keeps ONBUILD triggers', () => {
    expect(configOf('ONBUILD COPY . /app\nONBUILD RUN make').config.OnBuild).toEqual(['COPY . /app', 'RUN make']);
  });
});
