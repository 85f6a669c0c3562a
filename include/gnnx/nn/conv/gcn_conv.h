#pragma once
/// GCNConv (Kipf & Welling): X' = D^-1/2 (A + I) D^-1/2 X W + b, with edge weights in A and
/// D_ii = 1 + Σ_j w_ji (in-degree with the self loop). Self loops are added inside the layer
/// (weight 1, unmasked); input self loops count as ordinary edges unless remaining_self_loops.

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

struct GCNConvOptions {
  GCNConvOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, out_channels);
  /// Add a learnable bias. Default true.
  GNNX_ARG(bool, bias) = true;
  /// Add a self loop per node before normalising. Default true.
  GNNX_ARG(bool, add_self_loops) = true;
  /// With add_self_loops: a node that has input self loops gets no extra one, and its (last)
  /// input self loop's weight is its self weight (PyG's add_remaining_self_loops). Default false:
  /// every node gets a self loop of weight 1 and input self loops count as ordinary edges.
  GNNX_ARG(bool, remaining_self_loops) = false;
  /// Apply the symmetric normalisation D^-1/2 A D^-1/2. Default true.
  GNNX_ARG(bool, normalize) = true;
};

class GCNConvImpl : public MessagePassing {
 public:
  explicit GCNConvImpl(GCNConvOptions options);
  void reset();
  /// Symmetric normalisation reads the sources' degrees: one hop past the sources.
  int64_t extra_hops() const override { return options.normalize() ? 1 : 0; }
  /// x [N, in]; edge_index [2, E]; edge_weight [E] or undefined. Returns [N, out].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});
  /// forward on part of a graph, for trimmed computation subgraphs: degrees (and the active
  /// edge mask, [E]) over all E edges of edge_index, which must hold every in-edge of every row
  /// of x, but messages along its first message_edges only. Sources of the other edges may lie
  /// outside x (only their targets are read). Rows whose in-edges all lie among the first
  /// message_edges get exactly forward()'s output on the whole graph.
  at::Tensor forward_prefix(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                            int64_t message_edges);

  GCNConvOptions options;
  torch::nn::Linear lin{nullptr};  ///< weight W (no bias); exposed for LRP rules
  at::Tensor bias;                 ///< [out] or undefined

 private:
  at::Tensor normalised_sum(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                            int64_t message_edges);
};
TORCH_MODULE(GCNConv);

}  // namespace gnnx::nn
