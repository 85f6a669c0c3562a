#pragma once
/// One fuzz target per loader: GNNX_FUZZ_TARGET(name) { ... } receives the bytes of one input.
/// The contract is the loaders': any input either loads or throws gnnx::Error. A target catches
/// gnnx::Error only, so another exception, a crash, a sanitizer report, a leak or a hang is a
/// finding.
///
/// Targets register by name. Two programs run them: gnnx_fuzz (libFuzzer_main.cpp; GNNX_FUZZ,
/// Clang) fuzzes the one named by GNNX_FUZZ_TARGET, and gnnx_fuzz_replay (replay_main.cpp; any
/// compiler, every build) runs a target on the files of a corpus.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

namespace gnnx::fuzz {

using TargetFn = void (*)(const uint8_t* data, size_t size);

/// Registers `fn` under `name`; returns true. A repeated name is an error at start-up.
bool register_target(const char* name, TargetFn fn);
/// The registered targets by name.
const std::map<std::string, TargetFn>& targets();

/// Called once before the first input: LibTorch's errors stop collecting a symbolised C++
/// backtrace, which took most of the time of an input that a .pt loader rejects (milliseconds
/// each) and which no loader passes on.
void prepare_process();

/// Called with the gnnx::Error a loader threw: prints it when GNNX_FUZZ_VERBOSE is set, to see
/// why inputs are rejected (a seed that should load, say).
inline void rejected(const std::exception& e) {
  static const bool verbose = std::getenv("GNNX_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

/// The input as a string.
inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Writes `content` to this process's scratch file with extension `ext` (".csv", ...) and
/// returns its path; the loaders take paths, and one file per process and extension is reused
/// by every input.
inline std::string scratch_file(const std::string& ext, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("gnnx-fuzz-" + std::to_string(static_cast<long>(::getpid())) + ext);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return path.string();
}

/// The input cut at NUL bytes into at most `parts` pieces (the last one keeps the rest): one
/// input can carry several files (a CSV edge list, its features and its labels).
inline std::vector<std::string> split_parts(const std::string& in, size_t parts) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (out.size() + 1 < parts) {
    const size_t nul = in.find('\0', begin);
    if (nul == std::string::npos) break;
    out.push_back(in.substr(begin, nul - begin));
    begin = nul + 1;
  }
  out.push_back(in.substr(begin));
  return out;
}

}  // namespace gnnx::fuzz

#define GNNX_FUZZ_TARGET(name)                                                                                      \
  static void gnnx_fuzz_##name(const uint8_t* data, size_t size);                                                   \
  [[maybe_unused]] static const bool gnnx_fuzz_registered_##name = ::gnnx::fuzz::register_target(#name,             \
                                                                                                 gnnx_fuzz_##name); \
  static void gnnx_fuzz_##name(const uint8_t* data, size_t size)
