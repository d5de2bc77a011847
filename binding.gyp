{
  # Native CPU kernels for the tfjs cpu backend. The matrix products run on the addon's
  # own packed GEMM, compiled once per instruction set (AVX-512, AVX2+FMA, portable; the
  # CPU's best is picked at load time). Where pkg-config finds OpenBLAS the addon is
  # also linked against it (MTL_HAVE_OPENBLAS) and may use its sgemm; MTL_NATIVE_BLAS=none
  # builds without it (native/detect-blas.cjs). If nothing can build, installation still
  # succeeds and tfjs-multitask falls back to the JavaScript/wasm backends (see tryInstallNative).
  "variables": {
    "mtl_blas%": "<!(node native/detect-blas.cjs)",
    "mtl_x86%": "<!(node -p \"['x64','ia32'].includes(process.arch) ? 1 : 0\")"
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags": ["-O3", "-fno-math-errno", "-fPIC"],
    "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CFLAGS": ["-O3"]
    }
  },
  "targets": [
    {
      "target_name": "mtl_native",
      "sources": [
        "native/addon.cc",
        "native/parallel.cc",
        "native/gemm.cc",
        "native/dense.cc",
        "native/mixture.cc",
        "native/gemm_dispatch.cc",
        "native/gemm_portable.cc",
        "native/thin_gemm.cc",
        "native/conv.cc",
        "native/losses.cc",
        "native/pool.cc",
        "native/elementwise.cc",
        "native/batchnorm.cc",
        "native/optimizers.cc",
        "native/graddrop.cc"
      ],
      "libraries": ["-lpthread"],
      "conditions": [
        ["mtl_x86==1", {
          "dependencies": ["mtl_gemm_avx512", "mtl_gemm_avx2"],
          "defines": ["MTL_X86_GEMM"]
        }],
        ["mtl_blas=='openblas'", {
          "defines": ["MTL_HAVE_OPENBLAS"],
          "include_dirs": ["<!@(pkg-config --cflags-only-I openblas 2>/dev/null | sed 's/-I//g')"],
          "libraries": [
            "<!@(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)",
            "-Wl,-rpath,<!(pkg-config --variable=libdir openblas 2>/dev/null || echo /usr/lib)"
          ]
        }]
      ]
    }
  ],
  "conditions": [
    ["mtl_x86==1", {
      "targets": [
        {
          "target_name": "mtl_gemm_avx512",
          "type": "static_library",
          "sources": ["native/gemm_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx512f", "-mfma"] }
        },
        {
          "target_name": "mtl_gemm_avx2",
          "type": "static_library",
          "sources": ["native/gemm_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx2", "-mfma"] }
        }
      ]
    }]
  ]
}
