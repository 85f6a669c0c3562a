// The GNNClassifier: gradients, equivariance, the edge mask through a whole model, validation,
// and save / load.
#include "gnnx/nn/models/gnn.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/gradcheck.h"
#include "support/layers.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;
using gnnx::test::kSmallNodes;
using gnnx::test::small_edge_index;

namespace {
using gnnx::test::f64;

const std::vector<ConvType> kAllConvs{ConvType::kGCN, ConvType::kGraphConv, ConvType::kGIN, ConvType::kSAGE,
                                      ConvType::kGAT};

GNNClassifier make_model(ConvType conv, Task task, torch::Dtype dtype = torch::kDouble,
                         Aggregation readout = Aggregation::kMean) {
  torch::manual_seed(7);
  GNNClassifier m(
      GNNClassifierOptions(3, 2).conv(conv).task(task).hidden_channels(4).num_layers(2).heads(2).readout(readout));
  m->to(dtype);
  m->eval();
  return m;
}

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + ".pt")).string();
}
}  // namespace

TEST_CASE("GNNClassifier gradients match finite differences for every layer type and both tasks", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(21);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto mask = torch::rand({E}, gen, f64()) + 0.5;
  for (auto conv : kAllConvs) {
    for (auto task : {Task::kNode, Task::kGraph}) {
      INFO(to_string(conv) << " " << to_string(task));
      auto model = make_model(conv, task);
      auto f = [&](const std::vector<torch::Tensor>& in) {
        EdgeMaskScope scope(in[2]);
        return model->forward(in[0], ei, in[1]);
      };
      GNNX_REQUIRE_GRADCHECK(f, (std::vector<torch::Tensor>{x, w, mask}));
    }
  }
}

TEST_CASE("GNNClassifier is permutation-equivariant (node task) and invariant (graph task)", "[nn]") {
  auto ei = small_edge_index();
  const int64_t N = kSmallNodes, E = ei.size(1);
  auto gen = gnnx::torch_generator(22);
  auto x = torch::randn({N, 3}, gen, f64());
  auto p = torch::randperm(N, gen, torch::kLong);
  auto inv = torch::empty_like(p).index_put_({p}, torch::arange(N, torch::kLong));
  auto q = torch::randperm(E, gen, torch::kLong);
  auto ei_p = inv.index_select(0, ei.flatten()).view({2, E}).index_select(1, q);
  for (auto conv : kAllConvs) {
    INFO(to_string(conv));
    auto node = make_model(conv, Task::kNode);
    GNNX_REQUIRE_CLOSE(node->forward(x.index_select(0, p), ei_p), node->forward(x, ei).index_select(0, p), 1e-10,
                       1e-12);
    for (auto readout : {Aggregation::kSum, Aggregation::kMean, Aggregation::kMax}) {
      auto graph = make_model(conv, Task::kGraph, torch::kDouble, readout);
      GNNX_REQUIRE_CLOSE(graph->forward(x.index_select(0, p), ei_p), graph->forward(x, ei), 1e-10, 1e-12);
    }
  }
}

TEST_CASE("edge mask through a whole classifier: ones change nothing, zeros delete edges", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto x = torch::randn({kSmallNodes, 3}, torch::TensorOptions().dtype(torch::kDouble));
  auto mask = torch::ones({E}, f64());
  mask[0] = 0;
  mask[8] = 0;
  auto keep = torch::nonzero(mask).flatten();
  for (auto conv : kAllConvs) {
    for (auto task : {Task::kNode, Task::kGraph}) {
      INFO(to_string(conv) << " " << to_string(task));
      auto model = make_model(conv, task);
      auto base = model->forward(x, ei);
      {
        EdgeMaskScope scope(torch::ones({E}, f64()));
        GNNX_REQUIRE_CLOSE(model->forward(x, ei), base, 1e-12, 1e-12);
      }
      torch::Tensor masked;
      {
        EdgeMaskScope scope(mask);
        masked = model->forward(x, ei);
      }
      GNNX_REQUIRE_CLOSE(masked, model->forward(x, ei.index_select(1, keep)), 1e-12, 1e-12);
    }
  }
}

