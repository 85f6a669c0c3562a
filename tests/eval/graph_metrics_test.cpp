// The masked forwards behind fidelity and GEF against the model run on the whole masked graph,
// stability (GES) against its closed form when nothing is rewired, and the benchmark metrics of
// an explainer that returns the ground truth.
#include <cmath>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/graph_metrics.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::eval;
using explain::Explanation;

namespace {

nn::GNNClassifier random_model(const datasets::Dataset& ds, nn::ConvType conv, nn::Task task = nn::Task::kNode) {
  torch::manual_seed(3);
  nn::GNNClassifier m(nn::GNNClassifierOptions(ds.graphs.front().num_features(), ds.num_classes)
                          .conv(conv)
                          .task(task)
                          .hidden_channels(8)
                          .num_layers(3));
  m->eval();
  return m;
}

// Explanations of `nodes` with random scores on each node's computation-subgraph edges.
std::vector<Explanation> random_explanations(nn::GNNModel& model, const Graph& g, const std::vector<int64_t>& nodes) {
  auto gen = torch::make_generator<at::CPUGeneratorImpl>(11);
  std::vector<Explanation> out;
  for (auto v : nodes) {
    Explanation e;
    e.method = "random";
    e.target = Target::node(v);
    e.edge_ids = k_hop_subgraph(g, v, model.receptive_field()).edge_ids;
    e.edge_mask = torch::zeros({g.num_edges()});
    e.edge_mask.index_put_({e.edge_ids}, torch::rand({e.edge_ids.numel()}, gen));
    out.push_back(e);
  }
  return out;
}

// Row v of the model on the whole graph inside an edge-mask scope of `mask`.
at::Tensor brute_force(nn::GNNModel& model, const Graph& g, int64_t v, const at::Tensor& mask,
                       nn::MaskPlacement placement) {
  torch::NoGradGuard ng;
  nn::EdgeMaskScope scope(mask, placement);
  return model.forward_graph(g)[v].to(torch::kDouble);
}

}  // namespace

TEST_CASE("masked_predictions equal the whole masked graph's logits, node task", "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  const std::vector<int64_t> nodes = {0, 17, 300, 401, 512, 699};
  for (auto conv : {nn::ConvType::kGCN, nn::ConvType::kGIN, nn::ConvType::kGraphConv}) {
    for (auto placement : {nn::MaskPlacement::kMessage, nn::MaskPlacement::kDeletion}) {
      CAPTURE(to_string(conv), to_string(placement));
      auto model = random_model(ds, conv);
      const auto ex = random_explanations(*model, g, nodes);
      std::vector<at::Tensor> masks;
      for (const auto& e : ex) masks.push_back(e.edge_mask);
      const auto p = masked_predictions(*model, g, ex, masks, MaskedOptions().placement(placement).chunk_size(4));
      REQUIRE(p.explained.sizes() == at::IntArrayRef({6, ds.num_classes}));
      for (size_t i = 0; i < nodes.size(); ++i) {
        const auto v = nodes[i];
        const auto full = brute_force(*model, g, v, torch::ones({g.num_edges()}), placement);
        CHECK(torch::allclose(p.full[static_cast<int64_t>(i)], full, 1e-5, 1e-5));
        CHECK(torch::allclose(p.explained[static_cast<int64_t>(i)], brute_force(*model, g, v, masks[i], placement),
                              1e-5, 1e-5));
        CHECK(torch::allclose(p.complement[static_cast<int64_t>(i)],
                              brute_force(*model, g, v, 1.0 - masks[i], placement), 1e-5, 1e-5));
      }
      CHECK(torch::equal(p.labels, g.y.index_select(0, torch::tensor(nodes))));
    }
  }
}

TEST_CASE("masked_predictions equal each masked graph's logits, graph task", "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-2motifs", 0);
  auto model = random_model(ds, nn::ConvType::kGIN, nn::Task::kGraph);
  std::vector<Graph> graphs(ds.graphs.begin(), ds.graphs.begin() + 5);
  auto gen = torch::make_generator<at::CPUGeneratorImpl>(5);
  std::vector<at::Tensor> masks;
  for (const auto& gr : graphs) masks.push_back(torch::rand({gr.num_edges()}, gen));
  const auto p = masked_predictions(*model, graphs, masks);
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& gr = graphs[i];
    torch::NoGradGuard ng;
    auto run = [&](const at::Tensor& m) {
      nn::EdgeMaskScope scope(m, nn::MaskPlacement::kMessage);
      return model->forward(gr.x, gr.edge_index, {}, {}, 1)[0].to(torch::kDouble);
    };
    const auto row = static_cast<int64_t>(i);
    CHECK(torch::allclose(p.explained[row], run(masks[i]), 1e-5, 1e-5));
    CHECK(torch::allclose(p.complement[row], run(1.0 - masks[i]), 1e-5, 1e-5));
    CHECK(p.labels[row].item<int64_t>() == gr.y.reshape({-1})[0].item<int64_t>());
  }
  CHECK_THROWS_AS(masked_predictions(*model, graphs, {masks[0]}), gnnx::Error);
}

