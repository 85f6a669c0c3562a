// Attributions as graph explanations (see gnnx/explain/attribution_explainer.h).
#include "gnnx/explain/attribution_explainer.h"

#include <optional>
#include <typeinfo>

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/check.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain {
namespace {

// The layout GNNModel::forward_trimmed runs one target on (see gnn.h): the rows of g's nodes
// within k hops of center, by hop (center first), and the ids of g's edges into nodes fewer than
// k hops away, by the hop of their target node, with edge_index relabelled to the rows. Only
// these edges can reach center's output; every other edge's gradient is 0.
struct Trimmed {
  at::Tensor node_order, edge_order, edge_index;  // on g's device
  std::vector<int64_t> nodes_per_hop, edges_per_hop;
};

Trimmed trimmed_layout(const Graph& g, int64_t center, int64_t k) {
  const auto dist = detail::hop_distances(g, center, k);  // k + 1 where farther
  const auto ei_t = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t n = g.num_nodes, E = ei_t.size(1);
  const int64_t* src = ei_t.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  std::vector<int64_t> nodes, edges, row(static_cast<size_t>(n), -1);
  Trimmed t;
  for (int64_t d = 0; d <= k; ++d) {
    for (int64_t v = 0; v < n; ++v)
      if (dist[static_cast<size_t>(v)] == d) {
        row[static_cast<size_t>(v)] = static_cast<int64_t>(nodes.size());
        nodes.push_back(v);
      }
    if (d < k) t.nodes_per_hop.push_back(static_cast<int64_t>(nodes.size()));
  }
  for (int64_t d = 0; d < k; ++d) {
    for (int64_t e = 0; e < E; ++e)
      if (dist[static_cast<size_t>(dst[e])] == d) edges.push_back(e);
    t.edges_per_hop.push_back(static_cast<int64_t>(edges.size()));
  }
  auto ei = torch::empty({2, static_cast<int64_t>(edges.size())}, torch::kLong);
  int64_t* out = ei.data_ptr<int64_t>();
  for (size_t q = 0; q < edges.size(); ++q) {
    out[q] = row[static_cast<size_t>(src[edges[q]])];
    out[edges.size() + q] = row[static_cast<size_t>(dst[edges[q]])];
  }
  const auto dev = g.edge_index.device();
  t.node_order = torch::tensor(nodes, torch::kLong).to(dev);
  t.edge_order = torch::tensor(edges, torch::kLong).to(dev);
  t.edge_index = ei.to(dev);
  return t;
}

// One node target of a node model on graph g, with the edges and the node features as one input
// row [1, E + N F]: the all-ones edge mask, then x flattened. A gradient method then takes both
// gradients from one forward and one backward pass (separate objectives take two of each). With
// a trimmed layout (trimmed_hops() = k > 0) the pass runs forward_trimmed on the edges that can
// reach the target, each layer on the rows its output is read at; the other entries' gradients
// are 0. The target's label may be -1 (the model's prediction): the one forward resolves it
// (nn::explained_output, which also checks a given label), so finding it costs no pass of its own.
class EdgesAndFeatures : public attribution::Objective {
 public:
  EdgesAndFeatures(nn::GNNModel& model, const Graph& g, const Target& target, int64_t trim, std::string op)
      : model_(model), g_(g), op_(std::move(op)) {
    targets_.push_back(target);
    input_ = torch::cat({torch::ones({g.num_edges()}, g.x.options()), g.x.detach().reshape({-1})}).unsqueeze(0);
    if (trim > 0) trimmed_ = trimmed_layout(g, target.index, trim);
  }
  at::Tensor input() const override { return input_; }
  const std::vector<Target>& targets() const override { return targets_; }
  std::string kind() const override { return "edges_and_node_features"; }
  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const attribution::LayerHook* hook) override {
    GNNX_ASSERT(hook == nullptr && inputs.dim() == 2 && inputs.size(0) == 1 && items.numel() == 1,
                "edges-and-features objective: one row, no hooks; got ", inputs.sizes());
    const int64_t e = g_.num_edges();
    auto x = inputs.narrow(1, e, inputs.size(1) - e).reshape({g_.num_nodes, g_.num_features()});
    auto mask = inputs.narrow(1, 0, e).reshape({e});
    at::Tensor row;
    if (trimmed_) {
      const auto& t = *trimmed_;
      nn::EdgeMaskScope scope(mask.index_select(0, t.edge_order));
      const auto w = g_.edge_weight.defined() ? g_.edge_weight.index_select(0, t.edge_order) : at::Tensor();
      row = model_.forward_trimmed(x.index_select(0, t.node_order), t.edge_index, w, t.nodes_per_hop, t.edges_per_hop)
                .select(0, 0);
    } else {
      nn::EdgeMaskScope scope(mask);
      row = model_.forward(x, g_.edge_index, g_.edge_weight).select(0, targets_[0].index);
    }
    targets_[0].label = nn::explained_output(model_, row.detach().to(torch::kCPU), targets_[0].label, op_);
    return row.narrow(0, targets_[0].label, 1);
  }

 private:
  nn::GNNModel& model_;
  const Graph& g_;
  std::string op_;
  at::Tensor input_;
  std::vector<Target> targets_;
  std::optional<Trimmed> trimmed_;
};

// Whether a is exactly a plain gradient method: its attribution of the edges and the features
// taken together is the two attributions taken apart.
bool plain_gradient(const attribution::Attributor& a) {
  return typeid(a) == typeid(attribution::Saliency) || typeid(a) == typeid(attribution::GradientXInput);
}

// The L-hop subgraph (L = model.num_hops()) of each wide subgraph's center, on full-graph ids. A
// wide subgraph holds every node within its reach of the center and every edge among them, so
// when the reach is at least L the L-hop subgraph cut from it is the one cut from the whole
// graph, in the same ascending order of ids; cutting it from the small wide subgraph spares a
// pass over the whole graph (on 10^7 edges, building its in-edge index took 0.3 s).
std::vector<Subgraph> l_hop_within(const std::vector<Subgraph>& wides, const nn::GNNModel& model) {
  std::vector<Subgraph> out;
  out.reserve(wides.size());
  for (const auto& wide : wides) {
    Subgraph local = k_hop_subgraph(wide.graph, wide.center, model.num_hops());
    local.node_ids = wide.node_ids.index_select(0, local.node_ids.to(wide.node_ids.device()));
    local.edge_ids = wide.edge_ids.index_select(0, local.edge_ids.to(wide.edge_ids.device()));
    out.push_back(std::move(local));
  }
  return out;
}

}  // namespace

