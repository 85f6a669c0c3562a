// Many targets a batch at a time (explain_stream) and the resumable chunk directory
// (ExplanationChunks, explain_chunks): the same explanations as one call, whatever the batch
// size, the number of ranks or where an earlier run stopped.
#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/explanation_stream.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;
namespace fs = std::filesystem;

namespace {

struct StreamFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  std::vector<Target> targets;
  StreamFixture() {
    auto edges = barabasi_albert(/*n=*/60, /*m=*/2, uint64_t{3});
    graph = Graph(undirected_edge_index(edges), 60, torch::randn({60, 4}, torch_generator(4)));
    torch::manual_seed(5);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(4, 3).num_layers(2).hidden_channels(8));
    model->eval();
    for (int64_t v = 0; v < 60; v += 3) targets.push_back(Target::node(v));  // 20 targets
  }
  ChunkManifest manifest(int64_t chunk_size, const std::string& inputs = R"({"method": "saliency"})") const {
    ChunkManifest m;
    m.inputs = inputs;
    m.targets = targets;
    m.chunk_size = chunk_size;
    m.num_nodes = graph.num_nodes;
    m.num_edges = graph.num_edges();
    return m;
  }
};

// A fresh, empty directory under the temporary folder.
std::string fresh_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("gnnx_explanation_stream_" + name);
  fs::remove_all(d);
  return d.string();
}

void require_same(const Explanation& a, const Explanation& b) {
  CHECK(a.target.index == b.target.index);
  CHECK(a.target.label == b.target.label);
  REQUIRE(torch::equal(a.edge_ids.to(torch::kLong), b.edge_ids.to(torch::kLong)));
  GNNX_REQUIRE_CLOSE(a.edge_mask, b.edge_mask, /*rtol=*/0, /*atol=*/0);
  GNNX_REQUIRE_CLOSE(a.node_mask, b.node_mask, /*rtol=*/0, /*atol=*/0);
}

}  // namespace

TEST_CASE("explain_stream gives one call's explanations, in order, in batches", "[explain][explanation_stream]") {
  StreamFixture f;
  auto explainer = make_explainer("saliency");
  const auto all = explainer->explain(*f.model, f.graph, f.targets);
  for (int64_t b : {1, 3, 7, 20, 64}) {
    std::vector<Explanation> got;
    std::vector<int64_t> firsts;
    explain_stream(
        *explainer, *f.model, f.graph, f.targets,
        [&](int64_t first, std::vector<Explanation>& batch) {
          CHECK(static_cast<int64_t>(batch.size()) <= b);
          firsts.push_back(first);
          for (auto& e : batch) got.push_back(std::move(e));
        },
        StreamOptions().batch_size(b));
    INFO("batch size " << b);
    REQUIRE(got.size() == all.size());
    CHECK(firsts.size() == static_cast<size_t>((20 + b - 1) / b));
    for (size_t i = 0; i < firsts.size(); ++i) CHECK(firsts[i] == static_cast<int64_t>(i) * b);
    for (size_t i = 0; i < all.size(); ++i) require_same(got[i], all[i]);
  }
  GNNX_REQUIRE_ERROR("explain_stream: expected at least one target",
                     explain_stream(*explainer, *f.model, f.graph, {}, [](int64_t, std::vector<Explanation>&) {}));
  GNNX_REQUIRE_ERROR("explain_stream: batch_size must be >= 0",
                     explain_stream(
                         *explainer, *f.model, f.graph, f.targets, [](int64_t, std::vector<Explanation>&) {},
                         StreamOptions().batch_size(-1)));
}

TEST_CASE("stream_batch_size keeps a batch's masks under batch_bytes", "[explain][explanation_stream]") {
  // 4 (E + N + N F) bytes per target: 4 (1000 + 100 + 0) = 4400.
  CHECK(stream_batch_size(StreamOptions().batch_bytes(44000), 100, 1000, 0) == 10);
  CHECK(stream_batch_size(StreamOptions().batch_bytes(44000 - 1), 100, 1000, 0) == 9);
  CHECK(stream_batch_size(StreamOptions().batch_bytes(10), 100, 1000, 0) == 1);                  // at least one
  CHECK(stream_batch_size(StreamOptions().batch_bytes(int64_t{1} << 40), 100, 1000, 0) == 256);  // at most 256
  CHECK(stream_batch_size(StreamOptions().batch_size(5), 100, 1000, 0) == 5);
  // A 10^7-edge graph: the default 256 MiB holds 6 targets' masks.
  CHECK(stream_batch_size(StreamOptions(), 1000000, 10000000, 0) == 6);
}

