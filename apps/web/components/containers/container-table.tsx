'use client';
import type { ContainerSummary } from '@skiff/runtime/types';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import { useTRPC } from '../../trpc/react';
import { COLUMNS } from './columns';
import { ContainerRow, GroupRow, ROW_HEIGHT, type RowAction } from './container-row';
import type { Entry, Sort, SortKey } from './list-model';
import { SortHeader } from './sort-header';

/**
 * The containers as one real table: the header is the table's own (sticky inside the
 * scrolling box), so its cells share the columns of the rows whatever the buttons' width,
 * the scrollbar or the window. Rows are virtualised (spacer rows above and below what is
 * on screen): 1000 containers render a screenful.
 */
export function ContainerTable({
  entries,
  sort,
  onSort,
  canOperate,
  selected,
  allSelected,
  onSelectAll,
  onToggle,
  onSelectMany,
  onFold,
  onAction,
  live,
}: {
  entries: Entry[];
  sort: Sort;
  onSort: (key: SortKey) => void;
  canOperate: boolean;
  selected: ReadonlySet<string>;
  allSelected: boolean;
  onSelectAll: () => void;
  onToggle: (id: string) => void;
  /** select (or unselect) these all at once: a stack's containers */
  onSelectMany: (ids: string[], select: boolean) => void;
  onFold: (project: string) => void;
  onAction: (what: RowAction, c: ContainerSummary) => void;
  /** whether to fetch CPU and memory (signed in) */
  live: boolean;
}) {
  const trpc = useTRPC();
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: entries.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const items = virtual.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);
  // CPU/memory for the running rows on screen, every 5 s (never for 1000 rows at once)
  const visibleRunning = items.flatMap((i) => {
    const e = entries[i.index];
    return e?.kind === 'row' && e.c.state === 'running' ? [e.c.id] : [];
  });
  const stats = useQuery(
    trpc.containers.statsSummary.queryOptions(
      { ids: visibleRunning },
      { enabled: live && visibleRunning.length > 0, refetchInterval: 5000, placeholderData: keepPreviousData },
    ),
  );
  const usage = useMemo(() => new Map((stats.data ?? []).map((g) => [g.id, g])), [stats.data]);
  const selectionOf = (members: ContainerSummary[]) => {
    const n = members.filter((m) => selected.has(m.id)).length;
    return n === 0 ? 'none' : n === members.length ? 'all' : 'some';
  };
  const selectAll = canOperate ? <input type="checkbox" aria-label="select all" checked={allSelected} onChange={onSelectAll} /> : null;
  return (
    <div ref={scroller} className="max-h-[70vh] overflow-auto" data-testid="container-rows">
      <table className="w-full table-fixed border-separate border-spacing-0" aria-label="containers" aria-rowcount={entries.length + 1}>
        <thead>
          <tr aria-rowindex={1}>
            {COLUMNS.map((col) => (
              <SortHeader key={col.id} col={col} sort={sort} onSort={onSort}>
                {col.id === 'select' ? selectAll : undefined}
              </SortHeader>
            ))}
          </tr>
        </thead>
        <tbody>
          {before > 0 && (
            // one cell, no colSpan: see GroupRow
            <tr aria-hidden style={{ height: before }}>
              <td />
            </tr>
          )}
          {items.map((item) => {
            const e = entries[item.index]!;
            return e.kind === 'group' ? (
              <GroupRow
                key={`group:${e.project}`}
                project={e.project}
                count={e.members.length}
                running={e.running}
                folded={e.folded}
                onFold={() => onFold(e.project)}
                rowIndex={item.index + 2}
                selection={canOperate ? selectionOf(e.members) : undefined}
                onSelect={() =>
                  onSelectMany(
                    e.members.map((m) => m.id),
                    selectionOf(e.members) !== 'all',
                  )
                }
              />
            ) : (
              <ContainerRow
                key={e.c.id}
                c={e.c}
                inGroup={!!e.project}
                usage={usage.get(e.c.id)}
                canOperate={canOperate}
                selected={selected.has(e.c.id)}
                onToggle={() => onToggle(e.c.id)}
                onAction={onAction}
                rowIndex={item.index + 2}
              />
            );
          })}
          {after > 0 && (
            <tr aria-hidden style={{ height: after }}>
              <td />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
