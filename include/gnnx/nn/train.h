#pragma once
/// Training of GNN classifiers: Adam with weight decay, train/val/test split, accuracy, early
/// stopping on validation accuracy (the best-validation parameters are restored at the end).

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/log.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::nn {

/// Index sets into the nodes (node tasks) or into the list of graphs (graph tasks).
struct Split {
  at::Tensor train;  ///< [n_train] int64
  at::Tensor val;    ///< [n_val] int64
  at::Tensor test;   ///< [n_test] int64
};
/// A seeded random split of 0..n-1 with the given fractions (the rest is test).
Split random_split(int64_t n, double train_fraction, double val_fraction, uint64_t seed);

struct TrainOptions {
  /// Maximum epochs. Default 1000.
  GNNX_ARG(int64_t, epochs) = 1000;
  /// Adam learning rate. Default 0.01.
  GNNX_ARG(double, lr) = 0.01;
  /// Adam weight decay (L2). Default 5e-4.
  GNNX_ARG(double, weight_decay) = 5e-4;
  /// Stop after this many epochs without a better validation accuracy; 0 disables. Default 200.
  GNNX_ARG(int64_t, patience) = 200;
  /// Gradient-norm clipping; 0 disables. Default 2.0 (the GNNExplainer code's).
  GNNX_ARG(double, clip) = 2.0;
  /// Graphs per mini-batch (graph tasks). Default 64.
  GNNX_ARG(int64_t, batch_size) = 64;
  /// Seed for parameter initialisation, dropout and batch order. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
  /// Receives a progress line (epoch, loss, accuracies) every log_every epochs. Default: none
  /// (silent).
  GNNX_ARG(LogSink, log);
  /// Epochs between progress lines to log(); 0 sends none. Default 10.
  GNNX_ARG(int64_t, log_every) = 10;
};

struct TrainResult {
  double train_acc = 0, val_acc = 0, test_acc = 0;
  int64_t epochs_run = 0;
  int64_t best_epoch = 0;
  double seconds = 0;
};

/// Node classification on one graph with labels g.y [N]. Re-initialises nothing: seed the
/// model's construction with torch::manual_seed, or use make_and_train_*.
TrainResult train_node_classifier(GNNModel& model, const Graph& g, const Split& split,
                                  const TrainOptions& options = {});
/// Graph classification on a list of graphs, each with y of shape [1].
TrainResult train_graph_classifier(GNNModel& model, const std::vector<Graph>& graphs, const Split& split,
                                   const TrainOptions& options = {});

/// Accuracy of argmax(model) on the nodes `index` (node task) of g.
double node_accuracy(GNNModel& model, const Graph& g, const at::Tensor& index);
/// Accuracy on the graphs `index` of graphs (graph task).
double graph_accuracy(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& index);

}  // namespace gnnx::nn
