// bench_gnn_lrp: GNN-LRP relevant walks, gnnx vs the naive per-walk method (DIG's: one
// modified forward/backward per walk), exact top-K search on deeper models, and what the walks
// explain on BA-Shapes (houses) and BA-growth (cycles).
//
//   bench_gnn_lrp [--quick] [--walks-only]
//
// --walks-only runs part 1 alone and ends with its JSON line.
// 1. BA-Shapes (seed 0), its 3-layer GCN reference model, house nodes 400, 405, ..., 695 (the
//    GNNExplainer evaluation nodes): every walk by gnnx (all_walks) and by the naive method;
//    walks per second, speedup, max |difference| / max |R_W| per node.
// 2. Top-10 walks of 4, 5 and 6-layer GCNs (trained on BA-Shapes) for 10 house nodes: time,
//    search steps, walks that exist, memory of the search.
// 3. BA-Shapes: share of the top-10 walks' |R| whose walks stay inside the target's house;
//    edge ROC AUC of the all-walk edge relevance against the house edges, pooled over the
//    computation subgraphs of the evaluation nodes (GNNExplainer's protocol), beside
//    GNNExplainer's when it is registered.
// 4. BA-growth: for the correctly classified "not tree" test graphs, the share of the top-10
//    walks' positive relevance (class "not tree") carried by steps along cycle edges, beside the
//    share of cycle edges among all edges.
// Ends with one JSON line.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/device.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"

