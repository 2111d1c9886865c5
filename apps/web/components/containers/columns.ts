import type { SortKey } from './list-model';

/**
 * The list's columns, in order: header cells and row cells take their classes from here, so
 * a column hidden at a width is hidden in both (the table's fixed layout sizes the columns
 * from the header row; cells without a width share what is left). Phones keep the name
 * (with the state under it) and an actions menu.
 */
export interface Column {
  id: 'select' | 'name' | 'image' | 'state' | 'ports' | 'ip' | 'created' | 'project' | 'cpu' | 'memory' | 'actions';
  label: string;
  sort?: SortKey;
  /** width and visibility, on both the header and the row cells */
  className: string;
}

export const COLUMNS: readonly Column[] = [
  { id: 'select', label: '', className: 'w-9' },
  { id: 'name', label: 'Name', sort: 'name', className: '' },
  { id: 'image', label: 'Image', sort: 'image', className: 'hidden md:table-cell' },
  { id: 'state', label: 'State', sort: 'state', className: 'hidden w-40 sm:table-cell' },
  { id: 'ports', label: 'Ports', className: 'hidden w-24 lg:table-cell' },
  { id: 'ip', label: 'IP', sort: 'ip', className: 'hidden w-28 lg:table-cell' },
  { id: 'created', label: 'Created', sort: 'created', className: 'hidden w-28 md:table-cell' },
  { id: 'project', label: 'Project', className: 'hidden w-28 xl:table-cell' },
  { id: 'cpu', label: 'CPU', className: 'hidden w-16 xl:table-cell' },
  { id: 'memory', label: 'Memory', className: 'hidden w-20 xl:table-cell' },
  // pinned to the right edge: on a phone the row's buttons stay on screen while the rest scrolls under them
  { id: 'actions', label: 'Actions', className: 'sticky right-0 w-24 bg-white sm:w-56 dark:bg-zinc-900' },
];

export const column = (id: Column['id']) => COLUMNS.find((c) => c.id === id)!.className;