TEST_CASE("GNNClassifier batches graphs: one forward equals separate forwards", "[nn]") {
  auto ei = small_edge_index();
  auto gen = gnnx::torch_generator(23);
  auto x1 = torch::randn({kSmallNodes, 3}, gen, f64()), x2 = torch::randn({kSmallNodes, 3}, gen, f64());
  auto model = make_model(ConvType::kGIN, Task::kGraph, torch::kDouble, Aggregation::kMax);
  auto both =
      model->forward(torch::cat({x1, x2}), torch::cat({ei, ei + kSmallNodes}, 1), {},
                     torch::cat({torch::zeros({kSmallNodes}, torch::kLong), torch::ones({kSmallNodes}, torch::kLong)}));
  REQUIRE(both.sizes() == torch::IntArrayRef({2, 2}));
  GNNX_REQUIRE_CLOSE(both[0], model->forward(x1, ei)[0], 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(both[1], model->forward(x2, ei)[0], 1e-12, 1e-12);
}

TEST_CASE("GNNClassifier rejects bad input and bad options with gnnx::Error", "[nn]") {
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3});
  auto model = make_model(ConvType::kGCN, Task::kNode, torch::kFloat);
  REQUIRE(model->forward(x, ei).sizes() == torch::IntArrayRef({kSmallNodes, 2}));
  GNNX_REQUIRE_ERROR("GNNClassifier: x must have shape [N, 3], got [7, 4]",
                     model->forward(torch::randn({kSmallNodes, 4}), ei));
  GNNX_REQUIRE_ERROR("GNNClassifier: edge_index must be int64 of shape [2, E]", model->forward(x, ei.to(torch::kInt)));
  auto out_of_range = ei.clone();
  out_of_range[0][0] = 9;
  GNNX_REQUIRE_ERROR("GCNConv: edge_index holds node id 9 outside [0, 7)", model->forward(x, out_of_range));
  {
    EdgeMaskScope scope(torch::ones({13}));
    GNNX_REQUIRE_ERROR("GCNConv: the active edge mask has 13 entries but the layer's input has 12 edges",
                       model->forward(x, ei));
  }
  auto graph = make_model(ConvType::kGCN, Task::kGraph, torch::kFloat);
  GNNX_REQUIRE_ERROR("GNNClassifier: batch must be int64 of shape [7], got [6]",
                     graph->forward(x, ei, {}, torch::zeros({6}, torch::kLong)));
  GNNX_REQUIRE_ERROR("GNNClassifier: hidden_channels (20) must be a multiple of heads (3)",
                     GNNClassifier(GNNClassifierOptions(3, 2).conv(ConvType::kGAT).heads(3)));
  GNNX_REQUIRE_ERROR("GNNClassifier: num_layers must be positive, got 0",
                     GNNClassifier(GNNClassifierOptions(3, 2).num_layers(0)));
  GNNX_REQUIRE_ERROR("conv type: expected one of gcn, graphconv, gin, sage, gat, got \"gcnn\"",
                     gnnx::from_name<gnnx::nn::ConvType>("gcnn"));
  GNNX_REQUIRE_ERROR("task: expected one of node, graph, link, got \"edge\"", gnnx::from_name<gnnx::nn::Task>("edge"));
  Graph empty(torch::zeros({2, 0}, torch::kLong), 0, torch::zeros({0, 3}));
  GNNX_REQUIRE_ERROR("GNNModel::forward_graph: expected a non-empty graph", model->forward_graph(empty));
}

