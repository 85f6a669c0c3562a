// The gnnx command-line tool.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/memory.h"
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
  // A cap on the memory of CPU tensors (see gnnx/core/memory.h): an explanation that would pass
  // it stops with one error line before allocating.
  if (const char* limit = std::getenv("GNNX_MEMORY_LIMIT"); limit != nullptr && *limit != '\0') {
    try {
      gnnx::set_memory_limit(gnnx::parse_byte_size(limit, "GNNX_MEMORY_LIMIT"));
    } catch (const gnnx::Error& e) {
      gnnx::cli::fail(e.what());
      return 2;
    }
  }
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
  // A first word that is neither a command nor a flag: name it, rather than CLI11's "A
  // subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* c : app.get_subcommands({})) {
      known = known || c->check_name(argv[1]);
      names += (names.empty() ? "" : ", ") + c->get_name();
    }
    if (!known) {
      gnnx::cli::fail(std::string("unknown command '") + argv[1] + "'; the commands are " + names);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; a command line that does not parse is one
    // line on stderr like every other error, with exit status 2 (a usage error).
    if (e.get_exit_code() == 0) return app.exit(e);
    const auto* used = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
    gnnx::cli::fail(std::string(e.what()) + " (see: gnnx " + (used ? used->get_name() + " " : "") + "--help)");
    return 2;
  } catch (const gnnx::Error& e) {
    return gnnx::cli::fail(e.what());
  } catch (const std::exception& e) {
    return gnnx::cli::fail(e.what());
  } catch (...) {
    return gnnx::cli::fail("an unknown exception ended the command");
  }
  return 0;
}
