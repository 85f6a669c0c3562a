#pragma once
// Each `gnnx` subcommand registers itself on the app; main.cpp calls every register_* below.
#include <CLI/CLI.hpp>

namespace gnnx::cli {

/// Prints `message` as one line "gnnx: error: ..." to stderr; the caller returns its exit code.
int fail(const std::string& message);

void register_info(CLI::App& app);
void register_attribute(CLI::App& app);
void register_explain(CLI::App& app);

}  // namespace gnnx::cli
