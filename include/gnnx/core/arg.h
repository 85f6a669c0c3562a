#pragma once
/// GNNX_ARG declares a builder-style option: a private field with a documented default, a
/// setter that returns *this (so options chain) and a getter.
///   struct TrainOptions { GNNX_ARG(int64_t, epochs) = 300; };
///   TrainOptions().epochs(500).epochs();  // 500

#include <utility>

// clang-format off
#define GNNX_ARG(T, name)                                          \
 public:                                                           \
  inline auto name(const T& new_##name) -> decltype(*this) {       \
    this->name##_ = new_##name;                                    \
    return *this;                                                  \
  }                                                                \
  inline auto name(T&& new_##name) -> decltype(*this) {            \
    this->name##_ = std::move(new_##name);                         \
    return *this;                                                  \
  }                                                                \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                   \
 private:                                                          \
  T name##_
// clang-format on
