/**
 * The stack editor's own state, as one reducer: the name (of a new stack), the two files as
 * typed and as last saved, and the progress of the last deploy or lifecycle action. What
 * the agent knows (the stack, its containers, the validation) lives in the query cache.
 */
export type Files = { composeFile: string; envFile: string };
/** one line of `compose up`-style progress: one per object, updated in place */
export type Line = { kind: string; name: string; status: string; detail?: string };
export type Phase = '' | 'running' | 'done' | 'failed';

export interface EditorState {
  name: string;
  files: Files;
  /** the stored files; null until they are loaded (a new stack: never saved) */
  saved: Files | null;
  progress: Line[];
  phase: Phase;
}

export type EditorAction =
  | { type: 'rename'; name: string }
  | { type: 'edit'; file: keyof Files; text: string }
  /** the stored files arrived: taken once, later loads only refresh the live part */
  | { type: 'loaded'; files: Files }
  | { type: 'saved'; files: Files }
  | { type: 'progress-start' }
  | { type: 'progress-line'; line: Line }
  | { type: 'progress-end'; ok: boolean }
  /** a lifecycle action's whole list of changes at once */
  | { type: 'progress-lines'; lines: Line[] };

export function initialEditorState(name: string | undefined, template: string): EditorState {
  return { name: name ?? '', files: { composeFile: name === undefined ? template : '', envFile: '' }, saved: null, progress: [], phase: '' };
}

export function editorReducer(s: EditorState, a: EditorAction): EditorState {
  switch (a.type) {
    case 'rename':
      return { ...s, name: a.name };
    case 'edit':
      return { ...s, files: { ...s.files, [a.file]: a.text } };
    case 'loaded':
      return s.saved ? s : { ...s, files: a.files, saved: a.files };
    case 'saved':
      return { ...s, saved: a.files };
    case 'progress-start':
      return { ...s, progress: [], phase: 'running' };
    case 'progress-line': {
      const i = s.progress.findIndex((l) => l.kind === a.line.kind && l.name === a.line.name);
      return { ...s, progress: i < 0 ? [...s.progress, a.line] : s.progress.map((l, j) => (j === i ? a.line : l)) };
    }
    case 'progress-end':
      return { ...s, phase: a.ok ? 'done' : 'failed' };
    case 'progress-lines':
      return { ...s, progress: a.lines, phase: a.lines.length ? 'done' : '' };
  }
}

/** whether the files differ from the stored ones (a stack never saved always does) */
export const isDirty = (s: EditorState): boolean => !s.saved || s.saved.composeFile !== s.files.composeFile || s.saved.envFile !== s.files.envFile;

export const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const nameError = (creating: boolean, name: string): string =>
  creating && name && !NAME_RE.test(name) ? 'a stack name is lowercase letters, digits, "-" and "_", starting with a letter or digit' : '';
