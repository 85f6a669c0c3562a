// load_graph: each format read into exact tensors, round trips Graph -> file -> Graph, and the
// catalogue of bad inputs with the message each must give.
#include "gnnx/io/graph_file.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include "gnnx/datasets/dataset_io.h"
#include "gnnx/datasets/synthetic.h"
#include "support/catch.h"
#include "support/tensor_match.h"

namespace fs = std::filesystem;
using gnnx::Graph;
using gnnx::io::GraphFileOptions;
using gnnx::io::GraphFormat;
using gnnx::io::load_graph;

namespace {

// A fresh directory under the system's temporary directory, removed with its files.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("gnnx_graph_file_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }
  std::string dir() const { return path_.string(); }

 private:
  fs::path path_;
};

at::Tensor longs(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }
at::Tensor edges(std::vector<int64_t> src, std::vector<int64_t> dst) {
  return torch::stack({longs(std::move(src)), longs(std::move(dst))});
}
at::Tensor floats(std::vector<float> v) { return torch::tensor(v, torch::kFloat); }

bool same(const at::Tensor& a, const at::Tensor& b) {
  return a.defined() == b.defined() &&
         (!a.defined() || (a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && torch::equal(a, b)));
}

std::string pt_bytes(const c10::IValue& v) {
  auto bytes = torch::pickle_save(v);
  return std::string(bytes.begin(), bytes.end());
}

// A small graph with every field: 4 nodes (node 3 isolated), 2 features, weights, labels.
Graph sample_graph() {
  return Graph(edges({0, 1, 2, 2}, {1, 2, 0, 1}), /*num_nodes=*/4,
               torch::tensor({{0.5f, 1.f}, {-2.f, 0.25f}, {3.f, 4.f}, {0.f, -1.5f}}), floats({1.f, 0.5f, 2.f, 0.125f}),
               longs({0, 1, 1, 0}));
}

// Writers of each format, as the outside world would produce them.
std::string to_csv_edges(const Graph& g) {
  std::ostringstream s;
  s << "source,target,weight\n";
  for (int64_t i = 0; i < g.num_edges(); ++i)
    s << g.edge_index[0][i].item<int64_t>() << "," << g.edge_index[1][i].item<int64_t>() << ","
      << g.edge_weight[i].item<float>() << "\n";
  return s.str();
}
std::string to_csv_features(const Graph& g) {
  std::ostringstream s;
  s << "id,f0,f1\n";
  for (int64_t v = g.num_nodes - 1; v >= 0; --v)  // any row order
    s << v << "," << g.x[v][0].item<float>() << "," << g.x[v][1].item<float>() << "\n";
  return s.str();
}
std::string to_csv_labels(const Graph& g) {
  std::ostringstream s;
  for (int64_t v = 0; v < g.num_nodes; ++v) s << v << "," << g.y[v].item<int64_t>() << "\n";
  return s.str();
}
std::string to_graphml(const Graph& g) {
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
       "  <key id=\"d0\" for=\"node\" attr.name=\"label\" attr.type=\"int\"/>\n"
       "  <key id=\"d1\" for=\"node\" attr.name=\"f0\" attr.type=\"double\"/>\n"
       "  <key id=\"d2\" for=\"node\" attr.name=\"f1\" attr.type=\"double\"/>\n"
       "  <key id=\"d3\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n"
       "  <graph id=\"G\" edgedefault=\"directed\">\n";
  for (int64_t v = 0; v < g.num_nodes; ++v)
    s << "    <node id=\"" << v << "\"><data key=\"d0\">" << g.y[v].item<int64_t>() << "</data><data key=\"d1\">"
      << g.x[v][0].item<float>() << "</data><data key=\"d2\">" << g.x[v][1].item<float>() << "</data></node>\n";
  for (int64_t i = 0; i < g.num_edges(); ++i)
    s << "    <edge source=\"" << g.edge_index[0][i].item<int64_t>() << "\" target=\""
      << g.edge_index[1][i].item<int64_t>() << "\"><data key=\"d3\">" << g.edge_weight[i].item<float>()
      << "</data></edge>\n";
  s << "  </graph>\n</graphml>\n";
  return s.str();
}
std::string to_dot(const Graph& g) {
  std::ostringstream s;
  s << "digraph G {\n  node [shape=circle];\n";
  for (int64_t v = 0; v < g.num_nodes; ++v)
    s << "  " << v << " [label=" << g.y[v].item<int64_t>() << ", f0=" << g.x[v][0].item<float>() << ", f1=\""
      << g.x[v][1].item<float>() << "\"];\n";
  for (int64_t i = 0; i < g.num_edges(); ++i)
    s << "  " << g.edge_index[0][i].item<int64_t>() << " -> " << g.edge_index[1][i].item<int64_t>()
      << " [weight=" << g.edge_weight[i].item<float>() << "];\n";
  s << "}\n";
  return s.str();
}
std::string list(const at::Tensor& t) {
  std::ostringstream s;
  s << "[";
  auto c = t.contiguous();
  for (int64_t i = 0; i < c.size(0); ++i) {
    if (i) s << ",";
    if (c.dim() > 1) {
      s << list(c[i]);
    } else if (c.is_floating_point()) {
      s << c[i].item<float>();
    } else {
      s << c[i].item<int64_t>();
    }
  }
  s << "]";
  return s.str();
}
std::string to_json(const Graph& g) {
  return "{\"num_nodes\": " + std::to_string(g.num_nodes) + ", \"edge_index\": " + list(g.edge_index) +
         ", \"x\": " + list(g.x) + ", \"edge_weight\": " + list(g.edge_weight) + ", \"y\": " + list(g.y) + "}";
}
std::string to_pt(const Graph& g) {
  c10::Dict<std::string, at::Tensor> d;
  d.insert("x", g.x);
  d.insert("edge_index", g.edge_index);
  d.insert("edge_weight", g.edge_weight);
  d.insert("y", g.y);
  return pt_bytes(c10::IValue(d));
}

