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
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == options.in_channels(), "GCNConv: x must have shape [N, ",
             options.in_channels(), "], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2, "GCNConv: edge_index must have shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(!edge_weight.defined() || (edge_weight.dim() == 1 && edge_weight.size(0) == edge_index.size(1)),
             "GCNConv: edge_weight must have shape [", edge_index.size(1), "], got ",
             edge_weight.defined() ? edge_weight.sizes() : at::IntArrayRef{});
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
    auto dinv = deg.pow(-0.5);
    dinv = torch::where(deg > 0, dinv, torch::zeros_like(dinv));
    norm = dinv.index_select(0, ei[0]) * norm * dinv.index_select(0, col);
  }
  auto out = propagate(ei, h, norm, PropagateArgs{/*self_loops=*/loops, /*mask_in_weight=*/true});
  if (bias.defined()) out = out + bias;
  return out;
}

}  // namespace gnnx::nn
