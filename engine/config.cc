#include "engine/config.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "engine/base/assert.h"
#include "engine/base/glob.h"
#include "engine/client_limits.h"

namespace eddy {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Redis's string2ll: what a plain integer parameter accepts.
bool parse_strict_integer(std::string_view text, std::int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (text == "0") {
    *out = 0;
    return true;
  }
  const bool negative = text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits[0] < '1' || digits[0] > '9') return false;
  std::uint64_t magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (UINT64_MAX - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  const auto limit = static_cast<std::uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  if (magnitude > limit) return false;
  *out = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

}  // namespace

ServerConfig::ServerConfig() {
  auto add = [this](std::string name, std::string value, Kind kind, std::string enums = {}) {
    Param param;
    param.name = std::move(name);
    param.value = std::move(value);
    param.default_value = param.value;
    param.kind = kind;
    param.enum_values = std::move(enums);
    params_.push_back(std::move(param));
  };
  // Every parameter listed either takes effect when set or is kFixed: docs/config.md says
  // which, parameter by parameter.
  auto fixed = [&](std::string name, std::string value, std::string reason) {
    add(std::move(name), std::move(value), Kind::kFixed, std::move(reason));
  };
  const std::string no_eviction = "eddy has no maxmemory eviction yet";
  add("bind", "127.0.0.1", Kind::kImmutable);
  add("port", "6379", Kind::kImmutable);
  add("databases", "16", Kind::kImmutable);
  add("io-threads", "1", Kind::kImmutable);
  add("maxclients", "10000", Kind::kInteger);
  add("timeout", "0", Kind::kInteger);
  add("tcp-keepalive", "300", Kind::kInteger);
  // The unix socket eddy-server listens on besides TCP, and its permissions (octal), as Redis
  // prints them: start-up only.
  add("unixsocket", "", Kind::kImmutable);
  add("unixsocketperm", "0", Kind::kImmutable);
  add("client-output-buffer-limit", format_output_buffer_limits(default_output_buffer_limits()),
      Kind::kCustom);
  add("maxmemory-clients", "0", Kind::kCustom);
  fixed("hz", "10", "eddy's background cycles run at a fixed 10 Hz");
  // Save rules ("<seconds> <changes> ..."), checked once a second (engine/storage/snapshotter.h).
  // eddy's default is none, where Redis's is "3600 1 300 100 60 10000": a server started
  // without a config writes no snapshot unless asked.
  add("save", "", Kind::kCustom);
  // The log can be switched on only at start-up: at run time it would first need the current
  // keyspace written as its base (a snapshot), which eddy does not write yet.
  fixed("appendonly", "no",
        "appendonly is set at start-up only (--appendonly or the config file): switching the "
        "log at run time needs a base snapshot, not built yet");
  // Bound by the engine (an atomic the log reads per group commit).
  add("appendfsync", "everysec", Kind::kCustom);
  // eddy-server sets it to its data directory (--dir) at start-up.
  fixed("dir", "", "the data directory is set at start-up (--dir)");
  // The snapshot's manifest under `dir` (the shard files are named after it): start-up only.
  add("dbfilename", "dump.rdb", Kind::kImmutable);
  add("appendfilename", "appendonly.aof", Kind::kImmutable);
  add("appenddirname", "appendonlydir", Kind::kImmutable);
  // Read at start-up, by recovery: cut a torn last record (yes), or refuse to start (no).
  add("aof-load-truncated", "yes", Kind::kBool);
  // eddy's own: a record that fails its checksum with data after it stops start-up unless this
  // is yes, which loads the good prefix and cuts the rest.
  add("aof-load-damaged-prefix", "no", Kind::kBool);
  fixed("maxmemory", "0", no_eviction);
  fixed("maxmemory-policy", "noeviction", no_eviction);
  fixed("maxmemory-samples", "5", no_eviction);
  add("proto-max-bulk-len", "536870912", Kind::kMemory);
  add("client-query-buffer-limit", "1073741824", Kind::kMemory);
  fixed("loglevel", "notice", "eddy's log has one level");
  fixed("slowlog-log-slower-than", "10000", "eddy has no SLOWLOG yet");
  fixed("slowlog-max-len", "128", "eddy has no SLOWLOG yet");
  fixed("notify-keyspace-events", "", "eddy has no keyspace notifications (pub/sub) yet");
  fixed("lazyfree-lazy-user-del", "no", "eddy frees deleted values at once");
  fixed("lazyfree-lazy-expire", "no", "eddy frees expired values at once");
  add("cluster-enabled", "no", Kind::kImmutable);
  fixed("replica-read-only", "yes", "eddy is never a replica");
  add("protected-mode", "yes", Kind::kBool);
  // The default user's password (engine/acl): CONFIG SET changes the user too.
  add("requirepass", "", Kind::kString);
  add("acllog-max-len", "128", Kind::kInteger);
  add("aclfile", "", Kind::kImmutable);
  add("daemonize", "no", Kind::kImmutable);
  fixed("lua-time-limit", "5000", "eddy has no scripting");
  fixed("busy-reply-threshold", "5000", "eddy has no scripting");
  fixed("active-expire-effort", "1", "eddy's active expiry has a fixed budget");
  fixed("latency-tracking", "no", "eddy does not track per-command latency yet");
  // Collection encodings (engine/kv/encoding_limits.h; the engine binds them). Redis 7 keeps
  // the *-ziplist-* names as aliases: getting or setting either is the same parameter.
  add("hash-max-listpack-entries", "512", Kind::kInteger);
  add("hash-max-listpack-value", "64", Kind::kMemory);
  add("set-max-intset-entries", "512", Kind::kInteger);
  add("set-max-listpack-entries", "128", Kind::kInteger);
  add("set-max-listpack-value", "64", Kind::kMemory);
  add("zset-max-listpack-entries", "128", Kind::kInteger);
  add("zset-max-listpack-value", "64", Kind::kMemory);
  add("list-max-listpack-size", "-2", Kind::kInteger);
  // Redis compresses inner quicklist nodes with LZF at this depth: memory only, never what a
  // command answers. eddy keeps the value (CONFIG GET shows it) and compresses nothing.
  add("list-compress-depth", "0", Kind::kInteger);
  add("hll-sparse-max-bytes", "3000", Kind::kMemory);
  for (const auto& [alias, name] :
       {std::pair{"hash-max-ziplist-entries", "hash-max-listpack-entries"},
        std::pair{"hash-max-ziplist-value", "hash-max-listpack-value"},
        std::pair{"zset-max-ziplist-entries", "zset-max-listpack-entries"},
        std::pair{"zset-max-ziplist-value", "zset-max-listpack-value"},
        std::pair{"list-max-ziplist-size", "list-max-listpack-size"}}) {
    const int index = static_cast<int>(find(name) - params_.data());
    Param param;
    param.name = alias;
    param.kind = Kind::kInteger;
    param.alias_of = index;
    params_.push_back(std::move(param));
  }
}

ServerConfig::Param* ServerConfig::find(std::string_view name) {
  for (auto& param : params_) {
    if (iequals(param.name, name)) return &param;
  }
  return nullptr;
}

const ServerConfig::Param* ServerConfig::find(std::string_view name) const {
  for (const auto& param : params_) {
    if (iequals(param.name, name)) return &param;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> ServerConfig::get(std::string_view pattern) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& param : params_) {
    if (!glob_match(pattern, param.name, true)) continue;
    const Param& target =
        param.alias_of >= 0 ? params_[static_cast<std::size_t>(param.alias_of)] : param;
    out.emplace_back(param.name, target.value);
  }
  return out;
}

ServerConfig::Param* ServerConfig::resolve(Param* param) {
  if (param == nullptr || param->alias_of < 0) return param;
  return &params_[static_cast<std::size_t>(param->alias_of)];
}

void ServerConfig::bind_integer(std::string_view name, std::atomic<std::int64_t>* target,
                                std::int64_t min, std::int64_t max) {
  std::lock_guard lock(mutex_);
  Param* param = resolve(find(name));
  ASSERT_MSG(param != nullptr && (param->kind == Kind::kInteger || param->kind == Kind::kMemory),
             std::string(name));
  ASSERT(target != nullptr);
  param->bound = target;
  param->min_value = min;
  param->max_value = max;
  target->store(std::strtoll(param->value.c_str(), nullptr, 10), std::memory_order_relaxed);
}

void ServerConfig::bind_custom(std::string_view name, ParseFn parse, ApplyFn apply) {
  std::lock_guard lock(mutex_);
  Param* param = resolve(find(name));
  ASSERT_MSG(param != nullptr && param->kind == Kind::kCustom, std::string(name));
  ASSERT(parse != nullptr && apply != nullptr);
  // The start-up value (a flag or the TOML file) was checked when it was read; it must parse.
  std::string canonical;
  std::string reason;
  ASSERT_MSG(parse(param->value, param->value, &canonical, &reason), reason);
  param->value = canonical;
  param->parse = std::move(parse);
  param->apply = std::move(apply);
  param->apply(param->value);
}

void ServerConfig::publish_bound() {
  for (const Param& param : params_) {
    if (param.bound != nullptr) {
      param.bound->store(std::strtoll(param.value.c_str(), nullptr, 10), std::memory_order_relaxed);
    }
    if (param.apply != nullptr) param.apply(param.value);
  }
}

std::string ServerConfig::get_one(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const Param* param = find(name);
  ASSERT_MSG(param != nullptr, std::string("unknown config parameter ") + std::string(name));
  // An alias keeps no value of its own (get() resolves it the same way).
  if (param->alias_of >= 0) param = &params_[static_cast<std::size_t>(param->alias_of)];
  return param->value;
}

void ServerConfig::set_initial(std::string_view name, std::string value) {
  std::lock_guard lock(mutex_);
  Param* param = find(name);
  ASSERT_MSG(param != nullptr, std::string("unknown config parameter ") + std::string(name));
  param->value = std::move(value);
}

void ServerConfig::set_default(std::string_view name, std::string value) {
  std::lock_guard lock(mutex_);
  Param* param = resolve(find(name));
  ASSERT_MSG(param != nullptr, std::string("unknown config parameter ") + std::string(name));
  param->default_value = std::move(value);
}

bool ServerConfig::settable(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const Param& param : params_) {
    if (param.name != name) continue;
    const Param& target =
        param.alias_of >= 0 ? params_[static_cast<std::size_t>(param.alias_of)] : param;
    return target.kind != Kind::kImmutable;
  }
  return false;
}

