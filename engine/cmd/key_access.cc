// What each key of a command needs of an ACL key pattern, from Redis 7.0's key specs: a key
// spec flagged ACCESS (the value is read or returned) needs read permission, one flagged
// INSERT, DELETE or UPDATE needs write permission. Commands whose keys all need what their
// flags imply (read for read-only, read and write for writes) are not listed.

#include <utility>

#include "engine/acl/user.h"
#include "engine/base/assert.h"
#include "engine/cmd/command.h"

namespace eddy {

namespace {

// Command, then one token per key in key_indexes order, the last one for every further key.
constexpr std::pair<std::string_view, std::string_view> kKeyAccess[] = {
    // Writes that never read the value they change.
    {"append", "W"},
    {"del", "W"},
    {"unlink", "W"},
    {"expire", "W"},
    {"expireat", "W"},
    {"pexpire", "W"},
    {"pexpireat", "W"},
    {"persist", "W"},
    {"set", "W"},
    {"setex", "W"},
    {"psetex", "W"},
    {"setnx", "W"},
    {"setrange", "W"},
    {"mset", "W"},
    {"msetnx", "W"},
    {"restore", "W"},
    {"hdel", "W"},
    {"hmset", "W"},
    {"hset", "W"},
    {"hsetnx", "W"},
    {"linsert", "W"},
    {"lpush", "W"},
    {"lpushx", "W"},
    {"rpush", "W"},
    {"rpushx", "W"},
    {"lrem", "W"},
    {"lset", "W"},
    {"ltrim", "W"},
    {"sadd", "W"},
    {"srem", "W"},
    {"zadd", "W"},
    {"zrem", "W"},
    {"zremrangebylex", "W"},
    {"zremrangebyrank", "W"},
    {"zremrangebyscore", "W"},
    {"pfadd", "W"},
    // A destination written from sources only read.
    {"bitop", "W R"},
    {"sdiffstore", "W R"},
    {"sinterstore", "W R"},
    {"sunionstore", "W R"},
    {"zdiffstore", "W R"},
    {"zinterstore", "W R"},
    {"zunionstore", "W R"},
    {"zrangestore", "W R"},
    {"pfmerge", "RW R"},
    {"copy", "R W"},
    {"sort", "R W"},
    // A source moved into a destination that is only written.
    {"blmove", "RW W"},
    {"brpoplpush", "RW W"},
    {"lmove", "RW W"},
    {"rpoplpush", "RW W"},
    {"smove", "RW W"},
    {"rename", "RW W"},
    {"renamenx", "RW W"},
    // Reads of metadata only: any pattern will do.
    {"exists", "-"},
    {"hexists", "-"},
    {"hlen", "-"},
    {"hstrlen", "-"},
    {"llen", "-"},
    {"scard", "-"},
    {"sismember", "-"},
    {"strlen", "-"},
    {"touch", "-"},
    {"type", "-"},
    {"zcard", "-"},
    {"object", "-"},
    {"memory", "-"},
    {"pfdebug", "R"},
};

std::uint8_t parse_token(std::string_view token) {
  if (token == "R") return acl::kKeyRead;
  if (token == "W") return acl::kKeyWrite;
  if (token == "RW") return acl::kKeyReadWrite;
  ASSERT_MSG(token == "-", std::string(token));
  return 0;
}

}  // namespace

void register_key_access(CommandTable& table) {
  for (const auto& [name, access] : kKeyAccess) {
    CommandSpec* spec = table.find_mutable(name);
    if (spec == nullptr) continue;  // a command eddy does not have yet
    spec->key_access = access;
  }
}

std::uint8_t key_permission_needed(const CommandSpec& spec, Args args, std::size_t nth) {
  if (spec.key_access.empty()) {
    return (spec.flags & kCmdReadonly) != 0 ? acl::kKeyRead : acl::kKeyReadWrite;
  }
  // SET ... GET also returns the old value (Redis's variable key-spec flags for SET).
  if (spec.name == "set") {
    for (std::size_t i = 3; i < args.size(); ++i) {
      if (equals_ignore_case(args[i], "get")) return acl::kKeyReadWrite;
    }
  }
  std::string_view tokens = spec.key_access;
  for (;;) {
    const std::size_t space = tokens.find(' ');
    if (space == std::string_view::npos || nth == 0) {
      return parse_token(tokens.substr(0, space));
    }
    tokens.remove_prefix(space + 1);
    --nth;
  }
}

}  // namespace eddy
