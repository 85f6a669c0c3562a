#pragma once
/// One table-driven mapping between enum values and their names, for every enum that crosses
/// the command line or a file. Modes are enum classes inside the library; they are converted
/// from text once, at the boundary.
///
///   enum class Aggregation { kSum, kMean, kMax };
///   GNNX_ENUM_NAMES(Aggregation, "aggregation",
///                   {Aggregation::kSum, "sum"}, {Aggregation::kMean, "mean"}, {Aggregation::kMax, "max"},
///                   {Aggregation::kSum, "add"});  // later entries of a value are accepted aliases
///
///   gnnx::from_name<Aggregation>("mean");  // Aggregation::kMean; unknown names throw gnnx::Error
///   to_string(Aggregation::kSum);          // "sum" (the value's first name), found by ADL

#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "gnnx/core/check.h"

/// Declares E's names beside E, in E's namespace: the table, a description for messages and
/// to_string(E). Use it once per enum, right after the enum.
#define GNNX_ENUM_NAMES(E, description, ...)                                              \
  inline constexpr std::pair<E, const char*> gnnx_enum_names_table_##E[] = {__VA_ARGS__}; \
  constexpr const auto& gnnx_enum_names(E) { return gnnx_enum_names_table_##E; }          \
  constexpr const char* gnnx_enum_description(E) { return description; }                  \
  inline const char* to_string(E value) { return ::gnnx::enum_name(value); }

namespace gnnx {

/// The first name of value in its enum's table.
template <typename E>
const char* enum_name(E value) {
  for (const auto& [v, name] : gnnx_enum_names(E{}))
    if (v == value) return name;
  GNNX_ASSERT(false, gnnx_enum_description(E{}), ": value ", static_cast<long long>(value), " has no name");
  return "";
}

/// "sum, mean, max": every value's first name, in table order, for help texts and messages.
template <typename E>
std::string enum_names() {
  std::string out;
  const auto& table = gnnx_enum_names(E{});
  for (size_t i = 0; i < std::size(table); ++i) {
    bool first = true;
    for (size_t j = 0; j < i; ++j) first = first && table[j].first != table[i].first;
    if (first) out += (out.empty() ? "" : ", ") + std::string(table[i].second);
  }
  return out;
}

/// The value named `name` (a first name or an alias). Throws gnnx::Error listing the names.
template <typename E>
E from_name(std::string_view name) {
  for (const auto& [v, n] : gnnx_enum_names(E{}))
    if (name == n) return v;
  GNNX_CHECK(false, gnnx_enum_description(E{}), ": expected one of ", enum_names<E>(), ", got \"", name, "\"");
  return E{};
}

}  // namespace gnnx
