#include "gnnx/nn/conv/gcn_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/spmm.h"

namespace gnnx::nn {

GCNConvImpl::GCNConvImpl(GCNConvOptions options_) : MessagePassing(Aggregation::kSum), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
             "GCNConv: channels must be positive, got in = ", options.in_channels(),
             ", out = ", options.out_channels());
  reset();
}

void GCNConvImpl::reset() {
  lin = register_module(
      "lin", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(false)));
  if (options.bias()) bias = register_parameter("bias", torch::zeros({options.out_channels()}));
}

at::Tensor GCNConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  IndexRangeScope ranges;  // edge_index's range is measured once per forward
  check_input(x, options.in_channels(), edge_index, edge_weight, lin->weight);
  return normalised_sum(x, edge_index, edge_weight, edge_index.size(1));
}

at::Tensor GCNConvImpl::forward_prefix(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                       int64_t message_edges) {
  const auto op = op_name() + "::forward_prefix";
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             op, ": edge_index must be int64 of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  const int64_t E = edge_index.size(1);
  GNNX_CHECK(message_edges >= 0 && message_edges <= E, op, ": message_edges must lie in [0, ", E, "], got ",
             message_edges);
  GNNX_CHECK(x.defined() && x.dim() == 2, op, ": x must have shape [N, ", options.in_channels(), "]");
  GNNX_CHECK(!edge_weight.defined() || (edge_weight.dim() == 1 && edge_weight.size(0) == E), op,
             ": edge_weight must have shape [", E, "], got ",
             edge_weight.defined() ? edge_weight.sizes() : at::IntArrayRef{});
  // Of the edges past the messages only the targets are read. Measured before this call's own
  // scope opens, so that an enclosing IndexRangeScope (an explainer's epochs) keeps the range.
  if (E > message_edges)
    check_index_range(edge_index[1].slice(0, message_edges), x.size(0), op, "edge_index's targets");
  IndexRangeScope ranges;
  const auto messages = edge_index.slice(1, 0, message_edges);
  check_input(x, options.in_channels(), messages,
              edge_weight.defined() ? edge_weight.slice(0, 0, message_edges) : edge_weight, lin->weight);
  return normalised_sum(x, edge_index, edge_weight, message_edges);
}

at::Tensor GCNConvImpl::normalised_sum(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                       int64_t message_edges) {
  const int64_t N = x.size(0);
  const int64_t E = edge_index.size(1);
  auto h = lin(x);
  // kDeletion: the mask joins the edge weights before normalisation, so degrees see it (0 =
  // deleted edge). kMessage: degrees use the plain weights and the mask scales the normalised
  // messages. (GCN applies the mask hook here rather than in propagate(); self loops stay unmasked.)
  auto w = masked_edge_weight(edge_weight, E, h.options());
  if (w.defined()) w = w.to(h.scalar_type());
  const bool loops = options.add_self_loops();
  // Remaining self loops: input self loops leave the edge sum and set their node's self weight
  // (1 elsewhere); every node then has exactly one self loop of weight self_w.
  at::Tensor self_w;
  if (loops && options.remaining_self_loops()) {
    const auto input_loop = edge_index[0] == edge_index[1];
    const auto all_w = w.defined() ? w : torch::ones({E}, h.options());
    self_w = torch::ones({N}, h.options())
                 .index_put({edge_index[1].masked_select(input_loop)}, all_w.masked_select(input_loop))
                 .view({N, 1});
    w = torch::where(input_loop, torch::zeros({}, h.options()), all_w);
  }
  auto wm = message_edge_weight(w, E, h.options());
  const bool all = message_edges == E;
  const auto msg_index = all ? edge_index : edge_index.slice(1, 0, message_edges);
  if (wm.defined() && !all) wm = wm.slice(0, 0, message_edges);
  // A message gate (MessageGateScope) scales the normalised messages; its baseline's share joins
  // the sum after the normalisation, as one more message.
  const auto gate = take_message_gate(message_edges, h, h, {h.size(1)});
  if (gate.gate.defined()) wm = wm.defined() ? wm * gate.gate : gate.gate;
  // D^-1/2 (A + I) D^-1/2 h = dinv ⊙ (A (dinv ⊙ h) + dinv ⊙ h): two row scalings around one
  // sparse product, so no per-edge normalisation and no concatenated self-loop edges are built.
  at::Tensor out;
  if (options.normalize()) {
    auto deg =
        torch::zeros({N}, h.options()).index_add(0, edge_index[1], w.defined() ? w : torch::ones({E}, h.options()));
    if (loops) deg = self_w.defined() ? deg + self_w.view({N}) : deg + 1;
    // pow(-0.5) only where deg > 0: a degree-0 node (no self loop, every in-edge masked) would
    // otherwise put inf into the backward pass and NaN into the mask's gradient.
    const auto positive = deg > 0;
    auto dinv = torch::where(positive, deg, torch::ones_like(deg)).pow(-0.5);
    dinv = torch::where(positive, dinv, torch::zeros_like(dinv)).view({N, 1});
    auto hs = h * dinv;
    auto agg = spmm(msg_index, wm, hs, N);
    out = (loops ? agg + (self_w.defined() ? hs * self_w : hs) : agg) * dinv;
  } else {
    auto agg = spmm(msg_index, wm, h, N);
    out = loops ? agg + (self_w.defined() ? h * self_w : h) : agg;
  }
  auto share = baseline_share(gate, msg_index[1], N);
  if (share.defined()) out = out + share;
  if (bias.defined()) out = out + bias;
  return out;
}

}  // namespace gnnx::nn
