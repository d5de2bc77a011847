// Direct 2-D convolution for layers with few output channels (up to a few vectors'
// worth: 32 channels), compiled once per instruction set like gemm_kernel.h and
// included after it in the same translation units (gemm_avx512.cc, gemm_avx2.cc,
// gemm_portable.cc), with the same `Isa`. The output channels lie along the vector
// lanes (V vectors, W = V·lanes ≥ out_c, the filter zero-padded to W), so a register
// tile is a few output pixels × all their channels: per filter tap, V loads of weights,
// one broadcast of the input value per pixel and V fused multiply-adds per pixel,
// reading the input image directly. The im2col matrix is never built.
//
// Why: with 10 or 20 output channels (LeNet, the first layers of small CNNs) a GEMM over
// the im2col matrix fills a third to two thirds of its register tile, and gathering
// the matrix (and packing it) costs as much as the arithmetic.
//
// Forward: tiles of up to 8 consecutive output pixels whose windows lie inside the
// input; pixels whose window is clipped by padding take a per-pixel path with bounds.
// Filter gradient: blocks of 128 output pixels; per block and tile of taps, register
// sums over the block, then added to the caller's accumulator (so a long reduction is
// summed in short runs, not one long float chain). Dilation 1 only (the dispatcher's
// condition). As in gemm_kernel.h: internal linkage, no C++ library templates.
#pragma once
#include <cstdint>

#include "conv_geometry.h"

namespace {

constexpr int kConvLanes = Isa::kLanes;
constexpr int kConvMaxVectors = Isa::kConvMaxVectors;
constexpr int kConvBlockRows = 128;

// Pixels (forward) or taps (filter gradient) per register tile for V vectors of channels:
// the accumulator registers divided among them, at most 8.
template <int V>
constexpr int conv_tile() {
  return Isa::kConvAccumulators / V >= 8 ? 8 : (Isa::kConvAccumulators / V < 1 ? 1 : Isa::kConvAccumulators / V);
}

// Walks the output pixels (rows of the output) in order: (image, oy, ox) of row r.
struct PixelCursor {
  int64_t b, oy, ox;
  PixelCursor(const mtl::ConvGeometry& g, int64_t r) {
    const int64_t plane = g.out_h * g.out_w;
    b = r / plane;
    oy = (r % plane) / g.out_w;
    ox = r % g.out_w;
  }
  void next(const mtl::ConvGeometry& g) {
    if (++ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++b;
      }
    }
  }
  int64_t y0(const mtl::ConvGeometry& g) const { return oy * g.stride_h - g.pad_top; }
  int64_t x0(const mtl::ConvGeometry& g) const { return ox * g.stride_w - g.pad_left; }
  bool inside(const mtl::ConvGeometry& g) const {
    const int64_t y = y0(g), x = x0(g);
    return y >= 0 && x >= 0 && y + g.filter_h <= g.in_h && x + g.filter_w <= g.in_w;
  }
  // The window's top-left input value (only for a window inside the input).
  const float* window(const float* x, const mtl::ConvGeometry& g) const {
    return x + ((b * g.in_h + y0(g)) * g.in_w + x0(g)) * g.in_c;
  }
};

// The last vector of a row of `channels` values holds this many of them.
inline int last_lanes(int64_t channels) { return static_cast<int>(channels - (channels - 1) / kConvLanes * kConvLanes); }

template <int V>
[[gnu::always_inline]] inline void store_channels(float* out, const typename Isa::Vec* acc, int last) {
  for (int v = 0; v < V - 1; ++v) Isa::store(out + v * kConvLanes, acc[v]);
  if (last == kConvLanes) Isa::store(out + (V - 1) * kConvLanes, acc[V - 1]);
  else Isa::store_partial(out + (V - 1) * kConvLanes, acc[V - 1], last);
}

