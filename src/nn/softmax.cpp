#include "gnnx/nn/functional/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/scatter.h"
#include "gnnx/nn/index_range.h"

namespace gnnx::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kMinDenominator = 1e-16;

template <typename T>
inline T leaky(T v, T slope) {
  return v > T(0) ? v : v * slope;
}

// The same softmax as torch operators: the reference of the CPU kernels, the code path of other
// devices, and what higher derivatives differentiate.
at::Tensor composite(const at::Tensor& src, const at::Tensor& dst, const at::Tensor& a_src, const at::Tensor& a_dst,
                     const at::Tensor& w, double slope) {
  const int64_t N = a_dst.size(0);
  auto e = torch::leaky_relu(a_src.index_select(0, src) + a_dst.index_select(0, dst), slope);
  auto ed = e.detach();
  auto emax = scatter_amax(torch::full({N, e.size(1)}, -std::numeric_limits<double>::infinity(), e.options()), 0,
                           dst.view({-1, 1}).expand_as(ed), ed, /*include_self=*/true);
  emax = torch::where(torch::isfinite(emax), emax, torch::zeros_like(emax));
  auto ex = torch::exp(e - emax.index_select(0, dst));
  if (w.defined()) ex = ex * w.view({-1, 1});
  auto denom = torch::zeros({N, e.size(1)}, e.options()).index_add(0, dst, ex);
  return ex / denom.index_select(0, dst).clamp_min(kMinDenominator);
}

// Runs f(e) for every edge e in [0, E), in parallel: for the per-edge work (leaky ReLU, exp,
// divisions) that writes only to edge e's own entries.
template <typename F>
void for_each_edge(int64_t E, const F& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, E, 8192), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t e = r.begin(); e < r.end(); ++e) f(e);
  });
}

// alpha [E, H] and, per target, the maximum logit mx and the (unclamped) sum den [N, H]. Passes
// in edge order: the [E] arrays stream through once each, and only the [N, H] per-node arrays are
// read and written at random (a CSR walk would read the [E] arrays at random instead, which costs
// more at large E). The per-edge arithmetic runs in parallel; the scatters into the per-node
// arrays run in edge order on one thread, so each target's edges are summed in edge order, as
// index_add does, whatever the thread count.
template <typename T>
void softmax_edges(const int64_t* src, const int64_t* dst, const T* as, const T* ad, const T* w, T slope, T* alpha,
                   T* mx, T* den, int64_t E, int64_t N, int64_t H) {
  std::fill(mx, mx + N * H, -std::numeric_limits<T>::infinity());
  std::fill(den, den + N * H, T(0));
  for_each_edge(E, [&](int64_t e) {
    for (int64_t h = 0; h < H; ++h) alpha[e * H + h] = leaky(as[src[e] * H + h] + ad[dst[e] * H + h], slope);
  });
  for (int64_t e = 0; e < E; ++e)
    for (int64_t h = 0; h < H; ++h) {
      T& m = mx[dst[e] * H + h];
      m = std::max(m, alpha[e * H + h]);
    }
  for (int64_t k = 0; k < N * H; ++k)
    if (!std::isfinite(mx[k])) mx[k] = T(0);
  for_each_edge(E, [&](int64_t e) {
    for (int64_t h = 0; h < H; ++h) {
      T ex = std::exp(alpha[e * H + h] - mx[dst[e] * H + h]);
      if (w) ex *= w[e];
      alpha[e * H + h] = ex;
    }
  });
  for (int64_t e = 0; e < E; ++e)
    for (int64_t h = 0; h < H; ++h) den[dst[e] * H + h] += alpha[e * H + h];
  for_each_edge(E, [&](int64_t e) {
    for (int64_t h = 0; h < H; ++h) alpha[e * H + h] /= std::max(den[dst[e] * H + h], T(kMinDenominator));
  });
}