TEST_CASE("explanation chunks: a run stopped part-way resumes to the uninterrupted result",
          "[explain][explanation_stream]") {
  StreamFixture f;
  auto explainer = make_explainer("saliency");
  const auto all = explainer->explain(*f.model, f.graph, f.targets);

  const auto whole = fresh_dir("whole");
  ExplanationChunks chunks(whole, f.manifest(/*chunk_size=*/6));
  REQUIRE(chunks.num_chunks() == 4);  // 6 + 6 + 6 + 2 targets
  CHECK(chunks.chunk_range(3) == std::make_pair(int64_t{18}, int64_t{20}));
  CHECK(chunks.pending() == std::vector<int64_t>{0, 1, 2, 3});
  explain_chunks(*explainer, *f.model, f.graph, chunks, StreamOptions().batch_size(4));
  CHECK(chunks.pending().empty());
  CHECK_FALSE(chunks.complete());
  chunks.finish();
  CHECK(chunks.complete());
  const auto back = load_explanation_chunks(whole);
  REQUIRE(back.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) require_same(back[i], all[i]);
  // Each chunk file is save_explanations' format.
  CHECK(load_explanations(chunks.chunk_path(1), f.graph.num_nodes, f.graph.num_edges()).front().target.index == 18);

  // Stopped after chunk 1 (chunks 0 and 1 written, a write of chunk 2 cut short), then reopened.
  const auto part = fresh_dir("part");
  auto stop_after_1 = [&](ExplanationChunks& c) {
    explain_chunks(*explainer, *f.model, f.graph, c, StreamOptions().batch_size(4), 0, 1,
                   [&](int64_t id, int64_t done) {
                     CHECK(done == 6 * (id + 1));
                     if (id == 1) {
                       std::ofstream(c.chunk_path(2) + ".tmp1234") << "half a chunk";
                       throw std::runtime_error("stopped");
                     }
                   });
  };
  {
    ExplanationChunks first(part, f.manifest(6));
    CHECK_THROWS_WITH(stop_after_1(first), "stopped");
    CHECK(first.pending() == std::vector<int64_t>{2, 3});
  }
  {
    ExplanationChunks resumed(part, f.manifest(6));
    CHECK_FALSE(fs::exists(resumed.chunk_path(2) + ".tmp1234"));
    std::vector<int64_t> written;
    explain_chunks(*explainer, *f.model, f.graph, resumed, {}, 0, 1,
                   [&](int64_t id, int64_t) { written.push_back(id); });
    CHECK(written == std::vector<int64_t>{2, 3});
  }
  ExplanationChunks again(part, f.manifest(6));
  CHECK(again.pending().empty());
  again.finish();
  for (const auto& entry : fs::directory_iterator(part))
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  for (int64_t c = 0; c < chunks.num_chunks(); ++c) {
    const auto a = load_explanations(chunks.chunk_path(c), f.graph.num_nodes, f.graph.num_edges());
    const auto b = load_explanations(again.chunk_path(c), f.graph.num_nodes, f.graph.num_edges());
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) require_same(a[i], b[i]);
  }
  fs::remove_all(whole);
  fs::remove_all(part);
}