TEST_CASE("normalize_embedding L2-normalises each layer before its ReLU, root_weight off drops W_root", "[nn]") {
  auto ei = small_edge_index();
  torch::manual_seed(2);
  auto x = torch::randn({kSmallNodes, 3}, f64());
  torch::manual_seed(9);
  GNNClassifier model(GNNClassifierOptions(3, 2)
                          .conv(ConvType::kGraphConv)
                          .hidden_channels(5)
                          .num_layers(3)
                          .normalize_embedding(true)
                          .root_weight(false));
  model->to(torch::kDouble);
  REQUIRE(model->named_parameters().find("conv0.lin_root.weight") == nullptr);
  // By hand: h' = act(normalize(W_rel A h + b)), A the unweighted sum over in-edges.
  auto A = torch::zeros({kSmallNodes, kSmallNodes}, f64());
  A.index_put_({ei[1], ei[0]}, torch::ones({ei.size(1)}, f64()), /*accumulate=*/true);
  auto emb = model->embeddings(x, ei);
  auto h = x;
  auto convs = model->message_passing_layers();
  for (size_t l = 0; l < convs.size(); ++l) {
    auto c = std::dynamic_pointer_cast<GraphConvImpl>(convs[l]);
    REQUIRE(c);
    auto z = A.matmul(h).matmul(c->lin_rel->weight.t()) + c->lin_rel->bias;
    z = z / z.norm(2, 1, true).clamp_min(1e-12);
    h = l + 1 < convs.size() ? torch::relu(z) : z;
    GNNX_REQUIRE_CLOSE(emb[l], h, 1e-12, 1e-12);
  }
  REQUIRE(emb.back().norm(2, 1).sub(1).abs().max().item<double>() < 1e-12);
  // A common scale of every message leaves a bias-free normalised model unchanged.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().find("bias") != std::string::npos) p.value().zero_();
  }
  auto w = torch::full({ei.size(1)}, 0.3, f64());
  GNNX_REQUIRE_CLOSE(model->forward(x, ei, w), model->forward(x, ei), 1e-10, 1e-12);
  // Both options survive save / load.
  const auto path = temp_path("gnnx_model_normalized");
  save_gnn_classifier(model, path);
  auto loaded = load_gnn_classifier(path);
  std::filesystem::remove(path);
  REQUIRE(loaded->options.normalize_embedding());
  REQUIRE(!loaded->options.root_weight());
  REQUIRE(loaded->head->weight.scalar_type() == torch::kDouble);  // loaded in the saved dtype
  GNNX_REQUIRE_CLOSE(loaded->forward(x, ei), model->forward(x, ei), 1e-12, 1e-12);
}

TEST_CASE("save / load round trip gives the same outputs, truncated or garbage files throw", "[nn]") {
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3});
  for (auto conv : kAllConvs) {
    INFO(to_string(conv));
    torch::manual_seed(3);
    GNNClassifier model(GNNClassifierOptions(3, 4).conv(conv).task(Task::kGraph).readout(Aggregation::kSum).heads(2));
    model->eval();
    const auto path = temp_path("gnnx_model_" + std::string(to_string(conv)));
    save_gnn_classifier(model, path);
    auto loaded = load_gnn_classifier(path);
    REQUIRE(loaded->options.conv() == conv);
    REQUIRE(loaded->options.task() == Task::kGraph);
    REQUIRE(loaded->options.readout() == Aggregation::kSum);
    REQUIRE(torch::equal(loaded->forward(x, ei), model->forward(x, ei)));
    std::filesystem::remove(path);
  }
  torch::manual_seed(3);
  GNNClassifier model(GNNClassifierOptions(3, 4));
  const auto path = temp_path("gnnx_model_trunc");
  save_gnn_classifier(model, path);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  GNNX_REQUIRE_ERROR("load_gnn_classifier: " + path, load_gnn_classifier(path));
  {
    std::ofstream garbage(path, std::ios::binary | std::ios::trunc);
    garbage << "this is not a model file";
  }
  GNNX_REQUIRE_ERROR("load_gnn_classifier: " + path + " is not a readable model file", load_gnn_classifier(path));
  std::filesystem::remove(path);
  GNNX_REQUIRE_ERROR("load_gnn_classifier: no such file: " + path, load_gnn_classifier(path));
}

