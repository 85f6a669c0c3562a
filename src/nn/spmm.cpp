#include "gnnx/nn/functional/spmm.h"

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

// Edge ids grouped by key (counting sort, stable: within a group edges keep their order).
struct Grouped {
  std::vector<int64_t> ptr;  // [num_keys + 1]
  std::vector<int64_t> eid;  // [E]
};

Grouped group_by(const int64_t* key, int64_t E, int64_t num_keys) {
  Grouped g;
  g.ptr.assign(static_cast<size_t>(num_keys) + 1, 0);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t k = key[e];
    GNNX_CHECK(k >= 0 && k < num_keys, "spmm: edge_index holds node id ", k, " outside [0, ", num_keys, ")");
    ++g.ptr[static_cast<size_t>(k) + 1];
  }
  for (int64_t i = 0; i < num_keys; ++i) g.ptr[static_cast<size_t>(i) + 1] += g.ptr[static_cast<size_t>(i)];
  g.eid.resize(static_cast<size_t>(E));
  std::vector<int64_t> fill(g.ptr.begin(), g.ptr.end() - 1);
  for (int64_t e = 0; e < E; ++e) g.eid[static_cast<size_t>(fill[static_cast<size_t>(key[e])]++)] = e;
  return g;
}

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

// Rows per task: about 4096 edges each, to amortise scheduling while balancing skewed degrees.
int64_t grain(int64_t rows, int64_t E) { return std::max<int64_t>(16, rows * 4096 / std::max<int64_t>(E, 1)); }

// out[i, h] = Σ_{e : key_e = i} w[e, h] x[gather_e, h] for x [*, H, C]; each output row is
// written by exactly one task, so no atomics are needed, and the edges of a row are summed in
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
        T s = 0;
        for (int64_t f = 0; f < C; ++f) s += pa[f] * pb[f];
        d[e * H + h] = s;
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
void argmax_rows(const Grouped& g, const int64_t* src, const T* w, const T* presence, const T* x, int64_t* arg,
                 int64_t rows, int64_t F) {
  const auto E = static_cast<int64_t>(g.eid.size());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain(rows, E)), [&](const tbb::blocked_range<int64_t>& r) {
    std::vector<T> best_row(static_cast<size_t>(F));
    T* __restrict best = best_row.data();
    for (int64_t i = r.begin(); i < r.end(); ++i) {
      int64_t* __restrict a = arg + i * F;
      for (int64_t f = 0; f < F; ++f) {
        a[f] = -1;
        best[f] = -std::numeric_limits<T>::infinity();
      }
      for (int64_t k = g.ptr[static_cast<size_t>(i)]; k < g.ptr[static_cast<size_t>(i) + 1]; ++k) {
        if (k + 2 * kAhead < E) prefetch_id(src + g.eid[static_cast<size_t>(k + 2 * kAhead)]);
        if (k + kAhead < E) prefetch_row(x + src[g.eid[static_cast<size_t>(k + kAhead)]] * F, F);
        const int64_t e = g.eid[static_cast<size_t>(k)];
        if (presence && presence[e] == T(0)) continue;
        const T c = w ? w[e] : T(1);
        const T* __restrict xs = x + src[e] * F;
        // Branch-free so that it vectorises; strict > keeps the first maximal edge. Inputs are
        // finite (validated by Graph), so every present edge beats the initial -inf.
        for (int64_t f = 0; f < F; ++f) {
          const T v = c * xs[f];
          const bool gt = v > best[f];
          best[f] = gt ? v : best[f];
          a[f] = gt ? e : a[f];
        }
      }
    }
  });
}
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
  const auto grouped = group_by(dstc.data_ptr<int64_t>(), E, num_targets);
  auto arg = torch::empty({num_targets, F}, edge_index.options());
  {
    torch::NoGradGuard ng;
    auto xc = x2.contiguous();
    auto wc = w.defined() ? w.contiguous() : w;
    auto pc = p.defined() ? p.contiguous() : p;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm_max", [&] {
      argmax_rows<scalar_t>(grouped, sp, wc.defined() ? wc.data_ptr<scalar_t>() : nullptr,
                            pc.defined() ? pc.data_ptr<scalar_t>() : nullptr, xc.data_ptr<scalar_t>(),
                            arg.data_ptr<int64_t>(), num_targets, F);
    });
  }
  // Re-read the maxima through differentiable gathers: out = w[arg] x[src[arg], f], 0 where none.
  auto valid = arg >= 0;
  auto e_idx = arg.clamp_min(0).view({-1});
  auto rows = srcc.index_select(0, e_idx).view({num_targets, F});
  auto out = x2.gather(0, rows);
  if (w.defined()) out = out * w.index_select(0, e_idx).view({num_targets, F});
  out = torch::where(valid, out, torch::zeros_like(out));
  return out.view(shape);
}

}  // namespace gnnx::nn
