// Fused optimizer updates: one pass over a variable's values computes the new
// parameters and slots, where the composite tfjs version runs about a dozen
// element-wise kernels and allocates a temporary for each. The arithmetic is written
// in the same order as the composite version (src/training/optimizers/), so both
// paths agree to float rounding.
#include <cmath>

#include "kernels.h"
#include "parallel.h"
#include "simd_clones.h"

namespace mtl {

namespace {
constexpr int64_t kGrain = 1 << 15;

// One range of the Adam update; outputs never alias inputs (restrict lets the
// compiler vectorise without runtime overlap checks).
MTL_VECTOR_CLONES
void adam_range(const float* __restrict theta, const float* __restrict grad, const float* __restrict m,
                const float* __restrict v, float* __restrict theta_out, float* __restrict m_out,
                float* __restrict v_out, int64_t begin, int64_t end, AdamParams q) {
  for (int64_t i = begin; i < end; ++i) {
    float g = grad[i];
    if (q.weight_decay != 0.0f) g = g + theta[i] * q.weight_decay;
    const float m_new = m[i] * q.beta1 + g * q.one_minus_beta1;
    const float v_new = v[i] * q.beta2 + (g * g) * q.one_minus_beta2;
    const float base = q.decay_factor != 1.0f ? theta[i] * q.decay_factor : theta[i];
    m_out[i] = m_new;
    v_out[i] = v_new;
    theta_out[i] = base - (m_new * q.step_size) / (std::sqrt(v_new) + q.epsilon_hat);
  }
}

MTL_VECTOR_CLONES
void sgd_range(const float* __restrict theta, const float* __restrict grad, const float* __restrict buffer,
               float* __restrict theta_out, float* __restrict buffer_out, int64_t begin, int64_t end, SgdParams q) {
  for (int64_t i = begin; i < end; ++i) {
    float g = grad[i];
    if (q.weight_decay != 0.0f) g = g + theta[i] * q.weight_decay;
    if (buffer_out != nullptr) {
      // PyTorch initialises the momentum buffer with the first gradient.
      const float b = q.first_step ? g : buffer[i] * q.momentum + g;
      buffer_out[i] = b;
      g = q.nesterov ? g + b * q.momentum : b;
    }
    theta_out[i] = theta[i] - g * q.learning_rate;
  }
}
}  // namespace

void adam_update(const float* theta, const float* grad, const float* m, const float* v, float* theta_out,
                 float* m_out, float* v_out, int64_t n, const AdamParams& p) {
  const AdamParams q = p;
  parallel_for(n, kGrain, [=](int64_t begin, int64_t end) { adam_range(theta, grad, m, v, theta_out, m_out, v_out, begin, end, q); });
}

void sgd_update(const float* theta, const float* grad, const float* buffer, float* theta_out, float* buffer_out,
                int64_t n, const SgdParams& p) {
  const SgdParams q = p;
  parallel_for(n, kGrain, [=](int64_t begin, int64_t end) { sgd_range(theta, grad, buffer, theta_out, buffer_out, begin, end, q); });
}

}  // namespace mtl
