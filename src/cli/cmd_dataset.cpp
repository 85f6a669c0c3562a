// `gnnx dataset`: generate or list the synthetic benchmarks.
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/dataset_io.h"
#include "gnnx/datasets/synthetic.h"

namespace gnnx::cli {

// CLI11 would accept "-1" for a uint64_t by wrapping it; take the text and check it here.
uint64_t parse_seed(const std::string& text) {
  GNNX_CHECK(!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 19,
             "--seed must be a non-negative integer below 10^19, got '", text, "'");
  return std::stoull(text);
}

OptionMap parse_option_pairs(const std::string& command, const std::vector<std::string>& pairs) {
  OptionMap o;
  for (const auto& kv : pairs) {
    const auto eq = kv.find('=');
    GNNX_CHECK(eq != std::string::npos && eq > 0, command, ": --option expects key=value, got \"", kv, "\"");
    const auto key = kv.substr(0, eq);
    GNNX_CHECK(o.emplace(key, kv.substr(eq + 1)).second, command, ": --option ", key, " given twice");
  }
  return o;
}

void register_dataset(CLI::App& app) {
  auto* cmd = app.add_subcommand("dataset", "Generate a synthetic benchmark with ground truth (.json or .pt)");
  auto name = std::make_shared<std::string>();
  auto seed = std::make_shared<std::string>("0");
  auto out = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "Dataset name (see --list)");
  cmd->add_option("--seed", *seed, "Seed (default 0, the frozen instance in datasets/)");
  cmd->add_option("--out", *out, "Output file, .json or .pt (replaced atomically)");
  cmd->add_flag("--list", *list, "List the dataset names");
  cmd->callback([=] {
    if (*list) {
      for (const auto& n : datasets::dataset_names()) std::cout << n << "\n";
      return;
    }
    GNNX_CHECK(!name->empty(), "dataset: give a dataset name (see gnnx dataset --list)");
    GNNX_CHECK(!out->empty(), "dataset: give --out FILE (.json or .pt)");
    const auto d = datasets::make_dataset(*name, parse_seed(*seed));
    datasets::save_dataset(d, *out);
    int64_t nodes = 0, edges = 0;
    for (const auto& g : d.graphs) nodes += g.num_nodes, edges += g.num_edges();
    nlohmann::json j = {
        {"dataset", d.name}, {"graphs", d.graphs.size()}, {"nodes", nodes}, {"edges", edges}, {"out", *out}};
    std::cout << j.dump() << "\n";
  });
}

}  // namespace gnnx::cli
