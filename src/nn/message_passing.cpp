#include "gnnx/nn/message_passing.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/spmm.h"

namespace gnnx::nn {
namespace {
// The innermost EdgeMaskScope of this thread (thread-local so parallel explanations of one
// shared model do not see each other's masks).
thread_local at::Tensor t_edge_mask;
thread_local MaskPlacement t_mask_placement = MaskPlacement::kDeletion;
// The innermost MessageGateScope's gates and LayerInputRecorder of this thread.
thread_local MessageGateScope::State* t_gates = nullptr;
thread_local LayerInputRecorder* t_recorder = nullptr;

// w [E] or [E, H] viewed to broadcast against like [E, H, ...].
at::Tensor per_edge(const at::Tensor& w, const at::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  for (int64_t d = 0; d < w.dim(); ++d) shape[static_cast<size_t>(d)] = w.size(d);
  return w.to(like.scalar_type()).view(shape);
}

// edge_weight times this thread's active edge mask (the mask alone when edge_weight is
// undefined), or edge_weight itself when no mask is active. op names the layer in errors.
at::Tensor with_mask(const std::string& op, const at::Tensor& edge_weight, int64_t num_edges,
                     const at::TensorOptions& opts) {
  const auto& mask = t_edge_mask;
  if (!mask.defined()) return edge_weight;
  GNNX_CHECK(mask.size(0) == num_edges, op, ": the active edge mask has ", mask.size(0),
             " entries but the layer's input has ", num_edges, " edges");
  GNNX_CHECK(mask.device() == opts.device(), op, ": the edge mask is on ", mask.device(),
             " but the layer's input is on ", opts.device());
  auto m = mask.to(opts.dtype());
  return edge_weight.defined() ? edge_weight * m : m;
}

const char* dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    default: return c10::toString(t);
  }
}
}  // namespace

EdgeMaskScope::EdgeMaskScope(at::Tensor mask) : EdgeMaskScope(std::move(mask), t_mask_placement) {}

EdgeMaskScope::EdgeMaskScope(at::Tensor mask, MaskPlacement placement)
    : previous_(t_edge_mask), previous_placement_(t_mask_placement) {
  GNNX_CHECK(mask.defined(), "EdgeMaskScope: mask is undefined");
  GNNX_CHECK(mask.dim() == 1, "EdgeMaskScope: mask must have shape [E], got ", mask.sizes());
  GNNX_CHECK(at::isFloatingType(mask.scalar_type()), "EdgeMaskScope: mask must be floating point, got ",
             mask.scalar_type());
  t_edge_mask = std::move(mask);
  t_mask_placement = placement;
}

EdgeMaskScope::~EdgeMaskScope() {
  t_edge_mask = previous_;
  t_mask_placement = previous_placement_;
}

struct MessageGateScope::State {
  std::vector<MessageGate> gates;
  size_t next = 0;
};

MessageGateScope::MessageGateScope(std::vector<MessageGate> gates)
    : state_(std::make_unique<State>()), previous_(t_gates) {
  for (size_t k = 0; k < gates.size(); ++k) {
    const auto& g = gates[k];
    GNNX_CHECK(!g.gate.defined() || (g.gate.dim() == 1 && at::isFloatingType(g.gate.scalar_type())),
               "MessageGateScope: gate ", k, " must be a floating tensor of shape [E], got ",
               g.gate.defined() ? g.gate.sizes() : at::IntArrayRef{});
    GNNX_CHECK(!g.baseline.defined() || at::isFloatingType(g.baseline.scalar_type()), "MessageGateScope: baseline ",
               k, " must be floating point, got ", g.baseline.defined() ? g.baseline.scalar_type() : at::kFloat);
  }
  state_->gates = std::move(gates);
  t_gates = state_.get();
}

MessageGateScope::~MessageGateScope() { t_gates = previous_; }

int64_t MessageGateScope::layers_run() const { return static_cast<int64_t>(state_->next); }

