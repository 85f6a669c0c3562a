// load_graph: picks the reader by format, validates what it returns. The readers are
// graph_file_<format>.cpp; what they share is here.
#include "gnnx/io/graph_file.h"
#include "core/error_text.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <torch/torch.h>

#include "io/graph_readers.h"

namespace gnnx::io {

namespace graph_readers {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in.good()) fail(path, "cannot open the file");
  std::string bytes;
  const std::streamoff size = in.tellg();
  if (size >= 0) {  // one read of the whole file
    bytes.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(bytes.data(), size);
    if (in.gcount() != size) fail(path, "error while reading the file");
  } else {  // not seekable (a pipe)
    in.clear();
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (in.bad()) fail(path, "error while reading the file");
  if (bytes.empty()) fail(path, "the file is empty");
  return bytes;
}

std::optional<std::vector<int64_t>> permutation_ids(const std::vector<std::string>& ids) {
  const auto n = static_cast<int64_t>(ids.size());
  std::vector<int64_t> out(ids.size());
  std::vector<bool> seen(ids.size(), false);
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t v = -1;
    if (!parse_int(trim(ids[i]), v) || v < 0 || v >= n || seen[static_cast<size_t>(v)]) return std::nullopt;
    seen[static_cast<size_t>(v)] = true;
    out[i] = v;
  }
  return out;
}

void append_reverse_edges(at::Tensor& edge_index, at::Tensor& edge_weight) {
  const auto keep = torch::nonzero(edge_index[0] != edge_index[1]).squeeze(1);
  edge_index = torch::cat({edge_index, edge_index.index_select(1, keep).flip(0)}, 1);
  if (edge_weight.defined()) edge_weight = torch::cat({edge_weight, edge_weight.index_select(0, keep)});
}

namespace {

// An integer, or a number with no fractional part ("3.0" as GraphML writers give a float label).
bool parse_label(std::string_view s, int64_t& out) {
  s = trim(s);
  if (parse_int(s, out)) return true;
  double d = 0;
  if (!parse_double(s, d) || !std::isfinite(d) || d != std::floor(d) || std::abs(d) > 9.007199254740992e15)
    return false;
  out = static_cast<int64_t>(d);
  return true;
}

}  // namespace

LoadedGraph from_attributed(const std::string& path, AttributedGraph g, const GraphFileOptions& options) {
  const auto n = static_cast<int64_t>(g.node_ids.size());
  const auto e = static_cast<int64_t>(g.src.size());
  LoadedGraph out;
  // where[k]: the node id of the k-th node the reader saw.
  std::vector<int64_t> where(g.node_ids.size());
  if (auto ids = permutation_ids(g.node_ids)) {
    where = std::move(*ids);
  } else {
    for (int64_t k = 0; k < n; ++k) where[static_cast<size_t>(k)] = k;
    out.node_names = g.node_ids;
  }
  auto node_name = [&](size_t k) { return "node \"" + g.node_ids[k] + "\""; };
  auto edge_name = [&](size_t i) {
    return detail::concat("edge ", i, " (", g.node_ids[static_cast<size_t>(g.src[i])], " -> ",
                          g.node_ids[static_cast<size_t>(g.dst[i])], ")");
  };

  at::Tensor edge_index = torch::empty({2, e}, torch::kLong);
  auto ei = edge_index.accessor<int64_t, 2>();
  for (int64_t i = 0; i < e; ++i) {
    ei[0][i] = where[static_cast<size_t>(g.src[static_cast<size_t>(i)])];
    ei[1][i] = where[static_cast<size_t>(g.dst[static_cast<size_t>(i)])];
  }

  // edge_weight: once one edge has the attribute, every edge needs a number.
  at::Tensor edge_weight;
  const std::string& wname = options.weight();
  const bool weighted = std::any_of(g.edge_attrs.begin(), g.edge_attrs.end(),
                                    [&](const auto& a) { return a.count(wname) > 0; });
  if (weighted) {
    edge_weight = torch::empty({e}, torch::kFloat);
    auto w = edge_weight.accessor<float, 1>();
    for (size_t i = 0; i < g.edge_attrs.size(); ++i) {
      auto it = g.edge_attrs[i].find(wname);
      if (it == g.edge_attrs[i].end()) {
        fail(path, edge_name(i), " has no '", wname, "' attribute; once one edge has it, every edge needs a number");
      }
      double v = 0;
      if (!parse_double(trim(it->second), v) || !std::isfinite(v)) {
        fail(path, edge_name(i), ": attribute '", wname, "' must be a finite number, got \"", it->second, "\"");
      }
      w[static_cast<int64_t>(i)] = static_cast<float>(v);
    }
  }

  // y: the first of options.label(), "y" whose values are integers. An attribute none of whose
  // values is an integer (a DOT display label) is skipped; one that is partly integers is an error.
  std::set<std::string> label_names{options.label(), "y"};
  at::Tensor y;
  for (const std::string& lname : {options.label(), std::string("y")}) {
    if (y.defined()) break;
    int64_t present = 0, integers = 0;
    for (const auto& a : g.node_attrs) {
      auto it = a.find(lname);
      if (it == a.end()) continue;
      ++present;
      int64_t v = 0;
      integers += parse_label(it->second, v);
    }
    if (integers == 0) continue;
    y = torch::empty({n}, torch::kLong);
    auto ya = y.accessor<int64_t, 1>();
    for (size_t k = 0; k < g.node_attrs.size(); ++k) {
      auto it = g.node_attrs[k].find(lname);
      if (it == g.node_attrs[k].end()) {
        fail(path, node_name(k), " has no '", lname,
             "' attribute; once nodes have integer labels, every node needs one");
      }
      int64_t v = 0;
      if (!parse_label(it->second, v)) {
        fail(path, node_name(k), ": attribute '", lname, "' must be an integer label, got \"", it->second, "\"");
      }
      ya[where[k]] = v;
    }
  }

  // x: every other attribute whose values are all numbers, one column each, in name order.
  std::set<std::string> names;
  for (const auto& a : g.node_attrs)
    for (const auto& [name, value] : a)
      if (!label_names.count(name)) names.insert(name);
  std::vector<std::string> columns;
  for (const auto& name : names) {
    bool numeric = true;
    for (const auto& a : g.node_attrs) {
      auto it = a.find(name);
      double v = 0;
      if (it != a.end() && !parse_double(trim(it->second), v)) {
        numeric = false;
        break;
      }
    }
    if (numeric) columns.push_back(name);
  }
  at::Tensor x;
  if (!columns.empty()) {
    const auto f = static_cast<int64_t>(columns.size());
    x = torch::empty({n, f}, torch::kFloat);
    auto xa = x.accessor<float, 2>();
    for (size_t k = 0; k < g.node_attrs.size(); ++k) {
      for (int64_t c = 0; c < f; ++c) {
        const auto& name = columns[static_cast<size_t>(c)];
        auto it = g.node_attrs[k].find(name);
        if (it == g.node_attrs[k].end()) {
          fail(path, node_name(k), " has no '", name, "' attribute; a numeric node attribute becomes feature column ",
               c, " of x and needs a value on every node");
        }
        double v = 0;
        parse_double(trim(it->second), v);
        xa[where[k]][c] = static_cast<float>(v);
      }
    }
  }

  if (!g.directed || options.undirected()) append_reverse_edges(edge_index, edge_weight);
  out.graph.edge_index = edge_index;
  out.graph.num_nodes = n;
  out.graph.x = x;
  out.graph.edge_weight = edge_weight;
  out.graph.y = y;
  return out;
}

}  // namespace graph_readers