std::vector<ServerConfig::ParamState> ServerConfig::states() const {
  std::lock_guard lock(mutex_);
  std::vector<ParamState> out;
  for (const Param& param : params_) {
    if (param.alias_of >= 0) continue;
    out.push_back(ParamState{param.name, param.value, param.default_value, param.kind, {}});
  }
  for (const Param& param : params_) {
    if (param.alias_of < 0) continue;
    const std::string& target = params_[static_cast<std::size_t>(param.alias_of)].name;
    for (ParamState& state : out) {
      if (state.name == target) state.aliases.push_back(param.name);
    }
  }
  return out;
}

bool ServerConfig::set_all(
    const std::vector<std::pair<std::string_view, std::string_view>>& settings,
    std::string* error) {
  // All or nothing, as Redis 7 does: apply to a copy, keep it only if every setting took.
  std::lock_guard lock(mutex_);
  std::vector<Param> saved = params_;
  for (const auto& [name, value] : settings) {
    if (!set_locked(name, value, error)) {
      params_ = std::move(saved);
      publish_bound();  // values already stored into bound targets go back too
      return false;
    }
  }
  return true;
}

bool ServerConfig::set(std::string_view name, std::string_view value, std::string* error) {
  std::lock_guard lock(mutex_);
  return set_locked(name, value, error);
}

