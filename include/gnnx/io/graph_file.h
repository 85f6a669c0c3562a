#pragma once
/// Graphs from files: PyG-style .pt dicts, CSV edge lists, GraphML, GraphViz DOT and JSON.
///
///   auto loaded = gnnx::io::load_graph("edges.csv", gnnx::io::GraphFileOptions()
///                                                      .features("features.csv").undirected(true));
///   loaded.graph.num_nodes;  // validated Graph
///
/// Formats (GraphFormat; kAuto picks by extension, case-insensitive):
///
/// .pt  A dict of tensors saved from Python with `torch.save(data.to_dict(), path)` (PyG) or
///      `torch.save({"x": x, "edge_index": ei}, path)`. Keys: edge_index [2, E] integer (required;
///      int32 becomes int64); x [N, F] (integer or bool x becomes float32); edge_weight [E]
///      float, else edge_attr [E] or [E, 1] (a wider edge_attr stays in `tensors`); y (1-D
///      integer with N entries or 1 becomes Graph::y as int64, any other y stays in
///      `tensors["y"]`); batch [N] integer (graph id per node); num_nodes (an int or a 0-d
///      tensor). N is x.size(0), else num_nodes, else max id + 1. Every other tensor (masks, ptr,
///      ...) goes to `tensors`; non-tensor values other than num_nodes are ignored. The top level
///      must be a plain dict in torch.save's (default) zip format: LibTorch cannot read an
///      OrderedDict, a PyG Data object or a legacy (_use_new_zipfile_serialization=False) file.
///      A gnnx dataset .pt (datasets/dataset_io.h) gives its graph `graph_index`, as for JSON.
///
/// .csv One edge per line, `source,target[,weight]` (comma-separated, no quoting); blank lines
///      and lines starting with `#` are skipped, whitespace around fields is trimmed. The first line is a header when
///      not all its fields are numbers and either it has a non-numeric third field, or every other id is an integer, or
///      (named nodes) both its first fields are column names (source, target, src, dst, from, to, u, v, node1, node2,
///      head, tail). Ids: when every id is an integer they are node ids (N = max id + 1, or more when the features file
///      has more rows; negative ids are an error); when no id is an integer they are names, numbered in order of first
///      appearance (node_names). A file mixing the two is an error. Either every edge line has a weight or none has.
///      `features`: a CSV `id,f1,...,fk` (header optional), one row per node, all rows as wide.
///      `labels`: a CSV `id,label` (header optional), one integer label per node.
///
/// .graphml  GraphML, through Boost.Graph's reader: the `graph_index`-th top-level <graph> and
///      the <graph>s directly inside it; undirected edges (edgedefault="undirected") are stored
///      in both directions. Node ids: when they are the integers 0..N-1 (in any order) node i is
///      id i, else nodes are numbered in document order (nodes that only edges name come last)
///      and their ids go to node_names. Attributes: see "Attributes" below.
/// .dot / .gv  GraphViz DOT, through Boost.Graph's reader. A `digraph` keeps its edges; a
///      `graph` is undirected and stores both directions. Node ids as for GraphML (Boost's
///      reader numbers nodes in sorted id order, so named nodes come out sorted by name).
///      Attributes (GraphML and DOT): the `weight` edge attribute (GraphFileOptions::weight)
///      becomes edge_weight (once one edge has it, every edge needs a number); the `label` node
///      attribute (GraphFileOptions::label, else `y`) becomes y when it is an integer (or a
///      number like 3.0) on every node (a DOT display label that is no integer is ignored,
///      partly integer labels are an error); every other node attribute whose values are all
///      numbers becomes a column of x, columns in sorted attribute-name order (so `a`, `b`, `x0`
///      give x[:, 0] = a, x[:, 1] = b, x[:, 2] = x0); such an attribute must be given on every
///      node. Attributes with any non-numeric value (DOT's shape, color, pos, GraphML's
///      booleans ...) and graph attributes are ignored.
///
/// .json A graph object {"num_nodes": N, "edge_index": [[sources], [targets]], "x": [[F] * N],
///      "edge_weight": [E], "y": [N]} (only edge_index is required; N as for .pt), or a gnnx
///      dataset file {"graphs": [graph objects], ...} (datasets/dataset_io.h), from which the
///      `graph_index`-th graph is read. Other numeric arrays of the graph object (edge_mask_gt,
///      node_mask_gt, motif_id, ...) go to `tensors`, and a node-task dataset's split to
///      `tensors["train" | "val" | "test"]`. y becomes Graph::y when it holds integers ([N] or
///      [1]), else it goes to `tensors["y"]`; a `batch` array is read as for .pt.
///
/// `undirected` (CSV, GraphML, DOT) appends, after the file's E edges, the reverse of each edge
/// that is not a self-loop, in the same order (and its weight); pairs the file already holds in
/// both directions are not merged.
///
/// Errors are gnnx::Error naming load_graph, the file, the line (CSV) or field/key, what was
/// expected and what came: `load_graph: edges.csv line 17: expected 2 or 3 fields
/// (source,target[,weight]), got 1`. Truncated or corrupt files (a cut .pt, broken XML, a DOT
/// syntax error) raise gnnx::Error too, never another exception.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/graph/graph.h"

