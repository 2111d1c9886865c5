// The syscalls the runtime needs to work inside a container's (or image's) root through
// directory fds instead of host path strings: openat2 with RESOLVE_IN_ROOT (safe-root.c) to
// find an entry, the *at() calls to create, link, remove, chown and stat entries of a
// directory fd without following a final symlink. Synchronous: each is one short syscall.
#include "safe-root-ops.h"
#include "napi-util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

extern "C" {
#include "safe-root.h"
}

namespace {

using skiff::CheckArgs;
using skiff::ThrowErrno;

int I32(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
std::string Str(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::String>(); }

// openat2(dirfd, path, flags, mode, resolve) -> fd (O_CLOEXEC)
Napi::Value Openat2(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsnnn")) return info.Env().Undefined();
  std::string path = Str(info, 1);
  int fd = safe_openat2(I32(info, 0), path.c_str(), I32(info, 2), (mode_t)info[3].As<Napi::Number>().Uint32Value(),
                        (uint64_t)info[4].As<Napi::Number>().Int64Value());
  if (fd < 0) return ThrowErrno(info.Env(), "openat2", path);
  return Napi::Number::New(info.Env(), fd);
}

// forceOpenat2Fallback(on) -> previous setting (tests exercise the emulation with it)
Napi::Value ForceFallback(const Napi::CallbackInfo &info) {
  bool on = info.Length() > 0 && info[0].ToBoolean().Value();
  return Napi::Boolean::New(info.Env(), safe_root_force_fallback(on));
}

Napi::Value Mkdirat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  if (mkdirat(I32(info, 0), name.c_str(), (mode_t)info[2].As<Napi::Number>().Uint32Value()) < 0) return ThrowErrno(info.Env(), "mkdirat", name);
  return info.Env().Undefined();
}

// symlinkat(target, dirfd, name)
Napi::Value Symlinkat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "sns")) return info.Env().Undefined();
  std::string target = Str(info, 0), name = Str(info, 2);
  if (symlinkat(target.c_str(), I32(info, 1), name.c_str()) < 0) return ThrowErrno(info.Env(), "symlinkat", name);
  return info.Env().Undefined();
}

// linkat(olddirfd, oldname, newdirfd, newname, flags)
Napi::Value Linkat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsnsn")) return info.Env().Undefined();
  std::string oldname = Str(info, 1), newname = Str(info, 3);
  if (linkat(I32(info, 0), oldname.c_str(), I32(info, 2), newname.c_str(), I32(info, 4)) < 0) return ThrowErrno(info.Env(), "linkat", newname);
  return info.Env().Undefined();
}

// unlinkat(dirfd, name, flags)
Napi::Value Unlinkat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  if (unlinkat(I32(info, 0), name.c_str(), I32(info, 2)) < 0) return ThrowErrno(info.Env(), "unlinkat", name);
  return info.Env().Undefined();
}

// fchownat(dirfd, name, uid, gid, flags)
Napi::Value Fchownat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsnnn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  if (fchownat(I32(info, 0), name.c_str(), (uid_t)info[2].As<Napi::Number>().Uint32Value(), (gid_t)info[3].As<Napi::Number>().Uint32Value(), I32(info, 4)) < 0)
    return ThrowErrno(info.Env(), "fchownat", name);
  return info.Env().Undefined();
}

struct timespec Ts(double ms) {
  struct timespec t;
  double s = std::floor(ms / 1000);
  t.tv_sec = (time_t)s;
  t.tv_nsec = (long)std::llround((ms - s * 1000) * 1e6);
  if (t.tv_nsec >= 1000000000) t.tv_sec++, t.tv_nsec -= 1000000000;
  return t;
}

// utimensat(dirfd, name, atimeMs, mtimeMs, flags)
Napi::Value Utimensat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsnnn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  struct timespec ts[2] = {Ts(info[2].As<Napi::Number>().DoubleValue()), Ts(info[3].As<Napi::Number>().DoubleValue())};
  if (utimensat(I32(info, 0), name.c_str(), ts, I32(info, 4)) < 0) return ThrowErrno(info.Env(), "utimensat", name);
  return info.Env().Undefined();
}

// readlinkat(dirfd, name) -> target ("" name: the symlink an O_PATH|O_NOFOLLOW fd refers to)
Napi::Value Readlinkat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "ns")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  char buf[PATH_MAX + 1];
  ssize_t n = readlinkat(I32(info, 0), name.c_str(), buf, PATH_MAX);
  if (n < 0) return ThrowErrno(info.Env(), "readlinkat", name);
  return Napi::String::New(info.Env(), buf, (size_t)n);
}

