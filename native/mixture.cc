// The gated sum of experts of MMoE and PLE in one call each way, for the fused mixture
// op (src/backend/native/fusedExpertMixture.ts): forward y[b, f] = Σ_e gate[b, e]·x_e[b, f]
// over E experts of [batch, features], accumulated in expert order; backward
// dgate[b, e] = Σ_f dy[b, f]·x_e[b, f] and dx_e[b, f] = gate[b, e]·dy[b, f].
// tfjs runs the mixture as a stack of the experts (a copy of all of them), a batched
// [1, E]·[E, F] product per example and reshapes, and its gradient as two batched
// products, an unstack and more reshapes; here the experts are read where they are.
#include <algorithm>

#include "kernels.h"
#include "parallel.h"
#include "simd_clones.h"

namespace mtl {

namespace {
constexpr int64_t kMixtureWork = 1 << 14;  // multiply-adds per parallel chunk
constexpr int kDotLanes = 16;              // partial sums of a dot product (vectorisable without reassociation)

MTL_VECTOR_CLONES
void mixture_rows(const float* gate, const float* const* xs, int64_t count, int64_t features, float* __restrict y,
                  int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    float* __restrict out = y + b * features;
    const float* g = gate + b * count;
    for (int64_t e = 0; e < count; ++e) {
      const float w = g[e];
      const float* __restrict x = xs[e] + b * features;
      if (e == 0) {
        for (int64_t f = 0; f < features; ++f) out[f] = w * x[f];
      } else {
        for (int64_t f = 0; f < features; ++f) out[f] = out[f] + w * x[f];
      }
    }
  }
}

MTL_VECTOR_CLONES
float dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  float lanes[kDotLanes] = {};
  const int64_t whole = n / kDotLanes * kDotLanes;
  for (int64_t i = 0; i < whole; i += kDotLanes) {
    for (int l = 0; l < kDotLanes; ++l) lanes[l] += a[i + l] * b[i + l];
  }
  float s = 0.f;
  for (int64_t i = whole; i < n; ++i) s += a[i] * b[i];
  for (int l = 0; l < kDotLanes; ++l) s += lanes[l];
  return s;
}

MTL_VECTOR_CLONES
void scale_row(const float* __restrict dy, float w, float* __restrict dx, int64_t n) {
  for (int64_t f = 0; f < n; ++f) dx[f] = w * dy[f];
}

int64_t rows_per_chunk(int64_t count, int64_t features) {
  return std::max<int64_t>(1, kMixtureWork / std::max<int64_t>(1, count * features));
}
}  // namespace

void expert_mixture(const float* gate, const float* const* xs, int64_t count, int64_t batch, int64_t features,
                    float* y) {
  parallel_for(batch, rows_per_chunk(count, features),
               [&](int64_t b0, int64_t b1) { mixture_rows(gate, xs, count, features, y, b0, b1); });
}

void expert_mixture_backward(const float* dy, const float* gate, const float* const* xs, int64_t count, int64_t batch,
                             int64_t features, float* dgate, float* const* dxs) {
  parallel_for(batch, rows_per_chunk(count, features), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const float* d = dy + b * features;
      for (int64_t e = 0; e < count; ++e) {
        if (dgate != nullptr) dgate[b * count + e] = dot(d, xs[e] + b * features, features);
        if (dxs[e] != nullptr) scale_row(d, gate[b * count + e], dxs[e] + b * features, features);
      }
    }
  });
}

}  // namespace mtl
