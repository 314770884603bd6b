#include "net/epoll/server_options.h"

#include <toml++/toml.h>
#include <charconv>

#include "engine/config.h"
#include "engine/limits.h"

namespace eddy {

namespace {

template <typename T>
bool parse_number(const std::string& text, T min, T max, T* out) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  if (value < static_cast<long long>(min) || value > static_cast<long long>(max)) return false;
  *out = static_cast<T>(value);
  return true;
}

// The names CONFIG SET takes, from a configuration of defaults.
const ServerConfig& settable_parameters() {
  static const ServerConfig config;
  return config;
}

// One setting by name, from either source; false on a bad value or unknown name.
bool apply(const std::string& name, const std::string& value, ServerOptions* options,
           std::string* error) {
  auto bad = [&](const char* what) {
    *error = "invalid value for " + name + ": '" + value + "' (" + what + ")";
    return false;
  };
  if (name == "port") {
    if (!parse_number<std::uint16_t>(value, 1, 65535, &options->port)) return bad("1..65535");
  } else if (name == "bind") {
    // Redis accepts several addresses; eddy listens on the first.
    options->bind = value.substr(0, value.find(' '));
    if (options->bind.empty()) return bad("an address");
  } else if (name == "workers" || name == "io-threads") {
    if (!parse_number<std::uint32_t>(value, 1, 256, &options->workers)) return bad("1..256");
  } else if (name == "shards") {
    if (!parse_number<std::uint32_t>(value, 1, 256, &options->shards)) return bad("1..256");
  } else if (name == "maxclients") {
    if (!parse_number<std::size_t>(value, 1, limits::maxclients_max, &options->maxclients)) {
      return bad("1..1000000");
    }
  } else if (name == "dir") {
    options->dir = value;
  } else if (name == "aclfile") {
    options->aclfile = value;
  } else if (name == "unixsocket") {
    options->unixsocket = value;
  } else if (name == "unixsocketperm") {
    // Octal, as Redis reads it.
    unsigned perm = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), perm, 8);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || perm > 0777) {
      return bad("an octal mode 0..777");
    }
    options->unixsocketperm = perm;
  } else if (name == "appendonly") {
    if (value != "yes" && value != "no") return bad("yes or no");
    options->appendonly = value == "yes";
  } else if (name == "dbfilename") {
    if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..") {
      return bad("a file name without '/'");
    }
    options->dbfilename = value;
  } else if (name == "appendfilename" || name == "appenddirname") {
    // Redis's rule: a plain name, no directory in it.
    if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..") {
      return bad("a file name without '/'");
    }
    (name == "appendfilename" ? options->appendfilename : options->appenddirname) = value;
  } else if (name == "requirepass") {
    options->requirepass = value;
  } else if (name == "protected-mode") {
    if (value != "yes" && value != "no") return bad("yes or no");
    options->protected_mode = value == "yes";
  } else if (name == "pin-threads") {
    if (value != "yes" && value != "no") return bad("yes or no");
    options->pin_threads = value == "yes";
  } else if (settable_parameters().settable(name)) {
    // Any other parameter CONFIG SET takes (tcp-keepalive, client-output-buffer-limit,
    // hash-max-listpack-entries, ...): applied through CONFIG SET's own checks at start.
    options->config_settings.emplace_back(name, value);
  } else {
    *error = "unknown setting '" + name + "' (see --help)";
    return false;
  }
  return true;
}

// A parsed file's settings, each through apply(); `source` prefixes messages.
bool apply_table(const toml::table& table, const std::string& source, ServerOptions* options,
                 std::string* error) {
  for (const auto& [key, node] : table) {
    // By the node's own type: toml++'s value<std::int64_t>() also converts booleans (true to
    // 1), which made `protected-mode = false` read as "0" and fail.
    std::string value;
    if (node.is_string()) {
      value = *node.value<std::string>();
    } else if (node.is_integer()) {
      value = std::to_string(*node.value<std::int64_t>());
    } else if (node.is_boolean()) {
      value = *node.value<bool>() ? "yes" : "no";
    } else {
      *error = source + ": setting '" + std::string(key.str()) +
               "' must be a string, an integer or a boolean";
      return false;
    }
    if (!apply(std::string(key.str()), value, options, error)) {
      *error = source + ": " + *error;
      return false;
    }
  }
  return true;
}

}  // namespace