// The backward of softmax_edges for grad [E, H], in edge order as well: d a_src [N_src, H],
// d a_dst [N, H] and d w [E] (each may be null when not needed). As in the forward, the per-edge
// terms are computed in parallel and scattered in edge order on one thread.
template <typename T>
void softmax_backward_edges(const int64_t* src, const int64_t* dst, const T* as, const T* ad, T slope, const T* alpha,
                            const T* mx, const T* den, const T* grad, T* gas, T* gad, T* gw, int64_t E, int64_t N,
                            int64_t H) {
  // Σ_k α_k g_k per target and head.
  std::vector<T> dot(static_cast<size_t>(N * H), T(0));
  for (int64_t e = 0; e < E; ++e)
    for (int64_t h = 0; h < H; ++h) dot[static_cast<size_t>(dst[e] * H + h)] += alpha[e * H + h] * grad[e * H + h];
  // dp[e, h]: the gradient of edge e's logit before the leaky ReLU.
  std::vector<T> dp((gas || gad) ? static_cast<size_t>(E * H) : 0);
  for_each_edge(E, [&](int64_t e) {
    T dw = T(0);
    for (int64_t h = 0; h < H; ++h) {
      const int64_t i = dst[e] * H + h;
      const T d = den[i];
      // Below the clamp the denominator is a constant (clamp_min passes no gradient).
      const bool live = d >= T(kMinDenominator);
      const T centred = live ? grad[e * H + h] - dot[static_cast<size_t>(i)] : grad[e * H + h];
      const T pre = as[src[e] * H + h] + ad[i];
      const T dz = alpha[e * H + h] * centred;
      if (!dp.empty()) dp[static_cast<size_t>(e * H + h)] = pre > T(0) ? dz : dz * slope;
      if (gw) dw += std::exp(leaky(pre, slope) - mx[i]) / std::max(d, T(kMinDenominator)) * centred;
    }
    if (gw) gw[e] = dw;
  });
  if (dp.empty()) return;
  for (int64_t e = 0; e < E; ++e)
    for (int64_t h = 0; h < H; ++h) {
      const T v = dp[static_cast<size_t>(e * H + h)];
      if (gas) gas[src[e] * H + h] += v;
      if (gad) gad[dst[e] * H + h] += v;
    }
}

