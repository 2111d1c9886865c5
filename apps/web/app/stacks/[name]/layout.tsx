import type { ReactNode } from 'react';
import { placeholderParams } from '../../../lib/route-param';

// a static export builds this route once; the agent serves that page for every name (lib/route-param.ts)
export const generateStaticParams = () => placeholderParams('name');

export default function StackLayout({ children }: { children: ReactNode }) {
  return children;
}
