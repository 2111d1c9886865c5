'use client';
import { useState } from 'react';
import { api, errorMessage } from '../lib/trpc';

/** The run form, with the equivalent `skiff run` command line shown as you type. */
export function RunForm({ onDone, onError }: { onDone: () => void; onError: (m: string) => void }) {
  const [image, setImage] = useState('');
  const [name, setName] = useState('');
  const [cmd, setCmd] = useState('');
  const [ports, setPorts] = useState('');
  const [env, setEnv] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  const split = (s: string) => s.split(/[\s,]+/).filter(Boolean);
  const command = ['skiff run -d', name && `--name ${name}`, ...split(ports).map((p) => `-p ${p}`), ...env.split('\n').filter(Boolean).map((e) => `-e ${e}`), image, cmd].filter(Boolean).join(' ');

  const submit = async () => {
    setBusy(true);
    onError('');
    const spec = {
      image,
      name: name || undefined,
      cmd: cmd ? ['sh', '-c', cmd] : undefined,
      env: env.split('\n').map((l) => l.trim()).filter(Boolean),
      ports: split(ports).map((p) => {
        const [host, ctr] = p.includes(':') ? p.split(':') : ['0', p];
        return { containerPort: Number(ctr), hostPort: Number(host) || undefined, protocol: 'tcp' as const };
      }),
    };
    try {
      try {
        await api().containers.run.mutate({ spec });
      } catch (e) {
        if (!/no such image/i.test(errorMessage(e))) throw e;
        // pull-if-missing, like docker run
        setStatus(`pulling ${image}…`);
        await new Promise<void>((resolve, reject) =>
          api().images.pull.subscribe({ ref: image }, { onData: (d) => { if ('image' in d) resolve(); else setStatus(`pulling ${image}: ${d.progress.status}`); }, onError: reject }),
        );
        await api().containers.run.mutate({ spec });
      }
      setStatus('');
      setName('');
      onDone();
    } catch (e) {
      setStatus('');
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card grid grid-cols-2 gap-2 md:grid-cols-5" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <input className="input md:col-span-2" placeholder="image" aria-label="image" value={image} onChange={(e) => setImage(e.target.value)} required />
      <input className="input" placeholder="name" aria-label="name" value={name} onChange={(e) => setName(e.target.value)} />
      <input className="input" placeholder="ports 8080:80" aria-label="ports" value={ports} onChange={(e) => setPorts(e.target.value)} />
      <button className="btn-primary" disabled={busy || !image}>Run</button>
      <input className="input md:col-span-3" placeholder="command (sh -c)" aria-label="command" value={cmd} onChange={(e) => setCmd(e.target.value)} />
      <textarea className="input md:col-span-2" rows={1} placeholder="KEY=value per line" aria-label="env" value={env} onChange={(e) => setEnv(e.target.value)} />
      <code className="col-span-full text-xs text-zinc-500">{command}</code>
      {status && <p className="col-span-full text-xs">{status}</p>}
    </form>
  );
}
