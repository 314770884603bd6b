// The string family: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
// INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE, with Redis 7.0's semantics, error
// texts and error precedence (which check fails first when several would).

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/cmd/long_double_text.h"
#include "engine/db.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

bool is_string(const kv::Entry& entry) {
  return entry.value.is_string();
}

// Read commands count keyspace hits/misses (Redis's lookupKeyRead); writers (INCR, APPEND,
// SETNX, ...) look keys up with plain Db::find, as Redis's lookupKeyWrite does.
const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

void reply_wrong_arity(ReplyBuilder& reply, std::string_view command) {
  std::string message = "ERR wrong number of arguments for '";
  message += command;
  message += "' command";
  reply.error(message);
}

void reply_invalid_expire(ReplyBuilder& reply, std::string_view command) {
  std::string message = "ERR invalid expire time in '";
  message += command;
  message += "' command";
  reply.error(message);
}

// Redis's checkStringLength: a string may not grow past proto-max-bulk-len. Unsigned
// arithmetic: `size` can be any non-negative int64 offset (SETRANGE), so the sum must not wrap.
bool check_string_length(std::uint64_t size, std::uint64_t append, ReplyBuilder& reply) {
  if (size + append > static_cast<std::uint64_t>(limits::bulk_bytes_max)) {
    reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// SET / GETEX options (Redis's parseExtendedStringArgumentsOrReply).

enum ExtendedFlag : std::uint32_t {
  kFlagNx = 1u << 0,
  kFlagXx = 1u << 1,
  kFlagGet = 1u << 2,
  kFlagKeepTtl = 1u << 3,
  kFlagPersist = 1u << 4,
  kFlagEx = 1u << 5,
  kFlagPx = 1u << 6,
  kFlagExAt = 1u << 7,
  kFlagPxAt = 1u << 8,
};
constexpr std::uint32_t kExpireFlags = kFlagEx | kFlagPx | kFlagExAt | kFlagPxAt;
// Options that say what happens to the TTL: at most one kind may appear (the same expiry
// option repeated is allowed, the last value wins).
constexpr std::uint32_t kTtlFlags = kExpireFlags | kFlagKeepTtl | kFlagPersist;

enum class OptionsOf { kSet, kGetex };

struct ExtendedOptions {
  std::uint32_t flags = 0;
  std::string_view expire_arg;  // the number after EX/PX/EXAT/PXAT, when one of them is set
};

// Parses args[from..]; on a bad or conflicting option replies "ERR syntax error".
bool parse_extended_options(Args args, std::size_t from, OptionsOf of, ExtendedOptions* options,
                            ReplyBuilder& reply) {
  std::uint32_t& flags = options->flags;
  const bool set = of == OptionsOf::kSet;
  for (std::size_t j = from; j < args.size(); ++j) {
    const std::string_view option = args[j];
    const bool has_next = j + 1 < args.size();
    std::uint32_t expire_flag = 0;
    if (set && equals_ignore_case(option, "nx") && (flags & kFlagXx) == 0) {
      flags |= kFlagNx;
    } else if (set && equals_ignore_case(option, "xx") && (flags & kFlagNx) == 0) {
      flags |= kFlagXx;
    } else if (set && equals_ignore_case(option, "get")) {
      flags |= kFlagGet;
    } else if (set && equals_ignore_case(option, "keepttl") &&
               (flags & (kTtlFlags & ~kFlagKeepTtl)) == 0) {
      flags |= kFlagKeepTtl;
    } else if (!set && equals_ignore_case(option, "persist") &&
               (flags & (kTtlFlags & ~kFlagPersist)) == 0) {
      flags |= kFlagPersist;
    } else if (equals_ignore_case(option, "ex")) {
      expire_flag = kFlagEx;
    } else if (equals_ignore_case(option, "px")) {
      expire_flag = kFlagPx;
    } else if (equals_ignore_case(option, "exat")) {
      expire_flag = kFlagExAt;
    } else if (equals_ignore_case(option, "pxat")) {
      expire_flag = kFlagPxAt;
    } else {
      reply.error(errors::kSyntax);
      return false;
    }
    if (expire_flag != 0) {
      if ((flags & (kTtlFlags & ~expire_flag)) != 0 || !has_next) {
        reply.error(errors::kSyntax);
        return false;
      }
      flags |= expire_flag;
      options->expire_arg = args[++j];
    }
  }
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute deadline (unix ms) an EX/PX/EXAT/PXAT
// argument asks for. Zero or negative amounts and anything that overflows int64 are "invalid
// expire time"; a non-number is "not an integer".
bool expire_deadline(std::string_view text, std::uint32_t flags, std::int64_t now_ms,
                     std::string_view command, std::int64_t* at_ms, ReplyBuilder& reply) {
  std::int64_t amount;
  if (!parse_int64_arg(text, &amount, reply)) return false;
  const bool seconds = (flags & (kFlagEx | kFlagExAt)) != 0;
  if (amount <= 0 || (seconds && amount > kInt64Max / 1000)) {
    reply_invalid_expire(reply, command);
    return false;
  }
  if (seconds) amount *= 1000;
  if ((flags & (kFlagEx | kFlagPx)) != 0) {
    // Redis detects the overflow after the fact (the sum wraps negative); same verdict.
    if (amount > kInt64Max - now_ms) {
      reply_invalid_expire(reply, command);
      return false;
    }
    amount += now_ms;
  }
  *at_ms = amount;
  return true;
}

// ---------------------------------------------------------------------------------------------
// GET / SET and variants.

void reply_value(ReplyBuilder& reply, const kv::Entry& entry) {
  char scratch[kv::Value::kIntScratchBytes];
  reply.bulk(entry.value.view(scratch));
}

// The string at key for a read, or nullptr after answering: nil when absent, WRONGTYPE when
// it holds another type.
const kv::Entry* read_string_or_reply(CommandContext& ctx, std::string_view key) {
  const kv::Entry* entry = lookup_read(ctx, key);
  if (entry == nullptr) {
    ctx.reply.null();
    return nullptr;
  }
  if (!is_string(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return nullptr;
  }
  return entry;
}

void get_command(CommandContext& ctx) {
  const kv::Entry* entry = read_string_or_reply(ctx, ctx.args[1]);
  if (entry == nullptr) return;
  // Straight from the entry into the output bytes: the only copy is the reply itself.
  reply_value(ctx.reply, *entry);
}

// How a SET-like command answers when it sets the key, and when NX/XX stop it.
enum class SetReplies { kOkOrNull, kOneOrZero };

// Redis's setGenericCommand. `expire_arg` is meaningful when `flags` has an expiry option.
// Inlined into each caller, where `flags` and `replies` are constants that prune it (as a
// call it cost SET ~30 instructions of argument passing, callgrind).
[[gnu::always_inline]] inline void set_generic(CommandContext& ctx, std::uint32_t flags,
                                               std::string_view key, std::string_view value,
                                               std::string_view expire_arg,
                                               std::string_view command, SetReplies replies) {
  std::int64_t deadline = 0;
  if ((flags & kExpireFlags) != 0 &&
      !expire_deadline(expire_arg, flags, ctx.now_ms, command, &deadline, ctx.reply)) {
    return;
  }

  const kv::Entry* entry = nullptr;
  if ((flags & (kFlagNx | kFlagXx | kFlagGet)) == 0) {
    // The common SET: one hash lookup, and an existing value's buffer is reused.
    entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  } else {
    if ((flags & kFlagGet) != 0) {
      entry = lookup_read(ctx, key);
      if (entry != nullptr && !is_string(*entry)) {
        ctx.reply.error(errors::kWrongType);
        return;
      }
      // The old value goes out before it is overwritten.
      if (entry == nullptr) {
        ctx.reply.null();
      } else {
        reply_value(ctx.reply, *entry);
      }
    } else {
      entry = ctx.db.find(key, ctx.now_ms);
    }
    const bool found = entry != nullptr;
    if (((flags & kFlagNx) != 0 && found) || ((flags & kFlagXx) != 0 && !found)) {
      if ((flags & kFlagGet) == 0) {
        if (replies == SetReplies::kOneOrZero) {
          ctx.reply.integer(0);
        } else {
          ctx.reply.null();
        }
      }
      return;
    }
    if (!found) entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  }

  ctx.db.update(entry, [&](kv::Value& v) { v.set_string(value); });
  if ((flags & kFlagKeepTtl) == 0) entry = ctx.db.set_expire(entry, deadline);
  // The effect: a plain SET with the absolute deadline (SET EX 10 -> SET PXAT t), as Redis
  // propagates it; replies and NX/XX/GET do not matter to a replica.
  if (ctx.writes.recording()) {
    if (deadline != 0) {
      char at[kv::Value::kIntScratchBytes];
      ctx.writes.emit(ctx.db_index,
                      {"SET", key, value, "PXAT", kv::Value::format_int(deadline, at)});
    } else if ((flags & kFlagKeepTtl) != 0) {
      ctx.writes.emit(ctx.db_index, {"SET", key, value, "KEEPTTL"});
    } else {
      ctx.writes.emit(ctx.db_index, {"SET", key, value});
    }
  }
  if ((flags & kFlagGet) == 0) {
    if (replies == SetReplies::kOneOrZero) {
      ctx.reply.integer(1);
    } else {
      ctx.reply.ok();
    }
  }
}

void set_command(CommandContext& ctx) {
  ExtendedOptions options;
  // SET key value, the common case, has no options to parse.
  if (ctx.args.size() > 3 &&
      !parse_extended_options(ctx.args, 3, OptionsOf::kSet, &options, ctx.reply)) {
    return;
  }
  set_generic(ctx, options.flags, ctx.args[1], ctx.args[2], options.expire_arg, "set",
              SetReplies::kOkOrNull);
}

void setnx_command(CommandContext& ctx) {
  set_generic(ctx, kFlagNx, ctx.args[1], ctx.args[2], {}, "setnx", SetReplies::kOneOrZero);
}

void setex_command(CommandContext& ctx) {
  set_generic(ctx, kFlagEx, ctx.args[1], ctx.args[3], ctx.args[2], "setex", SetReplies::kOkOrNull);
}

void psetex_command(CommandContext& ctx) {
  set_generic(ctx, kFlagPx, ctx.args[1], ctx.args[3], ctx.args[2], "psetex", SetReplies::kOkOrNull);
}

void getset_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.null();
    entry = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms).first;
  } else {
    if (!is_string(*entry)) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    reply_value(ctx.reply, *entry);
  }
  ctx.db.update(entry, [&](kv::Value& v) { v.set_string(ctx.args[2]); });
  // GETSET is a plain SET: the old TTL goes.
  entry = ctx.db.set_expire(entry, 0);
  ctx.writes.emit(ctx.db_index, {"SET", ctx.args[1], ctx.args[2]});
}

void getdel_command(CommandContext& ctx) {
  const kv::Entry* entry = read_string_or_reply(ctx, ctx.args[1]);
  if (entry == nullptr) return;
  reply_value(ctx.reply, *entry);
  ctx.db.erase(entry);
  ctx.writes.emit(ctx.db_index, {"DEL", ctx.args[1]});
}

void getex_command(CommandContext& ctx) {
  ExtendedOptions options;
  if (!parse_extended_options(ctx.args, 2, OptionsOf::kGetex, &options, ctx.reply)) return;
  // Redis looks the key up before validating the expire amount: a missing key answers nil
  // even when the amount is bad.
  const kv::Entry* entry = read_string_or_reply(ctx, ctx.args[1]);
  if (entry == nullptr) return;
  std::int64_t deadline = 0;
  const bool expire = (options.flags & kExpireFlags) != 0;
  if (expire && !expire_deadline(options.expire_arg, options.flags, ctx.now_ms, "getex", &deadline,
                                 ctx.reply)) {
    return;
  }
  reply_value(ctx.reply, *entry);
  const std::string_view key = ctx.args[1];
  if (expire && deadline <= ctx.now_ms) {
    // Only EXAT/PXAT can name a moment already past; the key goes now, as Redis does.
    ctx.db.erase(entry);
    ctx.writes.emit(ctx.db_index, {"DEL", key});
  } else if (expire) {
    entry = ctx.db.set_expire(entry, deadline);
    char at[kv::Value::kIntScratchBytes];
    ctx.writes.emit(ctx.db_index, {"PEXPIREAT", key, kv::Value::format_int(deadline, at)});
  } else if ((options.flags & kFlagPersist) != 0 && entry->expire_at_ms() != 0) {
    entry = ctx.db.set_expire(entry, 0);
    ctx.writes.emit(ctx.db_index, {"PERSIST", key});
  } else {
    ctx.writes.suppress_verbatim();
  }
}

// ---------------------------------------------------------------------------------------------
// Multi-key: MGET MSET MSETNX.

void mget_command(CommandContext& ctx) {
  // Not through keyparts::mget, which copies values for the cross-shard path: here the values
  // go straight from the entries into the reply.
  const std::size_t argc = ctx.args.size();
  ctx.reply.array(argc - 1);
  for (std::size_t i = 1; i < argc; ++i) {
    const kv::Entry* entry = lookup_read(ctx, ctx.args[i]);
    if (entry == nullptr || !is_string(*entry)) {
      ctx.reply.null();
    } else {
      reply_value(ctx.reply, *entry);
    }
  }
}

void mset_command(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    reply_wrong_arity(ctx.reply, "mset");
    return;
  }
  keyparts::for_each_key_chunk(1, 2, ctx.args.size(), [&](std::span<const std::uint32_t> keys) {
    keyparts::mset(ctx.db, ctx.args, keys, ctx.now_ms);
  });
  ctx.reply.ok();
}

