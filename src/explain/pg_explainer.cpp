#include "gnnx/explain/pg_explainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <unordered_set>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

namespace {

constexpr const char* kOp = "PGExplainer";

void check_options(const PGExplainerOptions& o) {
  GNNX_CHECK(o.epochs() >= 1, "PGExplainer: epochs must be >= 1, got ", o.epochs());
  GNNX_CHECK(o.lr() > 0 && std::isfinite(o.lr()), "PGExplainer: lr must be positive, got ", o.lr());
  GNNX_CHECK(o.edge_size() >= 0 && std::isfinite(o.edge_size()), "PGExplainer: edge_size must be >= 0, got ",
             o.edge_size());
  GNNX_CHECK(o.edge_ent() >= 0 && std::isfinite(o.edge_ent()), "PGExplainer: edge_ent must be >= 0, got ",
             o.edge_ent());
  GNNX_CHECK(o.temp_start() > 0 && std::isfinite(o.temp_start()), "PGExplainer: temp_start must be positive, got ",
             o.temp_start());
  GNNX_CHECK(o.temp_end() > 0 && std::isfinite(o.temp_end()), "PGExplainer: temp_end must be positive, got ",
             o.temp_end());
  GNNX_CHECK(o.bias() >= 0 && o.bias() < 0.5, "PGExplainer: bias must be in [0, 0.5), got ", o.bias());
  GNNX_CHECK(o.hidden() >= 1, "PGExplainer: hidden must be >= 1, got ", o.hidden());
  GNNX_CHECK(o.batch_size() >= 1, "PGExplainer: batch_size must be >= 1, got ", o.batch_size());
}

nn::GNNClassifierImpl& classifier(nn::GNNModel& model) {
  auto* c = dynamic_cast<nn::GNNClassifierImpl*>(&model);
  GNNX_CHECK(c != nullptr, kOp,
             ": the MLP reads node embeddings, which only a gnnx::nn::GNNClassifier reports (reference models and "
             "imported PyG models are ones); got another GNNModel");
  return *c;
}

// The node embeddings the MLP reads, [N, D], without gradient.
at::Tensor node_embeddings(nn::GNNModel& model, PGEmbedding which, const at::Tensor& x, const at::Tensor& edge_index,
                           const at::Tensor& edge_weight) {
  auto& c = classifier(model);
  torch::NoGradGuard ng;
  detail::EvalGuard eg(model);
  nn::IndexRangeScope ranges(edge_index);
  auto emb = c.embeddings(x, edge_index, edge_weight);
  GNNX_CHECK(!emb.empty(), kOp, ": the model reported no layer embeddings");
  return which == PGEmbedding::kLast ? emb.back() : torch::cat(emb, 1);
}

}  // namespace

// The MLP and what it was trained for.
struct PGExplainer::State {
  at::Tensor w1, b1, w2, b2;  // [H, in], [H], [1, H], [1]
  at::Tensor mu, sd;          // [D]: the MLP reads (z - mu) / sd
  int64_t dim = 0;            // D: the embedding width
  bool graph_task = false;
  bool link = false;  // trained for a link predictor: the MLP also reads both endpoints' embeddings
  std::vector<at::Tensor> params() const { return {w1, b1, w2, b2}; }
};

