#include "gnnx/core/log.h"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.h"

TEST_CASE("log_to sends one concatenated line to the sink, and nothing without one", "[core][log]") {
  std::vector<std::pair<gnnx::LogLevel, std::string>> got;
  gnnx::LogSink sink = [&](gnnx::LogLevel level, std::string_view message) {
    got.emplace_back(level, std::string(message));
  };
  gnnx::log_to(sink, gnnx::LogLevel::kInfo, "epoch ", 3, " loss ", 0.5);
  gnnx::log_to(gnnx::LogSink(), gnnx::LogLevel::kWarning, "dropped");
  REQUIRE(got.size() == 1);
  CHECK(got[0].first == gnnx::LogLevel::kInfo);
  CHECK(got[0].second == "epoch 3 loss 0.5");
}

TEST_CASE("stream_log_sink writes one line per message, warnings marked", "[core][log]") {
  std::ostringstream out;
  auto sink = gnnx::stream_log_sink(out);
  sink(gnnx::LogLevel::kInfo, "first");
  sink(gnnx::LogLevel::kWarning, "second");
  CHECK(out.str() == "first\nwarning: second\n");
  CHECK(std::string(gnnx::to_string(gnnx::LogLevel::kDebug)) == "debug");
}
