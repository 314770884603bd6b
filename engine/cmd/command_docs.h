#pragma once
// COMMAND DOCS argument trees. redis-cli builds its hints and `help` text from the "arguments"
// of COMMAND DOCS, so each command's syntax (in the notation of Redis's documentation, e.g.
// "key value [NX|XX] [GET]") is turned into Redis's argument maps: name, type, token, flags
// (optional, multiple) and nested arguments for one-of choices and blocks.

#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/reply_builder.h"

namespace eddy {

struct DocArgument {
  std::string name;
  std::string type;   // key string integer double pattern unix-time pure-token oneof block
  std::string token;  // the keyword before the value, if any
  bool optional = false;
  bool multiple = false;
  bool multiple_token = false;         // each repeat takes the token again ("[GET p [GET p ...]]")
  std::vector<DocArgument> arguments;  // oneof / block
};

// Parses a syntax line; an empty line gives no arguments.
std::vector<DocArgument> parse_command_syntax(std::string_view syntax);
// The syntax line of a command (lower-case name), or "" when none is recorded.
std::string_view command_syntax(std::string_view name);
// A spec's syntax: its own, or the one recorded here.
struct CommandSpec;
std::string_view syntax_of(const CommandSpec& spec);
// Every command whose syntax is recorded.
std::vector<std::string_view> commands_with_syntax();
// Writes the arguments as COMMAND DOCS does.
void write_doc_arguments(ReplyBuilder& reply, const std::vector<DocArgument>& arguments);
// Renders arguments back to the documentation notation (what redis-cli shows as a hint).
std::string render_syntax(const std::vector<DocArgument>& arguments);

}  // namespace eddy