void require_same_graph(const Graph& got, const Graph& want) {
  REQUIRE(got.num_nodes == want.num_nodes);
  REQUIRE(same(got.edge_index, want.edge_index));
  REQUIRE(same(got.y, want.y));
  REQUIRE(same(got.x, want.x));
  REQUIRE(same(got.edge_weight, want.edge_weight));
}

}  // namespace

TEST_CASE("load_graph reads a CSV edge list with header, comments, blank lines and weights", "[graph_file]") {
  TempDir dir;
  const auto path = dir.write("edges.csv",
                              "# an edge list\nsource, target, weight\n0,1,0.5\n 1 , 2 , 1.5\r\n\n2,0,2\n");
  auto g = load_graph(path);
  CHECK(g.format == "csv");
  CHECK(g.graph.num_nodes == 3);
  CHECK(same(g.graph.edge_index, edges({0, 1, 2}, {1, 2, 0})));
  CHECK(same(g.graph.edge_weight, floats({0.5f, 1.5f, 2.f})));
  CHECK_FALSE(g.graph.x.defined());
  CHECK_FALSE(g.graph.y.defined());
  CHECK_FALSE(g.batch.defined());
  CHECK(g.node_names.empty());
  CHECK(g.tensors.empty());

  // No header, no weights; the largest id sets N.
  auto h = load_graph(dir.write("plain.csv", "0,5\n5,2"));
  CHECK(h.graph.num_nodes == 6);
  CHECK(same(h.graph.edge_index, edges({0, 5}, {5, 2})));
  CHECK_FALSE(h.graph.edge_weight.defined());
}

TEST_CASE("load_graph numbers named CSV nodes in order of first appearance", "[graph_file]") {
  TempDir dir;
  auto g = load_graph(dir.write("names.csv", "alice,bob\nbob,carol\ncarol,alice\n"));
  CHECK(g.graph.num_nodes == 3);
  CHECK(g.node_names == std::vector<std::string>{"alice", "bob", "carol"});
  CHECK(same(g.graph.edge_index, edges({0, 1, 2}, {1, 2, 0})));
  // A header of column names is skipped; a one-line file without one is an edge.
  auto h = load_graph(dir.write("header.csv", "Source,Target\nbob,alice\n"));
  CHECK(h.node_names == std::vector<std::string>{"bob", "alice"});
  CHECK(h.graph.num_edges() == 1);
  auto one = load_graph(dir.write("one.csv", "x,y\n"));
  CHECK(one.node_names == std::vector<std::string>{"x", "y"});
  // A non-numeric weight column name marks a header even with named nodes.
  auto w = load_graph(dir.write("w.csv", "a,b,w\na,b,0.5\n"));
  CHECK(w.graph.num_edges() == 1);
  CHECK(same(w.graph.edge_weight, floats({0.5f})));
}

