'use client';
import type { ContainerSummary } from '@skiff/runtime/types';
import Link from 'next/link';
import { ago, bytes } from '../../lib/format';
import { type Column, COLUMNS, column } from './columns';
import { ipOf, nameOf, projectOf } from './list-model';
import { RowActions, type RowAction } from './row-actions';

export type { RowAction };

export const ROW_HEIGHT = 44;

export const STATE_COLOUR: Record<string, string> = {
  running: 'bg-emerald-500',
  paused: 'bg-amber-500',
  restarting: 'bg-amber-500',
  exited: 'bg-zinc-400',
  dead: 'bg-rose-500',
  created: 'bg-sky-400',
};

export interface Usage {
  cpuPercent: number;
  memoryUsage: number;
}

const cell = (id: Parameters<typeof column>[0], extra = '') => `px-2 ${column(id)} ${extra}`;

/** One container of the list: a table row whose cells line up with the header's by construction. */
export function ContainerRow({
  c,
  inGroup,
  usage,
  canOperate,
  selected,
  onToggle,
  onAction,
  rowIndex,
}: {
  c: ContainerSummary;
  inGroup: boolean;
  usage: Usage | undefined;
  canOperate: boolean;
  selected: boolean;
  onToggle: () => void;
  onAction: (what: RowAction, c: ContainerSummary) => void;
  /** its place among all rows, header first (only a screenful is rendered: aria-rowindex says where) */
  rowIndex: number;
}) {
  const name = nameOf(c);
  const running = c.state === 'running';
  const project = projectOf(c);
  const ip = ipOf(c);
  return (
    <tr data-testid={`row-${name}`} aria-rowindex={rowIndex} className="border-b border-zinc-100 text-sm dark:border-zinc-800" style={{ height: ROW_HEIGHT }}>
      <td className={cell('select')}>{canOperate && <input type="checkbox" aria-label={`select ${name}`} checked={selected} onChange={onToggle} />}</td>
      <td className={cell('name')} data-column="name">
        <span className={`flex items-center gap-1.5 ${inGroup ? 'pl-5' : ''}`}>
          {/* phones have no state column: its dot and text go here, under the name */}
          <span aria-hidden className={`inline-block h-2 w-2 shrink-0 rounded-full sm:hidden ${STATE_COLOUR[c.state] ?? 'bg-zinc-400'}`} />
          <span className="flex min-w-0 flex-col">
            <Link className="truncate text-sky-700 hover:underline dark:text-sky-400" href={`/containers/${c.id}`} title={c.id}>
              {name}
            </Link>
            <span className="truncate text-xs text-zinc-600 sm:hidden dark:text-zinc-400" data-testid="phone-state">
              {c.status}
            </span>
          </span>
        </span>
      </td>
      <td className={cell('image')} data-column="image">
        <span className="block truncate font-mono text-xs" title={c.image}>
          {c.image}
        </span>
      </td>
      <td className={cell('state')} data-column="state">
        <span className="block truncate" title={c.status}>
          <span className={`mr-2 inline-block h-2 w-2 rounded-full ${STATE_COLOUR[c.state] ?? 'bg-zinc-400'}`} />
          {c.status}
        </span>
      </td>
      <td className={cell('ports', 'text-xs')} data-column="ports">
        <span className="block truncate">
          {c.ports
            .filter((p) => p.publicPort)
            .map((p) => (
              <a
                key={`${p.publicPort}/${p.type}`}
                className="mr-2 text-sky-700 hover:underline dark:text-sky-400"
                href={`http://${location.hostname}:${p.publicPort}/`}
                target="_blank"
                rel="noreferrer"
              >
                {p.publicPort}→{p.privatePort}
              </a>
            ))}
        </span>
      </td>
      <td className={cell('ip', 'font-mono text-xs tabular-nums')} data-column="ip">
        <span className="block truncate" title={c.ipAddresses?.join(', ')}>
          {ip ?? '—'}
        </span>
      </td>
      <td className={cell('created', 'text-xs')} data-column="created">
        <time className="block truncate" dateTime={new Date(c.created * 1000).toISOString()} title={new Date(c.created * 1000).toLocaleString()}>
          {ago(c.created)}
        </time>
      </td>
      <td className={cell('project', 'text-xs')} data-column="project">
        {project ? (
          <Link className="block truncate text-sky-700 hover:underline dark:text-sky-400" href={`/stacks/${encodeURIComponent(project)}`}>
            {project}
          </Link>
        ) : (
          '—'
        )}
      </td>
      <td className={cell('cpu', 'text-xs tabular-nums')}>{running && usage ? `${usage.cpuPercent.toFixed(1)}%` : '—'}</td>
      <td className={cell('memory', 'text-xs tabular-nums')}>{running && usage ? bytes(usage.memoryUsage) : '—'}</td>
      <td className={cell('actions', 'whitespace-nowrap text-right')} data-column="actions">
        {canOperate && <RowActions c={c} name={name} onAction={onAction} />}
      </td>
    </tr>
  );
}

/**
 * A compose project's row above its containers: folds them away, selects them, says how many
 * run, links to the stack. It has a cell per column like any row (no colSpan: spanning the
 * columns a phone hides made the table's fixed layout add columns and squeeze the names).
 */
export function GroupRow({
  project,
  count,
  running,
  folded,
  onFold,
  rowIndex,
  selection,
  onSelect,
}: {
  project: string;
  count: number;
  running: number;
  folded: boolean;
  onFold: () => void;
  rowIndex: number;
  /** how many of its containers are selected; undefined: no selecting (a viewer) */
  selection?: 'all' | 'some' | 'none';
  /** select all of its containers, or none when all were */
  onSelect: () => void;
}) {
  const content = (id: Column['id']) => {
    switch (id) {
      case 'select':
        return (
          selection && (
            <input
              type="checkbox"
              aria-label={`select stack ${project}`}
              checked={selection === 'all'}
              ref={(el) => {
                if (el) el.indeterminate = selection === 'some';
              }}
              onChange={onSelect}
            />
          )
        );
      case 'name':
        return (
          <button type="button" className="flex max-w-full items-center gap-1 font-medium" aria-expanded={!folded} onClick={onFold}>
            <span aria-hidden className="inline-block w-4 shrink-0 text-center">
              {folded ? '▸' : '▾'}
            </span>
            <span className="truncate">{project}</span>
          </button>
        );
      case 'actions':
        return (
          <span className="flex items-center justify-end gap-2 text-xs">
            <span className="text-zinc-600 dark:text-zinc-400">
              {running}/{count} running
            </span>
            <Link className="text-sky-700 hover:underline dark:text-sky-400" href={`/stacks/${encodeURIComponent(project)}`}>
              stack
              <span className="sr-only"> {project}</span>
            </Link>
          </span>
        );
      default:
        return null;
    }
  };
  return (
    <tr
      data-testid={`group-${project}`}
      aria-rowindex={rowIndex}
      className="border-b border-zinc-100 bg-zinc-50 text-sm dark:border-zinc-800 dark:bg-zinc-950"
      style={{ height: ROW_HEIGHT }}
    >
      {COLUMNS.map((col) => (
        // the pinned action cell takes the group row's shade, not the white of the others
        <td key={col.id} className={`${cell(col.id)} ${col.id === 'actions' ? 'bg-zinc-50! dark:bg-zinc-950!' : ''}`}>
          {content(col.id)}
        </td>
      ))}
    </tr>
  );
}
