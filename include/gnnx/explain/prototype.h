#pragma once
/// Prototype by alignment (GNNExplainer, Ying et al. 2019, "multi-instance explanations"): one
/// explanation for a whole class. Many instances of one class (nodes of a node classifier, or
/// graphs of a graph classifier) are explained in one batched call of any registered explainer;
/// each explanation is cut to its explanation subgraph; every subgraph is aligned to a reference
/// (explain/alignment.h); the aligned adjacencies are averaged (or their element-wise median
/// taken) into a weighted prototype, which a threshold turns into a prototype graph.
///
/// Explanation subgraph (SubgraphRule, docs/methods/prototype.md): the undirected edges whose
/// score (the larger of the two directions' edge-mask values) is at least relative_threshold times
/// the instance's largest score, grown greedily from the explained node (graph tasks: from the
/// top-scoring edge), always taking the highest-scoring such edge that touches the nodes taken so
/// far, until max_edges edges are taken or none is left. Node tasks put the explained node first
/// (local id 0); with anchor(true) the alignments keep it on prototype node 0.
///
/// Node features for the alignment (NodeFeatures): kStructure, each node's degree in its
/// subgraph and (node tasks) its hop distance to the explained node, scaled by 1/2; or kInput,
/// the graph's rows of x.
///
/// Reference (ReferenceRule): kMedoid, the instance with the least total alignment cost to all
/// instances among up to reference_candidates candidates drawn with the seed; kIterate, that
/// medoid first, then the reference becomes the weighted prototype (and mean aligned features)
/// and every instance is aligned again, until no permutation changes or max_iterations.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/core/options.h"
#include "gnnx/core/target.h"
#include "gnnx/explain/alignment.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

enum class ReferenceRule {
  kMedoid,   ///< the candidate instance of least total alignment cost
  kIterate,  ///< the medoid, then the prototype itself until the alignments stop changing
};
GNNX_ENUM_NAMES(ReferenceRule, "reference rule", {ReferenceRule::kMedoid, "medoid"},
                {ReferenceRule::kIterate, "iterate"});

enum class PrototypeAggregation {
  kMean,    ///< A = mean of the aligned adjacencies (the seed's formula)
  kMedian,  ///< element-wise median (lower median for an even count)
};
GNNX_ENUM_NAMES(PrototypeAggregation, "prototype aggregation", {PrototypeAggregation::kMean, "mean"},
                {PrototypeAggregation::kMedian, "median"});

enum class NodeFeatures {
  kStructure,  ///< degree in the subgraph and hop distance to the explained node (node tasks)
  kInput,      ///< the graph's node features x
};
GNNX_ENUM_NAMES(NodeFeatures, "node features", {NodeFeatures::kStructure, "structure"},
                {NodeFeatures::kInput, "input"});

/// How an explanation is cut to its explanation subgraph (see the file comment).
struct SubgraphRule {
  /// Edges scoring at least this fraction of the instance's top score are candidates. Default 0.5.
  GNNX_ARG(double, relative_threshold) = 0.5;
  /// Most undirected edges taken. Default 12 (the 3×3 grid's count; a house has 6).
  GNNX_ARG(int64_t, max_edges) = 12;
};

