'use client';
import Link from 'next/link';
import { ErrorAlert, Notice } from '../resources/shared';
import { isDirty, nameError as nameErrorOf } from './editor-state';
import { StackFiles } from './files';
import { ServicesTable } from './services';
import { StateBadge } from './shared';
import { DeployProgress, StackToolbar } from './toolbar';
import { useStackEditor } from './use-stack';

/**
 * One stack: the compose file and .env in monospace editors validated as you type (the
 * error's line is marked in the gutter), Save / Deploy with the progress streamed below,
 * the lifecycle buttons, and the services with their containers and logs. `name` absent:
 * a new stack. The state and the calls are in use-stack.ts; this only lays them out.
 */
export function StackEditor({ name: initialName }: { name?: string }) {
  const { confirmDialog, me, creating, removing, state, dispatch, detail, missing, loadError, external, validation, action, actions } =
    useStackEditor(initialName);
  const canOperate = !!me?.can.operate;
  const dirty = isDirty(state);
  const nameError = nameErrorOf(creating, state.name);
  const valid = validation?.ok === true;
  const containers = detail?.containers ?? [];
  const stackState =
    containers.length === 0
      ? 'not deployed'
      : containers.every((c) => c.state === 'running')
        ? 'running'
        : containers.some((c) => c.state === 'running')
          ? 'partial'
          : 'stopped';
  const error = action.error || loadError;

  if (missing) {
    return (
      <p className="card">
        No stack named {initialName}.{' '}
        <Link className="text-sky-700 dark:text-sky-400 hover:underline" href="/stacks">
          Back to stacks
        </Link>
      </p>
    );
  }
  if (!creating && !detail) return error ? <ErrorAlert message={error} /> : <p>loading…</p>;
  const readOnly = !canOperate || external;
  const workingDir = detail?.containers[0]?.labels['com.docker.compose.project.working_dir'];

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">
          {/* underlined: in the heading's text a colour alone does not mark it as a link */}
          <Link className="text-sky-700 underline underline-offset-2 hover:no-underline dark:text-sky-400" href="/stacks">
            Stacks
          </Link>{' '}
          / {creating ? 'new stack' : initialName}
        </h1>
        {!creating && <StateBadge state={removing ? 'removing…' : stackState} />}
        {external && <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">external/CLI</span>}
        <span className="flex-1" />
        {canOperate && !external && (
          <StackToolbar
            creating={creating}
            busy={action.busy}
            canSave={valid && dirty && !!state.name && !nameError}
            valid={valid}
            dirty={dirty}
            deployed={containers.length > 0}
            onSave={() => void actions.save()}
            onDeploy={() => void actions.deploy()}
            onLifecycle={(what, withVolumes) => void actions.lifecycle(what, withVolumes)}
            onRemove={actions.remove}
          />
        )}
      </div>
      {confirmDialog}
      <ErrorAlert message={error} onClose={() => action.setError('')} />
      <Notice message={action.notice} testId="stack-notice" />

      {external ? (
        <p className="card text-sm text-zinc-600 dark:text-zinc-400">
          This compose project was started outside the dashboard (with <code>skiff compose</code>
          {workingDir ? ` in ${workingDir}` : ''}); its file is not stored here.
        </p>
      ) : (
        <StackFiles state={state} dispatch={dispatch} creating={creating} readOnly={readOnly} nameError={nameError} dirty={dirty} validation={validation} />
      )}

      <DeployProgress phase={state.phase} lines={state.progress} />
      {!creating && <ServicesTable validation={validation} containers={containers} />}
    </div>
  );
}