namespace {

// One batch of instances: their union, each union node's embedding and, for node tasks, each
// instance's target embedding.
struct Batch {
  detail::Union u;
  at::Tensor z;       // [n, D] embeddings of the union's nodes
  at::Tensor zc;      // [B, D] the targets' embeddings (node task; a link's first node)
  at::Tensor zc2;     // [B, D] a link's second node's embedding (link task)
  at::Tensor pair;    // [E] undirected pair of each edge (symmetric_mask), else undefined
  int64_t pairs = 0;  // P
};

Batch make_batch(nn::GNNModel& model, const PGExplainerOptions& o, const std::vector<detail::Instance>& insts,
                 size_t first, size_t last, const at::Tensor& full_z) {
  std::vector<const detail::Instance*> part;
  for (size_t i = first; i < last; ++i) part.push_back(&insts[i]);
  const bool graph_task = model.task() == nn::Task::kGraph;
  Batch b;
  b.u = detail::make_union(part, graph_task);
  if (graph_task) {
    // Each graph's embeddings on the graph itself; the union is a disjoint union of them.
    b.z = node_embeddings(model, o.embedding(), b.u.graph.x, b.u.graph.edge_index, b.u.graph.edge_weight);
  } else {
    std::vector<at::Tensor> ids;
    for (const auto* inst : part) ids.push_back(inst->node_ids);
    b.z = full_z.index_select(0, torch::cat(ids).to(full_z.device()));
    b.zc = b.z.index_select(0, b.u.centers);
    if (b.u.link) b.zc2 = b.z.index_select(0, b.u.centers2);
  }
  if (o.symmetric_mask()) b.pair = detail::union_pairs(part, b.pairs);
  return b;
}

// ω [E]: the MLP's logit of every union edge, with W₁ applied blockwise per node (see the header).
at::Tensor edge_logits(const PGExplainer::State& s, const Batch& b) {
  const int64_t D = s.dim;
  const auto& ei = b.u.graph.edge_index;
  const auto z = (b.z - s.mu) / s.sd;
  auto pa = torch::mm(z, s.w1.slice(1, 0, D).t());      // [n, H]
  auto pb = torch::mm(z, s.w1.slice(1, D, 2 * D).t());  // [n, H]
  auto h = pa.index_select(0, ei[0]) + pb.index_select(0, ei[1]) + s.b1;
  if (!s.graph_task) {
    auto pc = torch::mm((b.zc - s.mu) / s.sd, s.w1.slice(1, 2 * D, 3 * D).t());  // [B, H]
    h = h + pc.index_select(0, b.u.edge_seg);
  }
  if (s.link) {
    auto pd = torch::mm((b.zc2 - s.mu) / s.sd, s.w1.slice(1, 3 * D, 4 * D).t());  // [B, H]
    h = h + pd.index_select(0, b.u.edge_seg);
  }
  return torch::addmm(s.b2, torch::relu(h), s.w2.t()).view({-1});
}

// The mean of m over each edge's undirected pair (symmetric_mask); m itself otherwise.
at::Tensor symmetrise(const at::Tensor& m, const Batch& b) {
  if (!b.pair.defined()) return m;
  auto sum = torch::zeros({b.pairs}, m.options()).index_add(0, b.pair, m);
  auto cnt = torch::zeros({b.pairs}, m.options()).index_add(0, b.pair, torch::ones_like(m));
  return (sum / cnt).index_select(0, b.pair);
}

at::Tensor segment_sum(const at::Tensor& v, const at::Tensor& seg, int64_t S) {
  return torch::zeros({S}, v.options()).index_add(0, seg, v);
}

// PyTorch's nn.Linear initialisation (kaiming_uniform with a = √5, i.e. U(±1/√fan_in) for weight
// and bias), drawn from `gen` in the order weight, bias.
void init_linear(at::Tensor& w, at::Tensor& bias, int64_t out, int64_t in, at::Generator& gen,
                 const at::TensorOptions& opt) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  w = torch::empty({out, in}, torch::kFloat).uniform_(-bound, bound, gen).to(opt).requires_grad_(true);
  bias = torch::empty({out}, torch::kFloat).uniform_(-bound, bound, gen).to(opt).requires_grad_(true);
}

}  // namespace

PGExplainer::PGExplainer(PGExplainerOptions options_) : options(std::move(options_)) { check_options(options); }
PGExplainer::~PGExplainer() = default;

bool PGExplainer::trained() const { return state_ != nullptr; }
void PGExplainer::reset() { state_.reset(); }

std::vector<at::Tensor> PGExplainer::parameters() const {
  if (!state_) return {};
  std::vector<at::Tensor> out;
  for (const auto& p : state_->params()) out.push_back(p.detach());
  return out;
}