void msetnx_command(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    reply_wrong_arity(ctx.reply, "msetnx");
    return;
  }
  std::size_t existing = 0;
  keyparts::for_each_key_chunk(1, 2, ctx.args.size(), [&](std::span<const std::uint32_t> keys) {
    existing += keyparts::count_existing(ctx.db, ctx.args, keys, ctx.now_ms);
  });
  if (existing != 0) {
    ctx.reply.integer(0);
    return;
  }
  keyparts::for_each_key_chunk(1, 2, ctx.args.size(), [&](std::span<const std::uint32_t> keys) {
    keyparts::mset(ctx.db, ctx.args, keys, ctx.now_ms);
  });
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------------------------------------
// Counters.

void incr_by(CommandContext& ctx, std::int64_t delta) {
  auto [entry, inserted] = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms);
  if (inserted) {
    // 0 + delta cannot overflow.
    ctx.db.update(entry, [&](kv::Value& v) { v.set_int(delta); });
    ctx.reply.integer(delta);
    return;
  }
  if (!is_string(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::int64_t current;
  char scratch[kv::Value::kIntScratchBytes];
  if (entry->value.is_int()) {
    current = entry->value.as_int();
  } else if (!kv::Value::parse_canonical_int(entry->value.view(scratch), &current)) {
    ctx.reply.error(errors::kNotInteger);
    return;
  }
  if ((delta < 0 && current < 0 && delta < kInt64Min - current) ||
      (delta > 0 && current > 0 && delta > kInt64Max - current)) {
    ctx.reply.error(errors::kOverflow);
    return;
  }
  const std::int64_t result = current + delta;
  // In place: an int-encoded value just takes the new number; the TTL is kept.
  ctx.db.update(entry, [&](kv::Value& v) { v.set_int(result); });
  ctx.reply.integer(result);
}

void incr_command(CommandContext& ctx) {
  incr_by(ctx, 1);
}
void decr_command(CommandContext& ctx) {
  incr_by(ctx, -1);
}

void incrby_command(CommandContext& ctx) {
  std::int64_t delta;
  if (!parse_int64_arg(ctx.args[2], &delta, ctx.reply)) return;
  incr_by(ctx, delta);
}

void decrby_command(CommandContext& ctx) {
  std::int64_t amount;
  if (!parse_int64_arg(ctx.args[2], &amount, ctx.reply)) return;
  if (amount == kInt64Min) {
    // Its negation has no int64.
    ctx.reply.error("ERR decrement would overflow");
    return;
  }
  incr_by(ctx, -amount);
}

void incrbyfloat_command(CommandContext& ctx) {
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  long double current = 0;
  if (entry != nullptr) {
    if (!is_string(*entry)) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    char scratch[kv::Value::kIntScratchBytes];
    if (entry->value.is_int()) {
      current = static_cast<long double>(entry->value.as_int());
    } else if (!parse_long_double(entry->value.view(scratch), &current)) {
      ctx.reply.error(errors::kNotFloat);
      return;
    }
  }
  long double increment;
  if (!parse_long_double(ctx.args[2], &increment)) {
    ctx.reply.error(errors::kNotFloat);
    return;
  }
  const long double result = current + increment;
  if (std::isnan(result) || std::isinf(result)) {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  char small[64];
  std::string large;
  const std::string_view text = format_long_double_human(result, small, large);
  if (entry == nullptr) entry = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms).first;
  // The TTL of an existing key is kept.
  // Redis keeps the result as a plain string even when it prints as an integer.
  ctx.db.update(entry, [&](kv::Value& v) { v.set_bytes(text); });
  // Float arithmetic may differ between machines; a replica gets the result.
  ctx.writes.emit(ctx.db_index, {"SET", ctx.args[1], text, "KEEPTTL"});
  ctx.reply.bulk(text);
}

// ---------------------------------------------------------------------------------------------
// Byte strings: APPEND STRLEN GETRANGE SETRANGE.

void append_command(CommandContext& ctx) {
  const std::string_view suffix = ctx.args[2];
  auto [entry, inserted] = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms);
  if (inserted) {
    ctx.db.update(entry, [&](kv::Value& v) { v.set_string(suffix); });
    ctx.reply.integer(static_cast<std::int64_t>(suffix.size()));
    return;
  }
  if (!is_string(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (!check_string_length(entry->value.string_length(), suffix.size(), ctx.reply)) return;
  std::size_t size = 0;
  ctx.db.update(entry, [&](kv::Value& v) {
    kv::SmallString& bytes = v.mutable_string();
    bytes.append(suffix);
    size = bytes.size();
  });
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

void strlen_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_string(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(static_cast<std::int64_t>(entry->value.string_length()));
}

void getrange_command(CommandContext& ctx) {
  std::int64_t start;
  std::int64_t end;
  if (!parse_int64_arg(ctx.args[2], &start, ctx.reply)) return;
  if (!parse_int64_arg(ctx.args[3], &end, ctx.reply)) return;
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.bulk({});
    return;
  }
  if (!is_string(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view bytes = entry->value.view(scratch);
  const auto length = static_cast<std::int64_t>(bytes.size());
  // Redis 7.0's clamping, quirks included: both ends negative with start after end is empty,
  // but a negative end before the string's start clamps to 0 and still yields the first byte
  // ("GETRANGE k 0 -100" on "abc" is "a").
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.bulk({});
    return;
  }
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length == 0) {
    ctx.reply.bulk({});
    return;
  }
  ctx.reply.bulk(
      bytes.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1)));
}

