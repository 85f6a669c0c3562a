// 03: generate BA-Shapes with its ground truth, look at it, and save it for Python.
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "ba-shapes.json";
  // Default options = the original GNNExplainer code: BA(300, m = 5) + 80 houses, 1 % noise.
  gnnx::datasets::Dataset d = gnnx::datasets::ba_shapes(gnnx::datasets::BaShapesOptions(), /*seed=*/0);
  const gnnx::Graph& g = d.graphs[0];
  std::cout << d.name << ": " << g.num_nodes << " nodes, " << g.num_edges() / 2 << " undirected edges, "
            << d.num_classes << " classes\n";
  std::cout << "motif nodes: " << d.node_mask_gt[0].sum().item<float>()
            << ", motif edges (both directions): " << d.edge_mask_gt[0].sum().item<float>() << "\n";
  std::cout << "labels of house 0 (nodes 300..304):";
  for (int64_t v = 300; v < 305; ++v) std::cout << " " << g.y[v].item<int64_t>();
  std::cout << "\n";
  std::cout << "split: " << d.split.train.numel() << " train / " << d.split.val.numel() << " val / "
            << d.split.test.numel() << " test nodes\n";

  // JSON for anyone (json.load in Python), .pt for PyTorch users (torch.load returns a dict).
  gnnx::datasets::save_dataset(d, out);
  gnnx::datasets::Dataset back = gnnx::datasets::load_dataset(out);
  std::cout << "saved " << out << " (sha256 " << gnnx::io::sha256_hex(gnnx::datasets::to_json(back)).substr(0, 16)
            << "...), reloaded " << back.graphs[0].num_edges() << " edges\n";
  return 0;
}
