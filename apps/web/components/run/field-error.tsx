'use client';

/** the props that mark a control invalid and point screen readers at its message (FieldError with the same id) */
export function invalidProps(errorId: string, message: string | undefined): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return message ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
}

/** a field's message under it, the target of the control's aria-describedby */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="mt-0.5 text-xs text-rose-700 dark:text-rose-400">
      {message}
    </p>
  );
}
