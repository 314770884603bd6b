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

enum class Denial : std::uint8_t { kNone, kCommand, kKey };

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
