// `gnnx train`: train a benchmark's reference model; the reference-model flags it shares with
// `gnnx evaluate` and `gnnx explain`.
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"

namespace gnnx::cli {

void ReferenceFlags::add_to(CLI::App* cmd) {
  cmd->add_flag("--normalize-embedding", normalize_embedding,
                "reference model: L2-normalise every layer's output (the original GNNExplainer code's model)");
  cmd->add_flag("--no-root-weight", no_root_weight, "reference model: GraphConv without the self term");
  cmd->add_option("--head-hidden", head_hidden,
                  "reference model: a hidden layer of N units with ReLU before the head (0: a linear head); default: "
                  "the dataset's (20 on ba-multishapes, else 0)");
  cmd->add_option("--counterexamples", counterexamples,
                  "reference model: train beside N perturbed copies of the graph (graph tasks: of each graph) whose "
                  "broken motifs are relabelled (graph tasks: to an extra class, no complete motif); default: the "
                  "dataset's (10 on tree-cycles, 2 on ba-2motifs, else 0)");
  cmd->add_option("--break-prob", break_prob,
                  "with --counterexamples: probability a motif is broken in a copy (default: the dataset's, else 0.5)");
  cmd->add_option("--drop-prob", drop_prob,
                  "with --counterexamples: probability a non-motif edge is deleted in a copy (default: the dataset's "
                  "setting, else 0.1)");
  cmd->add_flag("--soft-weights", soft_weights,
                "with --counterexamples: the non-motif edges a copy keeps get weights from U[0, 1)");
}

bool ReferenceFlags::any() const {
  return normalize_embedding || no_root_weight || soft_weights || counterexamples != kUnset || head_hidden != kUnset ||
         !std::isnan(break_prob) || !std::isnan(drop_prob);
}

void ReferenceFlags::apply(datasets::ReferenceConfig& cfg) const {
  if (normalize_embedding) cfg.model.normalize_embedding(true);
  if (no_root_weight) cfg.model.root_weight(false);
  if (head_hidden != kUnset) {
    GNNX_CHECK(head_hidden >= 0, "--head-hidden must be >= 0, got ", head_hidden);
    cfg.model.head_hidden(head_hidden);
  }
  if (counterexamples != kUnset) cfg.counterexamples.copies(counterexamples);
  if (!std::isnan(break_prob)) cfg.counterexamples.break_prob(break_prob);
  if (!std::isnan(drop_prob)) cfg.counterexamples.drop_prob(drop_prob);
  if (soft_weights) cfg.counterexamples.soft_weights(true);
  datasets::check_counterexample_options(cfg.counterexamples, "--counterexamples, --break-prob, --drop-prob");
  GNNX_CHECK(cfg.counterexamples.copies() > 0 || (std::isnan(break_prob) && std::isnan(drop_prob) && !soft_weights),
             "--break-prob, --drop-prob and --soft-weights need --counterexamples N (N > 0)");
}

void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train the reference model of a synthetic benchmark");
  auto name = std::make_shared<std::string>();
  auto seed = std::make_shared<std::string>("0");
  auto out = std::make_shared<std::string>();
  auto flags = std::make_shared<ReferenceFlags>();
  cmd->add_option("--dataset", *name, "Dataset name (see gnnx dataset --list)")->required();
  cmd->add_option("--seed", *seed, "Seed of the dataset and of the training (default 0)");
  cmd->add_option("--out", *out, "Save the trained model here (load with load_gnn_classifier)");
  flags->add_to(cmd);
  cmd->callback([=] {
    const uint64_t s = parse_seed(*seed);
    const auto d = datasets::make_dataset(*name, s);
    auto cfg = datasets::reference_config(d);
    flags->apply(cfg);
    auto r = datasets::train_reference_model(d, cfg, s);
    if (!out->empty()) nn::save_gnn_classifier(r.model, *out);
    nlohmann::json j = {{"dataset", d.name},
                        {"seed", s},
                        {"train_acc", r.result.train_acc},
                        {"val_acc", r.result.val_acc},
                        {"test_acc", r.result.test_acc},
                        {"epochs", r.result.epochs_run},
                        {"normalize_embedding", cfg.model.normalize_embedding()},
                        {"root_weight", cfg.model.root_weight()},
                        {"head_hidden", cfg.model.head_hidden()},
                        {"counterexamples", cfg.counterexamples.copies()},
                        {"seconds", r.result.seconds}};
    std::cout << j.dump() << "\n";
  });
}

}  // namespace gnnx::cli
