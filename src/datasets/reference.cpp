#include "gnnx/datasets/reference.h"

#include <torch/torch.h>

#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/isomorphism.hpp>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"

namespace gnnx::datasets {

ReferenceConfig reference_config(const Dataset& d) {
  d.validate("reference_config");
  ReferenceConfig c;
  // GraphConv (sum aggregation + root weight) rather than the symmetric-normalised GCN: the
  // original GNNExplainer layer is the unnormalised (A + I) X W, and with constant features the
  // normalised GCN loses the degree signal (BA-Shapes seed 0: 0.87 test accuracy with GCN,
  // 1.00 with GraphConv, same training). Width 20, 3 layers, concatenated into the head.
  c.model = nn::GNNClassifierOptions(d.graphs.front().num_features(), d.num_classes)
                .task(d.task)
                .conv(nn::ConvType::kGraphConv)
                .hidden_channels(20)
                .num_layers(3)
                .concat(true)
                .readout(nn::Aggregation::kMax);
  // Tuned with bench/bench_reference_models (mean test accuracy over seeds 0..4).
  if (d.name == "ba-shapes" || d.name == "tree-cycles" || d.name == "tree-grid" || d.name == "infection") {
    c.train.epochs(1000).lr(0.01).weight_decay(5e-4).patience(200);
    // Tree-Cycles: the plain model decides for the node joining a cycle to the tree without the
    // cycle's far edges (deleting one moves its log-probability by ~0.001, seeds 0 and 2), so no
    // faithful explanation of it is the cycle; trained beside 10 copies with broken cycles
    // relabelled, the same deletion moves it by 0.46-2.2 (edge-occlusion AUC over the paper's
    // nodes 0.80 / 0.86 -> 0.91 / 0.91; test accuracy 1.00 either way).
    if (d.name == "tree-cycles") c.counterexamples.copies(10).break_prob(0.5).drop_prob(0.3).soft_weights(true);
    // Tree-Grid: a 3 x 3 grid has diameter 4, so with 3 layers a corner node cannot see the far
    // corner of its own grid; 4 layers see the whole grid from every node (test accuracy, 5
    // seeds: 0.927 -> 0.963). Trained beside 10 copies with broken grids relabelled and half the
    // other edges deleted (test accuracy 0.958), random edges into neighbouring grids raise the
    // "grid" score less. GNNExplainer, paper protocol: 0.824 (3 layers) -> 0.906 (4) -> 0.943 (4,
    // counterexamples); scored on the same 3-hop subgraphs as the 3-layer model
    // (`gnnx evaluate --eval-hops 3`), 0.824 -> 0.885: a part of the gain is the larger subgraphs'
    // far edges, which are easy negatives.
    if (d.name == "tree-grid") {
      c.model.num_layers(4);
      c.counterexamples.copies(10).break_prob(0.5).drop_prob(0.5);
    }
  } else if (d.name == "ba-community") {
    // Gaussian features make it overfit: 5e-4 gives 0.84, 5e-3 (the original code's) 0.88.
    c.train.epochs(1000).lr(0.01).weight_decay(5e-3).patience(200);
  } else if (d.name == "ba-2motifs" || d.name == "ba-growth" || d.name == "ba-multishapes") {
    c.train.epochs(100).lr(0.01).weight_decay(0).batch_size(64).patience(30);
    // BA-2Motifs: the plain model has a default class (with every edge masked it still predicts
    // one motif's class, p > 0.9, which one depending on the seed), so that motif's edges are not
    // needed for its prediction and GNNExplainer's AUC on its graphs is near chance (seed 0: 0.54
    // on five-cycles, 0.82 on houses). Trained beside 2 copies per graph (motif broken with
    // probability 0.5 -> a third class "no complete motif", half the other edges deleted), the
    // empty graph is "no motif" and each motif alone keeps its class; GNNExplainer (default
    // options) 0.711 -> 0.949 (5 seeds, test accuracy 1.00 either way; 4 copies: 0.962).
    // BA-growth has no motif instances to break.
    if (d.name == "ba-2motifs") c.counterexamples.copies(2).break_prob(0.5).drop_prob(0.5);
    // BA-MultiShapes: "exactly two of three motif kinds" is not linear in the pooled features, so
    // a linear head underfits (5 seeds: train 0.870, test 0.848); with a hidden head layer and up
    // to 300 epochs: train 0.982, test 0.920.
    if (d.name == "ba-multishapes") {
      c.model.head_hidden(20);
      c.train.epochs(300).patience(50);
    }
  } else {
    GNNX_CHECK(false, "reference_config: no reference model for dataset '", d.name, "'");
  }
  return c;
}

namespace {

// The graph's undirected edges (pair[e] shared by both directions), which of them are
// motif-template edges, each motif instance's template pairs, and the label its nodes take when
// it is broken: the one just below its smallest role (the generators number a motif's roles right
// after its base's label: BA-Shapes 0 | 1-3, BA-Community 0 | 1-3 and 4 | 5-7, the trees 0 | 1).
struct MotifEdges {
  std::vector<int64_t> pair;
  std::vector<char> is_motif_pair;
  std::vector<std::vector<int64_t>> motif_pairs;
  std::vector<int64_t> base_label;
};

MotifEdges motif_edges(const std::string& name, const at::Tensor& edge_index, const at::Tensor& edge_gt,
                       const at::Tensor& motif_id, const at::Tensor& y) {
  MotifEdges m;
  const int64_t E = edge_index.size(1), N = motif_id.numel();
  const int64_t* src = edge_index.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  const float* gt = edge_gt.data_ptr<float>();
  const int64_t* mid = motif_id.data_ptr<int64_t>();
  const int64_t* yp = y.data_ptr<int64_t>();
  std::map<std::pair<int64_t, int64_t>, int64_t> pair_of;
  m.pair.resize(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) {
    const std::pair<int64_t, int64_t> key{std::min(src[e], dst[e]), std::max(src[e], dst[e])};
    m.pair[static_cast<size_t>(e)] = pair_of.emplace(key, static_cast<int64_t>(pair_of.size())).first->second;
  }
  int64_t num_motifs = 0;
  for (int64_t v = 0; v < N; ++v) num_motifs = std::max(num_motifs, mid[v] + 1);
  m.motif_pairs.resize(static_cast<size_t>(num_motifs));
  m.is_motif_pair.assign(pair_of.size(), 0);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t a = mid[src[e]], b = mid[dst[e]];
    const auto p = static_cast<size_t>(m.pair[static_cast<size_t>(e)]);
    if (gt[e] > 0.5f && a >= 0 && a == b && !m.is_motif_pair[p]) {
      m.is_motif_pair[p] = 1;
      m.motif_pairs[static_cast<size_t>(a)].push_back(static_cast<int64_t>(p));
    }
  }
  std::set<int64_t> base_labels;
  m.base_label.assign(static_cast<size_t>(num_motifs), std::numeric_limits<int64_t>::max());
  for (int64_t v = 0; v < N; ++v) {
    if (mid[v] < 0)
      base_labels.insert(yp[v]);
    else
      m.base_label[static_cast<size_t>(mid[v])] = std::min(m.base_label[static_cast<size_t>(mid[v])], yp[v] - 1);
  }
  for (int64_t k = 0; k < num_motifs; ++k)
    GNNX_CHECK(base_labels.count(m.base_label[static_cast<size_t>(k)]) == 1, "counterexample_graph: motif ", k, " of ",
               name, " has roles from ", m.base_label[static_cast<size_t>(k)] + 1,
               ", but no base node carries the label below them (roles must follow their base's label)");
  return m;
}

// Which of a broken motif's n template edges are deleted: each with probability 1/2, at least
// one (then a uniformly drawn one).
std::vector<char> broken_edges(Rng& rng, size_t n) {
  std::vector<char> deleted(n, 0);
  bool any = false;
  for (auto& d : deleted)
    if (uniform_real(rng) < 0.5) d = 1, any = true;
  if (!any) deleted[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(n) - 1))] = 1;
  return deleted;
}

