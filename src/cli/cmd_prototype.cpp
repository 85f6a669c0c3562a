// `gnnx prototype`: one explanation for a whole class of a synthetic benchmark. Trains the
// dataset's reference model (as `gnnx explain --dataset` does, or loads --model), explains up to
// --instances instances of --class that the model gets right in one batched explainer call,
// aligns their explanation subgraphs and prints the prototype: its edges with weights, whether
// the thresholded prototype is isomorphic to the class's motif and, when not, the graph edit
// distance to it. --json prints one JSON line instead; --svg draws the prototype beside a few
// aligned instances.
#include <chrono>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/class_motif.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/prototype.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/prototype.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/viz/prototype_svg.h"

namespace gnnx::cli {
namespace {

struct PrototypeArgs {
  std::string dataset, explainer = "gnnexplainer", method = "sinkhorn", reference = "medoid", aggregation = "mean";
  std::string seed = "0", svg, model_path;
  int64_t label = -1, instances = 20, max_edges = 12;
  double threshold = 0.5, relative_threshold = 0.5;
  std::vector<std::string> options;
  bool json = false, anchor = false;
};

void run_prototype(const PrototypeArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  GNNX_CHECK(!a.dataset.empty(), "prototype: give --dataset NAME (a synthetic benchmark)");
  GNNX_CHECK(a.label >= 0, "prototype: give --class C, the class to explain");
  GNNX_CHECK(a.instances >= 1, "prototype: --instances must be >= 1, got ", a.instances);
  const uint64_t seed = parse_seed(a.seed);
  OptionMap explainer_options = parse_option_pairs("prototype", a.options);
  auto options = explain::PrototypeOptions()
                     .explainer(a.explainer)
                     .explainer_options(explainer_options)
                     .instances(a.instances)
                     .subgraph(explain::SubgraphRule().max_edges(a.max_edges).relative_threshold(a.relative_threshold))
                     .reference(from_name<explain::ReferenceRule>(a.reference))
                     .aggregation(from_name<explain::PrototypeAggregation>(a.aggregation))
                     .threshold(a.threshold)
                     .anchor(a.anchor)
                     .seed(seed);
  options.alignment().method(from_name<explain::AlignmentMethod>(a.method));
  {
    auto o = explainer_options;
    if (!o.count("seed")) o["seed"] = std::to_string(seed);
    (void)explain::make_explainer(a.explainer, o);  // unknown methods and options fail before training
  }
  const auto motif = datasets::class_motif(a.dataset, a.label);  // unknown names and classes fail here too
  auto ds = datasets::make_dataset(a.dataset, seed);
  nn::GNNClassifier model = a.model_path.empty() ? datasets::train_reference_model(ds, seed).model
                                                 : nn::load_gnn_classifier(a.model_path);
  model->eval();
  const auto p = eval::class_prototype(ds, *model, a.label, options);
  eval::MotifMatch match;
  if (motif) match = eval::match_motif(p.edges, *motif);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.svg.empty())
    viz::write_prototype_svg(p, a.svg,
                             viz::PrototypeSvgOptions()
                                 .threshold(a.threshold)
                                 .title(a.dataset + ", class " + std::to_string(a.label) + ": prototype of " +
                                        std::to_string(p.instances.size()) + " " + a.explainer + " explanations"));
  double mean_cost = 0;
  for (double c : p.costs) mean_cost += c / static_cast<double>(p.costs.size());
  nlohmann::json edges = nlohmann::json::array();
  for (size_t k = 0; k < p.edges.size(); ++k)
    edges.push_back({{"source", p.edges[k].first}, {"target", p.edges[k].second}, {"weight", p.edge_weights[k]}});
  if (a.json) {
    nlohmann::json j = {{"dataset", a.dataset},
                        {"class", a.label},
                        {"explainer", a.explainer},
                        {"method", a.method},
                        {"instances", p.instances.size()},
                        {"nodes", p.adjacency.size(0)},
                        {"edges", edges},
                        {"roles", p.roles},
                        {"reference", p.instances[static_cast<size_t>(p.reference)].target.index},
                        {"mean_cost", mean_cost},
                        {"seconds", seconds}};
    if (motif) {
      j["isomorphic_to_motif"] = match.isomorphic;
      j["edit_distance"] = match.edit_distance;
      j["edit_distance_exact"] = match.exact;
    }
    std::cout << j.dump() << "\n";
    return;
  }
  const bool node_task = ds.task == nn::Task::kNode;
  std::cout << "prototype of " << a.dataset << " class " << a.label << " from " << p.instances.size() << " "
            << a.explainer << " explanations (" << a.method << " alignment, reference "
            << (node_task ? "node " : "graph ") << p.instances[static_cast<size_t>(p.reference)].target.index
            << ", mean cost " << std::setprecision(3) << mean_cost << "), " << seconds << " s\n";
  std::cout << "edges with weight >= " << a.threshold << " (prototype node: role)"
            << (p.anchored ? "; node 0 is the explained node" : "") << ":\n";
  for (const auto& e : edges) {
    const auto u = e["source"].get<int64_t>(), v = e["target"].get<int64_t>();
    std::cout << "  " << std::setw(3) << u << " (" << p.roles[u] << ") -- " << std::setw(3) << v << " (" << p.roles[v]
              << ")   " << std::fixed << std::setprecision(2) << e["weight"].get<double>() << "\n"
              << std::defaultfloat;
  }
  if (motif) {
    std::cout << "isomorphic to the class's motif: " << (match.isomorphic ? "yes" : "no");
    if (!match.isomorphic) std::cout << "; graph edit distance " << (match.exact ? "" : "<= ") << match.edit_distance;
    std::cout << "\n";
  } else {
    std::cout << "class " << a.label << " of " << a.dataset << " has no motif to compare with\n";
  }
  if (!a.svg.empty()) std::cout << "wrote " << a.svg << "\n";
}

}  // namespace

