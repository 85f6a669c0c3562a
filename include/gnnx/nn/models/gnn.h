#pragma once
/// GNN models: the interface explainers take (GNNModel) and the configurable classifier of the
/// GNNExplainer paper (GNNClassifier).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

/// What a model predicts: one row per node, one row per graph of a batch, or one row per node
/// pair (link prediction: GNNModel::forward_links).
enum class Task { kNode, kGraph, kLink };
GNNX_ENUM_NAMES(Task, "task", {Task::kNode, "node"}, {Task::kGraph, "graph"}, {Task::kLink, "link"});

/// What a model's outputs are: one logit per class, or real values (regression), one per output.
enum class Mode { kClassification, kRegression };
GNNX_ENUM_NAMES(Mode, "mode", {Mode::kClassification, "classification"}, {Mode::kRegression, "regression"});

/// Which message-passing layer a GNNClassifier stacks.
enum class ConvType { kGCN, kGraphConv, kGIN, kSAGE, kGAT };
GNNX_ENUM_NAMES(ConvType, "conv type", {ConvType::kGCN, "gcn"}, {ConvType::kGraphConv, "graphconv"},
                {ConvType::kGIN, "gin"}, {ConvType::kSAGE, "sage"}, {ConvType::kGAT, "gat"});

/// The interface every explainer in gnnx takes. Implement it for your own model; the edge-mask
/// hook works for any model whose message passing goes through gnnx::nn::MessagePassing.
class GNNModel : public torch::nn::Module {
 public:
  /// x [N, F]; edge_index [2, E]; edge_weight [E] or undefined; batch [N] graph id per node
  /// (graph tasks; undefined means one graph); num_graphs B (or -1: batch.max() + 1).
  /// Returns raw logits: [N, C] for node tasks, [B, C] for graph tasks; for link tasks the node
  /// representations [N, D] that forward_links decodes.
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {},
                             const at::Tensor& batch = {}, int64_t num_graphs = -1) = 0;
  virtual Task task() const = 0;
  /// Link tasks: the logits [P, C] of the node pairs `pairs` [2, P] (int64), i.e. of the links
  /// pairs[0][p] -> pairs[1][p], on the graph (x, edge_index, edge_weight). Explainers explain a
  /// Target::link(u, v) on the union of u's and v's computation subgraphs. The default throws
  /// gnnx::Error: only link predictors override it.
  virtual at::Tensor forward_links(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                   const at::Tensor& pairs);
  /// Classification (the default): forward returns logits and a Target's label is a class.
  /// Regression: forward returns num_classes() real outputs per row and a Target's label names
  /// the output explained; explainers then explain that value (GNNExplainer and PGExplainer keep
  /// it close to the full graph's by a squared error instead of a cross-entropy).
  virtual Mode mode() const { return Mode::kClassification; }
  /// Number of message-passing layers L: a node's prediction depends on its L-hop neighbourhood.
  virtual int64_t num_hops() const = 0;
  /// The hops of graph around a node that its output reads: node-task explainers cut each
  /// explained node's computation subgraph at this many hops, so that the prediction they
  /// explain is the model's prediction on the whole graph. -1: unknown, explain on the whole
  /// graph. Default: from message_passing_layers() when there is one per hop, max over layers i
  /// (0-based) of L - i + layers[i]->extra_hops() (a GCN stack: L + 1); else -1.
  virtual int64_t receptive_field() const;
  virtual int64_t num_classes() const = 0;
  virtual int64_t in_channels() const = 0;
  /// The message-passing layers in the order they run.
  virtual std::vector<std::shared_ptr<MessagePassing>> message_passing_layers() const = 0;
  /// The coefficients of the model's attention layers (GATConv) in one forward on x, edge_index
  /// and edge_weight, one entry per such layer in the order they run; what the ATT baseline
  /// reads. The default reports none (an empty list): override it in a model with attention.
  virtual std::vector<Attention> attention(const at::Tensor& x, const at::Tensor& edge_index,
                                           const at::Tensor& edge_weight = {});

  /// The depth K of the layout forward_trimmed takes, or 0 when the model cannot run trimmed:
  /// explainers then keep only the edges into nodes fewer than K hops from each target. Default:
  /// num_hops() when every layer is in-edge local (MessagePassing::in_edge_local), else 0.
  virtual int64_t trimmed_hops() const;

  /// Node tasks: the logits of the explained nodes only, on a graph laid out by hop distance
  /// (PyG's trim_to_layer), for explainers that run many computation subgraphs at once. With
  /// K = trimmed_hops(): the nodes within d hops of an explained node are the first
  /// nodes_per_hop[d] rows of x (d = 0..K-1; the explained nodes are the first nodes_per_hop[0]),
  /// and edge_index holds only edges into nodes fewer than K hops away, sorted so that the edges
  /// into the nodes within d hops are its first edges_per_hop[d] (edges_per_hop[K-1] = E). An
  /// active EdgeMaskScope has one entry per edge. Returns [nodes_per_hop[0], C].
  /// Layer l's output is only needed within L - l hops, so an override may run layer l on fewer
  /// nodes and edges: exact when a layer's output at a node reads only the node and its in-edges,
  /// and for GCN (K = L + 1) when the degrees come from the edges one hop further out. The
  /// default runs forward() on everything and slices.
  virtual at::Tensor forward_trimmed(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                     const std::vector<int64_t>& nodes_per_hop,
                                     const std::vector<int64_t>& edges_per_hop);

  /// forward on a Graph (uses its x, edge_index and edge_weight; one graph for graph tasks).
  at::Tensor forward_graph(const Graph& g);
};

