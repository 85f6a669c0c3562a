// `gnnx info`: what this build runs on; with --check, whether its kernels compute correctly.
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/self_check.h"
#include "gnnx/core/version.h"

namespace gnnx::cli {

void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print the build's version, LibTorch, BLAS, threads and CUDA availability");
  struct Options {
    bool check = false;
    std::string device = "cpu";
  };
  auto opt = std::make_shared<Options>();
  cmd->add_flag("--check", opt->check,
                "Also compare LibTorch's float32 kernels (conv2d, pooling, linear, gather/scatter, log_softmax; "
                "forward and gradients) with float64; exits 1 when one disagrees");
  cmd->add_option("--device", opt->device, "Device the --check kernels run on: cpu, cuda, cuda:N");
  cmd->callback([opt] {
    nlohmann::json j = {{"gnnx", gnnx::version()},
                        {"libtorch", TORCH_VERSION},
                        {"blas", blas_name()},
                        {"threads", torch_threads()},
                        {"cuda", cuda_available()}};
    if (!opt->check) {
      std::cout << j.dump() << "\n";
      return;
    }
    auto checks = check_backend(parse_device(opt->device));
    std::string failed;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : checks) {
      // JSON has no NaN: a result with NaN is reported as null.
      list.push_back(
          {{"op", c.op}, {"error", std::isfinite(c.error) ? nlohmann::json(c.error) : nlohmann::json()}, {"ok", c.ok}});
      if (!c.ok) failed += (failed.empty() ? "" : ", ") + c.op;
    }
    j["device"] = opt->device;
    j["checks"] = list;
    j["kernels_ok"] = failed.empty();
    std::cout << j.dump() << "\n";
    GNNX_CHECK(failed.empty(), "info --check: expected float32 kernels to agree with float64 within ",
               checks.front().tolerance, ", but these do not: ", failed,
               ". Gradient-based explanations on this build would be wrong. (Debian 13's LibTorch 2.6 with "
               "oneDNN 3.7 gets conv2d gradients wrong in oneDNN's AVX2/AVX-512 kernels: ONEDNN_MAX_CPU_ISA=AVX avoids "
               "them.)");
  });
}

}  // namespace gnnx::cli
