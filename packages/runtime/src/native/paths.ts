import { fileURLToPath } from 'node:url';

/** Where node-gyp puts the package's native artefacts (`npm install` builds them). */
export const NATIVE_BUILD_DIR = fileURLToPath(new URL('../../build/Release/', import.meta.url));
export const SHIM_PATH = process.env.SKIFF_SHIM_PATH ?? `${NATIVE_BUILD_DIR}skiff-shim`;
