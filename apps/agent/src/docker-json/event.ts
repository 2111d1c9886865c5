import type { EventMessage } from '@skiff/docker-types';
import type { RuntimeEvent } from '@skiff/runtime';

/** Docker's event message: the current fields and the deprecated status/id/from */
export function dockerEvent(e: RuntimeEvent): EventMessage {
  const legacy =
    e.type === 'container'
      ? { status: e.action, id: e.id, from: e.attributes.image ?? '' }
      : e.type === 'image'
        ? { status: e.action, id: e.attributes.name ?? e.id }
        : {};
  return {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: Math.floor(e.time / 1e9),
    timeNano: e.time,
  };
}
