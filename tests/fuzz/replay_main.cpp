// Replays fuzz inputs without libFuzzer: `gnnx_fuzz_replay <target> <file or folder>...` runs
// every file through the target (fuzz_target.h) and fails on the first one that throws anything
// but gnnx::Error, naming it. CTest runs each loader's corpus (tests/fuzz/corpus/<target>/),
// which holds the crash inputs found so far, on every build.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const auto& targets = gnnx::fuzz::targets();
  if (argc < 3 || !targets.count(argv[1])) {
    std::fprintf(stderr, "usage: %s <target> <file or folder>...\ntargets:", argv[0]);
    for (const auto& [name, fn] : targets) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const gnnx::fuzz::TargetFn target = targets.at(argv[1]);
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no file or folder \"%s\"\n", argv[1], argv[i]);
      return 2;
    }
  }
  // A corpus that went missing must not pass as an empty run.
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs found\n", argv[1]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s: %s\n", argv[1], file.string().c_str(), e.what());
      return 1;
    } catch (...) {
      std::fprintf(stderr, "%s: %s: a non-standard exception\n", argv[1], file.string().c_str());
      return 1;
    }
  }
  std::printf("%s: %zu inputs replayed\n", argv[1], files.size());
  return 0;
}
