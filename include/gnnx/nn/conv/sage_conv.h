#pragma once
/// SAGEConv (Hamilton et al.): x_i' = W_l AGG_{j -> i} x_j + b + W_r x_i (mean by default),
/// optionally L2-normalised.

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

struct SAGEConvOptions {
  SAGEConvOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, out_channels);
  /// Neighbour aggregation. Default mean.
  GNNX_ARG(Aggregation, aggr) = Aggregation::kMean;
  /// Add W_r x_i. Default true.
  GNNX_ARG(bool, root_weight) = true;
  /// L2-normalise the output rows. Default false.
  GNNX_ARG(bool, normalize) = false;
  /// Bias on W_l. Default true.
  GNNX_ARG(bool, bias) = true;
};

class SAGEConvImpl : public MessagePassing {
 public:
  bool in_edge_local() const override { return true; }
  explicit SAGEConvImpl(SAGEConvOptions options);
  void reset();
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});

  SAGEConvOptions options;
  torch::nn::Linear lin_l{nullptr};  ///< applied to the aggregate, with bias
  torch::nn::Linear lin_r{nullptr};  ///< applied to the root, no bias; null without root_weight
};
TORCH_MODULE(SAGEConv);

}  // namespace gnnx::nn
