#ifndef SKIFF_ADDON_LOG_OPS_H
#define SKIFF_ADDON_LOG_OPS_H

#include <napi.h>

// logFrames
void RegisterLogOps(Napi::Env env, Napi::Object exports);

#endif
