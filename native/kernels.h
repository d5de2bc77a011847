// Kernels on raw float buffers, NHWC layout, row-major matrices. Shapes and
// geometry come from tfjs's own shape helpers on the TypeScript side.
#pragma once
#include <cstdint>
#include <string>

#include "conv_geometry.h"

namespace mtl {

// Activations fused into matmul / conv outputs (tfjs names in comments).
enum Activation : int32_t {
  kLinear = 0,     // 'linear'
  kRelu = 1,       // 'relu'
  kRelu6 = 2,      // 'relu6'
  kLeakyRelu = 3,  // 'leakyrelu' (alpha)
  kSigmoid = 4,    // 'sigmoid'
};

// How a fused bias broadcasts onto a [rows, cols] output.
enum BiasMode : int32_t { kNoBias = 0, kBiasPerColumn = 1, kBiasScalar = 2 };

// out[i] = act(out[i]) for n values.
void apply_activation(float* out, int64_t n, int32_t act, float alpha);

// Fills a [rows, cols] matrix with the bias (per column or scalar).
void fill_bias(float* out, int64_t rows, int64_t cols, const float* bias, int32_t mode);

// Single-threaded row-major C = op(A) * op(B) + beta * C through the GEMM in use
// (gemm_dispatch.cc): the addon's own packed kernels for the CPU's instruction set,
// or OpenBLAS's sgemm where the build has it and it is chosen.
void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// The instruction set of the own kernels in use: "avx512", "avx2" or "portable".
const char* gemm_isa();
// Switches the own kernels to `isa`; false (nothing changed) when this build or CPU lacks it.
bool set_gemm_isa(const char* isa);
// Comma-separated instruction sets compiled into this build / runnable on this CPU.
std::string gemm_isas_compiled();
std::string gemm_isas_usable();
// Whether the addon was built with OpenBLAS.
bool have_blas();
// Which GEMM runs: "own", "openblas" or "auto" (per shape); set_gemm_choice is false
// for a name this build cannot run.
const char* gemm_choice_name();
bool set_gemm_choice(const char* name);

// Row-major C = op(A) * op(B) + beta * C, split into blocks of rows (or columns)
// of C across the pool, each block one gemm_serial call.
void sgemm_parallel(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Thin products (native/thin_gemm.cc): M·N ≤ kThinMaxOutputs outputs over K ≥ kThinMinK,
// with a K-major operand (A transposed, or B not) of at most kThinMaxPackedRows rows,
// go to blocked dot products instead of sgemm (faster and more accurate there).
constexpr int64_t kThinMaxOutputs = 64;
constexpr int64_t kThinMinK = 256;
constexpr int64_t kThinMaxPackedRows = 4;
// Whether batch_matmul sends this product to thin_batch_matmul; always false when the
// environment has MTL_NATIVE_THIN_MATMUL=0 or after set_thin_matmul_enabled(false).
bool is_thin_matmul(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b);
bool thin_matmul_enabled();
void set_thin_matmul_enabled(bool enabled);
// C[b] = op(A[b % batchA]) * op(B[b % batchB]) + beta * C[b], layouts as batch_matmul's.
void thin_batch_matmul(const float* a, const float* b, float* c, int64_t batch_a, int64_t batch_b, int64_t m,
                       int64_t n, int64_t k, bool trans_a, bool trans_b, float beta);

// C[b] = act(op(A[b % batchA]) * op(B[b % batchB]) + bias) for b < max(batchA, batchB);
// A is [M,K] (or [K,M] when transA), B is [K,N] (or [N,K] when transB), C is [M,N].
void batch_matmul(const float* a, const float* b, float* c, int64_t batch_a, int64_t batch_b,
                  int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b,
                  const float* bias, int32_t bias_mode, int32_t act, float alpha);


void conv2d(const float* x, const float* w, float* y, const ConvGeometry& g, const float* bias,
            int32_t act, float alpha);
void conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvGeometry& g);
void conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvGeometry& g);

