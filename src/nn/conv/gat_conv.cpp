#include "gnnx/nn/conv/gat_conv.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/softmax.h"

namespace gnnx::nn {

GATConvImpl::GATConvImpl(GATConvOptions options_) : MessagePassing(Aggregation::kSum), options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0 && options.out_channels() > 0 && options.heads() > 0,
             "GATConv: channels and heads must be positive, got in = ", options.in_channels(),
             ", out = ", options.out_channels(), ", heads = ", options.heads());
  reset();
}

void GATConvImpl::reset() {
  const int64_t H = options.heads(), C = options.out_channels();
  lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), H * C).bias(false)));
  // Glorot-uniform attention vectors, as PyG.
  const double a = std::sqrt(6.0 / static_cast<double>(H + C));
  att_src = register_parameter("att_src", torch::empty({1, H, C}).uniform_(-a, a));
  att_dst = register_parameter("att_dst", torch::empty({1, H, C}).uniform_(-a, a));
  if (options.bias()) bias = register_parameter("bias", torch::zeros({options.concat() ? H * C : C}));
}

at::Tensor GATConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight) {
  return forward_with_attention(x, edge_index, edge_weight).out;
}

GATConvOutput GATConvImpl::forward_with_attention(const at::Tensor& x, const at::Tensor& edge_index,
                                                  const at::Tensor& edge_weight) {
  IndexRangeScope ranges;  // edge_index's range is measured once per forward
  check_input(x, options.in_channels(), edge_index, edge_weight, lin->weight);
  const int64_t N = x.size(0), E = edge_index.size(1), H = options.heads(), C = options.out_channels();
  auto h = lin(x).view({N, H, C});
  // Both attention logits of every head in one product [N, H·C] × [H·C, 2H], the second factor
  // block-diagonal (head h's att_src and att_dst in its block): one GEMM forward and two backward,
  // where (h * att).sum(-1) materialised an [N, H, C] product and reduced att's gradient over N.
  auto att = torch::stack({att_src, att_dst}, -1).squeeze(0);                        // [H, C, 2]
  auto blocks = att.unsqueeze(2) * torch::eye(H, att.options()).view({H, 1, H, 1});  // [H, C, H, 2]
  auto a = h.view({N, H * C}).mm(blocks.view({H * C, 2 * H})).view({N, H, 2});
  auto a_src = a.select(2, 0);  // [N, H]
  auto a_dst = a.select(2, 1);
  // Presence weights (edge weights times the mask) enter the softmax: α ∝ w exp(e).
  auto w = masked_edge_weight(edge_weight, E, h.options());
  if (options.add_self_loops() && options.replace_self_loops()) {
    const auto input_loop = edge_index[0] == edge_index[1];
    w = torch::where(input_loop, torch::zeros({}, h.options()), w.defined() ? w : torch::ones({E}, h.options()));
  }
  auto ei = edge_index;
  int64_t loops = 0;
  if (options.add_self_loops()) {
    auto ar = torch::arange(N, edge_index.options());
    ei = torch::cat({edge_index, torch::stack({ar, ar})}, 1);
    // Its range follows from edge_index's (which check_input left in `ranges`) and N: no sync.
    IndexRange r{0, N - 1};
    if (N > 0 && (E == 0 || detail::known_index_range(edge_index, r)))
      detail::remember_index_range(ranges, ei, {std::min<int64_t>(r.lo, 0), std::max<int64_t>(r.hi, N - 1)});
    if (w.defined()) w = torch::cat({w, torch::ones({N}, w.options())});
    loops = N;
  }
  // Softmax over the in-edges of each target (presence-weighted), fused (see edge_softmax).
  auto alpha = edge_softmax(ei, a_src, a_dst, w, options.negative_slope());
  // MSG x_j α_ij per head is the base class's default message with per-head weights α [E, H].
  PropagateArgs args;
  args.self_loops = loops;
  args.mask_in_weight = true;
  args.default_message = true;
  auto out = propagate(ei, h, h, alpha, args);  // [N, H, C]
  out = options.concat() ? out.reshape({N, H * C}) : out.mean(1);
  if (bias.defined()) out = out + bias;
  GATConvOutput r;
  r.out = out;
  r.attention.alpha = alpha.slice(0, 0, E);
  if (options.add_self_loops()) r.attention.self_alpha = alpha.slice(0, E);
  return r;
}

}  // namespace gnnx::nn
