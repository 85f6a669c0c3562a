#pragma once
/// GATConv (Veličković et al.): α_ij = softmax_j(LeakyReLU(a_s·W x_j + a_d·W x_i)) over the
/// in-edges of i (self loop included), x_i' = ‖_h Σ_j α_ij^h W^h x_j + b (concat) or the mean
/// over heads. With an edge mask m (or edge weights) the softmax is presence-weighted,
/// α_ij = m_ij exp(e_ij) / Σ_k m_ik exp(e_ik), so m = 0 deletes the edge exactly.
/// forward_with_attention() also returns the coefficients (the ATT baseline reads them); the
/// layer keeps nothing from a forward, so threads may run one layer at once.

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

struct GATConvOptions {
  GATConvOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, out_channels);
  /// Attention heads. Default 1.
  GNNX_ARG(int64_t, heads) = 1;
  /// Concatenate heads (out = heads * out_channels) or average them. Default true.
  GNNX_ARG(bool, concat) = true;
  /// LeakyReLU slope. Default 0.2.
  GNNX_ARG(double, negative_slope) = 0.2;
  /// Add a self loop per node. Default true.
  GNNX_ARG(bool, add_self_loops) = true;
  /// With add_self_loops: input self loops get presence 0 (α = 0), so each node attends to
  /// itself only through the added loop (PyG's GATConv removes them first). Default false: input
  /// self loops are ordinary edges.
  GNNX_ARG(bool, replace_self_loops) = false;
  /// Bias. Default true.
  GNNX_ARG(bool, bias) = true;
};

/// The coefficients α of one GATConv forward. Like the output they are part of the autograd
/// graph (detach them to keep them without it). For every node i, α over its in-edges plus
/// self_alpha[i] sums to 1 per head.
struct Attention {
  at::Tensor alpha;       ///< [E, heads]: α_ij of input edge j -> i, in edge_index's column order
  at::Tensor self_alpha;  ///< [N, heads]: α_ii of the self loop the layer added; undefined without add_self_loops
};

/// What GATConv::forward_with_attention returns.
struct GATConvOutput {
  at::Tensor out;  ///< [N, heads * out_channels] (concat) or [N, out_channels]
  Attention attention;
};

class GATConvImpl : public MessagePassing {
 public:
  bool in_edge_local() const override { return true; }
  explicit GATConvImpl(GATConvOptions options);
  void reset();
  /// x [N, in_channels]; edge_index [2, E] int64; edge_weight [E] or undefined.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});
  /// forward() and the attention coefficients it used.
  GATConvOutput forward_with_attention(const at::Tensor& x, const at::Tensor& edge_index,
                                       const at::Tensor& edge_weight = {});

  GATConvOptions options;
  torch::nn::Linear lin{nullptr};  ///< shared W, [heads * out, in], no bias
  at::Tensor att_src;              ///< [1, heads, out]
  at::Tensor att_dst;              ///< [1, heads, out]
  at::Tensor bias;
};
TORCH_MODULE(GATConv);

}  // namespace gnnx::nn
