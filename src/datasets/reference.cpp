#include "gnnx/datasets/reference.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::datasets {

ReferenceConfig reference_config(const Dataset& d) {
  d.validate("reference_config");
  ReferenceConfig c;
  c.model = nn::GnnClassifierOptions(d.graphs.front().num_features(), d.num_classes)
                .task(d.task)
                .conv(nn::ConvType::kGCN)
                .hidden_channels(20)
                .num_layers(3)
                .concat(true);
  // Tuned with bench/bench_reference_models (mean test accuracy over 5 seeds); see the README.
  if (d.name == "ba-shapes") {
    c.train.epochs(1000).lr(0.01).weight_decay(5e-4).patience(300);
  } else if (d.name == "ba-community") {
    c.train.epochs(1000).lr(0.01).weight_decay(5e-4).patience(300);
  } else if (d.name == "tree-cycles") {
    c.train.epochs(1000).lr(0.01).weight_decay(5e-4).patience(300);
  } else if (d.name == "tree-grid") {
    c.train.epochs(1000).lr(0.01).weight_decay(5e-4).patience(300);
  } else if (d.name == "ba-2motifs") {
    c.model.readout(nn::Aggregation::kMax);
    c.train.epochs(200).lr(0.01).weight_decay(0).batch_size(64).patience(50);
  } else if (d.name == "ba-growth") {
    c.model.readout(nn::Aggregation::kMax);
    c.train.epochs(200).lr(0.01).weight_decay(0).batch_size(64).patience(50);
  } else {
    GNNX_CHECK(false, "reference_config: no reference model for dataset '", d.name, "'");
  }
  return c;
}

ReferenceModel train_reference_model(const Dataset& dataset, uint64_t seed) {
  return train_reference_model(dataset, reference_config(dataset), seed);
}

ReferenceModel train_reference_model(const Dataset& dataset, const ReferenceConfig& config, uint64_t seed) {
  dataset.validate("train_reference_model");
  ReferenceModel out;
  torch::manual_seed(seed);
  out.model = nn::GnnClassifier(config.model);
  out.model->to(dataset.graphs.front().device());
  auto train = config.train;
  train.seed(seed);
  if (dataset.task == nn::Task::kNode) {
    out.result = nn::train_node_classifier(*out.model, dataset.graphs.front(), dataset.split, train);
  } else {
    out.result = nn::train_graph_classifier(*out.model, dataset.graphs, dataset.split, train);
  }
  return out;
}

}  // namespace gnnx::datasets
