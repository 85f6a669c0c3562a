// Prototype by alignment on the synthetic benchmarks: for every class with a motif, over several
// seeds, is the thresholded prototype isomorphic to the motif (else its graph edit distance),
// side by side with two baselines on the same explanation subgraphs: (a) the most frequent
// subgraph up to isomorphism, (b) the union of the instances' edges without alignment (mean of
// their adjacencies in their own node order, same threshold). Then the time to align 100
// instances on one thread (explanations not counted).
//   bench_prototype [--datasets ba-shapes,tree-cycles,tree-grid,ba-2motifs] [--seeds 5] [--instances 20]
//                   [--explainer gnnexplainer] [--epochs N] [--method sinkhorn|exact]
// A seed s generates the dataset, trains the reference model and seeds the explainer and the
// draws with s. --epochs overrides GNNExplainer's epochs (default: its own). Prints a table and
// ends with one JSON line.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/core/runtime.h"
#include "gnnx/datasets/class_motif.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/prototype.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/prototype.h"

using namespace gnnx;

namespace {

struct Tally {
  int64_t isomorphic = 0, runs = 0;
  double distance = 0;
  bool exact = true;
  void add(const eval::MotifMatch& m) {
    isomorphic += m.isomorphic;
    distance += m.edit_distance;
    exact = exact && m.exact;
    ++runs;
  }
  std::string cell() const {
    std::ostringstream s;
    s << isomorphic << "/" << runs << ", GED " << std::fixed << std::setprecision(1)
      << distance / static_cast<double>(runs) << (exact ? "" : " (bound)");
    return s.str();
  }
  nlohmann::json json() const {
    return {{"isomorphic", isomorphic}, {"runs", runs}, {"mean_ged", distance / static_cast<double>(runs)}};
  }
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// Explanation subgraphs of up to `count` instances of `label` (the ones the model gets right).
std::vector<explain::ExplanationSubgraph> subgraphs(const datasets::Dataset& ds, nn::GNNModel& model, int64_t label,
                                                    int64_t count, const explain::PrototypeOptions& o) {
  auto ids = eval::class_instances(ds, model, label);
  if (static_cast<int64_t>(ids.size()) > count) {
    Rng rng(o.seed());
    shuffle(ids, rng);
    ids.resize(static_cast<size_t>(count));
    std::sort(ids.begin(), ids.end());
  }
  auto eo = o.explainer_options();
  eo["seed"] = std::to_string(o.seed());
  auto explainer = explain::make_explainer(o.explainer(), eo);
  std::vector<explain::ExplanationSubgraph> out;
  if (ds.task == nn::Task::kNode) {
    std::vector<Target> t;
    for (auto v : ids) t.push_back(Target::node(v, label));
    for (const auto& e : explainer->explain(model, ds.graphs.front(), t))
      out.push_back(explain::explanation_subgraph(ds.graphs.front(), e, o.subgraph()));
  } else {
    std::vector<Graph> graphs;
    for (auto i : ids) graphs.push_back(ds.graphs[static_cast<size_t>(i)]);
    const auto ex = explainer->explain_graphs(model, graphs, std::vector<int64_t>(graphs.size(), label));
    for (size_t i = 0; i < ex.size(); ++i) out.push_back(explain::explanation_subgraph(graphs[i], ex[i], o.subgraph()));
  }
  return out;
}

const char* motif_label(const std::string& dataset, int64_t label) {
  if (dataset == "tree-cycles") return "6-cycle";
  if (dataset == "tree-grid") return "3x3 grid";
  if (dataset == "ba-2motifs" && label == 1) return "5-cycle";
  return "house";
}

explain::PrototypeOptions options(const std::string& explainer, const OptionMap& eo, const std::string& method,
                                  const std::string& reference, bool anchor, int64_t max_edges, double relative,
                                  uint64_t seed) {
  auto o = explain::PrototypeOptions()
               .explainer(explainer)
               .explainer_options(eo)
               .reference(from_name<explain::ReferenceRule>(reference))
               .anchor(anchor)
               .subgraph(explain::SubgraphRule().max_edges(max_edges).relative_threshold(relative))
               .seed(seed);
  o.alignment().method(from_name<explain::AlignmentMethod>(method));
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::string datasets_arg = "ba-shapes,tree-cycles,tree-grid,ba-2motifs", explainer = "gnnexplainer",
              method = "sinkhorn";
  std::string reference = "medoid", anchor = "false";
  int64_t seeds = 5, instances = 20, epochs = -1, max_edges = 12;
  double relative = 0.5;
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string k = argv[i], v = argv[i + 1];
      if (k == "--datasets")
        datasets_arg = v;
      else if (k == "--seeds")
        seeds = std::stoll(v);
      else if (k == "--instances")
        instances = std::stoll(v);
      else if (k == "--explainer")
        explainer = v;
      else if (k == "--epochs")
        epochs = std::stoll(v);
      else if (k == "--method")
        method = v;
      else if (k == "--reference")
        reference = v;
      else if (k == "--anchor" && (v == "true" || v == "false"))
        anchor = v;
      else if (k == "--max-edges")
        max_edges = std::stoll(v);
      else if (k == "--relative-threshold")
        relative = std::stod(v);
      else
        throw std::invalid_argument(k);
    }
    if (argc % 2 == 0) throw std::invalid_argument(argv[argc - 1]);
  } catch (const std::exception&) {
    std::cerr << "usage: bench_prototype [--datasets a,b] [--seeds 5] [--instances 20] [--explainer NAME] "
                 "[--epochs N] [--method sinkhorn|exact] [--reference medoid|iterate] [--anchor true|false] "
                 "[--max-edges K] [--relative-threshold R]\n";
    return 2;
  }
  set_runtime_settings(RuntimeSettings().explainer_blas_threads(1));
  torch::set_num_threads(1);
  OptionMap eo;
  if (epochs > 0) eo["epochs"] = std::to_string(epochs);
  nlohmann::json rows = nlohmann::json::array();
  std::cout << std::left << std::setw(12) << "dataset" << std::setw(7) << "class" << std::setw(10) << "motif"
            << std::setw(24) << "aligned prototype" << std::setw(24) << "(a) most frequent" << std::setw(24)
            << "(b) union, no alignment"
            << "instances\n";
  const auto t_all = std::chrono::steady_clock::now();
  for (const auto& name : split(datasets_arg)) {
    const auto probe = datasets::make_dataset(name, 0);
    std::vector<int64_t> classes;
    for (int64_t c = 0; c < probe.num_classes; ++c)
      if (datasets::class_motif(name, c)) classes.push_back(c);
    std::vector<Tally> aligned(classes.size()), frequent(classes.size()), unaligned(classes.size());
    std::vector<int64_t> used(classes.size(), 0);
    for (int64_t s = 0; s < seeds; ++s) {
      const auto seed = static_cast<uint64_t>(s);
      auto ds = datasets::make_dataset(name, seed);
      auto model = datasets::train_reference_model(ds, seed).model;
      model->eval();
      for (size_t c = 0; c < classes.size(); ++c) {
        const auto motif = *datasets::class_motif(name, classes[c]);
        const auto o = options(explainer, eo, method, reference, anchor == "true", max_edges, relative, seed);
        const auto subs = subgraphs(ds, *model, classes[c], instances, o);
        used[c] += static_cast<int64_t>(subs.size());
        const auto p = explain::prototype_from_subgraphs(subs, o);
        aligned[c].add(eval::match_motif(p.edges, motif));
        frequent[c].add(eval::match_motif(eval::most_frequent_subgraph(subs), motif));
        unaligned[c].add(eval::match_motif(eval::unaligned_union(subs, o.threshold()), motif));
      }
    }
    for (size_t c = 0; c < classes.size(); ++c) {
      const std::string motif_name = motif_label(name, classes[c]);
      std::cout << std::left << std::setw(12) << name << std::setw(7) << classes[c] << std::setw(10) << motif_name
                << std::setw(24) << aligned[c].cell() << std::setw(24) << frequent[c].cell() << std::setw(24)
                << unaligned[c].cell() << static_cast<double>(used[c]) / static_cast<double>(seeds) << "\n";
      rows.push_back({{"dataset", name},
                      {"class", classes[c]},
                      {"motif", motif_name},
                      {"aligned", aligned[c].json()},
                      {"most_frequent", frequent[c].json()},
                      {"unaligned_union", unaligned[c].json()},
                      {"mean_instances", static_cast<double>(used[c]) / static_cast<double>(seeds)}});
    }
  }
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();

