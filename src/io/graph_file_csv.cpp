// CSV edge lists with optional node-feature and label files (graph_file.h, ".csv").
//
// Speed: the file is read into one buffer and parsed in place (std::string_view fields,
// std::from_chars numbers), so a line costs no allocation; a 10^6-edge file loads in well under
// a second (bench/bench_graph_file.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include "io/graph_readers.h"

namespace gnnx::io::graph_readers {

namespace {

template <typename... Args>
[[noreturn]] void fail_line(const std::string& path, int64_t line, Args&&... args) {
  ::gnnx::detail::throw_error(
      ::gnnx::detail::concat("load_graph: ", path, " line ", line, ": ", std::forward<Args>(args)...));
}

// The content lines of a buffer: neither blank nor `#` comments, trimmed, with their 1-based
// line numbers.
class Lines {
 public:
  explicit Lines(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {
    if (text.size() >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;  // a UTF-8 byte order mark
  }
  bool next(std::string_view& line) {
    while (p_ < end_) {
      const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
      const char* stop = nl ? nl : end_;
      line = trim(std::string_view(p_, static_cast<size_t>(stop - p_)));
      p_ = nl ? nl + 1 : end_;
      ++number_;
      if (!line.empty() && line.front() != '#') return true;
    }
    return false;
  }
  int64_t number() const { return number_; }

 private:
  const char* p_;
  const char* end_;
  int64_t number_ = 0;
};

// Splits a line at commas into trimmed fields, storing at most `cap`; returns how many there are.
size_t split(std::string_view s, std::string_view* fields, size_t cap) {
  size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while (true) {
    const char* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
    const char* stop = comma ? comma : end;
    if (n < cap) fields[n] = trim(std::string_view(p, static_cast<size_t>(stop - p)));
    ++n;
    if (!comma) return n;
    p = comma + 1;
  }
}

void split_all(std::string_view s, std::vector<std::string_view>& fields) {
  fields.resize(std::max<size_t>(fields.size(), 8));
  size_t n = split(s, fields.data(), fields.size());
  if (n > fields.size()) {
    fields.resize(n);
    n = split(s, fields.data(), fields.size());
  }
  fields.resize(n);
}

bool is_number(std::string_view s) {
  double v = 0;
  return parse_double(s, v);
}

bool is_column_name(std::string_view s) {
  static const char* const kNames[] = {"source", "target", "src",   "dst",   "from", "to",
                                       "u",      "v",      "node1", "node2", "head", "tail"};
  for (const char* name : kNames) {
    if (s.size() != std::strlen(name)) continue;
    bool same = true;
    for (size_t i = 0; i < s.size() && same; ++i) same = std::tolower(static_cast<unsigned char>(s[i])) == name[i];
    if (same) return true;
  }
  return false;
}

// Node names -> ids, numbered in order of insertion. Open addressing with linear probing; a slot
// holds the name's hash, length and first 12 bytes, so that finding a short name touches one
// cache line (std::unordered_map touched three and made named files 8x slower than numbered
// ones). Names are views into the file's buffer, which outlives the index.
class NameIndex {
 public:
  NameIndex() : slots_(1024) {}
  /// The id of name, and whether it was added (as id size()) by this call.
  std::pair<int64_t, bool> insert(std::string_view name) {
    const uint64_t h = std::hash<std::string_view>()(name);
    Slot* s = &slots_[probe(name, h)];
    if (s->id >= 0) return {s->id, false};
    s->hash = h;
    s->id = static_cast<int64_t>(names_.size());
    s->size = static_cast<uint32_t>(name.size());
    std::memcpy(s->head, name.data(), std::min(name.size(), sizeof(s->head)));
    names_.push_back(name);
    if (2 * names_.size() > slots_.size()) grow();
    return {static_cast<int64_t>(names_.size()) - 1, true};
  }
  /// The id of name, or -1.
  int64_t find(std::string_view name) const { return slots_[probe(name, std::hash<std::string_view>()(name))].id; }
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    int64_t id = -1;  // -1: empty
    uint32_t size = 0;
    char head[12] = {};
  };
  // The slot holding name, or the empty slot where it belongs.
  size_t probe(std::string_view name, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id < 0) return i;
      if (s.hash == h && s.size == name.size() &&
          std::memcmp(s.head, name.data(), std::min(name.size(), sizeof(s.head))) == 0 &&
          (name.size() <= sizeof(s.head) || names_[static_cast<size_t>(s.id)] == name)) {
        return i;
      }
    }
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string_view> names_;
};

std::string field_count_error(size_t n, std::string_view line) {
  const bool spaced = n == 1 && line.find_first_of(" \t;") != std::string_view::npos;
  return ::gnnx::detail::concat("expected 2 or 3 fields (source,target[,weight]), got ", n,
                                spaced ? " (fields are separated by commas)" : "");
}

struct EdgeList {
  std::vector<int64_t> src, dst;
  std::vector<float> weight;
  bool weighted = false;
  bool named = false;
  NameIndex ids;  // named: name -> id
  int64_t num_nodes = 0;
};

// Parses the edge lines of `rest`. Integer ids first; when the first id that is not an
// integer comes before any integer id, the file is reparsed with named nodes.
class EdgeParser {
 public:
  EdgeParser(const std::string& path, std::string_view rest, int64_t line_offset)
      : path_(path), rest_(rest), offset_(line_offset) {}

