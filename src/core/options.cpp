#include "gnnx/core/options.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "gnnx/core/check.h"

namespace gnnx {
namespace {

// The whole text must parse: "12abc" is not 12.
template <typename T, typename F>
bool parse_all(const std::string& text, F f, T* out) {
  try {
    size_t used = 0;
    *out = f(text, &used);
    return used == text.size() && !text.empty();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void OptionReader::fail(const std::string& key, const char* expected, const std::string& value) const {
  GNNX_CHECK(false, method_, ": option ", key, " expects ", expected, ", got \"", value, "\"");
  std::abort();  // unreachable: GNNX_CHECK(false, ...) throws
}

int64_t OptionReader::parse(const std::string& key, const std::string& value, int64_t*) const {
  int64_t v = 0;
  if (!parse_all(
          value, [](const std::string& s, size_t* n) { return std::stoll(s, n); }, &v))
    fail(key, "an integer", value);
  return v;
}

uint64_t OptionReader::parse(const std::string& key, const std::string& value, uint64_t*) const {
  uint64_t v = 0;
  if (value.find_first_not_of("0123456789") != std::string::npos ||
      !parse_all(
          value, [](const std::string& s, size_t* n) { return std::stoull(s, n); }, &v))
    fail(key, "a non-negative integer", value);
  return v;
}

double OptionReader::parse(const std::string& key, const std::string& value, double*) const {
  double v = 0;
  if (!parse_all(
          value, [](const std::string& s, size_t* n) { return std::stod(s, n); }, &v))
    fail(key, "a number", value);
  return v;
}

bool OptionReader::parse(const std::string& key, const std::string& value, bool*) const {
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  fail(key, "true or false", value);
}

std::string OptionReader::parse(const std::string&, const std::string& value, std::string*) const { return value; }

namespace {

// Comma-separated values, each parsed by one(text, &out) -> bool.
template <typename T, typename One>
bool parse_list(const std::string& value, One one, std::vector<T>& out) {
  std::stringstream ss(value);
  std::string part;
  while (std::getline(ss, part, ',')) {
    T v{};
    if (!one(part, &v)) return false;
    out.push_back(v);
  }
  return !out.empty();
}

}  // namespace

std::vector<int64_t> OptionReader::parse(const std::string& key, const std::string& value,
                                         std::vector<int64_t>*) const {
  std::vector<int64_t> out;
  auto one = [](const std::string& s, int64_t* v) {
    return parse_all(
        s, [](const std::string& t, size_t* n) { return std::stoll(t, n); }, v);
  };
  if (!parse_list<int64_t>(value, one, out)) fail(key, "comma-separated integers", value);
  return out;
}

std::vector<double> OptionReader::parse(const std::string& key, const std::string& value, std::vector<double>*) const {
  std::vector<double> out;
  auto one = [](const std::string& s, double* v) {
    return parse_all(
        s, [](const std::string& t, size_t* n) { return std::stod(t, n); }, v);
  };
  if (!parse_list<double>(value, one, out)) fail(key, "comma-separated numbers", value);
  return out;
}

OptionMap OptionReader::without(const std::vector<std::string>& keys) const {
  OptionMap rest;
  for (const auto& [k, v] : options_)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) rest[k] = v;
  return rest;
}

void OptionReader::finish() const {
  for (const auto& [k, v] : options_) {
    if (std::find(used_.begin(), used_.end(), k) != used_.end()) continue;
    std::string known;
    for (const auto& u : used_) known += (known.empty() ? "" : ", ") + u;
    GNNX_CHECK(false, method_, ": unknown option \"", k, "\"; options: ", known.empty() ? "(none)" : known);
  }
}

}  // namespace gnnx
