#include "gnnx/nn/train.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/index_range.h"
#include "support/catch.h"
#include "support/std_streams.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;

namespace {
// Planted partition: `blocks` communities of `size` nodes, edge probability p_in inside a
// community and p_out across; features are a noisy one-hot of the community (noise sd 1), so a
// single node's features are unreliable and the model must pool over its neighbours.
Graph planted_partition(int64_t blocks, int64_t size, double p_in, double p_out, uint64_t seed) {
  Rng rng(seed);
  const int64_t n = blocks * size;
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v)
      if (uniform_real(rng) < (u / size == v / size ? p_in : p_out)) edges.emplace_back(u, v);
  auto y = torch::arange(n, torch::kLong).div(size, "floor");
  auto x = torch::nn::functional::one_hot(y, blocks).to(torch::kFloat) +
           torch::randn({n, blocks}, torch_generator(seed));
  return Graph(undirected_edge_index(edges), n, x, {}, y);
}
}  // namespace

TEST_CASE("random_split is a seeded partition", "[nn]") {
  auto s = random_split(100, 0.6, 0.2, 5);
  REQUIRE(s.train.numel() == 60);
  REQUIRE(s.val.numel() == 20);
  REQUIRE(s.test.numel() == 20);
  auto all = std::get<0>(torch::sort(torch::cat({s.train, s.val, s.test})));
  REQUIRE(torch::equal(all, torch::arange(100, torch::kLong)));
  REQUIRE(torch::equal(random_split(100, 0.6, 0.2, 5).train, s.train));
  REQUIRE_FALSE(torch::equal(random_split(100, 0.6, 0.2, 6).train, s.train));
  GNNX_REQUIRE_ERROR("random_split: fractions must satisfy", random_split(10, 0.8, 0.3, 0));
  GNNX_REQUIRE_ERROR("random_split: n must be positive, got 0", random_split(0, 0.5, 0.1, 0));
}

TEST_CASE("training a GCN classifier on a planted partition beats chance by far", "[nn]") {
  auto g = planted_partition(/*blocks=*/4, /*size=*/40, /*p_in=*/0.2, /*p_out=*/0.01, /*seed=*/1);
  auto split = random_split(g.num_nodes, 0.5, 0.2, 2);
  // Features alone: the noisy one-hot gives roughly 50% (chance is 25%); pooling over the
  // community's neighbours should give far more.
  torch::manual_seed(0);
  GNNClassifier model(GNNClassifierOptions(4, 4));
  auto r = train_node_classifier(*model, g, split, TrainOptions().epochs(150).patience(50));
  INFO("train " << r.train_acc << " val " << r.val_acc << " test " << r.test_acc << " in " << r.seconds << " s");
  REQUIRE(r.test_acc > 0.8);
  REQUIRE(std::abs(node_accuracy(*model, g, split.test) - r.test_acc) < 1e-12);
  // A graph task over the same kind of data: is the graph's community structure 2 or 4 blocks?
  std::vector<Graph> graphs;
  for (uint64_t s = 0; s < 40; ++s) {
    auto gg = planted_partition(s % 2 ? 4 : 2, 8, 0.6, 0.02, 100 + s);
    gg.x = torch::ones({gg.num_nodes, 1});
    gg.y = torch::full({1}, static_cast<int64_t>(s % 2), torch::kLong);
    graphs.push_back(gg);
  }
  torch::manual_seed(0);
  GNNClassifier gmodel(GNNClassifierOptions(1, 2).task(Task::kGraph).conv(ConvType::kGIN).readout(Aggregation::kSum));
  auto gr = train_graph_classifier(*gmodel, graphs, random_split(40, 0.6, 0.2, 3),
                                   TrainOptions().epochs(60).batch_size(8));
  INFO("graph task: train " << gr.train_acc << " test " << gr.test_acc);
  REQUIRE(gr.train_acc > 0.8);
}

