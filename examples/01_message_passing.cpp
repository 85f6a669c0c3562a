// 01: build a graph, run message-passing layers, and mask an edge.
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  torch::manual_seed(0);
  // A 4-cycle with a chord; both directions of every edge are stored.
  auto edge_index = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 2}});
  gnnx::Graph graph(edge_index, /*num_nodes=*/4, torch::randn({4, 8}));

  gnnx::nn::GCNConv gcn(gnnx::nn::GCNConvOptions(8, 16));
  gnnx::nn::GATConv gat(gnnx::nn::GATConvOptions(16, 4).heads(2));
  auto h = torch::relu(gcn->forward(graph.x, graph.edge_index));
  auto [out, attention] = gat->forward_with_attention(h, graph.edge_index);
  std::cout << "GCN -> GAT output: " << out.sizes() << "\n";

  // The edge-mask hook: every layer inside the scope scales each edge's messages.
  auto plain = gcn->forward(graph.x, graph.edge_index);
  auto mask = torch::ones({graph.num_edges()});
  mask[0] = 0;  // delete edge 0 -> 1
  {
    gnnx::nn::EdgeMaskScope scope(mask);
    auto masked = gcn->forward(graph.x, graph.edge_index);
    std::cout << "change at node 1 when edge 0->1 is masked: " << (masked[1] - plain[1]).abs().sum().item<float>()
              << "\n";
  }
  std::cout << "attention of the GAT layer (edges, heads): " << attention.alpha.sizes() << "\n";
  return 0;
}
