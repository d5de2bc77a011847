{
  # Native CPU kernels for the tfjs cpu backend, linked against the system OpenBLAS
  # (pkg-config openblas). If this cannot build, installation still succeeds and
  # mtl-ts falls back to the JavaScript/wasm backends (see tryInstallNative).
  "targets": [
    {
      "target_name": "mtl_native",
      "sources": [
        "native/addon.cc",
        "native/parallel.cc",
        "native/gemm.cc",
        "native/thin_gemm.cc",
        "native/conv.cc",
        "native/pool.cc",
        "native/elementwise.cc",
        "native/batchnorm.cc",
        "native/optimizers.cc",
        "native/graddrop.cc"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": ["-O3", "-fno-math-errno"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno"],
      "include_dirs": ["<!@(pkg-config --cflags-only-I openblas 2>/dev/null | sed 's/-I//g')"],
      "libraries": [
        "<!@(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)",
        "-Wl,-rpath,<!(pkg-config --variable=libdir openblas 2>/dev/null || echo /usr/lib)",
        "-lpthread"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CFLAGS": ["-O3"]
      }
    }
  ]
}
