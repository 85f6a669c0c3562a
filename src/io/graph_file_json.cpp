// JSON graph objects and gnnx dataset files (graph_file.h, ".json").
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "io/graph_readers.h"

namespace gnnx::io::graph_readers {

namespace {

using nlohmann::json;

// A rectangular JSON array of numbers (or booleans), flattened.
struct Flat {
  std::vector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  bool integral = true;  // every leaf an integer
  bool boolean = true;   // every leaf a boolean
  int64_t leaf_depth = -1;

  bool add(const json& v, size_t depth) {
    if (v.is_array()) {
      if (leaf_depth >= 0 && static_cast<int64_t>(depth) >= leaf_depth) return false;
      if (depth == shape.size()) {
        shape.push_back(static_cast<int64_t>(v.size()));
      } else if (shape[depth] != static_cast<int64_t>(v.size())) {
        return false;
      }
      for (const auto& e : v)
        if (!add(e, depth + 1)) return false;
      return true;
    }
    if (leaf_depth < 0) leaf_depth = static_cast<int64_t>(depth);
    if (leaf_depth != static_cast<int64_t>(depth)) return false;
    if (v.is_boolean()) {
      integral = false;
      ints.push_back(v.get<bool>());
      reals.push_back(v.get<bool>());
    } else if (v.is_number_integer()) {
      boolean = false;
      const auto i = v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
      ints.push_back(i);
      reals.push_back(static_cast<double>(i));
    } else if (v.is_number_float()) {
      boolean = integral = false;
      ints.push_back(0);
      reals.push_back(v.get<double>());
    } else {
      return false;
    }
    return true;
  }

  // int64 when every leaf is an integer, bool when every leaf is a boolean, else float32. An
  // empty array counts as integers.
  at::Tensor tensor() const {
    if (boolean && !ints.empty()) return torch::tensor(ints, torch::kLong).to(torch::kBool).reshape(shape);
    if (integral) return torch::tensor(ints, torch::kLong).reshape(shape);
    return torch::tensor(reals, torch::kDouble).to(torch::kFloat).reshape(shape);
  }
};

// v as a tensor when it is a rectangular array of numbers; undefined otherwise.
at::Tensor to_tensor(const json& v) {
  if (!v.is_array()) return {};
  Flat f;
  if (!f.add(v, 0)) return {};
  return f.tensor();
}

}  // namespace

LoadedGraph read_json(const std::string& path, const GraphFileOptions& options) {
  const std::string text = read_bytes(path);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    fail(path, "not valid JSON (truncated or corrupt?): ", e.what());
  }
  if (!root.is_object()) {
    fail(path, "expected a JSON object at the top level (a graph, or a gnnx dataset with \"graphs\"), got ",
         root.type_name());
  }
  const json* g = &root;
  std::string where;  // prefix of the graph's field names in messages
  const int64_t index = options.graph_index();
  if (root.contains("graphs")) {
    const json& graphs = root["graphs"];
    if (!graphs.is_array()) fail(path, "field 'graphs' must be an array of graph objects, got ", graphs.type_name());
    if (index >= static_cast<int64_t>(graphs.size())) {
      fail(path, "graph_index ", index, " is out of range: field 'graphs' holds ", graphs.size(), " graph(s)");
    }
    g = &graphs[static_cast<size_t>(index)];
    where = "graphs[" + std::to_string(index) + "].";
    if (!g->is_object()) fail(path, "field '", where.substr(0, where.size() - 1), "' must be a graph object");
  } else if (index != 0) {
    fail(path, "graph_index ", index, " applies to dataset files ({\"graphs\": [...]}); this file holds one graph");
  }

  auto field = [&](const std::string& key) { return "field '" + where + key + "'"; };
  if (!g->contains("edge_index")) {
    std::string keys;
    for (const auto& kv : g->items()) keys += (keys.empty() ? "" : ", ") + kv.key();
    fail(path, field("edge_index"),
         " is missing (expected [[sources], [targets]]); keys: ", keys.empty() ? "none" : keys);
  }
  at::Tensor edge_index = to_tensor((*g)["edge_index"]);
  if (!edge_index.defined() || edge_index.scalar_type() != at::kLong || edge_index.dim() != 2 ||
      edge_index.size(0) != 2) {
    fail(path, field("edge_index"), " must be [[sources], [targets]], two integer arrays of the same length");
  }
  int64_t n = -1;
  if (g->contains("num_nodes")) {
    const json& v = (*g)["num_nodes"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      fail(path, field("num_nodes"), " must be a non-negative integer");
    n = v.get<int64_t>();
  }
  at::Tensor x;
  if (g->contains("x")) {
    x = to_tensor((*g)["x"]);
    if (!x.defined() || x.scalar_type() == at::kBool || x.dim() != 2) {
      fail(path, field("x"), " must be [[F numbers] * N], rows of the same length");
    }
    x = x.to(torch::kFloat);
    if (n >= 0 && x.size(0) != n) fail(path, field("x"), " has ", x.size(0), " rows but num_nodes = ", n);
    n = x.size(0);
  }
  if (n < 0) n = edge_index.numel() > 0 ? edge_index.max().item<int64_t>() + 1 : 0;
  if (edge_index.numel() > 0) {
    const int64_t lo = edge_index.min().item<int64_t>(), hi = edge_index.max().item<int64_t>();
    if (lo < 0) fail(path, field("edge_index"), " holds a negative node id (", lo, ")");
    if (hi >= n) fail(path, field("edge_index"), " holds node id ", hi, ", expected ids < num_nodes = ", n);
  }
  at::Tensor edge_weight;
  if (g->contains("edge_weight")) {
    edge_weight = to_tensor((*g)["edge_weight"]);
    if (!edge_weight.defined() || edge_weight.scalar_type() == at::kBool || edge_weight.dim() != 1 ||
        edge_weight.size(0) != edge_index.size(1)) {
      fail(path, field("edge_weight"), " must be an array of ", edge_index.size(1), " numbers (one per edge)");
    }
    edge_weight = edge_weight.to(torch::kFloat);
  }

  LoadedGraph out;
  for (const auto& kv : g->items()) {
    const std::string& key = kv.key();
    if (key == "edge_index" || key == "num_nodes" || key == "x" || key == "edge_weight") continue;
    at::Tensor t = to_tensor(kv.value());
    if (!t.defined()) continue;  // strings, objects, ragged arrays
    if (key == "y" && t.scalar_type() == at::kLong && t.dim() == 1 && (t.size(0) == n || t.size(0) == 1)) {
      out.graph.y = t;
    } else if (key == "batch") {
      if (t.scalar_type() != at::kLong || t.dim() != 1 || t.size(0) != n) {
        fail(path, field("batch"), " must be an array of ", n, " integer graph ids (one per node)");
      }
      out.batch = t;
    } else {
      out.tensors[key] = t;
    }
  }
  // A node-task dataset's split lists nodes of its one graph.
  const bool node_task = root.contains("task") && root["task"].is_string() && root["task"] == "node";
  if (g != &root && node_task && root.contains("split") && root["split"].is_object()) {
    for (const char* part : {"train", "val", "test"}) {
      if (!root["split"].contains(part)) continue;
      at::Tensor t = to_tensor(root["split"][part]);
      if (t.defined() && t.scalar_type() == at::kLong) out.tensors[part] = t.reshape({-1});
    }
  }
  out.graph.edge_index = edge_index;
  out.graph.num_nodes = n;
  out.graph.x = x;
  out.graph.edge_weight = edge_weight;
  return out;
}

}  // namespace gnnx::io::graph_readers