template <int V>
[[gnu::always_inline]] inline void load_channels(const float* in, typename Isa::Vec* out, int last) {
  for (int v = 0; v < V - 1; ++v) out[v] = Isa::load(in + v * kConvLanes);
  out[V - 1] = last == kConvLanes ? Isa::load(in + (V - 1) * kConvLanes) : Isa::load_partial(in + (V - 1) * kConvLanes, last);
}

// P pixels with windows inside the input: out[p] = bias + Σ_taps window_p(tap)·w(tap).
template <int V, int P>
[[gnu::always_inline]] inline void forward_tile(const float* const* win, const mtl::ConvGeometry& g, const float* wp,
                                                const float* bp, float* out, int last) {
  using Vec = typename Isa::Vec;
  constexpr int W = V * kConvLanes;
  const int64_t run = g.filter_w * g.in_c, row = g.in_w * g.in_c;
  Vec acc[P][V];
  for (int p = 0; p < P; ++p) {
    for (int v = 0; v < V; ++v) acc[p][v] = Isa::load(bp + v * kConvLanes);
  }
  const float* w = wp;
  for (int64_t ky = 0; ky < g.filter_h; ++ky) {
    const float* r[P];
    for (int p = 0; p < P; ++p) r[p] = win[p] + ky * row;
    for (int64_t q = 0; q < run; ++q, w += W) {
      Vec wv[V];
      for (int v = 0; v < V; ++v) wv[v] = Isa::load(w + v * kConvLanes);
      for (int p = 0; p < P; ++p) {
        const Vec a = Isa::broadcast(r[p] + q);
        for (int v = 0; v < V; ++v) acc[p][v] = Isa::fma(a, wv[v], acc[p][v]);
      }
    }
  }
  for (int p = 0; p < P; ++p) store_channels<V>(out + p * g.out_c, acc[p], last);
}

// n inside pixels in tiles of P, then P/2, ... 1.
template <int V, int P>
inline void forward_pixels(const float* const* win, int n, const mtl::ConvGeometry& g, const float* wp, const float* bp,
                           float* out, int last) {
  for (; n >= P; n -= P, win += P, out += P * g.out_c) forward_tile<V, P>(win, g, wp, bp, out, last);
  if constexpr (P > 1) {
    if (n > 0) forward_pixels<V, P / 2>(win, n, g, wp, bp, out, last);
  }
}

// Calls f(in, tap) for each filter tap of pixel c's window that lies inside the input
// (the window is clipped by padding): `in` points at the input's channels under the tap,
// `tap` is its index ky·filter_w + kx.
template <typename F>
[[gnu::always_inline]] inline void for_each_tap_inside(const float* x, const PixelCursor& c, const mtl::ConvGeometry& g,
                                                       F&& f) {
  const int64_t y0 = c.y0(g), x0 = c.x0(g);
  for (int64_t ky = 0; ky < g.filter_h; ++ky) {
    const int64_t iy = y0 + ky;
    if (iy < 0 || iy >= g.in_h) continue;
    for (int64_t kx = 0; kx < g.filter_w; ++kx) {
      const int64_t ix = x0 + kx;
      if (ix < 0 || ix >= g.in_w) continue;
      f(x + ((c.b * g.in_h + iy) * g.in_w + ix) * g.in_c, ky * g.filter_w + kx);
    }
  }
}

// One pixel whose window is clipped by padding: only the taps inside the input.
template <int V>
void forward_clipped(const float* x, const PixelCursor& c, const mtl::ConvGeometry& g, const float* wp, const float* bp,
                     float* out, int last) {
  using Vec = typename Isa::Vec;
  constexpr int W = V * kConvLanes;
  Vec acc[V];
  for (int v = 0; v < V; ++v) acc[v] = Isa::load(bp + v * kConvLanes);
  for_each_tap_inside(x, c, g, [&](const float* in, int64_t tap) {
    const float* w = wp + tap * g.in_c * W;
    for (int64_t ci = 0; ci < g.in_c; ++ci, w += W) {
      const Vec a = Isa::broadcast(in + ci);
      for (int v = 0; v < V; ++v) acc[v] = Isa::fma(a, Isa::load(w + v * kConvLanes), acc[v]);
    }
  });
  store_channels<V>(out, acc, last);
}