bool ServerConfig::set_locked(std::string_view name, std::string_view value, std::string* error) {
  Param* param = resolve(find(name));
  auto invalid = [&](std::string_view reason) {
    *error = "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
             std::string(reason);
    return false;
  };
  if (param == nullptr) return invalid("Unknown option or number of arguments for CONFIG SET");
  // Integers and memory sizes: the value (Redis's range error when outside) and its bound.
  auto store_in_range = [&](std::int64_t result, bool in_range) {
    if (!in_range) {
      return invalid("argument must be between " + std::to_string(param->min_value) + " and " +
                     std::to_string(param->max_value) + " inclusive");
    }
    param->value = std::to_string(result);
    if (param->bound != nullptr) param->bound->store(result, std::memory_order_relaxed);
    return true;
  };
  switch (param->kind) {
    case Kind::kImmutable:
      return invalid("can't set immutable config");
    case Kind::kFixed:
      if (iequals(value, param->value)) return true;
      return invalid(param->enum_values + " (docs/config.md)");
    case Kind::kInteger: {
      // Redis's string2ll: an optional '-', then digits without a leading zero (except "0"),
      // nothing else, no overflow. Units are for memory parameters only (Kind::kMemory).
      std::int64_t result = 0;
      if (!parse_strict_integer(value, &result)) {
        return invalid("argument couldn't be parsed into an integer");
      }
      return store_in_range(result, result >= param->min_value && result <= param->max_value);
    }
    case Kind::kMemory: {
      std::uint64_t bytes = 0;
      if (!parse_memory_bytes(value, &bytes)) return invalid("argument must be a memory value");
      // Past the signed range Redis's value wraps negative and fails the lower bound.
      const auto result = static_cast<std::int64_t>(bytes);
      return store_in_range(result, bytes <= static_cast<std::uint64_t>(INT64_MAX) &&
                                        result >= param->min_value && result <= param->max_value);
    }
    case Kind::kCustom: {
      if (param->parse == nullptr) return invalid(param->name + " is not bound");
      std::string canonical;
      std::string reason;
      if (!param->parse(value, param->value, &canonical, &reason)) return invalid(reason);
      param->value = std::move(canonical);
      param->apply(param->value);
      return true;
    }
    case Kind::kBool: {
      if (iequals(value, "yes")) {
        param->value = "yes";
      } else if (iequals(value, "no")) {
        param->value = "no";
      } else {
        return invalid("argument must be 'yes' or 'no'");
      }
      return true;
    }
    case Kind::kEnum: {
      std::string_view options = param->enum_values;
      while (!options.empty()) {
        auto space = options.find(' ');
        std::string_view option = options.substr(0, space);
        if (iequals(option, value)) {
          param->value = std::string(option);
          return true;
        }
        if (space == std::string_view::npos) break;
        options.remove_prefix(space + 1);
      }
      return invalid("argument(s) must be one of the following: " + param->enum_values);
    }
    case Kind::kString:
      param->value = std::string(value);
      return true;
  }
  return false;
}

}  // namespace eddy
