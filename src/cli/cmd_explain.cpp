// `gnnx explain`: explain one prediction of a benchmark's model (the trained reference model, or
// a saved one) with any registered method, and show the most relevant edges (or, for gnn-lrp,
// the most relevant walks) as a table, one JSON line and an SVG picture.
#include <chrono>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/viz/graphviz.h"

namespace gnnx::cli {
namespace {

struct ExplainArgs {
  std::string method = "gnnexplainer", seed = "0";
  GNNLRPCliArgs lrp;  // dataset, model, node/graph, top-k, svg, json, and gnn-lrp's own rule options
};

void run_explain(const ExplainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& o = a.lrp;
  GNNX_CHECK(o.top_k > 0, "explain: --top-k must be positive, got ", o.top_k);
  const uint64_t seed = parse_seed(a.seed);
  auto explainer = explain::make_explainer(
      a.method, {{"seed", std::to_string(seed)}});  // an unknown method fails before any training
  auto ds = datasets::make_dataset(o.dataset, seed);
  nn::GNNClassifier model = o.model_path.empty() ? datasets::train_reference_model(ds, seed).model
                                                 : nn::load_gnn_classifier(o.model_path);
  model->eval();
  explain::Explanation e;
  Graph g;
  int64_t item = 0;
  at::Tensor ground_truth;
  if (ds.task == nn::Task::kNode) {
    g = ds.graphs.front();
    GNNX_CHECK(o.node >= 0, "explain: dataset ", o.dataset, " is a node task; give --node I");
    GNNX_CHECK(o.node < g.num_nodes, "explain: --node ", o.node, " outside [0, ", g.num_nodes, ")");
    item = o.node;
    e = explainer->explain(*model, g, {Target::node(item)}).front();
    ground_truth = ds.edge_mask_gt.front();
  } else {
    item = o.graph >= 0 ? o.graph : ds.split.test[0].item<int64_t>();
    GNNX_CHECK(item < static_cast<int64_t>(ds.graphs.size()), "explain: --graph ", item, " outside [0, ",
               ds.graphs.size(), ")");
    g = ds.graphs[static_cast<size_t>(item)];
    e = explainer->explain(*model, g, {Target::graph(0)}).front();
    ground_truth = ds.edge_mask_gt[static_cast<size_t>(item)];
  }
  GNNX_CHECK(e.edge_mask.defined(), "explain: method ", a.method, " gives no edge mask");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.svg.empty()) {
    auto draw = viz::DrawOptions().edge_ground_truth(ground_truth);
    if (ds.task == nn::Task::kNode) draw.node_labels(g.y);
    viz::write_explanation_svg(g, e, o.svg, draw);
  }
  const auto top = e.top_edges(o.top_k).to(torch::kCPU);
  const auto ei = g.edge_index.to(torch::kCPU);
  const auto mask = e.edge_mask.detach().to(torch::kCPU).to(torch::kDouble);
  nlohmann::json edges = nlohmann::json::array();
  for (int64_t i = 0; i < top.numel(); ++i) {
    const int64_t id = top[i].item<int64_t>();
    edges.push_back({{"edge", id},
                     {"source", ei[0][id].item<int64_t>()},
                     {"target", ei[1][id].item<int64_t>()},
                     {"score", mask[id].item<double>()},
                     {"ground_truth", ground_truth[id].item<double>() > 0}});
  }
  if (o.json) {
    nlohmann::json j = {
        {"dataset", o.dataset},    {"method", a.method}, {ds.task == nn::Task::kNode ? "node" : "graph", item},
        {"label", e.target.label}, {"top_edges", edges}, {"seconds", seconds}};
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << a.method << " on " << o.dataset << (ds.task == nn::Task::kNode ? ", node " : ", graph ") << item
            << " (class " << e.target.label << "), " << std::setprecision(3) << seconds << " s; top " << edges.size()
            << " edges (* = ground-truth motif edge):\n";
  for (const auto& edge : edges)
    std::cout << "  " << std::setw(6) << edge["source"].get<int64_t>() << " -> " << std::setw(6)
              << edge["target"].get<int64_t>() << "   " << std::setprecision(4) << edge["score"].get<double>()
              << (edge["ground_truth"].get<bool>() ? "  *" : "") << "\n";
  if (!o.svg.empty()) std::cout << "wrote " << o.svg << "\n";
}

}  // namespace

void register_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand("explain",
                                 "Explain one prediction on a synthetic benchmark: top edges, or GNN-LRP's walks");
  auto& o = a->lrp;
  cmd->add_option("--dataset", o.dataset, "ba-shapes, ba-community, tree-cycles, tree-grid, ba-2motifs, ba-growth")
      ->required();
  cmd->add_option("--method", a->method, "any registered explainer (gnnexplainer, grad, saliency, ig, gnn-lrp, ...)")
      ->capture_default_str();
  cmd->add_option("--node", o.node, "node to explain (node datasets)");
  cmd->add_option("--graph", o.graph, "graph to explain (graph datasets; default: the first test graph)");
  cmd->add_option("--seed", a->seed, "seed of the dataset, the reference model and the explainer")
      ->capture_default_str();
  cmd->add_option("--model", o.model_path, "load this model instead of training the reference model");
  cmd->add_option("--top-k", o.top_k, "edges (or gnn-lrp walks) reported")->capture_default_str();
  cmd->add_option("--svg", o.svg, "write a picture of the explanation (GraphViz dot)");
  cmd->add_flag("--json", o.json, "print one JSON line instead of the table");
  cmd->add_option("--gamma", o.gamma, "gnn-lrp: gamma of the LRP-gamma rule on the layers (0: LRP-epsilon)")
      ->capture_default_str();
  cmd->add_option("--order", o.order, "gnn-lrp: rank walks by abs, positive or negative relevance")
      ->capture_default_str();
  cmd->callback([a] {
    if (a->method == "gnn-lrp") {
      a->lrp.seed = parse_seed(a->seed);
      run_gnn_lrp_cli(a->lrp);
    } else {
      run_explain(*a);
    }
  });
}

}  // namespace gnnx::cli
