// The hash family: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0's replies, error texts and error
// precedence. The value is a kv::HashValue (engine/kv/hash_value.h), which converts from its
// listpack form to its hashtable form at Redis's thresholds.
//
// Effects: the writes are deterministic and propagate verbatim, except HINCRBYFLOAT, whose
// result goes out as HSET key field <result> (as Redis propagates it, so float arithmetic on a
// replica cannot differ), and writes that change nothing (HSETNX of an existing field, HDEL
// of absent fields), which propagate nothing.

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/cmd/long_double_text.h"
#include "engine/config.h"
#include "engine/db.h"
#include "engine/kv/hash_value.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

using kv::HashValue;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

// A key looked up for a hash command: absent (entry null), a hash, or another type.
struct HashLookup {
  const kv::Entry* entry = nullptr;
  bool wrong_type = false;

  const HashValue& hash() const { return entry->value.as<HashValue>(); }
};

HashLookup classify(const kv::Entry* entry) {
  HashLookup lookup;
  lookup.entry = entry;
  lookup.wrong_type = entry != nullptr && entry->value.type() != HashValue::kType;
  return lookup;
}

// Read commands count keyspace hits and misses (Redis's lookupKeyRead); the writes look keys
// up without counting (lookupKeyWrite).
HashLookup lookup_read(CommandContext& ctx, std::string_view key) {
  return classify(keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms));
}
HashLookup lookup_write(CommandContext& ctx, std::string_view key) {
  return classify(ctx.db.find(key, ctx.now_ms));
}

HashValue::Limits limits_of(CommandContext& ctx) {
  return HashValue::Limits::of(ctx.shard.encoding_limits());
}

// Changes the hash at `lookup` through the write path (so memory stays exact), creating it
// at `key` first when the key does not exist. fn(HashValue&) must leave the hash non-empty.
template <typename Fn>
void change_hash(CommandContext& ctx, const HashLookup& lookup, std::string_view key, Fn&& fn) {
  ASSERT(!lookup.wrong_type);
  if (lookup.entry != nullptr) {
    ctx.db.update(lookup.entry, [&](kv::Value& value) { fn(value.as<HashValue>()); });
    return;
  }
  const kv::Entry* entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  ctx.db.update(entry, [&](kv::Value& value) {
    auto hash = std::make_unique<HashValue>();
    fn(*hash);
    ASSERT(!hash->empty());
    value = kv::Value::of(std::move(hash));
  });
}

void reply_wrong_arity(ReplyBuilder& reply, std::string_view command) {
  std::string message = "ERR wrong number of arguments for '";
  message += command;
  message += "' command";
  reply.error(message);
}

// ---------------------------------------------------------------------------------------------
// HSET HMSET HSETNX

// HSET and HMSET (Redis's hsetCommand serves both; only the reply differs).
void set_fields(CommandContext& ctx, bool reply_count, std::string_view command) {
  if (ctx.args.size() % 2 != 0) {
    // Checked before the key is looked up: an odd count is an arity error even on a string.
    reply_wrong_arity(ctx.reply, command);
    return;
  }
  const std::string_view key = ctx.args[1];
  const HashLookup lookup = lookup_write(ctx, key);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const HashValue::Limits limits = limits_of(ctx);
  std::int64_t created = 0;
  change_hash(ctx, lookup, key, [&](HashValue& hash) {
    for (std::size_t i = 2; i < ctx.args.size(); i += 2) {
      if (hash.set(ctx.args[i], ctx.args[i + 1], limits)) ++created;
    }
  });
  if (reply_count) {
    ctx.reply.integer(created);
  } else {
    ctx.reply.ok();
  }
}

void hset_command(CommandContext& ctx) {
  set_fields(ctx, true, "hset");
}
void hmset_command(CommandContext& ctx) {
  set_fields(ctx, false, "hmset");
}

void hsetnx_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const HashLookup lookup = lookup_write(ctx, key);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (lookup.entry != nullptr && lookup.hash().contains(ctx.args[2])) {
    // Nothing changes, so nothing propagates.
    ctx.reply.integer(0);
    return;
  }
  const HashValue::Limits limits = limits_of(ctx);
  change_hash(ctx, lookup, key,
              [&](HashValue& hash) { hash.set(ctx.args[2], ctx.args[3], limits); });
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------------------------------------
// HGET HMGET HLEN HSTRLEN HEXISTS