Explanation to_explanation(const Graph& g, const attribution::Attribution& edges,
                           const attribution::Attribution& features, int64_t item, const at::Tensor& node_ids,
                           const at::Tensor& edge_ids) {
  GNNX_CHECK(edges.values.defined() || features.values.defined(),
             "to_explanation: expected an edge or a feature attribution");
  const attribution::Attribution& any = edges.values.defined() ? edges : features;
  GNNX_CHECK(item >= 0 && item < static_cast<int64_t>(any.targets.size()), "to_explanation: item ", item,
             " out of range [0, ", any.targets.size(), ")");
  Explanation e;
  e.method = any.method;
  e.target = any.targets[static_cast<size_t>(item)];
  const auto dev = any.values.device();
  const auto fopts = any.values.options();
  const auto lopts = torch::TensorOptions().dtype(torch::kLong).device(dev);
  const at::Tensor nodes = node_ids.defined() ? node_ids.to(dev) : torch::arange(g.num_nodes, lopts);
  const at::Tensor eids = edge_ids.defined() ? edge_ids.to(dev) : torch::arange(g.num_edges(), lopts);
  e.node_ids = nodes;
  e.edge_ids = eids;
  if (edges.values.defined()) {
    GNNX_CHECK(edges.values.dim() == 2 && edges.values.size(1) == eids.numel(), "to_explanation: edge attribution ",
               edges.values.sizes(), " does not match ", eids.numel(), " edges");
    e.edge_mask = torch::zeros({g.num_edges()}, fopts).index_put_({eids}, edges.values[item].abs());
  }
  if (features.values.defined()) {
    GNNX_CHECK(features.values.dim() == 3 && features.values.size(1) == nodes.numel(),
               "to_explanation: feature attribution ", features.values.sizes(), " does not match ", nodes.numel(),
               " nodes");
    const auto& v = features.values[item];
    e.node_mask = torch::zeros({g.num_nodes}, fopts).index_put_({nodes}, v.abs().sum(1));
    e.feature_mask = torch::zeros({g.num_nodes, v.size(1)}, fopts).index_put_({nodes}, v);
    if (!edges.values.defined()) e.method = features.method;
  }
  for (const attribution::Attribution* a : {&edges, &features}) {
    if (!a->values.defined()) continue;
    const std::string prefix = a == &edges ? "edges." : "features.";
    for (const auto& [k, d] : a->diagnostics)
      if (d.dim() >= 1 && d.size(0) == a->values.size(0)) e.diagnostics[prefix + k] = d[item].sum().item<double>();
  }
  return e;
}