LayerInputRecorder::LayerInputRecorder() : previous_(t_recorder) { t_recorder = this; }

LayerInputRecorder::~LayerInputRecorder() { t_recorder = previous_; }

at::Tensor active_edge_mask() { return t_edge_mask; }

MaskPlacement active_mask_placement() { return t_mask_placement; }

at::Tensor MessagePassing::message(const at::Tensor& /*x_i*/, const at::Tensor& x_j, const at::Tensor& edge_weight) {
  return edge_weight.defined() ? x_j * per_edge(edge_weight, x_j) : x_j;
}

at::Tensor MessagePassing::aggregate(const at::Tensor& messages, const at::Tensor& index, int64_t num_nodes,
                                     const at::Tensor& presence) {
  return scatter(messages, index, num_nodes, aggr_, presence);
}

at::Tensor MessagePassing::update(const at::Tensor& aggregated, const at::Tensor& /*x*/) { return aggregated; }

std::string MessagePassing::op_name() const {
  std::string n = name();
  const auto colon = n.rfind("::");
  if (colon != std::string::npos) n = n.substr(colon + 2);
  if (n.size() > 4 && n.compare(n.size() - 4, 4, "Impl") == 0) n.resize(n.size() - 4);
  return n;
}

void MessagePassing::check_input(const at::Tensor& x, int64_t in_channels, const at::Tensor& edge_index,
                                 const at::Tensor& edge_weight, const at::Tensor& like) const {
  const auto op = op_name();
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == in_channels, op, ": x must have shape [N, ", in_channels,
             "], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(x.scalar_type() == like.scalar_type(), op, ": x must be ", dtype_name(like.scalar_type()),
             " like the layer's parameters, got ", x.scalar_type());
  GNNX_CHECK(x.device() == like.device(), op, ": x is on ", x.device(), " but the layer's parameters are on ",
             like.device());
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2, op,
             ": edge_index must have shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(edge_index.scalar_type() == at::kLong, op, ": edge_index must be int64, got ", edge_index.scalar_type());
  GNNX_CHECK(edge_index.device() == x.device(), op, ": edge_index is on ", edge_index.device(), " but x is on ",
             x.device());
  const int64_t N = x.size(0), E = edge_index.size(1);
  check_index_range(edge_index, N, op);
  if (edge_weight.defined()) {
    GNNX_CHECK(edge_weight.dim() == 1 && edge_weight.size(0) == E, op, ": edge_weight must have shape [", E, "], got ",
               edge_weight.sizes());
    GNNX_CHECK(at::isFloatingType(edge_weight.scalar_type()), op, ": edge_weight must be floating point, got ",
               edge_weight.scalar_type());
    GNNX_CHECK(edge_weight.device() == x.device(), op, ": edge_weight is on ", edge_weight.device(), " but x is on ",
               x.device());
  }
}

at::Tensor MessagePassing::masked_edge_weight(const at::Tensor& edge_weight, int64_t num_edges,
                                              const at::TensorOptions& opts) const {
  return t_mask_placement == MaskPlacement::kMessage ? edge_weight : with_mask(op_name(), edge_weight, num_edges, opts);
}

at::Tensor MessagePassing::message_edge_weight(const at::Tensor& edge_weight, int64_t num_edges,
                                               const at::TensorOptions& opts) const {
  return t_mask_placement == MaskPlacement::kMessage ? with_mask(op_name(), edge_weight, num_edges, opts) : edge_weight;
}

