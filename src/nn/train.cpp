#include "gnnx/nn/train.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_set>
#include <utility>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/nn/index_range.h"

namespace gnnx::nn {

Split random_split(int64_t n, double train_fraction, double val_fraction, uint64_t seed) {
  GNNX_CHECK(n > 0, "random_split: n must be positive, got ", n);
  GNNX_CHECK(train_fraction > 0 && val_fraction >= 0 && train_fraction + val_fraction <= 1,
             "random_split: fractions must satisfy 0 < train, 0 <= val, train + val <= 1; got train = ", train_fraction,
             ", val = ", val_fraction);
  Rng rng(seed);
  auto p = permutation(n, rng);
  const auto n_train = static_cast<int64_t>(std::llround(train_fraction * static_cast<double>(n)));
  const auto n_val = static_cast<int64_t>(std::llround(val_fraction * static_cast<double>(n)));
  auto all = torch::tensor(p, torch::kLong);
  return {all.slice(0, 0, n_train), all.slice(0, n_train, std::min(n, n_train + n_val)),
          all.slice(0, std::min(n, n_train + n_val), n)};
}

namespace {

using Clock = std::chrono::steady_clock;

void check_split(const char* op, const Split& s, int64_t n) {
  for (auto* t : {&s.train, &s.val, &s.test}) {
    GNNX_CHECK(t->defined() && t->dim() == 1 && t->scalar_type() == at::kLong, op,
               ": split indices must be 1-D int64 tensors");
    if (t->numel() > 0) {
      GNNX_CHECK(t->min().item<int64_t>() >= 0 && t->max().item<int64_t>() < n, op, ": split index out of range [0, ",
                 n, ")");
    }
  }
  GNNX_CHECK(s.train.numel() > 0, op, ": the training split is empty");
}

std::vector<at::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<at::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  for (const auto& b : m.buffers()) out.push_back(b.detach().clone());
  return out;
}

void restore(torch::nn::Module& m, const std::vector<at::Tensor>& state) {
  torch::NoGradGuard ng;
  size_t i = 0;
  for (auto& p : m.parameters()) p.copy_(state[i++]);
  for (auto& b : m.buffers()) b.copy_(state[i++]);
}

double accuracy(const at::Tensor& logits, const at::Tensor& y) {
  if (y.numel() == 0) return 0.0;
  return logits.argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
}

// Early stopping on a validation score: keeps the parameters of the best epoch (higher validation
// accuracy, ties to the higher training accuracy; or lower validation MSE), logs every
// log_every() epochs, and says when patience() epochs have passed without a better one.
class BestEpoch {
 public:
  BestEpoch(const torch::nn::Module& model, const TrainOptions& o, bool lower_is_better)
      : o_(o),
        lower_(lower_is_better),
        best_val_(lower_is_better ? std::numeric_limits<double>::infinity() : -1.0),
        best_(snapshot(model)) {}
  // Records an epoch's scores (loss NaN: not logged); returns true when training should stop.
  bool update(const torch::nn::Module& model, int64_t epoch, double loss, double train, double val, int64_t& best_epoch,
              const char* metric = "") {
    const bool better = lower_ ? val < best_val_ : (val > best_val_ || (val == best_val_ && train > best_train_));
    if (better) {
      best_val_ = val;
      best_train_ = train;
      best_ = snapshot(model);
      best_epoch = epoch;
    }
    if (o_.log() && o_.log_every() > 0 && epoch % o_.log_every() == 0) {
      if (std::isnan(loss))
        log_to(o_.log(), LogLevel::kInfo, "epoch ", epoch, " train", metric, " ", train, " val", metric, " ", val);
      else
        log_to(o_.log(), LogLevel::kInfo, "epoch ", epoch, " loss ", loss, " train", metric, " ", train, " val", metric,
               " ", val);
    }
    return o_.patience() > 0 && epoch - best_epoch >= o_.patience();
  }
  // Puts the best epoch's parameters back.
  void restore_best(torch::nn::Module& model) const { restore(model, best_); }

