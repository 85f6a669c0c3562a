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
//
// Beside the AUC, each seed reports the graph explanation metrics of gnnx/eval/graph_metrics.h
// on every explanation's top-k edges (--metrics-top-k; default each instance's number of
// ground-truth edges): fidelity+ and fidelity- (PyG's model form; the JSON also has the
// phenomenon form), the characterization score, unfaithfulness (GEF), GraphXAI's accuracy (GEA,
// Jaccard with the ground truth), precision@k and sparsity; with --stability R also stability
// (GES) over R rewired copies of each instance, which explains every copy again.
//
// --html PATH also writes the run as one self-contained page (gnnx/viz/report.h): the settings,
// both tables, pictures of --html-pictures explanations of the first seed and the prototype of
// one class (the first class with a motif, else the last), built from --html-prototype instances
// with the same explainer and model.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/version.h"
#include "gnnx/datasets/class_motif.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/eval/graph_metrics.h"
#include "gnnx/eval/prototype.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/viz/report.h"

namespace gnnx::cli {
namespace {

struct EvaluateArgs {
  std::string dataset, method = "gnnexplainer", nodes = "paper", model_path, device = "cpu", conv, ground_truth = "own";
  int64_t seeds = 1, first_seed = 0, eval_hops = 0, metrics_top_k = 0, stability = 0;
  bool json = false;
  std::string html;  // --html: the report page
  int64_t html_pictures = 4, html_prototype = 20;
  // GNNExplainer overrides (negative / empty: keep the default).
  int64_t epochs = -1, chunk_size = -1, train_epochs = -1;
  double train_lr = -1;
  std::vector<double> edge_init_means;
  double lr = -1, edge_size = -1, edge_ent = -1, feat_size = -1, feat_ent = -1, laplacian = -1;
  std::string feature_mask;
  bool reparametrize = false, directed_mask = false;
  std::vector<std::string> options;  // --option key=value, for any method
  // Reference-model variants.
  ReferenceFlags reference;
};

// The GNNExplainer flags become registry options; the other methods take the seed alone.
OptionMap explainer_options(const EvaluateArgs& a, uint64_t seed) {
  OptionMap o = parse_option_pairs("evaluate", a.options);
  GNNX_CHECK(!o.count("seed"), "evaluate: give the seeds with --seeds/--first-seed, not --option seed=...");
  o["seed"] = std::to_string(seed);
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
    if (a.directed_mask) o["average_directions"] = "false";
    if (!a.edge_init_means.empty()) {
      std::string means;
      for (double m : a.edge_init_means) means += (means.empty() ? "" : ",") + num(m);
      o["edge_init_means"] = means;
    }
  }
  return o;
}

struct SeedResult {
  double auc = 0, seconds = 0, test_acc = 0;
  int64_t explained = 0;
  eval::BenchmarkMetrics metrics;
  // What the report draws, kept from the first seed only.
  std::optional<datasets::Dataset> dataset;
  nn::GNNClassifier model{nullptr};
  eval::BenchmarkRun run;
};

SeedResult run_seed(const EvaluateArgs& a, uint64_t seed, const c10::Device& device, bool keep) {
  // An unknown method fails before any training.
  auto explainer = explain::make_explainer(a.method, explainer_options(a, seed));
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
  r.metrics = eval::benchmark_metrics(*explainer, *model, ds, run, device,
                                      eval::BenchmarkMetricsOptions()
                                          .top_k(a.metrics_top_k)
                                          .stability_runs(a.stability)
                                          .stability(eval::StabilityOptions().seed(seed)));
  if (keep) {
    r.dataset = std::move(ds);
    r.model = model;
    r.run = std::move(run);
  }
  return r;
}

// Means over seeds of every graph metric (stability null when skipped or never counted).
nlohmann::json metrics_json(const std::vector<SeedResult>& rs, int64_t top_k, int64_t stability) {
  const auto mean = [&rs](auto field) {
    double s = 0;
    for (const auto& r : rs) s += field(r.metrics) / static_cast<double>(rs.size());
    return s;
  };
  using M = eval::BenchmarkMetrics;
  nlohmann::json j = {{"top_k", top_k},
                      {"fid_plus", mean([](const M& m) { return m.fid_plus; })},
                      {"fid_minus", mean([](const M& m) { return m.fid_minus; })},
                      {"fid_plus_phenomenon", mean([](const M& m) { return m.fid_plus_phen; })},
                      {"fid_minus_phenomenon", mean([](const M& m) { return m.fid_minus_phen; })},
                      {"characterization", mean([](const M& m) { return m.characterization; })},
                      {"unfaithfulness", mean([](const M& m) { return m.unfaithfulness; })},
                      {"gea", mean([](const M& m) { return m.gea; })},
                      {"precision_at_k", mean([](const M& m) { return m.precision; })},
                      {"sparsity", mean([](const M& m) { return m.sparsity; })},
                      {"seconds", mean([](const M& m) { return m.seconds; }) * static_cast<double>(rs.size())},
                      {"stability_runs", stability},
                      {"stability", nullptr}};
  const double ges = mean([](const M& m) { return m.stability; });
  if (stability > 0 && std::isfinite(ges)) j["stability"] = ges;
  return j;
}

// A command-line word as given when the shell leaves it alone, else single-quoted.
std::string shell_word(const std::string& w) {
  const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string("_./,=:+-@%").find(static_cast<char>(c)) != std::string::npos;
  });
  if (plain) return w;
  std::string out = "'";
  for (const char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command that reproduces this run: the options given, in the order `--help` lists them.
std::string command_text(const CLI::App& cmd) {
  std::string s = "gnnx " + cmd.get_name();
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->count() == 0) continue;
    s += " " + o->get_name();
    if (o->get_items_expected_max() == 0) continue;  // a flag
    for (const auto& v : o->results()) s += " " + shell_word(v);
  }
  return s;
}

