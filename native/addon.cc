// N-API entry points. Every function works on Float32Arrays the caller already
// owns (the tfjs cpu backend's buffers) and writes into a caller-allocated output,
// so no data is copied across the boundary. Argument errors throw TypeErrors.
#include <node_api.h>
#ifdef MTL_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace {

struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_status status, const char* what) {
  if (status != napi_ok) throw ArgError(what);
}

struct Call {
  napi_env env;
  std::vector<napi_value> argv;

  Call(napi_env e, napi_callback_info info, size_t expected) : env(e), argv(expected) {
    size_t argc = expected;
    check(napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "cannot read arguments");
    if (argc < expected) throw ArgError("expected " + std::to_string(expected) + " arguments");
  }

  bool is_null(size_t i) const {
    napi_valuetype t;
    check(napi_typeof(env, argv[i], &t), "typeof");
    return t == napi_null || t == napi_undefined;
  }

  // Data pointer of a typed array of `type` (named `name` in errors); `length` checked when >= 0.
  void* typed(size_t i, napi_typedarray_type type, const char* name, int64_t length) const {
    bool is_typed = false;
    check(napi_is_typedarray(env, argv[i], &is_typed), "is_typedarray");
    if (!is_typed) throw ArgError("argument " + std::to_string(i) + " must be a " + name);
    napi_typedarray_type found;
    size_t n;
    void* data;
    check(napi_get_typedarray_info(env, argv[i], &found, &n, &data, nullptr, nullptr), "typedarray_info");
    if (found != type) throw ArgError("argument " + std::to_string(i) + " must be a " + name);
    if (length >= 0 && static_cast<int64_t>(n) < length) {
      throw ArgError("argument " + std::to_string(i) + " holds " + std::to_string(n) + " values, needs " +
                     std::to_string(length));
    }
    return data;
  }

  // Float32Array data pointer; `length` checked when >= 0.
  float* f32(size_t i, int64_t length = -1) const {
    return static_cast<float*>(typed(i, napi_float32_array, "Float32Array", length));
  }

  float* f32_or_null(size_t i, int64_t length) const { return is_null(i) ? nullptr : f32(i, length); }

  // Float64Array data pointer; `length` checked as for f32.
  double* f64s(size_t i, int64_t length) const {
    return static_cast<double*>(typed(i, napi_float64_array, "Float64Array", length));
  }

  // The elements of the JavaScript array argument i, as the arguments of a Call
  // (`expected` names what the array must hold, in the error).
  Call elements(size_t i, const char* expected) const {
    bool is_array = false;
    check(napi_is_array(env, argv[i], &is_array), "is_array");
    if (!is_array) throw ArgError("argument " + std::to_string(i) + " must be an array of " + expected);
    uint32_t count = 0;
    check(napi_get_array_length(env, argv[i], &count), "array length");
    Call items(*this);
    items.argv.assign(count, nullptr);
    for (uint32_t t = 0; t < count; ++t) check(napi_get_element(env, argv[i], t, &items.argv[t]), "element");
    return items;
  }

  // An array of Float32Arrays of `length` values each.
  std::vector<const float*> f32_list(size_t i, int64_t length) const {
    const Call items = elements(i, "Float32Arrays");
    std::vector<const float*> out(items.argv.size());
    for (size_t t = 0; t < out.size(); ++t) out[t] = items.f32(t, length);
    return out;
  }

  // An array of Float32Arrays of `length` values each, or nulls (nullptr).
  std::vector<float*> f32_list_or_nulls(size_t i, int64_t length) const {
    const Call items = elements(i, "Float32Arrays or nulls");
    std::vector<float*> out(items.argv.size());
    for (size_t t = 0; t < out.size(); ++t) out[t] = items.f32_or_null(t, length);
    return out;
  }

