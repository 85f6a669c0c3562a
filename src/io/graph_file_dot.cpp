// GraphViz DOT through Boost.Graph's reader (graph_file.h, ".dot").
//
// boost::read_graphviz fills an adjacency_list and hands every attribute to a
// boost::dynamic_properties. Its generator makes a text property map for each attribute name it
// meets, so that no attribute is rejected; the maps store the text in the vertex's or edge's
// bundle. Bidirectional and undirected adjacency_lists list their edges in insertion order,
// which is the file's.
#include <map>
#include <string>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/make_shared.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include "io/graph_readers.h"

namespace gnnx::io::graph_readers {

namespace {

// The property name under which Boost reports each node's DOT id.
constexpr const char* kNodeId = "gnnx:node_id";

struct Attrs {
  std::map<std::string, std::string> text;
};

template <typename Directed>
using DotGraph = boost::adjacency_list<boost::vecS, boost::vecS, Directed, Attrs, Attrs>;

// A dynamic property map that keeps each value, as text, in the key's Attrs under `name`.
template <typename Graph, typename Key>
class TextMap : public boost::dynamic_property_map {
 public:
  TextMap(Graph& g, std::string name) : g_(g), name_(std::move(name)) {}
  boost::any get(const boost::any& key) override { return get_string(key); }
  std::string get_string(const boost::any& key) override {
    const auto& text = g_[boost::any_cast<Key>(key)].text;
    auto it = text.find(name_);
    return it == text.end() ? std::string() : it->second;
  }
  void put(const boost::any& key, const boost::any& value) override {
    g_[boost::any_cast<Key>(key)].text[name_] = boost::any_cast<std::string>(value);
  }
  const std::type_info& key() const override { return typeid(Key); }
  const std::type_info& value() const override { return typeid(std::string); }

 private:
  Graph& g_;
  std::string name_;
};

template <typename Directed>
AttributedGraph read_as(const std::string& text) {
  using Graph = DotGraph<Directed>;
  using Vertex = typename boost::graph_traits<Graph>::vertex_descriptor;
  using Edge = typename boost::graph_traits<Graph>::edge_descriptor;
  Graph g;
  boost::dynamic_properties dp([&g](const std::string& name, const boost::any& key,
                                    const boost::any&) -> boost::shared_ptr<boost::dynamic_property_map> {
    if (key.type() == typeid(Vertex)) return boost::make_shared<TextMap<Graph, Vertex>>(g, name);
    if (key.type() == typeid(Edge)) return boost::make_shared<TextMap<Graph, Edge>>(g, name);
    return {};  // graph attributes are ignored
  });
  boost::read_graphviz(text, g, dp, kNodeId);

  AttributedGraph out;
  out.directed = std::is_same_v<Directed, boost::bidirectionalS>;
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    auto attrs = g[*v].text;
    out.node_ids.push_back(attrs[kNodeId]);
    attrs.erase(kNodeId);
    out.node_attrs.push_back(std::move(attrs));
  }
  for (auto [e, end] = boost::edges(g); e != end; ++e) {
    out.src.push_back(static_cast<int64_t>(boost::source(*e, g)));
    out.dst.push_back(static_cast<int64_t>(boost::target(*e, g)));
    out.edge_attrs.push_back(g[*e].text);
  }
  return out;
}

}  // namespace

LoadedGraph read_dot(const std::string& path, const GraphFileOptions& options) {
  const std::string text = read_bytes(path);
  AttributedGraph g;
  try {
    try {
      g = read_as<boost::bidirectionalS>(text);
    } catch (const boost::undirected_graph_error&) {  // a `graph`, not a `digraph`
      g = read_as<boost::undirectedS>(text);
    }
  } catch (const std::exception& e) {
    fail(path, "not valid DOT: ", e.what());
  }
  return from_attributed(path, std::move(g), options);
}

}  // namespace gnnx::io::graph_readers
