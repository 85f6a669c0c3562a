#include "gnnx/nn/message_passing.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {
namespace {
// The innermost EdgeMaskScope of this thread (thread-local so parallel explanations of one
// shared model do not see each other's masks).
thread_local at::Tensor t_edge_mask;

at::Tensor per_edge(const at::Tensor& w, const at::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = w.size(0);
  return w.to(like.scalar_type()).view(shape);
}
}  // namespace

EdgeMaskScope::EdgeMaskScope(at::Tensor mask) : previous_(t_edge_mask) {
  GNNX_CHECK(mask.defined(), "EdgeMaskScope: mask is undefined");
  GNNX_CHECK(mask.dim() == 1, "EdgeMaskScope: mask must have shape [E], got ", mask.sizes());
  GNNX_CHECK(at::isFloatingType(mask.scalar_type()), "EdgeMaskScope: mask must be floating point, got ",
             mask.scalar_type());
  t_edge_mask = std::move(mask);
}

EdgeMaskScope::~EdgeMaskScope() { t_edge_mask = previous_; }

at::Tensor active_edge_mask() { return t_edge_mask; }

at::Tensor MessagePassing::message(const at::Tensor& /*x_i*/, const at::Tensor& x_j, const at::Tensor& edge_weight) {
  return edge_weight.defined() ? x_j * per_edge(edge_weight, x_j) : x_j;
}

at::Tensor MessagePassing::aggregate(const at::Tensor& messages, const at::Tensor& index, int64_t num_nodes,
                                     const at::Tensor& presence) {
  return scatter(messages, index, num_nodes, aggr_, presence);
}

at::Tensor MessagePassing::update(const at::Tensor& aggregated, const at::Tensor& /*x*/) { return aggregated; }

at::Tensor MessagePassing::masked_edge_weight(const at::Tensor& edge_weight, int64_t num_edges,
                                              const at::TensorOptions& opts) const {
  const auto& mask = t_edge_mask;
  if (!mask.defined()) return edge_weight;
  GNNX_CHECK(mask.size(0) == num_edges, name(), ": the active edge mask has ", mask.size(0),
             " entries but the layer's input has ", num_edges, " edges");
  GNNX_CHECK(mask.device() == opts.device(), name(), ": the edge mask is on ", mask.device(),
             " but the layer's input is on ", opts.device());
  auto m = mask.to(opts.dtype());
  return edge_weight.defined() ? edge_weight * m : m;
}

at::Tensor MessagePassing::propagate(const at::Tensor& edge_index, const at::Tensor& x, const at::Tensor& edge_weight,
                                     PropagateArgs args) {
  return propagate(edge_index, x, x, edge_weight, args);
}

at::Tensor MessagePassing::propagate(const at::Tensor& edge_index, const at::Tensor& x_src, const at::Tensor& x_dst,
                                     const at::Tensor& edge_weight, PropagateArgs args) {
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             name(), ": edge_index must be an int64 tensor of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(x_src.defined() && x_src.dim() >= 1 && x_dst.defined() && x_dst.dim() >= 1, name(),
             ": node features must have shape [N, *]");
  GNNX_CHECK(x_src.device() == edge_index.device(), name(), ": x is on ", x_src.device(),
             " but edge_index is on ", edge_index.device());
  const int64_t E = edge_index.size(1);
  const int64_t N = x_dst.size(0);
  if (edge_index.is_cuda() && E > 0) {
    // Out-of-range ids are a device-side assert on CUDA (which poisons the context), so check here.
    auto hi = edge_index.max().item<int64_t>(), lo = edge_index.min().item<int64_t>();
    GNNX_CHECK(lo >= 0 && hi < std::min(N, x_src.size(0)), name(), ": edge_index holds node id ",
               lo < 0 ? lo : hi, " outside [0, ", N, ")");
  }
  try {
    const auto src = edge_index[0];
    const auto dst = edge_index[1];
    auto x_j = x_src.index_select(0, src);
    at::Tensor x_i = args.gather_target ? x_dst.index_select(0, dst) : at::Tensor();
    auto messages = message(x_i, x_j, edge_weight);
    GNNX_CHECK(messages.size(0) == E, name(), ": message() returned ", messages.size(0), " rows for ", E, " edges");
    at::Tensor presence;
    const auto& mask = t_edge_mask;
    if (mask.defined()) {
      GNNX_CHECK(mask.size(0) == E - args.self_loops, name(), ": the active edge mask has ", mask.size(0),
                 " entries but the layer's input has ", E - args.self_loops, " edges");
      GNNX_CHECK(mask.device() == messages.device(), name(), ": the edge mask is on ", mask.device(),
                 " but the layer's input is on ", messages.device());
      presence = mask.to(messages.scalar_type());
      if (args.self_loops > 0) presence = torch::cat({presence, torch::ones({args.self_loops}, presence.options())});
      if (!args.mask_in_weight) messages = messages * per_edge(presence, messages);
    }
    auto aggregated = aggregate(messages, dst, N, presence);
    return update(aggregated, x_dst);
  } catch (const c10::Error& e) {
    // Index errors (a node id >= N) surface from LibTorch; name the layer.
    GNNX_CHECK(false, name(), ": message passing failed (", e.what_without_backtrace(),
               "); check that edge_index holds ids in [0, N) with N = ", N);
  }
  return {};
}

}  // namespace gnnx::nn
