// `gnnx prototype`: one explanation for a whole class, of a synthetic benchmark or of the user's
// own model and graph (--model M --graph G, loaded as `gnnx explain` loads them). On a benchmark it
// trains the dataset's reference model (as `gnnx explain --dataset` does, or loads --model); on
// the user's files the instances are the nodes (or the graphs of a batch file) the model puts in
// --class, restricted to those labelled --class when the file has labels. It explains up to
// --instances instances of --class that the model gets right in one batched explainer call,
// aligns their explanation subgraphs and prints the prototype: its edges with weights, whether
// the thresholded prototype is isomorphic to the class's motif and, when not, the graph edit
// distance to it. --json prints one JSON line instead; --svg draws the prototype beside a few
// aligned instances.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <optional>

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
  UserFiles files;  // --model and --graph: the user's own
};

// The user's model and graph: the instances the model puts in class `label` (and that carry
// that label, when the file has labels), explained and aligned.
explain::PrototypeResult user_prototype(const PrototypeArgs& a, const explain::PrototypeOptions& options,
                                        bool& node_task, std::vector<int64_t>& ids) {
  auto in = load_user_inputs("prototype", a.files);
  auto& model = *in.model;
  const Graph& g = in.loaded.graph;
  GNNX_CHECK(a.label < model.num_classes(), "prototype: --class ", a.label, " is not a class of the model's ",
             model.num_classes());
  auto predict = [&](const Graph& graph) {  // the model's classes, without gradients; the explainer takes its own
    torch::NoGradGuard no_grad;
    return model.forward_graph(graph).argmax(1).to(torch::kCPU);
  };
  node_task = model.task() == nn::Task::kNode;
  if (node_task) {
    const auto pred = predict(g);
    const bool labelled = g.y.defined() && g.y.dim() == 1 && g.y.size(0) == g.num_nodes;
    const auto y = labelled ? g.y.to(torch::kCPU, torch::kLong) : at::Tensor();
    for (int64_t v = 0; v < g.num_nodes; ++v)
      if (pred[v].item<int64_t>() == a.label && (!labelled || y[v].item<int64_t>() == a.label)) ids.push_back(v);
    GNNX_CHECK(!ids.empty(), "prototype: the model puts no node of \"", a.files.graph_path, "\" in class ", a.label,
               labelled ? " among the nodes labelled so" : "");
    return explain::Prototype(options).build(model, g, ids, a.label);
  }
  const auto& batch = in.loaded.batch;
  const int64_t B = batch.defined() && batch.numel() > 0 ? batch.max().item<int64_t>() + 1 : 1;
  const bool labelled = g.y.defined() && g.y.dim() == 1 && g.y.size(0) == B;
  std::vector<Graph> graphs;
  for (int64_t j = 0; j < B; ++j) {
    Graph item = batch.defined() ? batch_item("prototype", g, batch, j).graph : g;
    const auto pred = predict(item)[0].item<int64_t>();
    if (pred != a.label || (labelled && g.y[j].item<int64_t>() != a.label)) continue;
    ids.push_back(j);
    graphs.push_back(std::move(item));
  }
  GNNX_CHECK(!graphs.empty(), "prototype: the model puts no graph of \"", a.files.graph_path, "\" in class ", a.label,
             labelled ? " among the graphs labelled so" : "");
  return explain::Prototype(options).build_graphs(model, graphs, a.label);
}

