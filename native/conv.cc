// 2-D convolution (NHWC input, HWIO filter) and its two gradients as GEMMs over
// the im2col matrix col[rows, K] (rows = batch*outH*outW, K = filterH*filterW*inC):
//   forward  y[rows, OC] = col * W[K, OC]
//   input    dx          = col2im(dy[rows, OC] * W^T)
//   filter   dW[K, OC]   = col^T * dy
// The rows are cut into cache-sized blocks; each pool task builds its blocks of col
// in a thread-local buffer and runs single-threaded sgemm on them, so col is never
// materialised whole. 1x1 / stride-1 / unpadded convolutions skip im2col.
// Layers with few output channels (≤ 32, dilation 1) take the direct kernels of
// conv_kernel.h instead for the forward pass and the filter gradient.
#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm_own.h"
#include "kernels.h"
#include "parallel.h"

namespace mtl {

namespace {

constexpr int64_t kBlockFloats = int64_t(1) << 15;  // 128 KiB of col per block (stays in L2)
constexpr int64_t kMinBlockRows = 32;

float* thread_scratch(int64_t n) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(n);
  return buffer.data();
}

bool is_pointwise(const ConvGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
         g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

int64_t block_rows(int64_t k, int64_t total_rows) {
  return std::max<int64_t>(1, std::min(total_rows, std::max(kMinBlockRows, kBlockFloats / std::max<int64_t>(k, 1))));
}

// Valid filter columns [kx0, kx1) for an output column whose window starts at ix0
// (dilation 1: the valid taps read one contiguous run of the input row).
inline void valid_taps(int64_t ix0, const ConvGeometry& g, int64_t* kx0, int64_t* kx1) {
  *kx0 = std::min(g.filter_w, std::max<int64_t>(0, -ix0));
  *kx1 = std::max(*kx0, std::min(g.filter_w, g.in_w - ix0));
}

// Short copies and sums as plain loops (memcpy calls dominate for 1-4 channels).
inline void copy_floats(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}
inline void zero_floats(float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = 0.f;
}
inline void add_floats(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

// col[r - r0, (ky*KW + kx)*C + c] = x[image(r), iy, ix, c], zero outside the image.
void im2col_rows(const float* x, float* col, const ConvGeometry& g, int64_t r0, int64_t r1) {
  const int64_t c = g.in_c, k = g.filter_h * g.filter_w * c, plane = g.out_h * g.out_w;
  const int64_t run = g.filter_w * c;  // one filter row of taps
  int64_t b = r0 / plane, oy = (r0 % plane) / g.out_w, ox = r0 % g.out_w;
  for (int64_t r = r0; r < r1; ++r) {
    float* dst = col + (r - r0) * k;
    const int64_t ix0 = ox * g.stride_w - g.pad_left;
    int64_t kx0 = 0, kx1 = g.filter_w;
    if (g.dilation_w == 1) valid_taps(ix0, g, &kx0, &kx1);
    for (int64_t ky = 0; ky < g.filter_h; ++ky, dst += run) {
      const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) {
        zero_floats(dst, run);
        continue;
      }
      const float* src_row = x + (b * g.in_h + iy) * g.in_w * c;
      if (g.dilation_w == 1) {
        zero_floats(dst, kx0 * c);
        copy_floats(dst + kx0 * c, src_row + (ix0 + kx0) * c, (kx1 - kx0) * c);
        zero_floats(dst + kx1 * c, (g.filter_w - kx1) * c);
      } else {
        for (int64_t kx = 0; kx < g.filter_w; ++kx) {
          const int64_t ix = ix0 + kx * g.dilation_w;
          if (ix >= 0 && ix < g.in_w) copy_floats(dst + kx * c, src_row + ix * c, c);
          else zero_floats(dst + kx * c, c);
        }
      }
    }
    if (++ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++b;
      }
    }
  }
}

// dx[image(r), iy, ix, :] += dcol[r - r0, (ky*KW + kx)*C + :] for every pixel im2col read.
void col2im_rows_add(const float* dcol, float* dx, const ConvGeometry& g, int64_t r0, int64_t r1) {
  const int64_t c = g.in_c, k = g.filter_h * g.filter_w * c, plane = g.out_h * g.out_w;
  const int64_t run = g.filter_w * c;
  int64_t b = r0 / plane, oy = (r0 % plane) / g.out_w, ox = r0 % g.out_w;
  for (int64_t r = r0; r < r1; ++r) {
    const float* src = dcol + (r - r0) * k;
    const int64_t ix0 = ox * g.stride_w - g.pad_left;
    int64_t kx0 = 0, kx1 = g.filter_w;
    if (g.dilation_w == 1) valid_taps(ix0, g, &kx0, &kx1);
    for (int64_t ky = 0; ky < g.filter_h; ++ky, src += run) {
      const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      float* dst_row = dx + (b * g.in_h + iy) * g.in_w * c;
      if (g.dilation_w == 1) {
        add_floats(dst_row + (ix0 + kx0) * c, src + kx0 * c, (kx1 - kx0) * c);
      } else {
        for (int64_t kx = 0; kx < g.filter_w; ++kx) {
          const int64_t ix = ix0 + kx * g.dilation_w;
          if (ix >= 0 && ix < g.in_w) add_floats(dst_row + ix * c, src + kx * c, c);
        }
      }
    }
    if (++ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++b;
      }
    }
  }
}

