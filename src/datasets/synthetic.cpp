#include "gnnx/datasets/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/biconnected_components.hpp>
#include <boost/range/iterator_range.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/ops.h"

namespace gnnx::datasets {

namespace {

using Pair = std::pair<int64_t, int64_t>;

Pair ordered(int64_t u, int64_t v) { return u < v ? Pair{u, v} : Pair{v, u}; }

const char* to_string(Plugs p) { return p == Plugs::kSpaced ? "spaced" : "random"; }
const char* to_string(PerturbBase b) { return b == PerturbBase::kEdges ? "edges" : "nodes"; }

// One graph under construction: the Boost graph plus per-node labels, motif membership and
// the set of motif-template edges (the ground truth).
struct Builder {
  UndirectedGraph g;
  std::vector<int64_t> label;
  std::vector<int64_t> motif;
  std::set<Pair> motif_edges;
  int64_t num_motifs = 0;

  int64_t num_nodes() const { return static_cast<int64_t>(boost::num_vertices(g)); }
  int64_t num_edges() const { return static_cast<int64_t>(boost::num_edges(g)); }

  int64_t add_nodes(int64_t count, int64_t node_label, int64_t motif_index) {
    const int64_t first = num_nodes();
    for (int64_t i = 0; i < count; ++i) {
      boost::add_vertex(g);
      label.push_back(node_label);
      motif.push_back(motif_index);
    }
    return first;
  }
  // False for a self loop or an edge that is already there.
  bool add_edge(int64_t u, int64_t v) {
    if (u == v) return false;
    return boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), g).second;
  }
  void add_edges(const EdgeList& edges, int64_t offset) {
    for (auto [u, v] : edges) add_edge(u + offset, v + offset);
  }
  // Attaches a motif whose local node i gets label roles[i], its node 0 joined to plug (see
  // attach_motif); returns the id of its node 0.
  int64_t add_motif(const EdgeList& edges, const std::vector<int64_t>& roles, int64_t plug) {
    const int64_t index = num_motifs++;
    const int64_t first = attach_motif(g, edges, static_cast<int64_t>(roles.size()), plug);
    label.insert(label.end(), roles.begin(), roles.end());
    motif.insert(motif.end(), roles.size(), index);
    for (auto [u, v] : edges) motif_edges.insert(ordered(first + u, first + v));
    return first;
  }
  // Appends another builder's graph with node ids shifted by the current count.
  void append(const Builder& other, int64_t label_offset) {
    const int64_t offset = num_nodes();
    for (int64_t i = 0; i < other.num_nodes(); ++i) {
      const auto m = other.motif[static_cast<size_t>(i)];
      add_nodes(1, other.label[static_cast<size_t>(i)] + label_offset, m < 0 ? -1 : m + num_motifs);
    }
    for (auto e : boost::make_iterator_range(boost::edges(other.g))) {
      add_edge(static_cast<int64_t>(boost::source(e, other.g)) + offset,
               static_cast<int64_t>(boost::target(e, other.g)) + offset);
    }
    for (auto [u, v] : other.motif_edges) motif_edges.insert({u + offset, v + offset});
    num_motifs += other.num_motifs;
  }
};

// The original code's perturb(): floor(fraction * |E| or N) random non-edges (add_random_edges).
void perturb(Builder& b, double fraction, PerturbBase base, Rng& rng) {
  const double reference = base == PerturbBase::kEdges ? static_cast<double>(b.num_edges())
                                                       : static_cast<double>(b.num_nodes());
  const auto count = static_cast<int64_t>(std::floor(fraction * reference));
  const int64_t n = b.num_nodes();
  GNNX_CHECK(count + b.num_edges() <= n * (n - 1) / 2, "perturb: cannot add ", count, " edges to a graph with ", n,
             " nodes and ", b.num_edges(), " edges");
  add_random_edges(b.g, count, rng);
}

