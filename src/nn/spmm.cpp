#include "gnnx/nn/functional/spmm.h"

#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/scatter.h"
#include "gnnx/nn/index_range.h"
#include "nn/grouped.h"

namespace gnnx::nn {
namespace {

using detail::grain;
using detail::group_by;
using detail::Grouped;

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// At 10^6 edges the gathered rows come from DRAM in random order, so the loops are latency-bound:
// prefetch the rows kAhead edges ahead (and the gather ids 2 kAhead ahead).
constexpr int64_t kAhead = 8;

template <typename T>
inline void prefetch_row(const T* row, int64_t F) {
#if defined(__GNUC__)
  for (int64_t b = 0; b < F * static_cast<int64_t>(sizeof(T)); b += 64)
    __builtin_prefetch(reinterpret_cast<const char*>(row) + b);
#else
  (void)row;
  (void)F;
#endif
}

inline void prefetch_id(const int64_t* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// out[i, h] = Σ_{e : key_e = i} w[e, h] x[gather_e, h] for x [*, H, C]; each output row is
// written by exactly one task, so no atomics are needed, and the edges of a row are summed in
// <a, b> over n values with eight interleaved partial sums, so that it vectorises (an ordered
// float sum cannot); the result does not depend on the thread count.
template <typename T>
inline T dot(const T* __restrict a, const T* __restrict b, int64_t n) {
  T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t f = 0;
  for (; f + 8 <= n; f += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[f + l] * b[f + l];
  T tail = 0;
  for (; f < n; ++f) tail += a[f] * b[f];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// edge order, so the result does not depend on the thread count.
template <typename T>
void spmm_rows(const Grouped& g, const int64_t* gather, const T* w, const T* x, T* out, int64_t rows, int64_t H,
               int64_t C) {
  const int64_t F = H * C;
  const auto E = static_cast<int64_t>(g.eid.size());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain(rows, static_cast<int64_t>(g.eid.size()))),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      for (int64_t i = r.begin(); i < r.end(); ++i) {
                        T* __restrict o = out + i * F;
                        for (int64_t f = 0; f < F; ++f) o[f] = T(0);
                        for (int64_t k = g.ptr[static_cast<size_t>(i)]; k < g.ptr[static_cast<size_t>(i) + 1]; ++k) {
                          if (k + 2 * kAhead < E) prefetch_id(gather + g.eid[static_cast<size_t>(k + 2 * kAhead)]);
                          if (k + kAhead < E) prefetch_row(x + gather[g.eid[static_cast<size_t>(k + kAhead)]] * F, F);
                          const int64_t e = g.eid[static_cast<size_t>(k)];
                          const T* __restrict xs = x + gather[e] * F;
                          for (int64_t h = 0; h < H; ++h) {
                            const T c = w ? w[e * H + h] : T(1);
                            T* __restrict oh = o + h * C;
                            const T* __restrict xh = xs + h * C;
                            for (int64_t f = 0; f < C; ++f) oh[f] += c * xh[f];
                          }
                        }
                      }
                    });
}

// d[e, h] = <a[ia_e, h], b[ib_e, h]>: the gradient of spmm in the weights. One writer per edge.
template <typename T>
void edge_dot(const int64_t* ia, const int64_t* ib, const T* a, const T* b, T* d, int64_t E, int64_t H, int64_t C) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, E, 4096), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t e = r.begin(); e < r.end(); ++e) {
      if (e + kAhead < E) {
        prefetch_row(a + ia[e + kAhead] * H * C, H * C);
        prefetch_row(b + ib[e + kAhead] * H * C, H * C);
      }
      for (int64_t h = 0; h < H; ++h) {
        const T* __restrict pa = a + (ia[e] * H + h) * C;
        const T* __restrict pb = b + (ib[e] * H + h) * C;
        d[e * H + h] = dot(pa, pb, C);
      }
    }
  });
}