TEST_CASE("explanation chunks: ranks share the chunks and together give one process's result",
          "[explain][explanation_stream]") {
  StreamFixture f;
  auto explainer = make_explainer("saliency");
  const auto all = explainer->explain(*f.model, f.graph, f.targets);
  const auto dir = fresh_dir("ranks");
  ExplanationChunks rank0(dir, f.manifest(/*chunk_size=*/4));  // 5 chunks
  ExplanationChunks rank1(dir, f.manifest(4), /*create=*/false);
  CHECK(rank0.pending(0, 2) == std::vector<int64_t>{0, 2, 4});
  CHECK(rank1.pending(1, 2) == std::vector<int64_t>{1, 3});
  explain_chunks(*explainer, *f.model, f.graph, rank1, {}, /*rank=*/1, /*num_ranks=*/2);
  CHECK_FALSE(rank0.done(0));
  CHECK(rank0.done(1));
  GNNX_REQUIRE_ERROR("misses chunk 0", rank0.finish());
  explain_chunks(*explainer, *f.model, f.graph, rank0, {}, /*rank=*/0, /*num_ranks=*/2);
  rank0.finish();
  const auto back = load_explanation_chunks(dir);
  REQUIRE(back.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) require_same(back[i], all[i]);
  GNNX_REQUIRE_ERROR("rank 2 is outside [0, 2)", rank0.pending(2, 2));
  fs::remove_all(dir);
}

TEST_CASE("explanation chunks: a directory of other inputs is not resumed", "[explain][explanation_stream]") {
  StreamFixture f;
  const auto dir = fresh_dir("inputs");
  ExplanationChunks(dir, f.manifest(6, R"({"method": "saliency", "seed": 0})"));
  GNNX_REQUIRE_ERROR(
      "holds the explanations of other inputs, so this run cannot resume it: inputs.seed (this run: 1, "
      "the directory's: 0)",
      ExplanationChunks(dir, f.manifest(6, R"({"method": "saliency", "seed": 1})")));
  GNNX_REQUIRE_ERROR("chunk_size (this run: 5, the directory's: 6)",
                     ExplanationChunks(dir, f.manifest(5, R"({"method": "saliency", "seed": 0})")));
  auto other = f.manifest(6, R"({"method": "saliency", "seed": 0})");
  other.targets.back() = Target::node(1);
  GNNX_REQUIRE_ERROR("targets_sha256", ExplanationChunks(dir, other));
  GNNX_REQUIRE_ERROR("inputs must be JSON text", ExplanationChunks(fresh_dir("bad_json"), f.manifest(6, "seed=0")));
  // Not complete: nothing to read back yet.
  GNNX_REQUIRE_ERROR("is not complete", load_explanation_chunks(dir));
  // A folder holding something else is not taken over.
  const auto busy = fresh_dir("busy");
  fs::create_directories(busy);
  std::ofstream(busy + "/notes.txt") << "mine";
  GNNX_REQUIRE_ERROR("is not empty and holds no manifest", ExplanationChunks(busy, f.manifest(6)));
  GNNX_REQUIRE_ERROR("holds no manifest.json", ExplanationChunks(fresh_dir("none"), f.manifest(6), false));
  // A chunk of the wrong targets is refused.
  ExplanationChunks chunks(dir, f.manifest(6, R"({"method": "saliency", "seed": 0})"));
  auto explainer = make_explainer("saliency");
  auto wrong = explainer->explain(*f.model, f.graph,
                                  std::vector<Target>(f.targets.begin() + 6, f.targets.begin() + 12));
  std::vector<Explanation> compact;
  for (const auto& e : wrong) compact.push_back(compact_explanation(e, f.graph.num_nodes, f.graph.num_edges()));
  GNNX_REQUIRE_ERROR("chunk 0 explanation 0 is of node 18", chunks.write(0, compact));
  GNNX_REQUIRE_ERROR("chunk 0 holds 6 targets, got 5", chunks.write(0, {compact.begin(), compact.end() - 1}));
  fs::remove_all(dir);
  fs::remove_all(busy);
}

