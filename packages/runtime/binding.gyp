{
  "targets": [
    {
      "target_name": "skiff_native",
      "sources": ["native/addon/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2"]
    },
    {
      "target_name": "skiff-shim",
      "type": "executable",
      "sources": ["native/shim/main.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall"],
      "libraries": ["-lseccomp"]
    }
  ]
}