std::vector<int64_t> plug_nodes(int64_t n_base, int64_t n_motifs, Plugs plugs, Rng& rng) {
  std::vector<int64_t> out(static_cast<size_t>(n_motifs));
  if (plugs == Plugs::kSpaced) {
    const int64_t spacing = n_base / n_motifs;
    for (int64_t k = 0; k < n_motifs; ++k) out[static_cast<size_t>(k)] = k * spacing;
  } else {
    GNNX_CHECK(n_motifs <= n_base, "plug_nodes: random distinct plugs need num_motifs <= base nodes, got ", n_motifs,
               " > ", n_base);
    auto p = permutation(n_base, rng);
    std::copy(p.begin(), p.begin() + n_motifs, out.begin());
  }
  return out;
}

nn::Split make_split(int64_t n, Rng& rng) {
  auto p = permutation(n, rng);
  const auto n_train = static_cast<int64_t>(std::llround(0.8 * static_cast<double>(n)));
  const auto n_val = static_cast<int64_t>(std::llround(0.1 * static_cast<double>(n)));
  auto all = torch::tensor(p, torch::kLong);
  return {all.slice(0, 0, n_train).clone(), all.slice(0, n_train, n_train + n_val).clone(),
          all.slice(0, n_train + n_val, n).clone()};
}

struct Finished {
  Graph graph;
  at::Tensor edge_mask, node_mask, motif_id;
};

// Converts to gnnx tensors; edge_mask marks exactly the motif-template edges.
Finished finish(const Builder& b, at::Tensor x, bool node_labels, int64_t graph_label) {
  const EdgeList pairs = edge_list(b.g);
  at::Tensor edge_index = pairs.empty() ? torch::zeros({2, 0}, torch::kLong) : undirected_edge_index(pairs);
  const int64_t e = edge_index.size(1);
  auto ei = edge_index.accessor<int64_t, 2>();
  std::vector<float> emask(static_cast<size_t>(e));
  for (int64_t k = 0; k < e; ++k)
    emask[static_cast<size_t>(k)] = b.motif_edges.count(ordered(ei[0][k], ei[1][k])) ? 1.f : 0.f;
  std::vector<float> nmask(b.motif.size());
  for (size_t i = 0; i < b.motif.size(); ++i) nmask[i] = b.motif[i] >= 0 ? 1.f : 0.f;
  at::Tensor y = node_labels ? torch::tensor(b.label, torch::kLong) : torch::tensor({graph_label}, torch::kLong);
  Finished out;
  out.graph = Graph(edge_index, b.num_nodes(), std::move(x), {}, y);
  out.edge_mask = torch::tensor(emask, torch::kFloat);
  out.node_mask = torch::tensor(nmask, torch::kFloat);
  out.motif_id = torch::tensor(b.motif, torch::kLong);
  return out;
}

at::Tensor ones_features(int64_t n, int64_t f) {
  GNNX_CHECK(f > 0, "datasets: feature_dim must be positive, got ", f);
  return torch::ones({n, f}, torch::kFloat);
}

void add_to(Dataset& d, Finished f) {
  d.graphs.push_back(std::move(f.graph));
  d.edge_mask_gt.push_back(std::move(f.edge_mask));
  d.node_mask_gt.push_back(std::move(f.node_mask));
  d.motif_id.push_back(std::move(f.motif_id));
}

Builder ba_shapes_builder(const BaShapesOptions& o, Rng& rng) {
  GNNX_CHECK(o.base_nodes() > o.m() && o.m() >= 1,
             "ba_shapes: need base_nodes > m >= 1, got base_nodes = ", o.base_nodes(), ", m = ", o.m());
  GNNX_CHECK(o.num_motifs() >= 1, "ba_shapes: num_motifs must be positive, got ", o.num_motifs());
  GNNX_CHECK(o.perturbation() >= 0, "ba_shapes: perturbation must be >= 0, got ", o.perturbation());
  Builder b;
  b.add_nodes(o.base_nodes(), 0, -1);
  b.add_edges(barabasi_albert(o.base_nodes(), o.m(), rng), 0);
  const auto plugs = plug_nodes(o.base_nodes(), o.num_motifs(), o.plugs(), rng);
  for (int64_t k = 0; k < o.num_motifs(); ++k) {
    b.add_motif(house_motif(), /*roles=*/{1, 1, 2, 2, 3}, plugs[static_cast<size_t>(k)]);
  }
  perturb(b, o.perturbation(), o.perturb_base(), rng);
  return b;
}