  // Returns false when the ids are names (no id was an integer before the first that is not).
  bool parse_integers(EdgeList& out) {
    Lines lines(rest_);
    std::string_view line, f[3];
    int64_t first_int_line = 0, max_id = -1;
    while (lines.next(line)) {
      const int64_t at = lines.number() + offset_;
      check_fields(split(line, f, 3), at, line);
      int64_t s = 0, d = 0;
      for (int k = 0; k < 2; ++k) {
        int64_t& v = k == 0 ? s : d;
        if (!parse_int(f[k], v)) {
          if (first_int_line == 0 && k == 0) return false;  // named nodes
          fail_line(path_, at, "id \"", f[k], "\" is not an integer, but line ", first_int_line ? first_int_line : at,
                    " has integer ids; ids must be all integers (node ids) or all names");
        }
        if (v < 0) fail_line(path_, at, "negative node id ", v, "; integer ids are node ids 0..N-1");
        if (v == std::numeric_limits<int64_t>::max())  // N = id + 1 would not fit in int64
          fail_line(path_, at, "node id ", v, " is too large; integer ids are node ids 0..N-1");
        if (first_int_line == 0) first_int_line = at;
      }
      max_id = std::max(max_id, std::max(s, d));
      out.src.push_back(s);
      out.dst.push_back(d);
      if (weighted_) out.weight.push_back(weight(f[2], at));
    }
    out.weighted = weighted_;
    out.num_nodes = max_id + 1;
    return true;
  }

  void parse_names(EdgeList& out) {
    Lines lines(rest_);
    std::string_view line, f[3];
    out.named = true;
    out.src.clear();
    out.dst.clear();
    out.weight.clear();
    int64_t first_line = 0;
    while (lines.next(line)) {
      const int64_t at = lines.number() + offset_;
      check_fields(split(line, f, 3), at, line);
      if (first_line == 0) first_line = at;
      for (int k = 0; k < 2; ++k) {
        int64_t v = 0;
        if (parse_int(f[k], v)) {
          fail_line(path_, at, "id \"", f[k], "\" is an integer, but line ", first_line,
                    " names its nodes; ids must be all integers (node ids) or all names");
        }
        if (f[k].empty()) fail_line(path_, at, "empty node id");
        (k == 0 ? out.src : out.dst).push_back(out.ids.insert(f[k]).first);
      }
      if (weighted_) out.weight.push_back(weight(f[2], at));
    }
    out.weighted = weighted_;
    out.num_nodes = static_cast<int64_t>(out.ids.names().size());
  }

 private:
  void check_fields(size_t n, int64_t at, std::string_view line) {
    if (n != 2 && n != 3) fail_line(path_, at, field_count_error(n, line));
    if (first_ == 0) {
      first_ = at;
      weighted_ = n == 3;
    } else if ((n == 3) != weighted_) {
      fail_line(path_, at, "expected ", weighted_ ? 3 : 2, " fields as on line ", first_,
                weighted_ ? " (source,target,weight)" : " (source,target)", ", got ", n,
                "; either every edge has a weight or none has");
    }
  }
  float weight(std::string_view s, int64_t at) const {
    double w = 0;
    if (!parse_double(s, w)) fail_line(path_, at, "weight \"", s, "\" is not a number");
    if (!std::isfinite(w)) fail_line(path_, at, "weight ", s, " is not finite");
    return static_cast<float>(w);
  }