namespace {

GraphFormat format_for(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".pt") return GraphFormat::kPt;
  if (ext == ".csv") return GraphFormat::kCsv;
  if (ext == ".graphml") return GraphFormat::kGraphML;
  if (ext == ".dot" || ext == ".gv") return GraphFormat::kDot;
  if (ext == ".json") return GraphFormat::kJson;
  graph_readers::fail(path, "unknown extension \"", ext,
                      "\"; expected .pt, .csv, .graphml, .dot, .gv or .json (or set GraphFileOptions::format)");
}

// The first line of an exception's text (LibTorch appends a C++ backtrace).
std::string first_line(const char* what) { return gnnx::detail::message_line(what); }

}  // namespace

LoadedGraph load_graph(const std::string& path, const GraphFileOptions& options) {
  namespace fs = std::filesystem;
  using graph_readers::fail;
  GNNX_CHECK(!path.empty(), "load_graph: expected a file path, got an empty string");
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) fail(path, "no such file");
  if (fs::is_directory(status)) fail(path, "is a directory, expected a graph file");
  GNNX_CHECK(options.graph_index() >= 0, "load_graph: ", path, ": graph_index must be >= 0, got ",
             options.graph_index());
  const GraphFormat format = options.format() == GraphFormat::kAuto ? format_for(path) : options.format();
  LoadedGraph out;
  try {
    switch (format) {
      case GraphFormat::kPt: out = graph_readers::read_pt(path, options); break;
      case GraphFormat::kCsv: out = graph_readers::read_csv(path, options); break;
      case GraphFormat::kGraphML: out = graph_readers::read_graphml(path, options); break;
      case GraphFormat::kDot: out = graph_readers::read_dot(path, options); break;
      case GraphFormat::kJson: out = graph_readers::read_json(path, options); break;
      case GraphFormat::kAuto: GNNX_ASSERT(false, "load_graph: format kAuto was not resolved"); break;
    }
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    fail(path, first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    // A reader's own checks raise gnnx::Error; anything else (a tensor op, an allocation) still
    // names the file.
    fail(path, first_line(e.what()));
  }
  out.format = to_string(format);
  out.graph.validate("load_graph: " + path);
  if (out.batch.defined()) {
    GNNX_CHECK(out.batch.dim() == 1 && out.batch.size(0) == out.graph.num_nodes, "load_graph: ", path,
               ": batch must have shape [N] = [", out.graph.num_nodes, "], got ", out.batch.sizes());
  }
  return out;
}

}  // namespace gnnx::io
