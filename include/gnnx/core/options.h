#pragma once
/// Options given as text (the command line, a registry call), read into an options struct.
/// Both registries, make_explainer and make_attributor, take an OptionMap; their factories start
/// from the options struct's own defaults and overwrite only the keys given:
///
///   OptionReader r("ig", options);
///   IntegratedGradientsOptions o;
///   o.steps(r.get("steps", o.steps()));
///   r.finish();  // throws on a key nobody asked for

#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "gnnx/core/enum_names.h"

namespace gnnx {

/// Key → value, both text: {{"steps", "32"}, {"method", "riemann_trapezoid"}}.
using OptionMap = std::map<std::string, std::string>;

/// Reads typed values from an OptionMap for the method `method` (named in every error).
class OptionReader {
 public:
  OptionReader(std::string method, OptionMap options) : method_(std::move(method)), options_(std::move(options)) {}
  bool has(const std::string& key) const { return options_.count(key) > 0; }

  /// The value of key parsed as T, or fallback when the key is absent. T: int64_t, uint64_t,
  /// double, bool (true/false, 1/0, yes/no, on/off), std::string, std::vector<int64_t> and
  /// std::vector<double> (comma-separated), or an enum with GNNX_ENUM_NAMES. Throws gnnx::Error
  /// naming the method, the key, what was expected and the text that came.
  template <typename T>
  T get(const std::string& key, const T& fallback) {
    used_.push_back(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if constexpr (std::is_enum_v<T>) {
      try {
        return from_name<T>(it->second);
      } catch (const Error&) {
        fail(key, ("one of " + enum_names<T>()).c_str(), it->second);
      }
      return fallback;
    } else {
      return parse(key, it->second, static_cast<T*>(nullptr));
    }
  }
  /// get() for a string literal fallback.
  std::string get(const std::string& key, const char* fallback) { return get<std::string>(key, fallback); }

  /// A copy of the options without the given keys (for a method that passes the rest on).
  OptionMap without(const std::vector<std::string>& keys) const;
  /// Throws gnnx::Error naming any key that no get() asked for, with the keys that were.
  void finish() const;

 private:
  [[noreturn]] void fail(const std::string& key, const char* expected, const std::string& value) const;
  int64_t parse(const std::string& key, const std::string& value, int64_t*) const;
  uint64_t parse(const std::string& key, const std::string& value, uint64_t*) const;
  double parse(const std::string& key, const std::string& value, double*) const;
  bool parse(const std::string& key, const std::string& value, bool*) const;
  std::string parse(const std::string& key, const std::string& value, std::string*) const;
  std::vector<int64_t> parse(const std::string& key, const std::string& value, std::vector<int64_t>*) const;
  std::vector<double> parse(const std::string& key, const std::string& value, std::vector<double>*) const;

  std::string method_;
  OptionMap options_;
  std::vector<std::string> used_;
};

}  // namespace gnnx
