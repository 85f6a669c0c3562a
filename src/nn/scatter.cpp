#include "gnnx/nn/functional/scatter.h"

#include <limits>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/index_range.h"

namespace gnnx::nn {

namespace {
// A vector [n] viewed as [n, 1, ..., 1] with `dims` dimensions, to broadcast along rows.
at::Tensor per_row(const at::Tensor& v, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}
at::Tensor broadcast_index(const at::Tensor& index, const at::Tensor& src) {
  return per_row(index, src.dim()).expand_as(src);
}
}  // namespace

at::Tensor scatter(const at::Tensor& src, const at::Tensor& index, int64_t dim_size, Aggregation aggr,
                   const at::Tensor& weight) {
  GNNX_CHECK(src.defined() && src.dim() >= 1, "scatter: src must have shape [E, *], got ",
             src.defined() ? src.sizes() : at::IntArrayRef{});
  GNNX_CHECK(index.defined() && index.dim() == 1 && index.scalar_type() == at::kLong,
             "scatter: index must be a 1-D int64 tensor");
  GNNX_CHECK(index.size(0) == src.size(0), "scatter: index has ", index.size(0), " entries but src has ",
             src.size(0), " rows");
  GNNX_CHECK(dim_size >= 0, "scatter: dim_size must be >= 0, got ", dim_size);
  GNNX_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == src.size(0)),
             "scatter: weight must have shape [", src.size(0), "], got ",
             weight.defined() ? weight.sizes() : at::IntArrayRef{});
  GNNX_CHECK(index.device() == src.device(), "scatter: index is on ", index.device(), " but src is on ", src.device());
  check_index_range(index, dim_size, "scatter", "index holds id");
  auto shape = src.sizes().vec();
  shape[0] = dim_size;
  auto out = torch::zeros(shape, src.options());
  switch (aggr) {
    case Aggregation::kSum:
      return out.index_add(0, index, src);
    case Aggregation::kMean: {
      auto sum = out.index_add(0, index, src);
      auto w = weight.defined() ? weight.to(src.scalar_type()) : torch::ones({src.size(0)}, src.options());
      auto denom = torch::zeros({dim_size}, src.options()).index_add(0, index, w);
      // A node with no (or only zero-weight) messages has a zero sum: divide by 1, giving 0.
      denom = torch::where(denom > 0, denom, torch::ones_like(denom));
      return sum / per_row(denom, src.dim());
    }
    case Aggregation::kMax: {
      if (src.size(0) == 0) return out;
      // include_self=false: rows that receive nothing keep their initial 0.
      if (!weight.defined()) return out.scatter_reduce(0, broadcast_index(index, src), src, "amax", /*include_self=*/false);
      // Zero-weight rows are left out without selecting the others (a nonzero() would be a device
      // sync on CUDA): they enter as -inf, and targets that only they reach get 0.
      auto keep = weight != 0;
      auto s = torch::where(per_row(keep, src.dim()), src,
                            torch::full({}, -std::numeric_limits<double>::infinity(), src.options()));
      auto reached = torch::zeros({dim_size}, src.options()).index_add(0, index, keep.to(src.scalar_type())) > 0;
      auto m = out.scatter_reduce(0, broadcast_index(index, s), s, "amax", /*include_self=*/false);
      return torch::where(per_row(reached, src.dim()), m, torch::zeros_like(m));
    }
  }
  return out;
}

}  // namespace gnnx::nn