// Max pooling; same geometry struct (filter_*, stride_*, pad_*; out_c == in_c).
void max_pool(const float* x, float* y, const ConvGeometry& g);
void max_pool_grad(const float* dy, const float* x, float* dx, const ConvGeometry& g);

// A dense layer (native/dense.cc). Activations: kLinear, kRelu, kSigmoid (the codes
// above) and two more the fused dense op knows: tanh and a row-wise softmax.
constexpr int32_t kDenseTanh = 5;
constexpr int32_t kDenseSoftmax = 6;
// y = act(x·W + bias) with x [rows, in], W [in, units], bias [units] or null.
void dense_forward(const float* x, const float* w, const float* bias, float* y, int64_t rows, int64_t in,
                   int64_t units, int32_t act);
// From dy and the forward's x, W and output y: g = dy ⊙ act'(y) (into `g`, rows×units
// scratch; unused for kLinear), db = Σ_rows g, dx = g·Wᵀ, dW = xᵀ·g. A null dx, dw or
// db is not computed.
void dense_backward(const float* dy, const float* x, const float* w, const float* y, int64_t rows, int64_t in,
                    int64_t units, int32_t act, float* g, float* dx, float* dw, float* db);
// The first half of a layer's backward over `rows` outputs of `units` values: g = dy ⊙
// act'(y) into `g` (rows×units; not written for kLinear) and, when db is not null,
// db = Σ_rows g (summed in double over fixed blocks of rows: the same for any thread
// count). Returns g, or dy for kLinear. Activations as dense_backward's.
const float* activation_bias_gradient(const float* dy, const float* y, int64_t rows, int64_t units, int32_t act,
                                     float* g, float* db);
// A convolution layer's backward (the fused conv op): g and db as above over the
// batch·outH·outW rows of out_c values, then dx = conv2d_backprop_input(g) and
// dW = conv2d_backprop_filter(x, g); a null dx, dw or db is not computed.
void conv2d_backward(const float* dy, const float* x, const float* w, const float* y, const ConvGeometry& g,
                     int32_t act, float* scratch, float* dx, float* dw, float* db);

// Per-example losses and their gradients (native/losses.cc), the arithmetic of the fused
// loss kernels' JavaScript (src/backend/native/fusedLosses.ts): softmax cross-entropy of
// logits [n, k] against class indices [n] (a label outside [0, k) gives the zero one-hot
// row), with `scratch` 2k floats; sigmoid cross-entropy of logits and labels [n, c],
// averaged over the c columns.
void softmax_cross_entropy(const float* logits, const float* labels, float* losses, int64_t n, int64_t k, float* scratch);
void softmax_cross_entropy_grad(const float* dy, const float* logits, const float* labels, float* out, int64_t n,
                                int64_t k, float* scratch);
void sigmoid_cross_entropy(const float* logits, const float* labels, float* losses, int64_t n, int64_t c);
void sigmoid_cross_entropy_grad(const float* dy, const float* logits, const float* labels, float* out, int64_t n,
                                int64_t c);

// Element-wise unary ops (tfjs kernel semantics, NaN propagation included).
enum UnaryOp : int32_t {
  kOpRelu = 0, kOpStep = 1, kOpNeg = 2, kOpExp = 3, kOpLog = 4, kOpSqrt = 5,
  kOpSquare = 6, kOpSigmoid = 7, kOpRelu6 = 8, kOpTanh = 9, kOpAbs = 10, kOpRsqrt = 11,
};
void unary(int32_t op, const float* x, float* y, int64_t n, float alpha);

// Element-wise binary ops with broadcasting: out has `rank` dims `shape`;
// a_strides / b_strides give each input's element stride per out dim (0 = broadcast).
enum BinaryOp : int32_t {
  kOpAdd = 0, kOpSub = 1, kOpMul = 2, kOpDiv = 3, kOpMaximum = 4, kOpMinimum = 5,
  kOpSquaredDifference = 6,
};
void binary(int32_t op, const float* a, const float* b, float* out, int32_t rank,
            const int64_t* shape, const int64_t* a_strides, const int64_t* b_strides);

