#pragma once
/// The prototype protocol on the synthetic benchmarks: which instances a class prototype is built
/// from, the naive baselines it is compared with, and how a prototype graph is scored against
/// the class's motif (datasets/class_motif.h). bench/bench_prototype and `gnnx prototype` use it.

#include <cstdint>
#include <vector>

#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/prototype.h"
#include "gnnx/graph/generators.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::eval {

/// The instances of class `label` that the model puts in it: node ids (node tasks: y == label
/// and the model's prediction on the graph == label) or graph ids (graph tasks), ascending.
/// Throws gnnx::Error for a label outside [0, num_classes) or a model whose task differs.
std::vector<int64_t> class_instances(const datasets::Dataset& dataset, nn::GNNModel& model, int64_t label);

/// The prototype of class `label` of `dataset` (what `gnnx prototype` prints): the instances
/// class_instances finds are explained and aligned by explain::Prototype (build on the node
/// task's graph, build_graphs on the graph task's graphs, whose instances' targets then carry the
/// dataset's graph ids). Throws gnnx::Error naming "class_prototype" when the model puts no
/// instance in the class, and as class_instances and Prototype::build do.
explain::PrototypeResult class_prototype(const datasets::Dataset& dataset, nn::GNNModel& model, int64_t label,
                                         const explain::PrototypeOptions& options = {});

/// Baseline (a): the most frequent explanation subgraph up to isomorphism (Boost.Graph
/// isomorphism); among equally frequent ones, the one met first. Throws gnnx::Error for no
/// instances.
EdgeList most_frequent_subgraph(const std::vector<explain::ExplanationSubgraph>& instances);

/// Baseline (b): the mean of the instances' adjacencies in their own local node order (the
/// order the subgraph rule took the nodes in; node tasks: the explained node first), without
/// alignment, kept where >= threshold. Throws gnnx::Error for no instances.
EdgeList unaligned_union(const std::vector<explain::ExplanationSubgraph>& instances, double threshold = 0.5);

/// A graph against a motif.
struct MotifMatch {
  bool isomorphic = false;
  double edit_distance = 0;  ///< metrics::graph_edit_distance
  bool exact = true;         ///< false: edit_distance is an upper bound
};
MotifMatch match_motif(const EdgeList& graph, const EdgeList& motif);

}  // namespace gnnx::eval