TEST_CASE("load_graph reads CSV features and labels by node id", "[graph_file]") {
  TempDir dir;
  const auto edges_path = dir.write("edges.csv", "0,1\n1,2\n");
  // Four feature rows, out of order, with a header: node 3 is isolated.
  const auto features = dir.write("features.csv", "id,a,b\n2,2.5,-1\n0,0.5,1e-3\n3,0,0\n1,1,2\n");
  const auto labels = dir.write("labels.csv", "node,label\n3,1\n2,0\n1,1\n0,2\n");
  auto g = load_graph(edges_path, GraphFileOptions().features(features).labels(labels));
  CHECK(g.graph.num_nodes == 4);
  CHECK(same(g.graph.x, torch::tensor({{0.5f, 1e-3f}, {1.f, 2.f}, {2.5f, -1.f}, {0.f, 0.f}})));
  CHECK(same(g.graph.y, longs({2, 1, 0, 1})));

  // Named nodes: feature rows name them.
  auto n = load_graph(dir.write("named.csv", "b,a\n"), GraphFileOptions().features(dir.write("nf.csv", "a,1\nb,2\n")));
  CHECK(n.node_names == std::vector<std::string>{"b", "a"});
  CHECK(same(n.graph.x, torch::tensor({{2.f}, {1.f}})));
}

TEST_CASE("load_graph adds the reverse of each CSV edge when undirected, after the file's edges", "[graph_file]") {
  TempDir dir;
  auto g = load_graph(dir.write("e.csv", "0,1,1\n1,1,2\n1,2,3\n"), GraphFileOptions().undirected(true));
  CHECK(same(g.graph.edge_index, edges({0, 1, 1, 1, 2}, {1, 1, 2, 0, 1})));  // the self-loop once
  CHECK(same(g.graph.edge_weight, floats({1.f, 2.f, 3.f, 1.f, 3.f})));
}

TEST_CASE("load_graph reads a dict of tensors written by torch::pickle_save (PyG's to_dict layout)", "[graph_file]") {
  TempDir dir;
  c10::Dict<std::string, at::Tensor> d;
  d.insert("x", torch::tensor({{1, 2}, {3, 4}, {5, 6}}, torch::kInt));
  d.insert("edge_index", torch::tensor({{0, 1, 2}, {1, 2, 0}}, torch::kInt));
  d.insert("edge_attr", torch::tensor({{0.5f}, {1.5f}, {2.5f}}));
  d.insert("y", torch::tensor({0.5f, 0.25f, 1.f}));
  d.insert("train_mask", torch::tensor({true, false, true}));
  const auto bytes = pt_bytes(c10::IValue(d));
  // The bytes read back through LibTorch as the same dict.
  auto back = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  REQUIRE(back.isGenericDict());
  REQUIRE(back.toGenericDict().size() == 5);

  auto g = load_graph(dir.write("data.pt", bytes));
  CHECK(g.format == "pt");
  CHECK(g.graph.num_nodes == 3);
  CHECK(same(g.graph.x, torch::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}})));
  CHECK(same(g.graph.edge_index, edges({0, 1, 2}, {1, 2, 0})));
  CHECK(same(g.graph.edge_weight, floats({0.5f, 1.5f, 2.5f})));
  CHECK_FALSE(g.graph.y.defined());  // float targets stay in tensors
  REQUIRE(g.tensors.count("y"));
  CHECK(same(g.tensors["y"], floats({0.5f, 0.25f, 1.f})));
  REQUIRE(g.tensors.count("train_mask"));
  CHECK(same(g.tensors["train_mask"], torch::tensor({true, false, true})));
  CHECK(g.tensors.size() == 2);

  // No x: num_nodes from its own entry; a batch; a wide edge_attr stays in tensors.
  c10::impl::GenericDict e(c10::StringType::get(), c10::AnyType::get());
  e.insert("edge_index", torch::tensor({{0, 1}, {1, 0}}, torch::kLong));
  e.insert("num_nodes", int64_t{5});
  e.insert("batch", torch::tensor({0, 0, 1, 1, 1}, torch::kLong));
  e.insert("edge_attr", torch::ones({2, 3}));
  e.insert("y", torch::tensor({1, 0, 2, 2, 1}, torch::kLong));
  auto h = load_graph(dir.write("batch.pt", pt_bytes(c10::IValue(e))));
  CHECK(h.graph.num_nodes == 5);
  CHECK(same(h.batch, longs({0, 0, 1, 1, 1})));
  CHECK(same(h.graph.y, longs({1, 0, 2, 2, 1})));
  CHECK_FALSE(h.graph.edge_weight.defined());
  CHECK(h.tensors.count("edge_attr"));
}

