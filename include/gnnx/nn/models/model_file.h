#pragma once
/// One entry point for a model file, whatever made it: a gnnx model (save_gnn_classifier), a
/// PyTorch Geometric BasicGNN's state dict (torch.save(dict(model.state_dict()), path); see
/// pyg_import.h and docs/pyg.md), or a TorchScript GNN (script_gnn.h).

#include <memory>
#include <string>

#include "gnnx/core/arg.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::nn {

struct ModelFileOptions {
  /// The pooling of a PyG graph classifier, which its state dict does not record. Default mean.
  GNNX_ARG(Aggregation, readout) = Aggregation::kMean;
  /// What a TorchScript file cannot say about itself (ScriptGnnOptions): its input features and
  /// classes (both needed for TorchScript; -1: not given), task and receptive field.
  GNNX_ARG(int64_t, in_channels) = -1;
  GNNX_ARG(int64_t, num_classes) = -1;
  GNNX_ARG(Task, task) = Task::kNode;
  GNNX_ARG(int64_t, receptive_field) = -1;
  /// Whether a PyG state dict or a TorchScript model is a classifier or a regression model,
  /// which neither file records (a gnnx model file records its own). Default classification.
  GNNX_ARG(Mode, mode) = Mode::kClassification;
};

/// Reads the model at path: a gnnx model if the file is one, else a PyG state dict whose
/// architecture is read from its keys (infer_pyg_model_options), else a TorchScript module
/// (ScriptGnn, given in_channels and num_classes). Returns it in eval mode. Throws gnnx::Error
/// naming the path and what each reader found when it is none of them.
std::shared_ptr<GNNModel> load_model(const std::string& path, const ModelFileOptions& options = {});

}  // namespace gnnx::nn
