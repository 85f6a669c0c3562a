// Loading a user's graph and model files, shared by `gnnx explain` and `gnnx prototype`.
#include <filesystem>

#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/enum_names.h"
#include "gnnx/nn/models/model_file.h"

namespace gnnx::cli {

UserInputs load_user_inputs(const std::string& command, const UserFiles& f) {
  auto loaded = io::load_graph(f.graph_path,
                               io::GraphFileOptions().features(f.features).labels(f.labels).undirected(f.undirected));
  const Graph& full = loaded.graph;
  GNNX_CHECK(full.has_features(), command, ": the graph in \"", f.graph_path, "\" has no node features",
             std::filesystem::path(f.graph_path).extension() == ".csv" ? " (give them with --features F.csv)" : "");
  auto model = nn::load_model(f.model_path, nn::ModelFileOptions()
                                                .readout(from_name<nn::Aggregation>(f.readout))
                                                .in_channels(full.x.size(1))
                                                .num_classes(f.classes)
                                                .task(from_name<nn::Task>(f.task))
                                                .mode(from_name<nn::Mode>(f.mode))
                                                .receptive_field(f.receptive_field));
  model->eval();
  GNNX_CHECK(full.x.size(1) == model->in_channels(), command, ": the model takes ", model->in_channels(),
             " node features, the graph in \"", f.graph_path, "\" has ", full.x.size(1));
  return {std::move(loaded), std::move(model)};
}

BatchItem batch_item(const std::string& command, const Graph& g, const at::Tensor& batch, int64_t j) {
  const auto nodes = torch::nonzero(batch.to(torch::kCPU) == j).flatten();
  GNNX_CHECK(nodes.numel() > 0, command, ": graph ", j, " of the file has no nodes");
  const int64_t lo = nodes.min().item<int64_t>(), hi = nodes.max().item<int64_t>();
  GNNX_CHECK(hi - lo + 1 == nodes.numel(), command, ": the nodes of graph ", j,
             " are not contiguous in the file's batch vector");
  const auto ei = g.edge_index.to(torch::kCPU);
  const auto inside = (ei[0] >= lo) & (ei[0] <= hi);
  GNNX_CHECK(torch::equal(inside, (ei[1] >= lo) & (ei[1] <= hi)), command, ": an edge of the file joins graph ", j,
             " to another graph");
  const auto sel = torch::nonzero(inside).flatten();
  const auto w = g.edge_weight.defined() ? g.edge_weight.to(torch::kCPU).index_select(0, sel) : at::Tensor();
  const auto y = g.y.defined() && g.y.size(0) == g.num_nodes ? g.y.to(torch::kCPU).slice(0, lo, hi + 1) : at::Tensor();
  return {Graph(ei.index_select(1, sel) - lo, hi - lo + 1, g.x.to(torch::kCPU).slice(0, lo, hi + 1), w, y), lo, sel};
}

}  // namespace gnnx::cli