TEST_CASE("explain_compact gives explain()'s masks on the computation subgraph's rows",
          "[explain][explanation_stream]") {
  StreamFixture f;
  const std::vector<Target> some(f.targets.begin(), f.targets.begin() + 5);
  // Overridden (saliency's joint pass, occlusion's separate passes, GNNExplainer) and the default (grad).
  for (const std::string method : {"saliency", "occlusion", "gnnexplainer", "grad"}) {
    INFO(method);
    auto explainer = make_explainer(method, method == "gnnexplainer" ? OptionMap{{"epochs", "20"}} : OptionMap{});
    const auto full = explainer->explain(*f.model, f.graph, some);
    const auto compact = explainer->explain_compact(*f.model, f.graph, some);
    REQUIRE(compact.size() == full.size());
    for (size_t i = 0; i < full.size(); ++i) {
      const auto want = compact_explanation(full[i], f.graph.num_nodes, f.graph.num_edges());
      const auto& got = compact[i];
      CHECK(got.target.index == want.target.index);
      CHECK(got.target.label == want.target.label);
      REQUIRE(torch::equal(got.edge_ids, want.edge_ids));
      REQUIRE(torch::equal(got.node_ids, want.node_ids));
      CHECK(got.edge_mask.numel() == got.edge_ids.numel());  // no [E] mask
      GNNX_REQUIRE_CLOSE(got.edge_mask, want.edge_mask, /*rtol=*/0, /*atol=*/0);
      GNNX_REQUIRE_CLOSE(got.node_mask, want.node_mask, /*rtol=*/0, /*atol=*/0);
      REQUIRE(got.feature_mask.defined() == want.feature_mask.defined());
      if (want.feature_mask.defined()) GNNX_REQUIRE_CLOSE(got.feature_mask, want.feature_mask, 0, 0);
      // And back to full-graph ids: explain()'s masks.
      const auto back = expand_explanation(got, f.graph.num_nodes, f.graph.num_edges());
      GNNX_REQUIRE_CLOSE(back.edge_mask, full[i].edge_mask, 0, 0);
      GNNX_REQUIRE_CLOSE(back.node_mask, full[i].node_mask, 0, 0);
      if (want.feature_mask.defined()) GNNX_REQUIRE_CLOSE(back.feature_mask, full[i].feature_mask, 0, 0);
    }
  }
  auto bad = compact_explanation(make_explainer("saliency")->explain(*f.model, f.graph, some).front(),
                                 f.graph.num_nodes, f.graph.num_edges());
  bad.edge_mask = bad.edge_mask.narrow(0, 0, 1);
  GNNX_REQUIRE_ERROR("expand_explanation (node 0 (class ",
                     expand_explanation(bad, f.graph.num_nodes, f.graph.num_edges()));
}

TEST_CASE("compact streams: batches sized by the targets' computation subgraphs", "[explain][explanation_stream]") {
  StreamFixture f;
  std::vector<int64_t> ids;
  for (const auto& t : f.targets) ids.push_back(t.index);
  const int64_t reach = f.model->receptive_field();
  const auto sizes = k_hop_sizes(f.graph, ids, reach);
  const auto subs = k_hop_subgraphs(f.graph, ids, reach);
  std::vector<int64_t> cost;
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK(sizes[i].first == subs[i].graph.num_nodes);
    CHECK(sizes[i].second == subs[i].graph.num_edges());
    cost.push_back(compact_target_bytes(sizes[i].first, sizes[i].second, 4));
  }
  // A budget that the first three targets just fill.
  const int64_t budget = cost[0] + cost[1] + cost[2];
  const auto opts = StreamOptions().compact(true).batch_bytes(budget);
  const auto batches = stream_batches(opts, *f.model, f.graph, f.targets);
  REQUIRE(batches.front() == 3);
  int64_t first = 0;
  for (const int64_t b : batches) {
    int64_t bytes = 0;
    for (int64_t i = first; i < first + b; ++i) bytes += cost[static_cast<size_t>(i)];
    CHECK((b == 1 || bytes <= budget));
    first += b;
  }
  CHECK(first == 20);
  CHECK(stream_batches(StreamOptions().compact(true).batch_size(7), *f.model, f.graph, f.targets) ==
        std::vector<int64_t>{7, 7, 6});
  CHECK(stream_batches(StreamOptions().compact(true).batch_bytes(1), *f.model, f.graph, f.targets) ==
        std::vector<int64_t>(20, 1));
  // The batches hold compact explanations, the same as one call's.
  auto explainer = make_explainer("saliency");
  const auto all = explainer->explain(*f.model, f.graph, f.targets);
  std::vector<Explanation> got;
  explain_stream(
      *explainer, *f.model, f.graph, f.targets,
      [&](int64_t, std::vector<Explanation>& batch) {
        for (auto& e : batch) got.push_back(std::move(e));
      },
      opts);
  REQUIRE(got.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(got[i].edge_mask.numel() == got[i].edge_ids.numel());
    require_same(expand_explanation(got[i], f.graph.num_nodes, f.graph.num_edges()), all[i]);
  }
  // Each explainer is charged its own cost per target: saliency holds its batch's subgraphs and
  // masks, not an optimisation over the whole batch, so the same budget takes more targets.
  CHECK(explainer->compact_target_cost(10, 100, 4) == 64 * 100 + (32 + 8 * 4) * 10);
  CHECK(make_explainer("gnnexplainer")->compact_target_cost(10, 100, 4) == compact_target_bytes(10, 100, 4));
  const auto saliency_batches = stream_batches(opts, *explainer, *f.model, f.graph, f.targets);
  CHECK(saliency_batches.front() > 3);
  std::vector<int64_t> made;
  explain_stream(
      *explainer, *f.model, f.graph, f.targets,
      [&](int64_t, std::vector<Explanation>& batch) { made.push_back(static_cast<int64_t>(batch.size())); }, opts);
  CHECK(made == saliency_batches);
  GNNX_REQUIRE_ERROR("saliency: compact_target_cost expects sizes >= 0", explainer->compact_target_cost(0, -1, 0));
  GNNX_REQUIRE_ERROR("compact_target_bytes: expected sizes >= 0", compact_target_bytes(-1, 0, 0));
  GNNX_REQUIRE_ERROR("explain_stream: batch_size must be >= 0",
                     stream_batches(StreamOptions().compact(true).batch_size(-1), *f.model, f.graph, f.targets));
  // A target outside the graph is the explainer's to refuse, with its own message.
  GNNX_REQUIRE_ERROR("saliency: expected node targets in [0, 60), got node 60",
                     explain_stream(
                         *explainer, *f.model, f.graph, {Target::node(0), Target::node(60)},
                         [](int64_t, std::vector<Explanation>&) {}, StreamOptions().compact(true)));
}

