// Explanations do not depend on who computes them: threads sharing one model get the explanations
// one thread gets, and a seed gives the same bits run to run and at any TBB thread count
// (docs/reliability.md, "Threads and determinism").
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <torch/torch.h>

#include "gnnx/core/options.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/sage_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/random_graph.h"

using namespace gnnx;

namespace {

// Two SAGEConv(max) layers and a linear head: GNNClassifier's SAGE layers aggregate by mean.
class SageMaxNet : public nn::GNNModel {
 public:
  SageMaxNet(int64_t in, int64_t classes) : in_(in), classes_(classes) {
    conv1_ = register_module("conv1", nn::SAGEConv(nn::SAGEConvOptions(in, 12).aggr(nn::Aggregation::kMax)));
    conv2_ = register_module("conv2", nn::SAGEConv(nn::SAGEConvOptions(12, 12).aggr(nn::Aggregation::kMax)));
    head_ = register_module("head", torch::nn::Linear(12, classes));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                     const at::Tensor& /*batch*/, int64_t /*num_graphs*/) override {
    auto h = torch::relu(conv1_->forward(x, edge_index, edge_weight));
    h = torch::relu(conv2_->forward(h, edge_index, edge_weight));
    return head_->forward(h);
  }
  nn::Task task() const override { return nn::Task::kNode; }
  int64_t num_hops() const override { return 2; }
  int64_t num_classes() const override { return classes_; }
  int64_t in_channels() const override { return in_; }
  std::vector<std::shared_ptr<nn::MessagePassing>> message_passing_layers() const override {
    return {conv1_.ptr(), conv2_.ptr()};
  }

 private:
  int64_t in_, classes_;
  nn::SAGEConv conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear head_{nullptr};
};

struct ModelCase {
  std::string name;
  std::shared_ptr<nn::GNNModel> model;
};

// Every layer type: GNNClassifier's GCN, GraphConv, GIN, SAGE (mean) and GAT, and SAGE (max).
std::vector<ModelCase> every_layer_type() {
  std::vector<ModelCase> out;
  for (auto conv :
       {nn::ConvType::kGCN, nn::ConvType::kGraphConv, nn::ConvType::kGIN, nn::ConvType::kSAGE, nn::ConvType::kGAT}) {
    torch::manual_seed(5);
    nn::GNNClassifier m(nn::GNNClassifierOptions(/*in_channels=*/5, /*num_classes=*/3)
                            .conv(conv)
                            .heads(conv == nn::ConvType::kGAT ? 2 : 1));
    m->eval();
    out.push_back({std::string(to_string(conv)) + (conv == nn::ConvType::kSAGE ? "(mean)" : ""), m.ptr()});
  }
  torch::manual_seed(5);
  auto sage_max = std::make_shared<SageMaxNet>(/*in=*/5, /*classes=*/3);
  sage_max->eval();
  out.push_back({"sage(max)", sage_max});
  return out;
}

// A random connected graph: a tree plus chords, both directions stored.
Graph random_graph() { return gnnx::test::random_tree_graph(); }

struct ExplainerCase {
  std::string name;
  OptionMap options;
  /// Splits its work into the same chunks at any thread count (a fixed chunk_size, or no chunks).
  bool fixed_chunks;
};

// The explainers that run chunks in parallel (gnnexplainer, grad) and attribution explainers,
// which run their targets in parallel: saliency's joint pass, occlusion, and a stochastic one
// (smoothgrad's noise, whose draw is kept and shared), each with a seed. GNNExplainer's default
// chunk_size 0 splits the nodes evenly over the TBB threads, so its chunks depend on the thread
// count.
std::vector<ExplainerCase> explainers() {
  return {{"gnnexplainer", {{"epochs", "20"}, {"seed", "7"}}, /*fixed_chunks=*/false},
          {"gnnexplainer", {{"epochs", "20"}, {"seed", "7"}, {"chunk_size", "3"}}, /*fixed_chunks=*/true},
          {"grad", {{"chunk_size", "2"}}, /*fixed_chunks=*/true},
          {"saliency", {}, /*fixed_chunks=*/true},
          {"occlusion", {}, /*fixed_chunks=*/true},
          {"smoothgrad", {{"seed", "7"}}, /*fixed_chunks=*/true}};
}

std::vector<Target> node_targets() {
  std::vector<Target> t;
  for (int64_t i = 0; i < 8; ++i) t.push_back(Target::node(i * 3));
  return t;
}

std::vector<explain::Explanation> explain_with(const ExplainerCase& e, nn::GNNModel& model, const Graph& g) {
  return explain::make_explainer(e.name, e.options)->explain(model, g, node_targets());
}

bool same_bits(const at::Tensor& a, const at::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && torch::equal(a, b));
}

