// The addon's asynchronous operations: process spawning and network plumbing run on a
// libuv worker thread and settle a promise, so the agent's event loop never waits on them.
#include "async-ops.h"

#include <arpa/inet.h>

#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "netns.h"
#include "spawn.h"
}

namespace {

// Runs `work` off the main thread; `work` returns "" on success or the error message.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<std::string()>;
  using Result = std::function<Napi::Value(Napi::Env)>;

  PromiseWorker(Napi::Env env, Work work, Result result)
      : Napi::AsyncWorker(env, "skiff_native"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), result_(std::move(result)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string e = work_();
    if (!e.empty()) SetError(e);
  }
  void OnOK() override { deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined()); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Result result_;
};

Napi::Value Run(Napi::Env env, PromiseWorker::Work work, PromiseWorker::Result result = nullptr) {
  auto *w = new PromiseWorker(env, std::move(work), std::move(result));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Reject(Napi::Env env, const std::string &why) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(Napi::TypeError::New(env, why).Value());
  return d.Promise();
}

std::string Str(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

bool ParseIpv4(const std::string &s, unsigned *out) {
  if (s.empty()) return *out = 0, true;
  struct in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

// spawnReported(path, args[]) -> Promise<{ pid, report, stderr }>
Napi::Value SpawnReported(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray()) return Reject(env, "spawnReported(path, args[])");
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->push_back(info[0].As<Napi::String>());
  Napi::Array args = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < args.Length(); i++) argv->push_back(args.Get(i).ToString().Utf8Value());
  auto res = std::make_shared<spawn_result>();
  return Run(
      env,
      [argv, res]() -> std::string {
        std::vector<char *> ptrs;
        for (auto &a : *argv) ptrs.push_back(const_cast<char *>(a.c_str()));
        ptrs.push_back(nullptr);
        char err[512];
        return spawn_reported((*argv)[0].c_str(), ptrs.data(), res.get(), err, sizeof err) < 0 ? std::string(err) : std::string();
      },
      [res](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("pid", Napi::Number::New(env, res->pid));
        o.Set("report", Napi::String::New(env, res->report, res->report_len));
        o.Set("stderr", Napi::String::New(env, res->stderr_text, res->stderr_len));
        return o;
      });
}

// netnsCreate(path) / netnsDelete(path) / linkDelete(name) -> Promise<void>
template <int (*Op)(const char *, char *, size_t)>
Napi::Value PathOp(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsString()) return Reject(info.Env(), "expected a string");
  std::string arg = info[0].As<Napi::String>();
  return Run(info.Env(), [arg]() -> std::string {
    char err[512];
    return Op(arg.c_str(), err, sizeof err) < 0 ? std::string(err) : std::string();
  });
}

// vethSetup({ netns, host, peer, bridge, mac: Buffer(6), address, prefix, gateway? }) -> Promise<void>
Napi::Value VethSetup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return Reject(env, "vethSetup(spec)");
  Napi::Object o = info[0].As<Napi::Object>();
  struct Spec {
    std::string netns, host, peer, bridge;
    unsigned char mac[6];
    unsigned addr, prefix, gateway;
  };
  auto s = std::make_shared<Spec>();
  s->netns = Str(o, "netns"), s->host = Str(o, "host"), s->peer = Str(o, "peer"), s->bridge = Str(o, "bridge");
  Napi::Value mac = o.Get("mac");
  if (!mac.IsBuffer() || mac.As<Napi::Buffer<unsigned char>>().Length() != 6) return Reject(env, "mac must be a 6-byte Buffer");
  memcpy(s->mac, mac.As<Napi::Buffer<unsigned char>>().Data(), 6);
  s->prefix = o.Get("prefix").ToNumber().Uint32Value();
  if (!ParseIpv4(Str(o, "address"), &s->addr) || !s->addr || !ParseIpv4(Str(o, "gateway"), &s->gateway) || s->prefix > 32)
    return Reject(env, "invalid IPv4 address, gateway or prefix");
  if (s->netns.empty() || s->host.empty() || s->peer.empty() || s->bridge.empty()) return Reject(env, "netns, host, peer and bridge are required");
  return Run(env, [s]() -> std::string {
    veth_spec v = {s->netns.c_str(), s->host.c_str(), s->peer.c_str(), s->bridge.c_str(), s->mac, s->addr, s->prefix, s->gateway};
    char err[512];
    return veth_setup(&v, err, sizeof err) < 0 ? std::string(err) : std::string();
  });
}

}  // namespace

void RegisterAsyncOps(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnReported", Napi::Function::New(env, SpawnReported));
  exports.Set("netnsCreate", Napi::Function::New(env, PathOp<netns_create>));
  exports.Set("netnsDelete", Napi::Function::New(env, PathOp<netns_delete>));
  exports.Set("linkDelete", Napi::Function::New(env, PathOp<link_delete>));
  exports.Set("vethSetup", Napi::Function::New(env, VethSetup));
}
