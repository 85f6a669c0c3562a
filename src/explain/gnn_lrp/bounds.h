#pragma once
// GNN-LRP's top-K bounds (private): forward message bounds, walk regions, prefix tables and the search's WalkBound.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "explain/gnn_lrp/engine.h"

namespace gnnx::explain::gnn_lrp_detail {

/// Row-major CPU copies (double, int64) of a tensor, for the depth-first search.
std::vector<double> to_vec(const at::Tensor& t);
std::vector<int64_t> to_ivec(const at::Tensor& t);

/// One step of the bound dynamic programme: U_l(i)_d ≥ |π_l(prefix)_d| for every prefix
/// (v_0 .. v_l = i), π_l the forward message of x_{v_0} along the prefix, from prev = U_{l-1}:
/// U_l(i) = max(|Self_i| U_{l-1}(i), |Nbr_i| max_{j≠i} |ca_ij| U_{l-1}(j)). [N, H_l].
at::Tensor bound_step(const Prepared& P, int64_t l, const at::Tensor& prev);
/// U_0 = |x|, U_1 .. U_L by bound_step.
std::vector<at::Tensor> forward_bounds(const Prepared& P);

/// Nodes that can sit at layer l of a walk: within L - l steps of the output node (node task),
/// every node (graph task). [L+1] bool masks [N].
std::vector<at::Tensor> walk_regions(const Prepared& P, bool graph_task);
/// Number of prefixes (v_0 .. v_l) of each length l = 0 .. L-1 inside the regions.
std::vector<double> prefix_counts(const Prepared& P, const std::vector<at::Tensor>& region);

/// All prefixes (v_0 .. v_m) whose nodes lie in the regions, grouped by v_m (CSR: ptr [N+1]):
/// their forward messages π_m (vec [n, H_m]), the head terms of layers h < m they carry when the
/// walk stays at v_m from h on (ext [n]), and their nodes (ids [n, m+1]).
struct PrefixTable {
  at::Tensor ptr, vec, ext, ids;
};
PrefixTable build_prefixes(const Prepared& P, int64_t m, const std::vector<at::Tensor>& region);

/// The top-K search's upper bound on |R| over all completions (v_0 .. v_{l-1}) of a walk suffix
/// (v_l = i, …, v_L) whose backward relevance vector at layer l is c:
///     bound = Σ_d U_l(i)_d |c_d| + (tail constant: the suffix stays at i) HB_l(i),
/// with U the forward message bounds and HB_l(i) = Σ_{h<l} U_h(i) · |g_h(i)| what the head
/// blocks below layer l can still add. With prefix tables at the meet layer m, U_m and HB_m are
/// the exact maxima over the tabulated prefixes and U above m is recomputed from them.
class WalkBound {
 public:
  /// forward: U_0 .. U_L (forward_bounds), g: P.g on the CPU, row-major. prefixes: the meet
  /// layer's table, or null (then meet must be 0).
  WalkBound(const Prepared& P, std::vector<at::Tensor> forward, const std::vector<std::vector<double>>& g,
            const PrefixTable* prefixes, int64_t meet);

  /// The bound for a suffix at layer l, node i, relevance vector c (H_l entries), tail constant tc.
  double operator()(int64_t l, int64_t i, const double* c, bool tc) const {
    const auto& U = U_[static_cast<size_t>(l)];
    const int64_t H = width_[static_cast<size_t>(l)];
    double s = 0;
    for (int64_t d = 0; d < H; ++d) s += U[i * H + d] * std::abs(c[d]);
    if (tc) s += HB_[static_cast<size_t>(l)][i];
    // Slack for rounding: a bound must never fall below the value it bounds.
    return s * (1 + 1e-9) + 1e-300;
  }
  /// Bytes of the tables.
  int64_t bytes() const;

 private:
  std::vector<std::vector<double>> U_;   // [L+1][N · H_l]
  std::vector<std::vector<double>> HB_;  // [L+1][N]
  std::vector<int64_t> width_;           // H_l, H_0 = F
};

}  // namespace gnnx::explain::gnn_lrp_detail
