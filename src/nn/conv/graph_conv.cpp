#include "gnnx/nn/conv/graph_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

GraphConvImpl::GraphConvImpl(GraphConvOptions options_)
    : MessagePassing(options_.aggr()), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
             "GraphConv: channels must be positive, got in = ", options.in_channels(),
             ", out = ", options.out_channels());
  reset();
}

void GraphConvImpl::reset() {
  lin_rel = register_module(
      "lin_rel",
      torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(options.bias())));
  if (options.root_weight()) {
    lin_root = register_module(
        "lin_root",
        torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(false)));
  }
}

at::Tensor GraphConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  IndexRangeScope ranges;  // edge_index's range is measured once per forward
  check_input(x, options.in_channels(), edge_index, edge_weight, lin_rel->weight);
  PropagateArgs args;
  args.default_message = true;
  auto aggr = propagate(edge_index, x, x, edge_weight, args);
  auto out = lin_rel(aggr);
  return lin_root ? out + lin_root(x) : out;
}

}  // namespace gnnx::nn
