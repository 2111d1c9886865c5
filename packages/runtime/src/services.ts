import type { ImageStore } from './image/image-store.js';
import type { NetworkManager } from './network/network-manager.js';
import type { ImageService } from './types.js';
import type { VolumeStore } from './volume/volume-store.js';

/*
 * What the runtime's callers (the agent, tests) may use of its stores: typed as the
 * stores' own methods, but only those, so the classes behind them can change freely.
 */

/** images: the ImageService verbs (with the store's wider prune) plus archives and push */
export interface RuntimeImages extends Pick<ImageStore, keyof ImageService | 'import' | 'load' | 'save' | 'push'> {}

/** local volumes */
export interface RuntimeVolumes extends Pick<VolumeStore, 'create' | 'find' | 'inspect' | 'list' | 'remove' | 'size' | 'prune' | 'archive' | 'restore'> {}

/** user networks and the endpoints of running containers */
export interface RuntimeNetworks
  extends Pick<
    NetworkManager,
    'create' | 'get' | 'list' | 'remove' | 'prune' | 'endpointsOf' | 'networkingOf' | 'destroyAll' | 'removeHostObjects' | 'hostFindings'
  > {}
