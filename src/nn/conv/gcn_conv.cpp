#include "gnnx/nn/conv/gcn_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

GCNConvImpl::GCNConvImpl(GCNConvOptions options_) : MessagePassing(Aggregation::kSum), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
             "GCNConv: channels must be positive, got in = ", options.in_channels(), ", out = ", options.out_channels());
  reset();
}

void GCNConvImpl::reset() {
  lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(false)));
  if (options.bias()) bias = register_parameter("bias", torch::zeros({options.out_channels()}));
}

at::Tensor GCNConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  check_input(x, options.in_channels(), edge_index, edge_weight, lin->weight);
  const int64_t N = x.size(0);
  const int64_t E = edge_index.size(1);
  auto h = lin(x);
  // The mask joins the edge weights before normalisation, so degrees see it: 0 = deleted edge.
  auto w = masked_edge_weight(edge_weight, E, h.options());
  if (!w.defined()) w = torch::ones({E}, h.options());
  auto ei = edge_index;
  int64_t loops = 0;
  if (options.add_self_loops()) {
    auto ar = torch::arange(N, edge_index.options());
    ei = torch::cat({edge_index, torch::stack({ar, ar})}, 1);
    w = torch::cat({w.to(h.scalar_type()), torch::ones({N}, h.options())});
    loops = N;
  }
  auto norm = w.to(h.scalar_type());
  if (options.normalize()) {
    const auto col = ei[1];
    auto deg = torch::zeros({N}, h.options()).index_add(0, col, norm);
    // pow(-0.5) only where deg > 0: a degree-0 node (no self loop, every in-edge masked) would
    // otherwise put inf into the backward pass and NaN into the mask's gradient.
    const auto positive = deg > 0;
    auto dinv = torch::where(positive, deg, torch::ones_like(deg)).pow(-0.5);
    dinv = torch::where(positive, dinv, torch::zeros_like(dinv));
    norm = dinv.index_select(0, ei[0]) * norm * dinv.index_select(0, col);
  }
  PropagateArgs args;
  args.self_loops = loops;
  args.mask_in_weight = true;
  args.default_message = true;
  auto out = propagate(ei, h, h, norm, args);
  if (bias.defined()) out = out + bias;
  return out;
}

}  // namespace gnnx::nn
