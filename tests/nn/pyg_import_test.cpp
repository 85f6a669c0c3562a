// PyG state dicts imported into GNNClassifiers, checked against the committed logits PyG computed
// (tests/data/pyg, written by scripts/peers/pyg_models.py --fixtures), and the errors for files
// that do not hold the stated architecture.
#include "gnnx/nn/models/pyg_import.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/io/tensor_file.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;

namespace {

std::string pyg_fixture(const std::string& name) { return std::string(GNNX_SOURCE_DIR) + "/tests/data/pyg/" + name; }

nlohmann::json pyg_fixture_manifest() {
  nlohmann::json j;
  std::ifstream(pyg_fixture("models.json")) >> j;
  return j;
}

PygModelOptions pyg_fixture_options(const nlohmann::json& m) {
  return PygModelOptions(m.at("in_channels").get<int64_t>(), m.at("hidden_channels").get<int64_t>(),
                         m.at("num_layers").get<int64_t>(), m.at("num_classes").get<int64_t>())
      .conv(from_name<ConvType>(m.at("conv").get<std::string>()))
      .jk(from_name<PygJK>(m.at("jk").get<std::string>()))
      .task(from_name<Task>(m.at("task").get<std::string>()))
      .readout(from_name<Aggregation>(m.at("readout").get<std::string>()))
      .heads(m.at("heads").get<int64_t>());
}

struct PygFixtureGraph {
  at::Tensor x, edge_index, batch;
  int64_t num_graphs = 0;
};

PygFixtureGraph pyg_fixture_graph() {
  std::map<std::string, at::Tensor> d;
  for (auto& [k, v] : io::load_tensor_dict(pyg_fixture("graph.pt"))) d[k] = v;
  return {d.at("x"), d.at("edge_index"), d.at("batch"), d.at("batch").max().item<int64_t>() + 1};
}

at::Tensor pyg_fixture_forward(GNNClassifier& model, const PygFixtureGraph& g) {
  torch::NoGradGuard no_grad;
  return model->task() == Task::kNode ? model->forward(g.x, g.edge_index)
                                      : model->forward(g.x, g.edge_index, {}, g.batch, g.num_graphs);
}

}  // namespace

TEST_CASE("PyG models imported from their state dicts give PyG's logits", "[nn][pyg]") {
  const auto g = pyg_fixture_graph();
  // The fixture graph has input self loops, where PyG's GCN and GAT differ from gnnx's defaults.
  REQUIRE((g.edge_index[0] == g.edge_index[1]).any().item<bool>());
  const auto manifest = pyg_fixture_manifest();
  REQUIRE(manifest.size() >= 6);
  for (const auto& m : manifest) {
    const auto name = m.at("name").get<std::string>();
    INFO(name);
    const auto stated = pyg_fixture_options(m);
    auto model = import_pyg_state_dict(pyg_fixture(name + ".pt"), stated);
    REQUIRE(!model->is_training());
    const auto expected = io::load_tensor(pyg_fixture(name + "_logits.pt"));
    const auto got = pyg_fixture_forward(model, g);
    REQUIRE(got.sizes() == expected.sizes());
    const double scale = expected.abs().max().item<double>();
    CHECK((got - expected).abs().max().item<double>() <= 1e-5 * scale);
    if (stated.conv() == ConvType::kGCN || stated.conv() == ConvType::kGAT) {
      // gnnx's own self-loop handling gives other logits on this graph: pyg_self_loops matters.
      GNNClassifier plain(pyg_classifier_options(stated).pyg_self_loops(false));
      {
        torch::NoGradGuard no_grad;
        auto from = model->named_parameters();
        for (auto& p : plain->named_parameters()) p.value().copy_(from[p.key()]);
      }
      plain->eval();
      CHECK((pyg_fixture_forward(plain, g) - expected).abs().max().item<double>() > 1e-3 * scale);
    }

    // The keys alone give the same architecture (the readout is not in them).
    const auto inferred = infer_pyg_model_options(pyg_fixture(name + ".pt"), stated.readout());
    CHECK(inferred.conv() == stated.conv());
    CHECK(inferred.task() == stated.task());
    CHECK(inferred.jk() == stated.jk());
    CHECK(inferred.in_channels() == stated.in_channels());
    CHECK(inferred.hidden_channels() == stated.hidden_channels());
    CHECK(inferred.num_layers() == stated.num_layers());
    CHECK(inferred.num_classes() == stated.num_classes());
    CHECK(inferred.heads() == stated.heads());
  }
}

