'use client';

/** A collapsible JSON viewer: objects and arrays fold, the first two levels start open. */
export function JsonTree({ value, name, depth = 0 }: { value: unknown; name?: string; depth?: number }) {
  const key = name !== undefined ? <span className="text-sky-700 dark:text-sky-400">{JSON.stringify(name)}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const colour =
      typeof value === 'string'
        ? 'text-emerald-700 dark:text-emerald-400'
        : typeof value === 'number'
          ? 'text-amber-700 dark:text-amber-400'
          : 'text-violet-700 dark:text-violet-400';
    return (
      <div className="pl-4">
        {key}
        <span className={colour}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (!entries.length)
    return (
      <div className="pl-4">
        {key}
        {open}
        {close}
      </div>
    );
  return (
    <details open={depth < 2} className="pl-4">
      <summary className="cursor-pointer select-none leading-6">
        {key}
        {open}
        <span className="text-zinc-500">
          {' '}
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'}{' '}
        </span>
      </summary>
      {entries.map(([k, v]) => (
        <JsonTree key={k} name={Array.isArray(value) ? undefined : k} value={v} depth={depth + 1} />
      ))}
      <div className="pl-4">{close}</div>
    </details>
  );
}