// tests/data/pyg_ba_shapes_graph.pt: PyG 2.8.1's BA-Shapes (seed 0) as torch.save(data.to_dict(),
// path) wrote it with torch 1.13 (zip format; keys x, edge_index, y, edge_mask, node_mask,
// train_mask, test_mask).
TEST_CASE("load_graph reads PyG's BA-Shapes graph saved by Python's torch.save", "[graph_file]") {
  const std::string path = std::string(GNNX_SOURCE_DIR) + "/tests/data/pyg_ba_shapes_graph.pt";
  auto g = load_graph(path);
  CHECK(g.graph.num_nodes == 700);
  CHECK(g.graph.num_edges() == 3972);
  CHECK(g.graph.x.sizes() == at::IntArrayRef({700, 1}));
  CHECK(g.graph.y.sizes() == at::IntArrayRef({700}));
  CHECK(g.graph.y.max().item<int64_t>() == 3);
  for (const char* key : {"edge_mask", "node_mask", "train_mask", "test_mask"}) CHECK(g.tensors.count(key));
}

TEST_CASE("load_graph reads GraphML: ids, weights, labels and numeric attributes as sorted columns", "[graph_file]") {
  TempDir dir;
  const std::string keys =
      "<?xml version=\"1.0\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
      "<key id=\"k0\" for=\"node\" attr.name=\"label\" attr.type=\"int\"/>\n"
      "<key id=\"k1\" for=\"node\" attr.name=\"b\" attr.type=\"double\"/>\n"
      "<key id=\"k2\" for=\"node\" attr.name=\"a\" attr.type=\"double\"/>\n"
      "<key id=\"k3\" for=\"node\" attr.name=\"name\" attr.type=\"string\"/>\n"
      "<key id=\"k4\" for=\"node\" attr.name=\"flag\" attr.type=\"boolean\"/>\n"
      "<key id=\"k5\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n"
      "<key id=\"k6\" for=\"graph\" attr.name=\"title\" attr.type=\"string\"/>\n";
  // Integer ids in another order than the document's: node i is id i.
  const auto path = dir.write(
      "g.graphml", keys +
                       "<graph id=\"G\" edgedefault=\"directed\"><data key=\"k6\">t</data>\n"
                       "<node id=\"2\"><data key=\"k0\">1</data><data key=\"k1\">20</data><data key=\"k2\">2</data>"
                       "<data key=\"k3\">two</data><data key=\"k4\">true</data></node>\n"
                       "<node id=\"0\"><data key=\"k0\">0</data><data key=\"k1\">0</data><data key=\"k2\">0.5</data>"
                       "<data key=\"k3\">zero</data><data key=\"k4\">false</data></node>\n"
                       "<node id=\"1\"><data key=\"k0\">2</data><data key=\"k1\">10</data><data key=\"k2\">1</data>"
                       "<data key=\"k3\">one</data><data key=\"k4\">true</data></node>\n"
                       "<edge source=\"2\" target=\"0\"><data key=\"k5\">0.5</data></edge>\n"
                       "<edge source=\"0\" target=\"1\"><data key=\"k5\">1.5</data></edge>\n"
                       "<edge source=\"1\" target=\"0\"><data key=\"k5\">2</data></edge>\n"
                       "</graph></graphml>\n");
  auto g = load_graph(path);
  CHECK(g.format == "graphml");
  CHECK(g.node_names.empty());
  CHECK(g.graph.num_nodes == 3);
  CHECK(same(g.graph.edge_index, edges({2, 0, 1}, {0, 1, 0})));  // file order
  CHECK(same(g.graph.edge_weight, floats({0.5f, 1.5f, 2.f})));
  CHECK(same(g.graph.y, longs({0, 2, 1})));
  CHECK(same(g.graph.x, torch::tensor({{0.5f, 0.f}, {1.f, 10.f}, {2.f, 20.f}})));  // columns a, b

  // Named ids and an undirected graph (both directions stored); no attributes, no x.
  auto u = load_graph(dir.write("u.graphml", keys +
                                                 "<graph id=\"G\" edgedefault=\"undirected\">\n"
                                                 "<node id=\"x\"/><node id=\"y\"/><node id=\"z\"/>\n"
                                                 "<edge source=\"x\" target=\"y\"/><edge source=\"z\" target=\"y\"/>\n"
                                                 "</graph></graphml>\n"));
  CHECK(u.node_names == std::vector<std::string>{"x", "y", "z"});
  CHECK(same(u.graph.edge_index, edges({0, 2, 1, 1}, {1, 1, 0, 2})));
  CHECK_FALSE(u.graph.x.defined());
  CHECK_FALSE(u.graph.edge_weight.defined());
}

