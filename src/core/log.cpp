#include "gnnx/core/log.h"

#include <ostream>

namespace gnnx {

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
  }
  return "info";
}

LogSink stream_log_sink(std::ostream& out) {
  return [&out](LogLevel level, std::string_view message) {
    if (level == LogLevel::kWarning) out << "warning: ";
    out << message << '\n';
  };
}

}  // namespace gnnx
