#pragma once
// What the graph file readers (graph_file_<format>.cpp) share. Private to src/io.
//
// Each reader returns a LoadedGraph whose graph is not yet validated; load_graph validates it and
// sets `format`. Every error goes through fail(), so that it starts "load_graph: <path>".

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gnnx/core/check.h"
#include "gnnx/io/graph_file.h"

namespace gnnx::io::graph_readers {

LoadedGraph read_pt(const std::string& path, const GraphFileOptions& options);
LoadedGraph read_csv(const std::string& path, const GraphFileOptions& options);
LoadedGraph read_graphml(const std::string& path, const GraphFileOptions& options);
LoadedGraph read_dot(const std::string& path, const GraphFileOptions& options);
LoadedGraph read_json(const std::string& path, const GraphFileOptions& options);

/// Throws gnnx::Error "load_graph: <path>: <args...>".
template <typename... Args>
[[noreturn]] void fail(const std::string& path, Args&&... args) {
  ::gnnx::detail::throw_error(::gnnx::detail::concat("load_graph: ", path, ": ", std::forward<Args>(args)...));
}

/// The whole file as bytes; fails naming the path when it cannot be read or is empty.
std::string read_bytes(const std::string& path);

/// Whitespace (space, tab, CR) trimmed from both ends.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The whole of s as an integer (a leading '+' allowed); false for anything else.
inline bool parse_int(std::string_view s, int64_t& out) {
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

/// The whole of s as a number (decimal or scientific, inf and nan included); false otherwise.
inline bool parse_double(std::string_view s, double& out) {
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

/// For node ids that are the integers 0..N-1 in some order, the integer of each; else nullopt.
std::optional<std::vector<int64_t>> permutation_ids(const std::vector<std::string>& ids);

/// Appends to edge_index ([2, E] int64) the reverse of every edge that is not a self-loop, in
/// order, and to edge_weight (when defined) their weights.
void append_reverse_edges(at::Tensor& edge_index, at::Tensor& edge_weight);

/// A graph as the GraphML and DOT readers see it: node ids and text attributes.
struct AttributedGraph {
  std::vector<std::string> node_ids;                           // by node, in the reader's order
  std::vector<std::map<std::string, std::string>> node_attrs;  // by node: name -> value text
  std::vector<int64_t> src, dst;                               // by edge, in file order
  std::vector<std::map<std::string, std::string>> edge_attrs;  // by edge
  bool directed = true;                                        // false: store both directions
};

/// Turns attributes into tensors by the rules in graph_file.h ("Attributes"): node ids,
/// edge_weight from options.weight(), y from options.label() (else "y"), numeric node attributes
/// as feature columns in sorted name order.
LoadedGraph from_attributed(const std::string& path, AttributedGraph g, const GraphFileOptions& options);

}  // namespace gnnx::io::graph_readers
