// The generic key family: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
// PERSIST EXPIRETIME PEXPIRETIME RENAME RENAMENX MOVE COPY TOUCH OBJECT MEMORY (and DUMP RESTORE,
// engine/cmd/dump_commands.cc), with Redis 7.0's semantics and errors.
// RENAME/RENAMENX here run when both keys are on this shard; engine/tx has the cross-shard
// versions, built on the same keyparts functions.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/shard.h"

namespace eddy {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

// ---------------------------------------------------------------------------------------------
// DEL UNLINK EXISTS TYPE.

void del_command(CommandContext& ctx) {
  std::size_t deleted = 0;
  keyparts::for_each_key_chunk(1, 1, ctx.args.size(), [&](std::span<const std::uint32_t> keys) {
    deleted += keyparts::del(ctx.db, ctx.args, keys, ctx.now_ms);
  });
  ctx.reply.integer(static_cast<std::int64_t>(deleted));
}

void exists_command(CommandContext& ctx) {
  std::size_t found = 0;
  keyparts::for_each_key_chunk(1, 1, ctx.args.size(), [&](std::span<const std::uint32_t> keys) {
    found += keyparts::count_existing(ctx.db, ctx.args, keys, ctx.now_ms);
  });
  // EXISTS reads each key as Redis's lookupKeyRead would.
  ShardStats& stats = ctx.shard.stats();
  stats.keyspace_hits += found;
  stats.keyspace_misses += (ctx.args.size() - 1) - found;
  ctx.reply.integer(static_cast<std::int64_t>(found));
}

void type_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  ctx.reply.simple(entry == nullptr ? std::string_view("none")
                                    : kv::type_name(entry->value.type()));
}

// ---------------------------------------------------------------------------------------------
// EXPIRE PEXPIRE EXPIREAT PEXPIREAT (Redis's expireGenericCommand).

enum ExpireCondition : std::uint32_t {
  kExpireNx = 1u << 0,
  kExpireXx = 1u << 1,
  kExpireGt = 1u << 2,
  kExpireLt = 1u << 3,
};

// Parses NX/XX/GT/LT from args[3..]. The first unknown word is reported by itself (as sent);
// the compatibility rules are checked only once every word is known.
bool parse_expire_conditions(Args args, std::uint32_t* conditions, ReplyBuilder& reply) {
  std::uint32_t flags = 0;
  for (std::size_t j = 3; j < args.size(); ++j) {
    const std::string_view option = args[j];
    if (equals_ignore_case(option, "nx")) {
      flags |= kExpireNx;
    } else if (equals_ignore_case(option, "xx")) {
      flags |= kExpireXx;
    } else if (equals_ignore_case(option, "gt")) {
      flags |= kExpireGt;
    } else if (equals_ignore_case(option, "lt")) {
      flags |= kExpireLt;
    } else {
      std::string message = "ERR Unsupported option ";
      message += option;
      reply.error(message);
      return false;
    }
  }
  if ((flags & kExpireNx) != 0 && (flags & (kExpireXx | kExpireGt | kExpireLt)) != 0) {
    reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((flags & kExpireGt) != 0 && (flags & kExpireLt) != 0) {
    reply.error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  *conditions = flags;
  return true;
}

void expire_generic(CommandContext& ctx, std::int64_t base_ms, bool seconds,
                    std::string_view command) {
  std::uint32_t conditions = 0;
  if (!parse_expire_conditions(ctx.args, &conditions, ctx.reply)) return;
  std::int64_t when;
  if (!parse_int64_arg(ctx.args[2], &when, ctx.reply)) return;
  // Negative amounts are allowed (the key then goes at once); only overflow of the unit
  // conversion or of the base addition is an error.
  bool invalid = false;
  if (seconds) {
    if (when > kInt64Max / 1000 || when < kInt64Min / 1000) {
      invalid = true;
    } else {
      when *= 1000;
    }
  }
  if (!invalid && when > kInt64Max - base_ms) invalid = true;
  if (invalid) {
    std::string message = "ERR invalid expire time in '";
    message += command;
    message += "' command";
    ctx.reply.error(message);
    return;
  }
  when += base_ms;

  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (conditions != 0) {
    const std::int64_t current = entry->expire_at_ms();  // 0: no TTL, i.e. infinite
    const bool has_ttl = current != 0;
    // NX: only without a TTL. XX: only with one. GT: a missing TTL counts as infinite, so
    // nothing is greater. LT: anything is less than a missing TTL.
    if (((conditions & kExpireNx) != 0 && has_ttl) || ((conditions & kExpireXx) != 0 && !has_ttl) ||
        ((conditions & kExpireGt) != 0 && (!has_ttl || when <= current)) ||
        ((conditions & kExpireLt) != 0 && has_ttl && when >= current)) {
      ctx.reply.integer(0);
      return;
    }
  }
  // The effect names the absolute deadline, or the deletion, so a replay at any clock agrees.
  if (when <= ctx.now_ms) {
    // A deadline already past deletes the key now (Redis's checkAlreadyExpired).
    ctx.db.erase(entry);
    ctx.writes.emit(ctx.db_index, {"DEL", ctx.args[1]});
  } else {
    entry = ctx.db.set_expire(entry, when);
    char at[kv::Value::kIntScratchBytes];
    ctx.writes.emit(ctx.db_index, {"PEXPIREAT", ctx.args[1], kv::Value::format_int(when, at)});
  }
  ctx.reply.integer(1);
}

void expire_command(CommandContext& ctx) {
  expire_generic(ctx, ctx.now_ms, true, "expire");
}
void pexpire_command(CommandContext& ctx) {
  expire_generic(ctx, ctx.now_ms, false, "pexpire");
}
void expireat_command(CommandContext& ctx) {
  expire_generic(ctx, 0, true, "expireat");
}
void pexpireat_command(CommandContext& ctx) {
  expire_generic(ctx, 0, false, "pexpireat");
}

// ---------------------------------------------------------------------------------------------
// TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.

void ttl_generic(CommandContext& ctx, bool milliseconds, bool absolute) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(-2);
    return;
  }
  if (entry->expire_at_ms() == 0) {
    ctx.reply.integer(-1);
    return;
  }
  std::int64_t ms = absolute ? entry->expire_at_ms() : entry->expire_at_ms() - ctx.now_ms;
  if (ms < 0) ms = 0;
  if (milliseconds) {
    ctx.reply.integer(ms);
  } else {
    // Rounded to the nearest second, as Redis's (ms + 500) / 1000, without overflowing near
    // INT64_MAX.
    ctx.reply.integer(ms / 1000 + (ms % 1000 + 500) / 1000);
  }
}

