#include "gnnx/explain/baselines.h"

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"
#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain {
namespace {

std::vector<Explanation> grad_run(nn::GNNModel& model, const std::vector<detail::Instance>& insts, int64_t chunk_size,
                                  nn::MaskPlacement placement) {
  detail::EvalGuard eg(model);
  std::vector<at::Tensor> scores(insts.size());
  const bool cuda = insts.front().graph.device().is_cuda();
  detail::for_each_chunk(cuda, static_cast<int64_t>(insts.size()), chunk_size, [&](int64_t a, int64_t b) {
    std::vector<const detail::Instance*> part;
    for (int64_t i = a; i < b; ++i) part.push_back(&insts[static_cast<size_t>(i)]);
    auto u = detail::make_union(part, model.task() == nn::Task::kGraph);
    torch::AutoGradMode grad_on(true);
    auto m = torch::ones({u.graph.num_edges()}, u.graph.x.options()).requires_grad_(true);
    auto logits = detail::union_logits(model, u, u.graph.x, m, placement);
    // A classifier's cross-entropy of the explained class; a regression model's explained output
    // itself (the squared error to its own value has a zero gradient).
    auto loss = u.regression ? detail::explained_outputs(u, logits).sum() : detail::prediction_loss(u, logits).sum();
    auto g = torch::autograd::grad({loss}, {m}, {}, false, false, /*allow_unused=*/true)[0];
    auto s = (g.defined() ? g.abs() : torch::zeros_like(m)).detach().to(torch::kCPU);
    for (int64_t i = 0; i < u.size(); ++i)
      scores[static_cast<size_t>(a + i)] = s.slice(0, u.edge_off[static_cast<size_t>(i)],
                                                   u.edge_off[static_cast<size_t>(i) + 1]);
  });
  std::vector<Explanation> out;
  for (size_t i = 0; i < insts.size(); ++i) out.push_back(detail::make_explanation(insts[i], "grad", scores[i]));
  return out;
}

// Mean over heads and GAT layers of α per input edge of g, [E].
at::Tensor mean_attention(nn::GNNModel& model, const Graph& g, const std::string& op) {
  GNNX_CHECK(model.task() != nn::Task::kLink, op,
             ": link predictors are not covered; explain them with gnnexplainer, pgexplainer or a gradient method");
  torch::NoGradGuard ng;
  detail::EvalGuard eg(model);
  const auto layers = model.attention(g.x, g.edge_index, g.edge_weight);
  GNNX_CHECK(!layers.empty(), op, ": ATT needs a model with GATConv layers, this one has none");
  auto acc = torch::zeros({g.num_edges()}, g.x.options());
  for (const auto& a : layers) {
    GNNX_CHECK(a.alpha.dim() == 2 && a.alpha.size(0) == g.num_edges(), op, ": an attention layer reported ",
               a.alpha.sizes(), " coefficients, expected [", g.num_edges(), ", heads]");
    acc += a.alpha.mean(1).to(acc.scalar_type());
  }
  return acc / static_cast<double>(layers.size());
}

}  // namespace

std::vector<Explanation> GradExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                const std::vector<Target>& targets) {
  return grad_run(model, detail::make_instances(model, graph, targets, false, "GradExplainer"), chunk_size_,
                  placement_);
}

std::vector<Explanation> GradExplainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                       const std::vector<int64_t>& labels) {
  return grad_run(model, detail::make_graph_instances(model, graphs, labels, false, "GradExplainer"), chunk_size_,
                  placement_);
}

std::vector<Explanation> AttentionExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                     const std::vector<Target>& targets) {
  auto insts = detail::make_instances(model, graph, targets, false, "AttentionExplainer");
  auto att = mean_attention(model, graph, "AttentionExplainer").to(torch::kCPU);  // one copy, ids are on the CPU
  std::vector<Explanation> out;
  for (const auto& inst : insts)
    out.push_back(detail::make_explanation(inst, "att", att.index_select(0, inst.edge_ids)));
  return out;
}

std::vector<Explanation> AttentionExplainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                            const std::vector<int64_t>& labels) {
  auto insts = detail::make_graph_instances(model, graphs, labels, false, "AttentionExplainer");
  std::vector<Explanation> out;
  for (size_t i = 0; i < insts.size(); ++i)
    out.push_back(detail::make_explanation(insts[i], "att", mean_attention(model, graphs[i], "AttentionExplainer")));
  return out;
}

}  // namespace gnnx::explain
