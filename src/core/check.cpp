#include "gnnx/core/check.h"

namespace gnnx::detail {

void throw_error(const std::string& message) { throw Error(message); }

void throw_internal(const char* file, int line, const char* cond, const std::string& message) {
  throw Error(concat("gnnx internal error at ", file, ":", line, ": ", cond, message.empty() ? "" : " (", message,
                     message.empty() ? "" : ")", "; please report it"));
}

}  // namespace gnnx::detail
