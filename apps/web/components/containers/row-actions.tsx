'use client';
import type { ContainerSummary } from '@skiff/runtime/types';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';

export type RowAction = 'start' | 'stop' | 'restart' | 'remove';

/** what a row offers for its container's state, in a fixed order */
function actionsFor(c: ContainerSummary): RowAction[] {
  const running = c.state === 'running';
  const toggle: RowAction[] = running ? ['stop'] : c.state === 'paused' ? [] : ['start'];
  return [...toggle, 'restart', 'remove'];
}

/**
 * A container row's actions: buttons from a tablet's width up; on a phone, where they do not
 * fit beside the name, one "actions" button opening a menu of the same (in the body, placed
 * fixed by the button: inside the scrolling table the next rows' pinned cells covered it).
 */
export function RowActions({ c, name, onAction }: { c: ContainerSummary; name: string; onAction: (what: RowAction, c: ContainerSummary) => void }) {
  const actions = actionsFor(c);
  return (
    <>
      <span className="hidden gap-1 sm:inline-flex">
        {actions.map((a) =>
          a === 'remove' ? (
            <button key={a} className="btn-danger px-2" aria-label={`remove ${name}`} onClick={() => onAction(a, c)}>
              remove
            </button>
          ) : (
            <button key={a} className="btn px-2" onClick={() => onAction(a, c)}>
              {a}
            </button>
          ),
        )}
      </span>
      <RowMenu name={name} actions={actions} onPick={(a) => onAction(a, c)} />
    </>
  );
}

function RowMenu({ name, actions, onPick }: { name: string; actions: RowAction[]; onPick: (a: RowAction) => void }) {
  const [at, setAt] = useState<{ top: number; right: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const close = (refocus: boolean) => {
    setAt(null);
    if (refocus) button.current?.focus();
  };
  useEffect(() => {
    if (!at) return;
    menu.current?.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus();
    const onDown = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setAt(null);
    };
    // the fixed menu would float away from its row
    const onScroll = () => setAt(null);
    window.addEventListener('pointerdown', onDown);
    window.addEventListener('scroll', onScroll, true);
    return () => {
      window.removeEventListener('pointerdown', onDown);
      window.removeEventListener('scroll', onScroll, true);
    };
  }, [at]);
  const open = () => {
    const r = button.current!.getBoundingClientRect();
    setAt({ top: r.bottom + 4, right: window.innerWidth - r.right });
  };
  const onKey = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') close(true);
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
    } else if (e.key === 'Tab') close(false);
  };
  return (
    <span className="sm:hidden">
      <button
        ref={button}
        className="btn px-2"
        aria-label={`actions for ${name}`}
        aria-haspopup="menu"
        aria-expanded={!!at}
        onClick={() => (at ? close(false) : open())}
      >
        actions ▾
      </button>
      {at &&
        createPortal(
          <div
            ref={menu}
            role="menu"
            aria-label={`actions for ${name}`}
            tabIndex={-1}
            onKeyDown={onKey}
            className="fixed z-50 flex min-w-36 flex-col rounded-lg border border-zinc-200 bg-white p-1 text-left shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
            style={{ top: at.top, right: at.right }}
          >
            {actions.map((a) => (
              <button
                key={a}
                role="menuitem"
                className={`rounded px-3 py-2 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800 ${a === 'remove' ? 'text-rose-700 dark:text-rose-300' : ''}`}
                onClick={() => {
                  close(true);
                  onPick(a);
                }}
              >
                {a}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </span>
  );
}