AttributionExplainer::AttributionExplainer(std::string name, std::shared_ptr<attribution::Attributor> edge_attributor,
                                           std::shared_ptr<attribution::Attributor> feature_attributor)
    : name_(std::move(name)), edges_(std::move(edge_attributor)), features_(std::move(feature_attributor)) {
  GNNX_CHECK(edges_ || features_, "AttributionExplainer: expected an edge or a feature attributor");
  joint_ = edges_ && features_ && plain_gradient(*edges_) && typeid(*edges_) == typeid(*features_) &&
           edges_->options() == features_->options();
}

std::vector<Explanation> AttributionExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                       const std::vector<Target>& targets) {
  return run(model, graph, targets, /*compact=*/false);
}

std::vector<Explanation> AttributionExplainer::explain_compact(nn::GNNModel& model, const Graph& graph,
                                                               const std::vector<Target>& targets) {
  return run(model, graph, targets, /*compact=*/true);
}

std::vector<Explanation> AttributionExplainer::run(nn::GNNModel& model, const Graph& graph,
                                                   const std::vector<Target>& targets, bool compact) {
  GNNX_CHECK(!targets.empty(), name_, ": expected at least one target");
  graph.validate(name_, /*allow_empty=*/false);
  std::vector<Explanation> out;
  const int64_t reach = model.receptive_field(), trim = model.trimmed_hops();
  // Node targets: every id checked before any work, and all subgraphs cut in one pass.
  std::vector<Subgraph> wides, comps;
  // A node's L-hop subgraph is its computation subgraph itself when the receptive field is L.
  const bool comp_is_wide = model.task() == nn::Task::kNode && reach == model.num_hops();
  if (model.task() == nn::Task::kLink) {
    // A link (u, v) on the union of both endpoints' computation subgraphs.
    for (const auto& t : targets)
      GNNX_CHECK(t.kind == Target::Kind::kLink && t.index >= 0 && t.index < graph.num_nodes && t.other >= 0 &&
                     t.other < graph.num_nodes,
                 name_, ": expected link targets Target::link(u, v) with u, v in [0, ", graph.num_nodes, "), got ",
                 to_string(t));
    for (const auto& t : targets) {
      const auto ends = torch::tensor({t.index, t.other}, torch::kLong);
      Subgraph wide;
      if (reach >= 0) {
        wide = k_hop_subgraph(graph, ends, reach);
      } else {
        wide.graph = graph;
        wide.node_ids = torch::arange(graph.num_nodes, torch::kLong);
        wide.edge_ids = torch::arange(graph.num_edges(), torch::kLong);
        wide.center = ends;
      }
      comps.push_back(model.num_hops() >= 0 ? k_hop_subgraph(graph, ends, model.num_hops()) : wide);
      wides.push_back(std::move(wide));
    }
  } else if (model.task() != nn::Task::kGraph) {
    std::vector<int64_t> ids;
    for (const auto& t : targets) {
      GNNX_CHECK(t.kind == Target::Kind::kNode && t.index >= 0 && t.index < graph.num_nodes, name_,
                 ": expected node targets in [0, ", graph.num_nodes, "), got ", to_string(t));
      ids.push_back(t.index);
    }
    // What graph_objective checks for the separate passes, once for the joint one.
    GNNX_CHECK(!joint_ || (graph.has_features() && graph.x.is_floating_point()), name_,
               ": expected floating node features x, got ", graph.has_features() ? "x of type " : "none",
               graph.has_features() ? c10::toString(graph.x.scalar_type()) : "");
    GNNX_CHECK(!joint_ || graph.num_features() == model.in_channels(), name_, ": the model takes ", model.in_channels(),
               " input features, the graph has ", graph.num_features());
    wides = computation_subgraphs(graph, ids, model.receptive_field());
    comps = comp_is_wide               ? wides
            : reach > model.num_hops() ? l_hop_within(wides, model)
                                       : k_hop_subgraphs(graph, ids, model.num_hops());
  }
  if (model.task() == nn::Task::kGraph) {
    for (const auto& t : targets) {
      GNNX_CHECK(t.kind == Target::Kind::kGraph && t.index == 0, name_,
                 ": a graph classifier on one graph needs Target::graph(0), got ", to_string(t));
      attribution::Attribution ea, fa;
      if (edges_) ea = edges_->attribute(model, graph, {t}, attribution::GraphInput::kEdges);
      if (features_) fa = features_->attribute(model, graph, {t}, attribution::GraphInput::kNodeFeatures);
      auto e = to_explanation(graph, ea, fa, 0);
      out.push_back(compact ? compact_explanation(e, graph.num_nodes, graph.num_edges()) : std::move(e));
    }
    return out;
  }
  // Node and link targets, each on its own subgraph and writing its own slot. On the CPU, with
  // attributors that allow it, the targets run in parallel (the model is only read and mask
  // scopes are thread-local), one target per task: subgraph sizes differ by orders of magnitude
  // on power-law graphs.
  out.resize(targets.size());
  // Full-graph masks are filled in the parallel pass while one explanation's [E] + [N] + [N, F]
  // floats stay under 32 MiB, glibc's largest mmap threshold; larger blocks are mapped afresh
  // each time, and two threads mapping and unmapping them ran slower than one, so those are
  // filled after the pass, one target at a time. bench_large_graph's full-mask stream, targets/s
  // in the pass / after it: 10^5 edges 829 / 698, 10^6 edges (12 MB) 348 / 144, 10^7 edges
  // (115 MB) 30 / 39.
  const int64_t full_bytes = 4 * (graph.num_edges() +
                                  graph.num_nodes * (1 + (graph.has_features() ? graph.num_features() : 0)));
  const bool fill_in_pass = !compact && full_bytes <= (int64_t{32} << 20);
  auto full = [&](Explanation& e) {
    const auto dev = (e.edge_mask.defined() ? e.edge_mask : e.node_mask).device();
    e = expand_explanation(e, graph.num_nodes, graph.num_edges(), dev);
  };
  auto explain_one = [&](size_t i) {
    const auto& t = targets[i];
    const auto& wide = wides[i];
    const auto& comp = comps[i];
    const int64_t center = wide.center[0].item<int64_t>();
    const bool link = t.kind == Target::Kind::kLink;
    Target local = link ? Target::link(center, wide.center[1].item<int64_t>(), t.label) : Target::node(center, t.label);
    attribution::Attribution ea, fa;
    if (joint_ && !link) {
      const Graph& sub = wide.graph;
      const bool trimmed = trim > 0 && (reach < 0 || reach >= trim);
      EdgesAndFeatures both(model, sub, local, trimmed ? trim : 0, name_ + " (" + to_string(t) + ")");
      ea = edges_->attribute(both);
      fa = ea;
      ea.values = fa.values.narrow(1, 0, sub.num_edges());
      fa.values = fa.values.narrow(1, sub.num_edges(), sub.num_nodes * sub.num_features())
                      .reshape({1, sub.num_nodes, sub.num_features()});
    } else {
      if (edges_) ea = edges_->attribute(model, wide.graph, {local}, attribution::GraphInput::kEdges);
      if (features_) fa = features_->attribute(model, wide.graph, {local}, attribution::GraphInput::kNodeFeatures);
    }
    // Masks on the wide subgraph's rows, then on the L-hop subgraph's (the report): compact form.
    auto e = to_explanation(wide.graph, ea, fa, 0);
    e.target = link ? Target::link(t.index, t.other, e.target.label) : Target::node(t.index, e.target.label);
    if (!comp_is_wide) {
      const auto erows = torch::searchsorted(wide.edge_ids, comp.edge_ids.to(wide.edge_ids.device()));
      const auto nrows = torch::searchsorted(wide.node_ids, comp.node_ids.to(wide.node_ids.device()));
      if (e.edge_mask.defined()) e.edge_mask = e.edge_mask.index_select(0, erows.to(e.edge_mask.device()));
      if (e.node_mask.defined()) e.node_mask = e.node_mask.index_select(0, nrows.to(e.node_mask.device()));
      if (e.feature_mask.defined()) e.feature_mask = e.feature_mask.index_select(0, nrows.to(e.feature_mask.device()));
    }
    e.edge_ids = comp.edge_ids;
    e.node_ids = comp.node_ids;
    if (compact) {
      e.edge_ids = e.edge_ids.to(torch::kCPU);
      e.node_ids = e.node_ids.to(torch::kCPU);
      for (auto* m : {&e.edge_mask, &e.node_mask, &e.feature_mask})
        if (m->defined()) *m = m->detach().to(torch::kCPU, torch::kFloat);
    } else if (fill_in_pass) {
      full(e);
    }
    out[i] = std::move(e);
  };
  const bool serial = graph.device().is_cuda() || (edges_ && !edges_->concurrent()) ||
                      (features_ && !features_->concurrent());
  detail::for_each_chunk(serial, static_cast<int64_t>(targets.size()), 1, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) explain_one(static_cast<size_t>(i));
  });
  if (!compact && !fill_in_pass)
    for (auto& e : out) full(e);
  return out;
}

