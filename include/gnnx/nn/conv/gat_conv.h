#pragma once
/// GATConv (Veličković et al.): α_ij = softmax_j(LeakyReLU(a_s·W x_j + a_d·W x_i)) over the
/// in-edges of i (self loop included), x_i' = ‖_h Σ_j α_ij^h W^h x_j + b (concat) or the mean
/// over heads. With an edge mask m (or edge weights) the softmax is presence-weighted,
/// α_ij = m_ij exp(e_ij) / Σ_k m_ik exp(e_ik), so m = 0 deletes the edge exactly.
/// The coefficients of the last forward are kept (last_attention()): the ATT baseline.

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
  /// Bias. Default true.
  GNNX_ARG(bool, bias) = true;
};

/// Attention of the last forward: edge_index [2, E + N] (with the self loops the layer added,
/// appended) and alpha [E + N, heads].
struct Attention {
  at::Tensor edge_index;
  at::Tensor alpha;
  int64_t num_input_edges = 0;  ///< the first num_input_edges columns are the input's edges
};

class GATConvImpl : public MessagePassing {
 public:
  bool in_edge_local() const override { return true; }
  explicit GATConvImpl(GATConvOptions options);
  void reset();
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});
  /// Coefficients of the last forward (detached). Throws gnnx::Error before the first forward.
  const Attention& last_attention() const;

  GATConvOptions options;
  torch::nn::Linear lin{nullptr};  ///< shared W, [heads * out, in], no bias
  at::Tensor att_src;              ///< [1, heads, out]
  at::Tensor att_dst;              ///< [1, heads, out]
  at::Tensor bias;

 private:
  Attention last_;
};
TORCH_MODULE(GATConv);

}  // namespace gnnx::nn