nlohmann::json ba_shapes_params(const BaShapesOptions& o) {
  return {{"base_nodes", o.base_nodes()},     {"m", o.m()},
          {"num_motifs", o.num_motifs()},     {"plugs", to_string(o.plugs())},
          {"perturbation", o.perturbation()}, {"perturb_base", to_string(o.perturb_base())},
          {"feature_dim", o.feature_dim()}};
}

// Tree base + one motif kind (cycles or grids), labels 0 tree / 1 motif.
Builder tree_motif_builder(int64_t depth, int64_t n_motifs, const EdgeList& motif, int64_t motif_nodes,
                           Plugs plugs_mode, bool extra_plug_edge, double perturbation, PerturbBase base, Rng& rng,
                           const char* op) {
  GNNX_CHECK(depth >= 1 && depth <= 20, op, ": depth must be in [1, 20], got ", depth);
  GNNX_CHECK(n_motifs >= 1, op, ": num_motifs must be positive, got ", n_motifs);
  GNNX_CHECK(perturbation >= 0, op, ": perturbation must be >= 0, got ", perturbation);
  Builder b;
  const int64_t n_base = (int64_t{1} << (depth + 1)) - 1;
  b.add_nodes(n_base, 0, -1);
  b.add_edges(balanced_binary_tree(depth), 0);
  const auto plugs = plug_nodes(n_base, n_motifs, plugs_mode, rng);
  for (int64_t k = 0; k < n_motifs; ++k) {
    const int64_t plug = plugs[static_cast<size_t>(k)];
    const int64_t first = b.add_motif(motif, std::vector<int64_t>(static_cast<size_t>(motif_nodes), 1), plug);
    if (extra_plug_edge && uniform_real(rng) > 0.5) {
      const int64_t a = uniform_int(rng, 1, 3);
      const int64_t c = uniform_int(rng, 1, 3);
      b.add_edge(first + a, plug + c);
    }
  }
  perturb(b, perturbation, base, rng);
  return b;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Datasets

Dataset ba_shapes(const BaShapesOptions& options, uint64_t seed) {
  Rng rng(seed);
  Builder b = ba_shapes_builder(options, rng);
  Dataset d;
  d.name = "ba-shapes";
  d.task = nn::Task::kNode;
  d.num_classes = 4;
  add_to(d, finish(b, ones_features(b.num_nodes(), options.feature_dim()), true, 0));
  d.split = make_split(b.num_nodes(), rng);
  auto p = ba_shapes_params(options);
  p["generator"] = d.name;
  p["seed"] = seed;
  d.params = p.dump();
  return d;
}

Dataset ba_community(const BaCommunityOptions& options, uint64_t seed) {
  GNNX_CHECK(options.inter_edges() >= 0, "ba_community: inter_edges must be >= 0, got ", options.inter_edges());
  GNNX_CHECK(options.variance() > 0, "ba_community: variance must be positive, got ", options.variance());
  const int64_t f = options.community().feature_dim();
  GNNX_CHECK(f >= 2, "ba_community: feature_dim must be >= 2, got ", f);
  Rng rng(seed);
  Builder c0 = ba_shapes_builder(options.community(), rng);
  Builder c1 = ba_shapes_builder(options.community(), rng);
  const int64_t n0 = c0.num_nodes(), n1 = c1.num_nodes();
  Builder b;
  b.append(c0, 0);
  b.append(c1, 4);
  for (int64_t k = 0; k < options.inter_edges(); ++k) {
    const int64_t u = uniform_int(rng, 0, n0 - 1);
    const int64_t v = n0 + uniform_int(rng, 0, n1 - 1);
    b.add_edge(u, v);
  }
  const int64_t n = b.num_nodes();
  std::vector<float> x(static_cast<size_t>(n * f));
  const double sd = std::sqrt(options.variance());
  for (int64_t i = 0; i < n; ++i) {
    const double mean = i < n0 ? -options.separation() : options.separation();
    for (int64_t j = 0; j < f; ++j) {
      x[static_cast<size_t>(i * f + j)] = static_cast<float>(j < 2 ? normal(rng, mean, sd) : normal(rng, 0.0, 1.0));
    }
  }
  Dataset d;
  d.name = "ba-community";
  d.task = nn::Task::kNode;
  d.num_classes = 8;
  add_to(d, finish(b, torch::tensor(x, torch::kFloat).view({n, f}), true, 0));
  d.split = make_split(n, rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"community", ba_shapes_params(options.community())},
                      {"inter_edges", options.inter_edges()},
                      {"separation", options.separation()},
                      {"variance", options.variance()}};
  d.params = p.dump();
  return d;
}

