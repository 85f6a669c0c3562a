// `gnnx evaluate`: explanation accuracy (ROC AUC of edge masks against the ground-truth motif
// edges) of any registered explainer on the synthetic benchmarks, over several seeds.
//
// Protocols (--nodes): see gnnx/eval/benchmark.h. For node tasks:
//   paper  one node per motif, the original GNNExplainer evaluation: ba-shapes range(400, 700, 5);
//          ba-community range(400, 700, 5) + range(1100, 1400, 5); tree-cycles range(511, 871, 6);
//          tree-grid range(511, 800, 1). The scores of each explained node's k-hop computation
//          subgraph edges (k = model layers) are pooled with their ground truth into one ROC AUC
//          per seed. The ground truth (--ground-truth) is the explained node's own motif (own,
//          the original evaluation's) or every motif edge of the subgraph (any).
//   motif  every motif node (node_mask_gt = 1), pooled the same way; all: every node.
//   LIST   comma-separated node ids.
// Graph tasks (ba-2motifs, ba-growth): the test split's graphs, every edge of each graph pooled.
// A seed s generates the dataset with seed s, trains the reference model with seed s, and
// seeds the explainer with s; the table reports per seed, the JSON line the mean and the
// (population) standard deviation over seeds.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::cli {
namespace {

struct EvaluateArgs {
  std::string dataset, method = "gnnexplainer", nodes = "paper", model_path, device = "cpu", conv, ground_truth = "own";
  int64_t seeds = 1, first_seed = 0, eval_hops = 0;
  bool json = false;
  // GNNExplainer overrides (negative / empty: keep the default).
  int64_t epochs = -1, chunk_size = -1, train_epochs = -1;
  double train_lr = -1;
  std::vector<double> edge_init_means;
  double lr = -1, edge_size = -1, edge_ent = -1, feat_size = -1, feat_ent = -1, laplacian = -1;
  std::string feature_mask;
  // Any method's registry options, key=value (PGExplainer's epochs=30, ...).
  std::vector<std::string> options;
  bool reparametrize = false, directed_mask = false;
  // Reference-model variants.
  ReferenceFlags reference;
};

// The GNNExplainer flags become registry options; the other methods take the seed alone.
std::unique_ptr<explain::Explainer> build_explainer(const EvaluateArgs& a, uint64_t seed) {
  OptionMap o{{"seed", std::to_string(seed)}};
  if (a.method == "gnnexplainer") {
    const auto num = [](double v) {
      std::ostringstream s;
      s << std::setprecision(17) << v;
      return s.str();
    };
    if (a.epochs >= 0) o["epochs"] = std::to_string(a.epochs);
    if (a.chunk_size >= 0) o["chunk_size"] = std::to_string(a.chunk_size);
    if (a.lr >= 0) o["lr"] = num(a.lr);
    if (a.edge_size >= 0) o["edge_size"] = num(a.edge_size);
    if (a.edge_ent >= 0) o["edge_ent"] = num(a.edge_ent);
    if (a.feat_size >= 0) o["feat_size"] = num(a.feat_size);
    if (a.feat_ent >= 0) o["feat_ent"] = num(a.feat_ent);
    if (a.laplacian >= 0) o["laplacian"] = num(a.laplacian);
    if (!a.feature_mask.empty()) o["feature_mask"] = a.feature_mask;
    if (a.reparametrize) o["reparametrize"] = "true";
    if (a.directed_mask) o["symmetric_mask"] = "false";
    if (!a.edge_init_means.empty()) {
      std::string means;
      for (double m : a.edge_init_means) means += (means.empty() ? "" : ",") + num(m);
      o["edge_init_means"] = means;
    }
  }
  for (const auto& kv : a.options) {
    const auto eq = kv.find('=');
    GNNX_CHECK(eq != std::string::npos && eq > 0, "evaluate: --option expects key=value, got \"", kv, "\"");
    const auto key = kv.substr(0, eq);
    GNNX_CHECK(key != "seed", "evaluate: the seed comes from --first-seed and --seeds, not --option");
    GNNX_CHECK(o.emplace(key, kv.substr(eq + 1)).second, "evaluate: --option ", key, " given twice");
  }
  return explain::make_explainer(a.method, o);
}

struct SeedResult {
  double auc = 0, seconds = 0, test_acc = 0;
  int64_t explained = 0;
};

SeedResult run_seed(const EvaluateArgs& a, uint64_t seed, const c10::Device& device) {
  auto explainer = build_explainer(a, seed);  // an unknown method fails before any training
  auto ds = datasets::make_dataset(a.dataset, seed);
  SeedResult r;
  nn::GNNClassifier model{nullptr};
  if (!a.model_path.empty()) {
    model = nn::load_gnn_classifier(a.model_path);
  } else {
    auto cfg = datasets::reference_config(ds);
    if (!a.conv.empty())
      cfg.model.conv(gnnx::from_name<gnnx::nn::ConvType>(a.conv));
    else if (a.method == "att")
      cfg.model.conv(nn::ConvType::kGAT);
    if (a.train_epochs > 0) cfg.train.epochs(a.train_epochs);
    if (a.train_lr > 0) cfg.train.lr(a.train_lr);
    a.reference.apply(cfg);
    auto ref = datasets::train_reference_model(ds, cfg, seed);
    model = ref.model;
    r.test_acc = ref.result.test_acc;
  }
  model->to(device);
  model->eval();
  auto run = eval::run_benchmark(*explainer, *model, ds, a.nodes, device,
                                 gnnx::from_name<gnnx::eval::GroundTruth>(a.ground_truth), a.eval_hops);
  r.auc = run.auc;
  r.seconds = run.seconds;
  r.explained = static_cast<int64_t>(run.items.size());
  return r;
}

}  // namespace

