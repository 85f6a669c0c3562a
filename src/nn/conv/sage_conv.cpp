#include "gnnx/nn/conv/sage_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

SAGEConvImpl::SAGEConvImpl(SAGEConvOptions options_) : MessagePassing(options_.aggr()), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
             "SAGEConv: channels must be positive, got in = ", options.in_channels(),
             ", out = ", options.out_channels());
  reset();
}

void SAGEConvImpl::reset() {
  lin_l = register_module(
      "lin_l",
      torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(options.bias())));
  if (options.root_weight())
    lin_r = register_module("lin_r",
                            torch::nn::Linear(
                                torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(false)));
}

at::Tensor SAGEConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  IndexRangeScope ranges;  // edge_index's range is measured once per forward
  check_input(x, options.in_channels(), edge_index, edge_weight, lin_l->weight);
  PropagateArgs args;
  args.default_message = true;
  auto out = lin_l(propagate(edge_index, x, x, edge_weight, args));
  if (options.root_weight()) out = out + lin_r(x);
  if (options.normalize())
    out = torch::nn::functional::normalize(out, torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
  return out;
}

}  // namespace gnnx::nn