MessageGate MessagePassing::take_message_gate(int64_t num_edges, const at::Tensor& source, const at::Tensor& target,
                                             at::IntArrayRef message_shape) const {
  if (t_recorder != nullptr) {
    LayerInput in;
    in.layer = op_name();
    in.source = source.detach();
    in.target = target.detach();
    in.num_edges = num_edges;
    in.message_shape = message_shape.vec();
    t_recorder->inputs_.push_back(std::move(in));
  }
  if (t_gates == nullptr) return {};
  const auto op = op_name();
  auto& st = *t_gates;
  GNNX_CHECK(st.next < st.gates.size(), op, ": the MessageGateScope holds gates for ", st.gates.size(),
             " message-passing layer(s), but layer ", st.next + 1, " ran");
  MessageGate g = st.gates[st.next++];
  if (!g.gate.defined()) return {};
  GNNX_CHECK(g.gate.size(0) == num_edges, op, ": its message gate has ", g.gate.size(0),
             " entries but the layer's input has ", num_edges, " edges");
  GNNX_CHECK(g.gate.device() == source.device(), op, ": its message gate is on ", g.gate.device(),
             " but the layer's input is on ", source.device());
  g.gate = g.gate.to(source.scalar_type());
  if (g.baseline.defined()) {
    int64_t n = 1;
    for (const auto d : message_shape) n *= d;
    GNNX_CHECK(g.baseline.numel() == n, op, ": its baseline message has ", g.baseline.numel(),
               " entries, but one message has shape ", message_shape);
    GNNX_CHECK(g.baseline.device() == source.device(), op, ": its baseline message is on ", g.baseline.device(),
               " but the layer's input is on ", source.device());
    g.baseline = g.baseline.to(source.scalar_type()).reshape(message_shape);
  }
  return g;
}

at::Tensor MessagePassing::baseline_share(const MessageGate& g, const at::Tensor& dst, int64_t num_targets,
                                          const at::Tensor& counts) {
  if (!g.gate.defined() || !g.baseline.defined()) return {};
  auto r = torch::zeros({num_targets}, g.gate.options()).index_add(0, dst.slice(0, 0, g.gate.size(0)), 1 - g.gate);
  if (counts.defined()) r = r / counts.to(r.scalar_type());
  std::vector<int64_t> shape(static_cast<size_t>(g.baseline.dim()) + 1, 1);
  shape[0] = num_targets;
  return r.view(shape) * g.baseline.unsqueeze(0);
}

at::Tensor MessagePassing::propagate(const at::Tensor& edge_index, const at::Tensor& x, const at::Tensor& edge_weight,
                                     PropagateArgs args) {
  return propagate(edge_index, x, x, edge_weight, args);
}