// A non-motif edge's weight in a copy: negative when deleted (probability drop_prob), else 1, or
// a draw from U[0, 1) with soft_weights.
float other_edge_weight(Rng& rng, const CounterexampleOptions& o) {
  if (uniform_real(rng) < o.drop_prob()) return -1.f;
  return o.soft_weights() ? static_cast<float>(uniform_real(rng)) : 1.f;
}

}  // namespace

void check_counterexample_options(const CounterexampleOptions& o, const std::string& op) {
  GNNX_CHECK(o.copies() >= 0, op, ": copies must be >= 0, got ", o.copies());
  GNNX_CHECK(o.break_prob() >= 0 && o.break_prob() <= 1 && o.drop_prob() >= 0 && o.drop_prob() <= 1, op,
             ": break_prob and drop_prob must lie in [0, 1], got ", o.break_prob(), " and ", o.drop_prob());
}

AugmentedGraph counterexample_graph(const Dataset& d, const CounterexampleOptions& o, uint64_t seed) {
  d.validate("counterexample_graph");
  GNNX_CHECK(d.task == nn::Task::kNode, "counterexample_graph: expected a node-task dataset, got ", d.name,
             " (graph task)");
  check_counterexample_options(o, "counterexample_graph");
  const Graph& g = d.graphs.front();
  const int64_t N = g.num_nodes;
  const auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const auto y = g.y.to(torch::kCPU).contiguous();
  const auto mid = d.motif_id.front().to(torch::kCPU).contiguous();
  const auto m = motif_edges(d.name, ei, d.edge_mask_gt.front().to(torch::kCPU, torch::kFloat).contiguous(), mid, y);
  const auto x = g.x.to(torch::kCPU);
  const size_t P = m.is_motif_pair.size();

  std::vector<Graph> parts{Graph(ei, N, x, torch::ones({ei.size(1)}, x.options()), y)};
  for (int64_t c = 0; c < o.copies(); ++c) {
    Rng rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(c) + 1);
    std::vector<char> keep(P, 1);
    std::vector<float> weight(P, 1.f);
    for (size_t p = 0; p < P; ++p) {
      if (m.is_motif_pair[p]) continue;
      const float w = other_edge_weight(rng, o);
      if (w < 0)
        keep[p] = 0;
      else
        weight[p] = w;
    }
    auto cy = y.clone();
    auto* cyp = cy.data_ptr<int64_t>();
    std::vector<char> broken(m.motif_pairs.size(), 0);
    for (size_t k = 0; k < m.motif_pairs.size(); ++k) {
      const auto& mps = m.motif_pairs[k];
      if (mps.empty() || uniform_real(rng) >= o.break_prob()) continue;
      const auto deleted = broken_edges(rng, mps.size());
      for (size_t j = 0; j < mps.size(); ++j)
        if (deleted[j]) keep[static_cast<size_t>(mps[j])] = 0;
      broken[k] = 1;
    }
    for (int64_t v = 0; v < N; ++v) {
      const int64_t k = mid.data_ptr<int64_t>()[v];
      if (k >= 0 && broken[static_cast<size_t>(k)]) cyp[v] = m.base_label[static_cast<size_t>(k)];
    }
    std::vector<int64_t> kept;
    std::vector<float> w;
    for (size_t e = 0; e < m.pair.size(); ++e) {
      const auto p = static_cast<size_t>(m.pair[e]);
      if (!keep[p]) continue;
      kept.push_back(static_cast<int64_t>(e));
      w.push_back(weight[p]);
    }
    parts.emplace_back(ei.index_select(1, torch::tensor(kept, torch::kLong)), N, x,
                       torch::tensor(w, torch::kFloat).to(x.scalar_type()), cy);
  }
  AugmentedGraph out;
  out.graph = batch_graphs(parts).graph.to(g.device());
  const auto tr = d.split.train.to(torch::kCPU), va = d.split.val.to(torch::kCPU);
  std::vector<at::Tensor> train, val;
  for (int64_t c = 0; c <= o.copies(); ++c) {
    train.push_back(tr + c * N);
    val.push_back(va + c * N);
  }
  out.split.train = torch::cat(train).to(d.split.train.device());
  out.split.val = torch::cat(val).to(d.split.val.device());
  out.split.test = d.split.test;
  return out;
}

