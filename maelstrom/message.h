#pragma once
// One Maelstrom message: `{"src": ..., "dest": ..., "body": {...}}` on one line. Parsing is
// strict about the envelope (src and dest strings, body an object with a string `type`) and
// ignores Maelstrom's own top-level `id`; encoding emits exactly src, dest and body, as the
// protocol requires of a node.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace eddy::maelstrom {

using Json = nlohmann::json;

struct Message {
  std::string src;
  std::string dest;
  Json body;

  std::string_view type() const;
  // The request's msg_id, when it has an integer one.
  std::optional<std::int64_t> msg_id() const;
  std::optional<std::int64_t> in_reply_to() const;
};

// Parses one line (without its newline); nullopt with `error` set when it is not a message.
std::optional<Message> parse_message(std::string_view line, std::string* error);

// The line for a message (without its newline).
std::string encode_message(std::string_view src, std::string_view dest, const Json& body);

// Maelstrom's error codes (maelstrom-protocol.md §4). Definite codes promise that the operation
// never took and never will take effect.
enum class ErrorCode : int {
  kTimeout = 0,
  kNodeNotFound = 1,
  kNotSupported = 10,
  kTemporarilyUnavailable = 11,
  kMalformedRequest = 12,
  kCrash = 13,
  kAbort = 14,
  kKeyDoesNotExist = 20,
  kKeyAlreadyExists = 21,
  kPreconditionFailed = 22,
  kTxnConflict = 30,
};

// True for the codes that promise the operation did not and never will take effect; unknown
// codes (1000+ are a node's own) are indefinite.
bool is_definite_error(std::int64_t code);

// The body of an error reply to `request_msg_id`.
Json error_body(std::int64_t request_msg_id, ErrorCode code, std::string_view text);

}  // namespace eddy::maelstrom
