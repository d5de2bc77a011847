// The own GEMM in portable C++ (GCC/Clang vector extensions of 4 floats: SSE2 on any
// x86-64, NEON on ARM64, scalar code elsewhere): a 6×8 register tile; and the direct
// convolutions (conv_kernel.h). Built with the addon's generic flags, so it runs on
// every CPU the addon runs on.
#include <cstring>

#include "gemm_own.h"

namespace {
struct Isa {
  typedef float Vec __attribute__((vector_size(16)));
  static constexpr int kLanes = 4;
  static constexpr int kMr = 6;
  static constexpr int kNr = 8;
  static constexpr int kMcPanels = 24;
  [[gnu::always_inline]] static Vec zero() { return Vec{0.f, 0.f, 0.f, 0.f}; }
  [[gnu::always_inline]] static Vec load(const float* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  [[gnu::always_inline]] static void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
  [[gnu::always_inline]] static Vec broadcast(const float* p) { return set1(*p); }
  [[gnu::always_inline]] static Vec set1(float v) { return Vec{v, v, v, v}; }
  [[gnu::always_inline]] static Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
  [[gnu::always_inline]] static Vec add(Vec a, Vec b) { return a + b; }
  // The first n (1..4) lanes; the others read as 0 / left unwritten.
  [[gnu::always_inline]] static Vec load_partial(const float* p, int n) {
    Vec v = zero();
    std::memcpy(&v, p, n * sizeof(float));
    return v;
  }
  [[gnu::always_inline]] static void store_partial(float* p, Vec v, int n) { std::memcpy(p, &v, n * sizeof(float)); }
  [[gnu::always_inline]] static float sum(Vec v) { return (v[0] + v[1]) + (v[2] + v[3]); }
  // Narrow products (gemm_kernel.h): accumulators for N columns × rows.
  static constexpr int kNarrowAccumulators = 9;
  // Direct convolution (conv_kernel.h): up to 8 vectors of channels, 12 accumulators.
  static constexpr int kConvMaxVectors = 8;
  static constexpr int kConvAccumulators = 12;
};
}  // namespace

#include "gemm_kernel.h"
#include "conv_kernel.h"

namespace mtl {
const GemmKernel* gemm_kernel_portable() {
  static const GemmKernel kernel{"portable", kMr, kNr, kKc * ((kNc + kNr - 1) / kNr * kNr) + kKc * kMc, gemm_blocked,
                                 kConvLanes, kConvLanes * kConvMaxVectors, conv_forward_direct, conv_filter_direct,
                                 kNarrowMax, gemm_narrow};
  return &kernel;
}
}  // namespace mtl