TEST_CASE("fidelity and GEF of the all-ones and all-zeros masks", "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  auto model = random_model(ds, nn::ConvType::kGraphConv);
  const std::vector<int64_t> nodes = {400, 405, 410};
  auto ex = random_explanations(*model, g, nodes);
  std::vector<at::Tensor> ones(nodes.size(), torch::ones({g.num_edges()}));
  const auto p = masked_predictions(*model, g, ex, ones);
  const auto f = fidelity(p);
  CHECK(f.minus == 0.0);  // G_S is the whole graph
  CHECK(unfaithfulness(p).abs().max().item<double>() < 1e-6);
  // The complement of everything: a GraphConv without edges sees each node alone.
  torch::NoGradGuard ng;
  const auto alone = model->forward(g.x, torch::zeros({2, 0}, torch::kLong));
  for (size_t i = 0; i < nodes.size(); ++i)
    CHECK(torch::allclose(p.complement[static_cast<int64_t>(i)], alone[nodes[i]].to(torch::kDouble), 1e-5, 1e-5));
  CHECK_THROWS_AS(masked_predictions(*model, g, ex, {ones[0]}), gnnx::Error);
  CHECK_THROWS_AS(masked_predictions(*model, g, ex, {torch::ones({3}), ones[1], ones[2]}), gnnx::Error);
}

TEST_CASE("stability: no rewiring gives GES 0 for a deterministic explainer, and rewiring is seeded",
          "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  auto model = random_model(ds, nn::ConvType::kGraphConv);
  auto grad = explain::make_explainer("grad");
  const std::vector<int64_t> nodes = {400, 455, 512, 610};
  std::vector<Target> targets;
  for (auto v : nodes) targets.push_back(Target::node(v));
  const auto ex = grad->explain(*model, g, targets);
  const auto same = stability(*grad, *model, g, ex, StabilityOptions().runs(2).rewired_edges(0));
  CHECK(same.counted == 8);
  CHECK(same.items.abs().max().item<double>() < 1e-6);
  const auto a = stability(*grad, *model, g, ex, StabilityOptions().runs(3).rewired_edges(2).seed(4));
  const auto b = stability(*grad, *model, g, ex, StabilityOptions().runs(3).rewired_edges(2).seed(4));
  CHECK(a.counted <= 12);
  CHECK(torch::equal(a.items.nan_to_num(-1), b.items.nan_to_num(-1)));
  const auto ok = a.items.isnan().logical_not();
  CHECK(a.items.masked_select(ok).ge(0).all().item<bool>());
  CHECK(a.items.masked_select(ok).le(1 + 1e-12).all().item<bool>());
  CHECK(a.items.masked_select(ok).gt(1e-6).any().item<bool>());  // moving edges moves the gradients
  CHECK_THROWS_AS(stability(*grad, *model, g, ex, StabilityOptions().runs(0)), gnnx::Error);
}

TEST_CASE("stability of graph explanations without rewiring is 0", "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-2motifs", 0);
  auto model = random_model(ds, nn::ConvType::kGIN, nn::Task::kGraph);
  std::vector<Graph> graphs(ds.graphs.begin(), ds.graphs.begin() + 3);
  auto grad = explain::make_explainer("grad");
  const auto ex = grad->explain_graphs(*model, graphs);
  const auto s = stability(*grad, *model, graphs, ex, StabilityOptions().runs(1).rewired_edges(0));
  CHECK(s.counted == 3);
  CHECK(s.mean < 1e-6);
}

TEST_CASE("benchmark_metrics of the ground truth itself: GEA and precision 1", "[graph_metrics]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  auto model = random_model(ds, nn::ConvType::kGraphConv);
  BenchmarkRun run;
  run.items = {400, 405, 600};
  double sparsity = 0;
  for (auto v : run.items) {
    Explanation e;
    e.method = "oracle";
    e.target = Target::node(v);
    e.edge_ids = k_hop_subgraph(g, v, model->receptive_field()).edge_ids;
    const auto truth = node_ground_truth(ds, v);
    e.edge_mask = truth * 0.9 + 0.05;  // the motif first, all others tied below
    sparsity += (1.0 - truth.index_select(0, e.edge_ids).sum().item<double>() / e.edge_ids.numel()) / 3;
    run.explanations.push_back(e);
  }
  auto grad = explain::make_explainer("grad");
  const auto m = benchmark_metrics(*grad, *model, ds, run);
  CHECK(m.gea == Approx(1.0));
  CHECK(m.precision == Approx(1.0));
  CHECK(m.sparsity == Approx(sparsity));
  CHECK(m.characterization == Approx(metrics::characterization_score(m.fid_plus, m.fid_minus)));
  CHECK(std::isnan(m.stability));
  const auto top2 = benchmark_metrics(*grad, *model, ds, run, c10::Device(c10::kCPU),
                                      BenchmarkMetricsOptions().top_k(2));
  CHECK(top2.precision == Approx(1.0));
  CHECK(top2.gea < 1.0);
}
