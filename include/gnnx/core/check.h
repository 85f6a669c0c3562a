#pragma once
/// Errors and input checks.
///
/// Every public entry point validates its inputs with GNNX_CHECK and throws gnnx::Error whose
/// message names the operation, what was expected and what came:
///   GNNX_CHECK(edge_index.size(0) == 2,
///              "Graph: edge_index must have shape [2, E], got ", edge_index.sizes());
/// Internal invariants (bugs in gnnx, not in the caller's input) use GNNX_ASSERT.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace gnnx {

/// The one exception type gnnx throws for bad input or unusable state.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
[[noreturn]] void throw_error(const std::string& message);
[[noreturn]] void throw_internal(const char* file, int line, const char* cond, const std::string& message);
}  // namespace detail

}  // namespace gnnx

/// Throws gnnx::Error with the concatenated message when cond is false.
#define GNNX_CHECK(cond, ...)                                                      \
  do {                                                                             \
    if (!(cond)) ::gnnx::detail::throw_error(::gnnx::detail::concat(__VA_ARGS__)); \
  } while (false)

/// Throws gnnx::Error naming the file and line: for broken invariants inside gnnx.
#define GNNX_ASSERT(cond, ...)                                                                                         \
  do {                                                                                                                 \
    if (!(cond)) ::gnnx::detail::throw_internal(__FILE__, __LINE__, #cond, ::gnnx::detail::concat("", ##__VA_ARGS__)); \
  } while (false)