 private:
  const TrainOptions& o_;
  bool lower_;
  double best_val_, best_train_ = -1;
  std::vector<at::Tensor> best_;
};

struct Packed {  // a mini-batch of graphs as one disjoint union (inputs pre-validated)
  at::Tensor x, edge_index, edge_weight, batch, y;
  int64_t num_graphs;
};

Packed pack(const std::vector<Graph>& graphs, const std::vector<int64_t>& ids) {
  std::vector<at::Tensor> xs, eis, ews, bs, ys;
  int64_t offset = 0;
  for (size_t k = 0; k < ids.size(); ++k) {
    const auto& g = graphs[static_cast<size_t>(ids[k])];
    xs.push_back(g.x);
    eis.push_back(g.edge_index + offset);
    if (g.edge_weight.defined()) ews.push_back(g.edge_weight);
    bs.push_back(torch::full({g.num_nodes}, static_cast<int64_t>(k), g.edge_index.options()));
    if (g.y.defined()) ys.push_back(g.y);
    offset += g.num_nodes;
  }
  Packed p;
  p.x = torch::cat(xs);
  p.edge_index = torch::cat(eis, 1);
  if (!ews.empty()) p.edge_weight = torch::cat(ews);
  p.batch = torch::cat(bs);
  if (ys.size() == ids.size()) p.y = torch::cat(ys);
  p.num_graphs = static_cast<int64_t>(ids.size());
  return p;
}

std::vector<int64_t> to_vec(const at::Tensor& t) {
  auto c = t.to(torch::kCPU).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace

double node_accuracy(GNNModel& model, const Graph& g, const at::Tensor& index) {
  GNNX_CHECK(g.has_labels() && g.y.size(0) == g.num_nodes, "node_accuracy: the graph needs node labels y [N]");
  torch::NoGradGuard ng;
  model.eval();
  auto out = model.forward(g.x, g.edge_index, g.edge_weight);
  auto idx = index.to(out.device());
  return accuracy(out.index_select(0, idx), g.y.index_select(0, idx));
}

double graph_accuracy(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& index) {
  torch::NoGradGuard ng;
  model.eval();
  auto ids = to_vec(index);
  if (ids.empty()) return 0.0;
  int64_t correct = 0;
  for (size_t s = 0; s < ids.size(); s += 256) {
    std::vector<int64_t> chunk(ids.begin() + static_cast<long>(s),
                               ids.begin() + static_cast<long>(std::min(ids.size(), s + 256)));
    auto p = pack(graphs, chunk);
    auto out = model.forward(p.x, p.edge_index, p.edge_weight, p.batch, p.num_graphs);
    correct += out.argmax(1).eq(p.y).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(ids.size());
}

TrainResult train_node_classifier(GNNModel& model, const Graph& g, const Split& split, const TrainOptions& o) {
  g.validate("train_node_classifier", /*allow_empty=*/false);
  GNNX_CHECK(model.task() == Task::kNode, "train_node_classifier: the model is a graph classifier");
  GNNX_CHECK(model.mode() == Mode::kClassification,
             "train_node_classifier: the model is a regression model (train it with train_node_regressor)");
  GNNX_CHECK(g.has_features() && g.num_features() == model.in_channels(), "train_node_classifier: the model takes ",
             model.in_channels(), " features, the graph has ", g.num_features());
  GNNX_CHECK(g.has_labels() && g.y.size(0) == g.num_nodes, "train_node_classifier: the graph needs node labels y [N]");
  GNNX_CHECK(g.y.min().item<int64_t>() >= 0 && g.y.max().item<int64_t>() < model.num_classes(),
             "train_node_classifier: labels must lie in [0, ", model.num_classes(), "), got max ",
             g.y.max().item<int64_t>());
  GNNX_CHECK(o.epochs() > 0 && o.lr() > 0, "train_node_classifier: epochs and lr must be positive");
  check_split("train_node_classifier", split, g.num_nodes);
  const auto t0 = Clock::now();
  torch::manual_seed(o.seed());
  const auto dev = g.device();
  auto tr = split.train.to(dev), va = split.val.to(dev), te = split.test.to(dev);
  auto y_tr = g.y.index_select(0, tr);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  TrainResult r;
  BestEpoch keep(model, o, /*lower_is_better=*/false);
  IndexRangeScope ranges(g.edge_index);  // measured once here, not by every layer in every epoch
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    model.train();
    opt.zero_grad();
    auto out = model.forward(g.x, g.edge_index, g.edge_weight);
    auto loss = torch::nn::functional::cross_entropy(out.index_select(0, tr), y_tr);
    loss.backward();
    if (o.clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip());
    opt.step();
    r.epochs_run = epoch + 1;
    torch::NoGradGuard ng;
    model.eval();
    auto ev = model.forward(g.x, g.edge_index, g.edge_weight);
    const double train_acc = accuracy(ev.index_select(0, tr), y_tr);
    const double val_acc = va.numel() ? accuracy(ev.index_select(0, va), g.y.index_select(0, va)) : train_acc;
    if (keep.update(model, epoch, loss.item<double>(), train_acc, val_acc, r.best_epoch)) break;
  }
  keep.restore_best(model);
  r.train_acc = node_accuracy(model, g, tr);
  r.val_acc = va.numel() ? node_accuracy(model, g, va) : 0.0;
  r.test_acc = te.numel() ? node_accuracy(model, g, te) : 0.0;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

TrainResult train_graph_classifier(GNNModel& model, const std::vector<Graph>& graphs, const Split& split,
                                   const TrainOptions& o) {
  GNNX_CHECK(!graphs.empty(), "train_graph_classifier: no graphs given");
  GNNX_CHECK(model.task() == Task::kGraph, "train_graph_classifier: the model is a node classifier");
  GNNX_CHECK(model.mode() == Mode::kClassification,
             "train_graph_classifier: the model is a regression model (train it with train_graph_regressor)");
  GNNX_CHECK(o.epochs() > 0 && o.lr() > 0 && o.batch_size() > 0,
             "train_graph_classifier: epochs, lr and batch_size must be positive");
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& g = graphs[i];
    const std::string op = "train_graph_classifier (graph " + std::to_string(i) + ")";
    g.validate(op, /*allow_empty=*/false);
    GNNX_CHECK(g.has_features() && g.num_features() == model.in_channels(), op, ": the model takes ",
               model.in_channels(), " features, the graph has ", g.num_features());
    GNNX_CHECK(g.has_labels() && g.y.size(0) == 1, op, ": each graph needs a label y of shape [1]");
    const auto lbl = g.y.item<int64_t>();
    GNNX_CHECK(lbl >= 0 && lbl < model.num_classes(), op, ": label ", lbl, " outside [0, ", model.num_classes(), ")");
    GNNX_CHECK(g.has_edge_weight() == graphs[0].has_edge_weight(), op,
               ": some graphs have edge weights and some do not");
  }
  check_split("train_graph_classifier", split, static_cast<int64_t>(graphs.size()));
  const auto t0 = Clock::now();
  torch::manual_seed(o.seed());
  Rng rng(o.seed());
  auto train_ids = to_vec(split.train);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  TrainResult r;
  BestEpoch keep(model, o, /*lower_is_better=*/false);
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    model.train();
    shuffle(train_ids, rng);
    for (size_t s = 0; s < train_ids.size(); s += static_cast<size_t>(o.batch_size())) {
      std::vector<int64_t> ids(
          train_ids.begin() + static_cast<long>(s),
          train_ids.begin() + static_cast<long>(std::min(train_ids.size(), s + static_cast<size_t>(o.batch_size()))));
      auto p = pack(graphs, ids);
      opt.zero_grad();
      auto out = model.forward(p.x, p.edge_index, p.edge_weight, p.batch, p.num_graphs);
      auto loss = torch::nn::functional::cross_entropy(out, p.y);
      loss.backward();
      if (o.clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip());
      opt.step();
    }
    r.epochs_run = epoch + 1;
    const double train_acc = graph_accuracy(model, graphs, split.train);
    const double val_acc = split.val.numel() ? graph_accuracy(model, graphs, split.val) : train_acc;
    if (keep.update(model, epoch, std::numeric_limits<double>::quiet_NaN(), train_acc, val_acc, r.best_epoch)) break;
  }
  keep.restore_best(model);
  r.train_acc = graph_accuracy(model, graphs, split.train);
  r.val_acc = split.val.numel() ? graph_accuracy(model, graphs, split.val) : 0.0;
  r.test_acc = split.test.numel() ? graph_accuracy(model, graphs, split.test) : 0.0;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Regression

namespace {

// targets as [rows, C] in the model's dtype on device, checked: floating, finite, C = num_classes.
at::Tensor regression_targets(const char* op, const GNNModel& model, const at::Tensor& targets, int64_t rows,
                              const c10::Device& device, at::ScalarType dtype) {
  GNNX_CHECK(model.mode() == Mode::kRegression, op,
             ": the model is a classifier (build it with mode regression, or train it as a classifier)");
  GNNX_CHECK(targets.defined() && targets.is_floating_point() && (targets.dim() == 1 || targets.dim() == 2), op,
             ": expected floating targets [", rows, "] or [", rows, ", C], got ",
             targets.defined() ? targets.sizes() : c10::IntArrayRef{});
  auto t = targets.dim() == 1 ? targets.view({-1, 1}) : targets;
  GNNX_CHECK(t.size(0) == rows && t.size(1) == model.num_classes(), op, ": expected targets [", rows, ", ",
             model.num_classes(), "] (one row per ", rows, " nodes or graphs, one column per output), got ",
             targets.sizes());
  GNNX_CHECK(torch::isfinite(t).all().item<bool>(), op, ": the targets hold NaN or infinite values");
  return t.to(device, dtype);
}

double mse_rows(const at::Tensor& out, const at::Tensor& target, const at::Tensor& rows) {
  if (rows.numel() == 0) return 0.0;
  auto r = rows.to(out.device());
  return (out.index_select(0, r) - target.index_select(0, r)).pow(2).mean().item<double>();
}

// The outputs of every graph of `graphs`, [B, C], in chunks of 256.
at::Tensor graph_outputs(GNNModel& model, const std::vector<Graph>& graphs) {
  torch::NoGradGuard ng;
  model.eval();
  std::vector<at::Tensor> outs;
  for (size_t s = 0; s < graphs.size(); s += 256) {
    std::vector<int64_t> ids;
    for (size_t i = s; i < std::min(graphs.size(), s + 256); ++i) ids.push_back(static_cast<int64_t>(i));
    auto p = pack(graphs, ids);
    outs.push_back(model.forward(p.x, p.edge_index, p.edge_weight, p.batch, p.num_graphs));
  }
  return torch::cat(outs);
}

void check_graphs(const char* op, const GNNModel& model, const std::vector<Graph>& graphs) {
  GNNX_CHECK(!graphs.empty(), op, ": no graphs given");
  GNNX_CHECK(model.task() == Task::kGraph, op, ": the model predicts nodes, not graphs");
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& g = graphs[i];
    const std::string where = std::string(op) + " (graph " + std::to_string(i) + ")";
    g.validate(where, /*allow_empty=*/false);
    GNNX_CHECK(g.has_features() && g.num_features() == model.in_channels(), where, ": the model takes ",
               model.in_channels(), " features, the graph has ", g.num_features());
    GNNX_CHECK(g.has_edge_weight() == graphs[0].has_edge_weight(), where,
               ": some graphs have edge weights and some do not");
  }
}

// The shared loop: `step` runs one epoch of updates and returns its loss; `evaluate` the
// model's outputs on every row. Keeps the parameters of the best validation MSE.
RegressionResult fit_regression(GNNModel& model, const at::Tensor& target, const Split& split, const TrainOptions& o,
                                const std::function<double()>& step, const std::function<at::Tensor()>& evaluate) {
  const auto t0 = Clock::now();
  RegressionResult r;
  BestEpoch keep(model, o, /*lower_is_better=*/true);
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    model.train();
    const double loss = step();
    r.epochs_run = epoch + 1;
    const auto out = evaluate();
    const double train = mse_rows(out, target, split.train);
    const double val = split.val.numel() ? mse_rows(out, target, split.val) : train;
    if (keep.update(model, epoch, loss, train, val, r.best_epoch, " mse")) break;
  }
  keep.restore_best(model);
  const auto out = evaluate();
  r.train_mse = mse_rows(out, target, split.train);
  r.val_mse = mse_rows(out, target, split.val);
  r.test_mse = mse_rows(out, target, split.test);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace

double node_mse(GNNModel& model, const Graph& g, const at::Tensor& targets, const at::Tensor& index) {
  g.validate("node_mse", /*allow_empty=*/false);
  const auto t = regression_targets("node_mse", model, targets, g.num_nodes, g.device(), g.x.scalar_type());
  check_split("node_mse", {index, index, index}, g.num_nodes);
  torch::NoGradGuard ng;
  model.eval();
  return mse_rows(model.forward(g.x, g.edge_index, g.edge_weight), t, index);
}

double graph_mse(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& targets,
                 const at::Tensor& index) {
  check_graphs("graph_mse", model, graphs);
  const auto n = static_cast<int64_t>(graphs.size());
  const auto t = regression_targets("graph_mse", model, targets, n, graphs[0].device(), graphs[0].x.scalar_type());
  check_split("graph_mse", {index, index, index}, n);
  return mse_rows(graph_outputs(model, graphs), t, index);
}

RegressionResult train_node_regressor(GNNModel& model, const Graph& g, const at::Tensor& targets, const Split& split,
                                      const TrainOptions& o) {
  constexpr const char* op = "train_node_regressor";
  g.validate(op, /*allow_empty=*/false);
  GNNX_CHECK(model.task() == Task::kNode, op, ": the model predicts graphs, not nodes");
  GNNX_CHECK(g.has_features() && g.num_features() == model.in_channels(), op, ": the model takes ", model.in_channels(),
             " features, the graph has ", g.num_features());
  const auto t = regression_targets(op, model, targets, g.num_nodes, g.device(), g.x.scalar_type());
  GNNX_CHECK(o.epochs() > 0 && o.lr() > 0, op, ": epochs and lr must be positive");
  check_split(op, split, g.num_nodes);
  torch::manual_seed(o.seed());
  const auto tr = split.train.to(g.device());
  const auto t_tr = t.index_select(0, tr);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  IndexRangeScope ranges(g.edge_index);
  auto step = [&] {
    opt.zero_grad();
    auto loss = torch::mse_loss(model.forward(g.x, g.edge_index, g.edge_weight).index_select(0, tr), t_tr);
    loss.backward();
    if (o.clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip());
    opt.step();
    return loss.item<double>();
  };
  auto evaluate = [&] {
    torch::NoGradGuard ng;
    model.eval();
    return model.forward(g.x, g.edge_index, g.edge_weight);
  };
  return fit_regression(model, t, split, o, step, evaluate);
}

RegressionResult train_graph_regressor(GNNModel& model, const std::vector<Graph>& graphs, const at::Tensor& targets,
                                       const Split& split, const TrainOptions& o) {
  constexpr const char* op = "train_graph_regressor";
  check_graphs(op, model, graphs);
  const auto n = static_cast<int64_t>(graphs.size());
  const auto t = regression_targets(op, model, targets, n, graphs[0].device(), graphs[0].x.scalar_type());
  GNNX_CHECK(o.epochs() > 0 && o.lr() > 0 && o.batch_size() > 0, op, ": epochs, lr and batch_size must be positive");
  check_split(op, split, n);
  torch::manual_seed(o.seed());
  Rng rng(o.seed());
  auto train_ids = to_vec(split.train);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  auto step = [&] {
    shuffle(train_ids, rng);
    double total = 0;
    for (size_t s = 0; s < train_ids.size(); s += static_cast<size_t>(o.batch_size())) {
      std::vector<int64_t> ids(
          train_ids.begin() + static_cast<long>(s),
          train_ids.begin() + static_cast<long>(std::min(train_ids.size(), s + static_cast<size_t>(o.batch_size()))));
      auto p = pack(graphs, ids);
      opt.zero_grad();
      auto out = model.forward(p.x, p.edge_index, p.edge_weight, p.batch, p.num_graphs);
      auto loss = torch::mse_loss(out, t.index_select(0, torch::tensor(ids, torch::kLong).to(t.device())));
      loss.backward();
      if (o.clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip());
      opt.step();
      total += loss.item<double>() * static_cast<double>(ids.size());
    }
    return total / static_cast<double>(train_ids.size());
  };
  return fit_regression(model, t, split, o, step, [&] { return graph_outputs(model, graphs); });
}

}  // namespace gnnx::nn

// ---------------------------------------------------------------------------------------------
// Link prediction

namespace gnnx::nn {
namespace {

uint64_t pair_key(int64_t u, int64_t v, int64_t n) {
  return static_cast<uint64_t>(u) * static_cast<uint64_t>(n) + static_cast<uint64_t>(v);
}

// count pairs (u, v), u != v, drawn uniformly among those not in `taken` (both orders of a drawn
// pair are added to it), as [2, count] int64.
at::Tensor draw_non_edges(int64_t count, int64_t n, std::unordered_set<uint64_t>& taken, Rng& rng, const char* op) {
  std::vector<int64_t> src, dst;
  int64_t tries = 0;
  while (static_cast<int64_t>(src.size()) < count) {
    GNNX_CHECK(++tries <= 1000 * (count + 10), op, ": could not draw ", count,
               " node pairs that are not edges; the graph is too dense");
    const int64_t u = uniform_int(rng, 0, n - 1), v = uniform_int(rng, 0, n - 1);
    if (u == v || taken.count(pair_key(u, v, n))) continue;
    taken.insert(pair_key(u, v, n));
    taken.insert(pair_key(v, u, n));
    src.push_back(u);
    dst.push_back(v);
  }
  return torch::stack({torch::tensor(src, torch::kLong), torch::tensor(dst, torch::kLong)}).view({2, count});
}

void check_pairs(const char* op, const char* name, const at::Tensor& p, int64_t n) {
  GNNX_CHECK(p.defined() && p.dim() == 2 && p.size(0) == 2 && p.scalar_type() == at::kLong, op, ": ", name,
             " must be int64 node pairs [2, P], got ", p.defined() ? p.sizes() : c10::IntArrayRef{});
  if (p.numel() > 0)
    GNNX_CHECK(p.min().item<int64_t>() >= 0 && p.max().item<int64_t>() < n, op, ": ", name,
               " holds a node id outside [0, ", n, ")");
}

double pair_accuracy(GNNModel& model, const Graph& g, const at::Tensor& pos, const at::Tensor& neg) {
  if (pos.numel() + neg.numel() == 0) return 0.0;
  torch::NoGradGuard ng;
  model.eval();
  const auto dev = g.device();
  const auto pairs = torch::cat({pos, neg}, 1).to(dev);
  const auto labels = torch::cat({torch::ones({pos.size(1)}, torch::kLong), torch::zeros({neg.size(1)}, torch::kLong)});
  const auto out = model.forward_links(g.x, g.edge_index, g.edge_weight, pairs).to(torch::kCPU);
  return out.argmax(1).eq(labels).to(torch::kDouble).mean().item<double>();
}

}  // namespace

LinkSplit random_link_split(const Graph& g, double val_fraction, double test_fraction, uint64_t seed) {
  constexpr const char* op = "random_link_split";
  g.validate(op, /*allow_empty=*/false);
  GNNX_CHECK(val_fraction >= 0 && test_fraction >= 0 && val_fraction + test_fraction < 1, op,
             ": fractions must satisfy 0 <= val, 0 <= test, val + test < 1; got val = ", val_fraction,
             ", test = ", test_fraction);
  const int64_t n = g.num_nodes;
  const auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t E = ei.size(1);
  const int64_t* src = ei.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  std::unordered_set<uint64_t> present;
  for (int64_t e = 0; e < E; ++e) present.insert(pair_key(src[e], dst[e], n));
  std::vector<int64_t> undirected;  // one id (u < v) per undirected edge; parallel copies count once
  std::unordered_set<uint64_t> seen;
  for (int64_t e = 0; e < E; ++e) {
    GNNX_CHECK(present.count(pair_key(dst[e], src[e], n)), op, ": edge ", e, " (", src[e], " -> ", dst[e],
               ") has no reverse; link prediction splits undirected graphs (both directions of every edge)");
    if (src[e] < dst[e] && seen.insert(pair_key(src[e], dst[e], n)).second) undirected.push_back(e);
  }
  const auto m = static_cast<int64_t>(undirected.size());
  const auto n_val = static_cast<int64_t>(std::llround(val_fraction * static_cast<double>(m)));
  const auto n_test = static_cast<int64_t>(std::llround(test_fraction * static_cast<double>(m)));
  GNNX_CHECK(m - n_val - n_test > 0, op, ": the graph has ", m, " undirected edges, none left to train on");
  Rng rng(seed);
  const auto order = permutation(m, rng);
  auto pairs_of = [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> a, b;
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t e = undirected[static_cast<size_t>(order[static_cast<size_t>(i)])];
      a.push_back(src[e]);
      b.push_back(dst[e]);
    }
    return torch::stack({torch::tensor(a, torch::kLong), torch::tensor(b, torch::kLong)}).view({2, hi - lo});
  };
  LinkSplit s;
  s.val_pos = pairs_of(0, n_val);
  s.test_pos = pairs_of(n_val, n_val + n_test);
  s.train_pos = pairs_of(n_val + n_test, m);
  std::unordered_set<uint64_t> held;
  for (const auto* p : {&s.val_pos, &s.test_pos})
    for (int64_t i = 0; i < p->size(1); ++i) {
      const int64_t u = (*p)[0][i].item<int64_t>(), v = (*p)[1][i].item<int64_t>();
      held.insert(pair_key(u, v, n));
      held.insert(pair_key(v, u, n));
    }
  std::vector<int64_t> keep;
  for (int64_t e = 0; e < E; ++e)
    if (!held.count(pair_key(src[e], dst[e], n))) keep.push_back(e);
  const auto kept = torch::tensor(keep, torch::kLong).to(g.edge_index.device());
  s.graph = Graph(g.edge_index.index_select(1, kept), n, g.x,
                  g.has_edge_weight() ? g.edge_weight.index_select(0, kept) : at::Tensor(), g.y);
  auto taken = present;
  s.val_neg = draw_non_edges(n_val, n, taken, rng, op);
  s.test_neg = draw_non_edges(n_test, n, taken, rng, op);
  return s;
}

TrainResult train_link_predictor(GNNModel& model, const LinkSplit& s, const TrainOptions& o) {
  constexpr const char* op = "train_link_predictor";
  GNNX_CHECK(model.task() == Task::kLink, op, ": the model predicts ", to_string(model.task()),
             "s, not links (build it with Task::kLink)");
  GNNX_CHECK(model.mode() == Mode::kClassification && model.num_classes() == 2, op,
             ": expected a classifier of 2 classes (0: no edge, 1: edge), got ", to_string(model.mode()), " with ",
             model.num_classes(), " outputs");
  const auto& g = s.graph;
  g.validate(op, /*allow_empty=*/false);
  GNNX_CHECK(g.has_features() && g.num_features() == model.in_channels(), op, ": the model takes ", model.in_channels(),
             " features, the graph has ", g.num_features());
  const int64_t n = g.num_nodes;
  check_pairs(op, "train_pos", s.train_pos, n);
  for (const auto& [name, p] : {std::pair<const char*, const at::Tensor*>{"val_pos", &s.val_pos},
                                {"val_neg", &s.val_neg},
                                {"test_pos", &s.test_pos},
                                {"test_neg", &s.test_neg}})
    if (p->defined()) check_pairs(op, name, *p, n);
  GNNX_CHECK(s.train_pos.size(1) > 0, op, ": train_pos is empty");
  GNNX_CHECK(o.epochs() > 0 && o.lr() > 0, op, ": epochs and lr must be positive");
  const auto t0 = Clock::now();
  torch::manual_seed(o.seed());
  Rng rng(o.seed());
  // Non-edges are drawn among the pairs that are not edges of any split.
  std::unordered_set<uint64_t> known;
  auto add = [&](const at::Tensor& p) {
    if (!p.defined()) return;
    auto c = p.to(torch::kCPU).contiguous();
    for (int64_t i = 0; i < c.size(1); ++i) {
      known.insert(pair_key(c[0][i].item<int64_t>(), c[1][i].item<int64_t>(), n));
      known.insert(pair_key(c[1][i].item<int64_t>(), c[0][i].item<int64_t>(), n));
    }
  };
  add(g.edge_index);
  for (const auto* p : {&s.train_pos, &s.val_pos, &s.test_pos}) add(*p);
  const int64_t P = s.train_pos.size(1);
  const auto dev = g.device();
  const auto labels = torch::cat({torch::ones({P}, torch::kLong), torch::zeros({P}, torch::kLong)}).to(dev);
  const auto empty = torch::zeros({2, 0}, torch::kLong);
  auto or_empty = [&](const at::Tensor& t) { return t.defined() ? t.to(torch::kCPU) : empty; };
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  TrainResult r;
  BestEpoch keep(model, o, /*lower_is_better=*/false);
  at::Tensor train_neg;
  IndexRangeScope ranges(g.edge_index);
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    auto taken = known;
    train_neg = draw_non_edges(P, n, taken, rng, op);
    model.train();
    opt.zero_grad();
    auto out = model.forward_links(g.x, g.edge_index, g.edge_weight, torch::cat({s.train_pos, train_neg}, 1).to(dev));
    auto loss = torch::nn::functional::cross_entropy(out, labels);
    loss.backward();
    if (o.clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip());
    opt.step();
    r.epochs_run = epoch + 1;
    const double train_acc = pair_accuracy(model, g, s.train_pos.to(torch::kCPU), train_neg);
    const double val_acc = s.val_pos.defined() && s.val_pos.numel()
                               ? pair_accuracy(model, g, or_empty(s.val_pos), or_empty(s.val_neg))
                               : train_acc;
    if (keep.update(model, epoch, loss.item<double>(), train_acc, val_acc, r.best_epoch)) break;
  }
  keep.restore_best(model);
  r.train_acc = pair_accuracy(model, g, s.train_pos.to(torch::kCPU), train_neg);
  r.val_acc = pair_accuracy(model, g, or_empty(s.val_pos), or_empty(s.val_neg));
  r.test_acc = pair_accuracy(model, g, or_empty(s.test_pos), or_empty(s.test_neg));
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace gnnx::nn
