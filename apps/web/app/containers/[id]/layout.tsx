import type { ReactNode } from 'react';
import { placeholderParams } from '../../../lib/route-param';

// a static export builds this route once; the agent serves that page for every id (lib/route-param.ts)
export const generateStaticParams = () => placeholderParams('id');

export default function ContainerLayout({ children }: { children: ReactNode }) {
  return children;
}
