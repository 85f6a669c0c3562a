#include "gnnx/nn/conv/gin_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

GINConvImpl::GINConvImpl(GINConvOptions options_) : MessagePassing(Aggregation::kSum), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0 && options.hidden_channels() >= 0,
             "GINConv: channels must be positive, got in = ", options.in_channels(), ", out = ", options.out_channels(),
             ", hidden = ", options.hidden_channels());
  reset();
}

void GINConvImpl::reset() {
  const int64_t hidden = options.hidden_channels() > 0 ? options.hidden_channels() : options.out_channels();
  mlp = register_module("mlp",
                        torch::nn::Sequential(torch::nn::Linear(options.in_channels(), hidden), torch::nn::ReLU(),
                                              torch::nn::Linear(hidden, options.out_channels())));
  auto e = torch::full({1}, options.eps());
  eps = options.train_eps() ? register_parameter("eps", e) : register_buffer("eps", e);
}

at::Tensor GINConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  IndexRangeScope ranges;  // edge_index's range is measured once per forward
  check_input(x, options.in_channels(), edge_index, edge_weight, eps);
  PropagateArgs args;
  args.default_message = true;
  auto aggr = propagate(edge_index, x, x, edge_weight, args);
  return mlp->forward((1 + eps) * x + aggr);
}

}  // namespace gnnx::nn