  int64_t i64(size_t i) const {
    double v;
    check(napi_get_value_double(env, argv[i], &v), "expected a number");
    return static_cast<int64_t>(v);
  }
  double f64(size_t i) const {
    double v;
    check(napi_get_value_double(env, argv[i], &v), "expected a number");
    return v;
  }
  bool boolean(size_t i) const {
    bool v;
    check(napi_get_value_bool(env, argv[i], &v), "expected a boolean");
    return v;
  }
  // Int32Array contents as int64.
  std::vector<int64_t> ints(size_t i) const {
    napi_typedarray_type type;
    size_t n;
    void* data;
    bool is_typed = false;
    check(napi_is_typedarray(env, argv[i], &is_typed), "is_typedarray");
    if (!is_typed) throw ArgError("argument " + std::to_string(i) + " must be an Int32Array");
    check(napi_get_typedarray_info(env, argv[i], &type, &n, &data, nullptr, nullptr), "typedarray_info");
    if (type != napi_int32_array) throw ArgError("argument " + std::to_string(i) + " must be an Int32Array");
    const int32_t* p = static_cast<const int32_t*>(data);
    return std::vector<int64_t>(p, p + n);
  }
};

template <typename F>
napi_value guarded(napi_env env, F body) {
  try {
    return body();
  } catch (const std::exception& e) {
    napi_throw_type_error(env, nullptr, (std::string("mtl native: ") + e.what()).c_str());
    return nullptr;
  }
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

mtl::ConvGeometry geometry(const std::vector<int64_t>& v) {
  if (v.size() != 15) throw ArgError("conv geometry needs 15 ints");
  return mtl::ConvGeometry{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                           v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
}

int64_t in_size(const mtl::ConvGeometry& g) { return g.batch * g.in_h * g.in_w * g.in_c; }
int64_t out_size(const mtl::ConvGeometry& g) { return g.batch * g.out_h * g.out_w * g.out_c; }
int64_t filter_size(const mtl::ConvGeometry& g) { return g.filter_h * g.filter_w * g.in_c * g.out_c; }

// matmul(a, b, out, batchA, batchB, m, n, k, transA, transB, bias|null, biasMode, act, alpha)
napi_value MatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 14);
    const int64_t ba = c.i64(3), bb = c.i64(4), m = c.i64(5), n = c.i64(6), k = c.i64(7);
    const int32_t mode = static_cast<int32_t>(c.i64(11));
    mtl::batch_matmul(c.f32(0, ba * m * k), c.f32(1, bb * k * n), c.f32(2, std::max(ba, bb) * m * n), ba, bb,
                      m, n, k, c.boolean(8), c.boolean(9),
                      c.f32_or_null(10, mode == mtl::kBiasPerColumn ? n : 1), mode,
                      static_cast<int32_t>(c.i64(12)), static_cast<float>(c.f64(13)));
    return undefined(env);
  });
}

// dense(x, w, bias|null, y, rows, in, units, act)
napi_value Dense(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 8);
    const int64_t rows = c.i64(4), in = c.i64(5), units = c.i64(6);
    const int32_t act = static_cast<int32_t>(c.i64(7));
    if (act != mtl::kLinear && act != mtl::kRelu && act != mtl::kSigmoid && act != mtl::kDenseTanh &&
        act != mtl::kDenseSoftmax) {
      throw ArgError("dense: unknown activation " + std::to_string(act));
    }
    mtl::dense_forward(c.f32(0, rows * in), c.f32(1, in * units), c.f32_or_null(2, units), c.f32(3, rows * units), rows,
                       in, units, act);
    return undefined(env);
  });
}

// denseBackward(dy, x, w, y, rows, in, units, act, scratch, dx|null, dw|null, db|null)
napi_value DenseBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 12);
    const int64_t rows = c.i64(4), in = c.i64(5), units = c.i64(6);
    const int32_t act = static_cast<int32_t>(c.i64(7));
    if (act != mtl::kLinear && act != mtl::kRelu && act != mtl::kSigmoid && act != mtl::kDenseTanh &&
        act != mtl::kDenseSoftmax) {
      throw ArgError("denseBackward: unknown activation " + std::to_string(act));
    }
    float* scratch = act == mtl::kLinear ? nullptr : c.f32(8, rows * units);
    mtl::dense_backward(c.f32(0, rows * units), c.f32(1, rows * in), c.f32(2, in * units), c.f32(3, rows * units), rows,
                        in, units, act, scratch, c.f32_or_null(9, rows * in), c.f32_or_null(10, in * units),
                        c.f32_or_null(11, units));
    return undefined(env);
  });
}