template <int V>
void forward_rows(const float* x, const float* wp, const float* bp, float* y, const mtl::ConvGeometry& g, int64_t r0,
                  int64_t r1) {
  constexpr int P = conv_tile<V>();
  const int last = last_lanes(g.out_c);
  PixelCursor c(g, r0);
  const float* win[kConvBlockRows];
  int64_t r = r0;
  while (r < r1) {
    // A run of pixels with windows inside the input, then at most one clipped pixel.
    int n = 0;
    while (n < kConvBlockRows && r + n < r1 && c.inside(g)) {
      win[n++] = c.window(x, g);
      c.next(g);
    }
    forward_pixels<V, P>(win, n, g, wp, bp, y + r * g.out_c, last);
    r += n;
    if (n < kConvBlockRows && r < r1) {
      forward_clipped<V>(x, c, g, wp, bp, y + r * g.out_c, last);
      c.next(g);
      ++r;
    }
  }
}

// acc[t] += Σ_i window_i(off[t])·grad_i over n inside pixels, for T taps at offsets `off`
// (relative to a window's top-left value); sums in registers, added to acc at the end.
// With fewer than 4 taps the pixels go round-robin to U = 4/T sums per tap, so that
// enough independent multiply-add chains are in flight.
template <int V, int T>
[[gnu::always_inline]] inline void filter_tile(const float* const* win, const float* const* grad, int n,
                                               const int64_t* off, float* acc, int last) {
  using Vec = typename Isa::Vec;
  constexpr int W = V * kConvLanes;
  constexpr int U = T >= 4 ? 1 : 4 / T;
  Vec sum[U][T][V];
  for (int u = 0; u < U; ++u) {
    for (int t = 0; t < T; ++t) {
      for (int v = 0; v < V; ++v) sum[u][t][v] = Isa::zero();
    }
  }
  int64_t o[T];
  for (int t = 0; t < T; ++t) o[t] = off[t];
  int i = 0;
  for (; i + U <= n; i += U) {
    for (int u = 0; u < U; ++u) {
      Vec gv[V];
      load_channels<V>(grad[i + u], gv, last);
      const float* w = win[i + u];
      for (int t = 0; t < T; ++t) {
        const Vec a = Isa::broadcast(w + o[t]);
        for (int v = 0; v < V; ++v) sum[u][t][v] = Isa::fma(a, gv[v], sum[u][t][v]);
      }
    }
  }
  for (; i < n; ++i) {
    Vec gv[V];
    load_channels<V>(grad[i], gv, last);
    for (int t = 0; t < T; ++t) {
      const Vec a = Isa::broadcast(win[i] + o[t]);
      for (int v = 0; v < V; ++v) sum[0][t][v] = Isa::fma(a, gv[v], sum[0][t][v]);
    }
  }
  for (int t = 0; t < T; ++t) {
    for (int v = 0; v < V; ++v) {
      Vec total = sum[0][t][v];
      for (int u = 1; u < U; ++u) total = Isa::add(total, sum[u][t][v]);
      float* dst = acc + t * W + v * kConvLanes;
      Isa::store(dst, Isa::add(Isa::load(dst), total));
    }
  }
}

// Taps [t, t + count) in tiles of T, then T/2, ... 1.
template <int V, int T>
inline void filter_taps(const float* const* win, const float* const* grad, int n, const int64_t* off, int64_t count,
                        float* acc, int last) {
  constexpr int W = V * kConvLanes;
  for (; count >= T; count -= T, off += T, acc += T * W) filter_tile<V, T>(win, grad, n, off, acc, last);
  if constexpr (T > 1) {
    if (count > 0) filter_taps<V, T / 2>(win, grad, n, off, count, acc, last);
  }
}