TEST_CASE("load_graph reads DOT: names, weights, integer labels, and a `graph` in both directions", "[graph_file]") {
  TempDir dir;
  auto g = load_graph(dir.write("g.dot",
                                "digraph G {\n  rankdir=LR;\n  node [shape=box];\n"
                                "  b [label=1, score=0.5];\n  a [label=0, score=1.5, color=red];\n"
                                "  c [label=1, score=2];\n"
                                "  b -> a [weight=2];\n  a -> c [weight=3, color=blue];\n  c -> b [weight=0.5];\n}\n"));
  CHECK(g.format == "dot");
  REQUIRE(g.graph.num_nodes == 3);
  REQUIRE(g.node_names.size() == 3);
  // Whatever order the reader numbers them in, names, features and labels stay together.
  std::map<std::string, int64_t> id;
  for (size_t k = 0; k < g.node_names.size(); ++k) id[g.node_names[k]] = static_cast<int64_t>(k);
  CHECK(same(g.graph.edge_index, edges({id["b"], id["a"], id["c"]}, {id["a"], id["c"], id["b"]})));
  CHECK(same(g.graph.edge_weight, floats({2.f, 3.f, 0.5f})));
  CHECK(g.graph.y[id["a"]].item<int64_t>() == 0);
  CHECK(g.graph.y[id["b"]].item<int64_t>() == 1);
  REQUIRE(g.graph.x.sizes() == at::IntArrayRef({3, 1}));  // score; shape and color are not numbers
  CHECK(g.graph.x[id["a"]][0].item<float>() == 1.5f);
  CHECK(g.graph.x[id["c"]][0].item<float>() == 2.f);

  auto u = load_graph(dir.write("u.gv", "graph { 1 -- 2; 0 -- 1; 2 -- 2 }"));
  CHECK(u.node_names.empty());
  CHECK(same(u.graph.edge_index, edges({1, 0, 2, 2, 1}, {2, 1, 2, 1, 0})));

  // Display labels that are no integers are not y.
  auto d = load_graph(dir.write("d.dot", "digraph { a [label=\"Alice\"]; a -> b }"));
  CHECK_FALSE(d.graph.y.defined());
  CHECK(d.graph.num_edges() == 1);
}

