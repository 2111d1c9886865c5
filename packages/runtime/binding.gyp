{
  "targets": [
    {
      "target_name": "skiff_native",
      "sources": ["native/addon/addon.cc", "native/addon/async-ops.cc", "native/addon/image-ops.cc", "native/addon/log-ops.cc", "native/addon/log-frames.c", "native/addon/unpack-ops.c", "native/addon/spawn.c", "native/addon/netns.c", "native/addon/device-filter.c", "native/common/safe-root.c", "native/addon/safe-root-ops.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/common"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "libraries": ["-lmnl", "-lzstd", "-lpthread"]
    },
    {
      "target_name": "skiff-shim",
      "type": "executable",
      "sources": ["native/shim/main.c", "native/shim/conf.c", "native/shim/util.c", "native/shim/caps.c", "native/shim/seccomp.c", "native/shim/process.c", "native/shim/rootfs.c", "native/shim/devfs.c", "native/shim/kernel.c", "native/shim/cgroupfs.c", "native/shim/inroot.c", "native/common/safe-root.c", "native/shim/container.c", "native/shim/init.c", "native/shim/attach.c", "native/shim/logfile.c", "native/shim/exitrec.c", "native/shim/start.c", "native/shim/exec.c", "native/shim/trace.c", "native/shim/memtrim.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-sign-compare"],
      "include_dirs": ["native/common"],
      "ldflags": ["-static-pie"],
      "libraries": ["-lseccomp"]
    }
  ]
}
