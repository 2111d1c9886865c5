#ifndef SKIFF_ADDON_IMAGE_OPS_H
#define SKIFF_ADDON_IMAGE_OPS_H

#include <napi.h>

// unpackContext, unpackRun, zstdContext, zstdDecompress,
// zstdCompressContext, zstdCompress
void RegisterImageOps(Napi::Env env, Napi::Object exports);

#endif
