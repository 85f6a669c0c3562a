#pragma once
/// PyTorch Geometric models as gnnx GNNClassifiers: reads the `state_dict` of a PyG BasicGNN
/// (GCN, GraphSAGE, GIN, GAT, or a BasicGNN-shaped stack of GraphConv) saved from Python with
/// `torch.save(dict(model.state_dict()), path)` and builds the GNNClassifier that computes the
/// same logits. docs/pyg.md lists the supported layouts.
///
/// Node task: the BasicGNN itself, built with act="relu", norm=None and out_channels = the
/// number of classes; keys `convs.<i>.*`, plus `lin.*` when jk is "last" or "cat".
/// Graph task: a module holding `gnn`, a BasicGNN with out_channels=None, a global pooling of its
/// node outputs (global_add_pool, global_mean_pool or global_max_pool) and `lin`, a Linear from
/// hidden_channels to the classes; keys `gnn.convs.<i>.*`, `gnn.lin.*` (jk "last" or "cat") and
/// `lin.*`.

#include <cstdint>
#include <string>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::nn {

/// A PyG BasicGNN's Jumping Knowledge mode (its `jk` argument): none, the last layer's output,
/// or the concatenation of all layer outputs ("max" and "lstm" are not supported).
enum class PygJK { kNone, kLast, kCat };
GNNX_ENUM_NAMES(PygJK, "jk mode", {PygJK::kNone, "none"}, {PygJK::kLast, "last"}, {PygJK::kCat, "cat"});

/// The architecture of a PyG model, as its Python constructor states it.
struct PygModelOptions {
  PygModelOptions(int64_t in_channels, int64_t hidden_channels, int64_t num_layers, int64_t num_classes)
      : in_channels_(in_channels),
        hidden_channels_(hidden_channels),
        num_layers_(num_layers),
        num_classes_(num_classes) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, hidden_channels);
  GNNX_ARG(int64_t, num_layers);
  /// Node task: the BasicGNN's out_channels; graph task: the out_features of `lin`.
  GNNX_ARG(int64_t, num_classes);
  /// The layer: GCN, GraphConv, GIN, GraphSAGE ("sage") or GAT (v2=False). Default GCN.
  GNNX_ARG(ConvType, conv) = ConvType::kGCN;
  /// The BasicGNN's jk. Default none.
  GNNX_ARG(PygJK, jk) = PygJK::kNone;
  /// Node task (the BasicGNN) or graph task (gnn, pooling, lin). Default node.
  GNNX_ARG(Task, task) = Task::kNode;
  /// Classification (logits) or regression (num_classes real outputs). Default classification.
  GNNX_ARG(Mode, mode) = Mode::kClassification;
  /// The graph task's pooling: sum (global_add_pool), mean or max. Default mean.
  GNNX_ARG(Aggregation, readout) = Aggregation::kMean;
  /// GAT's heads. Default 1.
  GNNX_ARG(int64_t, heads) = 1;
};

/// The GNNClassifierOptions whose model computes what the PyG model of `options` computes (in
/// eval mode): jk none maps to conv_to_out (node task) or a plain head (graph task), jk last and
/// cat to act_last with concat false or true, the graph task's gnn.lin to jk_lin; GCN and GAT
/// layers get pyg_self_loops. Throws gnnx::Error when PyG cannot build that model (GAT:
/// hidden_channels not a multiple of heads).
GNNClassifierOptions pyg_classifier_options(const PygModelOptions& options);

/// Reads a torch.save'd plain dict of a PyG model's parameters (`dict(model.state_dict())`) and
/// returns the equivalent GNNClassifier in eval mode, in the file's floating dtype. Every key the
/// architecture needs must be there with PyG's shape, and no other key (a norm layer's, say):
/// otherwise one gnnx::Error names the file and lists each missing, misshapen or unexpected key
/// with the expected and the found shape. Also throws when the file is missing or unreadable, or
/// holds a collections.OrderedDict (`torch.save(model.state_dict())`; save a plain dict).
GNNClassifier import_pyg_state_dict(const std::string& path, const PygModelOptions& options);

/// The architecture of the PyG state dict at `path`, read from its key names and shapes: the
/// task (graph when the keys start with "gnn."), the layer type, the number of layers, the widths,
/// GAT's heads and the jk mode (jk "cat" and "last" are the same model for one layer: "last").
/// The readout cannot be read from the keys: graph models get `readout`. Throws gnnx::Error naming
/// the path when the keys match no supported layout.
PygModelOptions infer_pyg_model_options(const std::string& path, Aggregation readout = Aggregation::kMean);

}  // namespace gnnx::nn
