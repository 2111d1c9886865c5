'use client';
import { use } from 'react';
import { StackEditor } from '../../../components/stacks/editor';
import { useTitle } from '../../../components/use-title';

export default function StackPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = use(params);
  useTitle(decodeURIComponent(name), 'Stacks');
  // the key starts a fresh editor when the route moves from one stack to another (or from "new")
  return <StackEditor key={name} name={decodeURIComponent(name)} />;
}
