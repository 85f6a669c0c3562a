// The same computations on an accelerator and on the CPU must agree. Built as its own program,
// gnnx_device_tests, which CTest does not run (CI has no GPU); on a GPU machine run
//   gnnx_device_tests                       # compares CUDA with CPU
// (scripts/gpu-check.sh does, with the GNNExplainer benchmark). GNNX_TEST_DEVICE names another
// device; GNNX_TEST_DEVICE=cpu runs the comparisons CPU against CPU, to check this file itself.
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/index_range.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/train.h"
#include "support/catch.h"
#include "support/layers.h"
#include "support/tensor_match.h"

using namespace gnnx;

namespace {

c10::Device test_device() {
  const char* name = std::getenv("GNNX_TEST_DEVICE");
  // parse_device throws gnnx::Error naming the problem when CUDA is missing.
  return parse_device(name && *name ? name : "cuda");
}

// A random undirected graph: a random tree plus extra edges, Gaussian features.
Graph random_graph(int64_t n, int64_t extra, int64_t features, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 1; i < n; ++i) pairs.emplace_back(i, uniform_int(rng, 0, i - 1));
  for (int64_t i = 0; i < extra; ++i) {
    auto a = uniform_int(rng, 0, n - 1), b = uniform_int(rng, 0, n - 1);
    if (a != b) pairs.emplace_back(a, b);
  }
  return Graph(undirected_edge_index(pairs), n, torch::randn({n, features}, torch_generator(seed + 1)));
}

nn::GNNClassifier make_model(nn::ConvType conv, nn::Task task, int64_t in) {
  torch::manual_seed(11);
  return nn::GNNClassifier(
      nn::GNNClassifierOptions(in, 3).conv(conv).task(task).heads(conv == nn::ConvType::kGAT ? 2 : 1));
}

const char* conv_name(nn::ConvType c) {
  switch (c) {
    case nn::ConvType::kGCN: return "GCN";
    case nn::ConvType::kGraphConv: return "GraphConv";
    case nn::ConvType::kGIN: return "GIN";
    case nn::ConvType::kSAGE: return "SAGE";
    case nn::ConvType::kGAT: return "GAT";
  }
  return "?";
}

}  // namespace

TEST_CASE("every layer gives the CPU's outputs and gradients on the device", "[device]") {
  const auto dev = test_device();
  auto ei = gnnx::test::small_edge_index();
  const int64_t N = gnnx::test::kSmallNodes, E = ei.size(1);
  auto x = torch::randn({N, 4}, torch::kDouble);
  auto w = torch::rand({E}, torch::kDouble) + 0.5;
  auto mask = torch::rand({E}, torch::kDouble);
  for (auto& c : gnnx::test::all_layers(4, 3)) {
    INFO(c.name);
    auto run = [&](const c10::Device& d) {
      c.module->to(d);
      auto xv = x.clone().to(d).requires_grad_(), wv = w.clone().to(d).requires_grad_(),
           mv = mask.clone().to(d).requires_grad_();
      nn::EdgeMaskScope scope(mv);
      auto y = c.forward(xv, ei.to(d), wv);
      auto g = torch::autograd::grad({(y.pow(2) + y).sum()}, {xv, wv, mv});
      return std::vector<at::Tensor>{y.cpu(), g[0].cpu(), g[1].cpu(), g[2].cpu()};
    };
    const auto cpu = run(torch::kCPU);
    const auto on_dev = run(dev);
    for (size_t i = 0; i < cpu.size(); ++i) GNNX_REQUIRE_CLOSE(on_dev[i], cpu[i], 1e-9, 1e-11);
  }
}

TEST_CASE("an out-of-range node id is a gnnx::Error on the device, which stays usable", "[device]") {
  const auto dev = test_device();
  auto ei = gnnx::test::small_edge_index().to(dev);
  const int64_t N = gnnx::test::kSmallNodes;
  auto x = torch::randn({N, 4}, torch::TensorOptions().dtype(torch::kDouble).device(dev));
  for (auto& c : gnnx::test::all_layers(4, 3)) {
    INFO(c.name);
    c.module->to(dev);
    auto bad = ei.clone();
    bad.index_put_({0, 0}, N);
    GNNX_REQUIRE_ERROR("edge_index holds node id 7 outside [0, 7)", c.forward(x, bad, {}));
    // Known to a scope and then edited in place: the check sees the new id, not the old range.
    auto edited = ei.clone();
    nn::IndexRangeScope ranges(edited);
    edited.index_put_({1, 2}, N + 3);
    GNNX_REQUIRE_ERROR("edge_index holds node id 10 outside [0, 7)", c.forward(x, edited, {}));
    auto good = c.forward(x, ei, {});
    REQUIRE(torch::isfinite(good).all().item<bool>());
  }
  GNNX_REQUIRE_ERROR("scatter: index holds id 7 outside [0, 7)",
                     nn::scatter(x, torch::full({N}, N, ei.options()), N, nn::Aggregation::kSum));
}

