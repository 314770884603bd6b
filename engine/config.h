#pragma once
// Settings visible through CONFIG GET/SET, with Redis 7.0's names and default texts. Values
// are kept as Redis prints them. CONFIG is an admin path: a mutex guards the values because
// any core may run CONFIG SET; nothing on the data path reads this class.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// glob_match used to be declared here; callers that still reach it through this header keep
// working.
#include "engine/base/glob.h"

namespace eddy {

class ServerConfig {
 public:
  // kFixed: a parameter whose feature eddy does not build (yet), or whose bound is built in. It
  // shows its true value, and CONFIG SET accepts only that value (so a client restoring what
  // it read still works); any other is refused with the reason in `enum_values`.
  // kMemory: an integer in Redis's memory notation ("argument must be a memory value").
  enum class Kind { kString, kInteger, kMemory, kBool, kEnum, kImmutable, kFixed, kCustom };

  // A parameter as CONFIG REWRITE needs it: its value, the value it has when nothing sets it,
  // and the other names it answers to.
  struct ParamState {
    std::string name;
    std::string value;
    std::string default_value;
    Kind kind = Kind::kString;
    std::vector<std::string> aliases;
  };

  ServerConfig();

  // Parameters whose names match the glob `pattern` (case-insensitive), in table order.
  std::vector<std::pair<std::string, std::string>> get(std::string_view pattern) const;
  std::string get_one(std::string_view name) const;
  // Returns false with Redis's error text in *error for unknown or invalid settings.
  bool set(std::string_view name, std::string_view value, std::string* error);
  // CONFIG SET with several pairs: every one applies, or none does.
  bool set_all(const std::vector<std::pair<std::string_view, std::string_view>>& settings,
               std::string* error);
  // Start-up values (from flags/TOML); unknown names are a programming error.
  void set_initial(std::string_view name, std::string value);
  // What a parameter is when neither a flag nor the file sets it, where that is not the
  // built-in text (io-threads: eddy-server's one worker per core).
  void set_default(std::string_view name, std::string value);
  // Every parameter but the aliases, in table order, under one lock.
  std::vector<ParamState> states() const;
  // Whether CONFIG SET takes `name` (exactly as spelled, lower case): a parameter or an alias
  // that is not immutable. Fixed ones count: they take their own value.
  bool settable(std::string_view name) const;

  // Makes an integer parameter take effect: every accepted value is stored into `target`
  // (read by the data path without the lock), and values outside [min, max] are refused.
  // A memory parameter (Redis's MEMORY_CONFIG: "1mb", "64k") is bound the same way.
  void bind_integer(std::string_view name, std::atomic<std::int64_t>* target, std::int64_t min,
                    std::int64_t max);

  // A parameter with its own syntax (client-output-buffer-limit, maxmemory-clients): `parse`
  // turns what CONFIG SET was given, and the value held now, into the value to hold (false
  // with Redis's reason); `apply` makes a held value take effect. Applies the current value.
  using ParseFn = std::function<bool(std::string_view input, const std::string& current,
                                     std::string* canonical, std::string* reason)>;
  using ApplyFn = std::function<void(const std::string& value)>;
  void bind_custom(std::string_view name, ParseFn parse, ApplyFn apply);

 private:
  struct Param {
    std::string name;
    std::string value;
    std::string default_value;  // the value at construction, or set_default's
    Kind kind = Kind::kString;
    std::string enum_values;  // space separated, for kEnum; the refusal's reason, for kFixed
    std::atomic<std::int64_t>* bound = nullptr;  // kInteger: where an accepted value goes
    std::int64_t min_value = 0;
    std::int64_t max_value = INT64_MAX;
    int alias_of = -1;  // index of the parameter this name stands for
    ParseFn parse;      // kCustom
    ApplyFn apply;      // kCustom
  };
  Param* resolve(Param* param);
  void publish_bound();
  bool set_locked(std::string_view name, std::string_view value, std::string* error);
  Param* find(std::string_view name);
  const Param* find(std::string_view name) const;

  mutable std::mutex mutex_;
  std::vector<Param> params_;
};

}  // namespace eddy