// Reductions over the dims flagged in `reduce` of an input of `rank` dims `shape`;
// out holds the kept dims in order.
enum ReduceOp : int32_t { kReduceSum = 0, kReduceMax = 1 };
void reduce(int32_t op, const float* x, float* out, int32_t rank, const int64_t* shape,
            const int32_t* reduce_flags);

// Row-wise softmax of a [rows, cols] matrix.
void softmax(const float* x, float* y, int64_t rows, int64_t cols);

// The gated sum of `count` experts of [batch, features] (MMoE/PLE, native/mixture.cc):
// y[b, f] = Σ_e gate[b, e]·xs[e][b, f], summed in expert order; and its backward,
// dgate[b, e] = Σ_f dy[b, f]·xs[e][b, f] and dxs[e][b, f] = gate[b, e]·dy[b, f] (a null
// dgate or dxs[e] is not computed).
void expert_mixture(const float* gate, const float* const* xs, int64_t count, int64_t batch, int64_t features,
                    float* y);
void expert_mixture_backward(const float* dy, const float* gate, const float* const* xs, int64_t count, int64_t batch,
                             int64_t features, float* dgate, float* const* dxs);

// Sum of `count` arrays of n values (AddN).
void add_n(const float* const* xs, int64_t count, float* y, int64_t n);
// y = Σ_t weights[t]·xs[t] over `count` arrays of n values, accumulated from 0 in order
// with every product and sum rounded to float (the composite mul/add ops' floats).
void weighted_sum(const float* const* xs, const float* weights, int64_t count, float* y, int64_t n);

// Batch normalisation with given statistics (tfjs FusedBatchNorm):
// y[i] = offset[i % Lo] + (x[i] − mean[i % Lm])·scale[i % Ls]/√(variance[i % Lv] + ε)
// over x's n values, each parameter repeating with its own length L (the parameters
// broadcast along x's trailing dims). The longest L must divide n and every L must
// divide the longest. A null offset is 0, a null scale 1.
struct BatchNormParam {
  const float* values;
  int64_t length;
};
void batch_norm(const float* x, float* y, int64_t n, BatchNormParam mean, BatchNormParam variance,
                BatchNormParam offset, BatchNormParam scale, double epsilon);

// Adam / AdamW on one variable: g' = g + weight_decay·θ (coupled decay, 0 to skip),
// m' = β1 m + (1−β1) g', v' = β2 v + (1−β2) g'², θ' = θ·decay_factor − step_size·m'/(√v' + ε̂)
// (decay_factor = 1 − lr·wd for decoupled decay, else 1; step_size and ε̂ carry the
// bias corrections). Outputs may not alias inputs.
struct AdamParams {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, epsilon_hat, weight_decay, decay_factor;
};
void adam_update(const float* theta, const float* grad, const float* m, const float* v, float* theta_out,
                 float* m_out, float* v_out, int64_t n, const AdamParams& p);

// SGD on one variable (PyTorch's convention): g' = g + wd·θ; with momentum (buffer_out
// non-null) b' = first_step ? g' : μ b + g', g'' = nesterov ? g' + μ b' : b';
// θ' = θ − lr·g''.
struct SgdParams {
  float learning_rate, weight_decay, momentum;
  bool nesterov, first_step;
};
void sgd_update(const float* theta, const float* grad, const float* buffer, float* theta_out, float* buffer_out,
                int64_t n, const SgdParams& p);

// GradDrop's batched rule (native/graddrop.cc), T rows of batch × features values:
// summed[i·features + j] += Σ_b sign(values[b, j]) · rows[i][b, j] (b ascending), and
// direction[k] = Σ_i rows[i][k] · keep[i·features + j] rounded to float, adding
// [Σ_k (Σ_i rows[i][k])², Σ_k direction[k]²] to norms.
void grad_drop_signed_sums(const float* const* rows, int64_t tasks, const float* values, int64_t batch,
                           int64_t features, double* summed);
void grad_drop_masked_sum(const float* const* rows, int64_t tasks, const double* keep, int64_t batch,
                          int64_t features, float* direction, double* norms);

}  // namespace mtl