void setrange_command(CommandContext& ctx) {
  std::int64_t offset;
  if (!parse_int64_arg(ctx.args[2], &offset, ctx.reply)) return;
  if (offset < 0) {
    ctx.reply.error("ERR offset is out of range");
    return;
  }
  const std::string_view patch = ctx.args[3];
  const auto at = static_cast<std::uint64_t>(offset);
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    // Setting nothing on a missing key creates nothing.
    if (patch.empty()) {
      ctx.reply.integer(0);
      return;
    }
    if (!check_string_length(at, patch.size(), ctx.reply)) return;
    entry = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms).first;
  } else {
    if (!is_string(*entry)) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    if (patch.empty()) {
      ctx.reply.integer(static_cast<std::int64_t>(entry->value.string_length()));
      return;
    }
    if (!check_string_length(at, patch.size(), ctx.reply)) return;
  }
  std::size_t size = 0;
  ctx.db.update(entry, [&](kv::Value& v) {
    kv::SmallString& bytes = v.mutable_string();
    const std::size_t needed = static_cast<std::size_t>(at) + patch.size();
    // resize() zero-fills any gap between the old end and the offset, as Redis's sdsgrowzero.
    char* data = bytes.resize(needed > bytes.size() ? needed : bytes.size());
    std::memcpy(data + at, patch.data(), patch.size());
    size = bytes.size();
  });
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

