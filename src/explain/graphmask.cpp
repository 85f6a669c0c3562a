#include "gnnx/explain/graphmask.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

namespace {

constexpr const char* kOp = "GraphMask";
// The hard concrete distribution's temperature and stretch (the paper's and PyG's).
constexpr double kBeta = 1.0 / 3.0, kGamma = -0.2, kZeta = 1.2;
// Added to the gate networks' output bias at initialisation, so that training starts from open
// gates (σ(2) stretched is above 1), i.e. from the model's own prediction.
constexpr double kOpenBias = 2.0;

void check_options(const GraphMaskOptions& o) {
  GNNX_CHECK(o.epochs() >= 1, kOp, ": epochs must be >= 1, got ", o.epochs());
  GNNX_CHECK(o.lr() > 0 && std::isfinite(o.lr()), kOp, ": lr must be positive, got ", o.lr());
  GNNX_CHECK(o.hidden() >= 1, kOp, ": hidden must be >= 1, got ", o.hidden());
  GNNX_CHECK(o.allowance() >= 0 && std::isfinite(o.allowance()), kOp, ": allowance must be >= 0, got ",
             o.allowance());
  GNNX_CHECK(o.init_lambda() >= 0 && std::isfinite(o.init_lambda()), kOp, ": init_lambda must be >= 0, got ",
             o.init_lambda());
  GNNX_CHECK(o.lambda_lr() >= 0 && std::isfinite(o.lambda_lr()), kOp, ": lambda_lr must be >= 0, got ",
             o.lambda_lr());
  GNNX_CHECK(o.batch_size() >= 1, kOp, ": batch_size must be >= 1, got ", o.batch_size());
}

bool phenomenon(const GraphMaskOptions& o) { return o.explanation_type() == ExplanationType::kPhenomenon; }

// One layer's gate network, its baseline message and the standardisation of its inputs.
struct LayerNet {
  at::Tensor a, b, b1, w2, b2, baseline;  // [H, Fs], [H, Ft], [H], [H], [1], message shape
  at::Tensor mu_s, sd_s, mu_t, sd_t;      // [Fs], [Ft]
  std::string layer;
  std::vector<int64_t> message_shape;
  std::vector<at::Tensor> params() const { return {a, b, b1, w2, b2, baseline}; }
};

}  // namespace

struct GraphMaskExplainer::State {
  std::vector<LayerNet> layers;
  bool graph_task = false;
  double lambda = 0;
};