void register_prototype(CLI::App& app) {
  auto a = std::make_shared<PrototypeArgs>();
  auto* cmd = app.add_subcommand("prototype",
                                 "One explanation for a whole class: explain many instances, align them, average");
  cmd->add_option("--dataset", a->dataset, "ba-shapes, ba-community, tree-cycles, tree-grid, ba-2motifs, ba-growth")
      ->required();
  cmd->add_option("--class", a->label, "the class to explain")->required();
  cmd->add_option("--method", a->method, "alignment: sinkhorn or exact")->capture_default_str();
  cmd->add_option("--instances", a->instances, "most instances explained (drawn with the seed)")->capture_default_str();
  cmd->add_option("--explainer", a->explainer, "any registered explainer (gnnexplainer, grad, saliency, ...)")
      ->capture_default_str();
  cmd->add_option("--option", a->options, "explainer option key=value (repeatable), e.g. epochs=50")->take_all();
  cmd->add_option("--reference", a->reference, "reference rule: medoid or iterate")->capture_default_str();
  cmd->add_option("--aggregation", a->aggregation, "mean or median of the aligned adjacencies")->capture_default_str();
  cmd->add_flag("--anchor", a->anchor,
                "node tasks: keep every explained node on prototype node 0 (the structure seen from the role)");
  cmd->add_option("--threshold", a->threshold, "prototype edges: weight >= threshold")->capture_default_str();
  cmd->add_option("--max-edges", a->max_edges, "most edges of an explanation subgraph")->capture_default_str();
  cmd->add_option("--relative-threshold", a->relative_threshold,
                  "explanation subgraph: edges scoring >= this fraction of the instance's top score")
      ->capture_default_str();
  cmd->add_option("--model", a->model_path, "a gnnx model to use instead of training the reference model");
  cmd->add_option("--seed", a->seed, "seed of the dataset, the reference model, the explainer and the draws")
      ->capture_default_str();
  cmd->add_option("--svg", a->svg, "write a picture of the prototype beside aligned instances (GraphViz dot)");
  cmd->add_flag("--json", a->json, "print one JSON line instead of the table");
  cmd->callback([a] { run_prototype(*a); });
}

}  // namespace gnnx::cli
