#include "gnnx/explain/explanation_file.h"

#include <limits>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/file.h"
#include "gnnx/io/tensor_file.h"
#include "core/error_text.h"
#include "io/zip_check.h"

namespace gnnx::explain {
namespace {

constexpr const char* kFormat = "gnnx.Explanations";

at::Tensor on_cpu(const at::Tensor& t, at::ScalarType type) { return t.detach().to(torch::kCPU, type).contiguous(); }

// Masks whose rows are the ids' (edge_mask [e], node_mask [n], feature_mask [F] or [n, F]) and
// ids inside a graph of N nodes and E edges: compact_explanation's form.
void check_compact(const Explanation& e, int64_t N, int64_t E, const std::string& op) {
  GNNX_CHECK(e.edge_ids.defined() && e.node_ids.defined() && e.edge_ids.dim() == 1 && e.node_ids.dim() == 1, op,
             ": a compact explanation needs 1-D edge_ids and node_ids");
  const auto n = e.node_ids.size(0), m = e.edge_ids.size(0);
  GNNX_CHECK(!e.edge_mask.defined() || (e.edge_mask.dim() == 1 && e.edge_mask.size(0) == m), op,
             ": a compact edge_mask must have shape [", m, "], got ", e.edge_mask.sizes());
  GNNX_CHECK(!e.node_mask.defined() || (e.node_mask.dim() == 1 && e.node_mask.size(0) == n), op,
             ": a compact node_mask must have shape [", n, "], got ", e.node_mask.sizes());
  GNNX_CHECK(!e.feature_mask.defined() || e.feature_mask.dim() == 1 ||
                 (e.feature_mask.dim() == 2 && e.feature_mask.size(0) == n),
             op, ": a compact feature_mask must have shape [F] or [", n, ", F], got ", e.feature_mask.sizes());
  GNNX_CHECK(m == 0 || (e.edge_ids.min().item<int64_t>() >= 0 && e.edge_ids.max().item<int64_t>() < E), op,
             ": edge_ids must lie in [0, ", E, ")");
  GNNX_CHECK(n == 0 || (e.node_ids.min().item<int64_t>() >= 0 && e.node_ids.max().item<int64_t>() < N), op,
             ": node_ids must lie in [0, ", N, ")");
}

c10::IValue to_ivalue(const Explanation& e, int64_t N, int64_t E, size_t i) {
  const std::string op = "save_explanations (explanation " + std::to_string(i) + ")";
  check_compact(e, N, E, op);
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("target", e.target.kind == Target::Kind::kNode   ? "node"
                     : e.target.kind == Target::Kind::kLink ? "link"
                                                            : "graph");
  d.insert("index", e.target.index);
  if (e.target.kind == Target::Kind::kLink) d.insert("other", e.target.other);
  d.insert("label", e.target.label);
  d.insert("edge_ids", e.edge_ids);
  d.insert("node_ids", e.node_ids);
  if (e.edge_mask.defined()) d.insert("edge_mask", e.edge_mask);
  if (e.node_mask.defined()) d.insert("node_mask", e.node_mask);
  if (e.feature_mask.defined()) d.insert("feature_mask", e.feature_mask);
  if (e.logits.defined()) d.insert("logits", e.logits);
  return d;
}

void write_list(const std::string& path, const c10::impl::GenericList& list, const std::string& method, int64_t N,
                int64_t E) {
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", kFormat);
  root.insert("version", int64_t{1});
  root.insert("method", method);
  root.insert("num_nodes", N);
  root.insert("num_edges", E);
  root.insert("explanations", list);
  const auto bytes = torch::pickle_save(root);
  io::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

at::Tensor tensor_field(const c10::impl::GenericDict& d, const std::string& key, const std::string& where,
                        bool required) {
  auto it = d.find(key);
  if (it == d.end()) {
    GNNX_CHECK(!required, where, ": field \"", key, "\" is missing");
    return {};
  }
  GNNX_CHECK(it->value().isTensor(), where, ": field \"", key, "\" must be a tensor, got ", it->value().tagKind());
  return it->value().toTensor();
}

}  // namespace

namespace {

Explanation compact(const Explanation& e, int64_t N, int64_t E, const std::string& op) {
  GNNX_CHECK(N >= 0 && E >= 0, op, ": expected a graph size >= 0, got ", N, " nodes and ", E, " edges");
  Explanation c;
  c.method = e.method;
  c.target = e.target;
  c.diagnostics = e.diagnostics;
  c.edge_ids = e.edge_ids.defined() ? on_cpu(e.edge_ids, torch::kLong) : torch::arange(E, torch::kLong);
  c.node_ids = e.node_ids.defined() ? on_cpu(e.node_ids, torch::kLong) : torch::arange(N, torch::kLong);
  if (e.edge_mask.defined()) {
    GNNX_CHECK(e.edge_mask.dim() == 1 && e.edge_mask.size(0) == E, op, ": edge_mask must have shape [", E, "], got ",
               e.edge_mask.sizes());
    c.edge_mask = on_cpu(e.edge_mask, torch::kFloat).index_select(0, c.edge_ids);
  }
  if (e.node_mask.defined()) {
    GNNX_CHECK(e.node_mask.dim() == 1 && e.node_mask.size(0) == N, op, ": node_mask must have shape [", N, "], got ",
               e.node_mask.sizes());
    c.node_mask = on_cpu(e.node_mask, torch::kFloat).index_select(0, c.node_ids);
  }
  if (e.feature_mask.defined()) {
    auto f = on_cpu(e.feature_mask, torch::kFloat);
    GNNX_CHECK(f.dim() == 1 || (f.dim() == 2 && f.size(0) == N), op, ": feature_mask must have shape [F] or [", N,
               ", F], got ", f.sizes());
    c.feature_mask = f.dim() == 2 ? f.index_select(0, c.node_ids) : f;
  }
  if (e.logits.defined()) c.logits = on_cpu(e.logits, torch::kFloat);
  return c;
}

// compact_explanation's inverse: the masks scattered to full-graph ids on `device`.
Explanation expand(const Explanation& c, int64_t N, int64_t E, c10::Device device, const std::string& op) {
  check_compact(c, N, E, op);
  Explanation e = c;
  auto scatter = [&](const at::Tensor& values, const at::Tensor& ids, int64_t size) {
    auto shape = values.sizes().vec();
    shape[0] = size;
    const auto v = values.detach();
    return torch::zeros(shape, v.options()).index_put_({ids.to(v.device())}, v).to(device);
  };
  if (c.edge_mask.defined()) e.edge_mask = scatter(c.edge_mask, c.edge_ids, E);
  if (c.node_mask.defined()) e.node_mask = scatter(c.node_mask, c.node_ids, N);
  if (c.feature_mask.defined())
    e.feature_mask = c.feature_mask.dim() == 2 ? scatter(c.feature_mask, c.node_ids, N) : c.feature_mask.to(device);
  e.edge_ids = c.edge_ids.to(device);
  e.node_ids = c.node_ids.to(device);
  return e;
}

}  // namespace

Explanation compact_explanation(const Explanation& e, int64_t num_nodes, int64_t num_edges) {
  return compact(e, num_nodes, num_edges, "compact_explanation (" + gnnx::to_string(e.target) + ")");
}

Explanation expand_explanation(const Explanation& compact, int64_t num_nodes, int64_t num_edges, c10::Device device) {
  return expand(compact, num_nodes, num_edges, device, "expand_explanation (" + gnnx::to_string(compact.target) + ")");
}

Explanation keep_top(const Explanation& compact, int64_t k) {
  const std::string op = "keep_top (" + gnnx::to_string(compact.target) + ")";
  GNNX_CHECK(k >= 0, op, ": k must be >= 0 (0: keep everything), got ", k);
  check_compact(compact, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max(), op);
  Explanation out = compact;
  // The rows of the k highest scores, ties to the lower id (ids ascend, and the sort is stable),
  // put back in ascending id order.
  auto top_rows = [k](const at::Tensor& scores) {
    auto order = std::get<1>(torch::sort(scores.detach().to(torch::kDouble), /*stable=*/true, /*dim=*/0,
                                         /*descending=*/true));
    return std::get<0>(torch::sort(order.slice(0, 0, k)));
  };
  if (k == 0) return out;
  if (compact.edge_mask.defined() && compact.edge_mask.size(0) > k) {
    const auto rows = top_rows(compact.edge_mask).to(compact.edge_mask.device());
    out.edge_ids = compact.edge_ids.index_select(0, rows.to(compact.edge_ids.device()));
    out.edge_mask = compact.edge_mask.index_select(0, rows);
  }
  if (compact.node_mask.defined() && compact.node_mask.size(0) > k) {
    const auto rows = top_rows(compact.node_mask).to(compact.node_mask.device());
    out.node_ids = compact.node_ids.index_select(0, rows.to(compact.node_ids.device()));
    out.node_mask = compact.node_mask.index_select(0, rows);
    if (compact.feature_mask.defined() && compact.feature_mask.dim() == 2)
      out.feature_mask = compact.feature_mask.index_select(0, rows.to(compact.feature_mask.device()));
  }
  return out;
}

void save_explanations(const std::string& path, const std::vector<Explanation>& explanations, int64_t num_nodes,
                       int64_t num_edges) {
  GNNX_CHECK(!explanations.empty(), "save_explanations: no explanations to write to \"", path, "\"");
  GNNX_CHECK(num_nodes >= 0 && num_edges >= 0, "save_explanations: expected a graph size >= 0, got ", num_nodes,
             " nodes and ", num_edges, " edges");
  c10::impl::GenericList list(c10::AnyType::get());
  for (size_t i = 0; i < explanations.size(); ++i)
    list.push_back(to_ivalue(compact(explanations[i], num_nodes, num_edges,
                                     "save_explanations (explanation " + std::to_string(i) + ")"),
                             num_nodes, num_edges, i));
  write_list(path, list, explanations.front().method, num_nodes, num_edges);
}

void save_compact_explanations(const std::string& path, const std::vector<Explanation>& compact, int64_t num_nodes,
                               int64_t num_edges) {
  GNNX_CHECK(!compact.empty(), "save_explanations: no explanations to write to \"", path, "\"");
  GNNX_CHECK(num_nodes >= 0 && num_edges >= 0, "save_explanations: expected a graph size >= 0, got ", num_nodes,
             " nodes and ", num_edges, " edges");
  c10::impl::GenericList list(c10::AnyType::get());
  for (size_t i = 0; i < compact.size(); ++i) list.push_back(to_ivalue(compact[i], num_nodes, num_edges, i));
  write_list(path, list, compact.front().method, num_nodes, num_edges);
}

std::vector<Explanation> load_explanations(const std::string& path, int64_t num_nodes, int64_t num_edges) {
  const std::string op = "load_explanations: \"" + path + "\"";
  const auto bytes = io::read_file(path);
  io::check_zip_crc(bytes, "load_explanations", path);
  c10::IValue root;
  try {
    root = io::unpickle(bytes);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    GNNX_CHECK(false, op, " is not a torch.save file (", gnnx::detail::message_line(e.what()), ")");
  }
  GNNX_CHECK(root.isGenericDict(), op, " holds a ", root.tagKind(), ", expected a dict of format ", kFormat);
  const auto d = root.toGenericDict();
  auto fmt = d.find("format");
  GNNX_CHECK(fmt != d.end() && fmt->value().isString() && fmt->value().toStringRef() == kFormat, op,
             " is not a gnnx explanations file (no \"format\": \"", kFormat, "\")");
  auto ver = d.find("version");
  GNNX_CHECK(ver != d.end() && ver->value().isInt() && ver->value().toInt() == 1, op, ": expected version 1, got ",
             ver != d.end() ? ver->value().tagKind() : std::string("none"));
  auto n = d.find("num_nodes"), m = d.find("num_edges");
  GNNX_CHECK(n != d.end() && m != d.end() && n->value().toInt() == num_nodes && m->value().toInt() == num_edges, op,
             " explains a graph of ", n != d.end() ? n->value().toInt() : -1, " nodes and ",
             m != d.end() ? m->value().toInt() : -1, " edges, expected ", num_nodes, " and ", num_edges);
  const std::string method = d.at("method").toStringRef();
  auto list = d.find("explanations");
  GNNX_CHECK(list != d.end() && list->value().isList(), op, ": field \"explanations\" must be a list");
  std::vector<Explanation> out;
  const auto items = list->value().toList();
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = op + " explanation " + std::to_string(i);
    const c10::IValue item = items.get(i);
    GNNX_CHECK(item.isGenericDict(), where, " must be a dict, got ", item.tagKind());
    const auto e = item.toGenericDict();
    Explanation x;
    x.method = method;
    const auto kind = e.at("target").toStringRef();
    GNNX_CHECK(kind == "node" || kind == "graph" || kind == "link", where,
               ": target must be \"node\", \"graph\" or \"link\", got \"", kind, "\"");
    GNNX_CHECK(kind != "link" || e.contains("other"), where, ": a link target needs the field \"other\"");
    x.target = kind == "node"   ? Target::node(e.at("index").toInt(), e.at("label").toInt())
               : kind == "link" ? Target::link(e.at("index").toInt(), e.at("other").toInt(), e.at("label").toInt())
                                : Target::graph(e.at("index").toInt(), e.at("label").toInt());
    x.edge_ids = tensor_field(e, "edge_ids", where, true);
    x.node_ids = tensor_field(e, "node_ids", where, true);
    GNNX_CHECK(x.edge_ids.scalar_type() == torch::kLong && x.node_ids.scalar_type() == torch::kLong, where,
               ": edge_ids and node_ids must be int64");
    for (auto [mask, key] : {std::pair{&x.edge_mask, "edge_mask"}, std::pair{&x.node_mask, "node_mask"},
                             std::pair{&x.feature_mask, "feature_mask"}}) {
      *mask = tensor_field(e, key, where, false);
      if (mask->defined()) *mask = mask->to(torch::kFloat);
    }
    x = expand(x, num_nodes, num_edges, torch::kCPU, where);
    x.logits = tensor_field(e, "logits", where, false);
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace gnnx::explain