namespace {

// One batch of instances: their union, what each layer received on the ungated forward, and
// the model's whole-graph logits of each instance.
struct Batch {
  detail::Union u;
  std::vector<nn::LayerInput> inputs;  // per layer, source / target flattened to [n, F]
  at::Tensor logits0;                  // [B, C]
};

at::Tensor forward_union(nn::GNNModel& model, const detail::Union& u) {
  const auto& g = u.graph;
  if (u.graph_task) return model.forward(g.x, g.edge_index, g.edge_weight, u.node_seg, u.size());
  return model.forward(g.x, g.edge_index, g.edge_weight).index_select(0, u.centers);
}

Batch make_batch(nn::GNNModel& model, const std::vector<detail::Instance>& insts, size_t first, size_t last) {
  std::vector<const detail::Instance*> part;
  std::vector<at::Tensor> logits;
  for (size_t i = first; i < last; ++i) {
    part.push_back(&insts[i]);
    logits.push_back(insts[i].logits);
  }
  Batch b;
  b.u = detail::make_union(part, model.task() == nn::Task::kGraph);
  const int64_t E = b.u.graph.num_edges();
  {
    torch::NoGradGuard ng;
    detail::EvalGuard eg(model);
    nn::IndexRangeScope ranges(b.u.graph.edge_index);
    nn::LayerInputRecorder rec;
    (void)forward_union(model, b.u);
    b.inputs = rec.inputs();
  }
  GNNX_CHECK(!b.inputs.empty(), kOp,
             ": the model ran no gnnx::nn::MessagePassing layer, so there are no messages to gate (a TorchScript "
             "model exposes its edge weights only; explain it with gnnexplainer, pgexplainer or a gradient method)");
  for (auto& in : b.inputs) {
    GNNX_CHECK(in.num_edges == E, kOp, ": layer ", in.layer, " ran on ", in.num_edges, " edges, not on the graph's ",
               E, "; GraphMask gates the graph's own edges in every layer");
    in.source = in.source.reshape({in.source.size(0), -1});
    in.target = in.target.reshape({in.target.size(0), -1});
  }
  b.logits0 = torch::stack(logits).to(b.u.graph.x.device(), b.u.graph.x.scalar_type());
  return b;
}

// Every edge's gate logit at layer k of the batch.
at::Tensor gate_logits(const LayerNet& net, const nn::LayerInput& in, const at::Tensor& edge_index) {
  auto pa = torch::mm((in.source - net.mu_s) / net.sd_s, net.a.t());
  auto pb = torch::mm((in.target - net.mu_t) / net.sd_t, net.b.t());
  auto h = torch::relu(pa.index_select(0, edge_index[0]) + pb.index_select(0, edge_index[1]) + net.b1);
  return torch::mv(h, net.w2) + net.b2;
}

// The clipped gate of a noise-free σ(logit): stretched to (γ, ζ) and clipped to [0, 1].
at::Tensor clipped_gate_of(const at::Tensor& soft) { return (soft * (kZeta - kGamma) + kGamma).clamp(0, 1); }

// Per instance [B]: KL(p0 ‖ p) (model) or CE(p, y) − CE(p0, y) (phenomenon); for a regression
// model the squared change of the explained output.
at::Tensor divergence(const at::Tensor& logits, const at::Tensor& logits0, const at::Tensor& labels, bool phen,
                      bool regression) {
  if (regression) {
    auto y = labels.view({-1, 1});
    return (logits.gather(1, y) - logits0.gather(1, y)).pow(2).view({-1});
  }
  const auto lp = torch::log_softmax(logits, 1), lp0 = torch::log_softmax(logits0, 1);
  if (phen) {
    auto y = labels.view({-1, 1});
    return (lp0.gather(1, y) - lp.gather(1, y)).view({-1});
  }
  return (lp0.exp() * (lp0 - lp)).sum(1);
}

// PyTorch's nn.Linear initialisation, U(±1/√fan_in) for weight and bias, from `gen`.
at::Tensor uniform(at::IntArrayRef shape, int64_t fan_in, at::Generator& gen, const at::TensorOptions& opt) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
  return torch::empty(shape, torch::kFloat).uniform_(-bound, bound, gen).to(opt);
}

void check_fits(const GraphMaskExplainer::State& s, const Batch& b) {
  GNNX_CHECK(b.inputs.size() == s.layers.size(), kOp, ": the gates were trained for ", s.layers.size(),
             " message-passing layers, but this model runs ", b.inputs.size(), " (train on this model: fit, or reset)");
  for (size_t k = 0; k < s.layers.size(); ++k) {
    const auto& n = s.layers[k];
    const auto& in = b.inputs[k];
    GNNX_CHECK(in.layer == n.layer && in.source.size(1) == n.a.size(1) && in.target.size(1) == n.b.size(1) &&
                   in.message_shape == n.message_shape,
               kOp, ": layer ", k, " is a ", in.layer, " reading ", in.source.size(1), " features, but the gates were ",
               "trained on a ", n.layer, " reading ", n.a.size(1), " (train on this model: fit, or reset)");
  }
}

