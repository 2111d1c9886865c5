'use client';
import { StackEditor } from '../../../components/stacks/editor';

export default function NewStackPage() {
  return <StackEditor />;
}
