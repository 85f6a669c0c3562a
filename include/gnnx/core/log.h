#pragma once
/// Progress messages. The library never writes to stdout or stderr itself: a function that can
/// report progress takes a LogSink in its options (e.g. nn::TrainOptions().log(sink)), and an
/// empty sink, the default, means silence. A program that wants the lines on a stream passes
/// stream_log_sink(std::cerr).

#include <functional>
#include <iosfwd>
#include <string_view>

#include "gnnx/core/check.h"

namespace gnnx {

enum class LogLevel { kDebug, kInfo, kWarning };
const char* to_string(LogLevel level);  ///< "debug" | "info" | "warning"

/// Receives one message: a single line without its newline. Called on the thread that runs the
/// reporting function, so a sink shared by calls on several threads must be thread-safe.
using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Sends the concatenation of args (as operator<< writes them) to sink; builds nothing when the
/// sink is empty.
template <typename... Args>
void log_to(const LogSink& sink, LogLevel level, Args&&... args) {
  if (sink) sink(level, detail::concat(std::forward<Args>(args)...));
}

/// A sink that writes each message and a newline to out (info and debug as they are, warnings
/// prefixed with "warning: "). out must outlive the sink.
LogSink stream_log_sink(std::ostream& out);

}  // namespace gnnx
