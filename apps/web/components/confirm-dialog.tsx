'use client';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';

/** what a destructive action asks before it runs */
export interface ConfirmRequest {
  /** the question, e.g. "Remove container web-1?" */
  title: string;
  /** what is lost, in a sentence or two */
  body?: ReactNode;
  /** the destructive button: the verb and the object, e.g. "Remove container web-1" */
  confirm: string;
  /** the action; the dialog stays open (its buttons disabled) until it settles, so nothing moves under the pointer meanwhile */
  run: () => Promise<unknown>;
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * The one confirmation of the dashboard: a modal that names what an action destroys.
 * Focus starts on Cancel and stays inside (Tab wraps), Escape cancels, Enter or a click on
 * the destructive button confirms; while the action runs the dialog stays up and says so.
 */
export function ConfirmDialog({ request, onDone }: { request: ConfirmRequest; onDone: (confirmed: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    cancelButton.current?.focus();
  }, []);

  const confirm = async () => {
    setBusy(true);
    try {
      await request.run();
    } catch (e) {
      // the callers report their own failures (useAction); this only keeps the dialog from sticking
      console.debug('confirm dialog: the action failed', request.confirm, e);
    }
    onDone(true);
  };

  // Tab and Shift+Tab wrap around the dialog's controls
  const trap = (e: React.KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || !dialog.current) return;
    const items = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={dialog}
      role="alertdialog"
      aria-modal="true"
      aria-labelledby="confirm-title"
      aria-describedby={request.body ? 'confirm-body' : undefined}
      aria-busy={busy}
      data-testid="confirm-dialog"
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-zinc-200 bg-white p-4 text-zinc-900 shadow-xl backdrop:bg-black/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
      onKeyDown={trap}
      onCancel={(e) => {
        // Escape: nothing happens while the action runs; before, it is a cancel
        e.preventDefault();
        if (!busy) onDone(false);
      }}
    >
      <h2 id="confirm-title" className="text-base font-semibold">
        {request.title}
      </h2>
      {request.body && (
        <div id="confirm-body" className="mt-2 text-sm text-zinc-600 dark:text-zinc-300">
          {request.body}
        </div>
      )}
      <div className="mt-4 flex justify-end gap-2">
        <button ref={cancelButton} type="button" className="btn" disabled={busy} onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="button" className="btn-danger" disabled={busy} onClick={() => void confirm()}>
          {request.confirm}
        </button>
      </div>
      <p className="mt-2 h-4 text-right text-xs text-zinc-500" aria-live="polite">
        {busy ? 'Working…' : ''}
      </p>
    </dialog>
  );
}

/**
 * A page's confirmations: `ask(request)` opens the dialog and resolves to whether the user
 * confirmed (once the action has run); render `dialog` somewhere in the page.
 */
export function useConfirm(): { ask: (request: ConfirmRequest) => Promise<boolean>; dialog: ReactNode } {
  const [open, setOpen] = useState<{ request: ConfirmRequest; resolve: (ok: boolean) => void } | null>(null);
  const ask = useCallback((request: ConfirmRequest) => new Promise<boolean>((resolve) => setOpen({ request, resolve })), []);
  const dialog = open ? (
    <ConfirmDialog
      request={open.request}
      onDone={(ok) => {
        open.resolve(ok);
        setOpen(null);
      }}
    />
  ) : null;
  return { ask, dialog };
}