namespace gnnx::io {

enum class GraphFormat { kAuto, kPt, kCsv, kGraphML, kDot, kJson };
GNNX_ENUM_NAMES(GraphFormat, "graph file format", {GraphFormat::kAuto, "auto"}, {GraphFormat::kPt, "pt"},
                {GraphFormat::kCsv, "csv"}, {GraphFormat::kGraphML, "graphml"}, {GraphFormat::kDot, "dot"},
                {GraphFormat::kJson, "json"}, {GraphFormat::kDot, "gv"});

struct GraphFileOptions {
  /// The file's format; kAuto picks it by extension (.pt, .csv, .graphml, .dot or .gv, .json).
  GNNX_ARG(GraphFormat, format) = GraphFormat::kAuto;
  /// CSV: path of a node-feature CSV (`id,f1,...,fk`); empty (default) for none.
  GNNX_ARG(std::string, features);
  /// CSV: path of a node-label CSV (`id,label`); empty (default) for none.
  GNNX_ARG(std::string, labels);
  /// CSV, GraphML, DOT: also store the reverse of every edge (default false). A DOT `graph` and
  /// a GraphML graph with edgedefault="undirected" are undirected anyway.
  GNNX_ARG(bool, undirected) = false;
  /// GraphML, DOT: the edge attribute read as edge_weight (default "weight").
  GNNX_ARG(std::string, weight) = "weight";
  /// GraphML, DOT: the node attribute read as y (default "label"; "y" when it is absent).
  GNNX_ARG(std::string, label) = "label";
  /// JSON and .pt dataset files, GraphML: which graph of the file to read (default 0).
  GNNX_ARG(int64_t, graph_index) = 0;
};

/// A graph read from a file, with what else the file holds.
struct LoadedGraph {
  /// Validated (Graph::validate).
  Graph graph;
  /// [N] int64 graph id per node for a file holding a batch of graphs (.pt with `batch`);
  /// undefined for one graph.
  at::Tensor batch;
  /// Every other tensor the file holds, by key (train_mask, edge_mask, edge_attr, ...).
  std::map<std::string, at::Tensor> tensors;
  /// The file's node ids, by node, when they were not the integers 0..N-1; else empty.
  std::vector<std::string> node_names;
  /// The format read: "pt", "csv", "graphml", "dot" or "json".
  std::string format;
};

/// Reads the graph in `path` (see above for the formats and their rules). Throws gnnx::Error
/// naming the file (and line or field) for a missing, unreadable, malformed or truncated file.
LoadedGraph load_graph(const std::string& path, const GraphFileOptions& options = {});

}  // namespace gnnx::io
