#include "gnnx/datasets/dataset_io.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/file.h"
#include "gnnx/io/tensor_file.h"
#include "core/error_text.h"
#include "io/zip_check.h"

namespace gnnx::datasets {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "gnnx-dataset";
constexpr int64_t kVersion = 1;

// ---------------------------------------------------------------------------------------------
// Writing

void put_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// Shortest decimal that reads back to the same float32 (std::to_chars is exact and portable).
void put_float(std::string& out, float v) {
  GNNX_CHECK(std::isfinite(v), "to_json: non-finite value ", v);
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void put_ints(std::string& out, const at::Tensor& t) {
  auto c = t.to(torch::kCPU).to(torch::kLong).contiguous();
  const auto* p = c.data_ptr<int64_t>();
  out.push_back('[');
  for (int64_t i = 0; i < c.numel(); ++i) {
    if (i) out.push_back(',');
    put_int(out, p[i]);
  }
  out.push_back(']');
}

void put_floats(std::string& out, const float* p, int64_t n) {
  out.push_back('[');
  for (int64_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    put_float(out, p[i]);
  }
  out.push_back(']');
}

at::Tensor cpu_float(const at::Tensor& t) { return t.to(torch::kCPU).to(torch::kFloat).contiguous(); }

// ---------------------------------------------------------------------------------------------
// Reading JSON: every accessor names the field it checks.

struct Reader {
  std::string source;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    detail::throw_error(detail::concat("load_dataset: ", source, ": field '", field, "' ", what));
  }
  const json& get(const json& obj, const std::string& key, const std::string& where) const {
    const std::string field = where.empty() ? key : where + "." + key;
    if (!obj.is_object()) fail(where.empty() ? "<root>" : where, "must be an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(field, "is missing");
    return *it;
  }
  int64_t integer(const json& v, const std::string& field) const {
    if (!v.is_number_integer()) fail(field, "must be an integer");
    return v.get<int64_t>();
  }
  std::string string(const json& v, const std::string& field) const {
    if (!v.is_string()) fail(field, "must be a string");
    return v.get<std::string>();
  }
  std::vector<int64_t> ints(const json& v, const std::string& field) const {
    if (!v.is_array()) fail(field, "must be an array of integers");
    std::vector<int64_t> out;
    out.reserve(v.size());
    for (const auto& e : v) {
      if (!e.is_number_integer()) fail(field, "must be an array of integers");
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  std::vector<float> floats(const json& v, const std::string& field) const {
    if (!v.is_array()) fail(field, "must be an array of numbers");
    std::vector<float> out;
    out.reserve(v.size());
    for (const auto& e : v) {
      if (!e.is_number()) fail(field, "must be an array of numbers");
      out.push_back(e.get<float>());
    }
    return out;
  }
};

at::Tensor long_tensor(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); }
at::Tensor float_tensor(const std::vector<float>& v) { return torch::tensor(v, torch::kFloat); }

nn::Task parse_task(const std::string& s, const std::function<void(const std::string&)>& fail) {
  if (s == "node") return nn::Task::kNode;
  if (s == "graph") return nn::Task::kGraph;
  fail(s);
  return nn::Task::kNode;
}

// Checks that need the whole dataset (ids in range, lengths that agree), naming the field.
void check_graph_fields(const Reader& r, const std::string& where, int64_t n, const at::Tensor& edge_index,
                        const at::Tensor& x, const at::Tensor& y, const at::Tensor& em, const at::Tensor& nm,
                        const at::Tensor& mi, nn::Task task, int64_t num_classes) {
  if (n < 0) r.fail(where + ".num_nodes", "must be >= 0");
  const int64_t e = edge_index.size(1);
  if (e > 0 && (edge_index.min().item<int64_t>() < 0 || edge_index.max().item<int64_t>() >= n)) {
    r.fail(where + ".edge_index", detail::concat("has a node id outside [0, ", n, ")"));
  }
  if (x.size(0) != n) r.fail(where + ".x", detail::concat("must have ", n, " rows, got ", x.size(0)));
  const int64_t want_y = task == nn::Task::kNode ? n : 1;
  if (y.size(0) != want_y) r.fail(where + ".y", detail::concat("must have ", want_y, " entries, got ", y.size(0)));
  if (y.numel() > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= num_classes)) {
    r.fail(where + ".y", detail::concat("has a label outside [0, ", num_classes, ")"));
  }
  if (em.size(0) != e) r.fail(where + ".edge_mask_gt", detail::concat("must have ", e, " entries, got ", em.size(0)));
  if (nm.size(0) != n) r.fail(where + ".node_mask_gt", detail::concat("must have ", n, " entries, got ", nm.size(0)));
  if (mi.size(0) != n) r.fail(where + ".motif_id", detail::concat("must have ", n, " entries, got ", mi.size(0)));
  using Field = std::pair<const char*, const at::Tensor*>;
  for (auto [name, m] : std::initializer_list<Field>{{"edge_mask_gt", &em}, {"node_mask_gt", &nm}}) {
    if (m->numel() > 0 && !m->eq(0).logical_or(m->eq(1)).all().item<bool>()) {
      r.fail(where + "." + name, "must hold only 0 and 1");
    }
  }
}

void check_split(const Reader& r, const nn::Split& s, int64_t n) {
  using Field = std::pair<const char*, const at::Tensor*>;
  for (auto [name, t] :
       std::initializer_list<Field>{{"split.train", &s.train}, {"split.val", &s.val}, {"split.test", &s.test}}) {
    if (t->numel() > 0 && (t->min().item<int64_t>() < 0 || t->max().item<int64_t>() >= n)) {
      r.fail(name, detail::concat("has an id outside [0, ", n, ")"));
    }
  }
}

std::string first_line(const std::string& s) { return gnnx::detail::message_line(s); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// JSON

std::string to_json(const Dataset& d) {
  d.validate("to_json");
  std::string out;
  out.reserve(1 << 20);
  out += "{\"format\":\"";
  out += kFormat;
  out += "\",\"version\":";
  put_int(out, kVersion);
  out += ",\"name\":" + json(d.name).dump();
  out += ",\"task\":\"";
  out += nn::to_string(d.task);
  out += "\",\"num_classes\":";
  put_int(out, d.num_classes);
  out += ",\n\"params\":" + (d.params.empty() ? std::string("{}") : json::parse(d.params).dump());
  out += ",\n\"split\":{\"train\":";
  put_ints(out, d.split.train);
  out += ",\"val\":";
  put_ints(out, d.split.val);
  out += ",\"test\":";
  put_ints(out, d.split.test);
  out += "},\n\"graphs\":[";
  for (size_t i = 0; i < d.graphs.size(); ++i) {
    const auto& g = d.graphs[i];
    out += i ? ",\n" : "\n";
    out += "{\"num_nodes\":";
    put_int(out, g.num_nodes);
    auto ei = g.edge_index.to(torch::kCPU).contiguous();
    out += ",\"edge_index\":[";
    put_ints(out, ei[0]);
    out += ",";
    put_ints(out, ei[1]);
    out += "],\"x\":[";
    auto x = cpu_float(g.x);
    const int64_t f = x.size(1);
    for (int64_t v = 0; v < g.num_nodes; ++v) {
      if (v) out.push_back(',');
      put_floats(out, x.data_ptr<float>() + v * f, f);
    }
    out += "],\"y\":";
    put_ints(out, g.y);
    auto em = cpu_float(d.edge_mask_gt[i]);
    out += ",\"edge_mask_gt\":";
    put_floats(out, em.data_ptr<float>(), em.numel());
    auto nm = cpu_float(d.node_mask_gt[i]);
    out += ",\"node_mask_gt\":";
    put_floats(out, nm.data_ptr<float>(), nm.numel());
    out += ",\"motif_id\":";
    put_ints(out, d.motif_id[i]);
    out += "}";
  }
  out += "\n]}\n";
  return out;
}

Dataset from_json(const std::string& text, const std::string& source) {
  Reader r{source};
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number out of range (3e333333)
    GNNX_CHECK(false, "load_dataset: ", source, ": not valid JSON (truncated or corrupt?): ", e.what());
  }
  if (r.string(r.get(root, "format", ""), "format") != kFormat) r.fail("format", "must be \"gnnx-dataset\"");
  const int64_t version = r.integer(r.get(root, "version", ""), "version");
  if (version != kVersion) r.fail("version", detail::concat("must be ", kVersion, ", got ", version));
  Dataset d;
  d.name = r.string(r.get(root, "name", ""), "name");
  d.task = parse_task(r.string(r.get(root, "task", ""), "task"), [&](const std::string& s) {
    r.fail("task", "must be \"node\" or \"graph\", got \"" + s + "\"");
  });
  d.num_classes = r.integer(r.get(root, "num_classes", ""), "num_classes");
  if (d.num_classes < 1) r.fail("num_classes", "must be positive");
  const auto& params = r.get(root, "params", "");
  if (!params.is_object()) r.fail("params", "must be an object");
  d.params = params.dump();
  const auto& split = r.get(root, "split", "");
  d.split.train = long_tensor(r.ints(r.get(split, "train", "split"), "split.train"));
  d.split.val = long_tensor(r.ints(r.get(split, "val", "split"), "split.val"));
  d.split.test = long_tensor(r.ints(r.get(split, "test", "split"), "split.test"));
  const auto& graphs = r.get(root, "graphs", "");
  if (!graphs.is_array() || graphs.empty()) r.fail("graphs", "must be a non-empty array");
  if (d.task == nn::Task::kNode && graphs.size() != 1) r.fail("graphs", "must hold exactly one graph for a node task");
  for (size_t i = 0; i < graphs.size(); ++i) {
    const std::string where = "graphs[" + std::to_string(i) + "]";
    const auto& g = graphs[i];
    const int64_t n = r.integer(r.get(g, "num_nodes", where), where + ".num_nodes");
    const auto& ej = r.get(g, "edge_index", where);
    if (!ej.is_array() || ej.size() != 2) r.fail(where + ".edge_index", "must be [[sources], [targets]]");
    auto src = r.ints(ej[0], where + ".edge_index[0]");
    auto dst = r.ints(ej[1], where + ".edge_index[1]");
    if (src.size() != dst.size()) r.fail(where + ".edge_index", "rows must have the same length");
    const auto e = static_cast<int64_t>(src.size());
    at::Tensor edge_index = torch::stack({long_tensor(src), long_tensor(dst)}).view({2, e});
    const auto& xj = r.get(g, "x", where);
    if (!xj.is_array()) r.fail(where + ".x", "must be an array of rows");
    std::vector<float> flat;
    int64_t f = -1;
    for (size_t v = 0; v < xj.size(); ++v) {
      auto row = r.floats(xj[v], where + ".x[" + std::to_string(v) + "]");
      if (f < 0) f = static_cast<int64_t>(row.size());
      if (static_cast<int64_t>(row.size()) != f || f == 0) {
        r.fail(where + ".x[" + std::to_string(v) + "]", detail::concat("must have ", f, " > 0 numbers"));
      }
      flat.insert(flat.end(), row.begin(), row.end());
    }
    at::Tensor x = float_tensor(flat).view({static_cast<int64_t>(xj.size()), std::max<int64_t>(f, 1)});
    at::Tensor y = long_tensor(r.ints(r.get(g, "y", where), where + ".y"));
    at::Tensor em = float_tensor(r.floats(r.get(g, "edge_mask_gt", where), where + ".edge_mask_gt"));
    at::Tensor nm = float_tensor(r.floats(r.get(g, "node_mask_gt", where), where + ".node_mask_gt"));
    at::Tensor mi = long_tensor(r.ints(r.get(g, "motif_id", where), where + ".motif_id"));
    check_graph_fields(r, where, n, edge_index, x, y, em, nm, mi, d.task, d.num_classes);
    d.graphs.emplace_back(edge_index, n, x, at::Tensor(), y);
    d.edge_mask_gt.push_back(em);
    d.node_mask_gt.push_back(nm);
    d.motif_id.push_back(mi);
  }
  check_split(r, d.split, d.num_items());
  d.validate("load_dataset: " + source);
  return d;
}

// ---------------------------------------------------------------------------------------------
// .pt

std::string to_pt(const Dataset& d) {
  d.validate("to_pt");
  std::vector<at::Tensor> xs, eis, ys, ems, nms, mis;
  std::vector<int64_t> node_ptr{0}, edge_ptr{0};
  for (size_t i = 0; i < d.graphs.size(); ++i) {
    const auto& g = d.graphs[i];
    xs.push_back(cpu_float(g.x));
    eis.push_back(g.edge_index.to(torch::kCPU));
    ys.push_back(g.y.to(torch::kCPU));
    ems.push_back(cpu_float(d.edge_mask_gt[i]));
    nms.push_back(cpu_float(d.node_mask_gt[i]));
    mis.push_back(d.motif_id[i].to(torch::kCPU));
    node_ptr.push_back(node_ptr.back() + g.num_nodes);
    edge_ptr.push_back(edge_ptr.back() + g.num_edges());
  }
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("format", std::string(kFormat));
  dict.insert("version", kVersion);
  dict.insert("name", d.name);
  dict.insert("task", std::string(nn::to_string(d.task)));
  dict.insert("num_classes", d.num_classes);
  dict.insert("params", d.params.empty() ? std::string("{}") : d.params);
  dict.insert("x", torch::cat(xs));
  dict.insert("edge_index", torch::cat(eis, 1));
  dict.insert("y", torch::cat(ys));
  dict.insert("edge_mask_gt", torch::cat(ems));
  dict.insert("node_mask_gt", torch::cat(nms));
  dict.insert("motif_id", torch::cat(mis));
  dict.insert("node_ptr", torch::tensor(node_ptr, torch::kLong));
  dict.insert("edge_ptr", torch::tensor(edge_ptr, torch::kLong));
  dict.insert("train", d.split.train.to(torch::kCPU).contiguous());
  dict.insert("val", d.split.val.to(torch::kCPU).contiguous());
  dict.insert("test", d.split.test.to(torch::kCPU).contiguous());
  std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  return std::string(bytes.begin(), bytes.end());
}

Dataset from_pt(const std::string& bytes, const std::string& source) {
  Reader r{source};
  io::check_zip_crc(bytes, "load_dataset", source);
  c10::IValue root;
  try {
    root = io::unpickle(bytes);
  } catch (const std::exception& e) {
    GNNX_CHECK(false, "load_dataset: ", source,
               ": not a readable .pt file (truncated or corrupt?): ", first_line(e.what()));
  }
  GNNX_CHECK(root.isGenericDict(), "load_dataset: ", source, ": expected a dict at the top level");
  auto dict = root.toGenericDict();
  auto get = [&](const std::string& key) -> c10::IValue {
    auto it = dict.find(key);
    if (it == dict.end()) r.fail(key, "is missing");
    return it->value();
  };
  auto str = [&](const std::string& key) {
    auto v = get(key);
    if (!v.isString()) r.fail(key, "must be a string");
    return v.toStringRef();
  };
  auto integer = [&](const std::string& key) {
    auto v = get(key);
    if (!v.isInt()) r.fail(key, "must be an integer");
    return v.toInt();
  };
  auto tensor = [&](const std::string& key, int64_t dim, bool floating) {
    auto v = get(key);
    if (!v.isTensor()) r.fail(key, "must be a tensor");
    at::Tensor t = v.toTensor();
    if (t.dim() != dim) r.fail(key, detail::concat("must have ", dim, " dimension(s), got shape ", t.sizes()));
    if (floating ? !t.is_floating_point() : t.scalar_type() != at::kLong) {
      r.fail(key, floating ? "must be a float tensor" : "must be an int64 tensor");
    }
    return floating ? t.to(torch::kFloat).contiguous() : t.contiguous();
  };
  if (str("format") != kFormat) r.fail("format", "must be \"gnnx-dataset\"");
  if (integer("version") != kVersion) r.fail("version", detail::concat("must be ", kVersion));
  Dataset d;
  d.name = str("name");
  d.task = parse_task(str("task"), [&](const std::string& s) {
    r.fail("task", "must be \"node\" or \"graph\", got \"" + s + "\"");
  });
  d.num_classes = integer("num_classes");
  if (d.num_classes < 1) r.fail("num_classes", "must be positive");
  d.params = str("params");
  try {
    if (!json::parse(d.params).is_object()) r.fail("params", "must be a JSON object");
  } catch (const json::exception&) {
    r.fail("params", "must be JSON text");
  }
  at::Tensor x = tensor("x", 2, true), edge_index = tensor("edge_index", 2, false), y = tensor("y", 1, false);
  at::Tensor em = tensor("edge_mask_gt", 1, true), nm = tensor("node_mask_gt", 1, true),
             mi = tensor("motif_id", 1, false);
  at::Tensor node_ptr = tensor("node_ptr", 1, false), edge_ptr = tensor("edge_ptr", 1, false);
  d.split = {tensor("train", 1, false), tensor("val", 1, false), tensor("test", 1, false)};
  if (edge_index.size(0) != 2) r.fail("edge_index", detail::concat("must have shape [2, E], got ", edge_index.sizes()));
  const int64_t b = node_ptr.size(0) - 1;
  if (b < 1 || edge_ptr.size(0) != b + 1) r.fail("node_ptr", "and edge_ptr must have the same length B + 1 >= 2");
  if (d.task == nn::Task::kNode && b != 1) r.fail("node_ptr", "must describe exactly one graph for a node task");
  auto np = node_ptr.accessor<int64_t, 1>();
  auto ep = edge_ptr.accessor<int64_t, 1>();
  if (np[0] != 0 || np[b] != x.size(0)) r.fail("node_ptr", detail::concat("must run from 0 to ", x.size(0)));
  if (ep[0] != 0 || ep[b] != edge_index.size(1))
    r.fail("edge_ptr", detail::concat("must run from 0 to ", edge_index.size(1)));
  for (int64_t i = 0; i < b; ++i) {
    if (np[i + 1] < np[i]) r.fail("node_ptr", "must be non-decreasing");
    if (ep[i + 1] < ep[i]) r.fail("edge_ptr", "must be non-decreasing");
  }
  const int64_t y_len = d.task == nn::Task::kNode ? x.size(0) : b;
  if (y.size(0) != y_len) r.fail("y", detail::concat("must have ", y_len, " entries, got ", y.size(0)));
  if (em.size(0) != edge_index.size(1))
    r.fail("edge_mask_gt", detail::concat("must have ", edge_index.size(1), " entries"));
  if (nm.size(0) != x.size(0)) r.fail("node_mask_gt", detail::concat("must have ", x.size(0), " entries"));
  if (mi.size(0) != x.size(0)) r.fail("motif_id", detail::concat("must have ", x.size(0), " entries"));
  for (int64_t i = 0; i < b; ++i) {
    const std::string where = "graph " + std::to_string(i);
    const int64_t n = np[i + 1] - np[i];
    auto gx = x.slice(0, np[i], np[i + 1]).clone();
    auto gei = edge_index.slice(1, ep[i], ep[i + 1]).clone();
    auto gy = d.task == nn::Task::kNode ? y.slice(0, np[i], np[i + 1]).clone() : y.slice(0, i, i + 1).clone();
    auto gem = em.slice(0, ep[i], ep[i + 1]).clone();
    auto gnm = nm.slice(0, np[i], np[i + 1]).clone();
    auto gmi = mi.slice(0, np[i], np[i + 1]).clone();
    check_graph_fields(r, where, n, gei, gx, gy, gem, gnm, gmi, d.task, d.num_classes);
    d.graphs.emplace_back(gei, n, gx, at::Tensor(), gy);
    d.edge_mask_gt.push_back(gem);
    d.node_mask_gt.push_back(gnm);
    d.motif_id.push_back(gmi);
  }
  check_split(r, d.split, d.num_items());
  d.validate("load_dataset: " + source);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Files

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void save_dataset(const Dataset& dataset, const std::string& path) {
  if (ends_with(path, ".json")) {
    io::write_file_atomic(path, to_json(dataset));
  } else if (ends_with(path, ".pt")) {
    io::write_file_atomic(path, to_pt(dataset));
  } else {
    GNNX_CHECK(false, "save_dataset: the file name must end in .json or .pt, got '", path, "'");
  }
}

Dataset load_dataset(const std::string& path) {
  if (ends_with(path, ".json")) return from_json(io::read_file(path), path);
  if (ends_with(path, ".pt")) return from_pt(io::read_file(path), path);
  GNNX_CHECK(false, "load_dataset: the file name must end in .json or .pt, got '", path, "'");
  return {};
}

}  // namespace gnnx::datasets