// spmm's backward in one pass over the edges grouped by source j: grad_x[j, h] = Σ_e w[e, h]
// grad[dst_e, h] and grad_w[e, h] = <grad[dst_e, h], x[j, h]>, so each gathered grad row serves
// both (edge_dot would gather it again). One writer per source row and per edge: no atomics.
// grad_x is summed in spmm_rows's order, so it is the transposed product's exactly.
template <typename T>
void spmm_backward_rows(const Grouped& g, const int64_t* dst, const T* w, const T* grad, const T* x, T* grad_x,
                        T* grad_w, int64_t rows, int64_t H, int64_t C) {
  const int64_t F = H * C;
  const auto E = static_cast<int64_t>(g.eid.size());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain(rows, E)), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t j = r.begin(); j < r.end(); ++j) {
      T* __restrict o = grad_x + j * F;
      const T* __restrict xj = x + j * F;
      for (int64_t f = 0; f < F; ++f) o[f] = T(0);
      for (int64_t k = g.ptr[static_cast<size_t>(j)]; k < g.ptr[static_cast<size_t>(j) + 1]; ++k) {
        if (k + 2 * kAhead < E) prefetch_id(dst + g.eid[static_cast<size_t>(k + 2 * kAhead)]);
        if (k + kAhead < E) prefetch_row(grad + dst[g.eid[static_cast<size_t>(k + kAhead)]] * F, F);
        const int64_t e = g.eid[static_cast<size_t>(k)];
        const T* __restrict gs = grad + dst[e] * F;
        for (int64_t h = 0; h < H; ++h) {
          const T c = w ? w[e * H + h] : T(1);
          T* __restrict oh = o + h * C;
          const T* __restrict gh = gs + h * C;
          const T* __restrict xh = xj + h * C;
          for (int64_t f = 0; f < C; ++f) oh[f] += c * gh[f];
          grad_w[e * H + h] = dot(gh, xh, C);
        }
      }
    }
  });
}

// out [rows, H, C] = Σ over edges grouped by `key` of w[e, h] x[gather_e, h]; x [*, H, C], w [E, H]
// or empty (all ones).
at::Tensor spmm_cpu(const at::Tensor& key, const at::Tensor& gather, const at::Tensor& w, const at::Tensor& x,
                    int64_t rows) {
  const int64_t E = key.numel(), H = x.size(1), C = x.size(2);
  auto k = key.contiguous(), gidx = gather.contiguous();
  auto xc = x.contiguous(), wc = w.contiguous();
  const int64_t* gp = gidx.data_ptr<int64_t>();
  const int64_t n_src = x.size(0);
  for (int64_t e = 0; e < E; ++e)
    GNNX_CHECK(gp[e] >= 0 && gp[e] < n_src, "spmm: edge_index holds node id ", gp[e], " outside [0, ", n_src, ")");
  auto out = torch::empty({rows, H, C}, x.options());
  const auto grouped = group_by(k.data_ptr<int64_t>(), E, rows);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm", [&] {
    spmm_rows<scalar_t>(grouped, gp, wc.numel() ? wc.data_ptr<scalar_t>() : nullptr, xc.data_ptr<scalar_t>(),
                        out.data_ptr<scalar_t>(), rows, H, C);
  });
  return out;
}

at::Tensor spmm_composite(const at::Tensor& key, const at::Tensor& gather, const at::Tensor& w, const at::Tensor& x,
                          int64_t rows) {
  auto m = x.index_select(0, gather);
  if (w.numel() > 0) m = m * w.unsqueeze(-1);
  return torch::zeros({rows, x.size(1), x.size(2)}, x.options()).index_add(0, key, m);
}