namespace {

using IsoGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

// The motif of a graph with exactly one motif instance: its nodes (ascending) and its template
// edges as undirected pairs of positions in that node list.
struct GraphMotif {
  std::vector<int64_t> nodes;
  std::vector<std::pair<int64_t, int64_t>> pairs;
};

GraphMotif graph_motif(const Dataset& d, size_t i) {
  GraphMotif m;
  const auto mid = d.motif_id[i].to(torch::kCPU).contiguous();
  const int64_t* mp = mid.data_ptr<int64_t>();
  std::map<int64_t, int64_t> pos;
  for (int64_t v = 0; v < mid.numel(); ++v) {
    GNNX_CHECK(mp[v] == -1 || mp[v] == 0, "counterexample_graphs: graph ", i, " of ", d.name, " has motif id ", mp[v],
               " (expected exactly one motif instance per graph, ids -1 or 0)");
    if (mp[v] == 0) pos.emplace(v, static_cast<int64_t>(m.nodes.size())), m.nodes.push_back(v);
  }
  GNNX_CHECK(!m.nodes.empty(), "counterexample_graphs: graph ", i, " of ", d.name,
             " has no motif instance (expected exactly one per graph)");
  const auto ei = d.graphs[i].edge_index.to(torch::kCPU).contiguous();
  const auto gt = d.edge_mask_gt[i].to(torch::kCPU, torch::kFloat).contiguous();
  const int64_t E = ei.size(1);
  const int64_t* src = ei.data_ptr<int64_t>();
  const float* g = gt.data_ptr<float>();
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int64_t e = 0; e < E; ++e) {
    const int64_t a = std::min(src[e], src[E + e]), b = std::max(src[e], src[E + e]);
    if (g[e] > 0.5f && pos.count(a) && pos.count(b) && seen.emplace(a, b).second) m.pairs.emplace_back(pos[a], pos[b]);
  }
  return m;
}

