// A program that uses gnnx the way a user would: through find_package(gnnx) (consumer/) or
// add_subdirectory (subdirectory/).
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  auto ei = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {2, 3}});
  gnnx::Graph g(ei, 4, torch::ones({4, 3}));
  gnnx::nn::GCNConv conv(gnnx::nn::GCNConvOptions(3, 2));
  auto out = conv->forward(g.x, g.edge_index);
  if (out.sizes() != torch::IntArrayRef({4, 2})) return 1;
  std::cout << "consumer ok, gnnx " << gnnx::version() << "\n";
  return 0;
}
