'use client';
import { useEffect, useState } from 'react';

/** `value`, once it has stopped changing for `ms` (typing in a filter or an editor asks the agent once) */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(JSON.parse(key) as T), ms);
    return () => clearTimeout(t);
  }, [key, ms]);
  return settled;
}
