'use client';
import { useEffect } from 'react';

/**
 * The browser tab's title, most specific part first: useTitle('ux-web', 'Containers') gives
 * "ux-web · Containers · Skiff", so tabs and history entries can be told apart. The pages
 * are client components, so this is set here rather than through Next's metadata.
 */
export function useTitle(...parts: (string | undefined | null | false)[]): void {
  const title = [...parts.filter((p): p is string => !!p), 'Skiff'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}