// Where --html may write: a file name in an existing folder. Checked before any training.
void check_html_path(const std::string& path) {
  const std::filesystem::path p(path);
  GNNX_CHECK(!std::filesystem::is_directory(p), "evaluate: --html expects a file name, got '", path, "', a folder");
  const auto parent = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  GNNX_CHECK(std::filesystem::is_directory(parent), "evaluate: --html expects a file in an existing folder, got '",
             path, "' (no folder '", parent.string(), "')");
  GNNX_CHECK(::access(parent.c_str(), W_OK) == 0, "evaluate: --html expects a file in a writable folder, got '", path,
             "' (", std::strerror(errno), ")");
}

// The report of the run: the seeds' rows, pictures of the first seed's explanations and the
// prototype of one class with the first seed's model. Pictures need GraphViz and a prototype
// needs instances the model gets right: where one is missing, the page says why.
viz::EvaluationReport build_report(const EvaluateArgs& a, const std::vector<SeedResult>& rs, const std::string& command,
                                   const c10::Device& device) {
  const auto& first = rs.front();
  const auto& ds = *first.dataset;
  const bool node_task = ds.task == nn::Task::kNode;
  viz::EvaluationReport report;
  report.title = "gnnx evaluate: " + a.method + " on " + a.dataset;
  report.metrics_top_k = a.metrics_top_k;
  report.stability_runs = a.stability;
  auto options = explainer_options(a, static_cast<uint64_t>(a.first_seed));
  options.erase("seed");
  std::string option_text;
  for (const auto& [k, v] : options) option_text += (option_text.empty() ? "" : ", ") + k + "=" + v;
  const auto last_seed = a.first_seed + a.seeds - 1;
  report.settings = {
      {"dataset", a.dataset},
      {"method", a.method},
      {"explainer options", option_text.empty() ? "the method's defaults" : option_text},
      {"instances", node_task ? a.nodes + " (" + std::to_string(first.explained) + " nodes explained)"
                              : "the test split's graphs (" + std::to_string(first.explained) + " explained)"},
      {"seeds", a.seeds == 1 ? std::to_string(a.first_seed)
                             : std::to_string(a.first_seed) + "–" + std::to_string(last_seed) + " (" +
                                   std::to_string(a.seeds) + " seeds: dataset, model and explainer)"},
      {"model", a.model_path.empty() ? "the dataset's reference model, trained with each seed" : a.model_path}};
  if (node_task)
    report.settings.push_back(
        {"ground truth", a.ground_truth == "own" ? "own (the explained node's motif)" : "any (every motif edge)"});
  if (a.eval_hops > 0) report.settings.push_back({"eval hops", std::to_string(a.eval_hops)});
  report.settings.push_back({"metrics top-k", a.metrics_top_k > 0 ? std::to_string(a.metrics_top_k)
                                                                  : "each instance's number of ground-truth edges"});
  report.settings.push_back({"stability runs", a.stability > 0 ? std::to_string(a.stability) : "0 (not measured)"});
  std::ostringstream where;
  where << device << ", " << torch_threads() << (torch_threads() == 1 ? " thread" : " threads");
  report.settings.push_back({"device", where.str()});
  report.settings.push_back({"gnnx", version()});
  report.settings.push_back({"command", command});

  viz::ReportMethod m;
  m.name = a.method;
  for (const auto& r : rs) {
    viz::ReportSeed s;
    s.seed = static_cast<uint64_t>(a.first_seed) + m.seeds.size();
    if (a.model_path.empty()) s.test_accuracy = r.test_acc;
    s.explained = r.explained;
    s.auc = r.auc;
    s.seconds = r.seconds;
    s.metrics = r.metrics;
    m.seeds.push_back(s);
  }
  if (a.html_pictures == 0) {
    m.explanations_note = "No pictures were asked for (--html-pictures 0).";
  } else {
    try {
      m.explanations = viz::explanation_figures(ds, first.run, viz::FigureOptions().instances(a.html_pictures));
    } catch (const gnnx::Error& e) {
      m.explanations_note = std::string("No pictures: ") + e.what();
    }
  }
  // The class: the first whose instances share a motif (what a prototype should find), else the
  // last (BA-growth's "not a tree").
  int64_t label = ds.num_classes - 1;
  for (int64_t c = ds.num_classes - 1; c >= 0; --c)
    if (datasets::class_motif(a.dataset, c)) label = c;
  if (a.html_prototype == 0) {
    m.prototype_note = "No prototype was asked for (--html-prototype 0).";
  } else {
    try {
      auto model = first.model;
      model->to(torch::kCPU);  // class_instances runs it on the dataset's graphs, which stay on the CPU
      const auto seed = static_cast<uint64_t>(a.first_seed);
      const auto p = eval::class_prototype(ds, *model, label,
                                           explain::PrototypeOptions()
                                               .explainer(a.method)
                                               .explainer_options(explainer_options(a, seed))
                                               .instances(a.html_prototype)
                                               .seed(seed));
      std::string caption = "Class " + std::to_string(label) + " of " + a.dataset + ": prototype of " +
                            std::to_string(p.instances.size()) + " " + a.method + " explanations (seed " +
                            std::to_string(seed) + ")";
      if (const auto motif = datasets::class_motif(a.dataset, label)) {
        const auto match = eval::match_motif(p.edges, *motif);
        std::ostringstream d;
        d << match.edit_distance;
        caption += match.isomorphic ? "; isomorphic to the class's motif"
                                    : "; not isomorphic to the class's motif (graph edit distance " +
                                          std::string(match.exact ? "" : "<= ") + d.str() + ")";
      } else {
        caption += "; this class has no motif to compare with";
      }
      m.prototype = viz::prototype_figure(p, caption, viz::PrototypeSvgOptions().threshold(0.5));
    } catch (const gnnx::Error& e) {
      m.prototype_note = "No prototype of class " + std::to_string(label) + ": " + e.what();
    }
  }
  report.methods.push_back(std::move(m));
  return report;
}

}  // namespace

