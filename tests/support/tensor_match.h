#pragma once
// Helpers for comparing tensors in tests with a tolerance, printing both on failure.
#include <sstream>
#include <string>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::test {

/// Double precision, for finite-difference and closed-form comparisons.
inline torch::TensorOptions f64() { return torch::TensorOptions().dtype(torch::kDouble); }

inline bool allclose(const torch::Tensor& a, const torch::Tensor& b, double rtol = 1e-5, double atol = 1e-6) {
  if (a.sizes() != b.sizes()) return false;
  return torch::allclose(a.to(torch::kDouble), b.to(torch::kDouble), rtol, atol);
}

inline std::string describe(const torch::Tensor& a, const torch::Tensor& b) {
  std::ostringstream s;
  s << "a = " << a << "\nb = " << b << "\nmax |a-b| = "
    << (a.sizes() == b.sizes() ? (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>() : -1.0);
  return s.str();
}

}  // namespace gnnx::test

#define GNNX_REQUIRE_CLOSE(a, b, ...)                         \
  do {                                                        \
    INFO(::gnnx::test::describe((a), (b)));                   \
    REQUIRE(::gnnx::test::allclose((a), (b), ##__VA_ARGS__)); \
  } while (false)

// REQUIRE that the expression (the variadic part, commas allowed) throws gnnx::Error whose
// message contains substr.
#define GNNX_REQUIRE_ERROR(substr, ...)                                              \
  do {                                                                               \
    bool gnnx_thrown_ = false;                                                       \
    try {                                                                            \
      (void)(__VA_ARGS__);                                                           \
    } catch (const ::gnnx::Error& e) {                                               \
      gnnx_thrown_ = true;                                                           \
      INFO("message: " << e.what());                                                 \
      CHECK(std::string(e.what()).find(substr) != std::string::npos);                \
    }                                                                                \
    INFO("expected gnnx::Error containing \"" << substr << "\" from " #__VA_ARGS__); \
    REQUIRE(gnnx_thrown_);                                                           \
  } while (false)
