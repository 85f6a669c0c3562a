#pragma once
/// Explanations in torch's pickle format, so that Python's torch.load reads what `gnnx explain
/// --out` writes:
///
///   E = torch.load("explanations.pt")
///   E["format"] == "gnnx.Explanations"; E["version"] == 1; E["method"] == "gnnexplainer"
///   for ex in E["explanations"]:          # one dict per explained target, in order
///       ex["target"]        "node" or "graph"
///       ex["index"]         the node id (node task) or the graph's position (graph task)
///       ex["label"]         the class explained
///       ex["edge_ids"]      [e] int64: the edges the method scored (the computation subgraph's)
///       ex["edge_mask"]     [e] float32: their scores, edge_mask[i] for edge edge_ids[i]
///       ex["node_ids"]      [n] int64, ex["node_mask"] [n] float32: likewise for nodes
///       ex["feature_mask"]  [n, F] (rows as node_ids), [F], or absent when none
///       ex["logits"]        [C] float32: the model's logits on the whole graph (absent if unknown)
///
/// Only the scored entries are stored, so a file for many targets of a large graph stays small;
/// load_explanations scatters them back to full-graph masks.

#include <string>
#include <vector>

#include "gnnx/explain/explanation.h"

namespace gnnx::explain {

/// Writes `explanations` (of one graph with num_nodes nodes and num_edges edges) to path,
/// atomically (a temporary file renamed): an error leaves no file. Throws gnnx::Error for an
/// empty list, masks whose size is not the graph's, or a path that cannot be written.
void save_explanations(const std::string& path, const std::vector<Explanation>& explanations, int64_t num_nodes,
                       int64_t num_edges);

/// Reads a file save_explanations wrote; masks come back indexed by full-graph ids ([num_edges],
/// [num_nodes]), 0 outside edge_ids / node_ids. Throws gnnx::Error naming the path and the field
/// for a missing, foreign or malformed file.
std::vector<Explanation> load_explanations(const std::string& path, int64_t num_nodes, int64_t num_edges);

}  // namespace gnnx::explain
