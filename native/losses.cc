// The per-example losses of the fused loss kernels (src/backend/native/fusedLosses.ts),
// with exactly the arithmetic of their JavaScript loops (which follow tfjs's composite
// ops): float32 values, exp/log and sums in double, each intermediate rounded to float
// where the JavaScript rounds it (Math.fround). Plain loops: a few hundred values per
// call, where the JavaScript version's cost was its Math.exp calls.
#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace mtl {

namespace {

inline float f32(double v) { return static_cast<float>(v); }

// tf.cast(label, 'int32') as tfjs's cpu backend computes it (truncation, NaN to 0).
inline int64_t class_index(float label) {
  if (std::isnan(label)) return 0;
  const double t = std::trunc(static_cast<double>(label));
  // Labels beyond int32 never match a class (tfjs's int32 cast wraps; either way no class).
  return t < -2147483648.0 || t > 2147483647.0 ? -1 : static_cast<int64_t>(t);
}

// log-softmax of one row of k logits into logp (k floats), shifted as scratch.
void log_softmax_row(const float* z, int64_t k, float* shifted, float* logp) {
  float max = z[0];
  for (int64_t j = 1; j < k; ++j) {
    const float v = z[j];
    if (v > max || std::isnan(v)) max = v;
  }
  double sum = 0;
  for (int64_t j = 0; j < k; ++j) {
    shifted[j] = f32(static_cast<double>(z[j]) - static_cast<double>(max));
    sum += static_cast<double>(f32(std::exp(static_cast<double>(shifted[j]))));
  }
  const double log_sum = static_cast<double>(f32(std::log(static_cast<double>(f32(sum)))));
  for (int64_t j = 0; j < k; ++j) logp[j] = f32(static_cast<double>(shifted[j]) - log_sum);
}

}  // namespace

void softmax_cross_entropy(const float* logits, const float* labels, float* losses, int64_t n, int64_t k, float* scratch) {
  float* shifted = scratch;
  float* logp = scratch + k;
  for (int64_t i = 0; i < n; ++i) {
    log_softmax_row(logits + i * k, k, shifted, logp);
    const int64_t label = class_index(labels[i]);
    double loss = 0;
    for (int64_t j = 0; j < k; ++j) loss += static_cast<double>(f32((j == label ? 1.0 : 0.0) * static_cast<double>(logp[j])));
    losses[i] = -f32(loss);
  }
}

void softmax_cross_entropy_grad(const float* dy, const float* logits, const float* labels, float* out, int64_t n,
                                int64_t k, float* scratch) {
  float* shifted = scratch;
  float* logp = scratch + k;
  for (int64_t i = 0; i < n; ++i) {
    log_softmax_row(logits + i * k, k, shifted, logp);
    const int64_t label = class_index(labels[i]);
    const double d = static_cast<double>(dy[i]);
    for (int64_t j = 0; j < k; ++j) {
      const double p = static_cast<double>(f32(std::exp(static_cast<double>(logp[j]))));
      out[i * k + j] = f32(d * static_cast<double>(f32(p - (j == label ? 1.0 : 0.0))));
    }
  }
}

void sigmoid_cross_entropy(const float* logits, const float* labels, float* losses, int64_t n, int64_t c) {
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int64_t j = i * c; j < (i + 1) * c; ++j) {
      const double v = static_cast<double>(logits[j]);
      const double relu = v > 0 ? v : 0;
      const double term = static_cast<double>(f32(static_cast<double>(f32(relu - static_cast<double>(f32(v * static_cast<double>(labels[j]))))) +
                                                  static_cast<double>(f32(std::log1p(static_cast<double>(f32(std::exp(-std::fabs(v)))))))));
      sum += static_cast<double>(f32(term / static_cast<double>(c)));
    }
    losses[i] = f32(sum);
  }
}

void sigmoid_cross_entropy_grad(const float* dy, const float* logits, const float* labels, float* out, int64_t n,
                                int64_t c) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(f32(static_cast<double>(dy[i]) / static_cast<double>(c)));
    for (int64_t j = i * c; j < (i + 1) * c; ++j) {
      const double s = static_cast<double>(f32(1.0 / (1.0 + std::exp(-static_cast<double>(logits[j])))));
      out[j] = f32(d * static_cast<double>(f32(s - static_cast<double>(labels[j]))));
    }
  }
}

}  // namespace mtl