// Empty when a and b hold the same bits, else what differs.
std::string difference(const std::vector<explain::Explanation>& a, const std::vector<explain::Explanation>& b) {
  if (a.size() != b.size()) return "different counts";
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i].edge_mask, b[i].edge_mask)) return "edge_mask of explanation " + std::to_string(i);
    if (!same_bits(a[i].node_mask, b[i].node_mask)) return "node_mask of explanation " + std::to_string(i);
    if (!same_bits(a[i].feature_mask, b[i].feature_mask)) return "feature_mask of explanation " + std::to_string(i);
  }
  return "";
}

// The largest |a - b| over every mask of every explanation (masks of the same shapes).
double max_abs_difference(const std::vector<explain::Explanation>& a, const std::vector<explain::Explanation>& b) {
  double d = 0;
  auto update = [&](const at::Tensor& x, const at::Tensor& y) {
    if (x.defined() && y.defined()) d = std::max(d, (x - y).abs().max().item<double>());
  };
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    update(a[i].edge_mask, b[i].edge_mask);
    update(a[i].node_mask, b[i].node_mask);
    update(a[i].feature_mask, b[i].feature_mask);
  }
  return d;
}

std::string label(const ModelCase& m, const ExplainerCase& e) {
  std::string s = m.name + " / " + e.name;
  for (const auto& [k, v] : e.options) s += " " + k + "=" + v;
  return s;
}

}  // namespace

TEST_CASE("threads explaining with one shared model get the one-thread explanations, bit for bit", "[threads]") {
  constexpr int kThreads = 4;
  const Graph g = random_graph();
  for (const auto& m : every_layer_type()) {
    for (const auto& e : explainers()) {
      INFO(label(m, e));
      const auto expect = explain_with(e, *m.model, g);
      REQUIRE(expect.size() == node_targets().size());
      std::vector<std::vector<explain::Explanation>> got(kThreads);
      std::vector<std::string> errors(kThreads);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
          try {
            got[t] = explain_with(e, *m.model, g);
          } catch (const std::exception& ex) {
            errors[t] = ex.what();
          }
        });
      for (auto& th : threads) th.join();
      for (int t = 0; t < kThreads; ++t) {
        INFO("thread " << t);
        REQUIRE(errors[t].empty());
        CHECK(difference(got[t], expect).empty());
      }
    }
  }
}

TEST_CASE("a seed gives the same explanation bits run to run and with 1, 2 and 8 TBB threads", "[threads]") {
  const Graph g = random_graph();
  for (const auto& m : every_layer_type()) {
    for (const auto& e : explainers()) {
      INFO(label(m, e));
      std::vector<explain::Explanation> one_thread;
      for (int threads : {1, 2, 8}) {
        // global_control lets 8 threads run on a machine with fewer cores; the arena makes the
        // explainers see (and split their work for) exactly `threads`.
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
        tbb::task_arena arena(threads);
        std::vector<explain::Explanation> first;
        for (int run = 0; run < 2; ++run) {
          INFO(threads << " TBB threads, run " << run);
          std::vector<explain::Explanation> got;
          arena.execute([&] { got = explain_with(e, *m.model, g); });
          if (run == 0) {
            first = got;
          } else {
            CHECK(difference(got, first).empty());
          }
        }
        if (threads == 1) {
          one_thread = first;
        } else if (e.fixed_chunks) {
          INFO(threads << " TBB threads against 1");
          CHECK(difference(first, one_thread).empty());
        } else {
          // Other chunks, other float sums (docs/reliability.md): equal up to rounding.
          INFO(threads << " TBB threads against 1, max difference " << max_abs_difference(first, one_thread));
          CHECK(max_abs_difference(first, one_thread) <= 1e-6);
        }
      }
    }
  }
}
