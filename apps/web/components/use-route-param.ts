'use client';
import { usePathname } from 'next/navigation';
import { useSyncExternalStore } from 'react';
import { segmentAfter } from '../lib/route-param';

const noSubscription = () => () => {};

/**
 * A dynamic route's value read from the URL (`useRouteParam('/containers/')` on
 * `/containers/4f1c…` is `4f1c…`): in the static export its params are always the
 * placeholder (lib/route-param.ts). Undefined until hydrated, so the exported HTML (built
 * for the placeholder) and the first render in the browser agree.
 */
export function useRouteParam(prefix: `/${string}/`): string | undefined {
  const path = usePathname();
  const hydrated = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  return hydrated ? segmentAfter(path, prefix) : undefined;
}