Dataset tree_cycles(const TreeCyclesOptions& options, uint64_t seed) {
  Rng rng(seed);
  Builder b = tree_motif_builder(options.depth(), options.num_motifs(), cycle_motif(options.cycle_length()),
                                 options.cycle_length(), options.plugs(), options.extra_plug_edge(),
                                 options.perturbation(), options.perturb_base(), rng, "tree_cycles");
  Dataset d;
  d.name = "tree-cycles";
  d.task = nn::Task::kNode;
  d.num_classes = 2;
  add_to(d, finish(b, ones_features(b.num_nodes(), options.feature_dim()), true, 0));
  d.split = make_split(b.num_nodes(), rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"depth", options.depth()},
                      {"num_motifs", options.num_motifs()},
                      {"cycle_length", options.cycle_length()},
                      {"extra_plug_edge", options.extra_plug_edge()},
                      {"plugs", to_string(options.plugs())},
                      {"perturbation", options.perturbation()},
                      {"perturb_base", to_string(options.perturb_base())},
                      {"feature_dim", options.feature_dim()}};
  d.params = p.dump();
  return d;
}

Dataset tree_grid(const TreeGridOptions& options, uint64_t seed) {
  Rng rng(seed);
  const int64_t side = options.side();
  Builder b = tree_motif_builder(options.depth(), options.num_motifs(), grid_motif(side), side * side, options.plugs(),
                                 /*extra_plug_edge=*/false, options.perturbation(), options.perturb_base(), rng,
                                 "tree_grid");
  Dataset d;
  d.name = "tree-grid";
  d.task = nn::Task::kNode;
  d.num_classes = 2;
  add_to(d, finish(b, ones_features(b.num_nodes(), options.feature_dim()), true, 0));
  d.split = make_split(b.num_nodes(), rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"depth", options.depth()},
                      {"num_motifs", options.num_motifs()},
                      {"side", side},
                      {"plugs", to_string(options.plugs())},
                      {"perturbation", options.perturbation()},
                      {"perturb_base", to_string(options.perturb_base())},
                      {"feature_dim", options.feature_dim()}};
  d.params = p.dump();
  return d;
}

Dataset ba_2motifs(const Ba2MotifsOptions& options, uint64_t seed) {
  GNNX_CHECK(options.num_graphs() >= 2, "ba_2motifs: num_graphs must be >= 2, got ", options.num_graphs());
  GNNX_CHECK(options.base_nodes() > options.m() && options.m() >= 1,
             "ba_2motifs: need base_nodes > m >= 1, got base_nodes = ", options.base_nodes(), ", m = ", options.m());
  Rng rng(seed);
  Dataset d;
  d.name = "ba-2motifs";
  d.task = nn::Task::kGraph;
  d.num_classes = 2;
  const int64_t half = options.num_graphs() / 2;
  for (int64_t i = 0; i < options.num_graphs(); ++i) {
    const int64_t label = i < half ? 0 : 1;
    Builder b;
    b.add_nodes(options.base_nodes(), label, -1);
    b.add_edges(barabasi_albert(options.base_nodes(), options.m(), rng), 0);
    const int64_t plug = uniform_int(rng, 0, options.base_nodes() - 1);
    b.add_motif(label == 0 ? house_motif() : cycle_motif(5), std::vector<int64_t>(5, label), plug);
    add_to(d, finish(b, ones_features(b.num_nodes(), options.feature_dim()), false, label));
  }
  d.split = make_split(options.num_graphs(), rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"num_graphs", options.num_graphs()},
                      {"base_nodes", options.base_nodes()},
                      {"m", options.m()},
                      {"feature_dim", options.feature_dim()}};
  d.params = p.dump();
  return d;
}