int64_t AttributionExplainer::compact_target_cost(int64_t nodes, int64_t edges, int64_t num_features) const {
  GNNX_CHECK(nodes >= 0 && edges >= 0 && num_features >= 0, name_, ": compact_target_cost expects sizes >= 0, got ",
             nodes, " nodes, ", edges, " edges and ", num_features, " features");
  return 64 * edges + (32 + 8 * num_features) * nodes;
}

std::unique_ptr<Explainer> make_attribution_explainer(const std::string& name, uint64_t seed) {
  std::shared_ptr<attribution::Attributor> edges, features;
  if (name == "saliency") {
    edges = std::make_shared<attribution::Saliency>();
    features = std::make_shared<attribution::Saliency>();
  } else if (name == "gradxinput") {
    edges = std::make_shared<attribution::GradientXInput>();
    features = std::make_shared<attribution::GradientXInput>();
  } else if (name == "ig") {
    edges = std::make_shared<attribution::IntegratedGradients>();
    features = std::make_shared<attribution::IntegratedGradients>();
  } else if (name == "smoothgrad") {
    // σ = 0.15: 15 % of the [0, 1] range of an edge mask, the SmoothGrad paper's setting; Captum's
    // default σ = 1 would flip edge masks to negative values half of the time.
    auto opts = attribution::NoiseTunnelOptions().samples(20).stdev(0.15).seed(seed);
    edges = std::make_shared<attribution::NoiseTunnel>(std::make_shared<attribution::Saliency>(), opts);
    features = std::make_shared<attribution::NoiseTunnel>(std::make_shared<attribution::Saliency>(), opts);
  } else if (name == "occlusion") {
    edges = std::make_shared<attribution::Occlusion>(
        attribution::OcclusionOptions().window({1}).perturbations_per_eval(64));
    features = std::make_shared<attribution::Occlusion>(
        attribution::OcclusionOptions().window({1, -1}).perturbations_per_eval(64));
  } else {
    GNNX_CHECK(false, "make_attribution_explainer: unknown method \"", name,
               "\"; known: saliency, gradxinput, ig, smoothgrad, occlusion");
  }
  return std::make_unique<AttributionExplainer>(name, edges, features);
}

}  // namespace gnnx::explain
