// GNN-LRP from the command line: the relevant walks of one node (node datasets) or one graph
// (graph datasets) of a synthetic benchmark, for its reference model (or a saved model).
// `gnnx explain --method gnn-lrp --dataset NAME --node I [--top-k K] [--json] [--svg FILE]`.
#include <chrono>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/viz/walks_svg.h"

namespace gnnx::cli {

void run_gnn_lrp_cli(const GNNLRPCliArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  GNNX_CHECK(!a.dataset.empty(), "explain --method gnn-lrp: --dataset is required");
  GNNX_CHECK(a.top_k > 0, "explain --method gnn-lrp: --top-k must be positive, got ", a.top_k);
  const auto order = gnnx::from_name<gnnx::explain::WalkOrder>(a.order);
  auto ds = datasets::make_dataset(a.dataset, a.seed);
  nn::GNNClassifier model{nullptr};
  double test_acc = -1;
  if (!a.model_path.empty()) {
    model = nn::load_gnn_classifier(a.model_path);
  } else {
    auto ref = datasets::train_reference_model(ds, a.seed);
    model = ref.model;
    test_acc = ref.result.test_acc;
  }
  model->eval();
  Graph g;
  Target target;
  int64_t item = 0;
  if (ds.task == nn::Task::kNode) {
    GNNX_CHECK(a.node >= 0, "explain --method gnn-lrp: dataset ", a.dataset, " is a node task; give --node I");
    g = ds.graphs.front();
    GNNX_CHECK(a.node < g.num_nodes, "explain --method gnn-lrp: --node ", a.node, " outside [0, ", g.num_nodes, ")");
    target = Target::node(a.node);
    item = a.node;
  } else {
    item = a.graph >= 0 ? a.graph : ds.split.test[0].item<int64_t>();
    GNNX_CHECK(item < static_cast<int64_t>(ds.graphs.size()), "explain --method gnn-lrp: --graph ", item,
               " outside [0, ", ds.graphs.size(), ")");
    g = ds.graphs[static_cast<size_t>(item)];
    target = Target::graph(0);
  }
  auto opts = explain::GNNLRPOptions().order(order);
  if (a.gamma > 0)
    opts.layer_rule(attribution::LrpRule::gamma_rule(a.gamma));
  else
    opts.layer_rule(attribution::LrpRule::eps());
  explain::GNNLRP lrp(*model, opts);
  auto top = lrp.top_walks(g, target, a.top_k);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.svg.empty()) viz::write_walks_svg(g, top, a.svg);

  if (!a.json) {
    std::cout << "GNN-LRP on " << a.dataset << (ds.task == nn::Task::kNode ? ", node " : ", graph ") << item
              << " (class " << top.target.label << ", logit " << top.output << ")";
    if (test_acc >= 0) std::cout << "; reference model test accuracy " << test_acc;
    std::cout << "\n"
              << top.num_walks << " walks of length " << top.num_layers << "; sum of all walk relevance "
              << top.sum_relevance << " (residual " << top.residual << "); top " << top.size() << " by "
              << explain::to_string(order) << " in " << std::setprecision(3) << top.seconds << " s:\n";
    for (int64_t w = 0; w < top.size(); ++w) {
      std::cout << "  " << std::setw(3) << w + 1 << "  ";
      for (int64_t l = 0; l <= top.num_layers; ++l) std::cout << (l ? " -> " : "") << top.walks[w][l].item<int64_t>();
      std::cout << "   R = " << std::setprecision(5) << top.relevance[w].item<double>() << "\n";
    }
    if (!a.svg.empty()) std::cout << "wrote " << a.svg << "\n";
  }
  nlohmann::json walks = nlohmann::json::array();
  for (int64_t w = 0; w < top.size(); ++w) {
    std::vector<int64_t> nodes;
    for (int64_t l = 0; l <= top.num_layers; ++l) nodes.push_back(top.walks[w][l].item<int64_t>());
    walks.push_back({{"walk", nodes}, {"relevance", top.relevance[w].item<double>()}});
  }
  if (a.json) {
    nlohmann::json j = {{"dataset", a.dataset},
                        {"node", item},
                        {"num_walks", top.num_walks},
                        {"output", top.output},
                        {"sum_relevance", top.sum_relevance},
                        {"top_walks", walks},
                        {"seconds", seconds}};
    std::cout << j.dump() << "\n";
  }
}

}  // namespace gnnx::cli
