#pragma once
/// Sparse adjacency times dense features: the fused MSG + AGG step of weighted-sum message
/// passing, out[i] = Σ_{e : dst_e = i} w_e x[src_e], without materialising the [E, F] messages.

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace gnnx::nn {

/// edge_index [2, E] int64 (row 0 source, row 1 target; ids outside [0, N) throw gnnx::Error);
/// x [N, *] floating; weight [E] floating, or [E, H] per head for x [N, H, *]
/// (out[i, h] = Σ w[e, h] x[src_e, h], GAT's heads), or undefined (all ones).
/// Returns [num_targets, *] with x's dtype. Differentiable in x and weight, to any order.
/// On CPU: edges are grouped by target with a counting sort and each target row is summed by
/// one task (TBB), so no atomics are needed and the summation order, hence the result, does not
/// depend on the number of threads. On other devices: index_select, multiply, index_add.
at::Tensor spmm(const at::Tensor& edge_index, const at::Tensor& weight, const at::Tensor& x, int64_t num_targets);

/// The max counterpart: out[i] = max over edges e into i with presence_e != 0 of weight_e x[src_e]
/// (element-wise), 0 for a target without such edges. weight and presence: [E] or undefined
/// (ones). x [N, *]. On CPU the maximum and the arg-max edge of every output element are found by
/// one pass over the edges grouped by target (no [E, F] messages), and backward sends each
/// output's gradient to its arg-max edge in one pass; gradients (any order) flow to x and weight
/// through the first maximal edge. Other devices: messages and scatter_reduce.
at::Tensor spmm_max(const at::Tensor& edge_index, const at::Tensor& weight, const at::Tensor& x, int64_t num_targets,
                    const at::Tensor& presence = {});

}  // namespace gnnx::nn
