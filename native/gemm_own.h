// The interface of the addon's own GEMM (gemm_kernel.h, compiled once per
// instruction set) and of the dispatcher that picks one at load time (gemm_dispatch.cc).
#pragma once
#include <cstdint>

#include "conv_geometry.h"

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

// One compiled variant of the kernel, with the direct convolution kernels built for
// the same instruction set (conv_kernel.h).
struct GemmKernel {
  const char* isa;          // "avx512", "avx2" or "portable"
  int mr, nr;               // register tile
  int64_t workspace_floats; // packing buffers one call needs
  void (*run)(const GemmOperands& g, float* workspace);
  int lanes;                // floats per vector register
  int conv_max_channels;    // output channels the direct convolution takes (a few vectors' worth)
  // Direct convolution (dilation 1, out_c ≤ conv_max_channels), on output rows
  // (batch·outH·outW pixels) [r0, r1): `wp` the filter as [K][P] with K = fh·fw·in_c taps
  // and P = out_c rounded up to whole vectors (zero-padded), `bp` the bias as [P] (zeros
  // for none). Forward: y rows = bias + Σ taps, written (no activation). Filter gradient:
  // acc [K][P] += Σ over the rows of x(tap)·dy(row), padded channels left at 0.
  void (*conv_forward)(const float* x, const float* wp, const float* bp, float* y, const ConvGeometry& g, int64_t r0,
                       int64_t r1);
  void (*conv_filter)(const float* x, const float* dy, float* acc, const ConvGeometry& g, int64_t r0, int64_t r1);
  // Narrow products (n ≤ narrow_max): false, doing nothing, where op(A) is contiguous
  // along neither dimension. `workspace` as for run.
  int narrow_max;
  bool (*narrow)(const GemmOperands& g, float* workspace);
};

// The variant in use (gemm_dispatch.cc), for the direct convolutions.
const GemmKernel* gemm_active_kernel();

// The variants compiled into this build (null where the build has none, e.g. no
// AVX-512 variant on a non-x86 machine). Whether the CPU can run one is the
// dispatcher's question.
const GemmKernel* gemm_kernel_avx512();
const GemmKernel* gemm_kernel_avx2();
const GemmKernel* gemm_kernel_portable();

}  // namespace mtl
