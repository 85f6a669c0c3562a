// The gnnx command-line tool.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/runtime.h"
#include "gnnx/core/version.h"

namespace gnnx::cli {
int fail(const std::string& message) {
  std::cerr << "gnnx: error: " << message << "\n";
  return 1;
}
}  // namespace gnnx::cli

int main(int argc, char** argv) {
  gnnx::tune_malloc();  // large tensors are reused, not mapped afresh (see gnnx/core/device.h)
  // One OpenBLAS thread inside the explainers' parallel chunks (see gnnx/core/runtime.h).
  gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(1));
  CLI::App app{"gnnx: explain graph neural networks (and CNNs) on LibTorch"};
  app.set_version_flag("--version", std::string("gnnx ") + gnnx::version());
  app.require_subcommand(1);
  gnnx::cli::register_demo(app);
  gnnx::cli::register_info(app);
  gnnx::cli::register_dataset(app);
  gnnx::cli::register_train(app);
  gnnx::cli::register_attribute(app);
  gnnx::cli::register_explain(app);
  gnnx::cli::register_evaluate(app);
  gnnx::cli::register_prototype(app);
  gnnx::cli::register_bench_images(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const gnnx::Error& e) {
    return gnnx::cli::fail(e.what());
  } catch (const std::exception& e) {
    return gnnx::cli::fail(e.what());
  }
  return 0;
}