// One pixel whose window is clipped by padding: acc[tap] += x(tap)·grad for the taps inside.
template <int V>
void filter_clipped(const float* x, const PixelCursor& c, const float* grad, const mtl::ConvGeometry& g, float* acc,
                    int last) {
  using Vec = typename Isa::Vec;
  constexpr int W = V * kConvLanes;
  Vec gv[V];
  load_channels<V>(grad, gv, last);
  for_each_tap_inside(x, c, g, [&](const float* in, int64_t tap) {
    float* dst = acc + tap * g.in_c * W;
    for (int64_t ci = 0; ci < g.in_c; ++ci, dst += W) {
      const Vec a = Isa::broadcast(in + ci);
      for (int v = 0; v < V; ++v) Isa::store(dst + v * kConvLanes, Isa::fma(a, gv[v], Isa::load(dst + v * kConvLanes)));
    }
  });
}

template <int V>
void filter_rows(const float* x, const float* dy, float* acc, const mtl::ConvGeometry& g, int64_t r0, int64_t r1) {
  constexpr int T = conv_tile<V>();
  const int last = last_lanes(g.out_c);
  const int64_t run = g.filter_w * g.in_c, row = g.in_w * g.in_c, taps = g.filter_h * run;
  const float* win[kConvBlockRows];
  const float* grad[kConvBlockRows];
  int64_t off[64];
  PixelCursor c(g, r0);
  for (int64_t rb = r0; rb < r1; rb += kConvBlockRows) {
    const int64_t re = rb + kConvBlockRows < r1 ? rb + kConvBlockRows : r1;
    int n = 0;
    for (int64_t r = rb; r < re; ++r, c.next(g)) {
      if (c.inside(g)) {
        win[n] = c.window(x, g);
        grad[n++] = dy + r * g.out_c;
      } else {
        filter_clipped<V>(x, c, dy + r * g.out_c, g, acc, last);
      }
    }
    if (n == 0) continue;
    // Tap offsets within a window, 64 at a time.
    for (int64_t t0 = 0; t0 < taps; t0 += 64) {
      const int64_t count = taps - t0 < 64 ? taps - t0 : 64;
      for (int64_t t = 0; t < count; ++t) off[t] = (t0 + t) / run * row + (t0 + t) % run;
      filter_taps<V, T>(win, grad, n, off, count, acc + t0 * V * kConvLanes, last);
    }
  }
}

template <int V>
void conv_forward_v(const float* x, const float* wp, const float* bp, float* y, const mtl::ConvGeometry& g, int64_t r0,
                    int64_t r1) {
  if constexpr (V < kConvMaxVectors) {
    if (g.out_c > V * kConvLanes) return conv_forward_v<V + 1>(x, wp, bp, y, g, r0, r1);
  }
  forward_rows<V>(x, wp, bp, y, g, r0, r1);
}

template <int V>
void conv_filter_v(const float* x, const float* dy, float* acc, const mtl::ConvGeometry& g, int64_t r0, int64_t r1) {
  if constexpr (V < kConvMaxVectors) {
    if (g.out_c > V * kConvLanes) return conv_filter_v<V + 1>(x, dy, acc, g, r0, r1);
  }
  filter_rows<V>(x, dy, acc, g, r0, r1);
}

void conv_forward_direct(const float* x, const float* wp, const float* bp, float* y, const mtl::ConvGeometry& g,
                         int64_t r0, int64_t r1) {
  conv_forward_v<1>(x, wp, bp, y, g, r0, r1);
}

void conv_filter_direct(const float* x, const float* dy, float* acc, const mtl::ConvGeometry& g, int64_t r0,
                        int64_t r1) {
  conv_filter_v<1>(x, dy, acc, g, r0, r1);
}

}  // namespace
