// Max pooling (NHWC) and its gradient with tfjs's tie rule: the first maximum in
// row-major window order wins; NaN never wins; a window with no finite maximum
// (all -inf / NaN / padding) gives -inf forward and no gradient.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace mtl {

namespace {
constexpr int64_t kChannelBlock = 64;  // channels scanned together in the gradient
}

void max_pool(const float* x, float* y, const ConvGeometry& g) {
  const int64_t c = g.in_c;
  parallel_for(g.batch * g.out_h, 4, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / g.out_h, oy = row % g.out_h;
      const int64_t y0 = oy * g.stride_h - g.pad_top;
      const int64_t iy0 = std::max<int64_t>(0, y0), iy1 = std::min(g.in_h, y0 + g.filter_h);
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        const int64_t x0 = ox * g.stride_w - g.pad_left;
        const int64_t ix0 = std::max<int64_t>(0, x0), ix1 = std::min(g.in_w, x0 + g.filter_w);
        float* out = y + ((b * g.out_h + oy) * g.out_w + ox) * c;
        std::fill(out, out + c, -std::numeric_limits<float>::infinity());
        for (int64_t iy = iy0; iy < iy1; ++iy) {
          for (int64_t ix = ix0; ix < ix1; ++ix) {
            const float* in = x + ((b * g.in_h + iy) * g.in_w + ix) * c;
            for (int64_t ci = 0; ci < c; ++ci) out[ci] = in[ci] > out[ci] ? in[ci] : out[ci];
          }
        }
      }
    }
  });
}

void max_pool_grad(const float* dy, const float* x, float* dx, const ConvGeometry& g) {
  const int64_t c = g.in_c, image = g.in_h * g.in_w * c;
  // Threads split images (or channel blocks of one image), so scatters never collide.
  const int64_t blocks = (c + kChannelBlock - 1) / kChannelBlock;
  parallel_for(g.batch * blocks, 1, [&](int64_t begin, int64_t end) {
    float best[kChannelBlock];
    int32_t where[kChannelBlock];  // offset within the image; selects below stay branch-free
    for (int64_t job = begin; job < end; ++job) {
      const int64_t b = job / blocks, c0 = (job % blocks) * kChannelBlock;
      const int64_t cn = std::min(kChannelBlock, c - c0);
      const float* xb = x + b * image;
      float* dxb = dx + b * image;
      for (int64_t iy = 0; iy < g.in_h * g.in_w; ++iy) std::memset(dxb + iy * c + c0, 0, cn * sizeof(float));
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        const int64_t y0 = oy * g.stride_h - g.pad_top;
        const int64_t iy0 = std::max<int64_t>(0, y0), iy1 = std::min(g.in_h, y0 + g.filter_h);
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const int64_t x0 = ox * g.stride_w - g.pad_left;
          const int64_t ix0 = std::max<int64_t>(0, x0), ix1 = std::min(g.in_w, x0 + g.filter_w);
          std::fill(best, best + cn, -std::numeric_limits<float>::infinity());
          std::fill(where, where + cn, int32_t(-1));
          for (int64_t iy = iy0; iy < iy1; ++iy) {
            for (int64_t ix = ix0; ix < ix1; ++ix) {
              const int32_t offset = static_cast<int32_t>((iy * g.in_w + ix) * c + c0);
              const float* in = xb + offset;
              for (int32_t ci = 0; ci < cn; ++ci) {
                const float v = in[ci], b = best[ci];
                const int32_t mask = -static_cast<int32_t>(v > b);  // all ones where v wins
                best[ci] = v > b ? v : b;                           // maxss: NaN never wins
                where[ci] = (where[ci] & ~mask) | ((offset + ci) & mask);
              }
            }
          }
          const float* grad = dy + ((b * g.out_h + oy) * g.out_w + ox) * c + c0;
          for (int64_t ci = 0; ci < cn; ++ci) {
            if (where[ci] >= 0) dxb[where[ci]] += grad[ci];
          }
        }
      }
    }
  });
}

}  // namespace mtl