at::Tensor MessagePassing::propagate(const at::Tensor& edge_index, const at::Tensor& x_src, const at::Tensor& x_dst,
                                     const at::Tensor& edge_weight, PropagateArgs args) {
  const auto op = op_name();
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             op, ": edge_index must be an int64 tensor of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(x_src.defined() && x_src.dim() >= 1 && x_dst.defined() && x_dst.dim() >= 1, op,
             ": node features must have shape [N, *]");
  GNNX_CHECK(x_src.device() == edge_index.device(), op, ": x is on ", x_src.device(), " but edge_index is on ",
             edge_index.device());
  const int64_t E = edge_index.size(1);
  const int64_t N = x_dst.size(0);
  // Out-of-range ids are a device-side assert on CUDA (which poisons the context), so check here;
  // on CPU the kernels check. The range usually comes from the layer's IndexRangeScope: no sync.
  if (edge_index.is_cuda()) check_index_range(edge_index, std::min(N, x_src.size(0)), op);
  // presence: the mask as aggregation sees it (kDeletion); multiplier: what scales the messages
  // (kDeletion unless the layer folded the mask into its weights; always under kMessage).
  at::Tensor presence, multiplier;
  const auto& mask = t_edge_mask;
  if (mask.defined()) {
    GNNX_CHECK(mask.size(0) == E - args.self_loops, op, ": the active edge mask has ", mask.size(0),
               " entries but the layer's input has ", E - args.self_loops, " edges");
    GNNX_CHECK(mask.device() == x_src.device(), op, ": the edge mask is on ", mask.device(),
               " but the layer's input is on ", x_src.device());
    auto m = mask.to(x_src.scalar_type());
    if (args.self_loops > 0) m = torch::cat({m, torch::ones({args.self_loops}, m.options())});
    if (t_mask_placement == MaskPlacement::kMessage) {
      multiplier = m;
    } else {
      presence = m;
      if (!args.mask_in_weight) multiplier = m;
    }
  }
  // The layer's message gate (MessageGateScope), taken where the shape of one message is known:
  // here for the default message (x_j scaled), after message() otherwise.
  MessageGate gate;
  at::Tensor gate_all;  // the gate with 1 for the layer's own self loops
  auto take_gate = [&](at::IntArrayRef shape) {
    gate = take_message_gate(E - args.self_loops, x_src, x_dst, shape);
    if (gate.gate.defined())
      gate_all = args.self_loops > 0 ? torch::cat({gate.gate, torch::ones({args.self_loops}, gate.gate.options())})
                                     : gate.gate;
  };
  if (args.default_message) take_gate(x_src.sizes().slice(1));
  try {
    const auto dst = edge_index[1];
    if (gate_all.defined() && multiplier.defined()) multiplier = multiplier * gate_all;
    const bool gated_max = gate_all.defined() && aggr_ == Aggregation::kMax;  // runs materialised
    if (args.default_message && !gated_max && aggr_ == Aggregation::kMax &&
        (!edge_weight.defined() || edge_weight.dim() == 1)) {
      // Fused max: the arg-max edges are found without materialising messages (see spmm_max).
      at::Tensor coef = edge_weight;
      if (multiplier.defined()) coef = coef.defined() ? coef * multiplier : multiplier;
      return update(spmm_max(edge_index, coef, x_src, N, presence), x_dst);
    }
    if (args.default_message && aggr_ != Aggregation::kMax) {
      // Fused MSG + AGG: out_i = Σ_j c_ij x_j with c = edge weight (times the mask unless the
      // layer already folded it in), then the mean's division by the summed presence.
      at::Tensor coef = edge_weight;
      const auto mult = multiplier.defined() ? multiplier : gate_all;
      if (mult.defined()) coef = coef.defined() ? coef * per_edge(mult, coef) : mult;
      auto out = spmm(edge_index, coef, x_src, N);
      at::Tensor denom;
      if (aggr_ == Aggregation::kMean) {
        auto p = presence.defined() ? presence : torch::ones({E}, x_src.options());
        denom = torch::zeros({N}, x_src.options()).index_add(0, dst, p);
        denom = torch::where(denom > 0, denom, torch::ones_like(denom));
        std::vector<int64_t> dshape(static_cast<size_t>(out.dim()), 1);
        dshape[0] = N;
        out = out / denom.view(dshape);
      }
      auto share = baseline_share(gate, dst, N, denom);
      if (share.defined()) out = out + share;
      return update(out, x_dst);
    }
    const auto src = edge_index[0];
    auto x_j = x_src.index_select(0, src);
    at::Tensor x_i = args.gather_target ? x_dst.index_select(0, dst) : at::Tensor();
    auto messages = message(x_i, x_j, edge_weight);
    GNNX_CHECK(messages.size(0) == E, op, ": message() returned ", messages.size(0), " rows for ", E, " edges");
    if (!args.default_message) {
      take_gate(messages.sizes().slice(1));
      if (gate_all.defined()) multiplier = multiplier.defined() ? multiplier * gate_all : gate_all;
    }
    if (gate_all.defined() && !multiplier.defined()) multiplier = gate_all;
    if (multiplier.defined()) messages = messages * per_edge(multiplier, messages);
    if (gate.baseline.defined()) messages = messages + per_edge(1 - gate_all, messages) * gate.baseline.unsqueeze(0);
    auto aggregated = aggregate(messages, dst, N, presence);
    return update(aggregated, x_dst);
  } catch (const c10::Error& e) {
    // Index errors (a node id >= N) surface from LibTorch; name the layer.
    GNNX_CHECK(false, op, ": message passing failed (", e.what_without_backtrace(),
               "); check that edge_index holds ids in [0, N) with N = ", N);
  }
  return {};
}

}  // namespace gnnx::nn
