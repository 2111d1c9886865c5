// The addon's two argument/error helpers, shared by every module that exposes syscalls.
#ifndef SKIFF_NAPI_UTIL_H
#define SKIFF_NAPI_UTIL_H
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace skiff {

// Throws an Error carrying errno's name as `code` (as Node's fs errors do) and returns undefined.
inline Napi::Value ThrowErrno(Napi::Env env, const char *syscall, const std::string &path) {
  int e = errno;
  Napi::Error err = Napi::Error::New(env, std::string(syscall) + " " + path + ": " + strerror(e));
  err.Set("code", Napi::String::New(env, strerrorname_np(e) ? strerrorname_np(e) : "EUNKNOWN"));
  err.Set("errno", Napi::Number::New(env, e));
  err.Set("syscall", Napi::String::New(env, syscall));
  err.Set("path", Napi::String::New(env, path));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Checks the arguments against a signature ('s' string, 'n' number, 'b' buffer): without
// C++ exceptions a wrong type would otherwise become a pending exception mid-call.
inline bool CheckArgs(const Napi::CallbackInfo &info, const char *sig) {
  size_t n = strlen(sig);
  if (info.Length() < n) {
    Napi::TypeError::New(info.Env(), "wrong number of arguments").ThrowAsJavaScriptException();
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    bool ok = sig[i] == 's' ? info[i].IsString() : sig[i] == 'n' ? info[i].IsNumber() : info[i].IsBuffer();
    if (!ok) {
      const char *want = sig[i] == 's' ? "a string" : sig[i] == 'n' ? "a number" : "a Buffer";
      Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + 1) + " must be " + want).ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

}  // namespace skiff
#endif