// mknodat(dirfd, name, mode, major, minor); mode has the file type bits
Napi::Value Mknodat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsnnn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  dev_t dev = makedev(info[3].As<Napi::Number>().Uint32Value(), info[4].As<Napi::Number>().Uint32Value());
  if (mknodat(I32(info, 0), name.c_str(), (mode_t)info[2].As<Napi::Number>().Uint32Value(), dev) < 0) return ThrowErrno(info.Env(), "mknodat", name);
  return info.Env().Undefined();
}

// fstatat(dirfd, name, flags) -> { mode, uid, gid, size, nlink, dev, ino, rdevMajor, rdevMinor, atimeMs, mtimeMs }
Napi::Value Fstatat(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nsn")) return info.Env().Undefined();
  std::string name = Str(info, 1);
  struct stat sb;
  if (fstatat(I32(info, 0), name.c_str(), &sb, I32(info, 2)) < 0) return ThrowErrno(info.Env(), "fstatat", name);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", Napi::Number::New(env, sb.st_mode));
  o.Set("uid", Napi::Number::New(env, sb.st_uid));
  o.Set("gid", Napi::Number::New(env, sb.st_gid));
  o.Set("size", Napi::Number::New(env, (double)sb.st_size));
  o.Set("nlink", Napi::Number::New(env, (double)sb.st_nlink));
  o.Set("dev", Napi::Number::New(env, (double)sb.st_dev));
  o.Set("ino", Napi::Number::New(env, (double)sb.st_ino));
  o.Set("rdevMajor", Napi::Number::New(env, major(sb.st_rdev)));
  o.Set("rdevMinor", Napi::Number::New(env, minor(sb.st_rdev)));
  o.Set("atimeMs", Napi::Number::New(env, sb.st_atim.tv_sec * 1e3 + sb.st_atim.tv_nsec / 1e6));
  o.Set("mtimeMs", Napi::Number::New(env, sb.st_mtim.tv_sec * 1e3 + sb.st_mtim.tv_nsec / 1e6));
  return o;
}

// fxattrs(fd) -> { name: Buffer } (every extended attribute of an open file; {} if unsupported)
Napi::Value Fxattrs(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "n")) return info.Env().Undefined();
  Napi::Env env = info.Env();
  int fd = I32(info, 0);
  Napi::Object out = Napi::Object::New(env);
  ssize_t n = flistxattr(fd, nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return out;
    return ThrowErrno(env, "flistxattr", "fd " + std::to_string(fd));
  }
  std::string names((size_t)n, '\0');
  n = n ? flistxattr(fd, names.data(), names.size()) : 0;
  if (n < 0) return ThrowErrno(env, "flistxattr", "fd " + std::to_string(fd));
  for (size_t i = 0; i < (size_t)n;) {
    const char *name = names.c_str() + i;
    size_t len = strlen(name);
    ssize_t vn = fgetxattr(fd, name, nullptr, 0);
    if (vn >= 0) {
      std::string value((size_t)vn, '\0');
      vn = vn ? fgetxattr(fd, name, value.data(), value.size()) : 0;
      if (vn >= 0) out.Set(name, Napi::Buffer<char>::Copy(env, value.data(), (size_t)vn));
    }
    if (vn < 0 && errno != ENODATA) return ThrowErrno(env, "fgetxattr", name);
    i += len + 1;
  }
  return out;
}

// fsetxattr(fd, name, value)
Napi::Value Fsetxattr(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "ns") || info.Length() < 3 || !info[2].IsBuffer()) {
    if (!info.Env().IsExceptionPending()) Napi::TypeError::New(info.Env(), "fsetxattr(fd, name, Buffer)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string name = Str(info, 1);
  auto value = info[2].As<Napi::Buffer<char>>();
  if (fsetxattr(I32(info, 0), name.c_str(), value.Data(), value.Length(), 0) < 0) return ThrowErrno(info.Env(), "fsetxattr", name);
  return info.Env().Undefined();
}

}  // namespace

void RegisterSafeRootOps(Napi::Env env, Napi::Object exports) {
  exports.Set("openat2", Napi::Function::New(env, Openat2));
  exports.Set("forceOpenat2Fallback", Napi::Function::New(env, ForceFallback));
  exports.Set("mkdirat", Napi::Function::New(env, Mkdirat));
  exports.Set("symlinkat", Napi::Function::New(env, Symlinkat));
  exports.Set("linkat", Napi::Function::New(env, Linkat));
  exports.Set("unlinkat", Napi::Function::New(env, Unlinkat));
  exports.Set("fchownat", Napi::Function::New(env, Fchownat));
  exports.Set("utimensat", Napi::Function::New(env, Utimensat));
  exports.Set("readlinkat", Napi::Function::New(env, Readlinkat));
  exports.Set("mknodat", Napi::Function::New(env, Mknodat));
  exports.Set("fstatat", Napi::Function::New(env, Fstatat));
  exports.Set("fxattrs", Napi::Function::New(env, Fxattrs));
  exports.Set("fsetxattr", Napi::Function::New(env, Fsetxattr));
}
