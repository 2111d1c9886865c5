'use client';
import { StackEditor } from '../../../components/stacks/editor';
import { useRouteParam } from '../../../components/use-route-param';
import { useTitle } from '../../../components/use-title';

export default function StackPage() {
  // from the URL: the static export has one page for every stack (lib/route-param.ts)
  const name = useRouteParam('/stacks/');
  useTitle(name, 'Stacks');
  // the key starts a fresh editor when the route moves from one stack to another (or from "new")
  return name === undefined ? <p>loading…</p> : <StackEditor key={name} name={name} />;
}
