// Prototype by alignment: the explanation subgraph rule, invariance to node ids, identical
// instances, a run through an explainer, and bad input.
#include <algorithm>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/prototype.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/graph_edit_distance.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// A node-task instance: `edges` on local nodes 0..n-1 (0 the explained node), graph ids from `ids`.
ExplanationSubgraph instance(const EdgeList& edges, int64_t n, int64_t label = 1, int64_t first_id = 0) {
  ExplanationSubgraph s;
  s.target = Target::node(first_id, label);
  for (int64_t i = 0; i < n; ++i) s.nodes.push_back(first_id + i);
  s.edges = edges;
  s.scores.assign(edges.size(), 1.0);
  return s;
}

// The same instance with local ids renamed by perm (perm[0] == 0 keeps the explained node first).
ExplanationSubgraph renamed(const ExplanationSubgraph& s, const std::vector<int64_t>& perm) {
  ExplanationSubgraph r = s;
  for (size_t i = 0; i < s.nodes.size(); ++i) r.nodes[perm[i]] = s.nodes[i];
  r.edges.clear();
  for (const auto& [u, v] : s.edges) r.edges.push_back({perm[v], perm[u]});
  return r;
}

// Houses seen from the roof's base corner, some with one extra edge to a base node (5) or one
// house edge missing: what a noisy explainer gives.
std::vector<ExplanationSubgraph> noisy_houses() {
  std::vector<ExplanationSubgraph> out;
  const auto house = house_motif();
  for (int64_t k = 0; k < 9; ++k) {
    EdgeList e = house;
    if (k % 3 == 1) e.push_back({0, 5});         // the edge to the base
    if (k % 3 == 2) e.erase(e.begin() + k % 6);  // a house edge lost
    const int64_t n = k % 3 == 1 ? 6 : 5;
    out.push_back(instance(e, n, /*label=*/1, /*first_id=*/100 * k));
  }
  return out;
}

// Prototype adjacencies equal up to a renaming of prototype nodes: the exact aligner finds cost 0.
void require_same_up_to_renaming(const at::Tensor& p, const at::Tensor& q) {
  REQUIRE(p.sizes() == q.sizes());
  const auto none = torch::zeros({p.size(0), 0}, torch::kDouble);
  const auto al = align(p, none, q, none, AlignmentOptions().method(AlignmentMethod::kExact));
  INFO("p = " << p << "\nq = " << q);
  REQUIRE(al.cost == Approx(0).margin(1e-9));
}

}  // namespace

TEST_CASE("the explanation subgraph grows from the target by score", "[prototype]") {
  // A path 0-1-2-3-4 and a triangle 5-6-7 joined by 4-5; node 0 explained.
  const EdgeList edges = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {5, 7}};
  const Graph g(undirected_edge_index(edges), 8, {}, {}, torch::arange(8, torch::kLong));
  Explanation e;
  e.target = Target::node(0, 1);
  e.edge_mask = torch::zeros({g.num_edges()});
  const auto ei = g.edge_index;
  auto set = [&](int64_t u, int64_t v, float s) {
    for (int64_t k = 0; k < g.num_edges(); ++k)
      if ((ei[0][k].item<int64_t>() == u && ei[1][k].item<int64_t>() == v) ||
          (ei[0][k].item<int64_t>() == v && ei[1][k].item<int64_t>() == u))
        e.edge_mask[k] = s;
  };
  set(0, 1, 0.9);
  set(1, 2, 0.8);
  set(2, 3, 0.3);  // below half of the top score: stops the path
  set(5, 6, 1.0);  // the top edge, not connected to the target through strong edges
  set(3, 4, 0.9);
  set(4, 5, 0.25);
  const auto s = explanation_subgraph(g, e, SubgraphRule());
  CHECK(s.nodes == std::vector<int64_t>{0, 1, 2});
  CHECK(s.edges == EdgeList{{0, 1}, {1, 2}});
  CHECK(s.scores == std::vector<double>{0.8999999761581421, 0.800000011920929});
  CHECK(s.node_labels == std::vector<int64_t>{0, 1, 2});
  // A cap of one edge keeps the target's best edge; a threshold of 0 lets the path run on.
  CHECK(explanation_subgraph(g, e, SubgraphRule().max_edges(1)).edges == EdgeList{{0, 1}});
  CHECK(explanation_subgraph(g, e, SubgraphRule().relative_threshold(0.2)).nodes ==
        std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
}