void run_prototype(const PrototypeArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  GNNX_CHECK(a.dataset.empty() != a.files.graph_path.empty(),
             "prototype: give --dataset NAME (a synthetic benchmark) or --model M --graph G (your own), ",
             a.dataset.empty() ? "got neither" : "not both");
  GNNX_CHECK(a.files.graph_path.empty() || !a.files.model_path.empty(),
             "prototype: --graph needs --model (a PyG state dict, a TorchScript module or a gnnx model)");
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
  std::optional<EdgeList> motif;
  explain::PrototypeResult p;
  bool node_task = true;
  std::vector<int64_t> ids;  // user files: the file's id of each instance (node, or graph of the batch)
  if (!a.dataset.empty()) {
    motif = datasets::class_motif(a.dataset, a.label);  // unknown names and classes fail here too
    auto ds = datasets::make_dataset(a.dataset, seed);
    nn::GNNClassifier model = a.files.model_path.empty() ? datasets::train_reference_model(ds, seed).model
                                                         : nn::load_gnn_classifier(a.files.model_path);
    model->eval();
    p = eval::class_prototype(ds, *model, a.label, options);
    node_task = ds.task == nn::Task::kNode;
  } else {
    p = user_prototype(a, options, node_task, ids);
  }
  const std::string source = a.dataset.empty() ? a.files.graph_path : a.dataset;
  auto file_id = [&](int64_t i) {  // instance i's id in the dataset or the file
    const auto t = p.instances[static_cast<size_t>(i)].target.index;
    return ids.empty() || node_task ? t : ids[static_cast<size_t>(t)];
  };
  eval::MotifMatch match;
  if (motif) match = eval::match_motif(p.edges, *motif);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.svg.empty())
    viz::write_prototype_svg(p, a.svg,
                             viz::PrototypeSvgOptions()
                                 .threshold(a.threshold)
                                 .title(source + ", class " + std::to_string(a.label) + ": prototype of " +
                                        std::to_string(p.instances.size()) + " " + a.explainer + " explanations"));
  double mean_cost = 0;
  for (double c : p.costs) mean_cost += c / static_cast<double>(p.costs.size());
  nlohmann::json edges = nlohmann::json::array();
  for (size_t k = 0; k < p.edges.size(); ++k)
    edges.push_back({{"source", p.edges[k].first}, {"target", p.edges[k].second}, {"weight", p.edge_weights[k]}});
  if (a.json) {
    nlohmann::json j = {{a.dataset.empty() ? "graph" : "dataset", source},
                        {"class", a.label},
                        {"explainer", a.explainer},
                        {"method", a.method},
                        {"instances", p.instances.size()},
                        {"nodes", p.adjacency.size(0)},
                        {"edges", edges},
                        {"roles", p.roles},
                        {"reference", file_id(p.reference)},
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
  std::cout << "prototype of " << source << " class " << a.label << " from " << p.instances.size() << " " << a.explainer
            << " explanations (" << a.method << " alignment, reference " << (node_task ? "node " : "graph ")
            << file_id(p.reference) << ", mean cost " << std::setprecision(3) << mean_cost << "), " << seconds
            << " s\n";
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
    std::cout << "class " << a.label << " of " << source << " has no motif to compare with\n";
  }
  if (!a.svg.empty()) std::cout << "wrote " << a.svg << "\n";
}

}  // namespace

void register_prototype(CLI::App& app) {
  auto a = std::make_shared<PrototypeArgs>();
  auto* cmd = app.add_subcommand("prototype",
                                 "One explanation for a whole class: explain many instances, align them, average");
  cmd->add_option("--dataset", a->dataset,
                  "ba-shapes, ba-community, tree-cycles, tree-grid, ba-2motifs, ba-growth, ba-multishapes, infection");
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
  cmd->add_option("--model", a->files.model_path,
                  "with --dataset: a gnnx model instead of the reference model; with --graph: your model (a PyG "
                  "state dict, a TorchScript module or a gnnx model)");
  cmd->add_option("--graph", a->files.graph_path, "your graph (.pt, .csv, .graphml, .dot, .json), as for gnnx explain");
  cmd->add_option("--features", a->files.features, "a CSV graph's node features: a CSV id,f1,...,fk");
  cmd->add_option("--labels", a->files.labels, "a CSV graph's node labels: a CSV id,label");
  cmd->add_flag("--undirected", a->files.undirected, "a CSV, GraphML or DOT graph: add the reverse of every edge");
  cmd->add_option("--readout", a->files.readout, "graph pooling of an imported PyG graph classifier: sum, mean or max")
      ->capture_default_str();
  cmd->add_option("--classes", a->files.classes, "a TorchScript model's number of classes");
  cmd->add_option("--task", a->files.task, "a TorchScript model's task: node or graph")->capture_default_str();
  cmd->add_option("--receptive-field", a->files.receptive_field, "a TorchScript model's receptive field in hops");
  cmd->add_option("--seed", a->seed, "seed of the dataset, the reference model, the explainer and the draws")
      ->capture_default_str();
  cmd->add_option("--svg", a->svg, "write a picture of the prototype beside aligned instances (GraphViz dot)");
  cmd->add_flag("--json", a->json, "print one JSON line instead of the table");
  cmd->callback([a] { run_prototype(*a); });
}

}  // namespace gnnx::cli