  const std::string& path_;
  std::string_view rest_;
  int64_t offset_;
  int64_t first_ = 0;
  bool weighted_ = false;
};

EdgeList read_edges(const std::string& path, const std::string& bytes) {
  Lines lines(bytes);
  std::string_view first;
  if (!lines.next(first))
    fail(path, "no edge lines (source,target[,weight]); the file holds only comments or blank lines");
  const int64_t first_number = lines.number();
  std::string_view f[3];
  const size_t n = split(first, f, 3);
  if (n != 2 && n != 3) fail_line(path, first_number, field_count_error(n, first));
  const bool numeric = is_number(f[0]) && is_number(f[1]) && (n == 2 || is_number(f[2]));
  // The text from the first line (a header candidate) and from the line after it.
  const std::string_view all(bytes);
  const std::string_view body = all.substr(static_cast<size_t>(first.data() - bytes.data()));
  const size_t after = static_cast<size_t>(first.data() + first.size() - bytes.data());
  const std::string_view rest = all.substr(std::min(all.size(), after));
  const int64_t rest_offset = first_number - 1;  // `rest` starts within the first line

  // About one edge per newline: reserving once keeps the parse free of reallocations.
  const auto estimate = static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  EdgeList out;
  out.src.reserve(estimate);
  out.dst.reserve(estimate);
  if (numeric) {
    if (!EdgeParser(path, body, first_number - 1).parse_integers(out)) {
      EdgeParser(path, body, first_number - 1).parse_names(out);
    }
    return out;
  }
  // The first line is a header when its weight is no number or when the lines after it have
  // integer ids; with named nodes, only when both its first fields are column names.
  const bool column_names = (n == 3 && !is_number(f[2])) || (is_column_name(f[0]) && is_column_name(f[1]));
  if (EdgeParser(path, rest, rest_offset).parse_integers(out)) {
    if (!out.src.empty() || column_names) {
      if (out.src.empty()) fail(path, "no edge lines (source,target[,weight]) after the header");
      return out;
    }
  }
  EdgeParser(path, column_names ? rest : body, column_names ? rest_offset : first_number - 1).parse_names(out);
  if (out.src.empty()) fail(path, "no edge lines (source,target[,weight]) after the header");
  return out;
}

// Rows `id,v1,...,vk` of a node file (features or labels), placed by node.
struct NodeRows {
  int64_t width = 0;           // values per row
  std::vector<int64_t> node;   // by row
  std::vector<int64_t> line;   // by row
  std::vector<double> values;  // row-major
};

NodeRows read_node_rows(const std::string& path, const char* what, const EdgeList& edges, bool labels) {
  const std::string bytes = read_bytes(path);
  Lines lines(bytes);
  std::string_view line;
  std::vector<std::string_view> f;
  NodeRows rows;
  int64_t first_line = 0;
  bool first = true;
  while (lines.next(line)) {
    const int64_t at = lines.number();
    split_all(line, f);
    const auto width = static_cast<int64_t>(f.size()) - 1;
    if (first) {
      first = false;
      // A header when a value (or, with integer ids, the id) is no number.
      bool header = !edges.named && !is_number(f[0]);
      for (size_t k = 1; k < f.size(); ++k) header = header || !is_number(f[k]);
      if (header && width >= 1) continue;
    }
    if (labels ? width != 1 : width < 1) {
      fail_line(path, at, "expected ", labels ? "2 fields (id,label)" : "an id and at least one feature (id,f1,...,fk)",
                ", got ", f.size(), " field(s)");
    }
    if (first_line == 0) {
      first_line = at;
      rows.width = width;
    } else if (width != rows.width) {
      fail_line(path, at, "expected ", rows.width + 1, " fields (id and ", rows.width, " ", what, ") as on line ",
                first_line, ", got ", f.size());
    }
    int64_t id = 0;
    if (edges.named) {
      id = edges.ids.find(f[0]);
      if (id < 0) fail_line(path, at, what, " for node \"", f[0], "\", which no edge of the graph names");
    } else {
      if (!parse_int(f[0], id))
        fail_line(path, at, "node id \"", f[0], "\" is not an integer, as the edge file's ids are");
      if (id < 0) fail_line(path, at, "negative node id ", id);
    }
    rows.node.push_back(id);
    rows.line.push_back(at);
    for (size_t k = 1; k < f.size(); ++k) {
      double v = 0;
      int64_t label = 0;
      if (labels) {
        if (!parse_int(f[k], label)) fail_line(path, at, "label \"", f[k], "\" is not an integer");
        v = static_cast<double>(label);
      } else {
        if (!parse_double(f[k], v)) fail_line(path, at, "feature ", k, " \"", f[k], "\" is not a number");
        if (!std::isfinite(v)) fail_line(path, at, "feature ", k, " is ", f[k], "; features must be finite");
      }
      rows.values.push_back(v);
    }
  }
  if (rows.node.empty()) fail(path, "no ", what, " rows");
  return rows;
}

// row_of[v]: the row of node v; fails for ids >= n, repeated ids and nodes without a row.
std::vector<int64_t> place_rows(const std::string& path, const char* what, const NodeRows& rows, int64_t n) {
  if (n > static_cast<int64_t>(rows.node.size())) {  // some node has no row: name the first, before allocating n
    std::vector<int64_t> ids(rows.node);
    std::sort(ids.begin(), ids.end());
    int64_t missing = 0;
    for (int64_t id : ids) {
      if (id > missing) break;
      if (id == missing) ++missing;
    }
    fail(path, "no ", what, " row for node ", missing, "; every node needs one (the graph has ", n, " nodes, the file ",
         rows.node.size(), " rows)");
  }
  std::vector<int64_t> row_of(static_cast<size_t>(n), -1);
  for (size_t r = 0; r < rows.node.size(); ++r) {
    const int64_t v = rows.node[r];
    if (v >= n)
      fail_line(path, rows.line[r], what, " for node ", v, ", but the graph has ", n, " nodes (0..", n - 1, ")");
    auto& slot = row_of[static_cast<size_t>(v)];
    if (slot >= 0) {
      fail_line(path, rows.line[r], "a second row for node ", v, " (the first is on line ",
                rows.line[static_cast<size_t>(slot)], ")");
    }
    slot = static_cast<int64_t>(r);
  }
  for (int64_t v = 0; v < n; ++v) {
    if (row_of[static_cast<size_t>(v)] < 0) fail(path, "no ", what, " row for node ", v, "; every node needs one");
  }
  return row_of;
}

}  // namespace

LoadedGraph read_csv(const std::string& path, const GraphFileOptions& options) {
  const std::string bytes = read_bytes(path);
  EdgeList edges = read_edges(path, bytes);
  LoadedGraph out;
  int64_t n = edges.num_nodes;

  at::Tensor x;
  if (!options.features().empty()) {
    const NodeRows rows = read_node_rows(options.features(), "features", edges, /*labels=*/false);
    if (!edges.named) n = std::max(n, static_cast<int64_t>(rows.node.size()));
    const auto row_of = place_rows(options.features(), "features", rows, n);
    x = torch::empty({n, rows.width}, torch::kFloat);
    float* px = x.data_ptr<float>();
    for (int64_t v = 0; v < n; ++v) {
      const double* src = rows.values.data() + row_of[static_cast<size_t>(v)] * rows.width;
      for (int64_t c = 0; c < rows.width; ++c) px[v * rows.width + c] = static_cast<float>(src[c]);
    }
  }
  at::Tensor y;
  if (!options.labels().empty()) {
    const NodeRows rows = read_node_rows(options.labels(), "labels", edges, /*labels=*/true);
    const auto row_of = place_rows(options.labels(), "labels", rows, n);
    y = torch::empty({n}, torch::kLong);
    int64_t* py = y.data_ptr<int64_t>();
    for (int64_t v = 0; v < n; ++v) {
      py[v] = static_cast<int64_t>(rows.values[static_cast<size_t>(row_of[static_cast<size_t>(v)])]);
    }
  }

  const auto e = static_cast<int64_t>(edges.src.size());
  at::Tensor edge_index = torch::empty({2, e}, torch::kLong);
  std::copy(edges.src.begin(), edges.src.end(), edge_index.data_ptr<int64_t>());
  std::copy(edges.dst.begin(), edges.dst.end(), edge_index.data_ptr<int64_t>() + e);
  at::Tensor edge_weight;
  if (edges.weighted) {
    edge_weight = torch::empty({e}, torch::kFloat);
    std::copy(edges.weight.begin(), edges.weight.end(), edge_weight.data_ptr<float>());
  }
  if (options.undirected()) append_reverse_edges(edge_index, edge_weight);

  out.graph.edge_index = edge_index;
  out.graph.num_nodes = n;
  out.graph.x = x;
  out.graph.edge_weight = edge_weight;
  out.graph.y = y;
  if (edges.named) out.node_names.assign(edges.ids.names().begin(), edges.ids.names().end());
  return out;
}

}  // namespace gnnx::io::graph_readers