// Autograd node of spmm on CPU: saves x, w and the indices; backward is the transposed spmm
// (itself this Function, so double backward works) and a per-edge dot product for w.
class SpmmFunction : public torch::autograd::Function<SpmmFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& src,
                            const at::Tensor& dst, int64_t rows) {
    ctx->save_for_backward({x, w, src, dst});
    return spmm_cpu(dst, src, w, x, rows);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &src = saved[2], &dst = saved[3];
    auto grad = grads[0].contiguous();
    at::Tensor grad_x, grad_w;
    if (ctx->needs_input_grad(0) && ctx->needs_input_grad(1) && w.numel() > 0 && !torch::GradMode::is_enabled()) {
      // Both gradients (GAT's attention, a trained edge mask): one pass over the edges.
      const int64_t E = src.numel(), H = x.size(1), C = x.size(2);
      grad_x = torch::empty_like(x);
      grad_w = torch::empty({E, H}, x.options());
      auto xc = x.contiguous(), wc = w.contiguous();
      const auto grouped = group_by(src.data_ptr<int64_t>(), E, x.size(0));
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm_backward", [&] {
        spmm_backward_rows<scalar_t>(grouped, dst.data_ptr<int64_t>(), wc.data_ptr<scalar_t>(),
                                     grad.data_ptr<scalar_t>(), xc.data_ptr<scalar_t>(), grad_x.data_ptr<scalar_t>(),
                                     grad_w.data_ptr<scalar_t>(), x.size(0), H, C);
      });
      return {grad_x, grad_w, at::Tensor(), at::Tensor(), at::Tensor()};
    }
    if (ctx->needs_input_grad(0)) grad_x = SpmmFunction::apply(grad, w, dst, src, x.size(0));
    if (ctx->needs_input_grad(1)) {
      if (torch::GradMode::is_enabled()) {
        // create_graph: a differentiable composition, so higher derivatives are exact.
        grad_w = (grad.index_select(0, dst) * x.index_select(0, src)).sum(-1);
      } else {
        grad_w = torch::empty({src.numel(), x.size(1)}, x.options());
        auto xc = x.contiguous();
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm_backward", [&] {
          edge_dot<scalar_t>(dst.data_ptr<int64_t>(), src.data_ptr<int64_t>(), grad.data_ptr<scalar_t>(),
                             xc.data_ptr<scalar_t>(), grad_w.data_ptr<scalar_t>(), src.numel(), x.size(1), x.size(2));
        });
      }
    }
    return {grad_x, grad_w, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor spmm(const at::Tensor& edge_index, const at::Tensor& weight, const at::Tensor& x, int64_t num_targets) {
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             "spmm: edge_index must be an int64 tensor of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(x.defined() && x.dim() >= 1 && at::isFloatingType(x.scalar_type()),
             "spmm: x must be a floating tensor [N, *]");
  GNNX_CHECK(num_targets >= 0, "spmm: num_targets must be >= 0, got ", num_targets);
  const int64_t E = edge_index.size(1), N = x.size(0);
  const bool per_head = weight.defined() && weight.dim() == 2;
  GNNX_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == E) ||
                 (per_head && weight.size(0) == E && x.dim() >= 2 && weight.size(1) == x.size(1)),
             "spmm: weight must have shape [", E, "] or [", E, ", x.size(1)], got ",
             weight.defined() ? weight.sizes() : at::IntArrayRef{}, " for x of shape ", x.sizes());
  GNNX_CHECK(x.device() == edge_index.device() && (!weight.defined() || weight.device() == x.device()),
             "spmm: x, weight and edge_index must be on one device");
  const int64_t H = per_head ? weight.size(1) : 1;
  auto x3 = x.reshape({N, H, -1});
  // No weights: an empty [0, 1] tensor stands for all ones (nothing to read, nothing to differentiate).
  auto w = weight.defined() && E > 0 ? weight.to(x.scalar_type()).view({E, H}) : torch::empty({0, H}, x.options());
  at::Tensor out;
  if (x.is_cpu()) {
    out = SpmmFunction::apply(x3, w, edge_index[0].contiguous(), edge_index[1].contiguous(), num_targets);
  } else {
    // Out-of-range ids are a device-side assert on CUDA (which poisons the context): check here
    // (usually against a range an IndexRangeScope remembers, without a sync).
    check_index_range(edge_index, std::min(N, num_targets), "spmm");
    out = spmm_composite(edge_index[1], edge_index[0], w, x3, num_targets);
  }
  std::vector<int64_t> shape{num_targets};
  for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
  return out.view(shape);
}

namespace {
// arg[i, f] = the first edge e into i (presence_e != 0) maximising w_e x[src_e, f]; -1 if none.
template <typename T>
void argmax_rows(const Grouped& g, const int64_t* src, const T* w, const T* presence, const T* x, int64_t* arg, T* out,
                 int64_t rows, int64_t F) {
  const auto E = static_cast<int64_t>(g.eid.size());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain(rows, E)), [&](const tbb::blocked_range<int64_t>& r) {
    std::vector<T> best_row(static_cast<size_t>(F));
    // The arg-max as a 32-bit position within the target's edges, so that the select below runs
    // on lanes as wide as the floats' (a 64-bit edge id halves the vector width).
    std::vector<int32_t> pos_row(static_cast<size_t>(F));
    T* __restrict best = best_row.data();
    int32_t* __restrict pos = pos_row.data();
    for (int64_t i = r.begin(); i < r.end(); ++i) {
      const int64_t begin = g.ptr[static_cast<size_t>(i)], end = g.ptr[static_cast<size_t>(i) + 1];
      for (int64_t f = 0; f < F; ++f) {
        pos[f] = -1;
        best[f] = -std::numeric_limits<T>::infinity();
      }
      bool reached = false;
      for (int64_t k = begin; k < end; ++k) {
        if (k + 2 * kAhead < E) prefetch_id(src + g.eid[static_cast<size_t>(k + 2 * kAhead)]);
        if (k + kAhead < E) prefetch_row(x + src[g.eid[static_cast<size_t>(k + kAhead)]] * F, F);
        const int64_t e = g.eid[static_cast<size_t>(k)];
        if (presence && presence[e] == T(0)) continue;
        reached = true;
        const T c = w ? w[e] : T(1);
        const T* __restrict xs = x + src[e] * F;
        // Branch-free so that it vectorises; strict > keeps the first maximal edge. Inputs are
        // finite (validated by Graph), so every present edge beats the initial -inf.
        if (arg) {
          const auto kk = static_cast<int32_t>(k - begin);
          for (int64_t f = 0; f < F; ++f) {
            const T v = c * xs[f];
            const bool gt = v > best[f];
            best[f] = gt ? v : best[f];
            pos[f] = gt ? kk : pos[f];
          }
        } else {
          for (int64_t f = 0; f < F; ++f) best[f] = std::max(best[f], c * xs[f]);
        }
      }
      T* __restrict o = out + i * F;
      for (int64_t f = 0; f < F; ++f) o[f] = reached ? best[f] : T(0);
      if (arg) {
        int64_t* __restrict a = arg + i * F;
        for (int64_t f = 0; f < F; ++f) a[f] = pos[f] >= 0 ? g.eid[static_cast<size_t>(begin + pos[f])] : -1;
      }
    }
  });
}