GraphMaskTrainReport train(GraphMaskExplainer::State& s, nn::GNNModel& model, const GraphMaskOptions& o,
                           const std::vector<detail::Instance>& insts) {
  const auto t0 = std::chrono::steady_clock::now();
  detail::EvalGuard eg(model);
  const bool phen = phenomenon(o);
  std::vector<Batch> batches;
  const auto bs = static_cast<size_t>(o.batch_size());
  for (size_t a = 0; a < insts.size(); a += bs)
    batches.push_back(make_batch(model, insts, a, std::min(insts.size(), a + bs)));
  s.graph_task = model.task() == nn::Task::kGraph;
  const auto K = batches.front().inputs.size();
  for (const auto& b : batches)
    GNNX_CHECK(b.inputs.size() == K, kOp, ": the model ran ", b.inputs.size(), " message-passing layers on one batch and ",
               K, " on another");
  const auto opt = batches.front().u.graph.x.options();
  auto gen = torch_generator(o.seed());
  s.layers.assign(K, {});
  const int64_t H = o.hidden();
  for (size_t k = 0; k < K; ++k) {
    auto& n = s.layers[k];
    const auto& in0 = batches.front().inputs[k];
    n.layer = in0.layer;
    n.message_shape = in0.message_shape;
    std::vector<at::Tensor> src, dst;
    for (const auto& b : batches) {
      src.push_back(b.inputs[k].source);
      dst.push_back(b.inputs[k].target);
    }
    const auto S = torch::cat(src), T = torch::cat(dst);
    n.mu_s = S.mean(0);
    n.sd_s = S.std(0, /*unbiased=*/false).clamp_min(1e-6);
    n.mu_t = T.mean(0);
    n.sd_t = T.std(0, /*unbiased=*/false).clamp_min(1e-6);
    const int64_t Fs = S.size(1), Ft = T.size(1);
    auto w1 = uniform({H, Fs + Ft}, Fs + Ft, gen, opt);
    n.a = w1.slice(1, 0, Fs).contiguous().requires_grad_(true);
    n.b = w1.slice(1, Fs).contiguous().requires_grad_(true);
    n.b1 = uniform({H}, Fs + Ft, gen, opt).requires_grad_(true);
    n.w2 = uniform({H}, H, gen, opt).requires_grad_(true);
    n.b2 = (uniform({1}, H, gen, opt) + kOpenBias).requires_grad_(true);
    int64_t m = 1;
    for (const auto d : n.message_shape) m *= d;
    n.baseline = uniform({m}, m, gen, opt).requires_grad_(true);
  }
  std::vector<at::Tensor> all;
  for (const auto& n : s.layers)
    for (const auto& p : n.params()) all.push_back(p);
  torch::optim::Adam adam(all, torch::optim::AdamOptions(o.lr()));
  s.lambda = o.init_lambda();
  const double l0_shift = kBeta * std::log(-kGamma / kZeta);

  GraphMaskTrainReport rep;
  rep.instances = static_cast<int64_t>(insts.size());
  const size_t stages = o.layerwise() ? K : 1;
  torch::AutoGradMode grad_on(true);
  for (size_t stage = 0; stage < stages; ++stage) {
    const size_t first = o.layerwise() ? K - 1 - stage : 0;  // layers [first, K) are gated
    std::vector<at::Tensor> params;
    for (size_t k = first; k < K; ++k)
      for (const auto& p : s.layers[k].params()) params.push_back(p);
    for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
      double total = 0, total_div = 0, total_kept = 0;
      for (auto& b : batches) {
        const auto& ei = b.u.graph.edge_index;
        const int64_t E = ei.size(1), B = b.u.size();
        nn::IndexRangeScope ranges(ei);
        std::vector<nn::MessageGate> gates(K);
        at::Tensor penalty = torch::zeros({}, opt);
        for (size_t k = first; k < K; ++k) {
          const auto logit = gate_logits(s.layers[k], b.inputs[k], ei);
          auto u = torch::rand({E}, gen, torch::kFloat).clamp(1e-6, 1 - 1e-6).to(opt);
          auto st = torch::sigmoid((torch::log(u) - torch::log1p(-u) + logit) / kBeta);
          gates[k].gate = (st * (kZeta - kGamma) + kGamma).clamp(0, 1);
          gates[k].baseline = s.layers[k].baseline;
          penalty = penalty + torch::sigmoid(logit - l0_shift).mean();
        }
        at::Tensor out;
        {
          nn::MessageGateScope scope(gates);
          out = forward_union(model, b.u);
        }
        const auto d = divergence(out, b.logits0, b.u.labels, phen, b.u.regression).mean();
        const double dv = d.item<double>();
        auto loss = penalty + s.lambda * (d - o.allowance());
        auto grads = torch::autograd::grad({loss}, params, {}, false, false, /*allow_unused=*/true);
        for (size_t q = 0; q < params.size(); ++q) params[q].mutable_grad() = grads[q];
        adam.step();
        for (auto& p : params) p.mutable_grad() = at::Tensor();
        s.lambda = std::max(0.0, s.lambda + o.lambda_lr() * (dv - o.allowance()));
        total += loss.item<double>() * static_cast<double>(B);
        total_div += dv * static_cast<double>(B);
        total_kept += penalty.item<double>() / static_cast<double>(K - first) * static_cast<double>(B);
        ++rep.steps;
      }
      const auto n = static_cast<double>(insts.size());
      rep.epoch_loss.push_back(total / n);
      rep.epoch_divergence.push_back(total_div / n);
      rep.epoch_kept.push_back(total_kept / n);
    }
  }
  for (auto& n : s.layers)
    for (auto p : n.params()) p.requires_grad_(false);
  rep.lambda = s.lambda;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