using Clock = std::chrono::steady_clock;
using gnnx::Target;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<int64_t> range(int64_t a, int64_t b, int64_t s) {
  std::vector<int64_t> v;
  for (int64_t i = a; i < b; i += s) v.push_back(i);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, walks_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--walks-only") == 0) {
      walks_only = true;
    } else {
      std::cout << "usage: bench_gnn_lrp [--quick] [--walks-only]\n";
      return 2;
    }
  }
  std::cout << "bench_gnn_lrp  BLAS " << gnnx::blas_name() << ", threads " << gnnx::torch_threads() << "\n";
  auto ds = gnnx::datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  auto t_train = Clock::now();
  auto ref = gnnx::datasets::train_reference_model(ds, 0);
  auto model = ref.model;
  model->eval();
  std::cout << "BA-Shapes " << g.num_nodes << " nodes, " << g.num_edges()
            << " edges; 3-layer GCN reference model, test "
            << "accuracy " << ref.result.test_acc << " (trained in " << std::setprecision(3) << since(t_train)
            << " s)\n\n";

  // ---- 1. all walks: gnnx vs naive ---------------------------------------------------------
  gnnx::explain::GNNLRP lrp(*model);
  auto nodes = range(400, 700, 5);
  if (quick) nodes.resize(6);
  int64_t total_walks = 0;
  double t_gnnx = 0, t_naive = 0, max_rel = 0;
  std::cout << "1. every walk into a house node (3-layer GCN)\n"
            << "  node   walks   gnnx ms   naive s   max|diff|/max|R|\n";
  for (auto v : nodes) {
    auto t0 = Clock::now();
    auto all = lrp.all_walks(g, Target::node(v));
    const double tg = since(t0);
    t0 = Clock::now();
    auto naive = lrp.naive_walk_relevance(g, Target::node(v), all.walks);
    const double tn = since(t0);
    const double scale = all.relevance.abs().max().item<double>();
    const double diff = (all.relevance - naive).abs().max().item<double>() / std::max(scale, 1e-300);
    total_walks += all.num_walks;
    t_gnnx += tg;
    t_naive += tn;
    max_rel = std::max(max_rel, diff);
    std::cout << "  " << std::setw(4) << v << "  " << std::setw(6) << all.num_walks << "  " << std::setw(8)
              << std::setprecision(3) << tg * 1e3 << "  " << std::setw(8) << tn << "  " << std::setw(10) << diff
              << "\n";
  }
  const double speedup = t_naive / t_gnnx;
  std::cout << "  total " << total_walks << " walks: gnnx " << t_gnnx << " s (" << std::setprecision(4)
            << total_walks / t_gnnx << " walks/s), naive " << t_naive << " s (" << total_walks / t_naive
            << " walks/s), speedup " << speedup << "x, max rel diff " << max_rel << "\n\n";
  if (walks_only) {
    std::cout << nlohmann::json({{"layers", model->num_hops()},
                                 {"num_walks", total_walks},
                                 {"naive_seconds", t_naive},
                                 {"gnnx_seconds", t_gnnx},
                                 {"speedup", speedup},
                                 {"max_rel_diff", max_rel},
                                 {"quick", quick}})
                     .dump()
              << "\n";
    return 0;
  }

  // ---- 2. top-K on deeper models -----------------------------------------------------------
  nlohmann::json topk = nlohmann::json::array();
  std::cout << "2. top-10 walks of deeper GCNs (10 house nodes 400, 430, ..., 670)\n"
            << "  layers  test acc  walks (mean)     search s (mean / max)  steps (mean)  memory MB (max)\n";
  for (int64_t L : {4, 5, 6}) {
    auto cfg = gnnx::datasets::reference_config(ds);
    cfg.model.num_layers(L);
    if (quick) cfg.train.epochs(100);
    auto deep = gnnx::datasets::train_reference_model(ds, cfg, 0);
    deep.model->eval();
    gnnx::explain::GNNLRP dl(*deep.model);
    double s_sum = 0, s_max = 0, steps = 0, walks = 0, mem = 0;
    auto ks = range(400, 700, 30);
    if (quick) ks.resize(3);
    for (auto v : ks) {
      auto top = dl.top_walks(g, Target::node(v), 10);
      s_sum += top.seconds;
      s_max = std::max(s_max, top.seconds);
      steps += static_cast<double>(top.expansions);
      walks += static_cast<double>(top.num_walks);
      mem = std::max(mem, static_cast<double>(top.memory_bytes));
    }
    const double n = static_cast<double>(ks.size());
    std::cout << "  " << std::setw(6) << L << "  " << std::setw(8) << std::setprecision(3) << deep.result.test_acc
              << "  " << std::setw(12) << std::setprecision(4) << walks / n << "  " << std::setw(10)
              << std::setprecision(3) << s_sum / n << " / " << std::setw(7) << s_max << "  " << std::setw(12)
              << std::setprecision(4) << steps / n << "  " << std::setw(8) << std::setprecision(3) << mem / 1e6 << "\n";
    topk.push_back({{"layers", L},
                    {"test_acc", deep.result.test_acc},
                    {"num_walks_mean", walks / n},
                    {"seconds_mean", s_sum / n},
                    {"seconds_max", s_max},
                    {"expansions_mean", steps / n},
                    {"memory_bytes_max", mem}});
  }
  std::cout << "\n";

  // ---- 3. BA-Shapes: inside-house share and edge AUC ---------------------------------------
  const auto motif = ds.motif_id.front().cpu();
  double inside = 0, total = 0;
  std::vector<at::Tensor> scores, labels;
  auto eval_nodes = range(400, 700, 5);
  if (quick) eval_nodes.resize(10);
  auto t3 = Clock::now();
  for (auto v : eval_nodes) {
    auto top = lrp.top_walks(g, Target::node(v), 10);
    const auto house = motif[v].item<int64_t>();
    for (int64_t w = 0; w < top.size(); ++w) {
      bool in = true;
      for (int64_t l = 0; l <= top.num_layers; ++l)
        in = in && motif[top.walks[w][l].item<int64_t>()].item<int64_t>() == house;
      const double r = std::abs(top.relevance[w].item<double>());
      total += r;
      if (in) inside += r;
    }
    auto ids = gnnx::k_hop_subgraph(g, v, model->num_hops()).edge_ids;
    scores.push_back(lrp.edge_relevance(g, Target::node(v)).index_select(0, ids));
    labels.push_back(gnnx::eval::node_ground_truth(ds, v).index_select(0, ids));  // v's own house
  }
  const double t_quality = since(t3);
  const double inside_share = inside / total;
  const double auc = gnnx::metrics::roc_auc(torch::cat(scores).abs(), torch::cat(labels));
  const double auc_signed = gnnx::metrics::roc_auc(torch::cat(scores), torch::cat(labels));
  std::cout << "3. BA-Shapes, " << eval_nodes.size() << " house nodes (" << std::setprecision(3) << t_quality
            << " s): share of top-10 walk |R| inside the house " << inside_share << "; edge ROC AUC of |all-walk edge "
            << "relevance| " << std::setprecision(4) << auc << " (signed relevance: " << auc_signed << ")\n";
  double gnnexplainer_auc = -1;
  const auto names = gnnx::explain::explainer_names();
  if (std::find(names.begin(), names.end(), "gnnexplainer") != names.end()) {
    auto ex = gnnx::explain::make_explainer("gnnexplainer", {{"seed", "0"}});
    std::vector<Target> targets;
    for (auto v : eval_nodes) targets.push_back(Target::node(v));
    auto t4 = Clock::now();
    auto out = ex->explain(*model, g, targets);
    std::vector<at::Tensor> s2, l2;
    for (size_t i = 0; i < out.size(); ++i) {
      auto ids = gnnx::k_hop_subgraph(g, eval_nodes[i], model->num_hops()).edge_ids;
      s2.push_back(out[i].edge_mask.cpu().index_select(0, ids));
      l2.push_back(gnnx::eval::node_ground_truth(ds, eval_nodes[i]).index_select(0, ids));
    }
    gnnexplainer_auc = gnnx::metrics::roc_auc(torch::cat(s2), torch::cat(l2));
    std::cout << "   GNNExplainer on the same nodes and model: edge ROC AUC " << gnnexplainer_auc << " ("
              << std::setprecision(3) << since(t4) << " s)\n";
  } else {
    std::cout << "   (GNNExplainer is not registered in this build: no comparison)\n";
  }
  std::cout << "\n";

  // ---- 4. BA-growth: cycles --------------------------------------------------------------
  auto growth = gnnx::datasets::make_dataset("ba-growth", 0);
  auto gref = gnnx::datasets::train_reference_model(growth, 0);
  gref.model->eval();
  gnnx::explain::GNNLRP glrp(*gref.model, gnnx::explain::GNNLRPOptions().order(gnnx::explain::WalkOrder::kPositive));
  double on_cycle = 0, pos_total = 0, cycle_edges = 0, edges = 0;
  int64_t explained = 0;
  auto test = growth.split.test.cpu();
  for (int64_t k = 0; k < test.size(0); ++k) {
    const auto gi = test[k].item<int64_t>();
    const auto& gg = growth.graphs[static_cast<size_t>(gi)];
    if (gg.y[0].item<int64_t>() != 1) continue;
    auto top = glrp.top_walks(gg, Target::graph(0, 1), 10);
    // Correctly classified "not tree" graphs only.
    auto logits = gref.model->forward_graph(gg);
    if (logits[0].argmax().item<int64_t>() != 1) continue;
    ++explained;
    const auto cyc = growth.edge_mask_gt[static_cast<size_t>(gi)].cpu();
    const auto ei = gg.edge_index.cpu();
    cycle_edges += cyc.sum().item<double>();
    edges += static_cast<double>(cyc.size(0));
    std::map<std::pair<int64_t, int64_t>, bool> is_cycle;
    for (int64_t e = 0; e < ei.size(1); ++e)
      is_cycle[{ei[0][e].item<int64_t>(), ei[1][e].item<int64_t>()}] = cyc[e].item<double>() > 0.5;
    for (int64_t w = 0; w < top.size(); ++w) {
      const double r = top.relevance[w].item<double>();
      if (r <= 0) continue;
      int64_t steps = 0, on = 0;
      for (int64_t l = 1; l <= top.num_layers; ++l) {
        const auto a = top.walks[w][l - 1].item<int64_t>(), b = top.walks[w][l].item<int64_t>();
        if (a == b) continue;
        ++steps;
        if (is_cycle[{a, b}]) ++on;
      }
      pos_total += r;
      if (steps > 0) on_cycle += r * static_cast<double>(on) / static_cast<double>(steps);
    }
  }
  const double cycle_share = on_cycle / pos_total;
  const double cycle_fraction = cycle_edges / edges;
  std::cout << "4. BA-growth (reference model test accuracy " << gref.result.test_acc << "), " << explained
            << " correctly classified \"not tree\" test graphs: share of the top-10 walks' positive relevance on "
            << "cycle edges " << std::setprecision(3) << cycle_share << " (cycle edges are " << cycle_fraction
            << " of all edges)\n";

  nlohmann::json j = {{"layers", model->num_hops()},
                      {"num_walks", total_walks},
                      {"naive_seconds", t_naive},
                      {"gnnx_seconds", t_gnnx},
                      {"speedup", speedup},
                      {"max_rel_diff", max_rel},
                      {"topk", topk},
                      {"ba_shapes_inside_house_share", inside_share},
                      {"ba_shapes_edge_auc", auc},
                      {"ba_shapes_edge_auc_signed", auc_signed},
                      {"gnnexplainer_edge_auc", gnnexplainer_auc},
                      {"ba_growth_cycle_share", cycle_share},
                      {"ba_growth_cycle_edge_fraction", cycle_fraction},
                      {"quick", quick}};
  std::cout << j.dump() << "\n";
  return 0;
}