/// The output a target explains, given the model's outputs for its row (`outputs` [C], any
/// device): `label` itself when it is in [0, C); for label -1 the model's own prediction, i.e. the
/// argmax class of a classifier, or output 0 of a regression model with one output. Throws
/// gnnx::Error naming op for a label outside [-1, C) and for -1 on a regression model with several
/// outputs (which one to explain is then the caller's choice).
int64_t explained_output(const GNNModel& model, const at::Tensor& outputs, int64_t label, const std::string& op);

/// Throws gnnx::Error naming op unless pairs is int64 [2, P] with ids in [0, num_nodes).
void check_link_pairs(const std::string& op, const at::Tensor& pairs, int64_t num_nodes);

struct GNNClassifierOptions {
  GNNClassifierOptions(int64_t in_channels, int64_t num_classes)
      : in_channels_(in_channels), num_classes_(num_classes) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, num_classes);
  /// Node or graph classification, or link prediction: the head then scores a pair (u, v) from
  /// the product z_u ⊙ z_v of the two nodes' representations (forward_links). Default node.
  GNNX_ARG(Task, task) = Task::kNode;
  /// Classification, or regression with num_classes real outputs (trained by
  /// train_node_regressor / train_graph_regressor). Default classification.
  GNNX_ARG(Mode, mode) = Mode::kClassification;
  /// Layer type. Default GCN (the GNNExplainer paper's).
  GNNX_ARG(ConvType, conv) = ConvType::kGCN;
  /// Width of every message-passing layer. Default 20 (the paper's).
  GNNX_ARG(int64_t, hidden_channels) = 20;
  /// Number of message-passing layers. Default 3.
  GNNX_ARG(int64_t, num_layers) = 3;
  /// Feed the concatenation of all layer outputs to the head (the paper's); else the last only.
  /// Default true.
  GNNX_ARG(bool, concat) = true;
  /// The root term W_root x_i of GraphConv and SAGE layers. Default true (PyG's); the original
  /// GNNExplainer code has none when it concatenates layer outputs.
  GNNX_ARG(bool, root_weight) = true;
  /// L2-normalise every node's embedding after each message-passing layer, before its
  /// activation (the original GNNExplainer code's GraphConv, `normalize_embedding=True`). It makes
  /// the model nearly invariant to a common scale of the incoming messages, which is what a soft
  /// edge mask applies. Default false.
  GNNX_ARG(bool, normalize_embedding) = false;
  /// ReLU after the last message-passing layer too. Default false (the paper's code).
  GNNX_ARG(bool, act_last) = false;
  /// Graph readout over nodes (graph task). Default max (the paper's code).
  GNNX_ARG(Aggregation, readout) = Aggregation::kMax;
  /// Dropout on layer outputs during training. Default 0.
  GNNX_ARG(double, dropout) = 0.0;
  /// Attention heads for GAT (concatenated, each hidden / heads wide). Default 1.
  GNNX_ARG(int64_t, heads) = 1;
  /// The last message-passing layer outputs the num_classes logits itself and there is no head
  /// (`head` is null); a GAT last layer then averages its heads. Requires concat and act_last
  /// false. PyG's BasicGNN with out_channels and jk=None. Default false.
  GNNX_ARG(bool, conv_to_out) = false;
  /// A Linear(representation, hidden_channels) on every node's representation before the
  /// readout and the head (module `jk_lin`): PyG's BasicGNN with jk and no out_channels, inside a
  /// graph classifier. Default false.
  GNNX_ARG(bool, jk_lin) = false;
  /// Width of a hidden layer, with a ReLU, between the representation (after the readout for
  /// graph tasks) and the head (module `head_mlp`): the head becomes a two-layer MLP, which can
  /// learn classes that are not linear in the pooled features (BA-MultiShapes' "exactly two motif
  /// kinds"). 0: the head is one linear layer. Requires conv_to_out false. Default 0.
  GNNX_ARG(int64_t, head_hidden) = 0;
  /// GCN and GAT layers treat input self loops as PyG does: GCN keeps an input self loop (and its
  /// weight) instead of adding one, GAT ignores input self loops and adds its own. The same as
  /// the default (false) on graphs without self loops.
  GNNX_ARG(bool, pyg_self_loops) = false;
};

