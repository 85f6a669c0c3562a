// GNN-LRP's all-walks enumeration: batched propagation of walk-suffix relevance vectors from the output to the input.
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/engine.h"
#include "gnnx/core/check.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "gnnx/graph/ops.h"

namespace gnnx::explain {

namespace gnn_lrp_detail {
namespace {

// The children of a batch of suffixes by one layer: suffix parent[c] extends by transition
// slot[c] from source node src[c].
struct Expanded {
  at::Tensor parent, slot, src;
};

Expanded expand_slots(const Transitions& tr, const at::Tensor& nodes) {
  auto start = tr.ptr.index_select(0, nodes);
  auto cnt = tr.ptr.index_select(0, nodes + 1) - start;
  Expanded e;
  const int64_t S = nodes.size(0);
  e.parent = torch::repeat_interleave(torch::arange(S, nodes.options()), cnt);
  auto first = torch::cumsum(cnt, 0) - cnt;
  auto pos = torch::arange(e.parent.size(0), nodes.options()) - first.index_select(0, e.parent);
  e.slot = start.index_select(0, e.parent) + pos;
  e.src = tr.src.index_select(0, e.slot);
  return e;
}

// Every walk into `target` on `graph` (the body of GNNLRP::all_walks).
WalkExplanation all_walks_on(nn::GNNClassifierImpl* model, const GNNLRPOptions& options, const Graph& graph,
                             const Target& target) {
  const auto t0 = Clock::now();
  Engine eng(model, options, graph);
  auto P = eng.prepare(target);
  const bool graph_task = eng.graph_task();
  const double total = count_walks_prepared(P, graph_task);
  GNNX_CHECK(total <= static_cast<double>(options.max_walks()), "GNNLRP::all_walks: the model has ", total,
             " walks on this graph, more than max_walks = ", options.max_walks(), "; use top_walks");
  const auto dev = graph.edge_index.device();
  const auto iopt = torch::TensorOptions().dtype(torch::kLong).device(dev);

  std::vector<at::Tensor> walk_parts, rel_parts;
  int64_t expansions = 0;
  // Suffix batch at layer l: nodes [S, L - l + 1] (v_l .. v_L), c [S, H_l], tc [S] (tail constant).
  std::function<void(int64_t, const at::Tensor&, const at::Tensor&, const at::Tensor&)> run =
      [&](int64_t l, const at::Tensor& nodes, const at::Tensor& c, const at::Tensor& tc) {
        const auto& tr = P.trans[static_cast<size_t>(l - 1)];
        const auto head_nodes = nodes.select(1, 0).contiguous();
        const int64_t S = nodes.size(0);
        const int64_t children =
            (tr.ptr.index_select(0, head_nodes + 1) - tr.ptr.index_select(0, head_nodes)).sum().item<int64_t>();
        if (children > options.chunk() && S > 1) {
          const int64_t half = S / 2;
          run(l, nodes.narrow(0, 0, half), c.narrow(0, 0, half), tc.narrow(0, 0, half));
          run(l, nodes.narrow(0, half, S - half), c.narrow(0, half, S - half), tc.narrow(0, half, S - half));
          return;
        }
        expansions += S;
        auto [u, root] = P.maps[static_cast<size_t>(l - 1)].backward(c, head_nodes);
        auto e = expand_slots(tr, head_nodes);
        auto cc = tr.ca.index_select(0, e.slot).unsqueeze(1) * u.index_select(0, e.parent);
        if (root.defined()) cc = cc + tr.cb.index_select(0, e.slot).unsqueeze(1) * root.index_select(0, e.parent);
        auto ctc = tc.index_select(0, e.parent).logical_and(e.src == head_nodes.index_select(0, e.parent));
        auto cnodes = torch::cat({e.src.unsqueeze(1), nodes.index_select(0, e.parent)}, 1);
        if (l - 1 >= 1) {
          cc = cc + ctc.unsqueeze(1).to(cc.scalar_type()) * P.g[static_cast<size_t>(l - 2)].index_select(0, e.src);
          run(l - 1, cnodes, cc, ctc);
        } else {
          walk_parts.push_back(cnodes);
          rel_parts.push_back((cc * P.x.index_select(0, e.src)).sum(1));
        }
      };
  at::Tensor start = graph_task ? torch::arange(P.N, iopt) : torch::full({1}, P.target.index, iopt);
  run(P.L, start.unsqueeze(1), P.g.back().index_select(0, start),
      torch::ones({start.size(0)}, iopt.dtype(torch::kBool)));

  WalkExplanation W;
  W.target = P.target;
  W.num_layers = P.L;
  W.order = options.order();
  auto walks = walk_parts.empty() ? torch::zeros({0, P.L + 1}, iopt) : torch::cat(walk_parts, 0);
  auto rel = rel_parts.empty() ? torch::zeros({0}, P.x.options()) : torch::cat(rel_parts, 0);
  auto perm = std::get<1>(
      torch::sort(order_key(rel, options.order()), /*stable=*/true, /*dim=*/0, /*descending=*/true));
  W.walks = walks.index_select(0, perm).cpu();
  W.relevance = rel.index_select(0, perm).cpu();
  W.num_walks = W.walks.size(0);
  W.complete = true;
  W.output = P.output;
  W.sum_relevance = W.relevance.sum().item<double>();
  W.residual = W.output - W.sum_relevance;
  W.expansions = expansions;
  W.memory_bytes = W.walks.numel() * 8 + W.relevance.numel() * 8;
  W.walks_scored = W.num_walks;
  W.seconds = seconds_since(t0);
  return W;
}

}  // namespace
}  // namespace gnn_lrp_detail

WalkExplanation GNNLRP::all_walks(const Graph& graph, const Target& target) const {
  using gnn_lrp_detail::all_walks_on;
  const auto t0 = gnn_lrp_detail::Clock::now();
  // A node's walks, and every number they are computed from, lie within the model's receptive
  // field around it: on a larger graph, explain on that computation subgraph. It keeps every
  // edge among its nodes in the graph's order and relabels nodes in increasing order, so the
  // walks, their order and their relevances are those of the whole graph. The whole graph is
  // validated first, so errors are the same either way.
  const int64_t hops = model_->task() == nn::Task::kNode ? model_->receptive_field() : -1;
  if (hops >= 0 && target.kind == Target::Kind::kNode && target.index >= 0 && target.index < graph.num_nodes) {
    gnn_lrp_detail::Engine check(model_, options_, graph);
    auto sub = k_hop_subgraph(graph, target.index, hops);
    if (sub.graph.num_nodes < graph.num_nodes) {
      Target t = target;
      t.index = sub.center[0].item<int64_t>();
      auto W = all_walks_on(model_, options_, sub.graph, t);
      W.target.index = target.index;
      W.walks = sub.node_ids.cpu().index_select(0, W.walks.reshape({-1})).view_as(W.walks);
      W.seconds = gnn_lrp_detail::seconds_since(t0);
      return W;
    }
  }
  return all_walks_on(model_, options_, graph, target);
}

}  // namespace gnnx::explain
