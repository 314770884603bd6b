#pragma once
// Whether a user may run one call: the command (or its first argument, for "+cmd|arg"
// rules), then each key the command's key specs name (the positions COMMAND GETKEYS gives)
// against the user's patterns, with the read/write permission the key needs.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/acl/user.h"
#include "engine/cmd/command.h"

namespace eddy {
class Engine;
struct ClientState;
}  // namespace eddy

namespace eddy::acl {

// kSortPattern: SORT's BY (with a '*') or GET patterns name keys the key rules cannot check
// before the sort runs, so, as Redis, only a user with access to every key may use them;
// arg_index is the option's argument ("BY" or "GET"). Not a NOPERM: Redis answers it as the
// command's own error, sort_pattern_error() below.
enum class Denial : std::uint8_t { kNone, kCommand, kKey, kSortPattern };

// Redis's wording for kSortPattern, by the option named.
inline std::string_view sort_pattern_error(std::string_view option) {
  return option.size() == 2  // "BY", in any case; else "GET"
             ? "ERR BY option of SORT denied due to insufficient ACL permissions."
             : "ERR GET option of SORT denied due to insufficient ACL permissions.";
}

struct CheckResult {
  Denial denial = Denial::kNone;
  std::uint32_t arg_index = 0;  // kKey: the denied key's argument
};

// `scratch` is the caller's reusable buffer for key positions (no allocation once warm).
CheckResult check_call(const User& user, const CommandSpec& spec, Args args,
                       std::vector<std::uint32_t>& scratch);

// Whether Redis 7.0 splits the command into subcommands (CONFIG, CLIENT, ACL ...).
bool is_container_command(std::string_view name);
// Whether `sub` is one of a container command's subcommands (case-insensitive).
bool is_subcommand(std::string_view container, std::string_view sub);

// Records a denial for ACL LOG (reason "command" or "key", in `context`: "toplevel", "multi").
void log_denial(Engine& engine, const ClientState& client, const CommandSpec& spec, Args args,
                const CheckResult& result, std::string_view context);

// The name Redis reports for a call: "get", or "config|get" for a container's subcommand.
std::string full_command_name(const CommandSpec& spec, Args args);

}  // namespace eddy::acl
