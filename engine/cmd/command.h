#pragma once
// The command table: what each command is (name, arity, flags, key positions) and the handler
// that runs it on one shard. Handlers know nothing of sockets, threads or sessions: they get a
// shard's database, the arguments and a ReplyBuilder, and run to completion.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/reply_builder.h"

namespace eddy {

class Shard;
class Db;
class WritePath;

using Args = std::span<const std::string_view>;  // args[0] is the command name as sent

// How a blocking command (BLPOP, BZPOPMIN, BLMOVE ...) is being run. Without one (inside
// MULTI, on replay, on a clone) it never blocks: finding nothing, it answers as a timeout would.
struct BlockingRequest {
  // kFirstCall: as the client sent it (a key of the wrong type is WRONGTYPE). kServe: a key it
  // waits on changed; keys of the wrong type are passed over and it keeps waiting.
  enum class Mode : std::uint8_t { kFirstCall, kServe };
  Mode mode = Mode::kFirstCall;
  bool would_block = false;     // out: nothing to pop; no reply was written
  std::int64_t timeout_ms = 0;  // out (first call): 0 waits forever, else relative ms
};

struct CommandContext {
  Shard& shard;
  Db& db;
  int db_index;
  Args args;
  ReplyBuilder& reply;
  std::int64_t now_ms;  // wall-clock ms, read once per batch (Redis caches it per command too)
  WritePath& writes;    // the shard's write path: explicit effects go here (emit)
  BlockingRequest* blocking = nullptr;  // blocking commands only; see BlockingRequest
};

// For blocking commands: parses the timeout (seconds, a float) with Redis's errors into
// `*timeout_ms` (0: wait forever). False after writing the error.
bool parse_blocking_timeout(std::string_view text, std::int64_t* timeout_ms, ReplyBuilder& reply);
// The same inside a blocking command's handler: records the timeout in ctx.blocking.
bool take_blocking_timeout(CommandContext& ctx, std::string_view text);
// A blocking command found nothing: blocks when it may, else answers `on_timeout`'s reply.
template <typename OnTimeout>
void block_or_reply(CommandContext& ctx, OnTimeout&& on_timeout) {
  if (ctx.blocking != nullptr) {
    ctx.blocking->would_block = true;
  } else {
    on_timeout();
  }
}
// Whether a key of the wrong type makes the command fail (a first call) or is passed over
// (serving a blocked client, as Redis 7.0 leaves it blocked).
inline bool skips_wrong_type(const CommandContext& ctx) {
  return ctx.blocking != nullptr && ctx.blocking->mode == BlockingRequest::Mode::kServe;
}

using CommandHandler = void (*)(CommandContext&);

// Commands that run in the session's fiber rather than on one shard: session-level ones
// (PING, HELLO, CLIENT ...), fan-outs (DBSIZE, KEYS, INFO ...) and multi-key commands whose
// keys live on several shards. They may suspend. See engine/session_context.h.
struct SessionContext;
using SessionHandler = void (*)(SessionContext&);

// Flags, as COMMAND INFO reports them.
enum CommandFlag : std::uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdLoading = 1u << 6,
  kCmdStale = 1u << 7,
  kCmdSkipMonitor = 1u << 8,
  kCmdFast = 1u << 9,
  kCmdNoAuth = 1u << 10,
  kCmdMayReplicate = 1u << 11,
  kCmdSentinel = 1u << 12,
  kCmdOnlySentinel = 1u << 13,
  kCmdNoMandatoryKeys = 1u << 14,
  kCmdAllowBusy = 1u << 15,
  kCmdBlocking = 1u << 16,  // may block the client (BLPOP ...): COMMAND INFO says "blocking"
};

// Where a command runs.
enum class CommandRoute : std::uint8_t {
  kKeys,       // on the shard(s) owning its keys; multi-shard key sets go through engine/tx
  kSession,    // by the session itself, no shard (PING, ECHO, HELLO, SELECT, CLIENT, ...)
  kAllShards,  // fans out to every shard (DBSIZE, FLUSHALL, KEYS, SCAN, RANDOMKEY, ...)
};

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // Redis convention: N exact, -N at least N (name included)
  std::uint32_t flags;
  int first_key;  // 0 when the command has no keys
  int last_key;   // -1: the last argument; -2: the one before it
  int key_step;
  CommandRoute route;
  CommandHandler handler;           // kKeys: runs when all keys are on one shard; else nullptr
  std::string_view group;           // COMMAND DOCS group: "string", "generic", "server", ...
  std::string_view summary;         // COMMAND DOCS summary
  std::string_view since;           // first Redis version with the command
  std::string_view acl_categories;  // space separated, e.g. "@write @string @slow"
  std::uint32_t id = 0;             // index in the table, set at registration
  // acl_categories as bits (engine/acl/categories.h), with the categories Redis implies from
  // the flags (@write for kCmdWrite, @slow when not @fast ...); set at registration. ACL
  // rules and COMMAND INFO both read this one field.
  std::uint32_t acl_category_bits = 0;
  // What each key argument needs of an ACL key pattern (%R~, %W~), as Redis 7.0's key specs
  // say: space-separated tokens "R", "W", "RW" or "-" (none, as for EXISTS or TYPE), the
  // first for the first key, the next for the next, the last for all the rest. Empty: "R" for
  // a read-only command, "RW" otherwise. See engine/cmd/key_access.cc.
  std::string_view key_access;
  // kSession / kAllShards: the handler. kKeys: the cross-shard version (engine/tx), or
  // nullptr when the command cannot span shards (then such a call gets a CROSSSLOT error).
  SessionHandler session_handler = nullptr;
  // Keys that follow a count (Redis's "keynum" key spec): when numkeys_index > 0,
  // args[numkeys_index] is how many keys follow it (ZUNIONSTORE dst numkeys k..., LMPOP
  // numkeys k..., SINTERCARD numkeys k...). Range keys (first_key..last_key) come first.
  int numkeys_index = 0;
  // COMMAND DOCS argument syntax in the notation of Redis's documentation ("key field value
  // [field value ...]"); redis-cli builds its hints from it. Families set it with their specs;
  // empty means engine/cmd/command_docs.cc has it.
  std::string_view syntax;
  // Layouts neither form expresses (SORT ... STORE dst): appends the key indexes itself.
  void (*keys_fn)(Args args, std::vector<std::uint32_t>& out) = nullptr;
  // Calls that read keys named only by the values they read (SORT's BY and GET patterns): true
  // when this call does. With several shards such a call runs through session_handler even
  // when its key arguments share a shard, since the keys its values name may live anywhere.
  bool (*reads_keys_named_by_values)(Args args) = nullptr;

  bool is_write() const { return (flags & kCmdWrite) != 0; }
  bool arity_ok(std::size_t argc) const {
    return arity >= 0 ? argc == static_cast<std::size_t>(arity)
                      : argc >= static_cast<std::size_t>(-arity);
  }
};