namespace {
// forward_trimmed's layout built by hand: one copy of the whole graph per target, nodes sorted by
// (hop to their copy's target, copy, id), edges into nodes fewer than L hops away sorted by (hop
// of their target, copy, id). orig_edge[i] is the graph edge the i-th kept edge copies.
struct TrimmedLayout {
  torch::Tensor node_order, edge_index, orig_edge;
  std::vector<int64_t> nodes_per_hop, edges_per_hop;
};

TrimmedLayout trimmed_layout(const torch::Tensor& ei, int64_t n, const std::vector<int64_t>& targets, int64_t L) {
  const int64_t E = ei.size(1), B = static_cast<int64_t>(targets.size());
  std::vector<int64_t> hop(static_cast<size_t>(B * n), L + 1);
  for (int64_t b = 0; b < B; ++b) {
    auto* h = hop.data() + b * n;
    h[targets[static_cast<size_t>(b)]] = 0;
    for (int64_t d = 1; d <= L; ++d)
      for (int64_t e = 0; e < E; ++e)
        if (h[ei[1][e].item<int64_t>()] == d - 1 && h[ei[0][e].item<int64_t>()] > d) h[ei[0][e].item<int64_t>()] = d;
  }
  TrimmedLayout t;
  std::vector<int64_t> order, pos(static_cast<size_t>(B * n));
  for (int64_t d = 0; d <= L + 1; ++d) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t v = 0; v < n; ++v)
        if (hop[static_cast<size_t>(b * n + v)] == d) {
          pos[static_cast<size_t>(b * n + v)] = static_cast<int64_t>(order.size());
          order.push_back(b * n + v);
        }
    if (d < L) t.nodes_per_hop.push_back(static_cast<int64_t>(order.size()));
  }
  std::vector<int64_t> src, dst, orig;
  for (int64_t d = 0; d < L; ++d) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t e = 0; e < E; ++e)
        if (hop[static_cast<size_t>(b * n + ei[1][e].item<int64_t>())] == d) {
          src.push_back(pos[static_cast<size_t>(b * n + ei[0][e].item<int64_t>())]);
          dst.push_back(pos[static_cast<size_t>(b * n + ei[1][e].item<int64_t>())]);
          orig.push_back(e);
        }
    t.edges_per_hop.push_back(static_cast<int64_t>(src.size()));
  }
  t.node_order = torch::tensor(order, torch::kLong);
  t.edge_index = torch::stack({torch::tensor(src, torch::kLong), torch::tensor(dst, torch::kLong)});
  t.orig_edge = torch::tensor(orig, torch::kLong);
  return t;
}
}  // namespace

