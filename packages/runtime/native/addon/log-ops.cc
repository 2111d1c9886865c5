// Log streaming's hot loop (log-frames.c), called synchronously: a MiB of log takes about a
// millisecond, less than a hop to the thread pool and back would.
#include "log-ops.h"

extern "C" {
#include "log-frames.h"
}

namespace {

bool Flag(Napi::Object o, const char *key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// logFrames(input, start, end, output, { stdout, stderr, timestamps, raw, since?, until? }) -> bytes written
Napi::Value LogFrames(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsBuffer() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsBuffer() || !info[4].IsObject()) {
    Napi::TypeError::New(env, "logFrames(input, start, end, output, opts)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto in = info[0].As<Napi::Buffer<uint8_t>>();
  auto out = info[3].As<Napi::Buffer<uint8_t>>();
  int64_t start = info[1].As<Napi::Number>().Int64Value(), end = info[2].As<Napi::Number>().Int64Value();
  if (start < 0 || end < start || (size_t)end > in.Length() || out.Length() < (size_t)(end - start)) {
    Napi::RangeError::New(env, "logFrames: the range is outside the input, or the output is shorter than it").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[4].As<Napi::Object>();
  struct log_frames_opts opts = {};
  opts.want_stdout = Flag(o, "stdout");
  opts.want_stderr = Flag(o, "stderr");
  opts.timestamps = Flag(o, "timestamps");
  opts.raw = Flag(o, "raw");
  Napi::Value since = o.Get("since"), until = o.Get("until");
  if ((opts.has_since = since.IsNumber())) opts.since = since.As<Napi::Number>().DoubleValue();
  if ((opts.has_until = until.IsNumber())) opts.until = until.As<Napi::Number>().DoubleValue();
  size_t n = log_frames(&opts, in.Data() + start, (size_t)(end - start), out.Data());
  return Napi::Number::New(env, (double)n);
}

}  // namespace

void RegisterLogOps(Napi::Env env, Napi::Object exports) { exports.Set("logFrames", Napi::Function::New(env, LogFrames)); }
