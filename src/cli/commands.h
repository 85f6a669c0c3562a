#pragma once
// Each `gnnx` subcommand registers itself on the app; main.cpp calls every register_* below.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gnnx/core/options.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/io/graph_file.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::cli {

/// Prints `message` as one line "gnnx: error: ..." to stderr; the caller returns its exit code.
int fail(const std::string& message);

void register_info(CLI::App& app);
void register_demo(CLI::App& app);
void register_dataset(CLI::App& app);
void register_train(CLI::App& app);
void register_attribute(CLI::App& app);
void register_explain(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_prototype(CLI::App& app);

/// A --seed value: a non-negative integer below 10^19 (CLI11 would wrap "-1" into a uint64_t).
uint64_t parse_seed(const std::string& text);

/// --option "key=value" pairs of `command` into an OptionMap; a pair without '=' or a key given
/// twice is a gnnx::Error naming the command.
OptionMap parse_option_pairs(const std::string& command, const std::vector<std::string>& pairs);

/// A user's graph file and model file, and what a model file cannot say about itself
/// (`gnnx explain --model --graph`, `gnnx prototype --model --graph`).
struct UserFiles {
  std::string graph_path, model_path, features, labels, readout = "mean", task = "node", mode = "classification";
  bool undirected = false;
  int64_t classes = -1, receptive_field = -1;
};
/// The graph and the model, checked to fit each other.
struct UserInputs {
  io::LoadedGraph loaded;
  std::shared_ptr<nn::GNNModel> model;
};
/// Loads them; throws gnnx::Error naming `command` for a graph without features or a model whose
/// input width differs from the graph's, and as io::load_graph and nn::load_model do.
UserInputs load_user_inputs(const std::string& command, const UserFiles& files);

/// Graph j of a file that holds a batch (PyG's layout: each graph's nodes contiguous), with the
/// file's ids of its first node and of its edges.
struct BatchItem {
  Graph graph;
  int64_t first_node = 0;
  at::Tensor edge_ids;
};
/// Throws gnnx::Error naming `command` for a graph without nodes, nodes that are not contiguous
/// or an edge between two graphs.
BatchItem batch_item(const std::string& command, const Graph& g, const at::Tensor& batch, int64_t j);

/// Flags that shape a reference model (`gnnx train`, `gnnx evaluate`).
struct ReferenceFlags {
  static constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();
  bool normalize_embedding = false, no_root_weight = false, soft_weights = false;
  int64_t counterexamples = kUnset;  // kUnset / NaN: not given, keep the dataset's default
  int64_t head_hidden = kUnset;
  double break_prob = std::numeric_limits<double>::quiet_NaN(), drop_prob = std::numeric_limits<double>::quiet_NaN();
  /// Adds --normalize-embedding, --no-root-weight, --head-hidden, --counterexamples,
  /// --break-prob, --drop-prob and --soft-weights to cmd.
  void add_to(CLI::App* cmd);
  /// True when any flag was given.
  bool any() const;
  /// Applies the given flags to cfg; throws gnnx::Error for values out of range, or for
  /// --break-prob, --drop-prob or --soft-weights without --counterexamples N > 0.
  void apply(datasets::ReferenceConfig& cfg) const;
};

/// Arguments of GNN-LRP on the command line (`gnnx explain --method gnn-lrp ...`).
struct GNNLRPCliArgs {
  std::string dataset, model_path, svg, order = "abs";
  int64_t node = -1, graph = -1, top_k = 10;
  uint64_t seed = 0;
  double gamma = 0.25;
  bool json = false;
};
/// Explains one node (or graph) of a dataset's reference model with GNN-LRP and prints the top
/// walks (a table, or one JSON line with --json). Throws gnnx::Error on bad input.
void run_gnn_lrp_cli(const GNNLRPCliArgs& args);
/// `gnnx bench images` and `gnnx images train` (cmd_bench_images.cpp).
void register_bench_images(CLI::App& app);
/// `gnnx images visualise` under the `images` command (cmd_visualise.cpp).
void register_images_visualise(CLI::App& images);
/// `gnnx images explanatory-graph` under the `images` command (cmd_explanatory_graph.cpp).
void register_images_explanatory_graph(CLI::App& images);

}  // namespace gnnx::cli
