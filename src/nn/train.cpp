#include "gnnx/nn/train.h"

#include <chrono>

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
    ys.push_back(g.y);
    offset += g.num_nodes;
  }
  Packed p;
  p.x = torch::cat(xs);
  p.edge_index = torch::cat(eis, 1);
  if (!ews.empty()) p.edge_weight = torch::cat(ews);
  p.batch = torch::cat(bs);
  p.y = torch::cat(ys);
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
  double best_val = -1, best_train = -1;
  auto best = snapshot(model);
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
    if (val_acc > best_val || (val_acc == best_val && train_acc > best_train)) {
      best_val = val_acc;
      best_train = train_acc;
      best = snapshot(model);
      r.best_epoch = epoch;
    }
    if (o.log() && o.log_every() > 0 && epoch % o.log_every() == 0)
      log_to(o.log(), LogLevel::kInfo, "epoch ", epoch, " loss ", loss.item<double>(), " train ", train_acc, " val ",
             val_acc);
    if (o.patience() > 0 && epoch - r.best_epoch >= o.patience()) break;
  }
  restore(model, best);
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
  double best_val = -1, best_train = -1;
  auto best = snapshot(model);
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
    if (val_acc > best_val || (val_acc == best_val && train_acc > best_train)) {
      best_val = val_acc;
      best_train = train_acc;
      best = snapshot(model);
      r.best_epoch = epoch;
    }
    if (o.log_every() > 0 && epoch % o.log_every() == 0)
      log_to(o.log(), LogLevel::kInfo, "epoch ", epoch, " train ", train_acc, " val ", val_acc);
    if (o.patience() > 0 && epoch - r.best_epoch >= o.patience()) break;
  }
  restore(model, best);
  r.train_acc = graph_accuracy(model, graphs, split.train);
  r.val_acc = split.val.numel() ? graph_accuracy(model, graphs, split.val) : 0.0;
  r.test_acc = split.test.numel() ? graph_accuracy(model, graphs, split.test) : 0.0;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace gnnx::nn
