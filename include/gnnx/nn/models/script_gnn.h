#pragma once
/// A TorchScript GNN (torch.jit.trace or torch.jit.script of any PyTorch model, PyG's included)
/// behind gnnx's GNNModel interface, for models gnnx has no layer for.
///
/// The module's forward must take (x, edge_index[, edge_weight][, batch]) and return raw logits
/// [N, C] (node task) or [B, C] (graph task), or, for a link predictor (Task::kLink), take
/// (x, edge_index[, edge_weight], pairs [2, P]) and return [P, C] or [P]; which optional inputs it has is read from its
/// schema (argument names edge_weight / batch), or stated. gnnx cannot see inside the module:
///   * The edge mask reaches it through the edge_weight input: inside an nn::EdgeMaskScope,
///     forward passes edge_weight · mask (ones · mask without weights). What a weight means is
///     the model's own (GCN: a weighted degree, so mask 0 deletes the edge, degrees included).
///     A model without an edge_weight input refuses mask-based explainers (GNNExplainer, GRAD,
///     and edge attributions) with gnnx::Error. PyG's explain hook does not survive tracing (it
///     is a Python branch), so it is never used.
///   * Its receptive field is unknown unless stated: node explainers then run on the whole graph.
///   * Explainers that read layers (GNN-LRP, ATT) refuse it.
///
///   torch.jit.trace(model, (data.x, data.edge_index, torch.ones(E))).save("m.pt")   # Python
///   auto model = gnnx::nn::ScriptGnn::load("m.pt", ScriptGnnOptions(F, C));          // C++

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::nn {

/// Whether the module takes an optional input: read from its forward's schema, or stated.
enum class ScriptInput { kAuto, kYes, kNo };
GNNX_ENUM_NAMES(ScriptInput, "script input", {ScriptInput::kAuto, "auto"}, {ScriptInput::kYes, "yes"},
                {ScriptInput::kNo, "no"});

struct ScriptGnnOptions {
  ScriptGnnOptions(int64_t in_channels, int64_t num_classes) : in_channels_(in_channels), num_classes_(num_classes) {}
  /// Node features F the model takes.
  GNNX_ARG(int64_t, in_channels);
  /// Classes C it scores.
  GNNX_ARG(int64_t, num_classes);
  /// Node or graph classifier. Default node.
  GNNX_ARG(Task, task) = Task::kNode;
  /// Classification (logits) or regression (num_classes real outputs). Default classification.
  GNNX_ARG(Mode, mode) = Mode::kClassification;
  /// Its message-passing depth L, if known (-1: unknown; the explanations then cover the graph).
  GNNX_ARG(int64_t, num_hops) = -1;
  /// The hops its output at a node reads (GNNModel::receptive_field; a PyG GCN stack: L + 1).
  /// Default -1: unknown, node explainers run on the whole graph. A stated field is checked by
  /// the explainers (the logits on the cut subgraph must equal the full graph's).
  GNNX_ARG(int64_t, receptive_field) = -1;
  /// Whether forward takes edge_weight (third argument). Default: read from the schema.
  GNNX_ARG(ScriptInput, edge_weight_input) = ScriptInput::kAuto;
  /// Whether forward takes batch (after edge_weight, if any). Default: read from the schema.
  GNNX_ARG(ScriptInput, batch_input) = ScriptInput::kAuto;
};

class ScriptGnnImpl : public GNNModel {
 public:
  /// Throws gnnx::Error when the module has no forward taking at least (x, edge_index), or an
  /// option is out of range.
  ScriptGnnImpl(torch::jit::Module module, ScriptGnnOptions options);

  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {},
                     const at::Tensor& batch = {}, int64_t num_graphs = -1) override;
  /// Link task: the module's forward on (x, edge_index[, edge_weight], pairs), returning [P, C]
  /// (or [P] for C = 1, as PyG's link decoders do).
  at::Tensor forward_links(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                           const at::Tensor& pairs) override;
  Task task() const override { return options_.task(); }
  Mode mode() const override { return options_.mode(); }
  int64_t num_hops() const override { return options_.num_hops(); }
  int64_t receptive_field() const override { return options_.receptive_field(); }
  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t in_channels() const override { return options_.in_channels(); }
  /// None: the layers inside a TorchScript module are not gnnx's.
  std::vector<std::shared_ptr<MessagePassing>> message_passing_layers() const override { return {}; }
  void train(bool on = true) override;

  bool takes_edge_weight() const { return edge_weight_; }
  bool takes_batch() const { return batch_; }
  const ScriptGnnOptions& options() const { return options_; }

 private:
  // x, edge_index and edge_weight (times an active edge mask) checked, as the module takes them.
  std::vector<torch::jit::IValue> inputs(const at::Tensor& x, const at::Tensor& edge_index,
                                         const at::Tensor& edge_weight, const std::string& op) const;
  at::Tensor invoke(const std::vector<torch::jit::IValue>& inputs, const std::string& op, const at::Tensor& x,
                    int64_t E);

  torch::jit::Module module_;
  ScriptGnnOptions options_;
  bool edge_weight_ = false, batch_ = false;
};
TORCH_MODULE(ScriptGnn);

/// torch::jit::load(path) wrapped as a ScriptGnn, in eval mode, on the CPU. Throws gnnx::Error
/// naming the path when the file is missing or not TorchScript.
ScriptGnn load_script_gnn(const std::string& path, const ScriptGnnOptions& options);

}  // namespace gnnx::nn
