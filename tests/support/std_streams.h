#pragma once
// Captures what code writes to std::cout and std::cerr, for tests that the library prints nothing.
#include <iostream>
#include <sstream>
#include <string>

namespace gnnx::test {

/// Redirects std::cout and std::cerr into strings for its lifetime (C++ stream writes only, not
/// writes to the file descriptors, such as glog's).
class CapturedStdStreams {
 public:
  CapturedStdStreams() : out_buf_(std::cout.rdbuf(out_.rdbuf())), err_buf_(std::cerr.rdbuf(err_.rdbuf())) {}
  ~CapturedStdStreams() {
    std::cout.rdbuf(out_buf_);
    std::cerr.rdbuf(err_buf_);
  }
  CapturedStdStreams(const CapturedStdStreams&) = delete;
  CapturedStdStreams& operator=(const CapturedStdStreams&) = delete;
  /// Everything written to either stream so far.
  std::string text() const { return out_.str() + err_.str(); }

 private:
  std::ostringstream out_, err_;
  std::streambuf* out_buf_;
  std::streambuf* err_buf_;
};

}  // namespace gnnx::test