std::string server_usage() {
  return "Usage: eddy-server [config.toml] [options]\n"
         "\n"
         "A Redis-compatible key-value server. Settings come from defaults, then the TOML\n"
         "file (same names, e.g. port = 6380), then flags; a flag overrides the file.\n"
         "\n"
         "  --port N          TCP port to listen on (default 6379)\n"
         "  --bind ADDR       address to listen on (default 127.0.0.1)\n"
         "  --workers N       worker threads, one pinned per core (default: number of cores)\n"
         "  --shards N        keyspace shards (default: one per worker)\n"
         "  --maxclients N    most simultaneous clients (default 10000)\n"
         "  --dir PATH        data directory (default .)\n"
         "  --appendonly yes|no   the write-ahead log, replayed at start-up (default no)\n"
         "  --appendfsync always|everysec|no  when the log is synced (default everysec)\n"
         "  --appendfilename NAME  --appenddirname NAME  the log's files, under --dir\n"
         "  --dbfilename NAME the snapshot's manifest, under --dir (default dump.rdb)\n"
         "  --save \"SECONDS CHANGES ...\"  snapshot rules (default none)\n"
         "  --pin-threads yes|no  pin each worker to a core (default yes)\n"
         "  --requirepass PASS    password of the default user (default: none)\n"
         "  --protected-mode yes|no  without a password, refuse non-loopback clients\n"
         "                        (default yes)\n"
         "  --aclfile FILE    ACL users, loaded at start-up and by ACL LOAD, written by\n"
         "                    ACL SAVE (relative to --dir)\n"
         "  --unixsocket PATH     also listen on a unix socket (default: none)\n"
         "  --unixsocketperm MODE its permissions, octal (default: the umask's)\n"
         "  --tcp-keepalive SECONDS  TCP keepalive of new connections, 0 off (default 300)\n"
         "  --timeout SECONDS     close clients idle this long, 0 never (default 0)\n"
         "  --client-output-buffer-limit \"CLASS HARD SOFT SECONDS ...\"\n"
         "                    output buffer limits of normal, replica, pubsub clients\n"
         "                    (default \"normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60\")\n"
         "  --maxmemory-clients BYTES|N%  bound on all clients' buffers together (default 0)\n"
         "  --proto-max-bulk-len BYTES    longest bulk argument (default 512mb)\n"
         "  --client-query-buffer-limit BYTES  largest query buffer (default 1gb)\n"
         "  --NAME VALUE      any other parameter CONFIG SET takes (docs/config.md)\n"
         "  --config FILE     read settings from a TOML file; CONFIG REWRITE writes it back\n"
         "  --help            show this help\n"
         "  --version         show the version\n";
}

std::vector<std::string> config_file_only_keys() {
  return {"shards", "pin-threads"};
}

std::vector<std::pair<std::string, std::string>> config_file_aliases() {
  return {{"workers", "io-threads"}};
}

bool parse_server_options(const std::vector<std::string>& args, ServerOptions* options,
                          std::string* error) {
  // First pass: the config file, so that flags can override it whatever their order.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) options->config_file = args[i + 1];
    if (i == 0 && !args[i].empty() && args[i][0] != '-') options->config_file = args[i];
  }
  if (!options->config_file.empty() &&
      !load_server_config_file(options->config_file, options, error)) {
    return false;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (i == 0 && !arg.empty() && arg[0] != '-') continue;  // the config file
    if (arg == "--help" || arg == "-h") {
      options->show_help = true;
      continue;
    }
    if (arg == "--version" || arg == "-v") {
      options->show_version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + arg + "' (see --help)";
      return false;
    }
    std::string name = arg.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) {
        *error = "missing value for --" + name;
        return false;
      }
      value = args[++i];
    }
    if (name == "config") continue;
    if (!apply(name, value, options, error)) return false;
  }
  return true;
}

bool load_server_config_file(const std::string& path, ServerOptions* options, std::string* error) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = path + ": " + std::string(e.description());
    return false;
  }
  return apply_table(table, path, options, error);
}

bool load_server_config_text(std::string_view text, const std::string& source,
                             ServerOptions* options, std::string* error) {
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    *error = source + ": " + std::string(e.description());
    return false;
  }
  return apply_table(table, source, options, error);
}

}  // namespace eddy