TEST_CASE("WorkEstimate spreads a list's work by the targets' subgraph sizes", "[explain][explanation_stream]") {
  StreamFixture f;
  auto saliency = make_explainer("saliency");
  std::vector<int64_t> ids;
  for (const auto& t : f.targets) ids.push_back(t.index);
  const auto sizes = k_hop_sizes(f.graph, ids, f.model->receptive_field());
  std::vector<double> cost;
  double total = 0;
  for (const auto& [nodes, edges] : sizes) {
    cost.push_back(static_cast<double>(saliency->compact_target_cost(nodes, edges, 4)));
    total += cost.back();
  }
  // Every target sampled: the share is the cost of the targets done over the whole list's.
  const WorkEstimate every(*saliency, *f.model, f.graph, f.targets, 20);
  double done = 0;
  for (int64_t k = 0; k <= 20; ++k) {
    CHECK(every.fraction(k) == Approx(done / total).margin(1e-12));
    if (k < 20) done += cost[static_cast<size_t>(k)];
  }
  // Sampled: 0 and 1 at the ends, never decreasing, and linear within a sample's block. Blocks of
  // 4 targets, each measured at its middle (the second of the four).
  const WorkEstimate sampled(*saliency, *f.model, f.graph, f.targets, 6);
  CHECK(sampled.fraction(0) == 0.0);
  CHECK(sampled.fraction(20) == 1.0);
  for (int64_t k = 1; k <= 20; ++k) CHECK(sampled.fraction(k) >= sampled.fraction(k - 1));
  CHECK(sampled.fraction(4) == Approx(cost[1] / (cost[1] + cost[5] + cost[9] + cost[13] + cost[17])));
  CHECK(sampled.fraction(2) == Approx(sampled.fraction(4) / 2));
  // A hub first: its work is far more than its count's share, so a run that starts with it does
  // not extrapolate its rate to the rest.
  // Node 0 is the centre of a 20-leaf star; nodes 21..59 make a path.
  std::vector<std::pair<int64_t, int64_t>> star_and_path;
  for (int64_t v = 1; v <= 20; ++v) star_and_path.emplace_back(0, v);
  for (int64_t v = 21; v < 59; ++v) star_and_path.emplace_back(v, v + 1);
  const Graph g(undirected_edge_index(star_and_path), 60, torch::randn({60, 4}, torch_generator(6)));
  std::vector<Target> hub_first{Target::node(0)};
  for (int64_t v = 21; v < 60; ++v) hub_first.push_back(Target::node(v));
  const WorkEstimate skewed(*saliency, *f.model, g, hub_first);
  CHECK(skewed.fraction(1) > 3.0 / 40);
  GNNX_REQUIRE_ERROR("WorkEstimate: expected at least one target, got an empty list",
                     WorkEstimate(*saliency, *f.model, f.graph, {}));
  GNNX_REQUIRE_ERROR("WorkEstimate: samples must be >= 1, got 0",
                     WorkEstimate(*saliency, *f.model, f.graph, f.targets, 0));
  GNNX_REQUIRE_ERROR("WorkEstimate: expected done in [0, 20], got 21", sampled.fraction(21));
  GNNX_REQUIRE_ERROR("WorkEstimate: expected done in [0, 20], got -1", sampled.fraction(-1));
}