Dataset ba_growth(const BaGrowthOptions& options, uint64_t seed) {
  GNNX_CHECK(options.num_graphs() >= 2, "ba_growth: num_graphs must be >= 2, got ", options.num_graphs());
  GNNX_CHECK(options.num_nodes() >= 4, "ba_growth: num_nodes must be >= 4, got ", options.num_nodes());
  Rng rng(seed);
  Dataset d;
  d.name = "ba-growth";
  d.task = nn::Task::kGraph;
  d.num_classes = 2;
  const int64_t half = options.num_graphs() / 2;
  for (int64_t i = 0; i < options.num_graphs(); ++i) {
    const int64_t m = i < half ? 1 : 2;
    Builder b;
    b.add_nodes(options.num_nodes(), m - 1, -1);
    b.add_edges(barabasi_albert(options.num_nodes(), m, rng), 0);
    // Ground truth: edges on a cycle, i.e. in a biconnected component of more than one edge
    // (a component of one edge is a bridge; the graph has no parallel edges).
    struct EdgeComponent {
      size_t id = 0;
    };
    using CGraph =
        boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property, EdgeComponent>;
    CGraph cg(static_cast<size_t>(options.num_nodes()));
    for (auto e : boost::make_iterator_range(boost::edges(b.g)))
      boost::add_edge(boost::source(e, b.g), boost::target(e, b.g), cg);
    auto component = boost::get(&EdgeComponent::id, cg);
    const size_t n_comp = boost::biconnected_components(cg, component);
    std::vector<size_t> comp_edges(n_comp, 0);
    for (auto e : boost::make_iterator_range(boost::edges(cg))) ++comp_edges[component[e]];
    for (auto e : boost::make_iterator_range(boost::edges(cg))) {
      if (comp_edges[component[e]] > 1) {
        const auto u = static_cast<int64_t>(boost::source(e, cg)), v = static_cast<int64_t>(boost::target(e, cg));
        b.motif_edges.insert(ordered(u, v));
      }
    }
    Finished f = finish(b, ones_features(b.num_nodes(), options.feature_dim()), false, m - 1);
    std::vector<float> nmask(static_cast<size_t>(b.num_nodes()), 0.f);
    for (auto [u, v] : b.motif_edges) nmask[static_cast<size_t>(u)] = nmask[static_cast<size_t>(v)] = 1.f;
    f.node_mask = torch::tensor(nmask, torch::kFloat);
    add_to(d, std::move(f));
  }
  d.split = make_split(options.num_graphs(), rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"num_graphs", options.num_graphs()},
                      {"num_nodes", options.num_nodes()},
                      {"m", {1, 2}},
                      {"feature_dim", options.feature_dim()}};
  d.params = p.dump();
  return d;
}

