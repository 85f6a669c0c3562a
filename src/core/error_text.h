#pragma once
// The text of another library's exception, cut to what belongs in a gnnx::Error: its first line
// that is not blank. LibTorch appends a C++ backtrace after the first line, and the errors of its
// TorchScript parser (torch::jit::ErrorReport, thrown on corrupt archives) start with a newline.
#include <string>

namespace gnnx::detail {

inline std::string message_line(const std::string& what) {
  size_t begin = 0;
  while (begin < what.size()) {
    const size_t end = what.find('\n', begin);
    const std::string line = what.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return what.empty() ? what : "(no message)";
}

}  // namespace gnnx::detail
