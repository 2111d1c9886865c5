/** The runtime as a whole: its services, `info` and lifecycle events. */
import type { ContainerService } from './container.js';
import type { ImageService } from './image.js';

export interface SystemInfo {
  version: string;
  root: string;
  kernel: string;
  os: string;
  cpus: number;
  memTotal: number;
  cgroupVersion: 1 | 2;
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
}

export interface RuntimeApi {
  images: ImageService;
  containers: ContainerService;
  info(): Promise<SystemInfo>;
  /** lifecycle events (Docker's `events`): container create/start/die/destroy..., image pull/tag/delete */
  onEvent(listener: (e: RuntimeEvent) => void, opts?: { /** the last 1000 events first, through the same listener */ replay?: boolean }): () => void;
  close(): Promise<void>;
}

export interface RuntimeEvent {
  type: 'container' | 'image' | 'volume' | 'network';
  action: string;
  id: string;
  attributes: Record<string, string>;
  time: number; // unix ns
}
