#pragma once
/// What is being explained: which output row (node, graph, link or batch item) and which class.
/// Shared by every explainer and attributor.

#include <cstdint>
#include <string>

namespace gnnx {

/// Every factory takes the row first and the class second: Target::node(417, 2),
/// Target::graph(0, 1), Target::output(-1, 3), Target::link(12, 40, 1).
struct Target {
  enum class Kind {
    kNode,    ///< row `index` of a node classifier's [N, C] output
    kGraph,   ///< graph `index` of a graph classifier's [B, C] output (0 for a single graph)
    kOutput,  ///< item `index` of a batched model output [B, C] (images); -1 means every item
    kLink,    ///< the link `index` -> `other` of a link predictor (GNNModel::forward_links)
  };
  Kind kind = Kind::kOutput;
  int64_t index = -1;
  /// The class whose logit is explained (a regression model: the output); -1 means the model's own
  /// prediction (argmax).
  int64_t label = -1;
  /// A link's second node (kLink); -1 otherwise.
  int64_t other = -1;

  static Target node(int64_t node, int64_t label = -1) { return {Kind::kNode, node, label}; }
  static Target graph(int64_t graph = 0, int64_t label = -1) { return {Kind::kGraph, graph, label}; }
  static Target output(int64_t item = -1, int64_t label = -1) { return {Kind::kOutput, item, label}; }
  /// The predicted link u -> v of a link predictor.
  static Target link(int64_t u, int64_t v, int64_t label = -1) { return {Kind::kLink, u, label, v}; }
};

/// "node 417 (class 2)" and the like, for messages.
std::string to_string(const Target& t);

}  // namespace gnnx
