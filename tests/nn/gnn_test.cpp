// The GnnClassifier: gradients, equivariance, the edge mask through a whole model, validation,
// and save / load.
#include "gnnx/nn/models/gnn.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

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
torch::TensorOptions f64() { return torch::TensorOptions().dtype(torch::kDouble); }

const std::vector<ConvType> kAllConvs{ConvType::kGCN, ConvType::kGraphConv, ConvType::kGIN, ConvType::kSAGE, ConvType::kGAT};

GnnClassifier make_model(ConvType conv, Task task, torch::Dtype dtype = torch::kDouble, Aggregation readout = Aggregation::kMean) {
  torch::manual_seed(7);
  GnnClassifier m(GnnClassifierOptions(3, 2).conv(conv).task(task).hidden_channels(4).num_layers(2).heads(2).readout(readout));
  m->to(dtype);
  m->eval();
  return m;
}

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + ".pt")).string();
}
}  // namespace

TEST_CASE("GnnClassifier gradients match finite differences for every layer type and both tasks", "[nn]") {
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

TEST_CASE("GnnClassifier is permutation-equivariant (node task) and invariant (graph task)", "[nn]") {
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
    GNNX_REQUIRE_CLOSE(node->forward(x.index_select(0, p), ei_p), node->forward(x, ei).index_select(0, p), 1e-10, 1e-12);
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

TEST_CASE("GnnClassifier batches graphs: one forward equals separate forwards", "[nn]") {
  auto ei = small_edge_index();
  auto gen = gnnx::torch_generator(23);
  auto x1 = torch::randn({kSmallNodes, 3}, gen, f64()), x2 = torch::randn({kSmallNodes, 3}, gen, f64());
  auto model = make_model(ConvType::kGIN, Task::kGraph, torch::kDouble, Aggregation::kMax);
  auto both = model->forward(torch::cat({x1, x2}), torch::cat({ei, ei + kSmallNodes}, 1), {},
                             torch::cat({torch::zeros({kSmallNodes}, torch::kLong), torch::ones({kSmallNodes}, torch::kLong)}));
  REQUIRE(both.sizes() == torch::IntArrayRef({2, 2}));
  GNNX_REQUIRE_CLOSE(both[0], model->forward(x1, ei)[0], 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(both[1], model->forward(x2, ei)[0], 1e-12, 1e-12);
}

TEST_CASE("GnnClassifier rejects bad input and bad options with gnnx::Error", "[nn]") {
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3});
  auto model = make_model(ConvType::kGCN, Task::kNode, torch::kFloat);
  REQUIRE(model->forward(x, ei).sizes() == torch::IntArrayRef({kSmallNodes, 2}));
  GNNX_REQUIRE_ERROR("GnnClassifier: x must have shape [N, 3], got [7, 4]", model->forward(torch::randn({kSmallNodes, 4}), ei));
  GNNX_REQUIRE_ERROR("GnnClassifier: edge_index must be int64 of shape [2, E]", model->forward(x, ei.to(torch::kInt)));
  auto out_of_range = ei.clone();
  out_of_range[0][0] = 9;
  GNNX_REQUIRE_ERROR("GCNConv: edge_index holds node id 9 outside [0, 7)", model->forward(x, out_of_range));
  {
    EdgeMaskScope scope(torch::ones({13}));
    GNNX_REQUIRE_ERROR("GCNConv: the active edge mask has 13 entries but the layer's input has 12 edges", model->forward(x, ei));
  }
  auto graph = make_model(ConvType::kGCN, Task::kGraph, torch::kFloat);
  GNNX_REQUIRE_ERROR("GnnClassifier: batch must be int64 of shape [7], got [6]",
                     graph->forward(x, ei, {}, torch::zeros({6}, torch::kLong)));
  GNNX_REQUIRE_ERROR("GnnClassifier: hidden_channels (20) must be a multiple of heads (3)",
                     GnnClassifier(GnnClassifierOptions(3, 2).conv(ConvType::kGAT).heads(3)));
  GNNX_REQUIRE_ERROR("GnnClassifier: num_layers must be positive, got 0", GnnClassifier(GnnClassifierOptions(3, 2).num_layers(0)));
  GNNX_REQUIRE_ERROR("conv type: expected gcn, graphconv, gin, sage or gat, got \"gcnn\"", conv_type_from_string("gcnn"));
  GNNX_REQUIRE_ERROR("task: expected \"node\" or \"graph\", got \"edge\"", task_from_string("edge"));
  Graph empty(torch::zeros({2, 0}, torch::kLong), 0, torch::zeros({0, 3}));
  GNNX_REQUIRE_ERROR("GnnModel::forward_graph: expected a non-empty graph", model->forward_graph(empty));
}

TEST_CASE("normalize_embedding L2-normalises each layer before its ReLU, root_weight off drops W_root", "[nn]") {
  auto ei = small_edge_index();
  torch::manual_seed(2);
  auto x = torch::randn({kSmallNodes, 3}, f64());
  torch::manual_seed(9);
  GnnClassifier model(GnnClassifierOptions(3, 2).conv(ConvType::kGraphConv).hidden_channels(5).num_layers(3).normalize_embedding(true).root_weight(false));
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
    GnnClassifier model(GnnClassifierOptions(3, 4).conv(conv).task(Task::kGraph).readout(Aggregation::kSum).heads(2));
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
  GnnClassifier model(GnnClassifierOptions(3, 4));
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