namespace {

bool phenomenon(const PGExplainerOptions& o) { return o.explanation_type() == ExplanationType::kPhenomenon; }

// Trains a new MLP on insts; full_z: the whole graph's embeddings (node task).
PGTrainReport train(PGExplainer::State& s, nn::GNNModel& model, const PGExplainerOptions& o,
                    const std::vector<detail::Instance>& insts, const at::Tensor& full_z) {
  const auto t0 = std::chrono::steady_clock::now();
  detail::EvalGuard eg(model);
  torch::AutoGradMode grad_on(true);
  const auto opt = insts.front().graph.x.options();
  std::vector<Batch> batches;
  const auto bs = static_cast<size_t>(o.batch_size());
  for (size_t a = 0; a < insts.size(); a += bs)
    batches.push_back(make_batch(model, o, insts, a, std::min(insts.size(), a + bs), full_z));
  s.dim = batches.front().z.size(1);
  s.graph_task = model.task() == nn::Task::kGraph;
  s.link = model.task() == nn::Task::kLink;
  if (o.standardize()) {
    std::vector<at::Tensor> zs;
    for (const auto& b : batches) zs.push_back(b.z);
    const auto all = s.graph_task ? torch::cat(zs) : full_z;
    s.mu = all.mean(0);
    s.sd = all.std(0, /*unbiased=*/false).clamp_min(1e-6);
  } else {
    s.mu = torch::zeros({s.dim}, opt);
    s.sd = torch::ones({s.dim}, opt);
  }
  auto gen = torch_generator(o.seed());
  // The MLP reads [z_u, z_v] per edge, then the target's embedding (node task) or both link
  // endpoints' (link task).
  init_linear(s.w1, s.b1, o.hidden(), (s.graph_task ? 2 : s.link ? 4 : 3) * s.dim, gen, opt);
  init_linear(s.w2, s.b2, 1, o.hidden(), gen, opt);
  torch::optim::Adam adam(s.params(), torch::optim::AdamOptions(o.lr()));

  PGTrainReport rep;
  rep.instances = static_cast<int64_t>(insts.size());
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    const double temp = o.temp_start() * std::pow(o.temp_end() / o.temp_start(),
                                                  static_cast<double>(epoch) / static_cast<double>(o.epochs()));
    double total = 0;
    for (auto& b : batches) {
      const auto& u = b.u;
      const int64_t B = u.size();
      nn::IndexRangeScope ranges;
      detail::add_index_ranges(u, ranges);
      auto logit = edge_logits(s, b);
      // The binary concrete draw: ε ~ U[bias, 1 − bias], drawn on the CPU from the seeded generator.
      auto eps = (torch::rand({logit.size(0)}, gen, torch::kFloat) * (1 - 2 * o.bias()) + o.bias()).to(opt);
      auto m = symmetrise(torch::sigmoid((torch::log(eps) - torch::log1p(-eps) + logit) / temp), b);
      auto out = detail::union_logits(model, u, u.graph.x, m, o.mask_placement());
      auto ce = detail::prediction_loss(u, out);  // [B]
      auto mm = m * 0.99 + 0.005;
      auto ent = -mm * torch::log(mm) - (1 - mm) * torch::log(1 - mm);
      auto count = segment_sum(torch::ones_like(m), u.edge_seg, B).clamp_min(1);
      auto reg = o.edge_size() * segment_sum(m, u.edge_seg, B) + o.edge_ent() * segment_sum(ent, u.edge_seg, B) / count;
      auto loss = (ce + reg).mean();
      auto grads = torch::autograd::grad({loss}, s.params());
      for (size_t k = 0; k < grads.size(); ++k) s.params()[k].mutable_grad() = grads[k];
      adam.step();
      total += loss.item<double>() * static_cast<double>(B);
      ++rep.steps;
    }
    rep.epoch_loss.push_back(total / static_cast<double>(insts.size()));
  }
  for (auto& p : s.params()) p.mutable_grad() = at::Tensor();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

// One forward of the MLP over all instances (in unions of up to 512), no noise.
std::vector<Explanation> explain_all(const PGExplainer::State& s, nn::GNNModel& model, const PGExplainerOptions& o,
                                     const std::vector<detail::Instance>& insts, const at::Tensor& full_z) {
  GNNX_CHECK(s.graph_task == (model.task() == nn::Task::kGraph) && s.link == (model.task() == nn::Task::kLink), kOp,
             ": the MLP was trained for a ",
             s.graph_task ? "graph classifier"
             : s.link     ? "link predictor"
                          : "node classifier",
             ", got a ", nn::to_string(model.task()), " model");
  torch::NoGradGuard ng;
  std::vector<Explanation> out;
  constexpr size_t kChunk = 512;
  for (size_t a = 0; a < insts.size(); a += kChunk) {
    const size_t z = std::min(insts.size(), a + kChunk);
    auto b = make_batch(model, o, insts, a, z, full_z);
    GNNX_CHECK(b.z.size(1) == s.dim, kOp, ": the MLP was trained on embeddings of width ", s.dim,
               ", but this model's are ", b.z.size(1), " wide (train it on this model: fit, or reset)");
    auto mask = symmetrise(torch::sigmoid(edge_logits(s, b)), b).to(torch::kCPU);
    for (size_t i = a; i < z; ++i) {
      const auto k = i - a;
      auto scores = mask.slice(0, b.u.edge_off[k], b.u.edge_off[k + 1]);
      auto e = detail::make_explanation(insts[i], "pgexplainer", scores);
      e.diagnostics["subgraph_edges"] = static_cast<double>(insts[i].graph.num_edges());
      out.push_back(std::move(e));
    }
  }
  return out;
}

// Node task: every target explained straight from the whole graph's embeddings, with no model
// run on its subgraph (the MLP does not need one): per target, a loop over its computation
// subgraph's edges, W₁ applied blockwise through the per-node products ZAᵀ + b₁, ZBᵀ and z_t Cᵀ.
std::vector<Explanation> explain_nodes(const PGExplainer::State& s, nn::GNNModel& model, const PGExplainerOptions& o,
                                       const Graph& graph, const std::vector<Target>& targets) {
  GNNX_CHECK(!s.graph_task && !s.link, kOp, ": the MLP was trained for a ",
             s.graph_task ? "graph classifier" : "link predictor", ", got a node classifier");
  GNNX_CHECK(!targets.empty(), kOp, ": expected at least one target, got an empty list");
  detail::check_model_graph(model, graph, kOp);
  const int64_t N = graph.num_nodes, E = graph.num_edges(), C = model.num_classes();
  std::vector<int64_t> ids;
  for (const auto& t : targets) {
    GNNX_CHECK(t.kind == Target::Kind::kNode, kOp, ": a node classifier explains node targets, got ",
               gnnx::to_string(t));
    GNNX_CHECK(t.index >= 0 && t.index < N, kOp, ": node ", t.index, " is outside the graph of ", N, " nodes");
    GNNX_CHECK(t.label < C, kOp, ": label ", t.label, " of ", gnnx::to_string(t), " is not a class of the model's ", C);
    ids.push_back(t.index);
  }
  at::Tensor logits, z;
  {
    torch::NoGradGuard ng;
    detail::EvalGuard eg(model);
    nn::IndexRangeScope ranges(graph.edge_index);
    logits = model.forward(graph.x, graph.edge_index, graph.edge_weight).to(torch::kCPU, torch::kFloat);
    GNNX_CHECK(logits.dim() == 2 && logits.size(0) == N, kOp, ": the model returned ", logits.sizes(),
               " for a graph of ", N, " nodes");
  }
  z = node_embeddings(model, o.embedding(), graph.x, graph.edge_index, graph.edge_weight)
          .to(torch::kCPU, torch::kFloat);
  GNNX_CHECK(z.size(1) == s.dim, kOp, ": the MLP was trained on embeddings of width ", s.dim, ", but this model's are ",
             z.size(1), " wide (train it on this model: fit, or reset)");
  const bool phen = phenomenon(o);
  GNNX_CHECK(!phen || model.mode() == nn::Mode::kClassification, kOp,
             ": the phenomenon explanation needs a class, but the model is a regression model (explain the model's "
             "output instead)");
  at::Tensor y;
  if (phen) {
    GNNX_CHECK(graph.has_labels() && graph.y.numel() == N, kOp,
               ": the phenomenon explanation needs one true label per node in graph.y");
    y = graph.y.to(torch::kCPU, torch::kLong).reshape({-1});
  }
  // The explained class (or output) of each target, resolved before the parallel loop.
  std::vector<int64_t> labels(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const int64_t t = targets[i].index;
    labels[i] = targets[i].label < 0 && phen ? y[t].item<int64_t>()
                                             : nn::explained_output(model, logits[t], targets[i].label, kOp);
  }
  const auto dev = graph.device();
  const auto host_ei = graph.edge_index.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t reach = model.receptive_field();

  torch::NoGradGuard ng;
  const int64_t D = s.dim, H = s.w1.size(0);
  const auto w1 = s.w1.detach().to(torch::kCPU, torch::kFloat);
  z = (z - s.mu.to(torch::kCPU, torch::kFloat)) / s.sd.to(torch::kCPU, torch::kFloat);
  const auto pa = (z.mm(w1.slice(1, 0, D).t()) + s.b1.detach().to(torch::kCPU, torch::kFloat)).contiguous();
  const auto pb = z.mm(w1.slice(1, D, 2 * D).t()).contiguous();
  const auto pc = z.index_select(0, torch::tensor(ids, torch::kLong)).mm(w1.slice(1, 2 * D, 3 * D).t()).contiguous();
  const auto w2 = s.w2.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const float b2 = s.b2.detach().to(torch::kCPU, torch::kFloat).item<float>();
  const float *PA = pa.data_ptr<float>(), *PB = pb.data_ptr<float>(), *PC = pc.data_ptr<float>(),
              *W2 = w2.data_ptr<float>();
  const int64_t* src = host_ei.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  // In-edges grouped by target (counting sort): the cut below walks them backwards.
  std::vector<int64_t> in_off(static_cast<size_t>(N) + 1, 0), in_edges(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) ++in_off[static_cast<size_t>(dst[e]) + 1];
  for (int64_t v = 0; v < N; ++v) in_off[static_cast<size_t>(v) + 1] += in_off[static_cast<size_t>(v)];
  {
    auto fill = in_off;
    for (int64_t e = 0; e < E; ++e) in_edges[static_cast<size_t>(fill[static_cast<size_t>(dst[e])]++)] = e;
  }
  // symmetric_mask: which directed edges exist, to find an edge's reverse.
  std::unordered_set<uint64_t> present;
  if (o.symmetric_mask())
    for (int64_t e = 0; e < E; ++e)
      present.insert(static_cast<uint64_t>(src[e]) * static_cast<uint64_t>(N) + static_cast<uint64_t>(dst[e]));
  std::vector<Explanation> out(targets.size());
  // Each target writes its own explanation only.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, targets.size()), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const float* c = PC + static_cast<int64_t>(i) * H;
      auto mask = [&](int64_t u, int64_t v) {
        const float *a = PA + u * H, *b = PB + v * H;
        // Eight partial sums, so that the compiler can vectorise the loop (a single float sum
        // cannot be reordered).
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t h = 0;
        for (; h + 8 <= H; h += 8)
          for (int j = 0; j < 8; ++j) part[j] += W2[h + j] * std::max(0.f, a[h + j] + b[h + j] + c[h + j]);
        float acc = b2;
        for (; h < H; ++h) acc += W2[h] * std::max(0.f, a[h] + b[h] + c[h]);
        for (float p : part) acc += p;
        return 1.f / (1.f + std::exp(-acc));
      };
      // The computation subgraph, as k_hop_subgraph(graph, t, reach) cuts it: the nodes with a path
      // of at most `reach` edges to t, and the edges between them, in ascending ids.
      const int64_t t = targets[i].index;
      std::vector<int64_t> nodes_kept, edges_kept;
      std::vector<char> kept(static_cast<size_t>(N), reach < 0 ? 1 : 0);
      if (reach < 0) {
        nodes_kept.resize(static_cast<size_t>(N));
        edges_kept.resize(static_cast<size_t>(E));
        for (int64_t v = 0; v < N; ++v) nodes_kept[static_cast<size_t>(v)] = v;
        for (int64_t e = 0; e < E; ++e) edges_kept[static_cast<size_t>(e)] = e;
      } else {
        kept[static_cast<size_t>(t)] = 1;
        nodes_kept.push_back(t);
        size_t begin = 0;
        for (int64_t hop = 0; hop < reach; ++hop) {
          const size_t end = nodes_kept.size();
          for (size_t q = begin; q < end; ++q) {
            const auto v = static_cast<size_t>(nodes_kept[q]);
            for (int64_t p = in_off[v]; p < in_off[v + 1]; ++p) {
              const auto u = static_cast<size_t>(src[in_edges[static_cast<size_t>(p)]]);
              if (!kept[u]) {
                kept[u] = 1;
                nodes_kept.push_back(static_cast<int64_t>(u));
              }
            }
          }
          begin = end;
        }
        std::sort(nodes_kept.begin(), nodes_kept.end());
        for (const int64_t v : nodes_kept)
          for (int64_t p = in_off[static_cast<size_t>(v)]; p < in_off[static_cast<size_t>(v) + 1]; ++p)
            if (kept[static_cast<size_t>(src[in_edges[static_cast<size_t>(p)]])])
              edges_kept.push_back(in_edges[static_cast<size_t>(p)]);
        std::sort(edges_kept.begin(), edges_kept.end());
      }
      auto edge_mask = torch::zeros({E}, torch::kFloat);
      auto node_mask = torch::zeros({N}, torch::kFloat);
      float* em = edge_mask.data_ptr<float>();
      float* nm = node_mask.data_ptr<float>();
      for (const int64_t e : edges_kept) {
        const int64_t u = src[e], v = dst[e];
        float m = mask(u, v);
        if (o.symmetric_mask() && u != v &&
            present.count(static_cast<uint64_t>(v) * static_cast<uint64_t>(N) + static_cast<uint64_t>(u)))
          m = 0.5f * (m + mask(v, u));
        em[e] = m;
        nm[u] = std::max(nm[u], m);  // a node is as important as its most important edge
        nm[v] = std::max(nm[v], m);
      }
      const int64_t label = labels[i];
      Explanation& x = out[i];
      x.method = "pgexplainer";
      x.target = Target::node(t, label);
      x.logits = logits[t].clone();
      x.edge_mask = edge_mask.to(dev);
      x.node_mask = node_mask.to(dev);
      x.edge_ids = torch::tensor(edges_kept, torch::kLong).to(dev);
      x.node_ids = torch::tensor(nodes_kept, torch::kLong).to(dev);
      x.diagnostics["subgraph_edges"] = static_cast<double>(edges_kept.size());
    }
  });
  return out;
}

