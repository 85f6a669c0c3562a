#include "gnnx/graph/graph.h"

#include <cmath>
#include <mutex>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "graph/graph_index.h"

namespace gnnx {

Graph::Graph() : index_(std::make_shared<detail::GraphIndex>()) {}

Graph::Graph(at::Tensor edge_index_, int64_t num_nodes_, at::Tensor x_, at::Tensor edge_weight_, at::Tensor y_)
    : edge_index(std::move(edge_index_)),
      num_nodes(num_nodes_),
      x(std::move(x_)),
      edge_weight(std::move(edge_weight_)),
      y(std::move(y_)),
      index_(std::make_shared<detail::GraphIndex>()) {
  validate("Graph");
}

int64_t Graph::num_edges() const { return edge_index.defined() ? edge_index.size(1) : 0; }

int64_t Graph::num_features() const { return x.defined() && x.dim() == 2 ? x.size(1) : 0; }

c10::Device Graph::device() const {
  return edge_index.defined() ? edge_index.device() : (x.defined() ? x.device() : c10::Device(c10::kCPU));
}

namespace {
// Whether every entry of floating t is finite. A NaN or an infinity makes the sum NaN or
// infinite, so a finite sum settles it in one vectorised pass; only a sum that overflows (or a
// non-finite entry) needs the entry-by-entry check.
bool all_finite(const at::Tensor& t) {
  return t.numel() == 0 || std::isfinite(t.sum().item<double>()) || torch::isfinite(t).all().item<bool>();
}
}  // namespace

void Graph::validate(const std::string& op, bool allow_empty) const {
  GNNX_CHECK(num_nodes >= 0, op, ": num_nodes must be >= 0, got ", num_nodes);
  GNNX_CHECK(allow_empty || num_nodes > 0, op, ": expected a non-empty graph, got num_nodes = 0");
  GNNX_CHECK(edge_index.defined(), op, ": edge_index is undefined (use an empty [2, 0] int64 tensor for no edges)");
  GNNX_CHECK(edge_index.dim() == 2 && edge_index.size(0) == 2, op, ": edge_index must have shape [2, E], got ",
             edge_index.sizes());
  GNNX_CHECK(edge_index.scalar_type() == at::kLong, op, ": edge_index must be int64, got ", edge_index.scalar_type());
  const auto dev = edge_index.device();
  // The scans over the values are done once per tensor and version: a graph explained in many
  // batches is validated by each (on 10^7 edges the scans take 0.03 s).
  auto* index = index_.get();
  std::unique_lock<std::mutex> lock;
  if (index) lock = std::unique_lock<std::mutex>(index->mutex);
  if (edge_index.numel() > 0) {
    int64_t lo = 0, hi = 0;
    if (index && index->ranged.is(edge_index)) {
      lo = index->lo;
      hi = index->hi;
    } else {
      const auto range = torch::aminmax(edge_index);  // one pass over the ids
      lo = std::get<0>(range).item<int64_t>();
      hi = std::get<1>(range).item<int64_t>();
      if (index) {
        index->ranged.keep(edge_index);
        index->lo = lo;
        index->hi = hi;
      }
    }
    GNNX_CHECK(lo >= 0, op, ": edge_index holds a negative node id (", lo, ")");
    GNNX_CHECK(hi < num_nodes, op, ": edge_index holds node id ", hi, " but num_nodes = ", num_nodes);
  }
  // Whether t is finite, scanned unless kept says it was at this version.
  auto finite = [&](const at::Tensor& t, detail::KeptTensor* kept) {
    if (kept && kept->is(t)) return true;
    if (!all_finite(t)) return false;
    if (kept) kept->keep(t);
    return true;
  };
  if (x.defined()) {
    GNNX_CHECK(x.device() == dev, op, ": x is on ", x.device(), " but edge_index is on ", dev);
    GNNX_CHECK(x.dim() == 2, op, ": x must have shape [N, F], got ", x.sizes());
    GNNX_CHECK(x.size(0) == num_nodes, op, ": x has ", x.size(0), " rows but num_nodes = ", num_nodes);
    GNNX_CHECK(at::isFloatingType(x.scalar_type()), op, ": x must be floating point, got ", x.scalar_type());
    GNNX_CHECK(finite(x, index ? &index->finite_x : nullptr), op, ": x holds NaN or Inf (first at flat index ",
               x.numel() ? torch::nonzero(~torch::isfinite(x).flatten()).flatten().select(0, 0).item<int64_t>() : -1,
               ")");
  }
  if (edge_weight.defined()) {
    GNNX_CHECK(edge_weight.device() == dev, op, ": edge_weight is on ", edge_weight.device(), " but edge_index is on ",
               dev);
    GNNX_CHECK(edge_weight.dim() == 1 && edge_weight.size(0) == edge_index.size(1), op,
               ": edge_weight must have shape [E] = [", edge_index.size(1), "], got ", edge_weight.sizes());
    GNNX_CHECK(at::isFloatingType(edge_weight.scalar_type()), op, ": edge_weight must be floating point, got ",
               edge_weight.scalar_type());
    GNNX_CHECK(finite(edge_weight, index ? &index->finite_weight : nullptr), op, ": edge_weight holds NaN or Inf");
  }
  if (y.defined()) {
    GNNX_CHECK(y.device() == dev, op, ": y is on ", y.device(), " but edge_index is on ", dev);
    GNNX_CHECK(y.dim() == 1 && (y.size(0) == num_nodes || y.size(0) == 1), op, ": y must have shape [N] = [", num_nodes,
               "] (node labels) or [1] (graph label), got ", y.sizes());
    GNNX_CHECK(y.scalar_type() == at::kLong, op, ": y must be int64, got ", y.scalar_type());
  }
}

Graph Graph::to(c10::Device device) const {
  Graph g = *this;
  detail::GraphIndexAccess::reset(g);  // other tensors: the copy keeps its own
  if (g.edge_index.defined()) g.edge_index = g.edge_index.to(device);
  if (g.x.defined()) g.x = g.x.to(device);
  if (g.edge_weight.defined()) g.edge_weight = g.edge_weight.to(device);
  if (g.y.defined()) g.y = g.y.to(device);
  return g;
}

}  // namespace gnnx
