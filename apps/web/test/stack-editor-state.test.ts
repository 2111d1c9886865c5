import { describe, expect, it } from 'vitest';
import { editorReducer, initialEditorState, isDirty, nameError } from '../components/stacks/editor-state.js';

describe('stack editor state', () => {
  it('a new stack starts from the template, unsaved; a stored one waits for its files', () => {
    expect(initialEditorState(undefined, 'T')).toMatchObject({ name: '', files: { composeFile: 'T', envFile: '' }, saved: null });
    expect(isDirty(initialEditorState(undefined, 'T'))).toBe(true);
    expect(initialEditorState('web', 'T').files.composeFile).toBe('');
  });

  it('takes the stored files once: a later load (container events) does not overwrite what is typed', () => {
    let s = initialEditorState('web', 'T');
    s = editorReducer(s, { type: 'loaded', files: { composeFile: 'a', envFile: 'e' } });
    expect(isDirty(s)).toBe(false);
    s = editorReducer(s, { type: 'edit', file: 'composeFile', text: 'typed' });
    s = editorReducer(s, { type: 'loaded', files: { composeFile: 'a', envFile: 'e' } });
    expect(s.files.composeFile).toBe('typed');
    expect(isDirty(s)).toBe(true);
    s = editorReducer(s, { type: 'saved', files: { composeFile: 'typed', envFile: 'e' } });
    expect(isDirty(s)).toBe(false);
  });

  it('keeps one progress line per object, updated in place, as compose up prints', () => {
    let s = editorReducer(initialEditorState('web', ''), { type: 'progress-start' });
    s = editorReducer(s, { type: 'progress-line', line: { kind: 'container', name: 'web-1', status: 'Creating' } });
    s = editorReducer(s, { type: 'progress-line', line: { kind: 'network', name: 'web_default', status: 'Created' } });
    s = editorReducer(s, { type: 'progress-line', line: { kind: 'container', name: 'web-1', status: 'Started' } });
    expect(s.progress.map((l) => `${l.name} ${l.status}`)).toEqual(['web-1 Started', 'web_default Created']);
    expect(editorReducer(s, { type: 'progress-end', ok: false }).phase).toBe('failed');
    expect(editorReducer(s, { type: 'progress-lines', lines: [] }).phase).toBe('');
  });

  it('names a bad stack name only while creating', () => {
    expect(nameError(true, 'Bad Name')).toMatch(/lowercase/);
    expect(nameError(true, 'ok-name_1')).toBe('');
    expect(nameError(false, 'Bad Name')).toBe('');
  });
});