// Per layer, the noise-free σ(logit) of every edge of the batch.
std::vector<at::Tensor> soft_gates(const GraphMaskExplainer::State& s, const Batch& b) {
  std::vector<at::Tensor> out;
  for (size_t k = 0; k < s.layers.size(); ++k)
    out.push_back(torch::sigmoid(gate_logits(s.layers[k], b.inputs[k], b.u.graph.edge_index)));
  return out;
}

std::vector<Explanation> explain_all(const GraphMaskExplainer::State& s, nn::GNNModel& model,
                                     const GraphMaskOptions& o, const std::vector<detail::Instance>& insts) {
  GNNX_CHECK(s.graph_task == (model.task() == nn::Task::kGraph), kOp, ": the gates were trained for a ",
             s.graph_task ? "graph" : "node", " classifier, got a ", nn::to_string(model.task()), " classifier");
  torch::NoGradGuard ng;
  detail::EvalGuard eg(model);
  std::vector<Explanation> out;
  constexpr size_t kChunk = 256;
  for (size_t a = 0; a < insts.size(); a += kChunk) {
    const size_t z = std::min(insts.size(), a + kChunk);
    auto b = make_batch(model, insts, a, z);
    check_fits(s, b);
    const auto soft = soft_gates(s, b);
    std::vector<nn::MessageGate> gates;
    at::Tensor mean_soft = torch::zeros_like(soft.front()), kept = torch::zeros_like(soft.front());
    for (size_t k = 0; k < soft.size(); ++k) {
      const auto clipped = clipped_gate_of(soft[k]);
      gates.push_back({clipped, s.layers[k].baseline});
      mean_soft += soft[k];
      kept += (clipped > 0).to(kept.scalar_type());
    }
    const auto K = static_cast<double>(soft.size());
    mean_soft = (mean_soft / K).to(torch::kCPU);
    kept = (kept / K).to(torch::kCPU);
    at::Tensor div;
    {
      nn::IndexRangeScope ranges(b.u.graph.edge_index);
      nn::MessageGateScope scope(gates);
      div = divergence(forward_union(model, b.u), b.logits0, b.u.labels, phenomenon(o), b.u.regression).to(torch::kCPU);
    }
    for (size_t i = a; i < z; ++i) {
      const auto k = static_cast<int64_t>(i - a);
      const auto lo = b.u.edge_off[static_cast<size_t>(k)], hi = b.u.edge_off[static_cast<size_t>(k) + 1];
      auto e = detail::make_explanation(insts[i], "graphmask", mean_soft.slice(0, lo, hi));
      e.diagnostics["divergence"] = div[k].item<double>();
      e.diagnostics["kept"] = hi > lo ? kept.slice(0, lo, hi).mean().item<double>() : 0.0;
      e.diagnostics["lambda"] = s.lambda;
      e.diagnostics["subgraph_edges"] = static_cast<double>(hi - lo);
      out.push_back(std::move(e));
    }
  }
  return out;
}

