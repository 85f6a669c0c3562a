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

/// What train_node_regressor and train_graph_regressor report: mean squared errors over every
/// output of the split's rows.
struct RegressionResult {
  double train_mse = 0, val_mse = 0, test_mse = 0;
  int64_t epochs_run = 0;
  int64_t best_epoch = 0;
  double seconds = 0;
};

/// Node regression on one graph: a model with mode() Mode::kRegression and C = num_classes()
/// outputs learns targets [N] (C = 1) or [N, C], floating and finite, by the mean squared error;
/// early stopping on the validation MSE (the best-validation parameters are restored).
RegressionResult train_node_regressor(GNNModel& model, const Graph& g, const at::Tensor& targets, const Split& split,
                                      const TrainOptions& options = {});
/// Graph regression: targets [B] (C = 1) or [B, C], one row per graph of `graphs`.
RegressionResult train_graph_regressor(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& targets,
                                       const Split& split, const TrainOptions& options = {});
/// The mean squared error of the model's outputs on the rows `index` (nodes of g) against targets.
double node_mse(GNNModel& model, const Graph& g, const at::Tensor& targets, const at::Tensor& index);
/// The same over the graphs `index` of graphs.
double graph_mse(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& targets, const at::Tensor& index);

/// Link prediction data: the graph messages pass over and the node pairs a link predictor learns
/// and is scored on, each [2, P] int64 (one direction per undirected edge).
struct LinkSplit {
  Graph graph;           ///< the input graph less the validation and test edges (both directions)
  at::Tensor train_pos;  ///< the edges of graph, one direction each
  at::Tensor val_pos, val_neg, test_pos, test_neg;  ///< held-out edges, and as many drawn non-edges
};
/// Holds out val_fraction and test_fraction of g's undirected edges (removing both directions
/// from the message-passing graph) and draws as many non-edges for each (seeded). g must store
/// both directions of every edge; throws gnnx::Error otherwise, or when no edge is left to train on.
LinkSplit random_link_split(const Graph& g, double val_fraction, double test_fraction, uint64_t seed);

/// Link prediction: a Task::kLink classifier of 2 classes (0: no edge, 1: edge) learns train_pos
/// against as many non-edges drawn anew every epoch (cross-entropy, full batch); early stopping on
/// the accuracy over val_pos and val_neg. The accuracies reported: train (train_pos and one draw of
/// non-edges), val and test (each split's edges and non-edges).
TrainResult train_link_predictor(GNNModel& model, const LinkSplit& split, const TrainOptions& options = {});

/// Accuracy of argmax(model) on the nodes `index` (node task) of g.
double node_accuracy(GNNModel& model, const Graph& g, const at::Tensor& index);
/// Accuracy on the graphs `index` of graphs (graph task).
double graph_accuracy(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& index);

}  // namespace gnnx::nn
