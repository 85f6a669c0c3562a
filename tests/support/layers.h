#pragma once
// Every message-passing layer configuration gnnx ships, behind one call signature, so that the
// property tests (gradients, permutation equivariance, edge mask) run over all of them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/conv/sage_conv.h"

namespace gnnx::test {

struct LayerCase {
  std::string name;
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)> forward;
};

template <typename Holder>
LayerCase make_case(std::string name, Holder layer, torch::Dtype dtype) {
  layer->to(dtype);
  auto impl = layer.ptr();
  return {std::move(name), impl, [impl](const torch::Tensor& x, const torch::Tensor& ei, const torch::Tensor& ew) {
            return impl->forward(x, ei, ew);
          }};
}

/// All layer types and their aggregation / head variants, with seeded parameters.
inline std::vector<LayerCase> all_layers(int64_t in, int64_t out, torch::Dtype dtype = torch::kDouble) {
  using namespace gnnx::nn;
  torch::manual_seed(42);
  std::vector<LayerCase> v;
  v.push_back(make_case("GCNConv", GCNConv(GCNConvOptions(in, out)), dtype));
  v.push_back(make_case("GCNConv(no self loops)", GCNConv(GCNConvOptions(in, out).add_self_loops(false)), dtype));
  v.push_back(make_case("GCNConv(unnormalised)", GCNConv(GCNConvOptions(in, out).normalize(false)), dtype));
  v.push_back(make_case("GraphConv(sum)", GraphConv(GraphConvOptions(in, out)), dtype));
  v.push_back(make_case("GraphConv(mean)", GraphConv(GraphConvOptions(in, out).aggr(Aggregation::kMean)), dtype));
  v.push_back(make_case("GraphConv(max)", GraphConv(GraphConvOptions(in, out).aggr(Aggregation::kMax)), dtype));
  v.push_back(
      make_case("GINConv", GINConv(GINConvOptions(in, out).hidden_channels(5).train_eps(true).eps(0.3)), dtype));
  v.push_back(make_case("SAGEConv(mean)", SAGEConv(SAGEConvOptions(in, out)), dtype));
  v.push_back(make_case("SAGEConv(sum, normalize)",
                        SAGEConv(SAGEConvOptions(in, out).aggr(Aggregation::kSum).normalize(true)), dtype));
  v.push_back(make_case("SAGEConv(max)", SAGEConv(SAGEConvOptions(in, out).aggr(Aggregation::kMax)), dtype));
  v.push_back(make_case("GATConv(2 heads, concat)", GATConv(GATConvOptions(in, out).heads(2)), dtype));
  v.push_back(make_case("GATConv(3 heads, mean)", GATConv(GATConvOptions(in, out).heads(3).concat(false)), dtype));
  v.push_back(make_case("GATConv(no self loops)", GATConv(GATConvOptions(in, out).add_self_loops(false)), dtype));
  return v;
}

/// A small directed graph with a reciprocal pair, an input self loop (3 -> 3, edge 8), a node
/// with no in-edges (6 has none; 5 has one) and an isolated node (6): N = 7, E = 12.
inline torch::Tensor small_edge_index() {
  return torch::tensor({0, 1, 1, 2, 2, 3, 0, 4, 3, 5, 1, 2,  //
                        1, 0, 2, 1, 3, 0, 3, 2, 3, 4, 5, 0},
                       torch::kLong)
      .view({2, 12});
}
constexpr int64_t kSmallNodes = 7;

}  // namespace gnnx::test
