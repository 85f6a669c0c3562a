// Attributions as graph explanations (see gnnx/explain/attribution_explainer.h).
#include "gnnx/explain/attribution_explainer.h"

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

// One node target of a node model on graph g, with the edges and the node features as one input
// row [1, E + N F]: the all-ones edge mask, then x flattened. A gradient method then takes both
// gradients from one forward and one backward pass (separate objectives take two of each). The
// target comes resolved (its label set) by a graph objective on the same graph.
class EdgesAndFeatures : public attribution::Objective {
 public:
  EdgesAndFeatures(nn::GNNModel& model, const Graph& g, const Target& resolved) : model_(model), g_(g) {
    targets_.push_back(resolved);
    input_ = torch::cat({torch::ones({g.num_edges()}, g.x.options()), g.x.detach().reshape({-1})}).unsqueeze(0);
  }
  at::Tensor input() const override { return input_; }
  const std::vector<Target>& targets() const override { return targets_; }
  std::string kind() const override { return "edges_and_node_features"; }
  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const attribution::LayerHook* hook) override {
    GNNX_ASSERT(hook == nullptr && inputs.dim() == 2 && inputs.size(0) == 1 && items.numel() == 1,
                "edges-and-features objective: one row, no hooks; got ", inputs.sizes());
    const int64_t e = g_.num_edges();
    auto x = inputs.narrow(1, e, inputs.size(1) - e).reshape({g_.num_nodes, g_.num_features()});
    nn::EdgeMaskScope scope(inputs.narrow(1, 0, e).reshape({e}));
    auto logits = model_.forward(x, g_.edge_index, g_.edge_weight);
    return logits.select(0, targets_[0].index).narrow(0, targets_[0].label, 1);
  }

 private:
  nn::GNNModel& model_;
  const Graph& g_;
  at::Tensor input_;
  std::vector<Target> targets_;
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
    wides = computation_subgraphs(graph, ids, model.receptive_field());
    comps = reach >= model.num_hops() ? l_hop_within(wides, model) : k_hop_subgraphs(graph, ids, model.num_hops());
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    if (model.task() == nn::Task::kGraph) {
      GNNX_CHECK(t.kind == Target::Kind::kGraph && t.index == 0, name_,
                 ": a graph classifier on one graph needs Target::graph(0), got ", to_string(t));
      attribution::Attribution ea, fa;
      if (edges_) ea = edges_->attribute(model, graph, {t}, attribution::GraphInput::kEdges);
      if (features_) fa = features_->attribute(model, graph, {t}, attribution::GraphInput::kNodeFeatures);
      auto e = to_explanation(graph, ea, fa, 0);
      out.push_back(compact ? compact_explanation(e, graph.num_nodes, graph.num_edges()) : std::move(e));
      continue;
    }
    const auto& wide = wides[i];
    const auto& comp = comps[i];
    const int64_t center = wide.center[0].item<int64_t>();
    const bool link = t.kind == Target::Kind::kLink;
    Target local = link ? Target::link(center, wide.center[1].item<int64_t>(), t.label) : Target::node(center, t.label);
    attribution::Attribution ea, fa;
    if (joint_ && !link) {
      // Only the edges that can reach the target's output run (the others' gradients are 0).
      const Graph& sub = wide.graph;
      Graph run_on = sub;
      at::Tensor live;
      if (trim > 0 && (reach < 0 || reach >= trim)) {
        live = detail::live_edges(sub, center, trim).first;
        if (live.numel() < sub.num_edges()) {
          run_on.edge_index = sub.edge_index.index_select(1, live);
          if (sub.edge_weight.defined()) run_on.edge_weight = sub.edge_weight.index_select(0, live);
        } else {
          live = at::Tensor();
        }
      }
      const auto resolved =
          attribution::graph_objective(model, run_on, {local}, attribution::GraphInput::kEdges)->targets().at(0);
      EdgesAndFeatures both(model, run_on, resolved);
      ea = edges_->attribute(both);
      fa = ea;
      ea.values = fa.values.narrow(1, 0, run_on.num_edges());
      if (live.defined())
        ea.values = torch::zeros({1, sub.num_edges()}, ea.values.options()).index_copy_(1, live, ea.values);
      fa.values = fa.values.narrow(1, run_on.num_edges(), sub.num_nodes * sub.num_features())
                      .reshape({1, sub.num_nodes, sub.num_features()});
    } else {
      if (edges_) ea = edges_->attribute(model, wide.graph, {local}, attribution::GraphInput::kEdges);
      if (features_) fa = features_->attribute(model, wide.graph, {local}, attribution::GraphInput::kNodeFeatures);
    }
    // Masks on the wide subgraph's rows, then on the L-hop subgraph's (the report): compact form.
    auto e = to_explanation(wide.graph, ea, fa, 0);
    e.target = link ? Target::link(t.index, t.other, e.target.label) : Target::node(t.index, e.target.label);
    const auto erows = torch::searchsorted(wide.edge_ids, comp.edge_ids.to(wide.edge_ids.device()));
    const auto nrows = torch::searchsorted(wide.node_ids, comp.node_ids.to(wide.node_ids.device()));
    if (e.edge_mask.defined()) e.edge_mask = e.edge_mask.index_select(0, erows.to(e.edge_mask.device()));
    if (e.node_mask.defined()) e.node_mask = e.node_mask.index_select(0, nrows.to(e.node_mask.device()));
    if (e.feature_mask.defined()) e.feature_mask = e.feature_mask.index_select(0, nrows.to(e.feature_mask.device()));
    e.edge_ids = comp.edge_ids;
    e.node_ids = comp.node_ids;
    if (compact) {
      e.edge_ids = e.edge_ids.to(torch::kCPU);
      e.node_ids = e.node_ids.to(torch::kCPU);
      for (auto* m : {&e.edge_mask, &e.node_mask, &e.feature_mask})
        if (m->defined()) *m = m->detach().to(torch::kCPU, torch::kFloat);
    } else {
      const auto dev = ea.values.defined() ? ea.values.device() : fa.values.device();
      e = expand_explanation(e, graph.num_nodes, graph.num_edges(), dev);
    }
    out.push_back(std::move(e));
  }
  return out;
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