void register_evaluate(CLI::App& app) {
  auto a = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", "Explanation ROC AUC of an explainer on a synthetic benchmark");
  cmd->add_option("--dataset", a->dataset, "ba-shapes, ba-community, tree-cycles, tree-grid, ba-2motifs, ba-growth")
      ->required();
  cmd->add_option("--method", a->method, "gnnexplainer, grad, att or any registered explainer")->capture_default_str();
  cmd->add_option("--nodes", a->nodes, "paper, motif, all or comma-separated ids (node tasks)")->capture_default_str();
  cmd->add_option("--ground-truth", a->ground_truth,
                  "node tasks: own (the explained node's own motif, the original evaluation) or any (every motif edge "
                  "within k hops)")
      ->capture_default_str();
  cmd->add_option(
         "--eval-hops", a->eval_hops,
         "node tasks: score each explained node's K-hop subgraph edges (0: K = the model's layers, the protocol); "
         "compares models of different depth on the same edges")
      ->capture_default_str();
  cmd->add_option("--seeds", a->seeds, "number of seeds (dataset, model and explainer seed s = first..)")
      ->capture_default_str();
  cmd->add_option("--first-seed", a->first_seed, "first seed")->capture_default_str();
  cmd->add_option("--model", a->model_path, "load this model instead of training the reference model");
  cmd->add_option("--conv", a->conv, "reference model layer type (default: the dataset's, gat for att)");
  cmd->add_option("--train-epochs", a->train_epochs, "override the reference model's training epochs");
  cmd->add_option("--train-lr", a->train_lr, "override the reference model's learning rate");
  a->reference.add_to(cmd);
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_flag("--json", a->json, "end with one JSON line");
  cmd->add_option("--epochs", a->epochs, "GNNExplainer epochs");
  cmd->add_option("--lr", a->lr, "GNNExplainer learning rate");
  cmd->add_option("--edge-size", a->edge_size, "GNNExplainer edge size coefficient");
  cmd->add_option("--edge-ent", a->edge_ent, "GNNExplainer edge entropy coefficient");
  cmd->add_option("--feat-size", a->feat_size, "GNNExplainer feature size coefficient");
  cmd->add_option("--feat-ent", a->feat_ent, "GNNExplainer feature entropy coefficient");
  cmd->add_option("--laplacian", a->laplacian, "GNNExplainer Laplacian coefficient");
  cmd->add_option("--feature-mask", a->feature_mask, "GNNExplainer feature mask: none, feature, node, node_feature");
  cmd->add_flag("--reparametrize", a->reparametrize, "GNNExplainer: X = Z + (X - Z) * sigmoid(F)");
  cmd->add_flag("--directed-mask", a->directed_mask,
                "GNNExplainer: one logit per directed edge (PyG's) instead of per undirected edge");
  cmd->add_option("--edge-init-means", a->edge_init_means,
                  "GNNExplainer: means of the initial edge-mask logits, one run each, masks averaged (default 0,3)")
      ->delimiter(',');
  cmd->add_option("--chunk-size", a->chunk_size, "instances per union on CPU (0: split over threads)");
  cmd->add_option("--option", a->options, "method option key=value (repeatable), e.g. epochs=30")->take_all();
  cmd->callback([a] {
    GNNX_CHECK(a->seeds >= 1, "evaluate: --seeds must be >= 1, got ", a->seeds);
    GNNX_CHECK(a->model_path.empty() || a->seeds == 1, "evaluate: --model needs --seeds 1");
    GNNX_CHECK(a->model_path.empty() || !a->reference.any(),
               "evaluate: --normalize-embedding, --no-root-weight and --counterexamples shape the reference model; a "
               "--model file has its own");
    (void)gnnx::from_name<gnnx::eval::GroundTruth>(a->ground_truth);  // a typo fails before any training
    GNNX_CHECK(a->eval_hops >= 0, "evaluate: --eval-hops must be >= 0 (0: the model's layers), got ", a->eval_hops);
    {
      datasets::ReferenceConfig check;
      a->reference.apply(check);  // so do reference-model flags out of range
    }
    const auto device = parse_device(a->device);
    std::vector<SeedResult> rs;
    std::cout << "dataset " << a->dataset << ", method " << a->method << ", nodes " << a->nodes << ", ground truth "
              << a->ground_truth << (a->eval_hops > 0 ? ", eval hops " + std::to_string(a->eval_hops) : std::string())
              << ", device " << device << ", threads " << torch_threads() << "\n";
    std::cout << std::setw(6) << "seed" << std::setw(10) << "test_acc" << std::setw(10) << "explained" << std::setw(10)
              << "auc" << std::setw(10) << "seconds"
              << "\n";
    double total_s = 0;
    for (int64_t s = 0; s < a->seeds; ++s) {
      const auto seed = static_cast<uint64_t>(a->first_seed + s);
      auto r = run_seed(*a, seed, device);
      std::cout << std::setw(6) << seed << std::setw(10) << std::fixed << std::setprecision(3) << r.test_acc
                << std::setw(10) << r.explained << std::setw(10) << std::setprecision(4) << r.auc << std::setw(10)
                << std::setprecision(2) << r.seconds << std::endl;
      total_s += r.seconds;
      rs.push_back(r);
    }
    double mean = 0, var = 0;
    for (const auto& r : rs) mean += r.auc / static_cast<double>(rs.size());
    for (const auto& r : rs) var += (r.auc - mean) * (r.auc - mean) / static_cast<double>(rs.size());
    std::cout << "mean auc " << std::setprecision(4) << mean << " +- " << std::sqrt(var) << "\n";
    if (a->json) {
      const std::string protocol = datasets::make_dataset(a->dataset, 0).task == nn::Task::kGraph ? "test-graphs"
                                                                                                  : a->nodes;
      nlohmann::json j = {{"dataset", a->dataset},
                          {"method", a->method},
                          {"protocol", protocol},
                          {"mean_auc", mean},
                          {"std_auc", std::sqrt(var)},
                          {"num_explained", rs.front().explained},
                          {"ground_truth", a->ground_truth},
                          {"seconds", total_s},
                          {"eval_hops", a->eval_hops}};
      std::cout << j.dump() << "\n";
    }
  });
}

}  // namespace gnnx::cli
