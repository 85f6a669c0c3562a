#pragma once
/// GraphConv (Morris et al.): x_i' = W_root x_i + W_rel AGG_{j -> i} (w_ji x_j) + b; without
/// root_weight x_i' = W_rel AGG_{j -> i} (w_ji x_j) + b (the original GNNExplainer code's layer,
/// A X W + b, when concatenating layer outputs).

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

struct GraphConvOptions {
  GraphConvOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, out_channels);
  /// Neighbour aggregation. Default sum.
  GNNX_ARG(Aggregation, aggr) = Aggregation::kSum;
  /// Add W_root x_i. Default true.
  GNNX_ARG(bool, root_weight) = true;
  /// Bias on W_rel. Default true.
  GNNX_ARG(bool, bias) = true;
};

class GraphConvImpl : public MessagePassing {
 public:
  bool in_edge_local() const override { return true; }
  explicit GraphConvImpl(GraphConvOptions options);
  void reset();
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});

  GraphConvOptions options;
  torch::nn::Linear lin_rel{nullptr};   ///< W_rel with bias b
  torch::nn::Linear lin_root{nullptr};  ///< W_root, no bias; null without root_weight
};
TORCH_MODULE(GraphConv);

}  // namespace gnnx::nn