TEST_CASE("node classifiers, trimmed or not, give the CPU's logits on the device", "[device]") {
  const auto dev = test_device();
  auto g = random_graph(40, 20, 5, 3);
  for (auto conv :
       {nn::ConvType::kGCN, nn::ConvType::kGraphConv, nn::ConvType::kGIN, nn::ConvType::kSAGE, nn::ConvType::kGAT}) {
    INFO(conv_name(conv));
    auto cpu_model = make_model(conv, nn::Task::kNode, 5);
    auto dev_model = make_model(conv, nn::Task::kNode, 5);
    dev_model->to(dev);
    cpu_model->eval();
    dev_model->eval();
    torch::NoGradGuard ng;
    auto want = cpu_model->forward(g.x, g.edge_index, g.edge_weight);
    auto got = dev_model->forward(g.x.to(dev), g.edge_index.to(dev), {});
    GNNX_REQUIRE_CLOSE(got.cpu(), want, 1e-4, 1e-5);
  }
}

TEST_CASE("GNNExplainer and GRAD give the CPU's masks on the device", "[device]") {
  const auto dev = test_device();
  auto g = random_graph(60, 30, 5, 7);
  // Few epochs and a loose tolerance: Adam divides by the root of the squared gradients, so the
  // last-digit differences of float sums on two devices grow in entries whose gradient is tiny.
  // reparametrize's marginal draws are a hash of counters, the same on every device.
  for (auto [conv, reparametrize] : {std::pair{nn::ConvType::kGCN, false}, std::pair{nn::ConvType::kGraphConv, false},
                                     std::pair{nn::ConvType::kGAT, false}, std::pair{nn::ConvType::kGCN, true}}) {
    INFO(conv_name(conv) << (reparametrize ? ", reparametrize" : ""));
    const auto o = explain::GNNExplainerOptions()
                       .epochs(20)
                       .feature_mask(explain::FeatureMaskType::kFeature)
                       .reparametrize(reparametrize)
                       .seed(3);
    auto cpu_model = make_model(conv, nn::Task::kNode, 5);
    auto dev_model = make_model(conv, nn::Task::kNode, 5);
    dev_model->to(dev);
    std::vector<Target> targets;
    for (int64_t v = 0; v < 60; v += 4) targets.push_back(Target::node(v));
    auto want = explain::GNNExplainer(o).explain(*cpu_model, g, targets);
    const auto before = nn::detail::index_range_measurements();
    auto got = explain::GNNExplainer(o).explain(*dev_model, g.to(dev), targets);
    const auto measured = nn::detail::index_range_measurements() - before;
    INFO("id ranges measured on the device: " << measured);
    CHECK(measured < 40);  // per union and per prediction pass, never per layer and epoch
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      GNNX_REQUIRE_CLOSE(got[i].edge_mask.cpu(), want[i].edge_mask, 1e-2, 5e-3);
      GNNX_REQUIRE_CLOSE(got[i].feature_mask.cpu(), want[i].feature_mask, 1e-2, 5e-3);
    }
    auto grad_want = explain::GradExplainer().explain(*cpu_model, g, targets);
    auto grad_got = explain::GradExplainer().explain(*dev_model, g.to(dev), targets);
    for (size_t i = 0; i < want.size(); ++i)
      GNNX_REQUIRE_CLOSE(grad_got[i].edge_mask.cpu(), grad_want[i].edge_mask, 1e-3, 1e-6);
  }
}