TEST_CASE("load_graph reads a JSON graph object and a gnnx dataset file's graph", "[graph_file]") {
  TempDir dir;
  auto g = load_graph(dir.write("g.json",
                                "{\"num_nodes\": 4, \"edge_index\": [[0, 1], [1, 2]], \"x\": [[1], [2], [3], [4]],"
                                " \"edge_weight\": [0.5, 1], \"y\": [0, 1, 1, 0], \"edge_mask\": [1, 0],"
                                " \"name\": \"ignored\"}"));
  CHECK(g.format == "json");
  CHECK(g.graph.num_nodes == 4);
  CHECK(same(g.graph.edge_index, edges({0, 1}, {1, 2})));
  CHECK(same(g.graph.x, torch::tensor({{1.f}, {2.f}, {3.f}, {4.f}})));
  CHECK(same(g.graph.edge_weight, floats({0.5f, 1.f})));
  CHECK(same(g.graph.y, longs({0, 1, 1, 0})));
  CHECK(same(g.tensors.at("edge_mask"), longs({1, 0})));
  CHECK(g.tensors.size() == 1);

  // Only edge_index: N is max id + 1.
  auto e = load_graph(dir.write("e.json", "{\"edge_index\": [[0, 3], [3, 0]]}"));
  CHECK(e.graph.num_nodes == 4);

  // gnnx dataset files, JSON and .pt: graph `graph_index` with its ground truth.
  auto ds = gnnx::datasets::make_dataset("ba-2motifs", /*seed=*/0);
  const auto json_path = dir.write("ds.json", gnnx::datasets::to_json(ds));
  const auto pt_path = dir.write("ds.pt", gnnx::datasets::to_pt(ds));
  for (const auto& path : {json_path, pt_path}) {
    INFO(path);
    auto d = load_graph(path, GraphFileOptions().graph_index(3));
    require_same_graph(d.graph, ds.graphs[3]);
    CHECK(same(d.tensors.at("edge_mask_gt"), ds.edge_mask_gt[3].to(d.tensors.at("edge_mask_gt").scalar_type())));
  }
  auto shapes = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  auto s = load_graph(dir.write("shapes.json", gnnx::datasets::to_json(shapes)));
  require_same_graph(s.graph, shapes.graphs[0]);
  CHECK(same(s.tensors.at("train"), shapes.split.train));
}

TEST_CASE("load_graph round trips a Graph through every format", "[graph_file]") {
  TempDir dir;
  const Graph want = sample_graph();
  SECTION("csv") {
    auto g = load_graph(dir.write("e.csv", to_csv_edges(want)), GraphFileOptions()
                                                                    .features(dir.write("f.csv", to_csv_features(want)))
                                                                    .labels(dir.write("l.csv", to_csv_labels(want))));
    require_same_graph(g.graph, want);
  }
  SECTION("graphml") { require_same_graph(load_graph(dir.write("g.graphml", to_graphml(want))).graph, want); }
  SECTION("dot") { require_same_graph(load_graph(dir.write("g.dot", to_dot(want))).graph, want); }
  SECTION("json") { require_same_graph(load_graph(dir.write("g.json", to_json(want))).graph, want); }
  SECTION("pt") { require_same_graph(load_graph(dir.write("g.pt", to_pt(want))).graph, want); }
  SECTION("format given, not guessed") {
    auto g = load_graph(dir.write("graph.txt", to_json(want)), GraphFileOptions().format(GraphFormat::kJson));
    require_same_graph(g.graph, want);
    CHECK(gnnx::from_name<GraphFormat>("gv") == GraphFormat::kDot);
  }
}

