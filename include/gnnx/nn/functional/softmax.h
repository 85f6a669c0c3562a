#pragma once
/// GAT's attention softmax over the in-edges of each target, fused: the per-edge logits, their
/// per-target maximum, the exponentials, the sums and the quotients in a few passes over the
/// edges, instead of a dozen [E, H] gathers and scatters.

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace gnnx::nn {

/// α[e, h] = w_e exp(z[e, h]) / Σ_{e' : dst_e' = dst_e} w_e' exp(z[e', h]) with
/// z[e, h] = LeakyReLU(a_src[src_e, h] + a_dst[dst_e, h], negative_slope); the denominator is
/// clamped to at least 1e-16 (a target whose in-edges all have weight 0 gets α = 0).
/// edge_index [2, E] int64 with ids in [0, N) (else gnnx::Error); a_src, a_dst [N, H] floating;
/// weight [E] or undefined (all ones). Returns [E, H]. Differentiable in a_src, a_dst and weight,
/// to any order. On CPU the forward is three passes over the edges in edge order and the backward
/// two (only the [N, H] per-node sums are accessed at random), each target's edges summed in edge
/// order, so the result equals the composite of torch operators (exponentials shifted by the
/// per-target maximum, index_add sums) that other devices run, to rounding.
at::Tensor edge_softmax(const at::Tensor& edge_index, const at::Tensor& a_src, const at::Tensor& a_dst,
                        const at::Tensor& weight, double negative_slope);

}  // namespace gnnx::nn
