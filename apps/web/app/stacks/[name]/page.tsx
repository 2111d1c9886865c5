'use client';
import { use } from 'react';
import { StackEditor } from '../../../components/stacks/editor';

export default function StackPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = use(params);
  // the key starts a fresh editor when the route moves from one stack to another (or from "new")
  return <StackEditor key={name} name={decodeURIComponent(name)} />;
}
