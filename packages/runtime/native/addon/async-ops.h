#ifndef SKIFF_ADDON_ASYNC_OPS_H
#define SKIFF_ADDON_ASYNC_OPS_H

#include <napi.h>

// spawnReported, netnsCreate, netnsDelete, linkDelete, vethSetup
void RegisterAsyncOps(Napi::Env env, Napi::Object exports);

#endif