TEST_CASE("node training measures the graph's id range once, not in every layer of every epoch", "[nn][index_range]") {
  // Each measurement is a device sync on CUDA; their number must not grow with the epochs.
  auto g = planted_partition(3, 10, 0.3, 0.05, 4);
  auto split = random_split(g.num_nodes, 0.5, 0.2, 2);
  auto count = [&](int64_t epochs) {
    torch::manual_seed(0);
    GNNClassifier model(GNNClassifierOptions(3, 3).conv(ConvType::kGAT).heads(2));
    const auto before = gnnx::nn::detail::index_range_measurements();
    train_node_classifier(*model, g, split, TrainOptions().epochs(epochs).patience(0));
    return gnnx::nn::detail::index_range_measurements() - before;
  };
  const auto few = count(2);
  REQUIRE(few > 0);
  REQUIRE(count(25) == few);
}

TEST_CASE("training reports progress to its log sink only, every log_every epochs", "[nn][log]") {
  auto g = planted_partition(/*blocks=*/2, /*size=*/8, /*p_in=*/0.5, /*p_out=*/0.1, /*seed=*/3);
  auto split = random_split(g.num_nodes, 0.5, 0.2, 2);
  std::vector<std::string> lines;
  LogSink sink = [&](LogLevel level, std::string_view line) {
    CHECK(level == LogLevel::kInfo);
    lines.emplace_back(line);
  };
  test::CapturedStdStreams streams;
  torch::manual_seed(0);
  GNNClassifier model(GNNClassifierOptions(2, 2));
  train_node_classifier(*model, g, split, TrainOptions().epochs(25).patience(0).log(sink));  // log_every 10
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("epoch 0 loss ", 0) == 0);
  CHECK(lines[2].rfind("epoch 20 loss ", 0) == 0);
  lines.clear();
  std::vector<Graph> graphs;
  for (int64_t s = 0; s < 6; ++s) {
    auto gg = planted_partition(2, 4, 0.6, 0.1, 10 + static_cast<uint64_t>(s));
    gg.y = torch::full({1}, s % 2, torch::kLong);
    graphs.push_back(gg);
  }
  GNNClassifier gmodel(GNNClassifierOptions(2, 2).task(Task::kGraph));
  train_graph_classifier(*gmodel, graphs, random_split(6, 0.5, 0.2, 1),
                         TrainOptions().epochs(3).patience(0).log(sink).log_every(2));
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].rfind("epoch 2 train ", 0) == 0);
  // Without a sink nothing is said, at any log_every, and nothing ever goes to the standard streams.
  train_node_classifier(*model, g, split, TrainOptions().epochs(3).patience(0).log_every(1));
  CHECK(lines.size() == 2);
  CHECK(streams.text().empty());
}

TEST_CASE("training rejects inconsistent input with gnnx::Error", "[nn]") {
  auto g = planted_partition(2, 5, 0.5, 0.1, 3);
  auto split = random_split(g.num_nodes, 0.5, 0.2, 2);
  GNNClassifier wrong_width(GNNClassifierOptions(3, 2));
  GNNX_REQUIRE_ERROR("train_node_classifier: the model takes 3 features, the graph has 2",
                     train_node_classifier(*wrong_width, g, split));
  GNNClassifier too_few_classes(GNNClassifierOptions(2, 1));
  GNNX_REQUIRE_ERROR("train_node_classifier: labels must lie in [0, 1), got max 1",
                     train_node_classifier(*too_few_classes, g, split));
  GNNClassifier model(GNNClassifierOptions(2, 2));
  auto bad = split;
  bad.test = torch::tensor({10}, torch::kLong);
  GNNX_REQUIRE_ERROR("train_node_classifier: split index out of range [0, 10)", train_node_classifier(*model, g, bad));
  GNNX_REQUIRE_ERROR("train_graph_classifier: the model is a node classifier",
                     train_graph_classifier(*model, {g}, split));
}