  // Alignment time: 100 BA-Shapes class-1 explanation subgraphs (seed 0), aligned on one thread.
  auto ds = datasets::make_dataset("ba-shapes", 0);
  auto model = datasets::train_reference_model(ds, 0).model;
  model->eval();
  const auto o = options(explainer, eo, method, reference, anchor == "true", max_edges, relative, 0);
  const auto subs = subgraphs(ds, *model, 1, 100, o);
  std::vector<double> times;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    (void)explain::prototype_from_subgraphs(subs, o);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  std::cout << "aligning " << subs.size() << " instances (" << o.reference_candidates()
            << " reference candidates, median of 3): " << std::setprecision(3) << times[1] << " s on 1 thread\n";
  std::cout << "whole table: " << total_s << " s\n";
  nlohmann::json j = {{"bench", "prototype"},
                      {"explainer", explainer},
                      {"method", method},
                      {"reference", reference},
                      {"anchor", anchor == "true"},
                      {"max_edges", max_edges},
                      {"relative_threshold", relative},
                      {"seeds", seeds},
                      {"instances", instances},
                      {"epochs", epochs},
                      {"rows", rows},
                      {"align_instances", subs.size()},
                      {"align_seconds", times[1]},
                      {"total_seconds", total_s}};
  std::cout << j.dump() << "\n";
  return 0;
}