// A kKeys command's spec (the fields every family fills the same way).
CommandSpec keyed_spec(std::string_view group, std::string_view name, int arity,
                       std::uint32_t flags, int first_key, int last_key, int key_step,
                       CommandHandler handler, std::string_view summary, std::string_view since,
                       std::string_view acl_categories);

// A NUL-terminated copy of an argument for the C number parsers (arguments are views into the
// request buffer): on the stack when short, on the heap otherwise.
class TerminatedCopy {
 public:
  explicit TerminatedCopy(std::string_view text);
  const char* c_str() const { return heap_.empty() ? stack_ : heap_.c_str(); }

 private:
  static constexpr std::size_t kStackBytes = 128;
  char stack_[kStackBytes];
  std::string heap_;
};

// Appends the indexes of the key arguments of `args` to `out`: the range (first/last/step),
// then the keys after a count (numkeys_index), then keys_fn's. A count that is not a positive
// number within the arguments yields no keys from it (the handler answers the error).
void key_indexes(const CommandSpec& spec, Args args, std::vector<std::uint32_t>& out);
// True when the spec names any keys (COMMAND GETKEYS).
inline bool has_keys(const CommandSpec& spec) {
  return spec.first_key > 0 || spec.numkeys_index > 0 || spec.keys_fn != nullptr;
}

class CommandTable {
 public:
  CommandTable();
  // Case-insensitive lookup; nullptr for an unknown command. No allocation.
  const CommandSpec* find(std::string_view name) const;
  const std::vector<CommandSpec>& all() const { return specs_; }
  void add(CommandSpec spec);
  CommandSpec* find_mutable(std::string_view name);

 private:
  std::vector<CommandSpec> specs_;
  std::vector<std::int32_t> index_;  // open addressing over name hashes -> spec index
  std::size_t mask_ = 0;
  void rebuild_index();
  void index_insert(std::size_t spec_index);
};

// Each command family registers its commands (one file per family).
void register_string_commands(CommandTable& table);
void register_lcs_command(CommandTable& table);  // engine/cmd/lcs_command.cc (string group)
void register_key_commands(CommandTable& table);
void register_dump_commands(CommandTable& table);  // engine/cmd/dump_commands.cc (generic group)
void register_server_commands(CommandTable& table);
void register_persistence_commands(CommandTable& table);  // SAVE BGSAVE LASTSAVE
void register_hash_commands(CommandTable& table);
void register_list_commands(CommandTable& table);
void register_set_commands(CommandTable& table);
void register_zset_commands(CommandTable& table);
void register_bitmap_commands(CommandTable& table);
void register_hyperloglog_commands(CommandTable& table);
void register_scripting_commands(CommandTable& table);
void register_transaction_commands(CommandTable& table);  // engine/tx/multi_exec.cc
void register_sort_commands(CommandTable& table);  // engine/cmd/sort_command.cc (generic group)
void register_acl_commands(CommandTable& table);   // engine/acl/acl_commands.cc (AUTH, ACL)
// Sets CommandSpec::key_access where a command's keys need other than its flags imply
// (engine/cmd/key_access.cc); runs after every family registered.
void register_key_access(CommandTable& table);
// The ACL permission (engine/acl/user.h's kKeyRead/kKeyWrite bits; 0: none) that key number
// `nth` (0-based, in key_indexes order) of this call needs.
std::uint8_t key_permission_needed(const CommandSpec& spec, Args args, std::size_t nth);

// Shared argument parsing with Redis's exact error replies. Each returns false after
// writing the error reply.
bool parse_int64_arg(std::string_view text, std::int64_t* out, ReplyBuilder& reply);
bool parse_double_arg(std::string_view text, double* out, ReplyBuilder& reply);
bool equals_ignore_case(std::string_view a, std::string_view b);

// Redis's error texts, in one place so every path says the same thing.
namespace errors {
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
}  // namespace errors

}  // namespace eddy
