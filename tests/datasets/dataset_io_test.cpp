// Dataset files: round trips through JSON and .pt, rejection of malformed files, and the
// frozen default instances in datasets/ with their SHA-256 checksums.
#include "gnnx/datasets/dataset_io.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <unistd.h>

#include "gnnx/io/file.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::datasets;

namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("gnnx_dataset_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

void require_same(const Dataset& a, const Dataset& b) {
  REQUIRE(a.name == b.name);
  REQUIRE(a.task == b.task);
  REQUIRE(a.num_classes == b.num_classes);
  REQUIRE(nlohmann::json::parse(a.params) == nlohmann::json::parse(b.params));
  REQUIRE(a.graphs.size() == b.graphs.size());
  for (size_t i = 0; i < a.graphs.size(); ++i) {
    REQUIRE(a.graphs[i].num_nodes == b.graphs[i].num_nodes);
    REQUIRE(a.graphs[i].edge_index.equal(b.graphs[i].edge_index));
    REQUIRE(a.graphs[i].x.equal(b.graphs[i].x));  // exact: floats are written to round-trip
    REQUIRE(a.graphs[i].y.equal(b.graphs[i].y));
    REQUIRE(a.edge_mask_gt[i].equal(b.edge_mask_gt[i]));
    REQUIRE(a.node_mask_gt[i].equal(b.node_mask_gt[i]));
    REQUIRE(a.motif_id[i].equal(b.motif_id[i]));
  }
  REQUIRE(a.split.train.equal(b.split.train));
  REQUIRE(a.split.val.equal(b.split.val));
  REQUIRE(a.split.test.equal(b.split.test));
}

std::map<std::string, std::string> read_checksums() {
  std::ifstream in(std::string(GNNX_SOURCE_DIR) + "/datasets/SHA256SUMS");
  REQUIRE(in.good());
  std::map<std::string, std::string> out;
  std::string hash, file;
  while (in >> hash >> file) out[file] = hash;
  return out;
}

}  // namespace

