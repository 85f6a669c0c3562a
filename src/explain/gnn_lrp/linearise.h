#pragma once
// GNN-LRP's linearisation (private): the rule-modified layers and the per-layer linear maps they record.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

#include "gnnx/attribution/lrp_rules.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain::gnn_lrp_detail {

enum class LayerKind { kGCN, kGIN, kGraphConv };

attribution::ParamTransform transform_of(const attribution::LrpRule& r);
// Throws unless the rule is a valid epsilon or gamma rule; `which` names it ("layer", "head").
void check_gnn_rule(const attribution::LrpRule& r, const char* which);

// One affine step y = act(W x + b) inside a layer's per-node map, as the rule sees it:
// ratio = act(z) / stab(p) per node and the transformed weight W' [out, in].
struct Step {
  at::Tensor ratio;   // [N, out]
  at::Tensor weight;  // [out, in]
};

struct LayerRecord {
  std::vector<Step> steps;  // in forward order; GraphConv: one step holding W_rel'
  at::Tensor root_weight;   // GraphConv W_root' [out, in]
};

// Transitions of one layer grouped by target: slots ptr[i] .. ptr[i+1] of target i hold the
// sources src[s] with aggregation coefficient ca[s] (for the main / W_rel matrix) and cb[s]
// (W_root, GraphConv's self slot only). Every node has a self slot (i, i).
struct Transitions {
  at::Tensor ptr, src, dst, ca, cb;  // int64 [N+1], int64 [T] x2, double [T] x2
};

// A message-passing layer and its rule-modified twin.
struct LrpLayer {
  LayerKind kind = LayerKind::kGCN;
  bool act = true;  // the classifier's ReLU follows
  bool normalize = false;  // the classifier L2-normalises the layer's output (before the ReLU)
  nn::GCNConv gcn{nullptr}, gcn_mod{nullptr};
  nn::GraphConv gc{nullptr}, gc_mod{nullptr};
  nn::GINConv gin{nullptr}, gin_agg{nullptr};
  std::vector<torch::nn::Linear> mlp;
  std::vector<bool> relu_after;
  std::vector<at::Tensor> mlp_w, mlp_b;  // transformed
  int64_t out_channels = 0;
};

LrpLayer make_layer(const std::shared_ptr<nn::MessagePassing>& m, bool act, bool normalize,
                    const attribution::LrpRule& rule, int64_t index);

// The rule-modified forward of one layer: value act(layer(h)), gradient the rule's.
at::Tensor lrp_layer_forward(const LrpLayer& L, const at::Tensor& h, const at::Tensor& ei, const at::Tensor& ew,
                             double eps, LayerRecord* rec);

Transitions build_transitions(const LrpLayer& L, const Graph& g, int64_t index);

// u = M_i^T c for a batch: c [S, out] with target nodes i [S] -> [S, in] (main / W_rel path);
// root: the W_root path (GraphConv), else undefined.
std::pair<at::Tensor, at::Tensor> backward_maps(const LayerRecord& rec, LayerKind kind, const at::Tensor& c,
                                                const at::Tensor& nodes);

}  // namespace gnnx::explain::gnn_lrp_detail