// conv2d(x, w, y, geometry, bias|null, act, alpha)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 7);
    const mtl::ConvGeometry g = geometry(c.ints(3));
    mtl::conv2d(c.f32(0, in_size(g)), c.f32(1, filter_size(g)), c.f32(2, out_size(g)), g,
                c.f32_or_null(4, g.out_c), static_cast<int32_t>(c.i64(5)), static_cast<float>(c.f64(6)));
    return undefined(env);
  });
}

// conv2dBackpropInput(dy, w, dx, geometry)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 4);
    const mtl::ConvGeometry g = geometry(c.ints(3));
    mtl::conv2d_backprop_input(c.f32(0, out_size(g)), c.f32(1, filter_size(g)), c.f32(2, in_size(g)), g);
    return undefined(env);
  });
}

// conv2dBackpropFilter(x, dy, dw, geometry)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 4);
    const mtl::ConvGeometry g = geometry(c.ints(3));
    mtl::conv2d_backprop_filter(c.f32(0, in_size(g)), c.f32(1, out_size(g)), c.f32(2, filter_size(g)), g);
    return undefined(env);
  });
}

// conv2dBackward(dy, x, w, y, geometry, act, scratch|null, dx|null, dw|null, db|null)
napi_value Conv2DBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 10);
    const mtl::ConvGeometry g = geometry(c.ints(4));
    const int32_t act = static_cast<int32_t>(c.i64(5));
    if (act != mtl::kLinear && act != mtl::kRelu && act != mtl::kSigmoid && act != mtl::kDenseTanh) {
      throw ArgError("conv2dBackward: unknown activation " + std::to_string(act));
    }
    float* scratch = act == mtl::kLinear ? nullptr : c.f32(6, out_size(g));
    mtl::conv2d_backward(c.f32(0, out_size(g)), c.f32(1, in_size(g)), c.f32(2, filter_size(g)), c.f32(3, out_size(g)), g,
                         act, scratch, c.f32_or_null(7, in_size(g)), c.f32_or_null(8, filter_size(g)),
                         c.f32_or_null(9, g.out_c));
    return undefined(env);
  });
}

// softmaxCrossEntropy(logits, labels, losses, n, k) / softmaxCrossEntropyGrad(dy, logits, labels, out, n, k)
napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 5);
    const int64_t n = c.i64(3), k = c.i64(4);
    if (k < 1) throw ArgError("softmaxCrossEntropy: needs at least one class");
    std::vector<float> scratch(2 * k);
    mtl::softmax_cross_entropy(c.f32(0, n * k), c.f32(1, n), c.f32(2, n), n, k, scratch.data());
    return undefined(env);
  });
}

napi_value SoftmaxCrossEntropyGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 6);
    const int64_t n = c.i64(4), k = c.i64(5);
    if (k < 1) throw ArgError("softmaxCrossEntropyGrad: needs at least one class");
    std::vector<float> scratch(2 * k);
    mtl::softmax_cross_entropy_grad(c.f32(0, n), c.f32(1, n * k), c.f32(2, n), c.f32(3, n * k), n, k, scratch.data());
    return undefined(env);
  });
}

// sigmoidCrossEntropy(logits, labels, losses, n, c) / sigmoidCrossEntropyGrad(dy, logits, labels, out, n, c)
napi_value SigmoidCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 5);
    const int64_t n = c.i64(3), cols = c.i64(4);
    mtl::sigmoid_cross_entropy(c.f32(0, n * cols), c.f32(1, n * cols), c.f32(2, n), n, cols);
    return undefined(env);
  });
}

napi_value SigmoidCrossEntropyGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 6);
    const int64_t n = c.i64(4), cols = c.i64(5);
    mtl::sigmoid_cross_entropy_grad(c.f32(0, n), c.f32(1, n * cols), c.f32(2, n * cols), c.f32(3, n * cols), n, cols);
    return undefined(env);
  });
}

// maxPool(x, y, geometry)
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 3);
    const mtl::ConvGeometry g = geometry(c.ints(2));
    mtl::max_pool(c.f32(0, in_size(g)), c.f32(1, out_size(g)), g);
    return undefined(env);
  });
}

// maxPoolGrad(dy, x, dx, geometry)
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 4);
    const mtl::ConvGeometry g = geometry(c.ints(3));
    mtl::max_pool_grad(c.f32(0, out_size(g)), c.f32(1, in_size(g)), c.f32(2, in_size(g)), g);
    return undefined(env);
  });
}

// unary(op, x, y, n, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 5);
    const int64_t n = c.i64(3);
    mtl::unary(static_cast<int32_t>(c.i64(0)), c.f32(1, n), c.f32(2, n), n, static_cast<float>(c.f64(4)));
    return undefined(env);
  });
}

// binary(op, a, b, out, outShape, aStrides, bStrides)
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 7);
    const auto shape = c.ints(4), as = c.ints(5), bs = c.ints(6);
    if (shape.size() > 8 || as.size() != shape.size() || bs.size() != shape.size()) {
      throw ArgError("binary: shape and strides must have equal rank <= 8");
    }
    int64_t size = 1, a_extent = 1, b_extent = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      size *= shape[i];
      if (shape[i] > 0) {
        a_extent += (shape[i] - 1) * as[i];
        b_extent += (shape[i] - 1) * bs[i];
      }
    }
    if (size == 0) return undefined(env);
    mtl::binary(static_cast<int32_t>(c.i64(0)), c.f32(1, a_extent), c.f32(2, b_extent), c.f32(3, size),
                static_cast<int32_t>(shape.size()), shape.data(), as.data(), bs.data());
    return undefined(env);
  });
}

// reduce(op, x, out, shape, flags)
napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 5);
    const auto shape = c.ints(3), flags64 = c.ints(4);
    if (shape.size() > 8 || flags64.size() != shape.size()) throw ArgError("reduce: bad shape/flags");
    std::vector<int32_t> flags(flags64.begin(), flags64.end());
    int64_t size = 1, out = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      size *= shape[i];
      if (!flags[i]) out *= shape[i];
    }
    mtl::reduce(static_cast<int32_t>(c.i64(0)), c.f32(1, size), c.f32(2, out), static_cast<int32_t>(shape.size()),
                shape.data(), flags.data());
    return undefined(env);
  });
}

// softmax(x, y, rows, cols)
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 4);
    const int64_t rows = c.i64(2), cols = c.i64(3);
    mtl::softmax(c.f32(0, rows * cols), c.f32(1, rows * cols), rows, cols);
    return undefined(env);
  });
}

// addN(arrayOfFloat32Arrays, y, n)
napi_value AddN(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 3);
    const int64_t n = c.i64(2);
    const std::vector<const float*> xs = c.f32_list(0, n);
    if (xs.empty()) throw ArgError("addN: needs at least one input");
    mtl::add_n(xs.data(), static_cast<int64_t>(xs.size()), c.f32(1, n), n);
    return undefined(env);
  });
}

// weightedSum(arrays, weights, y, n): y = Σ_t weights[t]·arrays[t].
napi_value WeightedSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 4);
    const int64_t n = c.i64(3);
    const std::vector<const float*> xs = c.f32_list(0, n);
    if (xs.empty()) throw ArgError("weightedSum: needs at least one input");
    mtl::weighted_sum(xs.data(), c.f32(1, static_cast<int64_t>(xs.size())), static_cast<int64_t>(xs.size()), c.f32(2, n), n);
    return undefined(env);
  });
}

