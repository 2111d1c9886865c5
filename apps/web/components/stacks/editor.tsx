'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Logs } from '../container/logs';
import { ErrorAlert, Notice, ROLE_CAN_OPERATE, ROW, TABLE, THEAD, useLiveRefresh } from '../resources/shared';
import { useMe } from '../use-auth';
import { api, errorMessage } from '../../lib/trpc';
import { NEW_STACK, SERVICE_LABEL, StateBadge, type StackContainer, type StackDetail, type Validation } from './shared';

const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
type Line = { kind: string; name: string; status: string; detail?: string };

/**
 * One stack: the compose file and .env in monospace editors validated as you type (the
 * error's line is marked in the gutter), Save / Deploy with the progress streamed below,
 * the lifecycle buttons, and the services with their containers and logs. `name` absent:
 * a new stack.
 */
export function StackEditor({ name: initialName }: { name?: string }) {
  const me = useMe();
  const router = useRouter();
  const canOperate = ROLE_CAN_OPERATE(me?.role);
  const creating = initialName === undefined;
  const [name, setName] = useState(initialName ?? '');
  const [detail, setDetail] = useState<StackDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [composeFile, setComposeFile] = useState(creating ? NEW_STACK : '');
  const [envFile, setEnvFile] = useState('');
  const [saved, setSaved] = useState<{ composeFile: string; envFile: string } | null>(null);
  const [validation, setValidation] = useState<Validation | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<Line[]>([]);
  const [progressState, setProgressState] = useState<'' | 'running' | 'done' | 'failed'>('');
  const [withVolumes, setWithVolumes] = useState(false);
  const [logService, setLogService] = useState('');
  const sub = useRef<{ unsubscribe(): void } | undefined>(undefined);
  useEffect(() => () => sub.current?.unsubscribe(), []);

  // while a remove runs, the container events it causes must not re-read a stack that is going away
  const removing = useRef(false);
  const load = useCallback(async () => {
    if (creating || removing.current) return;
    try {
      const d = await api().stacks.get.query({ name: initialName });
      setDetail(d);
      return d;
    } catch (e) {
      if (/no stack named/.test(errorMessage(e))) setMissing(true);
      else setError(errorMessage(e));
    }
  }, [creating, initialName]);

  // the stored file is loaded once; later refreshes (container events) only update the live part
  useEffect(() => {
    if (!me || creating) return;
    void load().then((d) => {
      if (d?.stack) {
        setComposeFile(d.stack.composeFile);
        setEnvFile(d.stack.envFile);
        setSaved({ composeFile: d.stack.composeFile, envFile: d.stack.envFile });
      }
    });
  }, [me, creating, load]);
  useLiveRefresh(!!me && !creating, ['container'], load);

  // live validation, debounced; the answer for stale text is dropped
  const external = !!detail?.external;
  useEffect(() => {
    if (!me || external || (!creating && !saved)) return;
    let stale = false;
    const t = setTimeout(() => {
      api()
        .stacks.validate.query({ name: NAME_RE.test(name) ? name : undefined, composeFile, envFile })
        .then((v) => !stale && setValidation(v), (e) => !stale && setValidation({ ok: false, error: { message: errorMessage(e) } }));
    }, 350);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [me, external, creating, saved, name, composeFile, envFile]);

  const dirty = !saved || saved.composeFile !== composeFile || saved.envFile !== envFile;
  const nameError = creating && name && !NAME_RE.test(name) ? 'a stack name is lowercase letters, digits, "-" and "_", starting with a letter or digit' : '';
  const valid = validation?.ok === true;

  const act = async (fn: () => Promise<string | void>) => {
    setError('');
    setNotice('');
    setBusy(true);
    try {
      const msg = await fn();
      if (msg) setNotice(msg);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
    await load();
  };

  const save = async () => {
    const r = await api().stacks.save.mutate({ name, composeFile, envFile, create: creating });
    setSaved({ composeFile: r.stack.composeFile, envFile: r.stack.envFile });
    return r;
  };

  const onSave = () =>
    act(async () => {
      await save();
      if (creating) router.replace(`/stacks/${encodeURIComponent(name)}`);
      return `Saved ${name}`;
    });

  const deploy = () => {
    setError('');
    setNotice('');
    setProgress([]);
    setProgressState('running');
    setBusy(true);
    const run = async () => {
      if (dirty) await save();
      sub.current?.unsubscribe();
      sub.current = api().stacks.deploy.subscribe(
        { name },
        {
          onData: (d) => {
            if ('event' in d) {
              const e = d.event;
              // one line per object, updated in place, as `compose up` prints
              setProgress((p) => {
                const i = p.findIndex((l) => l.kind === e.kind && l.name === e.name);
                return i < 0 ? [...p, e] : p.map((l, j) => (j === i ? e : l));
              });
              return;
            }
            sub.current?.unsubscribe();
            setProgressState('done');
            setBusy(false);
            void load();
          },
          onError: (e) => {
            setError(errorMessage(e));
            setProgressState('failed');
            setBusy(false);
            void load();
          },
        },
      );
    };
    run().catch((e) => {
      setError(errorMessage(e));
      setProgressState('failed');
      setBusy(false);
    });
  };

  const lifecycle = (action: 'start' | 'stop' | 'restart' | 'down') =>
    act(async () => {
      const r = action === 'down' ? await api().stacks.down.mutate({ name, volumes: withVolumes }) : await api().stacks[action].mutate({ name });
      setProgress(r.events);
      setProgressState(r.events.length ? 'done' : '');
      return `${action === 'down' ? 'Down' : action[0]!.toUpperCase() + action.slice(1)}: ${name}`;
    });

  const remove = () => {
    if (!window.confirm(`Remove stack ${name}? Its containers and networks${withVolumes ? ' and volumes' : ''} are removed and the stored file is deleted.`)) return;
    removing.current = true;
    void act(async () => {
      try {
        await api().stacks.remove.mutate({ name, volumes: withVolumes });
      } catch (e) {
        removing.current = false;
        throw e;
      }
      router.replace('/stacks');
    });
  };

  // services: those in the file, then any that only have containers (removed from the file, not yet redeployed)
  const containers = useMemo(() => detail?.containers ?? [], [detail]);
  const services = useMemo(() => {
    const names = validation?.ok ? Object.keys(validation.project.services) : [];
    for (const c of containers) {
      const s = c.labels[SERVICE_LABEL];
      if (s && !names.includes(s)) names.push(s);
    }
    return names.map((s) => ({ name: s, containers: containers.filter((c) => c.labels[SERVICE_LABEL] === s) }));
  }, [validation, containers]);
  const logContainer = services.find((s) => s.name === logService)?.containers[0];
  const state = containers.length === 0 ? 'not deployed' : containers.every((c) => c.state === 'running') ? 'running' : containers.some((c) => c.state === 'running') ? 'partial' : 'stopped';

  if (missing) {
    return (
      <p className="card">
        No stack named {initialName}. <Link className="text-sky-600 hover:underline" href="/stacks">Back to stacks</Link>
      </p>
    );
  }
  if (!creating && !detail) return error ? <ErrorAlert message={error} /> : <p>loading…</p>;
  const readOnly = !canOperate || external;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">
          <Link className="text-sky-600 hover:underline" href="/stacks">
            Stacks
          </Link>{' '}
          / {creating ? 'new stack' : initialName}
        </h1>
        {!creating && <StateBadge state={state} />}
        {external && <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">external/CLI</span>}
        <span className="flex-1" />
        {canOperate && !external && (
          <div className="flex flex-wrap items-center gap-2" role="group" aria-label="stack actions">
            <button className="btn" disabled={busy || !valid || !dirty || !name || !!nameError} onClick={() => void onSave()}>
              Save
            </button>
            {!creating && (
              <>
                <button className="btn-primary" disabled={busy || !valid} onClick={deploy}>
                  {dirty ? 'Save & deploy' : 'Deploy'}
                </button>
                <button className="btn" disabled={busy || containers.length === 0} onClick={() => void lifecycle('stop')}>
                  Stop
                </button>
                <button className="btn" disabled={busy || containers.length === 0} onClick={() => void lifecycle('start')}>
                  Start
                </button>
                <button className="btn" disabled={busy || containers.length === 0} onClick={() => void lifecycle('restart')}>
                  Restart
                </button>
                <button className="btn" disabled={busy || containers.length === 0} onClick={() => void lifecycle('down')}>
                  Down
                </button>
                <label className="flex items-center gap-1 text-xs">
                  <input type="checkbox" checked={withVolumes} onChange={(e) => setWithVolumes(e.target.checked)} /> with volumes
                </label>
                <button className="btn-danger" disabled={busy} onClick={remove}>
                  Remove
                </button>
              </>
            )}
          </div>
        )}
      </div>
      <ErrorAlert message={error} onClose={() => setError('')} />
      <Notice message={notice} testId="stack-notice" />

      {external ? (
        <p className="card text-sm text-zinc-600 dark:text-zinc-400">
          This compose project was started outside the dashboard (with <code>skiff compose</code>
          {detail?.containers[0]?.labels['com.docker.compose.project.working_dir'] ? ` in ${detail.containers[0].labels['com.docker.compose.project.working_dir']}` : ''}); its file is not stored here.
        </p>
      ) : (
        <>
          {creating && (
            <label className="block max-w-sm">
              <span className="label">Name</span>
              <input className="input font-mono" aria-label="stack name" placeholder="my-app" value={name} onChange={(e) => setName(e.target.value.trim())} readOnly={readOnly} />
              {nameError && (
                <span className="text-xs text-rose-600" role="alert">
                  {nameError}
                </span>
              )}
            </label>
          )}
          <div className="grid gap-3 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
            <div className="space-y-1">
              <span className="label">compose.yaml</span>
              <CodeArea label="compose file" value={composeFile} onChange={setComposeFile} readOnly={readOnly} errorLine={validation && !validation.ok && validation.error.file === 'compose.yaml' ? validation.error.line : undefined} rows={22} />
            </div>
            <div className="space-y-1">
              <span className="label">.env</span>
              <CodeArea label="env file" value={envFile} onChange={setEnvFile} readOnly={readOnly} errorLine={validation && !validation.ok && validation.error.file === '.env' ? validation.error.line : undefined} rows={10} placeholder="KEY=value" />
              <ValidationResult validation={validation} />
              {dirty && !creating && <p className="text-xs text-amber-700 dark:text-amber-400">unsaved changes</p>}
            </div>
          </div>
        </>
      )}

      {progressState && (
        <div className="card space-y-1" data-testid="deploy-progress">
          <p className="text-sm font-medium" aria-live="polite" data-testid="deploy-status">
            {progressState === 'running' ? 'Deploying…' : progressState === 'done' ? 'Done' : 'Failed'}
          </p>
          <ul className="font-mono text-xs">
            {progress.map((l) => (
              <li key={`${l.kind} ${l.name}`} className="grid grid-cols-[6rem_minmax(0,1fr)_10rem] gap-2">
                <span className="text-zinc-500">{l.kind}</span>
                <span className="truncate" title={l.detail}>
                  {l.name}
                </span>
                <span className={/Started|Running|Created|Healthy|Removed|Stopped|Pulled/.test(l.status) ? 'text-emerald-600 dark:text-emerald-400' : /Error|fail/i.test(l.status) ? 'text-rose-600' : ''}>{l.status}</span>
              </li>
            ))}
          </ul>
        </div>
      )}

      {!creating && (
        <div className="card overflow-x-auto p-0">
          <table className={TABLE} aria-label="services">
            <thead className={THEAD}>
              <tr>
                <th className="p-2">Service</th>
                <th className="p-2">Container</th>
                <th className="p-2">State</th>
                <th className="p-2">Ports</th>
                <th className="p-2" />
              </tr>
            </thead>
            <tbody>
              {services.map((s) =>
                (s.containers.length ? s.containers : [undefined]).map((c, i) => (
                  <tr key={c?.id ?? s.name} className={ROW} data-testid={`service-${s.name}`}>
                    <td className="p-2 font-medium">{i === 0 ? s.name : ''}</td>
                    <td className="p-2">
                      {c ? (
                        <Link className="text-sky-600 hover:underline" href={`/containers/${c.id}`}>
                          {c.names[0]?.replace(/^\//, '')}
                        </Link>
                      ) : (
                        <span className="text-zinc-400">not created</span>
                      )}
                    </td>
                    <td className="p-2" data-testid="container-state">
                      {c ? `${c.state}${c.health ? ` (${c.health})` : ''}` : '—'}
                      {c && <div className="text-xs text-zinc-500">{c.status}</div>}
                    </td>
                    <td className="p-2">
                      <Ports c={c} />
                    </td>
                    <td className="p-2 text-right">
                      {c && i === 0 && (
                        <button className="btn" aria-pressed={logService === s.name} onClick={() => setLogService(logService === s.name ? '' : s.name)}>
                          logs
                        </button>
                      )}
                    </td>
                  </tr>
                )),
              )}
              {services.length === 0 && (
                <tr>
                  <td colSpan={5} className="p-4 text-center text-zinc-500">
                    No services.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {logContainer && (
        <div className="space-y-1" data-testid="service-logs">
          <h2 className="text-sm font-semibold">Logs: {logService}</h2>
          <Logs key={logContainer.id} id={logContainer.id} name={logContainer.names[0]?.replace(/^\//, '') ?? logContainer.id} />
        </div>
      )}
    </div>
  );
}

function Ports({ c }: { c?: StackContainer }) {
  const published = (c?.ports ?? []).filter((p) => p.publicPort);
  if (!published.length) return <span className="text-zinc-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1 font-mono text-xs">
      {published.map((p) => {
        const host = !p.ip || p.ip === '0.0.0.0' || p.ip === '::' ? (typeof location === 'undefined' ? 'localhost' : location.hostname) : p.ip;
        const text = `${p.ip && p.ip !== '0.0.0.0' ? `${p.ip}:` : ''}${p.publicPort}->${p.privatePort}/${p.type}`;
        return p.type === 'tcp' ? (
          <a key={text} className="text-sky-600 hover:underline" href={`http://${host.includes(':') ? `[${host}]` : host}:${p.publicPort}/`} target="_blank" rel="noreferrer">
            {text}
          </a>
        ) : (
          <span key={text}>{text}</span>
        );
      })}
    </span>
  );
}

function ValidationResult({ validation }: { validation: Validation | null }) {
  if (!validation) return <p className="text-xs text-zinc-500" data-testid="validation">checking…</p>;
  if (validation.ok) {
    const n = Object.keys(validation.project.services).length;
    return (
      <div className="space-y-1 text-xs" data-testid="validation">
        <p className="text-emerald-700 dark:text-emerald-400">
          ✓ valid · {n} service{n === 1 ? '' : 's'}
        </p>
        {(validation.project.warnings ?? []).map((w) => (
          <p key={w} className="text-amber-700 dark:text-amber-400">
            {w}
          </p>
        ))}
      </div>
    );
  }
  const e = validation.error;
  return (
    <div role="alert" className="rounded bg-rose-100 p-2 text-xs text-rose-700 dark:bg-rose-950 dark:text-rose-300" data-testid="validation">
      {e.line !== undefined && (
        <p className="font-semibold" data-testid="validation-location">
          {e.file ?? 'compose.yaml'} line {e.line}, column {e.col}
        </p>
      )}
      <p className="break-words font-mono">{e.message}</p>
    </div>
  );
}

/** a monospace textarea with a line-number gutter that marks the error's line, scrolled together */
function CodeArea(props: { label: string; value: string; onChange: (v: string) => void; readOnly: boolean; errorLine?: number; rows: number; placeholder?: string }) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = Math.max(props.value.split('\n').length, props.rows);
  return (
    <div className="flex overflow-hidden rounded border border-zinc-300 bg-white font-mono text-xs leading-5 dark:border-zinc-700 dark:bg-zinc-900">
      <div ref={gutter} aria-hidden className="select-none overflow-hidden border-r border-zinc-200 bg-zinc-50 py-2 text-right text-zinc-400 dark:border-zinc-800 dark:bg-zinc-950" style={{ height: `${props.rows * 1.25 + 1}rem` }}>
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} className={`px-2 ${props.errorLine === i + 1 ? 'bg-rose-200 font-bold text-rose-700 dark:bg-rose-900 dark:text-rose-200' : ''}`} data-testid={props.errorLine === i + 1 ? 'error-line' : undefined}>
            {i + 1}
          </div>
        ))}
      </div>
      <textarea
        aria-label={props.label}
        className="flex-1 resize-none whitespace-pre bg-transparent px-2 py-2 outline-none"
        style={{ height: `${props.rows * 1.25 + 1}rem` }}
        spellCheck={false}
        wrap="off"
        value={props.value}
        placeholder={props.placeholder}
        readOnly={props.readOnly}
        aria-invalid={props.errorLine !== undefined}
        onChange={(e) => props.onChange(e.target.value)}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </div>
  );
}
