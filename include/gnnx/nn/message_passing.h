#pragma once
/// The MSG / AGG / UPDATE message-passing base class and the edge-mask hook.
///
///   m_ij = MSG(h_i, h_j, e_ij)      message from source j to target i along edge (j -> i)
///   M_i  = AGG{ m_ij : j -> i }     scatter over incoming edges (sum, mean or max)
///   h_i' = UPDATE(M_i, h_i)
///
/// A layer derives from MessagePassing, overrides message() / update() (and rarely
/// aggregate()), and calls propagate() from its forward(). propagate() gathers with
/// index_select and scatters with index_add / scatter_reduce, so the same code runs on CPU and
/// CUDA and is differentiable in x, in edge weights and in the edge mask. Layers that keep the
/// default message (w_ij x_j) and aggregation say so (PropagateArgs::default_message) and get
/// the fused kernels of gnnx/nn/functional/spmm.h instead, which never build the [E, F]
/// messages (the built-in GraphConv, GIN, SAGE and GAT do; GCN calls spmm directly).
///
/// Edge-mask hook. An explainer opens an EdgeMaskScope with a per-edge multiplier m [E] for the
/// graph it is about to run. Inside the scope every MessagePassing layer, on this thread,
/// multiplies each edge's message by m_e and aggregates with m as presence weight (mean divides
/// by Σ m, max skips m_e == 0), without the layer's author doing anything. So an all-ones mask
/// leaves outputs unchanged and m_e = 0 is exactly deleting edge e. Self loops that a layer adds
/// itself (GCN, GAT) are never masked: they get multiplier 1, so a node always keeps its own
/// state; a self loop present in the input edge_index is an ordinary edge and is masked. Layers
/// whose normalisation depends on edge weights (GCN's degrees, GAT's softmax) fold the mask into
/// that normalisation (see PropagateArgs::mask_in_weight), keeping "0 = deleted" exact.
/// The scope is thread-local, so explanations running in parallel threads do not interfere.
///
/// That is the default placement, MaskPlacement::kDeletion. MaskPlacement::kMessage is PyTorch
/// Geometric's: the mask multiplies each layer's finished message (after GCN's normalisation,
/// after GAT's softmax) and aggregation ignores it (mean divides by the number of in-edges, max
/// sees every message), so m_e = 0 silences edge e but leaves degrees and softmax as they were.
/// Both agree for sum aggregation without normalisation (GraphConv, GIN). docs/methods/
/// mask-placement.md compares them on models gnnx did not train.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "gnnx/core/enum_names.h"
#include "gnnx/nn/functional/scatter.h"
#include "gnnx/nn/index_range.h"

namespace gnnx::nn {

/// Where an edge mask enters a layer (see above).
enum class MaskPlacement {
  kDeletion,  ///< m_e = 0 deletes edge e: degrees, softmax and means see the mask
  kMessage,   ///< PyG's: the mask multiplies the normalised message only
};
GNNX_ENUM_NAMES(MaskPlacement, "mask placement", {MaskPlacement::kDeletion, "deletion"},
                {MaskPlacement::kMessage, "message"});

/// RAII: sets the active edge mask for this thread; restores the previous one on destruction.
/// mask: [E] floating, on the device of the graph the layers will see. Layers check that its
/// length equals their input's number of edges and throw gnnx::Error otherwise.
class EdgeMaskScope {
 public:
  /// A mask placed as the enclosing scope places it (kDeletion outside any scope).
  explicit EdgeMaskScope(at::Tensor mask);
  EdgeMaskScope(at::Tensor mask, MaskPlacement placement);
  ~EdgeMaskScope();
  EdgeMaskScope(const EdgeMaskScope&) = delete;
  EdgeMaskScope& operator=(const EdgeMaskScope&) = delete;