// expertMixture(gate, experts, y, batch, count, features): y = Σ_e gate[:, e]·experts[e].
napi_value ExpertMixture(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 6);
    const int64_t batch = c.i64(3), count = c.i64(4), features = c.i64(5);
    const std::vector<const float*> xs = c.f32_list(1, batch * features);
    if (count < 1 || static_cast<int64_t>(xs.size()) != count) throw ArgError("expertMixture: experts must hold `count` (>= 1) arrays");
    mtl::expert_mixture(c.f32(0, batch * count), xs.data(), count, batch, features, c.f32(2, batch * features));
    return undefined(env);
  });
}

// expertMixtureBackward(dy, gate, experts, dgate|null, dexperts (arrays or nulls), batch, count, features)
napi_value ExpertMixtureBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 8);
    const int64_t batch = c.i64(5), count = c.i64(6), features = c.i64(7);
    const std::vector<const float*> xs = c.f32_list(2, batch * features);
    const std::vector<float*> dxs = c.f32_list_or_nulls(4, batch * features);
    if (count < 1 || static_cast<int64_t>(xs.size()) != count || static_cast<int64_t>(dxs.size()) != count) {
      throw ArgError("expertMixtureBackward: experts and their gradients must hold `count` (>= 1) entries each");
    }
    mtl::expert_mixture_backward(c.f32(0, batch * features), c.f32(1, batch * count), xs.data(), count, batch, features,
                                 c.f32_or_null(3, batch * count), dxs.data());
    return undefined(env);
  });
}

// batchNorm(x, y, n, mean, meanLength, variance, varianceLength, offset|null, offsetLength,
//           scale|null, scaleLength, epsilon)
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 12);
    const int64_t n = c.i64(2);
    auto param = [&](size_t i) {
      const int64_t length = c.i64(i + 1);
      return mtl::BatchNormParam{c.f32_or_null(i, length), length};
    };
    mtl::batch_norm(c.f32(0, n), c.f32(1, n), n, param(3), param(5), param(7), param(9), c.f64(11));
    return undefined(env);
  });
}

// adamUpdate(theta, grad, m, v, thetaOut, mOut, vOut, n, params[8]) — params as AdamParams.
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 9);
    const int64_t n = c.i64(7);
    const float* q = c.f32(8, 8);
    const mtl::AdamParams p{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
    mtl::adam_update(c.f32(0, n), c.f32(1, n), c.f32(2, n), c.f32(3, n), c.f32(4, n), c.f32(5, n), c.f32(6, n), n, p);
    return undefined(env);
  });
}

// sgdUpdate(theta, grad, buffer|null, thetaOut, bufferOut|null, n, lr, wd, momentum, nesterov, firstStep)
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 11);
    const int64_t n = c.i64(5);
    const mtl::SgdParams p{static_cast<float>(c.f64(6)), static_cast<float>(c.f64(7)), static_cast<float>(c.f64(8)),
                           c.boolean(9), c.boolean(10)};
    float* buffer_out = c.f32_or_null(4, n);
    const float* buffer = buffer_out != nullptr ? c.f32(2, n) : nullptr;
    mtl::sgd_update(c.f32(0, n), c.f32(1, n), buffer, c.f32(3, n), buffer_out, n, p);
    return undefined(env);
  });
}

// gradDropSignedSums(rows, values, batch, features, summed): GradDrop's first pass (graddrop.cc).
napi_value GradDropSignedSums(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 5);
    const int64_t batch = c.i64(2), features = c.i64(3);
    const std::vector<const float*> rows = c.f32_list(0, batch * features);
    mtl::grad_drop_signed_sums(rows.data(), static_cast<int64_t>(rows.size()), c.f32(1, batch * features), batch, features,
                               c.f64s(4, static_cast<int64_t>(rows.size()) * features));
    return undefined(env);
  });
}

// gradDropMaskedSum(rows, keep, batch, features, direction, norms): GradDrop's second pass.
napi_value GradDropMaskedSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 6);
    const int64_t batch = c.i64(2), features = c.i64(3);
    const std::vector<const float*> rows = c.f32_list(0, batch * features);
    mtl::grad_drop_masked_sum(rows.data(), static_cast<int64_t>(rows.size()), c.f64s(1, static_cast<int64_t>(rows.size()) * features),
                              batch, features, c.f32(4, batch * features), c.f64s(5, 2));
    return undefined(env);
  });
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 1);
    mtl::set_num_threads(static_cast<int>(c.i64(0)));
    return undefined(env);
  });
}