// New gates trained on insts, replacing `state`.
GraphMaskTrainReport fit_instances(std::unique_ptr<GraphMaskExplainer::State>& state, nn::GNNModel& model,
                                   const GraphMaskOptions& o, const std::vector<detail::Instance>& insts) {
  GNNX_CHECK(model.task() != nn::Task::kLink, kOp,
             ": link predictors are not covered; explain them with gnnexplainer, pgexplainer or a gradient method");
  auto s = std::make_unique<GraphMaskExplainer::State>();
  auto rep = train(*s, model, o, insts);
  state = std::move(s);
  return rep;
}

// insts explained by the trained gates, trained on insts first when `state` is empty.
std::vector<Explanation> explain_instances(std::unique_ptr<GraphMaskExplainer::State>& state, nn::GNNModel& model,
                                           const GraphMaskOptions& o, const std::vector<detail::Instance>& insts) {
  GNNX_CHECK(model.task() != nn::Task::kLink, kOp,
             ": link predictors are not covered; explain them with gnnexplainer, pgexplainer or a gradient method");
  const double train_s = state ? 0.0 : fit_instances(state, model, o, insts).seconds;
  return detail::timed_explanations([&] { return explain_all(*state, model, o, insts); }, train_s);
}

}  // namespace

GraphMaskExplainer::GraphMaskExplainer(GraphMaskOptions options_) : options(std::move(options_)) {
  check_options(options);
}
GraphMaskExplainer::~GraphMaskExplainer() = default;

bool GraphMaskExplainer::trained() const { return state_ != nullptr; }
void GraphMaskExplainer::reset() { state_.reset(); }

GraphMaskTrainReport GraphMaskExplainer::fit(nn::GNNModel& model, const Graph& graph,
                                             const std::vector<Target>& targets) {
  check_options(options);
  return fit_instances(state_, model, options,
                       detail::make_instances(model, graph, targets, phenomenon(options), kOp));
}

GraphMaskTrainReport GraphMaskExplainer::fit_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                    const std::vector<int64_t>& labels) {
  check_options(options);
  return fit_instances(state_, model, options,
                       detail::make_graph_instances(model, graphs, labels, phenomenon(options), kOp));
}

std::vector<Explanation> GraphMaskExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                     const std::vector<Target>& targets) {
  check_options(options);
  return explain_instances(state_, model, options,
                           detail::make_instances(model, graph, targets, phenomenon(options), kOp));
}

std::vector<Explanation> GraphMaskExplainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                            const std::vector<int64_t>& labels) {
  check_options(options);
  return explain_instances(state_, model, options,
                           detail::make_graph_instances(model, graphs, labels, phenomenon(options), kOp));
}

std::vector<at::Tensor> GraphMaskExplainer::layer_gates(nn::GNNModel& model, const Graph& graph,
                                                        const Explanation& e) const {
  GNNX_CHECK(state_ != nullptr, kOp, "::layer_gates: the explainer is not trained (fit, fit_graphs or explain first)");
  const bool graph_task = model.task() == nn::Task::kGraph;
  auto insts = graph_task ? detail::make_graph_instances(model, {graph}, {e.target.label}, phenomenon(options), kOp)
                          : detail::make_instances(model, graph, {e.target}, phenomenon(options), kOp);
  torch::NoGradGuard ng;
  detail::EvalGuard eg(model);
  auto b = make_batch(model, insts, 0, 1);
  check_fits(*state_, b);
  std::vector<at::Tensor> out;
  for (const auto& g : soft_gates(*state_, b))
    out.push_back(clipped_gate_of(g).to(torch::kCPU, torch::kFloat));
  return out;
}

}  // namespace gnnx::explain