void ttl_command(CommandContext& ctx) {
  ttl_generic(ctx, false, false);
}
void pttl_command(CommandContext& ctx) {
  ttl_generic(ctx, true, false);
}
void expiretime_command(CommandContext& ctx) {
  ttl_generic(ctx, false, true);
}
void pexpiretime_command(CommandContext& ctx) {
  ttl_generic(ctx, true, true);
}

void persist_command(CommandContext& ctx) {
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr || entry->expire_at_ms() == 0) {
    ctx.reply.integer(0);
    return;
  }
  entry = ctx.db.set_expire(entry, 0);
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------------------------------------
// RENAME RENAMENX MOVE.

void rename_generic(CommandContext& ctx, bool only_if_absent) {
  const std::string_view source = ctx.args[1];
  const std::string_view target = ctx.args[2];
  // A missing source is an error even when renaming a key to itself.
  if (!keyparts::exists(ctx.db, source, ctx.now_ms)) {
    ctx.reply.error(errors::kNoSuchKey);
    return;
  }
  if (source == target) {
    if (only_if_absent) {
      ctx.reply.integer(0);
    } else {
      ctx.reply.ok();
    }
    return;
  }
  if (only_if_absent && keyparts::exists(ctx.db, target, ctx.now_ms)) {
    ctx.reply.integer(0);
    return;
  }
  std::optional<keyparts::MovedValue> moved = keyparts::take(ctx.db, source, ctx.now_ms);
  ASSERT(moved.has_value());
  // The TTL travels with the value; an existing target (and its TTL) is replaced.
  keyparts::put(ctx.db, target, std::move(*moved), ctx.now_ms);
  if (only_if_absent) {
    ctx.reply.integer(1);
  } else {
    ctx.reply.ok();
  }
}

void rename_command(CommandContext& ctx) {
  rename_generic(ctx, false);
}
void renamenx_command(CommandContext& ctx) {
  rename_generic(ctx, true);
}