TEST_CASE("the prototype of identical instances is the instance", "[prototype]") {
  const auto method = GENERATE(AlignmentMethod::kSinkhorn, AlignmentMethod::kExact);
  const auto agg = GENERATE(PrototypeAggregation::kMean, PrototypeAggregation::kMedian);
  const auto house = instance(house_motif(), 5);
  const std::vector<ExplanationSubgraph> same(4, house);
  const auto p = prototype_from_subgraphs(same, PrototypeOptions().aggregation(agg).anchor(true).alignment(
                                                    AlignmentOptions().method(method)));
  auto a = torch::zeros({5, 5}, torch::kDouble);
  for (const auto& [u, v] : house.edges) a[u][v] = a[v][u] = 1.0;
  GNNX_REQUIRE_CLOSE(p.adjacency, a, 0, 1e-12);
  CHECK(metrics::isomorphic(p.edges, house_motif()));
  CHECK(p.edge_weights == std::vector<double>(6, 1.0));
  for (double c : p.costs) CHECK(c == Approx(0).margin(1e-9));
  CHECK(p.node_frequency == std::vector<double>(5, 1.0));
}

// Anchored, the weighted prototype is the same up to a renaming of its nodes. Unrooted, equally
// good alignments of a noisy instance (the house's symmetries) are told apart by node order, so
// renaming can move weight between symmetric places: there the prototype graph stays the house.
TEST_CASE("renaming an instance's nodes leaves the prototype unchanged", "[prototype]") {
  const auto rule = GENERATE(ReferenceRule::kMedoid, ReferenceRule::kIterate);
  const auto anchor = GENERATE(false, true);
  const auto houses = noisy_houses();
  const auto opts = PrototypeOptions().reference(rule).anchor(anchor);
  const auto base = prototype_from_subgraphs(houses, opts);
  CHECK(metrics::isomorphic(base.edges, house_motif()));
  for (uint64_t seed = 0; seed < 3; ++seed) {
    Rng rng(seed);
    auto moved = houses;
    for (auto& h : moved) {
      const auto n = static_cast<int64_t>(h.nodes.size());
      auto rest = permutation(n - 1, rng);  // the explained node stays first
      std::vector<int64_t> perm{0};
      for (auto r : rest) perm.push_back(r + 1);
      h = renamed(h, perm);
    }
    const auto p = prototype_from_subgraphs(moved, opts);
    INFO("seed " << seed << ", anchor " << anchor);
    CHECK(metrics::isomorphic(p.edges, house_motif()));
    if (anchor) {
      require_same_up_to_renaming(p.adjacency, base.adjacency);
      CHECK(p.reference == base.reference);
    }
  }
}

TEST_CASE("without the anchor, grids seen from different nodes give the grid", "[prototype]") {
  // Tree-Grid's one class holds every grid node: explained at a corner, a side and the centre.
  std::vector<ExplanationSubgraph> grids;
  for (int64_t centre : {0, 1, 4, 8, 5}) {
    std::vector<int64_t> perm(9);
    for (int64_t i = 0; i < 9; ++i) perm[i] = i;
    std::swap(perm[0], perm[centre]);  // grid node `centre` becomes local node 0, the explained node
    grids.push_back(renamed(instance(grid_motif(3), 9), perm));
  }
  const auto unrooted = prototype_from_subgraphs(grids, PrototypeOptions().anchor(false));
  CHECK(metrics::isomorphic(unrooted.edges, grid_motif(3)));
  CHECK(unrooted.edge_weights == std::vector<double>(12, 1.0));
  // Anchored, a corner and the centre cannot both sit on prototype node 0 at no cost.
  const auto rooted = prototype_from_subgraphs(grids, PrototypeOptions().anchor(true));
  CHECK(*std::max_element(rooted.costs.begin(), rooted.costs.end()) > 0);
}

TEST_CASE("graph-task prototypes align without an anchor", "[prototype]") {
  std::vector<ExplanationSubgraph> cycles;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    Rng rng(seed);
    auto c = instance(cycle_motif(5), 5);
    c.target = Target::graph(static_cast<int64_t>(seed), 0);
    cycles.push_back(renamed(c, permutation(5, rng)));
  }
  const auto p = prototype_from_subgraphs(cycles);
  CHECK(metrics::isomorphic(p.edges, cycle_motif(5)));
  CHECK(p.edge_weights == std::vector<double>(5, 1.0));
}

