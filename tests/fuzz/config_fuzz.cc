// libFuzzer target: eddy-server's TOML config loader and the CONFIG SET / CONFIG GET parsers.
//
// The same input is read two ways:
// 1. As a TOML file, through load_server_config_text (what --config FILE.toml runs). A refusal
//    names the file; an accepted file leaves every setting in its range, and the settings it
//    produced, written back as TOML, load to the same settings.
// 2. As lines "name value" given to the engine's ServerConfig, as CONFIG SET gives them (and
//    each name also as a CONFIG GET pattern). A refused value changes nothing and gets Redis's
//    error text; an accepted one changes that parameter only (and its alias), and setting the
//    value CONFIG GET then shows is accepted and changes nothing (what a client restoring a
//    config does); the encoding thresholds the engine reads always equal what CONFIG GET shows;
//    all the lines as one CONFIG SET apply all or nothing; a glob pattern's work stays within
//    its bound.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/glob.h"
#include "engine/engine.h"
#include "net/epoll/server_options.h"
#include "tests/unit/support/fake_runtime.h"

namespace {

using eddy::ServerOptions;

const std::string kSource = "fuzz.toml";

// A TOML basic string holding exactly `text`.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string as_toml(const ServerOptions& o) {
  std::string out;
  out += "bind = " + toml_string(o.bind) + "\n";
  out += "port = " + std::to_string(o.port) + "\n";
  if (o.workers != 0) out += "workers = " + std::to_string(o.workers) + "\n";
  if (o.shards != 0) out += "shards = " + std::to_string(o.shards) + "\n";
  out += "maxclients = " + std::to_string(o.maxclients) + "\n";
  out += "dir = " + toml_string(o.dir) + "\n";
  out += "aclfile = " + toml_string(o.aclfile) + "\n";
  out += "requirepass = " + toml_string(o.requirepass) + "\n";
  out += std::string("protected-mode = ") + (o.protected_mode ? "true" : "false") + "\n";
  out += std::string("pin-threads = \"") + (o.pin_threads ? "yes" : "no") + "\"\n";
  out += "unixsocket = " + toml_string(o.unixsocket) + "\n";
  char perm[8];
  std::snprintf(perm, sizeof perm, "%o", o.unixsocketperm);
  out += std::string("unixsocketperm = \"") + perm + "\"\n";
  for (const auto& [name, value] : o.config_settings) {
    out += toml_string(name) + " = " + toml_string(value) + "\n";
  }
  return out;
}

bool same(const ServerOptions& a, const ServerOptions& b) {
  return a.bind == b.bind && a.port == b.port && a.workers == b.workers && a.shards == b.shards &&
         a.maxclients == b.maxclients && a.dir == b.dir && a.aclfile == b.aclfile &&
         a.requirepass == b.requirepass && a.protected_mode == b.protected_mode &&
         a.pin_threads == b.pin_threads && a.unixsocket == b.unixsocket &&
         a.unixsocketperm == b.unixsocketperm && a.config_settings == b.config_settings;
}

void check_toml(std::string_view text) {
  ServerOptions options;
  std::string error;
  if (!eddy::load_server_config_text(text, kSource, &options, &error)) {
    ASSERT_MSG(error.starts_with(kSource + ": "), error);
    return;
  }
  ASSERT(error.empty());
  ASSERT(!options.bind.empty());
  ASSERT(options.bind.find(' ') == std::string::npos);
  ASSERT_GE(options.port, 1);
  ASSERT_LE(options.workers, 256u);
  ASSERT_LE(options.shards, 256u);
  ASSERT_GE(options.maxclients, 1u);
  ASSERT_LE(options.maxclients, eddy::limits::maxclients_max);

  ServerOptions again;
  const std::string written = as_toml(options);
  ASSERT_MSG(eddy::load_server_config_text(written, kSource, &again, &error),
             error + "\n" + written);
  ASSERT_MSG(same(options, again), written);
}

using Snapshot = std::vector<std::pair<std::string, std::string>>;

// The thresholds the engine reads equal what CONFIG GET shows.
void check_bound(eddy::Engine& engine) {
  const eddy::kv::EncodingLimits& limits = engine.encoding_limits();
  const std::pair<const char*, const std::atomic<std::int64_t>*> bound[] = {
      {"hash-max-listpack-entries", &limits.hash_max_listpack_entries},
      {"hash-max-listpack-value", &limits.hash_max_listpack_value},
      {"set-max-intset-entries", &limits.set_max_intset_entries},
      {"set-max-listpack-entries", &limits.set_max_listpack_entries},
      {"set-max-listpack-value", &limits.set_max_listpack_value},
      {"zset-max-listpack-entries", &limits.zset_max_listpack_entries},
      {"zset-max-listpack-value", &limits.zset_max_listpack_value},
      {"list-max-listpack-size", &limits.list_max_listpack_size},
      {"hll-sparse-max-bytes", &limits.hll_sparse_max_bytes},
  };
  for (const auto& [name, target] : bound) {
    const std::string shown = engine.config().get_one(name);
    ASSERT_MSG(std::to_string(target->load()) == shown, std::string(name) + " = " + shown);
  }
}

void check_config_set(eddy::Engine& engine, std::string_view name, std::string_view value) {
  eddy::ServerConfig& config = engine.config();
  const Snapshot before = config.get("*");
  std::string error;
  if (!config.set(name, value, &error)) {
    ASSERT_MSG(error.starts_with("ERR CONFIG SET failed (possibly related to argument '"), error);
    ASSERT(config.get("*") == before);
    return;
  }
  const Snapshot after = config.get("*");
  ASSERT_EQ(after.size(), before.size());
  const std::string shown = config.get_one(name);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    ASSERT(after[i].first == before[i].first);
    if (after[i].second == before[i].second) continue;
    ++changed;
    ASSERT_MSG(after[i].second == shown, after[i].first);  // the parameter or its alias
  }
  ASSERT_LE(changed, 2u);
  // Restoring what CONFIG GET shows is accepted and changes nothing.
  ASSERT_MSG(config.set(name, shown, &error), std::string(name) + " " + shown + ": " + error);
  ASSERT(config.get("*") == after);
}

void check_glob(std::string_view pattern, const Snapshot& parameters) {
  for (const auto& [name, value] : parameters) {
    const eddy::GlobTrace trace = eddy::glob_match_traced(pattern, name, true);
    ASSERT_EQ(trace.matched, eddy::glob_match(pattern, name, true));
    ASSERT_LE(trace.steps, (name.size() + 1) * (pattern.size() + 1));
  }
}

void check_config_lines(std::string_view text) {
  eddy::testing::FakeRuntime runtime;
  eddy::Engine engine(&runtime, eddy::EngineOptions{});
  std::vector<std::pair<std::string_view, std::string_view>> settings;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    const std::size_t space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    check_glob(name, engine.config().get("*"));
    check_config_set(engine, name, value);
    check_bound(engine);
    settings.emplace_back(name, value);
  }
  // All the lines as one CONFIG SET: every setting applies, or none does.
  const Snapshot before = engine.config().get("*");
  std::string error;
  if (!engine.config().set_all(settings, &error)) ASSERT(engine.config().get("*") == before);
  check_bound(engine);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_toml(text);
  check_config_lines(text);
  return 0;
}
