// GNN-LRP's top-K bounds: forward message bounds by dynamic programming, walk regions, prefix tables, WalkBound.
#include "explain/gnn_lrp/bounds.h"
#include "gnnx/nn/functional/scatter.h"

#include <algorithm>

#include <torch/torch.h>

namespace gnnx::explain::gnn_lrp_detail {

std::vector<double> to_vec(const at::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<int64_t> to_ivec(const at::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

at::Tensor bound_step(const Prepared& P, int64_t l, const at::Tensor& prev) {
  const int64_t N = P.N;
  const auto& tr = P.trans[static_cast<size_t>(l - 1)];
  const auto& maps = P.maps[static_cast<size_t>(l - 1)];
  const int64_t in = prev.size(1);
  auto nonself = tr.src != tr.dst;
  auto s_src = tr.src.masked_select(nonself), s_dst = tr.dst.masked_select(nonself);
  auto s_ca = tr.ca.masked_select(nonself).abs();
  auto vals = s_ca.unsqueeze(1) * prev.index_select(0, s_src);
  auto V = nn::scatter_amax(torch::zeros({N, in}, prev.options()), 0, s_dst.unsqueeze(1).expand({s_dst.size(0), in}),
                            vals, /*include_self=*/true);
  auto self = tr.src == tr.dst;
  const auto self_dst = tr.dst.masked_select(self);  // one self slot per node
  auto ca_self = torch::zeros({N}, prev.options()).index_copy_(0, self_dst, tr.ca.masked_select(self));
  auto cb_self = torch::zeros({N}, prev.options()).index_copy_(0, self_dst, tr.cb.masked_select(self));
  std::vector<at::Tensor> parts;
  const int64_t block = 4096;
  for (int64_t b = 0; b < N; b += block) {
    const int64_t n = std::min(block, N - b);
    // Per-node matrices M_i = diag(r_K) W_K ⋯ diag(r_1) W_1, [n, out, in].
    at::Tensor M;
    for (const auto& st : maps.steps) {
      auto r = st.ratio.narrow(0, b, n).unsqueeze(2);
      M = M.defined() ? r * torch::matmul(st.weight, M) : r * st.weight.unsqueeze(0);
    }
    at::Tensor Self = ca_self.narrow(0, b, n).view({n, 1, 1}) * M;
    if (maps.has_root()) {
      auto r = maps.steps[0].ratio.narrow(0, b, n).unsqueeze(2);
      Self = Self + cb_self.narrow(0, b, n).view({n, 1, 1}) * r * maps.root_weight.unsqueeze(0);
    }
    auto su = torch::bmm(Self.abs(), prev.narrow(0, b, n).unsqueeze(2)).squeeze(2);
    auto nu = torch::bmm(M.abs(), V.narrow(0, b, n).unsqueeze(2)).squeeze(2);
    parts.push_back(torch::maximum(su, nu));
  }
  return torch::cat(parts, 0);
}

std::vector<at::Tensor> forward_bounds(const Prepared& P) {
  std::vector<at::Tensor> U{P.x.abs()};
  for (int64_t l = 1; l <= P.L; ++l) U.push_back(bound_step(P, l, U.back()));
  return U;
}

std::vector<at::Tensor> walk_regions(const Prepared& P, bool graph_task) {
  std::vector<at::Tensor> reach(static_cast<size_t>(P.L + 1));
  auto bopt = torch::TensorOptions().dtype(torch::kBool).device(P.x.device());
  if (graph_task) {
    for (auto& r : reach) r = torch::ones({P.N}, bopt);
    return reach;
  }
  reach[static_cast<size_t>(P.L)] = torch::zeros({P.N}, bopt);
  reach[static_cast<size_t>(P.L)][P.target.index] = true;
  for (int64_t l = P.L; l >= 1; --l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    auto here = reach[static_cast<size_t>(l)].to(torch::kDouble);
    reach[static_cast<size_t>(l - 1)] =
        torch::zeros({P.N}, here.options()).index_add(0, tr.src, here.index_select(0, tr.dst)) > 0;
  }
  return reach;
}

std::vector<double> prefix_counts(const Prepared& P, const std::vector<at::Tensor>& region) {
  std::vector<double> out;
  auto c = region[0].to(torch::kDouble);
  out.push_back(c.sum().item<double>());
  for (int64_t l = 1; l < P.L; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    c = torch::zeros_like(c).index_add(0, tr.dst, c.index_select(0, tr.src)) *
        region[static_cast<size_t>(l)].to(torch::kDouble);
    out.push_back(c.sum().item<double>());
  }
  return out;
}

PrefixTable build_prefixes(const Prepared& P, int64_t m, const std::vector<at::Tensor>& region) {
  auto nodes0 = region[0].nonzero().squeeze(1);
  at::Tensor ids = nodes0.unsqueeze(1);
  at::Tensor vec = P.x.index_select(0, nodes0);
  at::Tensor ext = torch::zeros({nodes0.size(0)}, vec.options());
  for (int64_t l = 1; l <= m; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    const auto& maps = P.maps[static_cast<size_t>(l - 1)];
    // Out-slots of each source node: the transitions sorted by source.
    auto operm = std::get<1>(torch::sort(tr.src, /*stable=*/true, /*dim=*/0, /*descending=*/false));
    auto ocnt = torch::bincount(tr.src, {}, P.N);
    auto optr = torch::cat({torch::zeros({1}, ocnt.options()), ocnt.cumsum(0)});
    auto end = ids.select(1, l - 1).contiguous();
    auto start = optr.index_select(0, end);
    auto cnt = optr.index_select(0, end + 1) - start;
    auto parent = torch::repeat_interleave(torch::arange(end.size(0), end.options()), cnt);
    auto first = torch::cumsum(cnt, 0) - cnt;
    auto pos = torch::arange(parent.size(0), end.options()) - first.index_select(0, parent);
    auto slot = operm.index_select(0, start.index_select(0, parent) + pos);
    auto i = tr.dst.index_select(0, slot);
    auto keep = region[static_cast<size_t>(l)].index_select(0, i);
    parent = parent.masked_select(keep);
    slot = slot.masked_select(keep);
    i = i.masked_select(keep);
    auto pv = vec.index_select(0, parent);
    auto main = tr.ca.index_select(0, slot).unsqueeze(1) * pv;
    auto root = maps.has_root() ? tr.cb.index_select(0, slot).unsqueeze(1) * pv : at::Tensor();
    auto v = maps.forward(main, root, i);
    auto j = end.index_select(0, parent);
    auto self = i == j;
    auto carried = ext.index_select(0, parent);
    if (l - 1 >= 1) carried = carried + (pv * P.g[static_cast<size_t>(l - 2)].index_select(0, j)).sum(1);
    ext = torch::where(self, carried, torch::zeros_like(carried));
    ids = torch::cat({ids.index_select(0, parent), i.unsqueeze(1)}, 1);
    vec = v;
  }
  auto end = ids.select(1, m).contiguous();
  auto order = std::get<1>(torch::sort(end, /*stable=*/true, /*dim=*/0, /*descending=*/false));
  PrefixTable t;
  t.ids = ids.index_select(0, order).contiguous();
  t.vec = vec.index_select(0, order).contiguous();
  t.ext = ext.index_select(0, order).contiguous();
  auto c = torch::bincount(end, {}, P.N);
  t.ptr = torch::cat({torch::zeros({1}, c.options()), c.cumsum(0)});
  return t;
}

WalkBound::WalkBound(const Prepared& P, std::vector<at::Tensor> U, const std::vector<std::vector<double>>& g,
                     const PrefixTable* prefixes, int64_t m) {
  const int64_t L = P.L, N = P.N;
  std::vector<double> extmax(static_cast<size_t>(N), 0.0);
  if (prefixes) {
    const auto& T = *prefixes;
    const int64_t H = T.vec.size(1);
    auto end = T.ids.select(1, m);
    // Exact per-coordinate maxima over each node's prefixes, then the dynamic programme above m.
    U[static_cast<size_t>(m)] = nn::scatter_amax(torch::zeros({N, H}, T.vec.options()), 0,
                                                 end.unsqueeze(1).expand({end.size(0), H}), T.vec.abs(),
                                                 /*include_self=*/true);
    for (int64_t l = m + 1; l <= L; ++l) U[static_cast<size_t>(l)] = bound_step(P, l, U[static_cast<size_t>(l - 1)]);
    extmax = to_vec(nn::scatter_amax(torch::zeros({N}, T.ext.options()), 0, end, T.ext.abs(), /*include_self=*/true));
  }
  for (const auto& u : U) {
    U_.push_back(to_vec(u));
    width_.push_back(u.size(1));
  }
  // HB[l][i] = Σ_{h=1}^{l-1} U_h(i) · |g_h(i)|, with the prefixes' exact head terms below the meet layer.
  HB_.assign(static_cast<size_t>(L + 1), std::vector<double>(static_cast<size_t>(N), 0.0));
  for (int64_t l = 2; l <= L; ++l) {
    const auto& gm = g[static_cast<size_t>(l - 2)];
    const auto& Um = U_[static_cast<size_t>(l - 1)];
    const int64_t H = width_[static_cast<size_t>(l - 1)];
    for (int64_t i = 0; i < N; ++i) {
      double s = 0;
      for (int64_t d = 0; d < H; ++d) s += Um[i * H + d] * std::abs(gm[i * H + d]);
      HB_[l][i] = l == m ? extmax[static_cast<size_t>(i)] : HB_[l - 1][i] + s;
    }
  }
}

int64_t WalkBound::bytes() const {
  int64_t b = 0;
  for (const auto& v : U_) b += static_cast<int64_t>(v.size() * sizeof(double));
  for (const auto& v : HB_) b += static_cast<int64_t>(v.size() * sizeof(double));
  return b;
}

}  // namespace gnnx::explain::gnn_lrp_detail