void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_serial(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

// The kernel set whose direct convolutions take this geometry (dilation 1, few output
// channels), or null for the im2col path.
const GemmKernel* direct_kernel(const ConvGeometry& g) {
  const GemmKernel* kernel = gemm_active_kernel();
  const bool fits = kernel->conv_forward != nullptr && g.dilation_h == 1 && g.dilation_w == 1 &&
                    g.out_c <= kernel->conv_max_channels;
  return fits ? kernel : nullptr;
}

// Output channels rounded up to whole vectors of `kernel`.
int64_t padded_channels(const GemmKernel* kernel, int64_t channels) {
  return (channels + kernel->lanes - 1) / kernel->lanes * kernel->lanes;
}

void conv2d_direct(const GemmKernel* kernel, const float* x, const float* w, float* y, const ConvGeometry& g,
                   const float* bias, int32_t act, float alpha) {
  const int64_t k = g.filter_h * g.filter_w * g.in_c, oc = g.out_c, rows = g.batch * g.out_h * g.out_w;
  const int64_t width = padded_channels(kernel, oc);
  std::vector<float> wp(k * width, 0.f), bp(width, 0.f);
  for (int64_t t = 0; t < k; ++t) std::memcpy(wp.data() + t * width, w + t * oc, oc * sizeof(float));
  if (bias != nullptr) std::memcpy(bp.data(), bias, oc * sizeof(float));
  const int64_t grain = std::max<int64_t>(16, (int64_t(1) << 15) / std::max<int64_t>(1, k * oc));
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    kernel->conv_forward(x, wp.data(), bp.data(), y, g, r0, r1);
    if (act != kLinear) apply_activation(y + r0 * oc, (r1 - r0) * oc, act, alpha);  // inline: we are inside a task
  });
}

void conv2d_backprop_filter_direct(const GemmKernel* kernel, const float* x, const float* dy, float* dw,
                                   const ConvGeometry& g) {
  const int64_t k = g.filter_h * g.filter_w * g.in_c, oc = g.out_c, rows = g.batch * g.out_h * g.out_w;
  const int64_t width = padded_channels(kernel, oc);
  // Each part sums its share of the rows into its own padded dW; then the parts are
  // added in order.
  const int64_t parts = num_threads() == 1 ? 1 : std::max<int64_t>(1, std::min<int64_t>(4 * num_threads(), rows / 128));
  std::vector<float> acc(parts * k * width, 0.f);
  parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      kernel->conv_filter(x, dy, acc.data() + p * k * width, g, rows * p / parts, rows * (p + 1) / parts);
    }
  });
  for (int64_t t = 0; t < k; ++t) {
    for (int64_t c = 0; c < oc; ++c) {
      float s = acc[t * width + c];
      for (int64_t p = 1; p < parts; ++p) s += acc[(p * k + t) * width + c];
      dw[t * oc + c] = s;
    }
  }
}

}  // namespace

void conv2d(const float* x, const float* w, float* y, const ConvGeometry& g, const float* bias, int32_t act,
            float alpha) {
  const int64_t k = g.filter_h * g.filter_w * g.in_c, oc = g.out_c;
  const int64_t rows = g.batch * g.out_h * g.out_w;
  if (rows * oc == 0) return;
  if (const GemmKernel* kernel = direct_kernel(g)) return conv2d_direct(kernel, x, w, y, g, bias, act, alpha);
  const int64_t per_block = block_rows(k, rows), blocks = (rows + per_block - 1) / per_block;
  const bool pointwise = is_pointwise(g);
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    float* col = pointwise ? nullptr : thread_scratch(per_block * k);
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r0 = blk * per_block, n = std::min(per_block, rows - r0);
      float* out = y + r0 * oc;
      if (bias != nullptr) fill_bias(out, n, oc, bias, kBiasPerColumn);
      else if (k == 0) std::memset(out, 0, n * oc * sizeof(float));
      if (k > 0) {
        const float* a = x + r0 * k;
        if (!pointwise) {
          im2col_rows(x, col, g, r0, r0 + n);
          a = col;
        }
        sgemm(false, false, n, oc, k, a, k, w, oc, bias != nullptr ? 1.f : 0.f, out, oc);
      }
      if (act != kLinear) apply_activation(out, n * oc, act, alpha);  // inline: we are inside a task
    }
  });
}

void conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvGeometry& g) {
  const int64_t k = g.filter_h * g.filter_w * g.in_c, oc = g.out_c, plane = g.out_h * g.out_w;
  const int64_t image = g.in_h * g.in_w * g.in_c;
  if (g.batch * image == 0) return;
  if (k == 0 || oc == 0 || plane == 0) {
    std::memset(dx, 0, g.batch * image * sizeof(float));
    return;
  }
  if (is_pointwise(g)) {
    sgemm_parallel(false, true, g.batch * plane, g.in_c, oc, dy, oc, w, oc, 0.f, dx, g.in_c);
    return;
  }
  // Tasks own whole images, so the scatter-add of col2im never races.
  const int64_t per_block = block_rows(k, plane);
  parallel_for(g.batch, 1, [&](int64_t i0, int64_t i1) {
    float* dcol = thread_scratch(per_block * k);
    std::memset(dx + i0 * image, 0, (i1 - i0) * image * sizeof(float));
    for (int64_t r0 = i0 * plane; r0 < i1 * plane; r0 += per_block) {
      const int64_t n = std::min(per_block, i1 * plane - r0);
      sgemm(false, true, n, k, oc, dy + r0 * oc, oc, w, oc, 0.f, dcol, k);
      col2im_rows_add(dcol, dx, g, r0, r0 + n);
    }
  });
}

void conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvGeometry& g) {
  const int64_t k = g.filter_h * g.filter_w * g.in_c, oc = g.out_c;
  const int64_t rows = g.batch * g.out_h * g.out_w;
  if (k * oc == 0) return;
  if (rows == 0) {
    std::memset(dw, 0, k * oc * sizeof(float));
    return;
  }
  if (const GemmKernel* kernel = direct_kernel(g)) return conv2d_backprop_filter_direct(kernel, x, dy, dw, g);
  const bool pointwise = is_pointwise(g);
  const int64_t per_block = block_rows(k, rows), blocks = (rows + per_block - 1) / per_block;
  // Each part accumulates its share of the blocks into its own partial dW; then sum.
  // Several parts per thread keep the work balanced when a thread is descheduled;
  // partials are capped at 16 MiB. With a single part (large filters), each block's
  // GEMM is split across the pool instead.
  const int64_t max_parts = std::max<int64_t>(1, (int64_t(1) << 22) / (k * oc));
  const int64_t parts = num_threads() == 1 ? 1 : std::min({4 * int64_t(num_threads()), blocks, max_parts});
  std::vector<float> partial((parts - 1) * k * oc);
  parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* acc = p == 0 ? dw : partial.data() + (p - 1) * k * oc;
      float* col = pointwise ? nullptr : thread_scratch(per_block * k);
      const int64_t first = blocks * p / parts, last = blocks * (p + 1) / parts;
      for (int64_t blk = first; blk < last; ++blk) {
        const int64_t r0 = blk * per_block, n = std::min(per_block, rows - r0);
        const float* a = x + r0 * k;
        if (!pointwise) {
          im2col_rows(x, col, g, r0, r0 + n);
          a = col;
        }
        const float beta = blk == first ? 0.f : 1.f;
        if (parts == 1) sgemm_parallel(true, false, k, oc, n, a, k, dy + r0 * oc, oc, beta, acc, oc);
        else sgemm(true, false, k, oc, n, a, k, dy + r0 * oc, oc, beta, acc, oc);
      }
    }
  });
  for (int64_t p = 1; p < parts; ++p) {
    const float* src = partial.data() + (p - 1) * k * oc;
    for (int64_t i = 0; i < k * oc; ++i) dw[i] += src[i];
  }
}

void conv2d_backward(const float* dy, const float* x, const float* w, const float* y, const ConvGeometry& g,
                     int32_t act, float* scratch, float* dx, float* dw, float* db) {
  const float* grad = activation_bias_gradient(dy, y, g.batch * g.out_h * g.out_w, g.out_c, act, scratch, db);
  if (dx != nullptr) conv2d_backprop_input(grad, w, dx, g);
  if (dw != nullptr) conv2d_backprop_filter(x, grad, dw, g);
}

}  // namespace mtl