class EdgeSoftmaxFunction : public torch::autograd::Function<EdgeSoftmaxFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a_src, const at::Tensor& a_dst, const at::Tensor& w,
                            const at::Tensor& src, const at::Tensor& dst, double slope) {
    const int64_t N = a_dst.size(0), H = a_dst.size(1), E = src.numel();
    auto as = a_src.contiguous(), ad = a_dst.contiguous();
    auto alpha = torch::empty({E, H}, a_dst.options());
    auto mx = torch::empty({N, H}, a_dst.options()), den = torch::empty({N, H}, a_dst.options());
    AT_DISPATCH_FLOATING_TYPES(a_dst.scalar_type(), "edge_softmax", [&] {
      softmax_edges<scalar_t>(src.data_ptr<int64_t>(), dst.data_ptr<int64_t>(), as.data_ptr<scalar_t>(),
                              ad.data_ptr<scalar_t>(), w.numel() ? w.data_ptr<scalar_t>() : nullptr,
                              static_cast<scalar_t>(slope), alpha.data_ptr<scalar_t>(), mx.data_ptr<scalar_t>(),
                              den.data_ptr<scalar_t>(), E, N, H);
    });
    ctx->save_for_backward({a_src, a_dst, w, src, dst, alpha, mx, den});
    ctx->saved_data["slope"] = slope;
    return alpha;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &a_src = saved[0], &a_dst = saved[1], &w = saved[2], &src = saved[3], &dst = saved[4];
    const auto &alpha = saved[5], &mx = saved[6], &den = saved[7];
    const double slope = ctx->saved_data["slope"].toDouble();
    const bool need_src = ctx->needs_input_grad(0), need_dst = ctx->needs_input_grad(1);
    const bool need_w = ctx->needs_input_grad(2) && w.numel() > 0;
    at::Tensor g_src, g_dst, g_w;
    if (torch::GradMode::is_enabled()) {
      // create_graph: differentiate the composite, so higher derivatives are exact.
      std::vector<at::Tensor> inputs;
      if (need_src) inputs.push_back(a_src);
      if (need_dst) inputs.push_back(a_dst);
      if (need_w) inputs.push_back(w);
      if (inputs.empty()) return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
      auto ref = composite(src, dst, a_src, a_dst, w.numel() ? w : at::Tensor(), slope);
      auto d = torch::autograd::grad({ref}, inputs, {grads[0]}, /*retain_graph=*/true, /*create_graph=*/true,
                                     /*allow_unused=*/true);
      size_t next = 0;
      if (need_src) g_src = d[next++];
      if (need_dst) g_dst = d[next++];
      if (need_w) g_w = d[next++];
      return {g_src, g_dst, g_w, at::Tensor(), at::Tensor(), at::Tensor()};
    }
    const int64_t N = a_dst.size(0), H = a_dst.size(1), E = src.numel();
    auto grad = grads[0].contiguous();
    auto as = a_src.contiguous(), ad = a_dst.contiguous();
    if (need_src) g_src = torch::zeros({a_src.size(0), H}, grad.options());
    if (need_dst) g_dst = torch::zeros({N, H}, grad.options());
    if (need_w) g_w = torch::empty({E}, grad.options());
    AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "edge_softmax_backward", [&] {
      softmax_backward_edges<scalar_t>(src.data_ptr<int64_t>(), dst.data_ptr<int64_t>(), as.data_ptr<scalar_t>(),
                                       ad.data_ptr<scalar_t>(), static_cast<scalar_t>(slope),
                                       alpha.data_ptr<scalar_t>(), mx.data_ptr<scalar_t>(), den.data_ptr<scalar_t>(),
                                       grad.data_ptr<scalar_t>(), need_src ? g_src.data_ptr<scalar_t>() : nullptr,
                                       need_dst ? g_dst.data_ptr<scalar_t>() : nullptr,
                                       need_w ? g_w.data_ptr<scalar_t>() : nullptr, E, N, H);
    });
    return {g_src, g_dst, g_w, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor edge_softmax(const at::Tensor& edge_index, const at::Tensor& a_src, const at::Tensor& a_dst,
                        const at::Tensor& weight, double negative_slope) {
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             "edge_softmax: edge_index must be an int64 tensor of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(a_src.defined() && a_dst.defined() && a_src.dim() == 2 && a_dst.dim() == 2 &&
                 a_src.size(1) == a_dst.size(1) && at::isFloatingType(a_dst.scalar_type()) &&
                 a_src.scalar_type() == a_dst.scalar_type(),
             "edge_softmax: a_src and a_dst must be floating [N, H] of one dtype, got ",
             a_src.defined() ? a_src.sizes() : at::IntArrayRef{}, " and ",
             a_dst.defined() ? a_dst.sizes() : at::IntArrayRef{});
  const int64_t E = edge_index.size(1), N = a_dst.size(0);
  GNNX_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == E), "edge_softmax: weight must have shape [",
             E, "], got ", weight.defined() ? weight.sizes() : at::IntArrayRef{});
  GNNX_CHECK(a_src.device() == edge_index.device() && a_dst.device() == edge_index.device() &&
                 (!weight.defined() || weight.device() == edge_index.device()),
             "edge_softmax: edge_index, a_src, a_dst and weight must be on one device");
  auto w = weight.defined() ? weight.to(a_dst.scalar_type()) : weight;
  if (!edge_index.is_cpu()) {
    // Out-of-range ids are a device-side assert on CUDA: check (usually against a remembered
    // range, without a sync).
    check_index_range(edge_index, std::min(N, a_src.size(0)), "edge_softmax");
    return composite(edge_index[0], edge_index[1], a_src, a_dst, w, negative_slope);
  }
  auto src = edge_index[0].contiguous(), dst = edge_index[1].contiguous();
  const int64_t* sp = src.data_ptr<int64_t>();
  const int64_t n_src = a_src.size(0);
  const int64_t* dp = dst.data_ptr<int64_t>();
  for (int64_t e = 0; e < E; ++e) {
    GNNX_CHECK(sp[e] >= 0 && sp[e] < n_src, "edge_softmax: edge_index holds node id ", sp[e], " outside [0, ", n_src,
               ")");
    GNNX_CHECK(dp[e] >= 0 && dp[e] < N, "edge_softmax: edge_index holds node id ", dp[e], " outside [0, ", N, ")");
  }
  // No weights: an empty tensor stands for all ones (nothing to read, nothing to differentiate).
  auto wt = w.defined() ? w.contiguous() : torch::empty({0}, a_dst.options());
  return EdgeSoftmaxFunction::apply(a_src, a_dst, wt, src, dst, negative_slope);
}

}  // namespace gnnx::nn
