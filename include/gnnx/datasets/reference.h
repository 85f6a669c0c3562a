#pragma once
/// Reference models for the synthetic benchmarks: the GNNExplainer paper's classifier (3
/// message-passing layers of width 20, the concatenation of their outputs into a linear head;
/// max readout for the graph tasks) with GraphConv layers (sum aggregation + root weight, like
/// the original code's unnormalised (A + I) X W) and per-dataset training defaults that reach
/// test accuracies of 0.85 (BA-Community) to 0.95 and more (bench/bench_reference_models
/// measures them over 5 seeds; docs/methods/datasets.md gives the figures).

#include <cstdint>
#include <string>
#include <vector>

#include "gnnx/datasets/synthetic.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/train.h"

namespace gnnx::datasets {

/// Counterexamples for training a reference model: perturbed copies of the data whose labels
/// follow the rule that generated it (a node has its motif role, and a graph its motif's class,
/// only while the motif is complete). The plain graph never shows a model a broken motif, so nothing tells it that a
/// motif's far edges matter: on Tree-Cycles the plain reference model keeps its prediction for
/// the node joining a cycle to the tree when either cycle edge three hops away is deleted (log-
/// probability drop < 0.01), and no faithful explanation of it selects the whole cycle.
///
/// In each copy every motif instance is broken with probability break_prob (each of its template
/// edges deleted with probability 1/2, at least one), and its nodes then take their base's label,
/// the one just below the motif's smallest role (the generators number a motif's roles right
/// after its base's: BA-Shapes 0 | 1-3, BA-Community 0 | 1-3 and 4 | 5-7, the trees 0 | 1).
/// Every other edge (base, plug and random edges) is deleted with probability drop_prob, and
/// with soft_weights the kept ones are scaled by a weight drawn from U[0, 1) (as by an
/// explainer's soft mask), labels unchanged.
///
/// Graph tasks (counterexample_graphs): each training and validation graph gets `copies`
/// perturbed copies, perturbed the same way; a copy whose motif is broken takes a new class,
/// "no complete motif" (num_classes of the dataset), unless what is left of the motif is
/// isomorphic to another class's motif (Boost.Graph isomorphism: a house without the edge under
/// its roof is a five-cycle), whose class it then takes. On BA-2Motifs the plain model has a
/// default class: with every edge masked it still predicts, with probability > 0.9, the class of
/// one motif (which one depends on the seed), so nothing in that motif is necessary for its
/// prediction and an explanation of it is arbitrary; with the extra class an empty graph is
/// "no motif", and each motif alone keeps its class.
struct CounterexampleOptions {
  /// Perturbed copies trained on beside the graph; 0 = none. Default 0.
  GNNX_ARG(int64_t, copies) = 0;
  /// Probability that a motif instance is broken in a copy. Default 0.5.
  GNNX_ARG(double, break_prob) = 0.5;
  /// Probability that a non-motif edge is deleted in a copy. Default 0.1.
  GNNX_ARG(double, drop_prob) = 0.1;
  /// Weights from U[0, 1) on the non-motif edges a copy keeps, instead of 1. Default false.
  GNNX_ARG(bool, soft_weights) = false;
};

/// Throws gnnx::Error (message starts with `op`) unless copies >= 0 and break_prob and
/// drop_prob lie in [0, 1].
void check_counterexample_options(const CounterexampleOptions& options, const std::string& op);

/// Architecture and training settings of a reference model.
struct ReferenceConfig {
  nn::GNNClassifierOptions model{1, 1};
  nn::TrainOptions train;
  CounterexampleOptions counterexamples;
};

/// The training graph with counterexamples: the dataset's graph (nodes 0..N-1, so the dataset's
/// test ids stay valid) followed by options.copies() perturbed copies, as one disjoint union with
/// edge weights (1 on the dataset's graph). The split's train and val sets are the dataset's
/// train and val nodes in the graph and in every copy (validation on the training
/// distribution: the plain graph alone reaches 100 % long before the counterexamples are
/// learnt), test the dataset's test nodes. Throws gnnx::Error for a graph task, options out of
/// range, or a motif whose roles do not follow a label that base nodes carry.
struct AugmentedGraph {
  Graph graph;
  nn::Split split;
};
AugmentedGraph counterexample_graph(const Dataset& dataset, const CounterexampleOptions& options, uint64_t seed);

/// The training graphs with counterexamples (graph tasks): the dataset's graphs (same ids, so the
/// split's test ids stay valid) followed by options.copies() perturbed copies of every training
/// and validation graph. Train and val: the dataset's and their copies; test: the dataset's.
/// num_classes is the dataset's + 1 (the last class: no complete motif). Every graph carries
/// edge weights (1 where not soft). Throws gnnx::Error for a node task, options out of range, or
/// a graph without exactly one motif instance (BA-growth has none).
struct AugmentedGraphs {
  std::vector<Graph> graphs;
  nn::Split split;
  int64_t num_classes = 0;
};
AugmentedGraphs counterexample_graphs(const Dataset& dataset, const CounterexampleOptions& options, uint64_t seed);

/// The defaults for dataset.name (model in_channels / num_classes / task taken from the data).
/// Tree-Cycles trains with counterexamples (10 copies, drop_prob 0.3, soft weights), BA-2Motifs
/// too (2 copies, break_prob 0.5, drop_prob 0.5; its model has a third output, "no complete
/// motif"); the reasons are in reference.cpp and docs/methods/datasets.md. The other datasets train on their
/// graph(s) alone. Throws
/// gnnx::Error for a name outside dataset_names().
ReferenceConfig reference_config(const Dataset& dataset);

struct ReferenceModel {
  nn::GNNClassifier model{nullptr};
  nn::TrainResult result;
};

/// Builds the model with torch::manual_seed(seed) and trains it on dataset.split with
/// train.seed(seed). Node tasks train on the one graph; graph tasks on the list of graphs. With
/// counterexamples, node tasks train on counterexample_graph, graph tasks on
/// counterexample_graphs with a model of num_classes + 1 outputs (the last: no complete motif).
ReferenceModel train_reference_model(const Dataset& dataset, uint64_t seed = 0);
ReferenceModel train_reference_model(const Dataset& dataset, const ReferenceConfig& config, uint64_t seed);

}  // namespace gnnx::datasets