void hget_command(CommandContext& ctx) {
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::string_view value;
  if (lookup.entry == nullptr || !lookup.hash().find(ctx.args[2], &value)) {
    ctx.reply.null();
    return;
  }
  ctx.reply.bulk(value);
}

void hmget_command(CommandContext& ctx) {
  // A missing key is an empty hash: every field answers nil.
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.array(ctx.args.size() - 2);
  for (std::size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view value;
    if (lookup.entry != nullptr && lookup.hash().find(ctx.args[i], &value)) {
      ctx.reply.bulk(value);
    } else {
      ctx.reply.null();
    }
  }
}

void hlen_command(CommandContext& ctx) {
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(lookup.entry == nullptr ? 0 : static_cast<std::int64_t>(lookup.hash().size()));
}

void hstrlen_command(CommandContext& ctx) {
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::string_view value;
  if (lookup.entry == nullptr || !lookup.hash().find(ctx.args[2], &value)) {
    ctx.reply.integer(0);
    return;
  }
  ctx.reply.integer(static_cast<std::int64_t>(value.size()));
}

void hexists_command(CommandContext& ctx) {
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(lookup.entry != nullptr && lookup.hash().contains(ctx.args[2]) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// HDEL

void hdel_command(CommandContext& ctx) {
  const HashLookup lookup = lookup_write(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (lookup.entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  // Find the first field present before touching the key: an HDEL that deletes nothing is
  // not a change (no new version for WATCH, no effect).
  std::size_t first = 2;
  while (first < ctx.args.size() && !lookup.hash().contains(ctx.args[first])) ++first;
  if (first == ctx.args.size()) {
    ctx.reply.integer(0);
    return;
  }
  std::int64_t deleted = 0;
  bool emptied = false;
  ctx.db.update(lookup.entry, [&](kv::Value& value) {
    HashValue& hash = value.as<HashValue>();
    for (std::size_t i = first; i < ctx.args.size(); ++i) {
      if (hash.erase(ctx.args[i])) {
        ++deleted;
        if (hash.empty()) break;
      }
    }
    emptied = hash.empty();
  });
  // No empty hash exists: the last field takes the key with it.
  if (emptied) ctx.db.erase(lookup.entry);
  ctx.reply.integer(deleted);
}

// ---------------------------------------------------------------------------------------------
// HKEYS HVALS HGETALL

enum class Parts { kFields, kValues, kBoth };

void get_all(CommandContext& ctx, Parts parts) {
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const std::size_t size = lookup.entry == nullptr ? 0 : lookup.hash().size();
  // Fields with values are a map (RESP3 %, RESP2 a flat array); one side alone is an array.
  if (parts == Parts::kBoth) {
    ctx.reply.map(size);
  } else {
    ctx.reply.array(size);
  }
  if (size == 0) return;
  std::size_t written = 0;
  lookup.hash().for_each([&](std::string_view field, std::string_view value) {
    if (parts != Parts::kValues) ctx.reply.bulk(field);
    if (parts != Parts::kFields) ctx.reply.bulk(value);
    ++written;
  });
  ASSERT_EQ(written, size);
}

void hkeys_command(CommandContext& ctx) {
  get_all(ctx, Parts::kFields);
}
void hvals_command(CommandContext& ctx) {
  get_all(ctx, Parts::kValues);
}
void hgetall_command(CommandContext& ctx) {
  get_all(ctx, Parts::kBoth);
}

// ---------------------------------------------------------------------------------------------
// HINCRBY HINCRBYFLOAT

void hincrby_command(CommandContext& ctx) {
  std::int64_t increment;
  if (!parse_int64_arg(ctx.args[3], &increment, ctx.reply)) return;
  const std::string_view key = ctx.args[1];
  const std::string_view field = ctx.args[2];
  const HashLookup lookup = lookup_write(ctx, key);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::int64_t current = 0;
  std::string_view text;
  if (lookup.entry != nullptr && lookup.hash().find(field, &text) &&
      !kv::Value::parse_canonical_int(text, &current)) {
    ctx.reply.error("ERR hash value is not an integer");
    return;
  }
  if ((increment < 0 && current < 0 && increment < kInt64Min - current) ||
      (increment > 0 && current > 0 && increment > kInt64Max - current)) {
    ctx.reply.error(errors::kOverflow);
    return;
  }
  const std::int64_t result = current + increment;
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view formatted = kv::Value::format_int(result, scratch);
  const HashValue::Limits limits = limits_of(ctx);
  change_hash(ctx, lookup, key, [&](HashValue& hash) { hash.set(field, formatted, limits); });
  ctx.reply.integer(result);
}

void hincrbyfloat_command(CommandContext& ctx) {
  long double increment;
  if (!parse_long_double(ctx.args[3], &increment)) {
    ctx.reply.error(errors::kNotFloat);
    return;
  }
  if (std::isnan(increment) || std::isinf(increment)) {
    ctx.reply.error("ERR value is NaN or Infinity");
    return;
  }
  const std::string_view key = ctx.args[1];
  const std::string_view field = ctx.args[2];
  const HashLookup lookup = lookup_write(ctx, key);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  long double current = 0;
  std::string_view text;
  if (lookup.entry != nullptr && lookup.hash().find(field, &text) &&
      !parse_long_double(text, &current)) {
    ctx.reply.error("ERR hash value is not a float");
    return;
  }
  const long double result = current + increment;
  if (std::isnan(result) || std::isinf(result)) {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  char small[64];
  std::string large;
  const std::string_view formatted = format_long_double_human(result, small, large);
  const HashValue::Limits limits = limits_of(ctx);
  change_hash(ctx, lookup, key, [&](HashValue& hash) { hash.set(field, formatted, limits); });
  // Float arithmetic may differ between machines; a replica gets the result.
  ctx.writes.emit(ctx.db_index, {"HSET", key, field, formatted});
  ctx.reply.bulk(formatted);
}

// ---------------------------------------------------------------------------------------------
// HRANDFIELD

// Writes one field (and its value) of HRANDFIELD's reply with a count: RESP3 pairs a field
// with its value in a two-element array, RESP2 flattens them.
void reply_random_pair(ReplyBuilder& reply, bool with_values, std::string_view field,
                       std::string_view value) {
  if (with_values && reply.protocol() >= 3) reply.array(2);
  reply.bulk(field);
  if (with_values) reply.bulk(value);
}

void reply_random_header(ReplyBuilder& reply, bool with_values, std::size_t count) {
  reply.array(with_values && reply.protocol() < 3 ? count * 2 : count);
}

void hrandfield_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  if (ctx.args.size() == 2) {
    const HashLookup lookup = lookup_read(ctx, key);
    if (lookup.wrong_type) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    if (lookup.entry == nullptr) {
      ctx.reply.null();
      return;
    }
    ctx.reply.bulk(lookup.hash().random(ctx.shard.runtime().rng()).first);
    return;
  }

  // Redis reads the count as a long within [-LONG_MAX, LONG_MAX].
  std::int64_t requested;
  if (!parse_int64_arg(ctx.args[2], &requested, ctx.reply)) return;
  if (requested == kInt64Min) {
    ctx.reply.error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  bool with_values = false;
  if (ctx.args.size() > 4 ||
      (ctx.args.size() == 4 && !equals_ignore_case(ctx.args[3], "withvalues"))) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 4) {
    with_values = true;
    // Twice the count must fit (RESP2 replies with 2 * count elements).
    if (requested < -kInt64Max / 2 || requested > kInt64Max / 2) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
  }

  const HashLookup lookup = lookup_read(ctx, key);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (lookup.entry == nullptr || requested == 0) {
    ctx.reply.array(0);
    return;
  }
  // Repeats are allowed for a negative count, so its reply is as long as the count asks,
  // whatever the hash holds. Redis would build any such reply; eddy refuses counts beyond
  // what one request may carry (limits::multibulk_count_max), so one command cannot make
  // the server build an unbounded reply.
  if (requested < -limits::multibulk_count_max) {
    ctx.reply.error("ERR value is out of range");
    return;
  }
  const HashValue& hash = lookup.hash();
  Rng& rng = ctx.shard.runtime().rng();
  auto emit = [&](std::string_view field, std::string_view value) {
    reply_random_pair(ctx.reply, with_values, field, value);
  };

  if (requested < 0 || requested == 1) {
    // Independent draws: repeats possible, in draw order.
    const auto count = static_cast<std::size_t>(requested < 0 ? -requested : requested);
    // The reply's bytes are the client's to choose as well: draw once with a copy of the
    // generator to size it, and refuse past what one bulk string may be, before writing.
    constexpr std::uint64_t kReplyBytesMax = static_cast<std::uint64_t>(limits::bulk_bytes_max);
    Rng probe = rng;
    std::uint64_t reply_bytes = 0;
    bool too_large = false;
    hash.random_pairs(count, probe, [&](std::string_view field, std::string_view value) {
      reply_bytes += field.size() + (with_values ? value.size() : 0) + 32;
      too_large = too_large || reply_bytes > kReplyBytesMax;
    });
    if (too_large) {
      ctx.reply.error("ERR value is out of range: the HRANDFIELD reply would exceed " +
                      std::to_string(kReplyBytesMax) + " bytes");
      return;
    }
    reply_random_header(ctx.reply, with_values, count);
    hash.random_pairs(count, rng, emit);
    return;
  }
  const auto count = static_cast<std::uint64_t>(requested);
  if (count >= hash.size()) {
    // Asking for at least everything: the whole hash, once.
    reply_random_header(ctx.reply, with_values, hash.size());
    hash.for_each(emit);
    return;
  }
  reply_random_header(ctx.reply, with_values, static_cast<std::size_t>(count));
  hash.random_distinct_pairs(static_cast<std::size_t>(count), rng, emit);
}

// ---------------------------------------------------------------------------------------------
// HSCAN

// Redis's parseScanCursorOrReply: strtoul over the text (so "-1" wraps and "" is 0); leading
// space, trailing bytes and overflow are refused.
bool parse_scan_cursor(std::string_view text, std::uint64_t* cursor) {
  const TerminatedCopy copy(text);
  const char* start = copy.c_str();
  if (std::isspace(static_cast<unsigned char>(start[0])) != 0) return false;
  char* end = nullptr;
  errno = 0;
  static_assert(sizeof(unsigned long) == sizeof(std::uint64_t));
  const unsigned long value = std::strtoul(start, &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = value;
  return true;
}

void reply_empty_scan(ReplyBuilder& reply) {
  reply.array(2);
  reply.bulk("0");
  reply.array(0);
}

void hscan_command(CommandContext& ctx) {
  std::uint64_t cursor;
  if (!parse_scan_cursor(ctx.args[2], &cursor)) {
    ctx.reply.error("ERR invalid cursor");
    return;
  }
  // The key comes before the options: a missing key answers the empty scan even when the
  // options are bad, as in Redis.
  const HashLookup lookup = lookup_read(ctx, ctx.args[1]);
  if (lookup.wrong_type) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (lookup.entry == nullptr) {
    reply_empty_scan(ctx.reply);
    return;
  }

  std::int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (std::size_t i = 3; i < ctx.args.size(); i += 2) {
    const bool has_value = i + 1 < ctx.args.size();
    if (has_value && equals_ignore_case(ctx.args[i], "count")) {
      if (!parse_int64_arg(ctx.args[i + 1], &count, ctx.reply)) return;
      if (count < 1) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
    } else if (has_value && equals_ignore_case(ctx.args[i], "match")) {
      pattern = ctx.args[i + 1];
      // "*" matches everything: no need to test each field.
      use_pattern = pattern != "*";
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }

  const HashValue& hash = lookup.hash();
  std::vector<std::string_view> items;  // field, value, field, value ...
  auto collect = [&](std::string_view field, std::string_view value) {
    if (use_pattern && !glob_match(pattern, field)) return;
    items.push_back(field);
    items.push_back(value);
  };
  if (hash.is_listpack()) {
    // Small: everything in one call, cursor 0 (COUNT does not apply), as Redis does.
    cursor = hash.scan(0, collect);
  } else {
    // Redis scans buckets until COUNT fields were seen (before MATCH filters them) or it has
    // visited ten times as many buckets as that, so a sparse table cannot hold the shard for
    // long.
    const auto wanted = static_cast<std::uint64_t>(count);
    std::uint64_t visits_left = wanted > std::numeric_limits<std::uint64_t>::max() / 20
                                    ? std::numeric_limits<std::uint64_t>::max()
                                    : wanted * 20;
    std::uint64_t seen = 0;
    auto tally = [&](std::string_view field, std::string_view value) {
      ++seen;
      collect(field, value);
    };
    do {
      cursor = hash.scan(cursor, tally);
    } while (cursor != 0 && visits_left-- > 0 && seen < wanted);
  }
  ctx.reply.array(2);
  ctx.reply.bulk(std::to_string(cursor));
  ctx.reply.array(items.size());
  for (std::string_view item : items) ctx.reply.bulk(item);
}

// ---------------------------------------------------------------------------------------------

CommandSpec hash_spec(std::string_view name, int arity, std::uint32_t flags, CommandHandler handler,
                      std::string_view summary, std::string_view since,
                      std::string_view acl_categories, std::string_view syntax) {
  CommandSpec spec =
      keyed_spec("hash", name, arity, flags, 1, 1, 1, handler, summary, since, acl_categories);
  spec.syntax = syntax;
  return spec;
}

}  // namespace

void register_hash_commands(CommandTable& table) {
  // Arity, flags, summaries and ACL categories as Redis 7.0's COMMAND INFO and COMMAND DOCS
  // report them; every command has its key at argument 1.
  constexpr std::uint32_t kRo = kCmdReadonly;
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr std::uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  table.add(hash_spec("hdel", -3, kWriteFast, hdel_command, "Delete one or more hash fields",
                      "2.0.0", "@write @hash @fast", "key field [field ...]"));
  table.add(hash_spec("hexists", 3, kRoFast, hexists_command, "Determine if a hash field exists",
                      "2.0.0", "@read @hash @fast", "key field"));
  table.add(hash_spec("hget", 3, kRoFast, hget_command, "Get the value of a hash field", "2.0.0",
                      "@read @hash @fast", "key field"));
  table.add(hash_spec("hgetall", 2, kRo, hgetall_command, "Get all the fields and values in a hash",
                      "2.0.0", "@read @hash @slow", "key"));
  table.add(hash_spec("hincrby", 4, kWriteOomFast, hincrby_command,
                      "Increment the integer value of a hash field by the given number", "2.0.0",
                      "@write @hash @fast", "key field increment"));
  table.add(hash_spec("hincrbyfloat", 4, kWriteOomFast, hincrbyfloat_command,
                      "Increment the float value of a hash field by the given amount", "2.6.0",
                      "@write @hash @fast", "key field increment"));
  table.add(hash_spec("hkeys", 2, kRo, hkeys_command, "Get all the fields in a hash", "2.0.0",
                      "@read @hash @slow", "key"));
  table.add(hash_spec("hlen", 2, kRoFast, hlen_command, "Get the number of fields in a hash",
                      "2.0.0", "@read @hash @fast", "key"));
  table.add(hash_spec("hmget", -3, kRoFast, hmget_command,
                      "Get the values of all the given hash fields", "2.0.0", "@read @hash @fast",
                      "key field [field ...]"));
  table.add(hash_spec("hmset", -4, kWriteOomFast, hmset_command,
                      "Set multiple hash fields to multiple values", "2.0.0", "@write @hash @fast",
                      "key field value [field value ...]"));
  table.add(hash_spec("hrandfield", -2, kRo, hrandfield_command,
                      "Get one or multiple random fields from a hash", "6.2.0", "@read @hash @slow",
                      "key [count [WITHVALUES]]"));
  table.add(hash_spec("hscan", -3, kRo, hscan_command,
                      "Incrementally iterate hash fields and associated values", "2.8.0",
                      "@read @hash @slow", "key cursor [MATCH pattern] [COUNT count]"));
  table.add(hash_spec("hset", -4, kWriteOomFast, hset_command,
                      "Set the string value of a hash field", "2.0.0", "@write @hash @fast",
                      "key field value [field value ...]"));
  table.add(hash_spec("hsetnx", 4, kWriteOomFast, hsetnx_command,
                      "Set the value of a hash field, only if the field does not exist", "2.0.0",
                      "@write @hash @fast", "key field value"));
  table.add(hash_spec("hstrlen", 3, kRoFast, hstrlen_command,
                      "Get the length of the value of a hash field", "3.2.0", "@read @hash @fast",
                      "key field"));
  table.add(hash_spec("hvals", 2, kRo, hvals_command, "Get all the values in a hash", "2.0.0",
                      "@read @hash @slow", "key"));
}

}  // namespace eddy
