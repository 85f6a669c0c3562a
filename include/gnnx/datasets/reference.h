#pragma once
/// Reference models for the synthetic benchmarks: the GNNExplainer paper's classifier (3 GCN
/// layers of width 20, the concatenation of their outputs into a linear head; max readout for
/// the graph tasks) with per-dataset training defaults that reach the test accuracy
/// targets (bench/bench_reference_models measures them over 5 seeds).

#include <cstdint>

#include "gnnx/datasets/synthetic.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/train.h"

namespace gnnx::datasets {

/// Architecture and training settings of a reference model.
struct ReferenceConfig {
  nn::GnnClassifierOptions model{1, 1};
  nn::TrainOptions train;
};

/// The defaults for dataset.name (model in_channels / num_classes / task taken from the data).
/// Throws gnnx::Error for a name outside dataset_names().
ReferenceConfig reference_config(const Dataset& dataset);

struct ReferenceModel {
  nn::GnnClassifier model{nullptr};
  nn::TrainResult result;
};

/// Builds the model with torch::manual_seed(seed) and trains it on dataset.split with
/// train.seed(seed). Node tasks train on the one graph; graph tasks on the list of graphs.
ReferenceModel train_reference_model(const Dataset& dataset, uint64_t seed = 0);
ReferenceModel train_reference_model(const Dataset& dataset, const ReferenceConfig& config, uint64_t seed);

}  // namespace gnnx::datasets