TEST_CASE("An imported PyG model survives save / load, and version-1 model files still load", "[nn][pyg]") {
  const auto g = pyg_fixture_graph();
  const auto path =
      (std::filesystem::temp_directory_path() / ("gnnx_pyg_" + std::to_string(::getpid()) + ".pt")).string();
  for (const auto& m : pyg_fixture_manifest()) {
    const auto name = m.at("name").get<std::string>();
    INFO(name);
    auto model = import_pyg_state_dict(pyg_fixture(name + ".pt"), pyg_fixture_options(m));
    save_gnn_classifier(model, path);
    auto loaded = load_gnn_classifier(path);
    REQUIRE(loaded->options.conv_to_out() == model->options.conv_to_out());
    REQUIRE(loaded->options.jk_lin() == model->options.jk_lin());
    REQUIRE(loaded->options.pyg_self_loops());
    REQUIRE(torch::equal(pyg_fixture_forward(loaded, g), pyg_fixture_forward(model, g)));
  }
  // A file as version 1 wrote it: no conv_to_out, jk_lin or pyg_self_loops.
  torch::manual_seed(5);
  GNNClassifier model(GNNClassifierOptions(3, 2).num_layers(2).hidden_channels(4));
  torch::serialize::OutputArchive archive;
  model->save(archive);
  const nlohmann::json v1 = {{"format", "gnnx.GnnClassifier"},
                             {"version", 1},
                             {"in_channels", 3},
                             {"num_classes", 2},
                             {"task", "node"},
                             {"conv", "gcn"},
                             {"hidden_channels", 4},
                             {"num_layers", 2},
                             {"concat", true},
                             {"root_weight", true},
                             {"normalize_embedding", false},
                             {"act_last", false},
                             {"readout", "max"},
                             {"dropout", 0.0},
                             {"heads", 1}};
  archive.write("gnnx_options", c10::IValue(v1.dump()));
  archive.save_to(path);
  auto loaded = load_gnn_classifier(path);
  std::filesystem::remove(path);
  REQUIRE(!loaded->options.conv_to_out());
  REQUIRE(!loaded->options.jk_lin());
  REQUIRE(!loaded->options.pyg_self_loops());
  model->eval();
  REQUIRE(torch::equal(loaded->forward(g.x, g.edge_index), model->forward(g.x, g.edge_index)));
}

TEST_CASE("Importing a PyG state dict that is not the stated architecture names the key and the shapes", "[nn][pyg]") {
  const auto gcn = pyg_fixture("gcn_node_jk_cat.pt");  // GCN(3, 4, num_layers=2, out_channels=3, jk='cat')
  const auto stated = PygModelOptions(3, 4, 2, 3).jk(PygJK::kCat);
  REQUIRE_NOTHROW(import_pyg_state_dict(gcn, stated));
  // Wrong widths: every misshapen key is named with both shapes.
  GNNX_REQUIRE_ERROR("import_pyg_state_dict: \"" + gcn + "\" does not hold the parameters of a PyG gcn node model",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 5, 2, 3).jk(PygJK::kCat)));
  GNNX_REQUIRE_ERROR("key \"convs.0.lin.weight\" has shape [4, 3], expected [5, 3]",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 5, 2, 3).jk(PygJK::kCat)));
  // A layer too many: its keys are missing.
  GNNX_REQUIRE_ERROR("missing key \"convs.2.lin.weight\" (expected shape [4, 4])",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 4, 3, 3).jk(PygJK::kCat)));
  // jk none has no `lin`: the file's is unexpected.
  GNNX_REQUIRE_ERROR("unexpected key \"lin.weight\" (shape [3, 8])",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 4, 2, 3)));
  // Another layer type.
  GNNX_REQUIRE_ERROR("missing key \"convs.0.lin_l.weight\"",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 4, 2, 3).jk(PygJK::kCat).conv(ConvType::kSAGE)));
  // A node model stated as a graph model.
  GNNX_REQUIRE_ERROR("missing key \"gnn.convs.0.lin.weight\"",
                     import_pyg_state_dict(gcn, PygModelOptions(3, 4, 2, 3).jk(PygJK::kCat).task(Task::kGraph)));
  // norm='batch_norm' adds keys gnnx has no layer for.
  const auto bn = pyg_fixture("batch_norm.pt");
  GNNX_REQUIRE_ERROR("unexpected key \"norms.0.module.weight\" (shape [4]) (normalisation layers are not supported",
                     import_pyg_state_dict(bn, stated));
  GNNX_REQUIRE_ERROR("infer_pyg_model_options", infer_pyg_model_options(pyg_fixture("graph.pt")));
}

TEST_CASE("Importing a PyG state dict saved as an OrderedDict, or a missing file, says so", "[nn][pyg]") {
  const auto od = pyg_fixture("ordered_dict.pt");  // torch.save(model.state_dict())
  GNNX_REQUIRE_ERROR("load_tensor_dict: \"" + od +
                         "\" holds a collections.OrderedDict, which LibTorch cannot read; save a plain dict instead: "
                         "torch.save(dict(model.state_dict()), path)",
                     import_pyg_state_dict(od, PygModelOptions(3, 4, 2, 3)));
  const auto missing = pyg_fixture("no_such_model.pt");
  GNNX_REQUIRE_ERROR("load_tensor_dict: cannot open \"" + missing + "\"",
                     import_pyg_state_dict(missing, PygModelOptions(3, 4, 2, 3)));
  GNNX_REQUIRE_ERROR("holds a Tensor, not a dict of tensors",
                     import_pyg_state_dict(pyg_fixture("gcn_node_jk_cat_logits.pt"), PygModelOptions(3, 4, 2, 3)));
}