// ---------------------------------------------------------------------------------------------

CommandSpec string_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                        int last_key, int key_step, CommandHandler handler,
                        std::string_view summary, std::string_view since,
                        std::string_view acl_categories) {
  return keyed_spec("string", name, arity, flags, first_key, last_key, key_step, handler, summary,
                    since, acl_categories);
}

}  // namespace

void register_string_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  constexpr std::uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  constexpr std::uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  table.add(string_spec("get", 2, kRoFast, 1, 1, 1, get_command, "Get the value of a key", "1.0.0",
                        "@read @string @fast"));
  table.add(string_spec("set", -3, kWriteOom, 1, 1, 1, set_command, "Set the string value of a key",
                        "1.0.0", "@write @string @slow"));
  table.add(string_spec("setnx", 3, kWriteOomFast, 1, 1, 1, setnx_command,
                        "Set the value of a key, only if the key does not exist", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("setex", 4, kWriteOom, 1, 1, 1, setex_command,
                        "Set the value and expiration of a key", "2.0.0", "@write @string @slow"));
  table.add(string_spec("psetex", 4, kWriteOom, 1, 1, 1, psetex_command,
                        "Set the value and expiration in milliseconds of a key", "2.6.0",
                        "@write @string @slow"));
  table.add(string_spec("getset", 3, kWriteOomFast, 1, 1, 1, getset_command,
                        "Set the string value of a key and return its old value", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("getdel", 2, kWriteFast, 1, 1, 1, getdel_command,
                        "Get the value of a key and delete the key", "6.2.0",
                        "@write @string @fast"));
  table.add(string_spec("getex", -2, kWriteFast, 1, 1, 1, getex_command,
                        "Get the value of a key and optionally set its expiration", "6.2.0",
                        "@write @string @fast"));
  table.add(string_spec("mget", -2, kRoFast, 1, -1, 1, mget_command,
                        "Get the values of all the given keys", "1.0.0", "@read @string @fast"));
  table.add(string_spec("mset", -3, kWriteOom, 1, -1, 2, mset_command,
                        "Set multiple keys to multiple values", "1.0.1", "@write @string @slow"));
  table.add(string_spec("msetnx", -3, kWriteOom, 1, -1, 2, msetnx_command,
                        "Set multiple keys to multiple values, only if none of the keys exist",
                        "1.0.1", "@write @string @slow"));
  table.add(string_spec("incr", 2, kWriteOomFast, 1, 1, 1, incr_command,
                        "Increment the integer value of a key by one", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("decr", 2, kWriteOomFast, 1, 1, 1, decr_command,
                        "Decrement the integer value of a key by one", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("incrby", 3, kWriteOomFast, 1, 1, 1, incrby_command,
                        "Increment the integer value of a key by the given amount", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("decrby", 3, kWriteOomFast, 1, 1, 1, decrby_command,
                        "Decrement the integer value of a key by the given number", "1.0.0",
                        "@write @string @fast"));
  table.add(string_spec("incrbyfloat", 3, kWriteOomFast, 1, 1, 1, incrbyfloat_command,
                        "Increment the float value of a key by the given amount", "2.6.0",
                        "@write @string @fast"));
  table.add(string_spec("append", 3, kWriteOomFast, 1, 1, 1, append_command,
                        "Append a value to a key", "2.0.0", "@write @string @fast"));
  table.add(string_spec("strlen", 2, kRoFast, 1, 1, 1, strlen_command,
                        "Get the length of the value stored in a key", "2.2.0",
                        "@read @string @fast"));
  table.add(string_spec("getrange", 4, kCmdReadonly, 1, 1, 1, getrange_command,
                        "Get a substring of the string stored at a key", "2.4.0",
                        "@read @string @slow"));
  table.add(string_spec("setrange", 4, kWriteOom, 1, 1, 1, setrange_command,
                        "Overwrite part of a string at key starting at the specified offset",
                        "2.2.0", "@write @string @slow"));
}

}  // namespace eddy