 private:
  at::Tensor previous_;
  MaskPlacement previous_placement_;
};

/// The mask set by the innermost EdgeMaskScope of this thread, or an undefined tensor.
at::Tensor active_edge_mask();
/// The placement of the innermost EdgeMaskScope of this thread (kDeletion outside any scope).
MaskPlacement active_mask_placement();

/// Per-layer message gates (GraphMask, Schlichtkrull et al. 2021). Inside a MessageGateScope the
/// k-th message-passing layer to run on this thread (k = 0, 1, ...) replaces each message by
///
///   m̃_e = z_e m_e + (1 − z_e) b        z = gates[k].gate [E], b = gates[k].baseline
///
/// after the layer's own normalisation (GCN's degrees, GAT's softmax), and aggregates m̃ as it
/// would m (mean divides by the number of in-edges, as under MaskPlacement::kMessage). Self loops
/// a layer adds itself are never gated. An undefined gate leaves its layer as it is; an undefined
/// baseline is the zero message (z then acts like an edge mask placed on messages). The scope is
/// thread-local; a forward that runs more message-passing layers than there are gates throws.
struct MessageGate {
  at::Tensor gate;      ///< [E] floating, each input edge's share of its own message; undefined: ungated
  at::Tensor baseline;  ///< one message's shape (the layer's LayerInput::message_shape), or undefined
};

/// RAII: sets per-layer gates for the message-passing layers that run on this thread in its
/// lifetime; restores the enclosing scope's on destruction.
class MessageGateScope {
 public:
  explicit MessageGateScope(std::vector<MessageGate> gates);
  ~MessageGateScope();
  MessageGateScope(const MessageGateScope&) = delete;
  MessageGateScope& operator=(const MessageGateScope&) = delete;
  /// How many message-passing layers have run (and taken their gate) in this scope so far.
  int64_t layers_run() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
  State* previous_;
};

/// What a message-passing layer received: the features its messages are built from (source),
/// the features of the nodes it updates (target), and the shape of one message.
struct LayerInput {
  std::string layer;                   ///< op name, e.g. "GCNConv"
  at::Tensor source;                   ///< [N, *] features read at each edge's source (detached)
  at::Tensor target;                   ///< [N', *] features of the target nodes (detached)
  int64_t num_edges = 0;               ///< input edges (self loops the layer adds excluded)
  std::vector<int64_t> message_shape;  ///< one message, e.g. {F} or {heads, F} (GAT)
};

/// RAII: records every message-passing layer that runs on this thread in its lifetime, in order
/// (what GraphMask's gates read). Nested recorders: the innermost records.
class LayerInputRecorder {
 public:
  LayerInputRecorder();
  ~LayerInputRecorder();
  LayerInputRecorder(const LayerInputRecorder&) = delete;
  LayerInputRecorder& operator=(const LayerInputRecorder&) = delete;
  const std::vector<LayerInput>& inputs() const { return inputs_; }

 private:
  std::vector<LayerInput> inputs_;
  LayerInputRecorder* previous_;
  friend class MessagePassing;
};

/// Extra facts a layer tells propagate().
struct PropagateArgs {
  /// The last `self_loops` columns of edge_index are self loops the layer added; they are not
  /// covered by the edge mask (multiplier 1).
  int64_t self_loops = 0;
  /// The layer already multiplied the mask into the edge weights it used to build its messages
  /// (see masked_edge_weight); propagate then does not multiply the messages again.
  bool mask_in_weight = false;
  /// Gather target features x_i for message(); when false message() gets an undefined x_i
  /// (saves one [E, F] gather for layers whose message depends on the source only).
  bool gather_target = false;
  /// The layer's message() and aggregate() are the base class's (m_ij = w_ij x_j; sum, mean or
  /// max). propagate() then runs MSG and AGG for sum and mean as one fused sparse-dense product
  /// (spmm) without materialising the [E, F] messages, and does not call message() or
  /// aggregate(). A layer that overrides either must leave this false.
  bool default_message = false;
};

class MessagePassing : public torch::nn::Module {
 public:
  explicit MessagePassing(Aggregation aggr = Aggregation::kSum) : aggr_(aggr) {}
  Aggregation aggregation() const { return aggr_; }

  /// MSG: x_i [E, *] target features, x_j [E, *] source features, edge_weight [E] (or [E, H]
  /// per head for x_j [E, H, *]) or undefined. Called once per propagate() with all edges at
  /// once. Default: x_j scaled by edge_weight.
  virtual at::Tensor message(const at::Tensor& x_i, const at::Tensor& x_j, const at::Tensor& edge_weight);
  /// AGG: messages [E, *] onto num_nodes targets. presence: [E] mask weights or undefined.
  /// Must be permutation-invariant over the edges of one target.
  virtual at::Tensor aggregate(const at::Tensor& messages, const at::Tensor& index, int64_t num_nodes,
                               const at::Tensor& presence);
  /// UPDATE: aggregated [N, *], x [N, *] the layer's input. Default: aggregated.
  virtual at::Tensor update(const at::Tensor& aggregated, const at::Tensor& x);