struct PrototypeOptions {
  /// Registered explainer (make_explainer). Default "gnnexplainer".
  GNNX_ARG(std::string, explainer) = "gnnexplainer";
  /// Its text options; "seed" defaults to seed(). Default none (the explainer's defaults).
  GNNX_ARG(OptionMap, explainer_options) = {};
  /// Most instances used: a larger list is cut to this many, drawn with the seed; 0 = all.
  /// Default 0.
  GNNX_ARG(int64_t, instances) = 0;
  /// Default: relative threshold 0.5, at most 12 edges.
  GNNX_ARG(SubgraphRule, subgraph) = SubgraphRule();
  /// Default medoid.
  GNNX_ARG(ReferenceRule, reference) = ReferenceRule::kMedoid;
  /// Medoid candidates (drawn with the seed when there are more instances). Default 16.
  GNNX_ARG(int64_t, reference_candidates) = 16;
  /// kIterate: most re-alignments. Default 10.
  GNNX_ARG(int64_t, max_iterations) = 10;
  /// Alignment solver and weights. Default sinkhorn, feature weight 0.25.
  GNNX_ARG(AlignmentOptions, alignment) = AlignmentOptions();
  /// Default structure.
  GNNX_ARG(NodeFeatures, node_features) = NodeFeatures::kStructure;
  /// Node tasks: keep every explained node on prototype node 0 (and use the hop distance to it
  /// as a structural feature), so the prototype is the structure seen from the class's role.
  /// Default false: the subgraphs align as unrooted graphs, which a class whose nodes hold
  /// different places in the motif needs (Tree-Grid's one class for all nine grid nodes) and
  /// which costs nothing measurable where the roles are split (BA-Shapes; bench_prototype,
  /// docs/benchmarks.md).
  GNNX_ARG(bool, anchor) = false;
  /// Default mean.
  GNNX_ARG(PrototypeAggregation, aggregation) = PrototypeAggregation::kMean;
  /// Prototype edges: aligned weight >= threshold (mean: the fraction of instances having the
  /// edge). Default 0.5.
  GNNX_ARG(double, threshold) = 0.5;
  /// Seed of the explainer (unless explainer_options holds one) and of the draws. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// One instance's explanation subgraph.
struct ExplanationSubgraph {
  Target target;                     ///< the instance (label resolved)
  std::vector<int64_t> nodes;        ///< graph node ids of local nodes 0..n-1 (node tasks: [0] is the target)
  EdgeList edges;                    ///< undirected, local ids, in the order the rule took them
  std::vector<double> scores;        ///< per edge: its edge-mask score
  std::vector<int64_t> node_labels;  ///< per node: graph.y (node tasks with labels), else empty
  at::Tensor features;               ///< [n, F] float64: the graph's x rows (undefined without x)
};

/// Cuts explanation e of target e.target on graph to its explanation subgraph. Node tasks use
/// graph; graph tasks the explained graph itself. Throws gnnx::Error naming
/// "explanation_subgraph" when e has no edge mask, its mask does not fit the graph, the rule is
/// out of range, or no edge scores above 0 (an empty explanation).
ExplanationSubgraph explanation_subgraph(const Graph& graph, const Explanation& e, const SubgraphRule& rule = {});

struct PrototypeResult {
  /// [n, n] float64, symmetric: the aggregated aligned adjacencies (n = the largest subgraph).
  at::Tensor adjacency;
  /// The prototype graph: pairs (u < v) of prototype nodes with adjacency >= threshold.
  EdgeList edges;
  std::vector<double> edge_weights;  ///< adjacency of each edge of `edges`
  /// [n]: per prototype node, the most frequent graph label of the instance nodes aligned to it
  /// (-1 without node labels or when only padding lands there).
  std::vector<int64_t> roles;
  /// [n]: per prototype node, the fraction of instances with a real (not padded) node on it.
  std::vector<double> node_frequency;
  /// Per instance: permutation[i][k] = the prototype node of instance i's local node k (padded
  /// nodes included, so each has n entries).
  std::vector<std::vector<int64_t>> permutations;
  std::vector<double> costs;  ///< per instance: the cost of its alignment to the final reference
  int64_t reference = 0;      ///< index of the reference instance (kIterate: the first reference)
  int64_t iterations = 0;     ///< alignments of all instances run (1 for kMedoid)
  bool anchored = false;      ///< node tasks with anchor(true): every explained node is prototype node 0
  std::vector<ExplanationSubgraph> instances;  ///< the subgraphs, in the order of the input
};

/// The prototype of explanation subgraphs (the part after the explainer). All instances must be
/// of one kind (nodes or graphs) and one label; every subgraph must have an edge; features (with
/// kInput) one width. Throws gnnx::Error naming "prototype" otherwise.
PrototypeResult prototype_from_subgraphs(const std::vector<ExplanationSubgraph>& instances,
                                         const PrototypeOptions& options = {});

class Prototype {
 public:
  explicit Prototype(PrototypeOptions options = {});

  /// Node classifier: explains Target::node(v, label) for every v of nodes (one explainer call),
  /// cuts each explanation and aligns them. label: the class to explain; -1 uses the model's
  /// predictions, which must then agree. Throws gnnx::Error for no nodes, ids out of range, a
  /// graph classifier, mixed predicted classes, or an empty explanation.
  PrototypeResult build(nn::GNNModel& model, const Graph& graph, const std::vector<int64_t>& nodes,
                        int64_t label = -1) const;
  /// Graph classifier: the same over graphs (explain_graphs in one call).
  PrototypeResult build_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs, int64_t label = -1) const;

  PrototypeOptions options;
};

}  // namespace gnnx::explain
