// Replays fuzz inputs without libFuzzer, and fuzzes them without coverage guidance:
//
//   gnnx_fuzz_replay <target> [--mutations N] [--seed S] <file or folder>...
//
// runs every file through the target (fuzz_target.h), then, with --mutations, N inputs made from
// each file by random edits (bit flips, byte changes, insertions, deletions, copies, cut-offs,
// splices with another file, numbers and tokens loaders stumble on), drawn from S (default 0)
// so that a run repeats exactly. It fails on the first input that throws anything but
// gnnx::Error, naming it and writing it next to the temporary files as
// gnnx-fuzz-<target>-failed; before each mutated input runs, it is written to
// gnnx-fuzz-<target>-current, so that an input that crashes the process (a sanitizer report)
// is kept as well. CTest replays each loader's corpus (tests/fuzz/corpus/<target>/), which holds
// the crash inputs found so far, on every build; CI's sanitized build adds a short mutation run.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"

namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Tokens that loaders of text and of zip/pickle archives treat specially.
const std::vector<std::string>& dictionary() {
  // clang-format off
  static const std::vector<std::string> words = {
      "0",   "-1",  "1e308", "-1e308", "nan",       "inf",        "-inf",  "2147483648", "9223372036854775807",
      "\"",  ",",   "\n",    "\r\n",   "\t",        "{",          "}",     "[",          "]",
      "<",   ">",   "/>",    "->",     "--",        "=",          ";",     "#",          "null",
      "true", "x", "y",     "edge_index", "PK\x03\x04", "\x80\x02", "<graph", "<node id=\"", "<edge source=\"",
      "<data key=\"", "digraph", "graph", "source,target", "\xff\xff\xff\xff", std::string(1, '\0'), std::string(8, '\0')};
  // clang-format on
  return words;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>& inputs) : rng_(seed), inputs_(inputs) {}

  // One to four random edits of `in`, capped at 64 KiB.
  std::string operator()(std::string in) {
    const int edits = 1 + static_cast<int>(draw(4));
    for (int i = 0; i < edits; ++i) edit(in);
    if (in.size() > (64u << 10)) in.resize(64u << 10);
    return in;
  }

 private:
  uint64_t draw(uint64_t n) { return n == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  size_t pos(const std::string& s) { return static_cast<size_t>(draw(s.size() + 1)); }

  void edit(std::string& s) {
    switch (draw(9)) {
      case 0:  // flip one bit
        if (!s.empty()) s[draw(s.size())] ^= static_cast<char>(1u << draw(8));
        break;
      case 1:  // set one byte
        if (!s.empty()) s[draw(s.size())] = static_cast<char>(draw(256));
        break;
      case 2: {  // insert random bytes
        std::string bytes(1 + draw(8), '\0');
        for (auto& c : bytes) c = static_cast<char>(draw(256));
        s.insert(pos(s), bytes);
        break;
      }
      case 3:  // delete a range
        if (!s.empty()) {
          const size_t at = draw(s.size());
          s.erase(at, 1 + draw(std::min<size_t>(s.size() - at, 64)));
        }
        break;
      case 4:  // copy a range elsewhere
        if (!s.empty()) {
          const size_t at = draw(s.size());
          const std::string part = s.substr(at, 1 + draw(std::min<size_t>(s.size() - at, 256)));
          s.insert(pos(s), part);
        }
        break;
      case 5:  // cut off the end
        s.resize(pos(s));
        break;
      case 6: {  // a token
        const auto& words = dictionary();
        s.insert(pos(s), words[draw(words.size())]);
        break;
      }
      case 7: {  // overwrite a run of digits with another number
        const auto& words = dictionary();
        const size_t at = pos(s);
        size_t end = at;
        while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) ++end;
        s.replace(at, end - at, words[draw(9)]);  // the first nine words are numbers
        break;
      }
      default: {  // splice: this input's head, another input's tail
        const std::string& other = inputs_[draw(inputs_.size())];
        const size_t cut = pos(other);
        s = s.substr(0, pos(s)) + other.substr(cut);
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>& inputs_;
};

}  // namespace

int main(int argc, char** argv) {
  const auto& targets = gnnx::fuzz::targets();
  const char* name = argc > 1 ? argv[1] : "";
  long long mutations = 0;
  long long seed = 0;
  std::vector<fs::path> files;
  bool usage = argc < 3 || !targets.count(name);
  for (int i = 2; i < argc && !usage; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" || arg == "--seed") {
      char* end = nullptr;
      const char* value = i + 1 < argc ? argv[++i] : "";
      const long long n = std::strtoll(value, &end, 10);
      if (end == value || *end != '\0' || n < 0) {
        std::fprintf(stderr, "%s: %s expects a count >= 0, got \"%s\"\n", name, arg.c_str(), value);
        return 2;
      }
      (arg == "--mutations" ? mutations : seed) = n;
    } else if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no file or folder \"%s\"\n", name, arg.c_str());
      return 2;
    }
  }
  if (usage) {
    std::fprintf(stderr, "usage: %s <target> [--mutations N] [--seed S] <file or folder>...\ntargets:", argv[0]);
    for (const auto& [target_name, fn] : targets) std::fprintf(stderr, " %s", target_name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  // A corpus that went missing must not pass as an empty run.
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs found\n", name);
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> inputs;
  for (const auto& file : files) inputs.push_back(read_bytes(file));

  gnnx::fuzz::prepare_process();
  const gnnx::fuzz::TargetFn target = targets.at(name);
  const fs::path scratch = fs::temp_directory_path();
  const fs::path current = scratch / (std::string("gnnx-fuzz-") + name + "-current");
  auto run = [&](const std::string& bytes, const std::string& what) {
    try {
      target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      return true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s: %s\n", name, what.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "%s: %s: a non-standard exception\n", name, what.c_str());
    }
    const fs::path failed = scratch / (std::string("gnnx-fuzz-") + name + "-failed");
    write_bytes(failed, bytes);
    std::fprintf(stderr, "%s: the input is kept in %s\n", name, failed.string().c_str());
    return false;
  };

  for (size_t i = 0; i < files.size(); ++i)
    if (!run(inputs[i], files[i].string())) return 1;
  Mutator mutate(static_cast<uint64_t>(seed), inputs);
  for (size_t i = 0; i < files.size(); ++i) {
    for (long long m = 0; m < mutations; ++m) {
      const std::string bytes = mutate(inputs[i]);
      write_bytes(current, bytes);
      if (!run(bytes, files[i].string() + ", mutation " + std::to_string(m) + " of seed " + std::to_string(seed)))
        return 1;
    }
  }
  std::error_code ignored;
  fs::remove(current, ignored);
  std::printf("%s: %zu inputs replayed, %lld mutations of each run\n", name, files.size(), mutations);
  return 0;
}