IsoGraph to_ugraph(int64_t n, const std::vector<std::pair<int64_t, int64_t>>& pairs) {
  IsoGraph g(static_cast<size_t>(n));
  for (auto [a, b] : pairs) boost::add_edge(static_cast<size_t>(a), static_cast<size_t>(b), g);
  return g;
}

bool isomorphic(const IsoGraph& a, const IsoGraph& b) {
  return boost::num_vertices(a) == boost::num_vertices(b) && boost::num_edges(a) == boost::num_edges(b) &&
         boost::isomorphism(a, b);
}

}  // namespace

AugmentedGraphs counterexample_graphs(const Dataset& d, const CounterexampleOptions& o, uint64_t seed) {
  d.validate("counterexample_graphs");
  GNNX_CHECK(d.task == nn::Task::kGraph, "counterexample_graphs: expected a graph-task dataset, got ", d.name,
             " (node task)");
  check_counterexample_options(o, "counterexample_graphs");
  AugmentedGraphs out;
  out.num_classes = d.num_classes + 1;
  const int64_t null_class = d.num_classes;
  // Each class's motif template, from its first graph.
  std::vector<std::pair<int64_t, IsoGraph>> templates;
  std::set<int64_t> have;
  for (size_t i = 0; i < d.graphs.size(); ++i) {
    const int64_t c = d.graphs[i].y.to(torch::kCPU).item<int64_t>();
    if (!have.insert(c).second) continue;
    const auto m = graph_motif(d, i);
    templates.emplace_back(c, to_ugraph(static_cast<int64_t>(m.nodes.size()), m.pairs));
  }
  auto with_weights = [](const Graph& g) {
    Graph c = g;
    if (!c.has_edge_weight()) c.edge_weight = torch::ones({g.edge_index.size(1)}, g.x.options());
    return c;
  };
  for (const auto& g : d.graphs) out.graphs.push_back(with_weights(g));
  auto add_copies = [&](const at::Tensor& ids_in) {
    const auto ids = ids_in.to(torch::kCPU).contiguous();
    std::vector<int64_t> out_ids(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
    for (int64_t k = 0; k < ids.numel(); ++k) {
      const auto i = static_cast<size_t>(ids.data_ptr<int64_t>()[k]);
      const Graph& g = d.graphs[i];
      const auto m = graph_motif(d, i);
      const auto ei = g.edge_index.to(torch::kCPU).contiguous();
      const int64_t E = ei.size(1);
      const int64_t* src = ei.data_ptr<int64_t>();
      std::map<std::pair<int64_t, int64_t>, int64_t> motif_pair;  // node pair -> template pair index
      for (size_t p = 0; p < m.pairs.size(); ++p)
        motif_pair[{m.nodes[static_cast<size_t>(m.pairs[p].first)], m.nodes[static_cast<size_t>(m.pairs[p].second)]}] =
            static_cast<int64_t>(p);
      const int64_t y = g.y.to(torch::kCPU).item<int64_t>();
      for (int64_t c = 0; c < o.copies(); ++c) {
        Rng rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(i) * 0xD1B54A32D192ED03ULL +
                static_cast<uint64_t>(c) + 1);
        std::vector<char> deleted(m.pairs.size(), 0);
        int64_t label = y;
        if (!m.pairs.empty() && uniform_real(rng) < o.break_prob()) {
          deleted = broken_edges(rng, m.pairs.size());
          std::vector<std::pair<int64_t, int64_t>> left;
          for (size_t p = 0; p < m.pairs.size(); ++p)
            if (!deleted[p]) left.push_back(m.pairs[p]);
          const auto broken = to_ugraph(static_cast<int64_t>(m.nodes.size()), left);
          label = null_class;
          for (const auto& [cls, t] : templates)
            if (isomorphic(broken, t)) label = cls;
        }
        // Non-motif pairs, one draw per pair (both directions share it): weight, negative if deleted.
        std::map<std::pair<int64_t, int64_t>, float> other;
        std::vector<int64_t> kept;
        std::vector<float> w;
        for (int64_t e = 0; e < E; ++e) {
          const std::pair<int64_t, int64_t> key{std::min(src[e], src[E + e]), std::max(src[e], src[E + e])};
          const auto mp = motif_pair.find(key);
          if (mp != motif_pair.end()) {
            if (deleted[static_cast<size_t>(mp->second)]) continue;
            kept.push_back(e);
            w.push_back(1.f);
            continue;
          }
          auto it = other.find(key);
          if (it == other.end()) it = other.emplace(key, other_edge_weight(rng, o)).first;
          if (it->second < 0) continue;
          kept.push_back(e);
          w.push_back(it->second);
        }
        const auto kt = torch::tensor(kept, torch::kLong);
        out.graphs.emplace_back(ei.index_select(1, kt).to(g.edge_index.device()), g.num_nodes, g.x,
                                torch::tensor(w, torch::kFloat).to(g.x.options()),
                                torch::tensor({label}, torch::kLong).to(g.y.device()));
        out_ids.push_back(static_cast<int64_t>(out.graphs.size()) - 1);
      }
    }
    return torch::tensor(out_ids, torch::kLong).to(ids_in.device());
  };
  out.split.train = add_copies(d.split.train);
  out.split.val = add_copies(d.split.val);
  out.split.test = d.split.test;
  return out;
}

