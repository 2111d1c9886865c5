// The image store's hot loops on a libuv worker thread: a layer's filesystem ops in batches
// (unpack-ops.c) and zstd (de)compression (libzstd). Both keep their state in a context object
// the JS side owns; calls on one context are made one at a time.
#include "image-ops.h"

#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <string>

extern "C" {
#include "unpack-ops.h"
}

namespace {

Napi::Value Rejected(Napi::Env env, const char *why) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(Napi::TypeError::New(env, why).Value());
  return d.Promise();
}

// ---- unpack ---------------------------------------------------------------------------------

void FreeUnpackCtx(Napi::Env, unpack_ctx *c) {
  if (c->fd >= 0) close(c->fd);
  delete c;
}

// unpackContext() -> External
Napi::Value UnpackContext(const Napi::CallbackInfo &info) {
  auto *c = new unpack_ctx{-1};
  return Napi::External<unpack_ctx>::New(info.Env(), c, FreeUnpackCtx);
}

class UnpackWorker : public Napi::AsyncWorker {
 public:
  UnpackWorker(Napi::Env env, Napi::Object ctx, Napi::Buffer<uint8_t> ops, Napi::Buffer<uint8_t> data)
      : Napi::AsyncWorker(env, "skiff_unpack"), deferred_(Napi::Promise::Deferred::New(env)) {
    ctx_ref_ = Napi::Persistent(ctx);
    ops_ref_ = Napi::Persistent(ops.As<Napi::Object>());
    data_ref_ = Napi::Persistent(data.As<Napi::Object>());
    ctx_ = ctx.As<Napi::External<unpack_ctx>>().Data();
    ops_ = ops.Data(), ops_len_ = ops.Length(), data_ = data.Data(), data_len_ = data.Length();
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { failed_ = unpack_run(ctx_, ops_, ops_len_, data_, data_len_, &err_) < 0; }
  void OnOK() override {
    Napi::Env env = Env();
    if (!failed_) return deferred_.Resolve(env.Undefined());
    Napi::Error e = Napi::Error::New(env, std::string(strerror(err_.err)));
    e.Set("errno", Napi::Number::New(env, err_.err));
    e.Set("code", Napi::String::New(env, ErrnoName(err_.err)));
    e.Set("syscall", Napi::String::New(env, err_.syscall));
    e.Set("index", Napi::Number::New(env, err_.index));
    deferred_.Reject(e.Value());
  }

 private:
  static const char *ErrnoName(int e) {
    switch (e) {
      case EEXIST: return "EEXIST";
      case ENOENT: return "ENOENT";
      case ENOTDIR: return "ENOTDIR";
      case EISDIR: return "EISDIR";
      case EPERM: return "EPERM";
      case EACCES: return "EACCES";
      case ENOSPC: return "ENOSPC";
      case EDQUOT: return "EDQUOT";
      case ELOOP: return "ELOOP";
      case EINVAL: return "EINVAL";
      case EMLINK: return "EMLINK";
      case ENAMETOOLONG: return "ENAMETOOLONG";
      case EOPNOTSUPP: return "EOPNOTSUPP";
      case EROFS: return "EROFS";
      case EIO: return "EIO";
      case EXDEV: return "EXDEV";
      case EBADF: return "EBADF";
      case ENOTEMPTY: return "ENOTEMPTY";
      case EBUSY: return "EBUSY";
      default: return "EIO";
    }
  }
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference ctx_ref_, ops_ref_, data_ref_;
  unpack_ctx *ctx_;
  const uint8_t *ops_, *data_;
  size_t ops_len_, data_len_;
  bool failed_ = false;
  unpack_error err_{};
};

// unpackRun(ctx, ops: Buffer, data: Buffer) -> Promise<void>; rejects with { code, syscall, index }
Napi::Value UnpackRun(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsExternal() || !info[1].IsBuffer() || !info[2].IsBuffer()) return Rejected(env, "unpackRun(ctx, ops, data)");
  auto *w = new UnpackWorker(env, info[0].As<Napi::Object>(), info[1].As<Napi::Buffer<uint8_t>>(), info[2].As<Napi::Buffer<uint8_t>>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// ---- zstd -----------------------------------------------------------------------------------

void FreeZstd(Napi::Env, ZSTD_DStream *z) { ZSTD_freeDStream(z); }

// zstdContext() -> External
Napi::Value ZstdContext(const Napi::CallbackInfo &info) {
  ZSTD_DStream *z = ZSTD_createDStream();
  if (!z) {
    Napi::Error::New(info.Env(), "out of memory").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  ZSTD_initDStream(z);
  return Napi::External<ZSTD_DStream>::New(info.Env(), z, FreeZstd);
}

// One step of a zstd stream on the thread pool, from input[offset..] into output: the
// context and both buffers are kept alive until it settles, and it resolves with
// { consumed, produced, <flag> }, the flag named and judged by the step (Flag()).
class ZstdStepWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise Promise() { return deferred_.Promise(); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("consumed", Napi::Number::New(env, (double)(in_.pos - in_off_)));
    o.Set("produced", Napi::Number::New(env, (double)out_.pos));
    o.Set(flag_name_, Napi::Boolean::New(env, Flag()));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 protected:
  // info: (ctx, input, offset, output, ...), checked by QueueZstdStep
  ZstdStepWorker(const Napi::CallbackInfo &info, size_t in_off, const char *name, const char *flag_name)
      : Napi::AsyncWorker(info.Env(), name), deferred_(Napi::Promise::Deferred::New(info.Env())), flag_name_(flag_name), in_off_(in_off) {
    auto in = info[1].As<Napi::Buffer<uint8_t>>();
    auto out = info[3].As<Napi::Buffer<uint8_t>>();
    ctx_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    in_ref_ = Napi::Persistent(in.As<Napi::Object>());
    out_ref_ = Napi::Persistent(out.As<Napi::Object>());
    in_ = {in.Data(), in.Length(), in_off};
    out_ = {out.Data(), out.Length(), 0};
  }
  template <class Ctx>
  static Ctx *Context(const Napi::CallbackInfo &info) {
    return info[0].As<Napi::External<Ctx>>().Data();
  }
  virtual bool Flag() const = 0;
  ZSTD_inBuffer in_;
  ZSTD_outBuffer out_;

 private:
  Napi::Promise::Deferred deferred_;
  const char *flag_name_;
  Napi::ObjectReference ctx_ref_, in_ref_, out_ref_;
  size_t in_off_;
};

// Queues the step of a Worker made from info (ctx, input, offset, output, then a boolean when
// argc is 5) once those are of the right kinds and the offset is within the input.
template <class Worker>
Napi::Value QueueZstdStep(const Napi::CallbackInfo &info, size_t argc, const char *usage) {
  Napi::Env env = info.Env();
  if (info.Length() < argc || !info[0].IsExternal() || !info[1].IsBuffer() || !info[2].IsNumber() || !info[3].IsBuffer() || (argc > 4 && !info[4].IsBoolean()))
    return Rejected(env, usage);
  size_t off = info[2].As<Napi::Number>().Int64Value();
  if (off > info[1].As<Napi::Buffer<uint8_t>>().Length()) return Rejected(env, "offset beyond the input");
  auto *w = new Worker(info, off);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

class ZstdWorker : public ZstdStepWorker {
 public:
  ZstdWorker(const Napi::CallbackInfo &info, size_t in_off) : ZstdStepWorker(info, in_off, "skiff_zstd", "frameEnd"), z_(Context<ZSTD_DStream>(info)) {}
  void Execute() override {
    // until the output is full, or nothing more comes out without more input: the caller
    // bounds what one call makes, so a layer that expands enormously is never held in memory
    for (;;) {
      size_t out_before = out_.pos;
      size_t r = ZSTD_decompressStream(z_, &out_, &in_);
      if (ZSTD_isError(r)) return SetError(ZSTD_getErrorName(r));
      hint_ = r;
      if (out_.pos == out_.size) break;
      if (in_.pos == in_.size && (r == 0 || out_.pos == out_before)) break;
    }
  }

 private:
  // 0: a frame has just ended (the input may hold another)
  bool Flag() const override { return hint_ == 0; }
  ZSTD_DStream *z_;
  size_t hint_ = 1;
};

// zstdDecompress(ctx, input, inputOffset, output) -> Promise<{ consumed, produced, frameEnd }>
Napi::Value ZstdDecompress(const Napi::CallbackInfo &info) { return QueueZstdStep<ZstdWorker>(info, 4, "zstdDecompress(ctx, input, offset, output)"); }

// ---- zstd compression -----------------------------------------------------------------------

void FreeZstdC(Napi::Env, ZSTD_CCtx *z) { ZSTD_freeCCtx(z); }

// zstdCompressContext(level) -> External; single-threaded, no checksum, no content size: the
// same input at the same level gives the same bytes however it is fed, so pushed digests hold
Napi::Value ZstdCompressContext(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "zstdCompressContext(level)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int level = info[0].As<Napi::Number>().Int32Value();
  if (level < 1 || level > ZSTD_maxCLevel()) {
    Napi::RangeError::New(env, "zstd level out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ZSTD_CCtx *z = ZSTD_createCCtx();
  if (!z) {
    Napi::Error::New(env, "out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t r = ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 0);
  if (ZSTD_isError(r)) {
    ZSTD_freeCCtx(z);
    Napi::Error::New(env, ZSTD_getErrorName(r)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::External<ZSTD_CCtx>::New(env, z, FreeZstdC);
}

class ZstdCompressWorker : public ZstdStepWorker {
 public:
  ZstdCompressWorker(const Napi::CallbackInfo &info, size_t in_off)
      : ZstdStepWorker(info, in_off, "skiff_zstd_compress", "done"),
        z_(Context<ZSTD_CCtx>(info)),
        end_(info[4].As<Napi::Boolean>().Value() ? ZSTD_e_end : ZSTD_e_continue) {}
  void Execute() override {
    // until the output is full or the input is used up (with end: the frame is closed), so
    // the caller bounds what one call holds
    for (;;) {
      size_t r = ZSTD_compressStream2(z_, &out_, &in_, end_);
      if (ZSTD_isError(r)) return SetError(ZSTD_getErrorName(r));
      remaining_ = r;
      if (out_.pos == out_.size) break;
      if (in_.pos == in_.size && (end_ == ZSTD_e_continue || r == 0)) break;
    }
  }

 private:
  // with end: the frame is complete and flushed
  bool Flag() const override { return end_ == ZSTD_e_end && in_.pos == in_.size && remaining_ == 0; }
  ZSTD_CCtx *z_;
  ZSTD_EndDirective end_;
  size_t remaining_ = 1;
};

// zstdCompress(ctx, input, inputOffset, output, end) -> Promise<{ consumed, produced, done }>
Napi::Value ZstdCompress(const Napi::CallbackInfo &info) { return QueueZstdStep<ZstdCompressWorker>(info, 5, "zstdCompress(ctx, input, offset, output, end)"); }

}  // namespace

void RegisterImageOps(Napi::Env env, Napi::Object exports) {
  exports.Set("unpackContext", Napi::Function::New(env, UnpackContext));
  exports.Set("unpackRun", Napi::Function::New(env, UnpackRun));
  exports.Set("zstdContext", Napi::Function::New(env, ZstdContext));
  exports.Set("zstdDecompress", Napi::Function::New(env, ZstdDecompress));
  exports.Set("zstdCompressContext", Napi::Function::New(env, ZstdCompressContext));
  exports.Set("zstdCompress", Napi::Function::New(env, ZstdCompress));
}
