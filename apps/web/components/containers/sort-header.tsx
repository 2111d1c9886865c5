'use client';
import type { Column } from './columns';
import type { Sort, SortKey } from './list-model';

/**
 * A header cell; a sortable one holds a button that sorts by it (again: the other way) and
 * says how the list is sorted through aria-sort, for screen readers as for the arrow.
 */
export function SortHeader({ col, sort, onSort, children }: { col: Column; sort: Sort; onSort: (key: SortKey) => void; children?: React.ReactNode }) {
  const cls = `sticky top-0 z-10 bg-white px-2 py-2 text-left text-xs font-medium text-zinc-600 shadow-[inset_0_-1px_0] shadow-zinc-200 dark:bg-zinc-900 dark:text-zinc-400 dark:shadow-zinc-800 ${col.className}`;
  if (!col.sort)
    return (
      <th scope="col" className={cls} data-column={col.id}>
        {children ?? (col.id === 'actions' ? <span className="sr-only">{col.label}</span> : col.label)}
      </th>
    );
  const active = sort.key === col.sort;
  return (
    <th scope="col" className={cls} data-column={col.id} aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="flex items-center gap-1 hover:underline" onClick={() => onSort(col.sort!)}>
        {col.label}
        <span aria-hidden className={active ? '' : 'opacity-0'}>
          {active && sort.desc ? '▼' : '▲'}
        </span>
      </button>
    </th>
  );
}
