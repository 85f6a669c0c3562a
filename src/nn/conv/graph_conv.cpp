#include "gnnx/nn/conv/graph_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

GraphConvImpl::GraphConvImpl(GraphConvOptions options_) : MessagePassing(options_.aggr()), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0, "GraphConv: channels must be positive, got in = ",
             options.in_channels(), ", out = ", options.out_channels());
  reset();
}

void GraphConvImpl::reset() {
  lin_rel = register_module("lin_rel", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(options.bias())));
  lin_root = register_module("lin_root", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(false)));
}

at::Tensor GraphConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == options.in_channels(), "GraphConv: x must have shape [N, ",
             options.in_channels(), "], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  auto aggr = propagate(edge_index, x, edge_weight);
  return lin_rel(aggr) + lin_root(x);
}

}  // namespace gnnx::nn
