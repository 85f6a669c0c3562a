// PyG-style .pt files: a dict of tensors from torch.save (graph_file.h, ".pt").
#include <algorithm>
#include <string>
#include <vector>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "gnnx/io/tensor_file.h"
#include "core/error_text.h"
#include "io/graph_readers.h"
#include "io/zip_check.h"

namespace gnnx::io::graph_readers {

namespace {

std::string first_line(const std::string& s) { return gnnx::detail::message_line(s); }

// A scalar entry (an int, or a tensor with one element) as an integer.
bool scalar_int(const c10::IValue& v, int64_t& out) {
  if (v.isInt()) {
    out = v.toInt();
    return true;
  }
  if (v.isTensor() && v.toTensor().numel() == 1 && !v.toTensor().is_floating_point()) {
    out = v.toTensor().item<int64_t>();
    return true;
  }
  return false;
}

bool integral(const at::Tensor& t) { return at::isIntegralType(t.scalar_type(), /*includeBool=*/false); }

// Graph `index` of a gnnx dataset .pt (datasets/dataset_io.h): its graphs are collated with node
// ids local to each graph and node_ptr / edge_ptr offsets, so slicing restores graph `index`.
void slice_dataset(const std::string& path, std::map<std::string, at::Tensor>& t, int64_t index, bool node_task) {
  for (const char* key : {"node_ptr", "edge_ptr", "x", "edge_index", "y"}) {
    if (!t.count(key)) fail(path, "a gnnx dataset file needs key '", key, "'");
  }
  const at::Tensor np = t["node_ptr"].to(torch::kLong), ep = t["edge_ptr"].to(torch::kLong);
  const int64_t b = np.numel() - 1;
  if (b < 1 || ep.numel() != b + 1) fail(path, "key 'node_ptr' and 'edge_ptr' must have the same length B + 1 >= 2");
  if (index >= b) fail(path, "graph_index ", index, " is out of range: the file holds ", b, " graph(s)");
  const int64_t n0 = np[index].item<int64_t>(), n1 = np[index + 1].item<int64_t>();
  const int64_t e0 = ep[index].item<int64_t>(), e1 = ep[index + 1].item<int64_t>();
  if (n0 < 0 || n1 < n0 || n1 > t["x"].size(0)) fail(path, "key 'node_ptr' is not a valid offset list");
  if (e0 < 0 || e1 < e0 || e1 > t["edge_index"].size(1)) fail(path, "key 'edge_ptr' is not a valid offset list");
  for (const char* key : {"x", "node_mask_gt", "motif_id"})
    if (t.count(key) && t[key].size(0) == np[b].item<int64_t>()) t[key] = t[key].slice(0, n0, n1);
  t["edge_index"] = t["edge_index"].slice(1, e0, e1);
  if (t.count("edge_mask_gt") && t["edge_mask_gt"].size(0) == ep[b].item<int64_t>())
    t["edge_mask_gt"] = t["edge_mask_gt"].slice(0, e0, e1);
  t["y"] = node_task ? t["y"].slice(0, n0, n1) : t["y"].slice(0, index, index + 1);
  t.erase("node_ptr");
  t.erase("edge_ptr");
  if (!node_task) {  // the split lists graphs, not nodes of this one
    t.erase("train");
    t.erase("val");
    t.erase("test");
  }
}

}  // namespace

LoadedGraph read_pt(const std::string& path, const GraphFileOptions& options) {
  const std::string bytes = read_bytes(path);
  check_zip_crc(bytes, "load_graph", path);
  c10::IValue root;
  try {
    root = unpickle(bytes);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    std::string hint;
    if (what.find("OrderedDict") != std::string::npos || what.find("GenericDict but got None") != std::string::npos) {
      // LibTorch's unpickler turns an OrderedDict (a state_dict) into None, then fails to fill it.
      hint = "; LibTorch cannot read an OrderedDict: save a plain dict, torch.save(dict(d), path)";
    } else if (what.find("torch_geometric") != std::string::npos) {
      hint = "; LibTorch cannot read PyG objects: save a dict of tensors, torch.save(data.to_dict(), path)";
    } else if (what.find("not a ZIP archive") != std::string::npos) {
      hint = "; expected torch.save's zip format (not _use_new_zipfile_serialization=False)";
    }
    fail(path, "not a readable torch.save file (truncated or corrupt?): ", first_line(what), hint);
  }
  if (!root.isGenericDict()) {
    // LibTorch's unpickler turns an OrderedDict (a state_dict, say) into None.
    fail(path,
         "expected a dict of tensors at the top level (torch.save(dict(...)) or torch.save(data.to_dict()) in "
         "Python), got ",
         root.tagKind(),
         root.isNone() ? " (an OrderedDict reads as None in LibTorch: save a plain dict, torch.save(dict(d), path))"
                       : "");
  }
  std::map<std::string, at::Tensor> t;
  std::string keys;
  int64_t num_nodes = -1;
  std::string dataset_format, dataset_task;
  for (const auto& kv : root.toGenericDict()) {
    if (!kv.key().isString()) fail(path, "expected string keys, got a ", kv.key().tagKind(), " key");
    const std::string key = kv.key().toStringRef();
    keys += (keys.empty() ? "" : ", ") + key;
    const c10::IValue& v = kv.value();
    if (key == "num_nodes") {
      if (!scalar_int(v, num_nodes) || num_nodes < 0) fail(path, "key 'num_nodes' must be a non-negative integer");
    } else if (v.isTensor()) {
      t[key] = v.toTensor().cpu().contiguous();
    } else if (key == "format" && v.isString()) {
      dataset_format = v.toStringRef();
    } else if (key == "task" && v.isString()) {
      dataset_task = v.toStringRef();
    }
  }
  if (dataset_format == "gnnx-dataset") {
    slice_dataset(path, t, options.graph_index(), dataset_task != "graph");
  } else if (options.graph_index() != 0) {
    fail(path, "graph_index ", options.graph_index(),
         " applies to gnnx dataset files; this file holds one graph "
         "(or one batch of graphs, with key 'batch')");
  }

  LoadedGraph out;
  auto take = [&](const char* key) {
    at::Tensor v;
    auto it = t.find(key);
    if (it != t.end()) {
      v = it->second;
      t.erase(it);
    }
    return v;
  };
  at::Tensor edge_index = take("edge_index");
  if (!edge_index.defined()) fail(path, "no key 'edge_index' (expected [2, E] integer node ids); keys: ", keys);
  if (edge_index.dim() != 2 || edge_index.size(0) != 2 || !integral(edge_index)) {
    fail(path, "key 'edge_index' must be a [2, E] integer tensor, got ", edge_index.scalar_type(), " ",
         edge_index.sizes());
  }
  edge_index = edge_index.to(torch::kLong);

  at::Tensor x = take("x");
  if (x.defined()) {
    if (x.dim() == 1) x = x.unsqueeze(1);
    if (x.dim() != 2) fail(path, "key 'x' must be [N, F], got ", x.sizes());
    if (!x.is_floating_point() || x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16) {
      x = x.to(torch::kFloat);
    }
    if (num_nodes >= 0 && num_nodes != x.size(0)) {
      fail(path, "key 'num_nodes' is ", num_nodes, " but key 'x' has ", x.size(0), " rows");
    }
    num_nodes = x.size(0);
  }
  if (num_nodes < 0) num_nodes = edge_index.numel() > 0 ? edge_index.max().item<int64_t>() + 1 : 0;

  at::Tensor edge_weight = take("edge_weight");
  if (!edge_weight.defined() && t.count("edge_attr")) {
    const at::Tensor& a = t["edge_attr"];
    if (a.dim() == 1 || (a.dim() == 2 && a.size(1) == 1)) edge_weight = take("edge_attr").reshape({-1});
  }
  if (edge_weight.defined()) {
    if (edge_weight.dim() != 1) fail(path, "key 'edge_weight' must be [E], got ", edge_weight.sizes());
    if (!edge_weight.is_floating_point()) edge_weight = edge_weight.to(torch::kFloat);
  }

  at::Tensor y = take("y");
  if (y.defined()) {
    if (integral(y) && y.dim() == 1 && (y.size(0) == num_nodes || y.size(0) == 1)) {
      y = y.to(torch::kLong);
    } else {
      t["y"] = y;  // float targets, multi-label or per-graph labels of a batch
      y = at::Tensor();
    }
  }

  at::Tensor batch = take("batch");
  if (batch.defined()) {
    if (!integral(batch) || batch.dim() != 1 || batch.size(0) != num_nodes) {
      fail(path, "key 'batch' must be a [N] = [", num_nodes, "] integer tensor, got ", batch.scalar_type(), " ",
           batch.sizes());
    }
    out.batch = batch.to(torch::kLong);
  }
  if (edge_index.numel() > 0) {
    const int64_t lo = edge_index.min().item<int64_t>(), hi = edge_index.max().item<int64_t>();
    if (lo < 0) fail(path, "key 'edge_index' holds a negative node id (", lo, ")");
    if (hi >= num_nodes) fail(path, "key 'edge_index' holds node id ", hi, " but the graph has ", num_nodes, " nodes");
  }
  out.graph.edge_index = edge_index;
  out.graph.num_nodes = num_nodes;
  out.graph.x = x;
  out.graph.edge_weight = edge_weight;
  out.graph.y = y;
  out.tensors = std::move(t);
  return out;
}

}  // namespace gnnx::io::graph_readers
