#pragma once
// Each `gnnx` subcommand registers itself on the app; main.cpp calls every register_* below.
#include <CLI/CLI.hpp>

namespace gnnx::cli {

/// Prints `message` as one line "gnnx: error: ..." to stderr; the caller returns its exit code.
int fail(const std::string& message);

void register_info(CLI::App& app);
void register_attribute(CLI::App& app);
/// `gnnx bench images` and `gnnx images train` (cmd_bench_images.cpp).
void register_bench_images(CLI::App& app);

}  // namespace gnnx::cli
