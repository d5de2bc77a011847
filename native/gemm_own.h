// The interface of the addon's own GEMM (gemm_kernel.h, compiled once per
// instruction set) and of the dispatcher that picks one at load time (gemm_dispatch.cc).
#pragma once
#include <cstdint>

namespace mtl {

// C (m×n) = op(A)·op(B) + beta·C with every operand given by a pointer and two
// strides: op(A)[i][p] = a[i·a_rs + p·a_cs], op(B)[p][j] = b[p·b_rs + j·b_cs],
// C[i][j] = c[i·c_rs + j·c_cs]. k ≥ 1.
struct GemmOperands {
  int64_t m, n, k;
  const float* a;
  int64_t a_rs, a_cs;
  const float* b;
  int64_t b_rs, b_cs;
  float* c;
  int64_t c_rs, c_cs;
  float beta;
};

// One compiled variant of the kernel.
struct GemmKernel {
  const char* isa;          // "avx512", "avx2" or "portable"
  int mr, nr;               // register tile
  int64_t workspace_floats; // packing buffers one call needs
  void (*run)(const GemmOperands& g, float* workspace);
};

// The variants compiled into this build (null where the build has none, e.g. no
// AVX-512 variant on a non-x86 machine). Whether the CPU can run one is the
// dispatcher's question.
const GemmKernel* gemm_kernel_avx512();
const GemmKernel* gemm_kernel_avx2();
const GemmKernel* gemm_kernel_portable();

}  // namespace mtl