std::vector<detail::Instance> node_instances(nn::GNNModel& model, const Graph& graph,
                                             const std::vector<Target>& targets, const PGExplainerOptions& o) {
  classifier(model);
  return detail::make_instances(model, graph, targets, phenomenon(o), kOp);
}

at::Tensor full_embeddings(nn::GNNModel& model, const Graph& graph, const PGExplainerOptions& o) {
  if (model.task() == nn::Task::kGraph) return {};
  return node_embeddings(model, o.embedding(), graph.x, graph.edge_index, graph.edge_weight);
}

}  // namespace

PGTrainReport PGExplainer::fit(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets) {
  check_options(options);
  auto insts = node_instances(model, graph, targets, options);
  auto s = std::make_unique<State>();
  auto rep = train(*s, model, options, insts, full_embeddings(model, graph, options));
  state_ = std::move(s);
  return rep;
}

PGTrainReport PGExplainer::fit_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                      const std::vector<int64_t>& labels) {
  check_options(options);
  classifier(model);
  auto insts = detail::make_graph_instances(model, graphs, labels, phenomenon(options), kOp);
  auto s = std::make_unique<State>();
  auto rep = train(*s, model, options, insts, {});
  state_ = std::move(s);
  return rep;
}

std::vector<Explanation> PGExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                              const std::vector<Target>& targets) {
  check_options(options);
  if (model.task() == nn::Task::kGraph) {
    (void)node_instances(model, graph, targets, options);  // checks that targets is {Target::graph(0)}
    return explain_graphs(model, {graph}, {targets.front().label});
  }
  classifier(model);
  if (model.task() == nn::Task::kLink) {  // each link on its two endpoints' computation subgraphs
    auto insts = node_instances(model, graph, targets, options);
    const auto full_z = full_embeddings(model, graph, options);
    double train_s = 0;
    if (!state_) {
      auto s = std::make_unique<State>();
      train_s = train(*s, model, options, insts, full_z).seconds;
      state_ = std::move(s);
    }
    return detail::timed_explanations([&] { return explain_all(*state_, model, options, insts, full_z); }, train_s);
  }
  double train_s = 0;
  if (!state_) train_s = fit(model, graph, targets).seconds;
  return detail::timed_explanations([&] { return explain_nodes(*state_, model, options, graph, targets); }, train_s);
}

std::vector<Explanation> PGExplainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                     const std::vector<int64_t>& labels) {
  check_options(options);
  classifier(model);
  auto insts = detail::make_graph_instances(model, graphs, labels, phenomenon(options), kOp);
  double train_s = 0;
  if (!state_) {
    auto s = std::make_unique<State>();
    train_s = train(*s, model, options, insts, {}).seconds;
    state_ = std::move(s);
  }
  return detail::timed_explanations([&] { return explain_all(*state_, model, options, insts, {}); }, train_s);
}

}  // namespace gnnx::explain