ReferenceModel train_reference_model(const Dataset& dataset, uint64_t seed) {
  return train_reference_model(dataset, reference_config(dataset), seed);
}

ReferenceModel train_reference_model(const Dataset& dataset, const ReferenceConfig& config, uint64_t seed) {
  dataset.validate("train_reference_model");
  ReferenceModel out;
  const bool graph_counterexamples = config.counterexamples.copies() > 0 && dataset.task == nn::Task::kGraph;
  AugmentedGraphs graphs;
  if (graph_counterexamples) graphs = counterexample_graphs(dataset, config.counterexamples, seed);
  torch::manual_seed(seed);
  auto model_options = config.model;
  if (graph_counterexamples) model_options.num_classes(graphs.num_classes);
  out.model = nn::GNNClassifier(model_options);
  out.model->to(dataset.graphs.front().device());
  auto train = config.train;
  train.seed(seed);
  if (graph_counterexamples) {
    out.result = nn::train_graph_classifier(*out.model, graphs.graphs, graphs.split, train);
  } else if (config.counterexamples.copies() > 0) {
    auto aug = counterexample_graph(dataset, config.counterexamples, seed);
    out.result = nn::train_node_classifier(*out.model, aug.graph, aug.split, train);
  } else if (dataset.task == nn::Task::kNode) {
    out.result = nn::train_node_classifier(*out.model, dataset.graphs.front(), dataset.split, train);
  } else {
    out.result = nn::train_graph_classifier(*out.model, dataset.graphs, dataset.split, train);
  }
  return out;
}

}  // namespace gnnx::datasets
