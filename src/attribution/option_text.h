#pragma once
// Internal: option values as the text an attributor records in Attribution::options.

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace gnnx::attribution::detail {

/// A number as an ostream writes it (6 significant digits: 0.5 -> "0.5", 1e-06 -> "1e-06").
inline std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// A list joined by commas, no spaces: {1, 2, 2} -> "1,2,2".
inline std::string list_text(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

}  // namespace gnnx::attribution::detail