TEST_CASE("keep_top keeps the highest-scoring edges and nodes, ties to the lower id", "[explain][explanation_stream]") {
  Explanation c;
  c.target = Target::node(3, 1);
  c.edge_ids = torch::tensor({2, 5, 7, 9}, torch::kLong);
  c.edge_mask = torch::tensor({0.5f, 0.9f, 0.5f, 0.1f});
  c.node_ids = torch::tensor({1, 3, 4}, torch::kLong);
  c.node_mask = torch::tensor({0.2f, 0.2f, 0.7f});
  c.feature_mask = torch::tensor({1.f, 1.f, 2.f, 2.f, 3.f, 3.f}).view({3, 2});
  const auto top = keep_top(c, 2);
  CHECK(torch::equal(top.edge_ids, torch::tensor({2, 5}, torch::kLong)));
  CHECK(torch::equal(top.edge_mask, torch::tensor({0.5f, 0.9f})));
  CHECK(torch::equal(top.node_ids, torch::tensor({1, 4}, torch::kLong)));
  CHECK(torch::equal(top.node_mask, torch::tensor({0.2f, 0.7f})));
  CHECK(torch::equal(top.feature_mask, torch::tensor({1.f, 1.f, 3.f, 3.f}).view({2, 2})));
  for (int64_t k : {0, 4, 10}) {
    const auto same = keep_top(c, k);
    CHECK(torch::equal(same.edge_ids, c.edge_ids));
    CHECK(torch::equal(same.node_ids, c.node_ids));
  }
  GNNX_REQUIRE_ERROR("keep_top (node 3 (class 1)): k must be >= 0", keep_top(c, -1));
  c.edge_mask = c.edge_mask.narrow(0, 0, 3);
  GNNX_REQUIRE_ERROR("a compact edge_mask must have shape [4]", keep_top(c, 2));
}

TEST_CASE("explanation chunks keep each explanation's top entries, and a run of another keep_top is not resumed",
          "[explain][explanation_stream]") {
  StreamFixture f;
  auto explainer = make_explainer("saliency");
  const auto all = explainer->explain(*f.model, f.graph, f.targets);
  const auto dir = fresh_dir("keep_top");
  auto m = f.manifest(/*chunk_size=*/8);
  m.keep_top = 5;
  ExplanationChunks chunks(dir, m);
  explain_chunks(*explainer, *f.model, f.graph, chunks);
  chunks.finish();
  const auto back = load_explanation_chunks(dir);
  REQUIRE(back.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const auto want = keep_top(compact_explanation(all[i], f.graph.num_nodes, f.graph.num_edges()), 5);
    CHECK(back[i].edge_ids.numel() <= 5);
    require_same(back[i], expand_explanation(want, f.graph.num_nodes, f.graph.num_edges()));
  }
  m.keep_top = 6;
  GNNX_REQUIRE_ERROR("keep_top (this run: 6, the directory's: 5)", ExplanationChunks(dir, m));
  m.keep_top = 0;
  GNNX_REQUIRE_ERROR("keep_top (this run: none, the directory's: 5)", ExplanationChunks(dir, m));
  m.keep_top = -1;
  GNNX_REQUIRE_ERROR("keep_top must be >= 0", ExplanationChunks(fresh_dir("keep_top_bad"), m));
  fs::remove_all(dir);
}
