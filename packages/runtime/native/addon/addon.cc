// skiff_native: the few syscalls Node lacks and the runtime needs on the agent side
// (layer unpacking: mknod for devices/whiteouts, xattrs; cp into stopped containers: mount;
// terminals for exec/attach clients: pty pairs and window sizes) and, asynchronously,
// the container start's hot path: spawning shims and network plumbing (async-ops.cc).
#include <napi.h>

#include "async-ops.h"
#include "device-filter.h"
#include "image-ops.h"
#include "log-ops.h"
#include "napi-util.h"
#include "safe-root-ops.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <cstring>
#include <string>
#include <vector>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

namespace {

using skiff::CheckArgs;
using skiff::ThrowErrno;

// mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO)
Napi::Value Mknod(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "snnn")) return info.Env().Undefined();
  std::string path = info[0].As<Napi::String>();
  mode_t mode = info[1].As<Napi::Number>().Uint32Value();
  unsigned maj = info[2].As<Napi::Number>().Uint32Value(), min = info[3].As<Napi::Number>().Uint32Value();
  if (mknod(path.c_str(), mode, makedev(maj, min)) < 0) return ThrowErrno(info.Env(), "mknod", path);
  return info.Env().Undefined();
}

Napi::Value Lsetxattr(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "ssb")) return info.Env().Undefined();
  std::string path = info[0].As<Napi::String>(), name = info[1].As<Napi::String>();
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0) return ThrowErrno(info.Env(), "lsetxattr", path);
  return info.Env().Undefined();
}

Napi::Value Lgetxattr(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "ss")) return info.Env().Undefined();
  std::string path = info[0].As<Napi::String>(), name = info[1].As<Napi::String>();
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENODATA) return info.Env().Null();
    return ThrowErrno(info.Env(), "lgetxattr", path);
  }
  std::vector<char> buf(n > 0 ? n : 1);
  n = lgetxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
  if (n < 0) return ThrowErrno(info.Env(), "lgetxattr", path);
  return Napi::Buffer<char>::Copy(info.Env(), buf.data(), n);
}

Napi::Value Llistxattr(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "s")) return info.Env().Undefined();
  std::string path = info[0].As<Napi::String>();
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) return ThrowErrno(info.Env(), "llistxattr", path);
  std::vector<char> buf(n > 0 ? n : 1);
  n = llistxattr(path.c_str(), buf.data(), buf.size());
  if (n < 0) return ThrowErrno(info.Env(), "llistxattr", path);
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t k = 0;
  for (ssize_t i = 0; i < n;) {
    std::string name(buf.data() + i);
    out.Set(k++, Napi::String::New(info.Env(), name));
    i += name.size() + 1;
  }
  return out;
}

Napi::Value Mount(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "sssns")) return info.Env().Undefined();
  std::string src = info[0].As<Napi::String>(), target = info[1].As<Napi::String>(), type = info[2].As<Napi::String>();
  unsigned long flags = (unsigned long)info[3].As<Napi::Number>().Int64Value();
  std::string data = info[4].As<Napi::String>();
  if (mount(src.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags, data.empty() ? nullptr : data.c_str()) < 0)
    return ThrowErrno(info.Env(), "mount", target);
  return info.Env().Undefined();
}

Napi::Value Umount2(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "sn")) return info.Env().Undefined();
  std::string target = info[0].As<Napi::String>();
  int flags = info[1].As<Napi::Number>().Int32Value();
  if (umount2(target.c_str(), flags) < 0) return ThrowErrno(info.Env(), "umount2", target);
  return info.Env().Undefined();
}

// openpty() -> { master, slave, path }. Both fds are close-on-exec so they never leak into
// unrelated children; passing one as a child's stdio (dup2) clears the flag on the copy.
Napi::Value Openpty(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return ThrowErrno(env, "posix_openpt", "/dev/ptmx");
  char name[PATH_MAX];
  if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0) {
    int e = errno;
    close(master);
    errno = e;
    return ThrowErrno(env, "unlockpt", "/dev/ptmx");
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int e = errno;
    close(master);
    errno = e;
    return ThrowErrno(env, "open", name);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("master", Napi::Number::New(env, master));
  out.Set("slave", Napi::Number::New(env, slave));
  out.Set("path", Napi::String::New(env, name));
  return out;
}

// setWinsize(fd, rows, cols): TIOCSWINSZ; the foreground process group gets SIGWINCH
Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "nnn")) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct winsize ws = {};
  ws.ws_row = (unsigned short)info[1].As<Napi::Number>().Uint32Value();
  ws.ws_col = (unsigned short)info[2].As<Napi::Number>().Uint32Value();
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return ThrowErrno(info.Env(), "ioctl(TIOCSWINSZ)", "fd " + std::to_string(fd));
  return info.Env().Undefined();
}

// getWinsize(fd) -> { rows, cols }
Napi::Value GetWinsize(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "n")) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct winsize ws = {};
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return ThrowErrno(info.Env(), "ioctl(TIOCGWINSZ)", "fd " + std::to_string(fd));
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("rows", Napi::Number::New(info.Env(), ws.ws_row));
  out.Set("cols", Napi::Number::New(info.Env(), ws.ws_col));
  return out;
}

// attachDeviceFilter(cgroupDir, rules): the cgroup v2 device allow-list (see device-filter.c)
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  if (!CheckArgs(info, "ss")) return info.Env().Undefined();
  std::string dir = info[0].As<Napi::String>(), rules = info[1].As<Napi::String>();
  char err[512];
  if (device_filter_attach(dir.c_str(), rules.c_str(), err, sizeof err) < 0) {
    Napi::Error e = Napi::Error::New(info.Env(), err);
    e.Set("path", Napi::String::New(info.Env(), dir));
    e.ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("mknod", Napi::Function::New(env, Mknod));
  exports.Set("lsetxattr", Napi::Function::New(env, Lsetxattr));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr));
  exports.Set("llistxattr", Napi::Function::New(env, Llistxattr));
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount2", Napi::Function::New(env, Umount2));
  exports.Set("openpty", Napi::Function::New(env, Openpty));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  RegisterAsyncOps(env, exports);
  RegisterImageOps(env, exports);
  RegisterLogOps(env, exports);
  RegisterSafeRootOps(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(skiff_native, Init)