Dataset ba_multishapes(const BaMultiShapesOptions& options, uint64_t seed) {
  const char* op = "ba_multishapes";
  GNNX_CHECK(options.num_graphs() >= 2, op, ": num_graphs must be >= 2, got ", options.num_graphs());
  // All three motifs (5 + 9 + 6 nodes) leave at least 5 nodes to the tree.
  GNNX_CHECK(options.num_nodes() >= 25, op, ": num_nodes must be >= 25, got ", options.num_nodes());
  GNNX_CHECK(options.feature_dim() > 0, op, ": feature_dim must be positive, got ", options.feature_dim());
  struct Kind {
    EdgeList edges;
    int64_t nodes;
  };
  const Kind wheel{wheel_motif(6), 6}, house{house_motif(), 5}, grid{grid_motif(3), 9};
  Rng rng(seed);
  Dataset d;
  d.name = "ba-multishapes";
  d.task = nn::Task::kGraph;
  d.num_classes = 2;
  const int64_t half = options.num_graphs() / 2;
  for (int64_t i = 0; i < options.num_graphs(); ++i) {
    const int64_t label = i < half ? 0 : 1;
    std::vector<const Kind*> motifs;
    if (label == 1) {
      const auto r = uniform_int(rng, 0, 2);
      motifs = r == 0   ? std::vector<const Kind*>{&wheel, &grid}
               : r == 1 ? std::vector<const Kind*>{&wheel, &house}
                        : std::vector<const Kind*>{&house, &grid};
    } else {
      const auto r = uniform_int(rng, 0, 9);
      if (r == 0) motifs = {&wheel};
      if (r == 1) motifs = {&house};
      if (r == 2) motifs = {&grid};
      if (r == 3) motifs = {&house, &grid, &wheel};
    }
    int64_t tree = options.num_nodes();
    for (const auto* m : motifs) tree -= m->nodes;
    Builder b;
    b.add_nodes(tree, 0, -1);
    b.add_edges(barabasi_albert(tree, 1, rng), 0);
    for (const auto* m : motifs) {
      // One edge from a random node of the graph so far to a random node of the motif.
      const int64_t index = b.num_motifs++;
      const int64_t before = b.num_nodes();
      const int64_t first = b.add_nodes(m->nodes, 1, index);
      for (auto [u, v] : m->edges) {
        b.add_edge(first + u, first + v);
        b.motif_edges.insert(ordered(first + u, first + v));
      }
      const int64_t from = uniform_int(rng, 0, before - 1), to = uniform_int(rng, 0, m->nodes - 1);
      b.add_edge(from, first + to);
    }
    auto x = torch::full({b.num_nodes(), options.feature_dim()}, 0.1f, torch::kFloat);
    add_to(d, finish(b, x, false, label));
  }
  d.split = make_split(options.num_graphs(), rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"num_graphs", options.num_graphs()},
                      {"num_nodes", options.num_nodes()},
                      {"feature_dim", options.feature_dim()}};
  d.params = p.dump();
  return d;
}

std::vector<int64_t> InfectionPaths::path(int64_t v) const {
  std::vector<int64_t> out;
  if (v < 0 || v >= static_cast<int64_t>(distance.size()) || distance[static_cast<size_t>(v)] < 0 ||
      paths[static_cast<size_t>(v)] != 1)
    return out;
  for (int64_t u = v; u >= 0; u = next[static_cast<size_t>(u)]) out.push_back(u);
  return out;
}

InfectionPaths infection_paths(const Graph& g, const std::vector<int64_t>& sources) {
  const int64_t n = g.num_nodes;
  std::vector<std::vector<int64_t>> adj(static_cast<size_t>(n));
  auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t* src = ei.data_ptr<int64_t>();
  const int64_t* dst = src + ei.size(1);
  for (int64_t e = 0; e < ei.size(1); ++e) {
    if (src[e] == dst[e]) continue;
    adj[static_cast<size_t>(src[e])].push_back(dst[e]);
    adj[static_cast<size_t>(dst[e])].push_back(src[e]);
  }
  for (auto& a : adj) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
  }
  InfectionPaths r;
  r.distance.assign(static_cast<size_t>(n), -1);
  r.paths.assign(static_cast<size_t>(n), 0);
  r.next.assign(static_cast<size_t>(n), -1);
  std::vector<int64_t> queue;
  for (auto s : sources) {
    GNNX_CHECK(s >= 0 && s < n, "infection_paths: source ", s, " is outside the graph's ", n, " nodes");
    if (r.distance[static_cast<size_t>(s)] == 0) continue;
    r.distance[static_cast<size_t>(s)] = 0, r.paths[static_cast<size_t>(s)] = 1;
    queue.push_back(s);
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    const auto u = queue[head];
    for (auto w : adj[static_cast<size_t>(u)]) {
      auto& dw = r.distance[static_cast<size_t>(w)];
      if (dw < 0) {
        dw = r.distance[static_cast<size_t>(u)] + 1;
        queue.push_back(w);
      }
      if (dw == r.distance[static_cast<size_t>(u)] + 1) {
        // Counting saturates at 2: only "one" or "more than one" matters.
        r.paths[static_cast<size_t>(w)] = std::min<int64_t>(2, r.paths[static_cast<size_t>(w)] +
                                                                   r.paths[static_cast<size_t>(u)]);
        r.next[static_cast<size_t>(w)] = u;
      }
    }
  }
  for (int64_t v = 0; v < n; ++v)
    if (r.paths[static_cast<size_t>(v)] != 1) r.next[static_cast<size_t>(v)] = -1;
  return r;
}

