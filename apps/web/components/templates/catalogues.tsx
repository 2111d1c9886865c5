'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { ErrorAlert } from '../admin/common';
import { useConfirm } from '../confirm-dialog';
import { toast } from '../toast';
import { useAction } from '../use-action';

/**
 * The template catalogues, and for admins adding one (an upload or an https URL the agent
 * fetches) and removing it. The agent refuses a catalogue with any error, naming the
 * template and field, so what is listed here is always deployable.
 */
export function Catalogues({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.templates.catalogues.queryOptions());
  const addM = useMutation(trpc.templates.addCatalogue.mutationOptions());
  const removeM = useMutation(trpc.templates.removeCatalogue.mutationOptions());
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  // a new key empties the file input after an add (its chosen file is not React state)
  const [fileKey, setFileKey] = useState(0);
  const action = useAction();
  const confirm = useConfirm();

  const add = () =>
    action.run(
      async () => {
        const content = file ? await file.text() : undefined;
        const r = await addM.mutateAsync(content !== undefined ? { name, content } : { name, url });
        toast(`Added catalogue ${r.name}: ${r.templates} templates`);
        setName('');
        setUrl('');
        setFile(null);
        setFileKey((k) => k + 1);
        return r;
      },
      (r) => (r.warnings.length ? `Left out: ${r.warnings.join('; ')}` : undefined),
    );

  return (
    <section className="card space-y-2" aria-label="template catalogues">
      {confirm.dialog}
      <h2 className="font-semibold">Catalogues</h2>
      <ul className="space-y-1 text-sm">
        {(list.data ?? []).map((c) => (
          <li key={c.id} className="flex flex-wrap items-center gap-2" data-testid={`catalogue-${c.id}`}>
            <span className="font-mono text-xs">{c.id}</span>
            <span>{c.title}</span>
            <span className="text-zinc-500">{c.error ? `unreadable: ${c.error}` : `${c.templates} templates`}</span>
            <span className="truncate text-xs text-zinc-400">{c.builtin ? 'built in' : (c.url ?? 'uploaded')}</span>
            {admin && !c.builtin && (
              <button
                className="btn-danger ml-auto"
                onClick={() =>
                  void confirm.ask({
                    title: `Remove catalogue ${c.id}?`,
                    body: 'Its templates are no longer offered; stacks deployed from them stay.',
                    confirm: `Remove catalogue ${c.id}`,
                    run: () => action.run(() => removeM.mutateAsync({ name: c.id }), `Removed catalogue ${c.id}`),
                  })
                }
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {list.error && <ErrorAlert error={errorMessage(list.error)} />}
      {admin && (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <label className="text-xs text-zinc-500">
            Name
            <input
              className="input mt-1"
              aria-label="catalogue name"
              required
              pattern="[a-z0-9][a-z0-9_\-]*"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <label className="min-w-[16rem] flex-1 text-xs text-zinc-500">
            https URL
            <input
              className="input mt-1"
              aria-label="catalogue url"
              type="url"
              placeholder="https://…/catalogue.yaml"
              value={url}
              disabled={!!file}
              onChange={(e) => setUrl(e.target.value)}
            />
          </label>
          <label className="text-xs text-zinc-500">
            or a file
            <input
              key={fileKey}
              className="mt-1 block text-xs"
              aria-label="catalogue file"
              type="file"
              accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <button className="btn-primary" disabled={action.busy || (!file && !url)}>
            Add catalogue
          </button>
        </form>
      )}
      <ErrorAlert error={action.error} />
      {action.notice && (
        <p role="status" className="text-sm text-amber-700 dark:text-amber-400">
          {action.notice}
        </p>
      )}
    </section>
  );
}