TEST_CASE("load_graph rejects bad inputs with a message naming the file, the place and the problem", "[graph_file]") {
  TempDir dir;
  const auto ok = dir.write("ok.csv", "0,1\n1,2\n");
  auto csv = [&](const std::string& text) { return load_graph(dir.write("edges.csv", text)); };
  auto with_features = [&](const std::string& edges_text, const std::string& features) {
    return load_graph(dir.write("edges.csv", edges_text),
                      GraphFileOptions().features(dir.write("features.csv", features)));
  };

  // Files and formats.
  GNNX_REQUIRE_ERROR("edges.csv: the file is empty", csv(""));
  GNNX_REQUIRE_ERROR("only comments or blank lines", csv("# nothing\n\n"));
  GNNX_REQUIRE_ERROR("load_graph: " + dir.path("graph.txt") + ": unknown extension \".txt\"",
                     load_graph(dir.write("graph.txt", "0,1\n")));
  GNNX_REQUIRE_ERROR("is a directory, expected a graph file", load_graph(dir.dir()));
  GNNX_REQUIRE_ERROR("no such file", load_graph(dir.path("missing.csv")));

  // CSV edge lines.
  GNNX_REQUIRE_ERROR("load_graph: " + dir.path("edges.csv") +
                         " line 3: expected 2 or 3 fields (source,target[,weight]), got 1",
                     csv("0,1\n# c\n2\n"));
  GNNX_REQUIRE_ERROR("line 1: expected 2 or 3 fields (source,target[,weight]), got 4", csv("0,1,2,3\n"));
  GNNX_REQUIRE_ERROR("line 2: id \"abc\" is not an integer, but line 1 has integer ids", csv("0,1\n1,abc\n"));
  GNNX_REQUIRE_ERROR("line 2: id \"7\" is an integer, but line 1 names its nodes", csv("a,b\nb,7\n"));
  GNNX_REQUIRE_ERROR("line 2: negative node id -1", csv("0,1\n-1,2\n"));
  GNNX_REQUIRE_ERROR("line 2: expected 3 fields as on line 1 (source,target,weight), got 2", csv("0,1,1\n1,2\n"));
  GNNX_REQUIRE_ERROR("line 2: weight \"heavy\" is not a number", csv("0,1,0.5\n0,1,heavy\n"));
  GNNX_REQUIRE_ERROR("line 1: weight inf is not finite", csv("0,1,inf\n"));

  // CSV features and labels.
  GNNX_REQUIRE_ERROR("features.csv line 2: expected 3 fields (id and 2 features) as on line 1, got 2",
                     with_features("0,1\n", "0,1,2\n1,3\n"));
  GNNX_REQUIRE_ERROR("features.csv: no features row for node 2; every node needs one",
                     with_features("0,1\n1,2\n", "0,1\n1,1\n"));
  GNNX_REQUIRE_ERROR("features.csv line 3: features for node 5, but the graph has 3 nodes",
                     with_features("0,1\n1,2\n", "0,1\n1,1\n5,1\n"));
  GNNX_REQUIRE_ERROR("features.csv line 2: features for node \"zed\", which no edge of the graph names",
                     with_features("a,b\n", "a,1\nzed,1\n"));
  GNNX_REQUIRE_ERROR("features.csv line 3: a second row for node 0 (the first is on line 1)",
                     with_features("0,1\n", "0,1\n1,1\n0,2\n"));
  GNNX_REQUIRE_ERROR("features.csv line 2: feature 1 is nan; features must be finite",
                     with_features("0,1\n", "0,1\n1,nan\n"));
  GNNX_REQUIRE_ERROR("features.csv line 1: negative node id -1", with_features("0,1\n", "-1,1\n1,1\n"));
  GNNX_REQUIRE_ERROR("labels.csv line 2: label \"cat\" is not an integer",
                     load_graph(ok, GraphFileOptions().labels(dir.write("labels.csv", "0,1\n1,cat\n"))));
  GNNX_REQUIRE_ERROR("missing.csv: cannot open the file",
                     load_graph(ok, GraphFileOptions().features(dir.path("missing.csv"))));

  // .pt
  const std::string pt = to_pt(sample_graph());
  GNNX_REQUIRE_ERROR("cut.pt: not a readable torch.save file (truncated or corrupt?)",
                     load_graph(dir.write("cut.pt", pt.substr(0, pt.size() / 2))));
  GNNX_REQUIRE_ERROR("garbage.pt: not a readable torch.save file",
                     load_graph(dir.write("garbage.pt", "this is not a pickle at all")));
  GNNX_REQUIRE_ERROR("tensor.pt: expected a dict of tensors at the top level",
                     load_graph(dir.write("tensor.pt", pt_bytes(c10::IValue(torch::ones({2}))))));
  c10::Dict<std::string, at::Tensor> no_edges;
  no_edges.insert("x", torch::ones({2, 2}));
  GNNX_REQUIRE_ERROR("noedges.pt: no key 'edge_index' (expected [2, E] integer node ids); keys: x",
                     load_graph(dir.write("noedges.pt", pt_bytes(c10::IValue(no_edges)))));
  c10::Dict<std::string, at::Tensor> float_edges;
  float_edges.insert("edge_index", torch::ones({2, 2}));
  GNNX_REQUIRE_ERROR("key 'edge_index' must be a [2, E] integer tensor",
                     load_graph(dir.write("fe.pt", pt_bytes(c10::IValue(float_edges)))));

  // GraphML and DOT.
  const std::string graphml = to_graphml(sample_graph());
  GNNX_REQUIRE_ERROR("broken.graphml: not valid GraphML",
                     load_graph(dir.write("broken.graphml", graphml.substr(0, graphml.size() / 2))));
  GNNX_REQUIRE_ERROR("graph_index 2 is out of range: the file holds 1 <graph>(s)",
                     load_graph(dir.write("g.graphml", graphml), GraphFileOptions().graph_index(2)));
  GNNX_REQUIRE_ERROR("broken.dot: not valid DOT", load_graph(dir.write("broken.dot", "digraph { a -> ; }")));
  GNNX_REQUIRE_ERROR("broken.dot: not valid DOT", load_graph(dir.write("broken.dot", "digraph { a -- b }")));
  GNNX_REQUIRE_ERROR("edge 1 (b -> c): attribute 'weight' must be a finite number, got \"heavy\"",
                     load_graph(dir.write("w.dot", "digraph { a -> b [weight=1]; b -> c [weight=heavy] }")));
  GNNX_REQUIRE_ERROR("edge 1 (b -> c) has no 'weight' attribute",
                     load_graph(dir.write("w.dot", "digraph { a -> b [weight=1]; b -> c }")));
  GNNX_REQUIRE_ERROR("node \"b\": attribute 'label' must be an integer label, got \"B\"",
                     load_graph(dir.write("l.dot", "digraph { a [label=1]; b [label=B]; a -> b }")));
  GNNX_REQUIRE_ERROR("has no 'size' attribute; a numeric node attribute becomes feature column 0",
                     load_graph(dir.write("f.dot", "digraph { a [size=1]; a -> b }")));

  // JSON.
  GNNX_REQUIRE_ERROR("g.json: field 'edge_index' is missing (expected [[sources], [targets]]); keys: num_nodes, x",
                     load_graph(dir.write("g.json", "{\"num_nodes\": 2, \"x\": [[1], [2]]}")));
  GNNX_REQUIRE_ERROR("g.json: field 'edge_index' holds node id 5, expected ids < num_nodes = 3",
                     load_graph(dir.write("g.json", "{\"num_nodes\": 3, \"edge_index\": [[0, 5], [1, 2]]}")));
  GNNX_REQUIRE_ERROR("field 'edge_index' must be [[sources], [targets]]",
                     load_graph(dir.write("g.json", "{\"edge_index\": [[0, 1.5], [1, 2]]}")));
  GNNX_REQUIRE_ERROR("g.json: not valid JSON (truncated or corrupt?)",
                     load_graph(dir.write("g.json", "{\"edge_index\": [[0, 1], [1")));
  GNNX_REQUIRE_ERROR("field 'graphs[0].x' has 1 rows but num_nodes = 2",
                     load_graph(dir.write("d.json",
                                          "{\"graphs\": [{\"num_nodes\": 2, \"edge_index\": [[0], [1]], "
                                          "\"x\": [[1]]}]}")));
  GNNX_REQUIRE_ERROR("graph_index 1 is out of range: field 'graphs' holds 1 graph(s)",
                     load_graph(dir.write("d.json", "{\"graphs\": [{\"edge_index\": [[0], [1]]}]}"),
                                GraphFileOptions().graph_index(1)));
  GNNX_REQUIRE_ERROR("x holds NaN or Inf", load_graph(dir.write("g.pt", [] {
                       c10::Dict<std::string, at::Tensor> d;
                       d.insert("edge_index", torch::tensor({{0}, {1}}, torch::kLong));
                       d.insert("x", torch::tensor({{1.f}, {std::nanf("")}}));
                       return pt_bytes(c10::IValue(d));
                     }())));
}