TEST_CASE("JSON and .pt round trips give the same dataset", "[datasets]") {
  const auto dir = temp_dir();
  // Gaussian features (float round trip), a node task and a graph task.
  for (const Dataset& d : {ba_community(), ba_2motifs(Ba2MotifsOptions().num_graphs(30), 4)}) {
    INFO(d.name);
    for (const char* ext : {".json", ".pt"}) {
      const auto path = (dir / (d.name + ext)).string();
      save_dataset(d, path);
      const Dataset back = load_dataset(path);
      require_same(d, back);
      REQUIRE(to_json(back) == to_json(d));
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("the JSON layout is the documented one", "[datasets]") {
  const Dataset d = tree_cycles();
  const auto j = nlohmann::json::parse(to_json(d));
  REQUIRE(j["format"] == "gnnx-dataset");
  REQUIRE(j["version"] == 1);
  REQUIRE(j["name"] == "tree-cycles");
  REQUIRE(j["task"] == "node");
  REQUIRE(j["num_classes"] == 2);
  REQUIRE(j["params"]["depth"] == 8);
  REQUIRE(j["split"]["train"].size() == static_cast<size_t>(d.split.train.numel()));
  const auto& g = j["graphs"][0];
  REQUIRE(g["num_nodes"] == 871);
  REQUIRE(g["edge_index"].size() == 2);
  REQUIRE(g["edge_index"][0].size() == static_cast<size_t>(d.graphs[0].num_edges()));
  REQUIRE(g["x"].size() == 871);
  REQUIRE(g["x"][0].size() == 10);
  REQUIRE(g["y"].size() == 871);
  REQUIRE(g["edge_mask_gt"].size() == static_cast<size_t>(d.graphs[0].num_edges()));
  REQUIRE(g["node_mask_gt"].size() == 871);
  REQUIRE(g["motif_id"][511] == 0);
}

TEST_CASE("malformed and truncated JSON files are rejected naming the field", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(10), 1);
  const std::string text = to_json(d);
  GNNX_REQUIRE_ERROR("not valid JSON", from_json(text.substr(0, text.size() / 2), "cut.json"));
  GNNX_REQUIRE_ERROR("not valid JSON", from_json("", "empty.json"));
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    auto j = nlohmann::json::parse(text);
    f(j);
    return j.dump();
  };
  GNNX_REQUIRE_ERROR("field 'format'", from_json(edit([](auto& j) { j["format"] = "other"; })));
  GNNX_REQUIRE_ERROR("field 'version'", from_json(edit([](auto& j) { j["version"] = 7; })));
  GNNX_REQUIRE_ERROR("field 'task'", from_json(edit([](auto& j) { j["task"] = "edge"; })));
  GNNX_REQUIRE_ERROR("field 'num_classes'", from_json(edit([](auto& j) { j.erase("num_classes"); })));
  GNNX_REQUIRE_ERROR("field 'graphs[3].edge_mask_gt' is missing",
                     from_json(edit([](auto& j) { j["graphs"][3].erase("edge_mask_gt"); })));
  GNNX_REQUIRE_ERROR("field 'graphs[0].edge_index'",
                     from_json(edit([](auto& j) { j["graphs"][0]["edge_index"][0][0] = 99; })));
  GNNX_REQUIRE_ERROR("field 'graphs[0].edge_index[1]'",
                     from_json(edit([](auto& j) { j["graphs"][0]["edge_index"][1][0] = "a"; })));
  GNNX_REQUIRE_ERROR("field 'graphs[2].x[4]'", from_json(edit([](auto& j) { j["graphs"][2]["x"][4].erase(0); })));
  GNNX_REQUIRE_ERROR("field 'graphs[1].y'", from_json(edit([](auto& j) { j["graphs"][1]["y"][0] = 5; })));
  GNNX_REQUIRE_ERROR("field 'graphs[1].edge_mask_gt'",
                     from_json(edit([](auto& j) { j["graphs"][1]["edge_mask_gt"][0] = 0.5; })));
  GNNX_REQUIRE_ERROR("field 'graphs[1].node_mask_gt'",
                     from_json(edit([](auto& j) { j["graphs"][1]["node_mask_gt"].erase(0); })));
  GNNX_REQUIRE_ERROR("field 'split.test'", from_json(edit([](auto& j) { j["split"]["test"][0] = 10; })));
  GNNX_REQUIRE_ERROR("field 'graphs'", from_json(edit([](auto& j) { j["graphs"] = nlohmann::json::array(); })));
}

TEST_CASE("malformed and truncated .pt files are rejected naming the field", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(10), 1);
  const std::string bytes = to_pt(d);
  GNNX_REQUIRE_ERROR("not a readable .pt file", from_pt(bytes.substr(0, bytes.size() - 100), "cut.pt"));
  GNNX_REQUIRE_ERROR("not a readable .pt file", from_pt("garbage", "g.pt"));
  auto edit = [&](const std::function<void(c10::impl::GenericDict&)>& f) {
    auto v = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    auto dict = v.toGenericDict();
    f(dict);
    auto out = torch::pickle_save(c10::IValue(dict));
    return std::string(out.begin(), out.end());
  };
  GNNX_REQUIRE_ERROR("field 'edge_mask_gt' is missing",
                     from_pt(edit([](auto& dict) { (void)dict.erase("edge_mask_gt"); })));
  GNNX_REQUIRE_ERROR("field 'x'", from_pt(edit([](auto& dict) { dict.insert_or_assign("x", torch::ones({3})); })));
  GNNX_REQUIRE_ERROR("field 'y'",
                     from_pt(edit([](auto& dict) { dict.insert_or_assign("y", torch::zeros({4}, torch::kLong)); })));
  GNNX_REQUIRE_ERROR("field 'node_ptr'", from_pt(edit([](auto& dict) {
                       auto p = dict.at("node_ptr").toTensor().clone();
                       p[3] = 1000;
                       dict.insert_or_assign("node_ptr", p);
                     })));
  GNNX_REQUIRE_ERROR("field 'name'", from_pt(edit([](auto& dict) { dict.insert_or_assign("name", int64_t{3}); })));
}

TEST_CASE("file names, unwritable paths and missing files give one clear error", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(4), 0);
  GNNX_REQUIRE_ERROR("must end in .json or .pt", save_dataset(d, "/tmp/x.csv"));
  GNNX_REQUIRE_ERROR("cannot write", save_dataset(d, "/nonexistent-dir/x.json"));
  GNNX_REQUIRE_ERROR("cannot open", load_dataset("/nonexistent-dir/x.json"));
}

TEST_CASE("the frozen default instances in datasets/ match their checksums and regenerate exactly", "[datasets]") {
  const auto sums = read_checksums();
  for (const auto& name : dataset_names()) {
    INFO(name);
    const std::string file = name + ".json";
    REQUIRE(sums.count(file) == 1);
    const std::string regenerated = to_json(make_dataset(name, 0));
    REQUIRE(io::sha256_hex(regenerated) == sums.at(file));
    const auto committed = std::filesystem::path(GNNX_SOURCE_DIR) / "datasets" / file;
    if (std::filesystem::exists(committed)) {
      REQUIRE(io::read_file(committed.string()) == regenerated);
    }
  }
}