TEST_CASE("image attributions through a CNN's layers give the CPU's values on the device", "[device]") {
  // On the CPU occlusion copies its crops with plain loops and IG runs all steps in one pass; on
  // the device occlusion indexes with index grids. Both must give the same attributions.
  namespace tnn = torch::nn;
  const auto dev = test_device();
  torch::manual_seed(5);
  tnn::Sequential cnn(tnn::Conv2d(tnn::Conv2dOptions(3, 8, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                      tnn::Conv2d(tnn::Conv2dOptions(8, 8, 3).stride(2).padding(1)), tnn::ReLU(),
                      tnn::AdaptiveAvgPool2d(1), tnn::Flatten(), tnn::Linear(8, 4));
  cnn->eval();
  auto x = torch::randn({2, 3, 21, 19});
  auto on_cpu = attribution::ImageModel::sequential(cnn);
  auto dev_cnn = std::dynamic_pointer_cast<tnn::SequentialImpl>(cnn->clone());
  dev_cnn->to(dev);
  auto on_dev = attribution::ImageModel::sequential(tnn::Sequential(dev_cnn));
  std::vector<std::pair<std::string, std::shared_ptr<attribution::Attributor>>> methods = {
      {"occlusion 3x5x4", std::make_shared<attribution::Occlusion>(
                              attribution::OcclusionOptions().window({3, 5, 4}).strides({3, 3, 2}).baseline(0.2))},
      {"occlusion 1x4x4",
       std::make_shared<attribution::Occlusion>(attribution::OcclusionOptions().window({1, 4, 4}).strides({1, 4, 4}))},
      {"ig", std::make_shared<attribution::IntegratedGradients>()},
      {"smoothgrad", std::make_shared<attribution::NoiseTunnel>(std::make_shared<attribution::Saliency>(),
                                                                attribution::NoiseTunnelOptions().samples(5))}};
  for (auto& [name, m] : methods) {
    INFO(name);
    auto want = m->attribute(on_cpu, x, {1, 3});
    auto got = m->attribute(on_dev, x.to(dev), {1, 3});
    GNNX_REQUIRE_CLOSE(got.values.cpu(), want.values, 1e-4, 1e-5);
  }
}

TEST_CASE("GNNExplainer explains a graph classifier's graphs on the device as on the CPU", "[device]") {
  const auto dev = test_device();
  std::vector<Graph> graphs, on_dev;
  for (uint64_t s = 0; s < 6; ++s) {
    graphs.push_back(random_graph(12 + static_cast<int64_t>(s), 4, 5, 20 + s));
    on_dev.push_back(graphs.back().to(dev));
  }
  auto cpu_model = make_model(nn::ConvType::kGIN, nn::Task::kGraph, 5);
  auto dev_model = make_model(nn::ConvType::kGIN, nn::Task::kGraph, 5);
  dev_model->to(dev);
  const auto o = explain::GNNExplainerOptions().epochs(20).seed(4);
  auto want = explain::GNNExplainer(o).explain_graphs(*cpu_model, graphs);
  auto got = explain::GNNExplainer(o).explain_graphs(*dev_model, on_dev);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) GNNX_REQUIRE_CLOSE(got[i].edge_mask.cpu(), want[i].edge_mask, 1e-2, 5e-3);
}

TEST_CASE("node training on the device reaches the CPU's accuracy", "[device]") {
  const auto dev = test_device();
  // Two communities, features a noisy one-hot of the community.
  Rng rng(5);
  const int64_t n = 80;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v)
      if (uniform_real(rng) < ((u < n / 2) == (v < n / 2) ? 0.15 : 0.01)) pairs.emplace_back(u, v);
  auto y = (torch::arange(n, torch::kLong) >= n / 2).to(torch::kLong);
  auto x = torch::nn::functional::one_hot(y, 2).to(torch::kFloat) + torch::randn({n, 2}, torch_generator(6));
  Graph g(undirected_edge_index(pairs), n, x, {}, y);
  const auto split = nn::random_split(n, 0.5, 0.2, 1);
  auto train = [&](const c10::Device& d) {
    torch::manual_seed(0);
    nn::GNNClassifier model(nn::GNNClassifierOptions(2, 2).conv(nn::ConvType::kGraphConv));
    model->to(d);
    return nn::train_node_classifier(*model, g.to(d), split, nn::TrainOptions().epochs(60).patience(0));
  };
  const auto cpu = train(torch::kCPU), on_dev = train(dev);
  INFO("test accuracy: CPU " << cpu.test_acc << ", device " << on_dev.test_acc);
  REQUIRE(on_dev.test_acc > 0.8);
  REQUIRE(std::abs(on_dev.test_acc - cpu.test_acc) <= 0.1);
}
