#pragma once
// Small graphs and GNNClassifiers for the GNN-LRP tests: a 6-node graph and seeded double-precision models.
#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "gnnx/graph/graph.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/models/gnn.h"

namespace gnn_lrp_fixtures {

// A triangle with a tail and a pendant: 0-1, 1-2, 2-0, 2-3, 3-4, 4-5, 3-5.
inline gnnx::Graph tiny_graph(bool weighted = false) {
  auto ei = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 5}, {3, 5}});
  torch::manual_seed(11);
  auto x = torch::rand({6, 3}, torch::kDouble) + 0.1;
  at::Tensor w;
  if (weighted) w = torch::rand({ei.size(1)}, torch::kDouble) + 0.5;
  return gnnx::Graph(ei, 6, x, w);
}

inline gnnx::nn::GNNClassifier tiny_model(gnnx::nn::ConvType conv, gnnx::nn::Task task, bool concat, int64_t layers = 3,
                                          uint64_t seed = 1, bool random_bias = true) {
  torch::manual_seed(seed);
  gnnx::nn::GNNClassifier m(
      gnnx::nn::GNNClassifierOptions(3, 2).conv(conv).task(task).hidden_channels(4).num_layers(layers).concat(concat));
  m->to(torch::kDouble);
  m->eval();
  torch::NoGradGuard no_grad;
  for (auto& p : m->named_parameters()) {
    if (p.key().find("bias") != std::string::npos) {
      if (random_bias)
        p.value().copy_(torch::randn(p.value().sizes(), torch::kDouble) * 0.2);
      else
        p.value().zero_();
    }
  }
  return m;
}

inline const char* conv_name(gnnx::nn::ConvType c) { return gnnx::nn::to_string(c); }

}  // namespace gnn_lrp_fixtures
