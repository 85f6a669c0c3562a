#pragma once
// GNN-LRP's top-K bounds (private): forward message bounds, walk regions and prefix tables.

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

}  // namespace gnnx::explain::gnn_lrp_detail
