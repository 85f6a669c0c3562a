// `gnnx info`: what this build runs on.
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/device.h"
#include "gnnx/core/version.h"

namespace gnnx::cli {

void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print the build's version, LibTorch, BLAS, threads and CUDA availability");
  cmd->callback([] {
    nlohmann::json j = {{"gnnx", gnnx::version()}, {"libtorch", TORCH_VERSION}, {"blas", blas_name()},
                        {"threads", torch_threads()}, {"cuda", cuda_available()}};
    std::cout << j.dump() << "\n";
  });
}

}  // namespace gnnx::cli