Dataset infection(const InfectionOptions& options, uint64_t seed) {
  const char* op = "infection";
  GNNX_CHECK(options.num_nodes() >= 2, op, ": num_nodes must be >= 2, got ", options.num_nodes());
  GNNX_CHECK(options.edge_prob() >= 0 && options.edge_prob() <= 1, op, ": edge_prob must lie in [0, 1], got ",
             options.edge_prob());
  GNNX_CHECK(options.num_infected() >= 1 && options.num_infected() <= options.num_nodes(), op,
             ": num_infected must lie in [1, num_nodes], got ", options.num_infected());
  GNNX_CHECK(options.max_path_length() >= 1 && options.max_path_length() <= 64, op,
             ": max_path_length must lie in [1, 64], got ", options.max_path_length());
  const int64_t n = options.num_nodes(), L = options.max_path_length();
  Rng rng(seed);
  Builder b;
  b.add_nodes(n, 0, -1);
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v)
      if (uniform_real(rng) < options.edge_prob()) b.add_edge(u, v);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng);
  const std::vector<int64_t> infected(order.begin(), order.begin() + options.num_infected());
  auto x = torch::zeros({n, 2}, torch::kFloat);
  x.select(1, 0).fill_(1);
  for (auto v : infected) x[v][0] = 0, x[v][1] = 1;
  Finished f = finish(b, x, true, 0);
  const auto paths = infection_paths(f.graph, infected);
  std::vector<int64_t> label(static_cast<size_t>(n));
  std::vector<float> nmask(static_cast<size_t>(n), 0.f);
  std::set<Pair> path_edges;
  for (int64_t v = 0; v < n; ++v) {
    const auto d = paths.distance[static_cast<size_t>(v)];
    label[static_cast<size_t>(v)] = d < 0 || d > L ? L + 1 : d;
    const auto p = paths.path(v);
    if (d >= 1 && d <= L && !p.empty()) {
      nmask[static_cast<size_t>(v)] = 1.f;
      // The direction the infection travels in: from the node closer to the source.
      for (size_t k = 0; k + 1 < p.size(); ++k) path_edges.insert({p[k + 1], p[k]});
    }
  }
  auto ei = f.graph.edge_index.accessor<int64_t, 2>();
  auto emask = f.edge_mask.accessor<float, 1>();
  for (int64_t k = 0; k < ei.size(1); ++k) emask[k] = path_edges.count({ei[0][k], ei[1][k]}) ? 1.f : 0.f;
  f.graph.y = torch::tensor(label, torch::kLong);
  f.node_mask = torch::tensor(nmask, torch::kFloat);
  Dataset d;
  d.name = "infection";
  d.task = nn::Task::kNode;
  d.num_classes = L + 2;
  add_to(d, std::move(f));
  d.split = make_split(n, rng);
  nlohmann::json p = {{"generator", d.name},
                      {"seed", seed},
                      {"num_nodes", n},
                      {"edge_prob", options.edge_prob()},
                      {"num_infected", options.num_infected()},
                      {"max_path_length", L}};
  d.params = p.dump();
  return d;
}

std::vector<std::string> dataset_names() {
  return {"ba-shapes",  "ba-community", "tree-cycles",    "tree-grid",
          "ba-2motifs", "ba-growth",    "ba-multishapes", "infection"};
}