// out [rows, F] = w[arg] x[src[arg], f] (0 where arg = -1): the maxima re-read through
// differentiable gathers. What higher derivatives differentiate.
at::Tensor reread_max(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& src, const at::Tensor& arg) {
  const int64_t rows = arg.size(0), F = arg.size(1);
  auto valid = arg >= 0;
  auto e_idx = arg.clamp_min(0).view({-1});
  auto out = x2.gather(0, src.index_select(0, e_idx).view({rows, F}));
  if (w.numel() > 0) out = out * w.index_select(0, e_idx).view({rows, F});
  return torch::where(valid, out, torch::zeros_like(out));
}

// The maxima [rows, F] and, when with_arg, the arg-max edges [rows, F] (-1 where none); w and
// presence empty for all ones.
std::pair<at::Tensor, at::Tensor> max_rows(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& src,
                                           const at::Tensor& dst, const at::Tensor& presence, int64_t rows,
                                           bool with_arg) {
  const int64_t E = src.numel(), F = x2.size(1);
  const auto grouped = group_by(dst.data_ptr<int64_t>(), E, rows);
  at::Tensor arg = with_arg ? torch::empty({rows, F}, src.options()) : at::Tensor();
  auto out = torch::empty({rows, F}, x2.options());
  auto xc = x2.contiguous();
  AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "spmm_max", [&] {
    argmax_rows<scalar_t>(grouped, src.data_ptr<int64_t>(), w.numel() ? w.data_ptr<scalar_t>() : nullptr,
                          presence.numel() ? presence.data_ptr<scalar_t>() : nullptr, xc.data_ptr<scalar_t>(),
                          with_arg ? arg.data_ptr<int64_t>() : nullptr, out.data_ptr<scalar_t>(), rows, F);
  });
  return {out, arg};
}

