// The geometry of a 2-D convolution or pooling window (NHWC input, HWIO filter): tfjs's
// convInfo fields. Its own header so that the per-instruction-set kernels
// (gemm_kernel.h, conv_kernel.h) can use it without the rest of kernels.h.
#pragma once
#include <cstdint>

namespace mtl {

struct ConvGeometry {
  int64_t batch, in_h, in_w, in_c, out_h, out_w, out_c;
  int64_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
};

}  // namespace mtl