TEST_CASE("forward_trimmed gives the targets' logits and mask gradients of the whole forward", "[nn]") {
  // A 12-node graph with a chain, so that 3 layers see nodes at every hop and some beyond.
  std::vector<std::pair<int64_t, int64_t>> pairs{{0, 1}, {1, 2}, {2, 3},  {3, 4},   {4, 5}, {5, 6}, {6, 7},
                                                 {7, 8}, {8, 9}, {9, 10}, {10, 11}, {1, 5}, {2, 9}, {0, 3}};
  std::vector<int64_t> s, d;
  for (auto [a, b] : pairs) {
    s.insert(s.end(), {a, b});
    d.insert(d.end(), {b, a});
  }
  auto ei = torch::stack({torch::tensor(s, torch::kLong), torch::tensor(d, torch::kLong)});
  const int64_t n = 12, E = ei.size(1);
  auto gen = gnnx::torch_generator(31);
  auto x = torch::randn({n, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  const std::vector<int64_t> targets{0, 6, 11, 6};
  for (auto conv : kAllConvs) {
    for (auto [weighted, placement] :
         {std::pair{false, MaskPlacement::kDeletion}, std::pair{true, MaskPlacement::kDeletion},
          std::pair{true, MaskPlacement::kMessage}}) {
      INFO(to_string(conv) << (weighted ? " weighted" : "") << ", mask on " << to_string(placement));
      torch::manual_seed(7);
      GNNClassifier model(GNNClassifierOptions(3, 2).conv(conv).hidden_channels(4).num_layers(3).heads(2));
      // GCN reads degrees one hop further: its layout is one hop deeper.
      const int64_t K = model->trimmed_hops();
      REQUIRE(K == (conv == ConvType::kGCN ? 4 : 3));
      const auto t = trimmed_layout(ei, n, targets, K);
      REQUIRE(t.edges_per_hop.back() < 4 * E);  // some edges dropped
      REQUIRE(t.nodes_per_hop.front() == 4);
      model->to(torch::kDouble);
      model->eval();
      auto ew = weighted ? w : torch::Tensor();
      auto m = (torch::rand({E}, gen, f64()) * 0.8 + 0.1).requires_grad_(true);
      torch::Tensor full;
      {
        EdgeMaskScope scope(m, placement);
        full = model->forward(x, ei, ew).index_select(0, torch::tensor(targets, torch::kLong));
      }
      auto coef = torch::randn({4, 2}, gen, f64());
      auto g_full = torch::autograd::grad({(full * coef).sum()}, {m})[0];
      auto m2 = m.detach().clone().requires_grad_(true);
      auto xs = torch::cat(std::vector<torch::Tensor>(targets.size(), x)).index_select(0, t.node_order);
      auto ws = weighted ? w.index_select(0, t.orig_edge) : torch::Tensor();
      torch::Tensor trimmed;
      {
        EdgeMaskScope scope(m2.index_select(0, t.orig_edge), placement);
        trimmed = model->forward_trimmed(xs, t.edge_index, ws, t.nodes_per_hop, t.edges_per_hop);
      }
      REQUIRE(trimmed.sizes() == full.sizes());
      GNNX_REQUIRE_CLOSE(trimmed, full, 1e-10, 1e-12);
      auto g_trim = torch::autograd::grad({(trimmed * coef).sum()}, {m2})[0];
      GNNX_REQUIRE_CLOSE(g_trim, g_full, 1e-10, 1e-12);
      // The GNNModel default (forward on everything, then the targets' rows) agrees too.
      {
        EdgeMaskScope scope(m.index_select(0, t.orig_edge), placement);
        GNNX_REQUIRE_CLOSE(model->GNNModel::forward_trimmed(xs, t.edge_index, ws, t.nodes_per_hop, t.edges_per_hop),
                           full, 1e-10, 1e-12);
      }
    }
  }
}

TEST_CASE("forward_trimmed rejects layouts that do not fit", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto x = torch::randn({kSmallNodes, 3}, f64());
  auto model = make_model(ConvType::kGraphConv, Task::kNode);  // 2 layers
  GNNX_REQUIRE_ERROR(
      "GNNModel::forward_trimmed: expected 2 node and edge counts (one per hop below trimmed_hops), got 1 and 2",
      model->forward_trimmed(x, ei, {}, {1}, {3, E}));
  GNNX_REQUIRE_ERROR("must be non-decreasing prefix sizes within [0, 7] nodes; hop 1 has 2 nodes and 12 edges",
                     model->forward_trimmed(x, ei, {}, {3, 2}, {1, E}));
  GNNX_REQUIRE_ERROR("within [0, 7] nodes; hop 1 has 8 nodes", model->forward_trimmed(x, ei, {}, {1, 8}, {3, E}));
  GNNX_REQUIRE_ERROR("GNNModel::forward_trimmed: edges_per_hop must end at E = 12, got 11",
                     model->forward_trimmed(x, ei, {}, {1, 3}, {3, 11}));
  {
    EdgeMaskScope scope(torch::ones({E + 1}, f64()));
    GNNX_REQUIRE_ERROR("GNNModel::forward_trimmed: the active edge mask has 13 entries for 12 edges",
                       model->forward_trimmed(x, ei, {}, {1, 3}, {3, E}));
  }
  auto graph = make_model(ConvType::kGraphConv, Task::kGraph);
  GNNX_REQUIRE_ERROR("GNNModel::forward_trimmed: only node classifiers run trimmed, this is a graph classifier",
                     graph->forward_trimmed(x, ei, {}, {1, 3}, {3, E}));
}

TEST_CASE("head_hidden puts a ReLU layer before the head, after the readout, and saves and loads", "[nn]") {
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3}, torch_generator(8));
  for (auto task : {Task::kNode, Task::kGraph}) {
    INFO(to_string(task));
    torch::manual_seed(4);
    GNNClassifier model(GNNClassifierOptions(3, 2).task(task).head_hidden(5).readout(Aggregation::kMean));
    model->eval();
    REQUIRE(model->head_mlp);
    CHECK(model->head_mlp->weight.sizes() == at::IntArrayRef{5, 60});
    CHECK(model->head->weight.sizes() == at::IntArrayRef{2, 5});
    torch::NoGradGuard ng;
    auto rep = model->node_representation(model->embeddings(x, ei));
    if (task == Task::kGraph) rep = rep.mean(0, /*keepdim=*/true);
    auto expected = model->head(torch::relu(model->head_mlp(rep)));
    auto out = model->forward(x, ei);
    GNNX_REQUIRE_CLOSE(out, expected, 1e-6, 1e-6);
    const auto path = temp_path("gnnx_model_head_hidden");
    save_gnn_classifier(model, path);
    auto loaded = load_gnn_classifier(path);
    CHECK(loaded->options.head_hidden() == 5);
    REQUIRE(torch::equal(loaded->forward(x, ei), out));
    std::filesystem::remove(path);
  }
  GNNX_REQUIRE_ERROR("head_hidden must be >= 0", GNNClassifier(GNNClassifierOptions(3, 2).head_hidden(-1)));
  GNNX_REQUIRE_ERROR("conv_to_out has none",
                     GNNClassifier(GNNClassifierOptions(3, 2).head_hidden(4).conv_to_out(true).concat(false)));
}