TEST_CASE("a prototype runs through a registered explainer", "[prototype]") {
  // An untrained node classifier on houses attached to a small BA graph, explained by gradients.
  UndirectedGraph ug(20);
  for (const auto& [u, v] : barabasi_albert(20, 2, uint64_t{1})) boost::add_edge(u, v, ug);
  std::vector<int64_t> plugs;
  for (int64_t k = 0; k < 4; ++k) plugs.push_back(attach_motif(ug, house_motif(), 5, 3 * k));
  const auto n = static_cast<int64_t>(boost::num_vertices(ug));
  const Graph g(undirected_edge_index(edge_list(ug)), n, torch::ones({n, 4}));
  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(4, 3).num_layers(2).hidden_channels(8));
  model->eval();
  const auto p =
      Prototype(PrototypeOptions().explainer("grad").anchor(true).seed(3)).build(*model, g, plugs, /*label=*/1);
  CHECK(p.anchored);
  REQUIRE(p.instances.size() == 4);
  const auto m = p.adjacency.size(0);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(p.instances[i].target.index == plugs[i]);
    CHECK(p.instances[i].nodes.front() == plugs[i]);
    CHECK(static_cast<int64_t>(p.permutations[i].size()) == m);
    CHECK(p.permutations[i][0] == 0);
  }
  CHECK(torch::allclose(p.adjacency, p.adjacency.t()));
  CHECK(p.adjacency.min().item<double>() >= 0);
  CHECK(p.adjacency.max().item<double>() <= 1);
  // At most `instances` of them, drawn with the seed.
  CHECK(Prototype(PrototypeOptions().explainer("grad").instances(2)).build(*model, g, plugs, 1).instances.size() == 2);
  GNNX_REQUIRE_ERROR("prototype: node 99 is outside the graph's [0, 40)",
                     Prototype(PrototypeOptions().explainer("grad")).build(*model, g, {0, 99}, 1));
  GNNX_REQUIRE_ERROR("prototype: expected at least one node to explain, got none",
                     Prototype(PrototypeOptions().explainer("grad")).build(*model, g, {}, 1));
  GNNX_REQUIRE_ERROR("make_explainer: unknown method \"nope\"",
                     Prototype(PrototypeOptions().explainer("nope")).build(*model, g, plugs, 1));
  GNNX_REQUIRE_ERROR("prototype: build_graphs explains a graph classifier; this model classifies nodes",
                     Prototype().build_graphs(*model, {g}, 1));
}

TEST_CASE("prototype refuses bad input", "[prototype]") {
  GNNX_REQUIRE_ERROR("prototype: expected at least one instance, got none", prototype_from_subgraphs({}));
  auto houses = noisy_houses();
  houses[2].target.label = 2;
  GNNX_REQUIRE_ERROR(
      "prototype: expected instances of one class, got node 0 (class 1) and node 200 (class 2) (mixed classes)",
      prototype_from_subgraphs(houses));
  houses = noisy_houses();
  houses[1].edges.clear();
  houses[1].scores.clear();
  GNNX_REQUIRE_ERROR(
      "prototype: expected every instance to have an explanation subgraph with edges, got an empty one "
      "for node 100 (class 1)",
      prototype_from_subgraphs(houses));
  houses = noisy_houses();
  houses[3].target = Target::graph(3, 1);
  GNNX_REQUIRE_ERROR("prototype: expected instances of one kind, got instance 0 a node and instance 3 a graph",
                     prototype_from_subgraphs(houses));
  houses = noisy_houses();
  for (auto& h : houses) h.features = torch::ones({static_cast<int64_t>(h.nodes.size()), 3}, torch::kDouble);
  houses[3].features = torch::ones({5, 2}, torch::kDouble);
  GNNX_REQUIRE_ERROR("prototype: expected one feature width, got 3 (instance 0) and 2 (instance 3)",
                     prototype_from_subgraphs(houses, PrototypeOptions().node_features(NodeFeatures::kInput)));
  houses[3].features = torch::ones({4, 3}, torch::kDouble);
  GNNX_REQUIRE_ERROR(
      "prototype: node_features input needs [n, F] features per instance; instance 3 has [4, 3] for 5 nodes",
      prototype_from_subgraphs(houses, PrototypeOptions().node_features(NodeFeatures::kInput)));
  houses = noisy_houses();
  GNNX_REQUIRE_ERROR("prototype: threshold must be > 0, got 0",
                     prototype_from_subgraphs(houses, PrototypeOptions().threshold(0)));
  // An explanation that scores nothing has no subgraph.
  const Graph g(undirected_edge_index(house_motif()), 5);
  Explanation e;
  e.method = "grad";
  e.target = Target::node(0, 1);
  e.edge_mask = torch::zeros({g.num_edges()});
  GNNX_REQUIRE_ERROR("explanation_subgraph: the explanation of node 0 (class 1) is empty (no edge scores above 0)",
                     explanation_subgraph(g, e));
  e.edge_mask = torch::ones({3});
  GNNX_REQUIRE_ERROR("explanation_subgraph: expected an edge mask of the graph's 12 edges, got 3",
                     explanation_subgraph(g, e));
  e.edge_mask = at::Tensor();
  GNNX_REQUIRE_ERROR("explanation_subgraph: expected an explanation with an edge mask", explanation_subgraph(g, e));
  GNNX_REQUIRE_ERROR("reference rule: expected one of medoid, iterate, got \"mean\"", from_name<ReferenceRule>("mean"));
}
