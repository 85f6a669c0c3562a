#pragma once
// A progress line for long runs: "explain: 1200/70000 targets (1.7 %), 45.2 targets/s, ETA 25m18s"
// on stderr, redrawn in place on a terminal and printed as a line at most every few seconds
// otherwise (when asked with --progress), so that logs stay readable.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace gnnx::cli {

class Progress {
 public:
  /// total: items of the whole run; skipped: items a resumed run already had (counted as done,
  /// not in the rate). Shown when stderr is a terminal, or always when forced.
  Progress(std::string what, int64_t total, int64_t skipped, bool forced);
  /// done: items finished in this run so far.
  void update(int64_t done);
  /// Bases the ETA on the share of this run's work done after `done` items (explain::WorkEstimate)
  /// instead of their count, for runs whose items differ widely in cost.
  void weigh(std::function<double(int64_t done)> work_done) { work_done_ = std::move(work_done); }
  /// Ends the line (a terminal's redrawn line gets its new line).
  void finish();
  bool shown() const { return on_; }

 private:
  void draw(int64_t done);
  std::string what_;
  int64_t total_, skipped_, drawn_ = -1;
  bool on_, tty_;
  std::function<double(int64_t)> work_done_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// "1h02m", "25m18s", "7.2s".
std::string format_duration(double seconds);

}  // namespace gnnx::cli
