#ifndef SKIFF_ADDON_SAFE_ROOT_OPS_H
#define SKIFF_ADDON_SAFE_ROOT_OPS_H

#include <napi.h>

// openat2, the *at() calls and fstatat: file operations relative to directory fds
void RegisterSafeRootOps(Napi::Env env, Napi::Object exports);

#endif