void move_command(CommandContext& ctx) {
  std::int64_t target_index;
  if (!parse_int64_arg(ctx.args[2], &target_index, ctx.reply)) return;
  // Redis reads the index with getIntFromObjectOrReply, which has its own range message.
  if (target_index < std::numeric_limits<int>::min() ||
      target_index > std::numeric_limits<int>::max()) {
    ctx.reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  if (target_index < 0 || static_cast<std::size_t>(target_index) >= ctx.shard.db_count()) {
    ctx.reply.error(errors::kDbIndex);
    return;
  }
  if (target_index == ctx.db_index) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const std::string_view key = ctx.args[1];
  if (!keyparts::exists(ctx.db, key, ctx.now_ms)) {
    ctx.reply.integer(0);
    return;
  }
  Db& target = ctx.shard.db(static_cast<std::size_t>(target_index));
  if (keyparts::exists(target, key, ctx.now_ms)) {
    ctx.reply.integer(0);
    return;
  }
  std::optional<keyparts::MovedValue> moved = keyparts::take(ctx.db, key, ctx.now_ms);
  ASSERT(moved.has_value());
  keyparts::put(target, key, std::move(*moved), ctx.now_ms);
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------------------------------------
// COPY TOUCH OBJECT MEMORY.

void copy_command(CommandContext& ctx) {
  bool replace = false;
  int target_index = ctx.db_index;
  for (std::size_t j = 3; j < ctx.args.size(); ++j) {
    if (equals_ignore_case(ctx.args[j], "replace")) {
      replace = true;
    } else if (equals_ignore_case(ctx.args[j], "db") && j + 1 < ctx.args.size()) {
      std::int64_t index;
      if (!parse_int64_arg(ctx.args[j + 1], &index, ctx.reply)) return;
      if (index < std::numeric_limits<int>::min() || index > std::numeric_limits<int>::max()) {
        ctx.reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
        return;
      }
      if (index < 0 || static_cast<std::size_t>(index) >= ctx.shard.db_count()) {
        ctx.reply.error(errors::kDbIndex);
        return;
      }
      target_index = static_cast<int>(index);
      ++j;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  const std::string_view key = ctx.args[1];
  const std::string_view new_key = ctx.args[2];
  if (target_index == ctx.db_index && key == new_key) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const kv::Entry* source = lookup_read(ctx, key);
  if (source == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  Db& target = ctx.shard.db(static_cast<std::size_t>(target_index));
  if (target.find(new_key, ctx.now_ms) != nullptr && !replace) {
    ctx.reply.integer(0);
    return;
  }
  // put() replaces whatever the destination held; the copy keeps the source's TTL.
  target.put(new_key, source->value.clone(), source->expire_at_ms(), ctx.now_ms);
  ctx.reply.integer(1);
}

void touch_command(CommandContext& ctx) {
  std::size_t found = 0;
  for (std::size_t i = 1; i < ctx.args.size(); ++i) {
    if (lookup_read(ctx, ctx.args[i]) != nullptr) ++found;
  }
  ctx.reply.integer(static_cast<std::int64_t>(found));
}

void subcommand_syntax_error(CommandContext& ctx, std::string_view container) {
  std::string message = "ERR unknown subcommand or wrong number of arguments for '";
  message += ctx.args[1].substr(0, 128);
  message += "'. Try ";
  message += container;
  message += " HELP.";
  ctx.reply.error(message);
}

void reply_help(ReplyBuilder& reply, std::string_view container,
                std::initializer_list<std::string_view> lines) {
  reply.array(lines.size() + 3);
  reply.simple(std::string(container) +
               " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.simple(line);
  reply.simple("HELP");
  reply.simple("    Print this help.");
}

void object_command(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  if (ctx.args.size() == 2 && equals_ignore_case(sub, "help")) {
    reply_help(ctx.reply, "OBJECT",
               {"ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.", "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>."});
    return;
  }
  const bool known = equals_ignore_case(sub, "encoding") || equals_ignore_case(sub, "refcount") ||
                     equals_ignore_case(sub, "idletime") || equals_ignore_case(sub, "freq");
  if (!known || ctx.args.size() != 3) {
    subcommand_syntax_error(ctx, "OBJECT");
    return;
  }
  // Redis's OBJECT looks the key up without touching hit/miss counters.
  const kv::Entry* entry = ctx.db.find(ctx.args[2], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  if (equals_ignore_case(sub, "encoding")) {
    ctx.reply.bulk(kv::encoding_name(entry->value.encoding()));
  } else if (equals_ignore_case(sub, "refcount")) {
    // eddy never shares a value between keys.
    ctx.reply.integer(1);
  } else if (equals_ignore_case(sub, "freq")) {
    // True in eddy as in Redis under an LRU or no eviction policy: frequencies are not kept.
    ctx.reply.error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  } else {
    ctx.reply.error("ERR OBJECT IDLETIME is not supported: eddy does not track key access times");
  }
}

void memory_command(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  if (ctx.args.size() == 2 && equals_ignore_case(sub, "help")) {
    reply_help(ctx.reply, "MEMORY",
               {"USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all)."});
    return;
  }
  if (!equals_ignore_case(sub, "usage") || ctx.args.size() < 3) {
    subcommand_syntax_error(ctx, "MEMORY");
    return;
  }
  for (std::size_t j = 3; j < ctx.args.size(); ++j) {
    if (equals_ignore_case(ctx.args[j], "samples") && j + 1 < ctx.args.size()) {
      std::int64_t samples;
      if (!parse_int64_arg(ctx.args[j + 1], &samples, ctx.reply)) return;
      if (samples < 0) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
      ++j;  // eddy's sizes are exact, never sampled
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  const kv::Entry* entry = ctx.db.find(ctx.args[2], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  // The entry's slot (a pointer and its control byte), the entry, and what the key and value
  // hold on the heap: exact, where Redis samples nested values.
  const std::size_t bytes = sizeof(kv::Entry*) + 1 + kv::entry_bytes(*entry) +
                            entry->key.heap_bytes() + entry->value.memory_bytes();
  ctx.reply.integer(static_cast<std::int64_t>(bytes));
}

// ---------------------------------------------------------------------------------------------

CommandSpec key_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                     int last_key, int key_step, CommandHandler handler, std::string_view summary,
                     std::string_view since, std::string_view acl_categories) {
  return keyed_spec("generic", name, arity, flags, first_key, last_key, key_step, handler, summary,
                    since, acl_categories);
}

}  // namespace

void register_key_commands(CommandTable& table) {
  // As Redis 7.0's COMMAND INFO and COMMAND DOCS report them.
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  table.add(key_spec("del", -2, kCmdWrite, 1, -1, 1, del_command, "Delete a key", "1.0.0",
                     "@keyspace @write @slow"));
  table.add(key_spec("unlink", -2, kWriteFast, 1, -1, 1, del_command,
                     "Delete a key asynchronously in another thread. Otherwise it is just as "
                     "DEL, but non blocking.",
                     "4.0.0", "@keyspace @write @fast"));
  table.add(key_spec("exists", -2, kRoFast, 1, -1, 1, exists_command, "Determine if a key exists",
                     "1.0.0", "@keyspace @read @fast"));
  table.add(key_spec("type", 2, kRoFast, 1, 1, 1, type_command, "Determine the type stored at key",
                     "1.0.0", "@keyspace @read @fast"));
  table.add(key_spec("expire", -3, kWriteFast, 1, 1, 1, expire_command,
                     "Set a key's time to live in seconds", "1.0.0", "@keyspace @write @fast"));
  table.add(key_spec("pexpire", -3, kWriteFast, 1, 1, 1, pexpire_command,
                     "Set a key's time to live in milliseconds", "2.6.0",
                     "@keyspace @write @fast"));
  table.add(key_spec("expireat", -3, kWriteFast, 1, 1, 1, expireat_command,
                     "Set the expiration for a key as a UNIX timestamp", "1.2.0",
                     "@keyspace @write @fast"));
  table.add(key_spec("pexpireat", -3, kWriteFast, 1, 1, 1, pexpireat_command,
                     "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                     "2.6.0", "@keyspace @write @fast"));
  table.add(key_spec("ttl", 2, kRoFast, 1, 1, 1, ttl_command,
                     "Get the time to live for a key in seconds", "1.0.0",
                     "@keyspace @read @fast"));
  table.add(key_spec("pttl", 2, kRoFast, 1, 1, 1, pttl_command,
                     "Get the time to live for a key in milliseconds", "2.6.0",
                     "@keyspace @read @fast"));
  table.add(key_spec("persist", 2, kWriteFast, 1, 1, 1, persist_command,
                     "Remove the expiration from a key", "2.2.0", "@keyspace @write @fast"));
  table.add(key_spec("expiretime", 2, kRoFast, 1, 1, 1, expiretime_command,
                     "Get the expiration Unix timestamp for a key", "7.0.0",
                     "@keyspace @read @fast"));
  table.add(key_spec("pexpiretime", 2, kRoFast, 1, 1, 1, pexpiretime_command,
                     "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0",
                     "@keyspace @read @fast"));
  table.add(key_spec("rename", 3, kCmdWrite, 1, 2, 1, rename_command, "Rename a key", "1.0.0",
                     "@keyspace @write @slow"));
  table.add(key_spec("renamenx", 3, kWriteFast, 1, 2, 1, renamenx_command,
                     "Rename a key, only if the new key does not exist", "1.0.0",
                     "@keyspace @write @fast"));
  table.add(key_spec("move", 3, kWriteFast, 1, 1, 1, move_command, "Move a key to another database",
                     "1.0.0", "@keyspace @write @fast"));
  table.add(key_spec("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, copy_command, "Copy a key",
                     "6.2.0", "@keyspace @write @slow"));
  table.add(key_spec("touch", -2, kRoFast, 1, -1, 1, touch_command,
                     "Alters the last access time of a key(s). Returns the number of existing keys "
                     "specified.",
                     "3.2.1", "@keyspace @read @fast"));
  table.add(key_spec("object", -2, kCmdReadonly, 2, 2, 1, object_command,
                     "A container for object introspection commands", "2.2.3",
                     "@keyspace @read @slow"));
  table.add(key_spec("memory", -2, kCmdReadonly, 2, 2, 1, memory_command,
                     "A container for memory diagnostics commands", "4.0.0", "@read @slow"));
  register_dump_commands(table);
}

}  // namespace eddy