void register_evaluate(CLI::App& app) {
  auto a = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", "Explanation ROC AUC of an explainer on a synthetic benchmark");
  cmd->add_option("--dataset", a->dataset,
                  "ba-shapes, ba-community, tree-cycles, tree-grid, ba-2motifs, ba-growth, ba-multishapes, infection")
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
  cmd->add_option("--metrics-top-k", a->metrics_top_k,
                  "edges each explanation keeps for fidelity, GEF, GEA and sparsity (0: each instance's number of "
                  "ground-truth edges)")
      ->capture_default_str();
  cmd->add_option("--stability", a->stability,
                  "stability (GES): explain R copies of each instance with one edge rewired (0: skip)")
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
  cmd->add_option("--html", a->html,
                  "also write the run as one self-contained HTML page: settings, accuracy and metric tables, "
                  "pictures of explanations and a class prototype")
      ->type_name("PATH");
  cmd->add_option("--html-pictures", a->html_pictures, "--html: explanations of the first seed drawn (0: none)")
      ->capture_default_str();
  cmd->add_option("--html-prototype", a->html_prototype,
                  "--html: instances explained for the prototype of the first class with a motif (0: none)")
      ->capture_default_str();
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
                "GNNExplainer: report the directed mask as optimised (PyG's) instead of averaging each edge's "
                "two directions");
  cmd->add_option("--edge-init-means", a->edge_init_means,
                  "GNNExplainer: means of the initial edge-mask logits, one run each, masks averaged (default 0,3)")
      ->delimiter(',');
  cmd->add_option("--chunk-size", a->chunk_size, "instances per union on CPU (0: split over threads)");
  cmd->add_option("--option", a->options, "method option key=value (repeatable), as for `gnnx explain`")->take_all();
  cmd->callback([a, cmd] {
    GNNX_CHECK(a->seeds >= 1, "evaluate: --seeds must be >= 1, got ", a->seeds);
    GNNX_CHECK(a->model_path.empty() || a->seeds == 1, "evaluate: --model needs --seeds 1");
    GNNX_CHECK(a->model_path.empty() || !a->reference.any(),
               "evaluate: --normalize-embedding, --no-root-weight, --head-hidden and --counterexamples shape the reference "
               "model; a --model file has its own");
    (void)gnnx::from_name<gnnx::eval::GroundTruth>(a->ground_truth);  // a typo fails before any training
    GNNX_CHECK(a->eval_hops >= 0, "evaluate: --eval-hops must be >= 0 (0: the model's layers), got ", a->eval_hops);
    GNNX_CHECK(a->metrics_top_k >= 0,
               "evaluate: --metrics-top-k must be >= 0 (0: each instance's ground-truth size), got ", a->metrics_top_k);
    GNNX_CHECK(a->stability >= 0, "evaluate: --stability must be >= 0 (0: skip), got ", a->stability);
    GNNX_CHECK(a->html_pictures >= 0, "evaluate: --html-pictures must be >= 0 (0: none), got ", a->html_pictures);
    GNNX_CHECK(a->html_prototype >= 0, "evaluate: --html-prototype must be >= 0 (0: none), got ", a->html_prototype);
    if (!a->html.empty()) check_html_path(a->html);  // before hours of training, not after
    {
      datasets::ReferenceConfig check;
      a->reference.apply(check);  // so do reference-model flags out of range
    }
    const auto device = parse_device(a->device);
    std::vector<SeedResult> rs;
    // Graph tasks explain the test split's graphs; --nodes applies to node tasks only.
    const std::string protocol = datasets::make_dataset(a->dataset, 0).task == nn::Task::kGraph ? "test-graphs"
                                                                                                : a->nodes;
    std::cout << "dataset " << a->dataset << ", method " << a->method
              << (protocol == "test-graphs" ? ", graphs: the test split" : ", nodes " + a->nodes) << ", ground truth "
              << a->ground_truth << (a->eval_hops > 0 ? ", eval hops " + std::to_string(a->eval_hops) : std::string())
              << ", device " << device << ", threads " << torch_threads() << "\n";
    std::cout << std::setw(6) << "seed" << std::setw(10) << "test_acc" << std::setw(10) << "explained" << std::setw(10)
              << "auc" << std::setw(10) << "seconds" << std::setw(8) << "fid+" << std::setw(8) << "fid-" << std::setw(9)
              << "charact" << std::setw(8) << "gef" << std::setw(8) << "gea" << std::setw(9) << "sparsity"
              << (a->stability > 0 ? "     ges" : "") << std::endl;  // shown before the first seed ends
    double total_s = 0;
    for (int64_t s = 0; s < a->seeds; ++s) {
      const auto seed = static_cast<uint64_t>(a->first_seed + s);
      auto r = run_seed(*a, seed, device, /*keep=*/s == 0 && !a->html.empty());
      const auto& m = r.metrics;
      std::cout << std::setw(6) << seed << std::setw(10) << std::fixed << std::setprecision(3) << r.test_acc
                << std::setw(10) << r.explained << std::setw(10) << std::setprecision(4) << r.auc << std::setw(10)
                << std::setprecision(2) << r.seconds << std::setprecision(3) << std::setw(8) << m.fid_plus
                << std::setw(8) << m.fid_minus << std::setw(9) << m.characterization << std::setw(8)
                << std::setprecision(4) << m.unfaithfulness << std::setprecision(3) << std::setw(8) << m.gea
                << std::setw(9) << m.sparsity;
      if (a->stability > 0) std::cout << std::setw(8) << m.stability;
      std::cout << std::endl;
      total_s += r.seconds;
      rs.push_back(r);
    }
    double mean = 0, var = 0;
    for (const auto& r : rs) mean += r.auc / static_cast<double>(rs.size());
    for (const auto& r : rs) var += (r.auc - mean) * (r.auc - mean) / static_cast<double>(rs.size());
    std::cout << "mean auc " << std::setprecision(4) << mean << " +- " << std::sqrt(var) << "\n";
    if (!a->html.empty()) {
      const auto report = build_report(*a, rs, command_text(*cmd), device);
      viz::write_report_html(report, a->html);
      const auto& m = report.methods.front();
      std::cout << "wrote " << a->html << " (" << m.explanations.size()
                << (m.explanations.size() == 1 ? " picture" : " pictures")
                << (m.prototype ? ", a prototype" : ", no prototype") << ")" << std::endl;
    }
    if (a->json) {
      nlohmann::json j = {{"dataset", a->dataset},
                          {"method", a->method},
                          {"protocol", protocol},
                          {"mean_auc", mean},
                          {"std_auc", std::sqrt(var)},
                          {"num_explained", rs.front().explained},
                          {"ground_truth", a->ground_truth},
                          {"seconds", total_s},
                          {"eval_hops", a->eval_hops},
                          {"graph_metrics", metrics_json(rs, a->metrics_top_k, a->stability)}};
      if (!a->html.empty()) j["html"] = a->html;
      std::cout << j.dump() << "\n";
    }
  });
}

}  // namespace gnnx::cli
