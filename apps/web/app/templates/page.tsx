'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../components/admin/common';
import { Catalogues } from '../../components/templates/catalogues';
import { DeployForm } from '../../components/templates/deploy-form';
import { useMe } from '../../components/use-auth';
import { useTitle } from '../../components/use-title';
import { errorMessage } from '../../lib/errors';
import type { Client } from '../../lib/trpc';
import { useTRPC } from '../../trpc/react';

type Summary = Awaited<ReturnType<Client['templates']['list']['query']>>[number];

/** a template's inline SVG as an image: in an <img>, an SVG runs no script and fetches nothing */
const logoSrc = (svg: string) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** One-click templates: a searchable grid of cards; Deploy opens a form made from the template's parameters. */
export default function TemplatesPage() {
  useTitle('Templates');
  const me = useMe();
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const [catalogue, setCatalogue] = useState('');
  const [chosen, setChosen] = useState<Summary | null>(null);
  // the last grid stays while a new search loads, instead of blinking empty
  const list = useQuery(
    trpc.templates.list.queryOptions({ search: search.trim() || undefined, catalogue: catalogue || undefined }, { placeholderData: keepPreviousData }),
  );
  const catalogues = useQuery(trpc.templates.catalogues.queryOptions());
  const templates = list.data ?? [];
  if (!me) return null;

  return (
    <div className="space-y-3">
      <h1 className="text-lg font-semibold">Templates</h1>
      <div className="flex flex-wrap gap-2">
        <input
          className="input max-w-xs"
          aria-label="search templates"
          placeholder="Search: postgres, database, web…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select className="input max-w-xs" aria-label="catalogue" value={catalogue} onChange={(e) => setCatalogue(e.target.value)}>
          <option value="">All catalogues</option>
          {(catalogues.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
      </div>
      {chosen && <DeployForm key={`${chosen.catalogue}/${chosen.id}`} catalogue={chosen.catalogue} id={chosen.id} onClose={() => setChosen(null)} />}
      {list.error && <ErrorAlert error={errorMessage(list.error)} />}
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="templates">
        {templates.map((t) => (
          <li key={`${t.catalogue}/${t.id}`} className="card flex gap-3" data-testid={`template-${t.catalogue}-${t.id}`}>
            {t.logo ? (
              // biome-ignore lint/performance/noImgElement: a data: URL of an inline SVG; next/image has nothing to optimise in a static export
              <img src={logoSrc(t.logo)} alt="" width={40} height={40} className="h-10 w-10 shrink-0" />
            ) : (
              <div className="h-10 w-10 shrink-0 rounded bg-zinc-200 dark:bg-zinc-800" />
            )}
            <div className="min-w-0 flex-1 space-y-1">
              <h2 className="font-medium">{t.name}</h2>
              <p className="text-sm text-zinc-600 dark:text-zinc-400">{t.description}</p>
              <p className="flex flex-wrap gap-1 text-[11px] text-zinc-500">
                {t.categories.map((c) => (
                  <span key={c} className="rounded bg-zinc-100 px-1.5 dark:bg-zinc-800">
                    {c}
                  </span>
                ))}
                {t.catalogue !== 'builtin' && <span className="rounded bg-sky-50 px-1.5 text-sky-800 dark:bg-sky-950 dark:text-sky-300">{t.catalogue}</span>}
              </p>
              {me.can.operate && (
                <button className="btn" aria-label={`Deploy ${t.name}`} onClick={() => setChosen(t)}>
                  Deploy
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {list.isSuccess && !templates.length && <p className="text-sm text-zinc-500">No template matches.</p>}
      <Catalogues admin={me.can.admin} />
    </div>
  );
}
