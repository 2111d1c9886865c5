import type { ReactNode } from 'react';

/** a form control under its label, and under both its error (a FieldError) when it has one */
export function Field({ label, className, error, children }: { label: string; className?: string; error?: ReactNode; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `children`, which every caller passes
    <label className={className}>
      <span className="label">{label}</span>
      {children}
      {error}
    </label>
  );
}
