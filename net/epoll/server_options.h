#pragma once
// eddy-server's settings: defaults, then a TOML file, then command-line flags (a flag
// overrides the file). Flag names follow Redis's where Redis has the setting.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6379;
  std::uint32_t workers = 0;  // 0: one per core
  std::uint32_t shards = 0;   // 0: one per worker
  std::size_t maxclients = 10000;
  std::string dir = ".";
  std::string config_file;
  bool pin_threads = true;
  std::string requirepass;      // the default user's password (Redis's requirepass)
  bool protected_mode = true;   // Redis's protected-mode
  std::string aclfile;          // ACL users to load at start-up (Redis's aclfile)
  std::string unixsocket;       // a unix socket to listen on besides TCP (Redis's unixsocket)
  unsigned unixsocketperm = 0;  // its permissions (octal in text; 0: the umask's)
  // The write-ahead log (docs/persistence.md): start-up only. appendfsync and the
  // aof-load-* parameters go through config_settings like other CONFIG SET parameters.
  bool appendonly = false;
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  // The snapshot's manifest under dir (Redis's dbfilename); start-up only.
  std::string dbfilename = "dump.rdb";
  // Parameters CONFIG SET can change too (tcp-keepalive, client-output-buffer-limit, ...), in
  // the order given: applied through CONFIG's own checks once the engine exists, so a bad
  // value stops the start with CONFIG's error.
  std::vector<std::pair<std::string, std::string>> config_settings;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv (without argv[0]). Returns false with a message in *error on bad input.
bool parse_server_options(const std::vector<std::string>& args, ServerOptions* options,
                          std::string* error);
// Applies a TOML file's settings; false with a message on a bad file or unknown key.
bool load_server_config_file(const std::string& path, ServerOptions* options, std::string* error);
// The same for TOML text already in memory; `source` names it in messages (the file's path).
bool load_server_config_text(std::string_view text, const std::string& source,
                             ServerOptions* options, std::string* error);
std::string server_usage();
// Keys of the config file that are not CONFIG parameters (CONFIG REWRITE keeps their lines),
// and keys that set a CONFIG parameter under another name: {key, parameter}.
std::vector<std::string> config_file_only_keys();
std::vector<std::pair<std::string, std::string>> config_file_aliases();

}  // namespace eddy