// setThinMatMul(enabled): whether thin products skip sgemm (see thin_gemm.cc).
napi_value SetThinMatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 1);
    mtl::set_thin_matmul_enabled(c.boolean(0));
    return undefined(env);
  });
}

// setGemm(isa, gemm): switches the own kernels' instruction set ("avx512", "avx2",
// "portable"; null keeps it) and the GEMM ("own", "openblas", "auto"; null keeps it).
// Returns false, changing nothing, when this build or CPU cannot run the request.
napi_value SetGemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c(env, info, 2);
    auto text = [&](size_t i) {
      size_t n = 0;
      check(napi_get_value_string_utf8(env, c.argv[i], nullptr, 0, &n), "expected a string or null");
      std::string s(n, '\0');
      check(napi_get_value_string_utf8(env, c.argv[i], s.data(), n + 1, &n), "expected a string or null");
      return s;
    };
    const std::string isa = c.is_null(0) ? "" : text(0);
    const std::string gemm = c.is_null(1) ? "" : text(1);
    const std::string old_isa = mtl::gemm_isa(), old_gemm = mtl::gemm_choice_name();
    bool ok = (isa.empty() || mtl::set_gemm_isa(isa.c_str())) && (gemm.empty() || mtl::set_gemm_choice(gemm.c_str()));
    if (!ok) {
      mtl::set_gemm_isa(old_isa.c_str());
      mtl::set_gemm_choice(old_gemm.c_str());
    }
    napi_value v;
    napi_get_boolean(env, ok, &v);
    return v;
  });
}

// info() -> { threads, blas, blasThreads, blasConfig, blasCore, thinMatMul, isa, isasCompiled, isasUsable, gemm }
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value obj, v;
    napi_create_object(env, &obj);
    auto set_string = [&](const char* key, const std::string& value) {
      napi_create_string_utf8(env, value.c_str(), NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, obj, key, v);
    };
    napi_create_int32(env, mtl::num_threads(), &v);
    napi_set_named_property(env, obj, "threads", v);
    napi_get_boolean(env, mtl::have_blas(), &v);
    napi_set_named_property(env, obj, "blas", v);
#ifdef MTL_HAVE_OPENBLAS
    napi_create_int32(env, openblas_get_num_threads(), &v);
    napi_set_named_property(env, obj, "blasThreads", v);
    set_string("blasConfig", openblas_get_config());
    set_string("blasCore", openblas_get_corename());
#else
    napi_create_int32(env, 0, &v);
    napi_set_named_property(env, obj, "blasThreads", v);
    set_string("blasConfig", "");
    set_string("blasCore", "");
#endif
    napi_get_boolean(env, mtl::thin_matmul_enabled(), &v);
    napi_set_named_property(env, obj, "thinMatMul", v);
    set_string("isa", mtl::gemm_isa());
    set_string("isasCompiled", mtl::gemm_isas_compiled());
    set_string("isasUsable", mtl::gemm_isas_usable());
    set_string("gemm", mtl::gemm_choice_name());
    return obj;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dense", nullptr, Dense, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"denseBackward", nullptr, DenseBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackward", nullptr, Conv2DBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropy", nullptr, SoftmaxCrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropyGrad", nullptr, SoftmaxCrossEntropyGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sigmoidCrossEntropy", nullptr, SigmoidCrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sigmoidCrossEntropyGrad", nullptr, SigmoidCrossEntropyGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addN", nullptr, AddN, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightedSum", nullptr, WeightedSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"expertMixture", nullptr, ExpertMixture, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"expertMixtureBackward", nullptr, ExpertMixtureBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gradDropSignedSums", nullptr, GradDropSignedSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gradDropMaskedSum", nullptr, GradDropMaskedSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThinMatMul", nullptr, SetThinMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setGemm", nullptr, SetGemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
