// The two passes of GradDrop's batched rule over T gradient rows of batch × features
// values (src/weighting/gradDrop.ts, dropSignsOverBatch), in the same order of
// operations as the JavaScript passes, so the results are the same to the bit.
#include <cstdint>

#include "kernels.h"

// A fused multiply-add would round once where JavaScript rounds twice.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace mtl {

void grad_drop_signed_sums(const float* const* rows, int64_t tasks, const float* values, int64_t batch,
                           int64_t features, double* summed) {
  for (int64_t i = 0; i < tasks; ++i) {
    const float* row = rows[i];
    double* s = summed + i * features;
    for (int64_t b = 0, k = 0; b < batch; ++b) {
      for (int64_t j = 0; j < features; ++j, ++k) {
        const float v = values[k];
        const double sign = static_cast<double>((v > 0) - (v < 0));
        s[j] = s[j] + sign * static_cast<double>(row[k]);
      }
    }
  }
}

void grad_drop_masked_sum(const float* const* rows, int64_t tasks, const double* keep, int64_t batch,
                          int64_t features, float* direction, double* norms) {
  double plain_squares = 0;
  double direction_squares = 0;
  for (int64_t b = 0, k = 0; b < batch; ++b) {
    for (int64_t j = 0; j < features; ++j, ++k) {
      double out = 0;
      double plain = 0;
      for (int64_t i = 0; i < tasks; ++i) {
        const double g = rows[i][k];
        out = out + g * keep[i * features + j];
        plain = plain + g;
      }
      const float rounded = static_cast<float>(out);
      direction[k] = rounded;
      plain_squares = plain_squares + plain * plain;
      direction_squares = direction_squares + static_cast<double>(rounded) * rounded;
    }
  }
  norms[0] = norms[0] + plain_squares;
  norms[1] = norms[1] + direction_squares;
}

}  // namespace mtl