  /// True when node i's output depends only on x_i and on the messages of i's in-edges, each
  /// computed from its own endpoints (GraphConv, GIN, SAGE, GAT). An edge then reaches a node's
  /// output only through its target, which lets explainers drop the edges into nodes at the
  /// border of a computation subgraph. False when a message also reads other edges, e.g. GCN's
  /// normalisation reads the source's degree. Default false: a layer that does not say is not
  /// assumed local.
  virtual bool in_edge_local() const { return false; }
  /// How many hops beyond its in-edges' sources the layer's output at a node reads the graph:
  /// 0 when a message reads only its own edge and endpoints (every layer built on propagate()
  /// with its own message(); GraphConv, GIN, SAGE, GAT); 1 for GCN's symmetric normalisation,
  /// which reads each source's degree, i.e. the source's in-edges. GNNModel::receptive_field
  /// adds these up; a layer that computes such quantities itself must override this.
  virtual int64_t extra_hops() const { return 0; }

 protected:
  /// Runs MSG, AGG, UPDATE. edge_index [2, E] int64; x [N, F]; edge_weight [E] or undefined.
  /// Applies the active edge mask as described above.
  at::Tensor propagate(const at::Tensor& edge_index, const at::Tensor& x, const at::Tensor& edge_weight,
                       PropagateArgs args = {});
  /// propagate() with separate source and target features (x_src for x_j, x_dst for x_i and
  /// update); num_targets rows out.
  at::Tensor propagate(const at::Tensor& edge_index, const at::Tensor& x_src, const at::Tensor& x_dst,
                       const at::Tensor& edge_weight, PropagateArgs args);

  /// Validates a forward's inputs and throws gnnx::Error naming the layer (op_name()): x float
  /// [N, in_channels] with the dtype and device of `like` (a parameter of the layer); edge_index
  /// int64 [2, E] with ids in [0, N); edge_weight undefined or floating [E]. The id range comes
  /// from index_range(): open an IndexRangeScope at the top of forward() so that this check and
  /// propagate()'s find it again instead of measuring it twice (a device sync each on CUDA).
  void check_input(const at::Tensor& x, int64_t in_channels, const at::Tensor& edge_index,
                   const at::Tensor& edge_weight, const at::Tensor& like) const;
  /// The layer's name for messages: the class name without namespace and "Impl" ("GCNConv").
  std::string op_name() const;

  /// For layers that fold the mask into their own normalisation: edge_weight (or ones) times the
  /// active mask, for the num_edges original edges; edge_weight unchanged when no mask is set or
  /// when it is placed on messages (kMessage).
  at::Tensor masked_edge_weight(const at::Tensor& edge_weight, int64_t num_edges, const at::TensorOptions& opts) const;
  /// For layers that build their messages without propagate() (GCN): the weights of the
  /// messages, i.e. edge_weight times the active mask when it is placed on messages (kMessage),
  /// else edge_weight unchanged.
  at::Tensor message_edge_weight(const at::Tensor& edge_weight, int64_t num_edges, const at::TensorOptions& opts) const;

  /// For layers that build their messages without propagate() (GCN): takes this layer's gate
  /// from the active MessageGateScope (an empty MessageGate when none is active), checked against
  /// num_edges and the device and dtype of `like`, and records source / target for an active
  /// LayerInputRecorder. propagate() calls it itself.
  MessageGate take_message_gate(int64_t num_edges, const at::Tensor& source, const at::Tensor& target,
                                at::IntArrayRef message_shape) const;
  /// The baselines' share of the aggregated messages: b ⊗ Σ_{e into i} (1 − z_e) [num_targets, *]
  /// (divided by counts [num_targets] when defined, for mean aggregation), or an undefined tensor
  /// when the gate has no baseline. gate [E] covers the edges of dst [E].
  static at::Tensor baseline_share(const MessageGate& g, const at::Tensor& dst, int64_t num_targets,
                                   const at::Tensor& counts = {});

 private:
  Aggregation aggr_;
};

}  // namespace gnnx::nn