Dataset make_dataset(const std::string& name, uint64_t seed) {
  if (name == "ba-shapes") return ba_shapes({}, seed);
  if (name == "ba-community") return ba_community({}, seed);
  if (name == "tree-cycles") return tree_cycles({}, seed);
  if (name == "tree-grid") return tree_grid({}, seed);
  if (name == "ba-2motifs") return ba_2motifs({}, seed);
  if (name == "ba-growth") return ba_growth({}, seed);
  if (name == "ba-multishapes") return ba_multishapes({}, seed);
  if (name == "infection") return infection({}, seed);
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  GNNX_CHECK(false, "make_dataset: unknown dataset '", name, "' (known: ", known, ")");
  return {};
}

// ---------------------------------------------------------------------------------------------
// Dataset invariants

int64_t Dataset::num_items() const {
  if (task == nn::Task::kGraph) return static_cast<int64_t>(graphs.size());
  return graphs.empty() ? 0 : graphs.front().num_nodes;
}

void Dataset::validate(const std::string& op) const {
  GNNX_CHECK(!graphs.empty(), op, ": dataset '", name, "' has no graphs");
  GNNX_CHECK(task == nn::Task::kGraph || graphs.size() == 1, op, ": a node-task dataset holds exactly one graph, got ",
             graphs.size());
  GNNX_CHECK(num_classes >= 1, op, ": num_classes must be positive, got ", num_classes);
  GNNX_CHECK(edge_mask_gt.size() == graphs.size() && node_mask_gt.size() == graphs.size() &&
                 motif_id.size() == graphs.size(),
             op, ": expected one edge_mask_gt, node_mask_gt and motif_id per graph (", graphs.size(), "), got ",
             edge_mask_gt.size(), ", ", node_mask_gt.size(), ", ", motif_id.size());
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& g = graphs[i];
    g.validate(op);
    GNNX_CHECK(g.has_features(), op, ": graph ", i, " has no features x");
    GNNX_CHECK(g.has_labels(), op, ": graph ", i, " has no labels y");
    const int64_t want_y = task == nn::Task::kNode ? g.num_nodes : 1;
    GNNX_CHECK(g.y.dim() == 1 && g.y.size(0) == want_y, op, ": graph ", i, " y must have shape [", want_y, "], got ",
               g.y.sizes());
    if (g.y.numel() > 0) {
      GNNX_CHECK(g.y.min().item<int64_t>() >= 0 && g.y.max().item<int64_t>() < num_classes, op, ": graph ", i,
                 " labels must lie in [0, ", num_classes, ")");
    }
    const auto& em = edge_mask_gt[i];
    GNNX_CHECK(em.defined() && em.dim() == 1 && em.size(0) == g.num_edges() && em.is_floating_point(), op,
               ": edge_mask_gt[", i, "] must be float [", g.num_edges(), "]");
    const auto& nm = node_mask_gt[i];
    GNNX_CHECK(nm.defined() && nm.dim() == 1 && nm.size(0) == g.num_nodes && nm.is_floating_point(), op,
               ": node_mask_gt[", i, "] must be float [", g.num_nodes, "]");
    const auto& mi = motif_id[i];
    GNNX_CHECK(mi.defined() && mi.dim() == 1 && mi.size(0) == g.num_nodes && mi.scalar_type() == at::kLong, op,
               ": motif_id[", i, "] must be int64 [", g.num_nodes, "]");
  }
  const int64_t n = num_items();
  using Part = std::pair<const char*, const at::Tensor*>;
  for (auto [part, t] :
       std::initializer_list<Part>{{"train", &split.train}, {"val", &split.val}, {"test", &split.test}}) {
    GNNX_CHECK(t->defined() && t->dim() == 1 && t->scalar_type() == at::kLong, op, ": split.", part,
               " must be a 1-D int64 tensor");
    if (t->numel() > 0) {
      GNNX_CHECK(t->min().item<int64_t>() >= 0 && t->max().item<int64_t>() < n, op, ": split.", part,
                 " has an index outside [0, ", n, ")");
    }
  }
}

}  // namespace gnnx::datasets
