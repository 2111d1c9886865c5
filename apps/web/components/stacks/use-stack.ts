'use client';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useReducer, useRef, useState, type Dispatch } from 'react';
import { errorMessage, isNotFound } from '../../lib/errors';
import { pathsForMutation } from '../../trpc/invalidation';
import { useInvalidate, useTRPC, useTRPCClient } from '../../trpc/react';
import { useConfirm } from '../confirm-dialog';
import { toast, toasted } from '../toast';
import { useAction } from '../use-action';
import { useDebounced } from '../use-debounced';
import { useMe } from '../use-auth';
import { editorReducer, initialEditorState, isDirty, NAME_RE, type EditorAction, type EditorState } from './editor-state';
import { NEW_STACK, type Validation } from './shared';

/**
 * One stack as the agent has it (its stored files, containers and state), kept current by
 * container events. `paused` while a removal runs: the events it causes must not re-read a
 * stack that is going away (its end is a 404).
 */
function useStackDetail(name: string | undefined, enabled: boolean) {
  const q = useQuery(useTRPC().stacks.get.queryOptions({ name: name ?? '' }, { enabled: enabled && name !== undefined }));
  const missing = !!q.error && isNotFound(q.error);
  return { detail: q.data ?? null, missing, error: q.error && !missing ? errorMessage(q.error) : '' };
}

/** the agent's verdict on the files as typed, a moment after the last key; the last verdict stays until the next */
function useValidation(state: EditorState, enabled: boolean): Validation | null {
  const input = useDebounced({ name: NAME_RE.test(state.name) ? state.name : undefined, ...state.files }, 350);
  const q = useQuery(useTRPC().stacks.validate.queryOptions(input, { enabled, placeholderData: keepPreviousData }));
  if (q.error) return { ok: false, error: { message: errorMessage(q.error) } };
  return q.data ?? null;
}

/**
 * Everything the editor page does: the files (a reducer), the stack and its validation
 * (queries), and the actions (mutations, and deploy's progress stream).
 */
const PROJECT_LABEL = 'com.docker.compose.project';

export function useStackEditor(initialName: string | undefined) {
  const me = useMe();
  const router = useRouter();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const invalidate = useInvalidate();
  const creating = initialName === undefined;
  const [state, dispatch] = useReducer(editorReducer, initialName, (n) => initialEditorState(n, NEW_STACK));
  const [removing, setRemoving] = useState(false);
  const { detail: stored, missing, error: loadError } = useStackDetail(initialName, !!me && !removing);
  // meanwhile its containers come from the container list, so each badge changes as it stops and goes
  const live = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: removing }));
  const detail = removing && stored && live.data ? { ...stored, containers: live.data.filter((c) => c.labels[PROJECT_LABEL] === initialName) } : stored;
  const external = !!detail?.external;
  const validation = useValidation(state, !!me && !external && (creating || !!state.saved));
  const action = useAction();
  const confirm = useConfirm();

  useEffect(() => {
    if (detail?.stack) dispatch({ type: 'loaded', files: { composeFile: detail.stack.composeFile, envFile: detail.stack.envFile } });
  }, [detail?.stack]);

  const saveM = useMutation(trpc.stacks.save.mutationOptions());
  const lifecycleM = {
    start: useMutation(trpc.stacks.start.mutationOptions()),
    stop: useMutation(trpc.stacks.stop.mutationOptions()),
    restart: useMutation(trpc.stacks.restart.mutationOptions()),
    down: useMutation(trpc.stacks.down.mutationOptions()),
  };
  // away before the refetch that would find it gone
  const removeM = useMutation(trpc.stacks.remove.mutationOptions({ onSuccess: () => router.replace('/stacks') }));

  const { name, files } = state;
  const save = async () => {
    const r = await saveM.mutateAsync({ name, ...files, create: creating });
    dispatch({ type: 'saved', files: { composeFile: r.stack.composeFile, envFile: r.stack.envFile } });
  };

  const deploySub = useRef<{ unsubscribe(): void } | undefined>(undefined);
  useEffect(() => () => deploySub.current?.unsubscribe(), []);

  const actions = {
    save: () =>
      action.run(async () => {
        await save();
        if (creating) router.replace(`/stacks/${encodeURIComponent(name)}`);
      }, `Saved ${name}`),

    /** saves first when the files changed, then streams `compose up`'s progress */
    deploy: () =>
      action.run(async () => {
        dispatch({ type: 'progress-start' });
        try {
          if (isDirty(state)) await save();
          deploySub.current?.unsubscribe();
          await new Promise<void>((resolve, reject) => {
            deploySub.current = client.stacks.deploy.subscribe(
              { name },
              {
                onData: (d) => {
                  if ('event' in d) return dispatch({ type: 'progress-line', line: d.event });
                  deploySub.current?.unsubscribe();
                  resolve();
                },
                onError: reject,
              },
            );
          });
          dispatch({ type: 'progress-end', ok: true });
          toast(`Deployed ${name}`);
        } catch (e) {
          dispatch({ type: 'progress-end', ok: false });
          toast(`Deploy of ${name} failed: ${errorMessage(e)}`, 'error');
          throw e;
        } finally {
          // a stream, not a mutation: what it changed is marked stale here
          void invalidate(pathsForMutation('stacks.deploy'));
        }
      }),

    lifecycle: (what: 'start' | 'stop' | 'restart' | 'down', withVolumes: boolean) => {
      const go = () =>
        action.run(
          async () => {
            const work = what === 'down' ? lifecycleM.down.mutateAsync({ name, volumes: withVolumes }) : lifecycleM[what].mutateAsync({ name });
            const r = await toasted(work, `${what === 'down' ? 'Down' : what[0]!.toUpperCase() + what.slice(1)}: ${name} done`, `${what} of ${name} failed`);
            dispatch({ type: 'progress-lines', lines: r.events });
          },
          `${what === 'down' ? 'Down' : what[0]!.toUpperCase() + what.slice(1)}: ${name}`,
        );
      if (what !== 'down') return go();
      return confirm.ask({
        title: `Take stack ${name} down?`,
        body: `Its containers and networks${withVolumes ? ' and volumes (their data is lost)' : ''} are removed; the stored file stays.`,
        confirm: `Down stack ${name}${withVolumes ? ' with volumes' : ''}`,
        run: go,
      });
    },

    remove: (withVolumes: boolean) =>
      void confirm.ask({
        title: `Remove stack ${name}?`,
        body: `Its containers and networks${withVolumes ? ' and volumes (their data is lost)' : ''} are removed and the stored file is deleted.`,
        confirm: `Remove stack ${name}${withVolumes ? ' with volumes' : ''}`,
        run: async () => {
          setRemoving(true);
          const removed = await action.run(() =>
            toasted(removeM.mutateAsync({ name, volumes: withVolumes }), `Removed stack ${name}`, `Could not remove stack ${name}`),
          );
          if (!removed) setRemoving(false);
        },
      }),
  };

  return {
    confirmDialog: confirm.dialog,
    me,
    creating,
    removing,
    state,
    dispatch: dispatch as Dispatch<EditorAction>,
    detail,
    missing,
    loadError,
    external,
    validation,
    action,
    actions,
  };
}
