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

/// The form a file stores: edge_mask [e] with rows as edge_ids, node_mask [n] and a [n, F]
/// feature_mask with rows as node_ids, on the CPU (undefined ids become arange(E) / arange(N)).
/// Keeping this instead of the full-graph masks is what lets many explanations of a large graph
/// stay in memory until they are written. Throws gnnx::Error for masks whose size is not the graph's.
Explanation compact_explanation(const Explanation& e, int64_t num_nodes, int64_t num_edges);

/// compact_explanation's inverse: the masks scattered to full-graph ids ([num_edges], [num_nodes],
/// [num_nodes, F]; 0 outside edge_ids / node_ids), on `device`. Throws gnnx::Error for mask rows
/// that do not match the ids, or ids outside the graph.
Explanation expand_explanation(const Explanation& compact, int64_t num_nodes, int64_t num_edges,
                               c10::Device device = c10::kCPU);

/// A compact explanation cut to its k highest-scoring edges (by edge_mask) and its k
/// highest-scoring nodes (by node_mask, with their feature_mask rows), ties to the lower id, the
/// kept rows in ascending id order; k = 0 keeps everything. What `gnnx explain --keep-top K`
/// writes, so that a file's size stops growing with the computation subgraphs.
Explanation keep_top(const Explanation& compact, int64_t k);

/// save_explanations for explanations compact_explanation made (checked: mask rows match the ids,
/// ids inside the graph); writes the same file.
void save_compact_explanations(const std::string& path, const std::vector<Explanation>& compact, int64_t num_nodes,
                               int64_t num_edges);

/// Reads a file save_explanations wrote; masks come back indexed by full-graph ids ([num_edges],
/// [num_nodes]), 0 outside edge_ids / node_ids. Throws gnnx::Error naming the path and the field
/// for a missing, foreign or malformed file.
std::vector<Explanation> load_explanations(const std::string& path, int64_t num_nodes, int64_t num_edges);

}  // namespace gnnx::explain
