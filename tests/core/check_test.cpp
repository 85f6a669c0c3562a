#include "gnnx/core/check.h"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "gnnx/core/device.h"
#include "gnnx/core/random.h"
#include "gnnx/core/self_check.h"
#include "support/catch.h"
#include "support/tensor_match.h"

TEST_CASE("GNNX_CHECK throws gnnx::Error with the concatenated message", "[core]") {
  GNNX_REQUIRE_ERROR("op: expected 1, got 2", [] { GNNX_CHECK(1 == 2, "op: expected ", 1, ", got ", 2); }());
  REQUIRE_NOTHROW([] { GNNX_CHECK(true, "never"); }());
}

TEST_CASE("portable random draws are fixed by the seed", "[core]") {
  gnnx::Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(gnnx::uniform_int(a, 0, 9) == gnnx::uniform_int(b, 0, 9));
  gnnx::Rng c(7);
  auto p = gnnx::permutation(10, c);
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 10; ++i) REQUIRE(p[static_cast<size_t>(i)] == i);
  // mt19937_64's 10000th output is fixed by the C++ standard.
  gnnx::Rng d;
  d.discard(9999);
  REQUIRE(d() == 9981545732273789042ULL);
}

TEST_CASE("parse_device accepts cpu and rejects garbage", "[core]") {
  REQUIRE(gnnx::parse_device("cpu").is_cpu());
  GNNX_REQUIRE_ERROR("tpu", gnnx::parse_device("tpu"));
  if (!gnnx::cuda_available()) GNNX_REQUIRE_ERROR("no CUDA", gnnx::parse_device("cuda"));
}

// AddressSanitizer replaces glibc's malloc with its own, where mallopt does nothing.
#if defined(__SANITIZE_ADDRESS__)
#define GNNX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GNNX_TEST_ASAN 1
#endif
#endif

TEST_CASE("tune_malloc keeps a large freed block in the heap for reuse", "[core]") {
#if defined(GNNX_TEST_ASAN)
  REQUIRE_FALSE(gnnx::tune_malloc());  // and says so
#elif defined(__GLIBC__)
  REQUIRE(gnnx::tune_malloc());
  constexpr size_t big = 8 << 20;  // above glibc's default mmap threshold (128 KiB)
  static void* volatile sink = nullptr;
  const auto before = mallinfo2();
  sink = std::malloc(big);
  REQUIRE(sink != nullptr);
  std::memset(sink, 1, big);
  const auto during = mallinfo2();
  CHECK(during.hblkhd == before.hblkhd);  // served from the heap, not by a fresh mmap
  std::free(sink);
  const auto after = mallinfo2();
  CHECK(after.fordblks >= before.fordblks + big);  // kept as free heap memory, not given back
#else
  REQUIRE_FALSE(gnnx::tune_malloc());
#endif
}

TEST_CASE("check_backend: this build's float32 kernels agree with float64", "[core]") {
  // Fails where LibTorch computes a kernel wrongly: Debian 13's LibTorch 2.6 with oneDNN's AVX2 or
  // AVX-512 conv2d kernels gives conv2d input gradients with errors of order 1 and NaN.
  auto checks = gnnx::check_backend();
  REQUIRE(checks.size() == 19);  // 7 ops: each forward and the gradient of each input
  for (const auto& c : checks) {
    INFO(c.op << ": " << c.error);
    CHECK(c.ok);
    CHECK(c.error <= c.tolerance);
  }
  CHECK(checks[1].op == "conv2d input gradient");
  // The errors are measured, not zero: float32 differs from float64 in the last digits.
  CHECK(checks[0].error > 0);
  GNNX_REQUIRE_ERROR("check_backend: expected a CPU or CUDA device, got meta",
                     gnnx::check_backend(c10::Device(c10::kMeta)));
  if (!gnnx::cuda_available()) {
    GNNX_REQUIRE_ERROR("check_backend: expected an available device", gnnx::check_backend(c10::Device("cuda:0")));
  }
}
