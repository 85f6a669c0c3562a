#include "gnnx/nn/functional/scatter.h"

#include <limits>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <torch/torch.h>
#include <torch/version.h>

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

bool is_beta_notice(const std::string& message) {
  return message.find("scatter_reduce() is in beta") != std::string::npos;
}

// Drops LibTorch's beta notice for scatter_reduce and hands every other warning to the handler
// it replaced. LibTorch 2 passes a c10::Warning where 1.13 passed its parts.
class DropBetaNotice : public c10::WarningHandler {
 public:
  explicit DropBetaNotice(c10::WarningHandler* next) : next_(next) {}
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override {
    if (!is_beta_notice(warning.msg())) next_->process(warning);
  }
#else
  void process(const c10::SourceLocation& location, const std::string& message, bool verbatim) override {
    if (!is_beta_notice(message)) next_->process(location, message, verbatim);
  }
#endif

 private:
  c10::WarningHandler* next_;
};

#if TORCH_VERSION_MAJOR >= 2
namespace warning_utils = c10::WarningUtils;
#else
namespace warning_utils = c10::Warning;
#endif
}  // namespace

at::Tensor scatter_amax(const at::Tensor& self, int64_t dim, const at::Tensor& index, const at::Tensor& src,
                        bool include_self) {
  // The handler is per thread, so the guard affects only this call.
  DropBetaNotice handler(warning_utils::get_warning_handler());
  warning_utils::WarningHandlerGuard guard(&handler);
  return self.scatter_reduce(dim, index, src, "amax", include_self);
}

at::Tensor scatter(const at::Tensor& src, const at::Tensor& index, int64_t dim_size, Aggregation aggr,
                   const at::Tensor& weight) {
  GNNX_CHECK(src.defined() && src.dim() >= 1, "scatter: src must have shape [E, *], got ",
             src.defined() ? src.sizes() : at::IntArrayRef{});
  GNNX_CHECK(index.defined() && index.dim() == 1 && index.scalar_type() == at::kLong,
             "scatter: index must be a 1-D int64 tensor");
  GNNX_CHECK(index.size(0) == src.size(0), "scatter: index has ", index.size(0), " entries but src has ", src.size(0),
             " rows");
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
    case Aggregation::kSum: return out.index_add(0, index, src);
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
      if (!weight.defined()) return scatter_amax(out, 0, broadcast_index(index, src), src, /*include_self=*/false);
      // Zero-weight rows are left out without selecting the others (a nonzero() would be a device
      // sync on CUDA): they enter as -inf, and targets that only they reach get 0.
      auto keep = weight != 0;
      auto s = torch::where(per_row(keep, src.dim()), src,
                            torch::full({}, -std::numeric_limits<double>::infinity(), src.options()));
      auto reached = torch::zeros({dim_size}, src.options()).index_add(0, index, keep.to(src.scalar_type())) > 0;
      auto m = scatter_amax(out, 0, broadcast_index(index, s), s, /*include_self=*/false);
      return torch::where(per_row(reached, src.dim()), m, torch::zeros_like(m));
    }
  }
  return out;
}

}  // namespace gnnx::nn
