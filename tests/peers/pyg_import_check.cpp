// Checks gnnx's import of PyG state dicts against PyG's own logits: reads the directory that
// scripts/peers/pyg_models.py --out writes, imports every model it lists (as stated and as
// inferred from the keys), runs it on the graph and compares with PyG's logits. Prints a table;
// exits 1 when a model differs by more than 1e-5 of its largest |logit|.
//
//   gnnx_pyg_import_check DIR
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/models/pyg_import.h"

namespace {

gnnx::nn::PygModelOptions stated_options(const nlohmann::json& m) {
  return gnnx::nn::PygModelOptions(m.at("in_channels").get<int64_t>(), m.at("hidden_channels").get<int64_t>(),
                                   m.at("num_layers").get<int64_t>(), m.at("num_classes").get<int64_t>())
      .conv(gnnx::from_name<gnnx::nn::ConvType>(m.at("conv").get<std::string>()))
      .jk(gnnx::from_name<gnnx::nn::PygJK>(m.at("jk").get<std::string>()))
      .task(gnnx::from_name<gnnx::nn::Task>(m.at("task").get<std::string>()))
      .readout(gnnx::from_name<gnnx::nn::Aggregation>(m.at("readout").get<std::string>()))
      .heads(m.at("heads").get<int64_t>());
}

// The fields that decide the model (a one-layer jk "cat" is jk "last").
bool same_architecture(const gnnx::nn::PygModelOptions& a, const gnnx::nn::PygModelOptions& b) {
  auto jk = [](const gnnx::nn::PygModelOptions& o) {
    return o.num_layers() == 1 && o.jk() == gnnx::nn::PygJK::kCat ? gnnx::nn::PygJK::kLast : o.jk();
  };
  const bool one_layer_out = a.num_layers() == 1 && a.task() == gnnx::nn::Task::kNode &&
                             a.jk() == gnnx::nn::PygJK::kNone;
  return a.in_channels() == b.in_channels() && (one_layer_out || a.hidden_channels() == b.hidden_channels()) &&
         a.num_layers() == b.num_layers() && a.num_classes() == b.num_classes() && a.conv() == b.conv() &&
         jk(a) == jk(b) && a.task() == b.task() && a.readout() == b.readout() && a.heads() == b.heads();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR  (DIR from scripts/peers/pyg_models.py --out DIR)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  torch::set_num_threads(1);
  try {
    nlohmann::json manifest;
    std::ifstream(dir + "/models.json") >> manifest;
    std::map<std::string, at::Tensor> graph;
    for (auto& [k, v] : gnnx::io::load_tensor_dict(dir + "/graph.pt")) graph[k] = v;
    const auto &x = graph.at("x"), &ei = graph.at("edge_index"), &batch = graph.at("batch");
    const int64_t B = batch.max().item<int64_t>() + 1;
    std::printf("%-28s %-6s %-10s %9s %12s %12s  %s\n", "model", "task", "readout", "max|logit|", "max|diff|",
                "relative", "inferred");
    int failed = 0;
    double worst = 0;
    for (const auto& m : manifest) {
      const std::string name = m.at("name").get<std::string>();
      const auto stated = stated_options(m);
      const std::string path = dir + "/" + name + ".pt";
      auto model = gnnx::nn::import_pyg_state_dict(path, stated);
      const auto inferred = gnnx::nn::infer_pyg_model_options(path, stated.readout());
      const bool inferred_ok = same_architecture(stated, inferred);
      torch::NoGradGuard no_grad;
      const auto ours = stated.task() == gnnx::nn::Task::kNode ? model->forward(x, ei)
                                                               : model->forward(x, ei, {}, batch, B);
      const auto theirs = gnnx::io::load_tensor(dir + "/" + name + "_logits.pt");
      GNNX_CHECK(ours.sizes() == theirs.sizes(), name, ": gnnx logits ", ours.sizes(), ", PyG's ", theirs.sizes());
      const double scale = theirs.abs().max().item<double>();
      const double diff = (ours - theirs).abs().max().item<double>();
      const double rel = diff / std::max(scale, 1e-30);
      worst = std::max(worst, rel);
      const bool ok = std::isfinite(rel) && rel <= 1e-5 && inferred_ok;
      failed += ok ? 0 : 1;
      std::printf("%-28s %-6s %-10s %9.3g %12.3g %12.3g  %s%s\n", name.c_str(), m.at("task").get<std::string>().c_str(),
                  stated.task() == gnnx::nn::Task::kGraph ? m.at("readout").get<std::string>().c_str() : "-", scale,
                  diff, rel, inferred_ok ? "same" : "DIFFERENT", ok ? "" : "  FAIL");
    }
    std::printf("%zu models, worst relative difference %.3g, %d failed\n", manifest.size(), worst, failed);
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gnnx_pyg_import_check: %s\n", e.what());
    return 1;
  }
}
