// GraphML through Boost.Graph's reader (graph_file.h, ".graphml").
//
// Boost's read_graphml fills a graph through the boost::mutate_graph interface. gnnx implements
// that interface itself instead of reading into an adjacency_list through dynamic_properties:
// it receives every attribute as the file's text (dynamic_properties would lexical_cast it to
// the declared type first, and lexical_cast<bool> rejects GraphML's "true"), it keeps the edges
// in file order (edge i of the file is edge i of the Graph), and it accepts every attribute name
// without a property map per name.
#include <set>
#include <sstream>

#include <boost/graph/graphml.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "io/graph_readers.h"

namespace gnnx::io::graph_readers {

namespace {

// Collects nodes, edges and their attribute texts. Vertex and edge handles are their indices.
class Collector : public boost::mutate_graph {
 public:
  explicit Collector(bool directed) : directed_(directed) {}
  bool is_directed() const override { return directed_; }
  boost::any do_add_vertex() override {
    g.node_attrs.emplace_back();
    return boost::any(g.node_attrs.size() - 1);
  }
  std::pair<boost::any, bool> do_add_edge(boost::any source, boost::any target) override {
    g.src.push_back(static_cast<int64_t>(boost::any_cast<size_t>(source)));
    g.dst.push_back(static_cast<int64_t>(boost::any_cast<size_t>(target)));
    g.edge_attrs.emplace_back();
    return {boost::any(g.src.size() - 1), true};
  }
  void set_graph_property(const std::string&, const std::string&, const std::string&) override {}
  void set_vertex_property(const std::string& name, boost::any vertex, const std::string& value,
                           const std::string&) override {
    g.node_attrs[boost::any_cast<size_t>(vertex)][name] = value;
  }
  void set_edge_property(const std::string& name, boost::any edge, const std::string& value,
                         const std::string&) override {
    g.edge_attrs[boost::any_cast<size_t>(edge)][name] = value;
  }

  AttributedGraph g;

 private:
  bool directed_;
};

// Boost numbers the nodes of the chosen <graph> (and of the <graph>s directly inside it) in
// document order, then the nodes that only edges name; it does not report their ids, so they
// are read here from the same XML in the same order.
std::vector<std::string> node_ids(const std::string& path, const std::string& text, size_t graph_index) {
  namespace pt = boost::property_tree;
  pt::ptree root;
  std::istringstream in(text);
  pt::read_xml(in, root, pt::xml_parser::no_comments | pt::xml_parser::trim_whitespace);
  std::vector<const pt::ptree*> graphs;
  size_t index = 0;
  for (const auto& child : root.get_child("graphml")) {
    if (child.first != "graph") continue;
    if (index++ != graph_index) continue;
    graphs.push_back(&child.second);
    for (size_t k = 0; k < graphs.size(); ++k)
      for (const auto& sub : *graphs[k])
        if (sub.first == "graph") graphs.push_back(&sub.second);
    break;
  }
  if (graphs.empty())
    fail(path, "graph_index ", graph_index, " is out of range: the file holds ", index, " <graph>(s)");
  std::vector<std::string> ids;
  std::set<std::string> seen;
  auto add = [&](const std::string& id) {
    if (seen.insert(id).second) ids.push_back(id);
  };
  for (const auto* gr : graphs)
    for (const auto& node : *gr)
      if (node.first == "node") add(node.second.get<std::string>("<xmlattr>.id"));
  for (const auto* gr : graphs) {
    for (const auto& edge : *gr) {
      if (edge.first != "edge") continue;
      add(edge.second.get<std::string>("<xmlattr>.source"));
      add(edge.second.get<std::string>("<xmlattr>.target"));
    }
  }
  return ids;
}

// Reads with a directed collector, and again with an undirected one when the file's edges are
// undirected (Boost rejects edges whose direction differs from the graph's).
AttributedGraph collect(const std::string& path, const std::string& text, size_t graph_index) {
  for (bool directed : {true, false}) {
    Collector c(directed);
    std::istringstream in(text);
    try {
      boost::read_graphml(in, c, graph_index);
    } catch (const boost::undirected_graph_error&) {
      if (directed) continue;
      throw;
    }
    c.g.directed = directed;
    return std::move(c.g);
  }
  fail(path, "edges are neither all directed nor all undirected");
}

}  // namespace

LoadedGraph read_graphml(const std::string& path, const GraphFileOptions& options) {
  const std::string text = read_bytes(path);
  const auto graph_index = static_cast<size_t>(options.graph_index());
  AttributedGraph g;
  try {
    g = collect(path, text, graph_index);
    g.node_ids = node_ids(path, text, graph_index);
  } catch (const Error&) {
    throw;
  } catch (const boost::directed_graph_error&) {
    fail(path, "mixes directed and undirected edges; expected one kind");
  } catch (const boost::property_tree::ptree_error& e) {
    fail(path, "not valid GraphML (truncated or broken XML?): ", e.what());
  } catch (const std::exception& e) {
    fail(path, "not valid GraphML: ", e.what());
  }
  if (g.node_ids.size() != g.node_attrs.size()) {
    fail(path, "found ", g.node_ids.size(), " node ids but Boost read ", g.node_attrs.size(), " nodes (is graph_index ",
         graph_index, " a <graph> of the file?)");
  }
  return from_attributed(path, std::move(g), options);
}

}  // namespace gnnx::io::graph_readers
