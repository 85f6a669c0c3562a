#pragma once
/// Process-wide settings that gnnx changes only when a program asks for them. A library call
/// must not reconfigure the process it runs in behind the caller's back, yet some workloads run
/// markedly faster with a setting of the process changed; RuntimeSettings names each such
/// setting, off by default, and a program opts in once at start (the gnnx command does).
///   gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(1));

#include "gnnx/core/arg.h"

namespace gnnx {

struct RuntimeSettings {
  /// Threads of OpenBLAS's own pool while an explainer runs its CPU chunks in parallel (GNNExplainer,
  /// GRAD); the previous count is restored when the explainer returns. The chunks run many small
  /// matrix products on every TBB thread at once, and OpenBLAS's pool then only spins
  /// (bench_gnnexplainer's batched mode ran 2x slower with it), so 1 is fastest there. The count
  /// is process-wide: another thread's BLAS calls see it meanwhile. 0: leave the pool alone; no
  /// effect unless LibTorch's BLAS is OpenBLAS. Default 0.
  GNNX_ARG(int, explainer_blas_threads) = 0;
};

/// Makes `settings` the process's, for the gnnx calls that start afterwards. Throws gnnx::Error
/// for a negative thread count.
void set_runtime_settings(const RuntimeSettings& settings);
/// The settings in force: RuntimeSettings() until set_runtime_settings is called.
RuntimeSettings runtime_settings();

}  // namespace gnnx