// Autograd node of spmm_max on CPU: forward finds the arg-max edges and the maxima in one pass;
// backward sends each output element's gradient to its arg-max edge (x and w) in one ordered
// pass, without the [rows, F] index tensors of a gather.
class SpmmMaxFunction : public torch::autograd::Function<SpmmMaxFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x2, const at::Tensor& w, const at::Tensor& src,
                            const at::Tensor& dst, const at::Tensor& presence, int64_t rows) {
    at::Tensor out, arg;
    std::tie(out, arg) = max_rows(x2, w, src, dst, presence, rows, /*with_arg=*/true);
    ctx->save_for_backward({x2, w, src, arg});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x2 = saved[0], &w = saved[1], &src = saved[2], &arg = saved[3];
    const bool need_x = ctx->needs_input_grad(0), need_w = ctx->needs_input_grad(1) && w.numel() > 0;
    at::Tensor gx, gw;
    if (torch::GradMode::is_enabled()) {
      // create_graph: differentiate the gathers, so higher derivatives are exact.
      std::vector<at::Tensor> inputs;
      if (need_x) inputs.push_back(x2);
      if (need_w) inputs.push_back(w);
      if (!inputs.empty()) {
        auto d = torch::autograd::grad({reread_max(x2, w, src, arg)}, inputs, {grads[0]}, /*retain_graph=*/true,
                                       /*create_graph=*/true, /*allow_unused=*/true);
        if (need_x) gx = d[0];
        if (need_w) gw = d[need_x ? 1 : 0];
      }
      return {gx, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
    if (!need_x && !need_w) return {gx, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    auto grad = grads[0].contiguous();
    const int64_t rows = arg.size(0), F = arg.size(1);
    if (need_x) gx = torch::zeros_like(x2);
    if (need_w) gw = torch::zeros({w.size(0)}, w.options());
    auto xc = x2.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "spmm_max_backward", [&] {
      const int64_t* a = arg.data_ptr<int64_t>();
      const int64_t* sp = src.data_ptr<int64_t>();
      const scalar_t* g = grad.data_ptr<scalar_t>();
      const scalar_t* pw = w.numel() ? w.data_ptr<scalar_t>() : nullptr;
      const scalar_t* px = xc.data_ptr<scalar_t>();
      scalar_t* pgx = need_x ? gx.data_ptr<scalar_t>() : nullptr;
      scalar_t* pgw = need_w ? gw.data_ptr<scalar_t>() : nullptr;
      // Several outputs may share an arg-max edge and source row: one ordered pass, no atomics.
      for (int64_t i = 0; i < rows * F; ++i) {
        const int64_t e = a[i];
        if (e < 0) continue;
        const int64_t slot = sp[e] * F + i % F;
        if (pgx) pgx[slot] += (pw ? pw[e] : scalar_t(1)) * g[i];
        if (pgw) pgw[e] += px[slot] * g[i];
      }
    });
    return {gx, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};
}  // namespace

at::Tensor spmm_max(const at::Tensor& edge_index, const at::Tensor& weight, const at::Tensor& x, int64_t num_targets,
                    const at::Tensor& presence) {
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             "spmm_max: edge_index must be an int64 tensor of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(x.defined() && x.dim() >= 1 && at::isFloatingType(x.scalar_type()),
             "spmm_max: x must be a floating tensor [N, *]");
  GNNX_CHECK(num_targets >= 0, "spmm_max: num_targets must be >= 0, got ", num_targets);
  const int64_t E = edge_index.size(1), N = x.size(0);
  for (const auto* t : {&weight, &presence})
    GNNX_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == E), "spmm_max: weight and presence must have shape [",
               E, "], got ", t->sizes());
  auto x2 = x.reshape({N, -1});
  const int64_t F = x2.size(1);
  auto w = weight.defined() ? weight.to(x.scalar_type()) : weight;
  auto p = presence.defined() ? presence.to(x.scalar_type()) : presence;
  std::vector<int64_t> shape{num_targets};
  for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
  const auto src = edge_index[0], dst = edge_index[1];
  if (!x.is_cpu()) {
    // Out-of-range ids are a device-side assert on CUDA: check (usually against a remembered
    // range, without a sync). scatter() checks dst again; dst lies within edge_index's range,
    // which has just passed, so that range stands in for dst's own instead of a measurement.
    IndexRangeScope ranges;
    check_index_range(edge_index, std::min(N, num_targets), "spmm_max");
    IndexRange r;
    if (E > 0 && detail::known_index_range(edge_index, r)) detail::remember_index_range(ranges, dst, r);
    auto m = x2.index_select(0, src);
    if (w.defined()) m = m * w.view({-1, 1});
    return scatter(m, dst, num_targets, Aggregation::kMax, p).view(shape);
  }
  if (E == 0 || F == 0) return torch::zeros(shape, x.options());
  auto srcc = src.contiguous(), dstc = dst.contiguous();
  const int64_t* sp = srcc.data_ptr<int64_t>();
  for (int64_t e = 0; e < E; ++e)
    GNNX_CHECK(sp[e] >= 0 && sp[e] < N, "spmm_max: edge_index holds node id ", sp[e], " outside [0, ", N, ")");
  // No weights / presence: empty tensors stand for all ones.
  auto wc = w.defined() ? w.contiguous() : torch::empty({0}, x2.options());
  auto pc = p.defined() ? p.contiguous() : torch::empty({0}, x2.options());
  // Without gradients the arg-max edges are not needed: the maxima alone.
  const bool differentiable = torch::GradMode::is_enabled() && (x2.requires_grad() || wc.requires_grad());
  auto out = differentiable ? SpmmMaxFunction::apply(x2, wc, srcc, dstc, pc, num_targets)
                            : max_rows(x2, wc, srcc, dstc, pc, num_targets, /*with_arg=*/false).first;
  return out.view(shape);
}

}  // namespace gnnx::nn