class GNNClassifierImpl : public GNNModel {
 public:
  explicit GNNClassifierImpl(GNNClassifierOptions options);
  void reset();

  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {},
                     const at::Tensor& batch = {}, int64_t num_graphs = -1) override;
  /// Runs layer l on the nodes within L - l + 1 hops and the edges into those within L - l; GCN
  /// layers take their degrees from the edges into the nodes within L - l + 1 hops.
  at::Tensor forward_trimmed(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                             const std::vector<int64_t>& nodes_per_hop,
                             const std::vector<int64_t>& edges_per_hop) override;
  /// The node embeddings each layer outputs (after its activation), [N, hidden] each (the last
  /// [N, num_classes] with conv_to_out).
  std::vector<at::Tensor> embeddings(const at::Tensor& x, const at::Tensor& edge_index,
                                     const at::Tensor& edge_weight = {});
  /// The concatenation (or the last) of embeddings(), [N, D]; the head's input for the nodes
  /// unless options.jk_lin() (then jk_lin's).
  at::Tensor node_representation(const std::vector<at::Tensor>& embeddings) const;
  /// GAT: each layer's coefficients; other layer types: none.
  std::vector<Attention> attention(const at::Tensor& x, const at::Tensor& edge_index,
                                   const at::Tensor& edge_weight = {}) override;

  Task task() const override { return options.task(); }
  Mode mode() const override { return options.mode(); }
  /// Link task: head(z_u ⊙ z_v) for each pair, z = forward(x, edge_index, edge_weight).
  at::Tensor forward_links(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                           const at::Tensor& pairs) override;
  int64_t num_hops() const override { return options.num_layers(); }
  /// GCN: receptive_field() (its degrees read one hop further); other layers: num_hops().
  int64_t trimmed_hops() const override;
  int64_t num_classes() const override { return options.num_classes(); }
  int64_t in_channels() const override { return options.in_channels(); }
  std::vector<std::shared_ptr<MessagePassing>> message_passing_layers() const override { return convs_; }

  GNNClassifierOptions options;
  torch::nn::Linear head{nullptr};    ///< null with options.conv_to_out()
  torch::nn::Linear jk_lin{nullptr};  ///< set with options.jk_lin()
  torch::nn::Linear head_mlp{nullptr};  ///< set with options.head_hidden() > 0

 private:
  // Layer i on h, with the normalisation, activation and dropout that follow it; an attention
  // layer also sets *attention when it is given.
  at::Tensor layer(size_t i, const at::Tensor& h, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                   Attention* attention = nullptr);
  // The normalisation, activation and dropout after layer i.
  at::Tensor finish_layer(size_t i, at::Tensor out);
  // The head (and jk_lin) on node representations, readout first for graph tasks; the last
  // embedding itself without a head.
  at::Tensor classify(const at::Tensor& rep, const at::Tensor& batch, int64_t num_graphs, int64_t N,
                      const at::Tensor& edge_index);
  // The head: one linear layer, or a hidden layer with ReLU before it (head_mlp); rep itself without a head.
  at::Tensor apply_head(const at::Tensor& rep);
  // Every layer's output (embeddings()); with `attention`, appends each attention layer's coefficients.
  std::vector<at::Tensor> run_layers(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                     std::vector<Attention>* attention);

  std::vector<std::shared_ptr<MessagePassing>> convs_;
  std::vector<std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, Attention*)>> run_;
};
TORCH_MODULE(GNNClassifier);

/// Saves parameters and options so that load_gnn_classifier rebuilds the same model. Written to
/// a temporary file and renamed, so an interrupted save never leaves a half-written model.
void save_gnn_classifier(GNNClassifier& model, const std::string& path);
/// Throws gnnx::Error naming the path when the file is missing, truncated or not a gnnx model.
GNNClassifier load_gnn_classifier(const std::string& path);

}  // namespace gnnx::nn
