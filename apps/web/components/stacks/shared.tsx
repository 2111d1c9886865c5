'use client';
import type { Client } from '../../lib/trpc';
type Out<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

export type StackRow = Out<Client['stacks']['list']['query']>[number];
export type StackDetail = Out<Client['stacks']['get']['query']>;
export type Validation = Out<Client['stacks']['validate']['query']>;
export type StackContainer = StackDetail['containers'][number];

const STATE_STYLE: Record<string, string> = {
  running: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  partial: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  stopped: 'bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
  'not deployed': 'bg-sky-50 text-sky-800 dark:bg-sky-950 dark:text-sky-300',
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`rounded px-2 py-0.5 text-xs ${STATE_STYLE[state] ?? STATE_STYLE.stopped}`} data-testid="stack-state">
      {state}
    </span>
  );
}

export const SERVICE_LABEL = 'com.docker.compose.service';

export const NEW_STACK = `services:
  web:
    image: nginx:alpine
    ports:
      - "8080:80"
    restart: unless-stopped
`;
