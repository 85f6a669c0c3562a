#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace gnnx::cli {

std::string format_duration(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof(buf), "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof(buf), "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else
    std::snprintf(buf, sizeof(buf), "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) % 3600 / 60);
  return buf;
}

Progress::Progress(std::string what, int64_t total, int64_t skipped, bool forced)
    : what_(std::move(what)), total_(total), skipped_(skipped), tty_(::isatty(STDERR_FILENO) == 1) {
  on_ = forced || tty_;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (on_) draw(0);
}

void Progress::update(int64_t done) {
  if (!on_) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal is redrawn at most 4 times a second, a log gets a line every 5 s.
  const double gap = std::chrono::duration<double>(now - last_draw_).count();
  if (gap < (tty_ ? 0.25 : 5.0) && skipped_ + done < total_) return;
  last_draw_ = now;
  draw(done);
}

void Progress::finish() {
  if (on_ && tty_) std::cerr << "\n" << std::flush;
}

void Progress::draw(int64_t done) {
  if (done == drawn_ && done > 0) return;
  drawn_ = done;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t all = skipped_ + done;
  std::ostringstream line;
  line.setf(std::ios::fixed);
  line.precision(1);
  line << what_ << ": " << all << "/" << total_ << " targets (" << (total_ ? 100.0 * all / total_ : 100.0) << " %)";
  if (skipped_ > 0) line << ", " << skipped_ << " resumed";
  if (done > 0 && seconds > 0) {
    const double rate = done / seconds;
    // By work when weighed: the time so far times the work left over the work done.
    const double share = work_done_ ? work_done_(done) : 0.0;
    const double eta = share > 0 ? seconds * (1 - share) / share : (total_ - all) / rate;
    line << ", " << rate << " targets/s, ETA " << format_duration(eta);
  }
  if (tty_)
    std::cerr << "\r\033[K" << line.str() << std::flush;
  else
    std::cerr << line.str() << "\n" << std::flush;
}

}  // namespace gnnx::cli
