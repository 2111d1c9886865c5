'use client';
import { StackEditor } from '../../../components/stacks/editor';
import { useTitle } from '../../../components/use-title';

export default function NewStackPage() {
  useTitle('New stack', 'Stacks');
  return <StackEditor />;
}
