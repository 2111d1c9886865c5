/** `GET /events` messages (moby api/types/events). */

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'service' | 'node' | 'secret' | 'config' | 'builder';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

/** one event; status/id/from are the deprecated fields dockerd still sends for containers and images */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local' | 'swarm';
  /** unix seconds */
  time: number;
  /** unix nanoseconds */
  timeNano: number;
}
