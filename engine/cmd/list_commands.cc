// The list family: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LSET LRANGE LTRIM LREM
// LINSERT LPOS RPOPLPUSH LMOVE LMPOP, with Redis 7.0's replies, error texts and error
// precedence (which check fails first when several would).
//
// Not here: the blocking forms (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP). A handler runs to
// completion and the engine has no way yet to park a client on a key until a push arrives, so
// they could only be right when data is present; they are left unregistered rather than
// answer "timed out" at once.
//
// Effects: every write here is deterministic, so each is its own effect (verbatim), except
// LMPOP, which propagates as the LPOP/RPOP key count it amounted to, as Redis does, and LTRIM
// that trims nothing, which Redis does not propagate.
//
// Entry pointers: a lookup's Entry* is good until the next insert or erase in the Db (a lookup
// that finds an expired key erases it), so the two-key commands (LMOVE, RPOPLPUSH) look the
// source up again once the destination is dealt with. Element views stay valid across that:
// they point into the list's node buffers, which belong to the list object, not to the slot.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/list_value.h"
#include "engine/shard.h"

namespace eddy {

namespace {

using kv::ListValue;
using End = ListValue::End;

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

// list-max-listpack-size as configured now.
std::int64_t list_fill(const CommandContext& ctx) {
  return kv::EncodingLimits::load(ctx.shard.encoding_limits().list_max_listpack_size);
}

bool is_list(const kv::Entry& entry) {
  return entry.value.type() == kv::Type::kList;
}
const ListValue& list_of(const kv::Entry& entry) {
  return entry.value.as<ListValue>();
}
ListValue& mutable_list(kv::Value& value) {
  return value.as<ListValue>();
}

// Read commands count keyspace hits and misses (Redis's lookupKeyRead); writes do not.
const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

// Redis's getRangeLongFromObjectOrReply with a message: one error text for "not a number" and
// for "out of range".
bool parse_at_least(std::string_view text, std::int64_t min, std::string_view message,
                    std::int64_t* out, ReplyBuilder& reply) {
  if (!kv::Value::parse_canonical_int(text, out) || *out < min) {
    reply.error(message);
    return false;
  }
  return true;
}

// LEFT / RIGHT (Redis's getListPositionFromObjectOrReply).
bool parse_end(std::string_view text, End* end, ReplyBuilder& reply) {
  if (equals_ignore_case(text, "left")) {
    *end = End::kHead;
  } else if (equals_ignore_case(text, "right")) {
    *end = End::kTail;
  } else {
    reply.error(errors::kSyntax);
    return false;
  }
  return true;
}

// Replies with `count` elements from index `start` towards the tail, or, when `reverse`, from
// index `start + count - 1` towards the head.
void reply_range(ReplyBuilder& reply, const ListValue& list, std::size_t start, std::size_t count,
                 bool reverse) {
  reply.array(count);
  if (count == 0) return;
  ListValue::Cursor at = list.seek(reverse ? start + count - 1 : start);
  for (std::size_t i = 0; i < count; ++i) {
    reply.bulk(list.get(at));
    if (i + 1 < count) {
      const bool more = reverse ? list.prev(at) : list.next(at);
      ASSERT(more);
    }
  }
}

// Removes `count` (<= size) elements from one end; deletes the key when that empties the list.
// `entry` is invalid afterwards.
void pop_elements(CommandContext& ctx, const kv::Entry* entry, End end, std::size_t count) {
  const std::size_t size = list_of(*entry).size();
  ASSERT_LE(count, size);
  if (count == size) {
    ctx.db.erase(entry);
    return;
  }
  const std::int64_t fill = list_fill(ctx);
  ctx.db.update(entry, [&](kv::Value& v) {
    mutable_list(v).erase(end == End::kHead ? 0 : size - count, count, fill);
  });
}

// How many elements a pop of `count` (>= 0) takes from a list of `size`.
std::size_t pop_count(std::int64_t count, std::size_t size) {
  return static_cast<std::uint64_t>(count) > size ? size : static_cast<std::size_t>(count);
}

// Replies with the `n` elements a pop from `end` takes, in the order they leave the list.
void reply_popped(ReplyBuilder& reply, const ListValue& list, End end, std::size_t n) {
  if (end == End::kHead) {
    reply_range(reply, list, 0, n, false);
  } else {
    reply_range(reply, list, list.size() - n, n, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Pushes.

// LPUSH RPUSH LPUSHX RPUSHX: `only_existing` for the X forms.
void push_generic(CommandContext& ctx, End end, bool only_existing) {
  const std::string_view key = ctx.args[1];
  const std::span<const std::string_view> elements = ctx.args.subspan(2);
  const std::int64_t fill = list_fill(ctx);
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  std::size_t size = 0;
  if (entry == nullptr) {
    if (only_existing) {
      ctx.reply.integer(0);
      return;
    }
    entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
    ctx.db.update(entry, [&](kv::Value& v) {
      auto list = std::make_unique<ListValue>();
      list->push(end, elements, fill);
      size = list->size();
      v = kv::Value::of(std::move(list));
    });
  } else {
    if (!is_list(*entry)) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    ctx.db.update(entry, [&](kv::Value& v) {
      ListValue& list = mutable_list(v);
      list.push(end, elements, fill);
      size = list.size();
    });
  }
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

void lpush_command(CommandContext& ctx) {
  push_generic(ctx, End::kHead, false);
}
void rpush_command(CommandContext& ctx) {
  push_generic(ctx, End::kTail, false);
}
void lpushx_command(CommandContext& ctx) {
  push_generic(ctx, End::kHead, true);
}
void rpushx_command(CommandContext& ctx) {
  push_generic(ctx, End::kTail, true);
}

void linsert_command(CommandContext& ctx) {
  bool after;
  if (equals_ignore_case(ctx.args[2], "after")) {
    after = true;
  } else if (equals_ignore_case(ctx.args[2], "before")) {
    after = false;
  } else {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ListValue::Cursor pivot;
  if (!list_of(*entry).find_first(ctx.args[3], &pivot)) {
    // Nothing changes: Redis neither signals the key nor propagates.
    ctx.reply.integer(-1);
    return;
  }
  const std::int64_t fill = list_fill(ctx);
  std::size_t size = 0;
  ctx.db.update(entry, [&](kv::Value& v) {
    ListValue& list = mutable_list(v);
    list.insert(pivot, after, ctx.args[4], fill);
    size = list.size();
  });
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

// ---------------------------------------------------------------------------------------------
// Reads: LLEN LINDEX LRANGE LPOS.

void llen_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(static_cast<std::int64_t>(list_of(*entry).size()));
}

// A client's index (negative from the tail) as a position, or false when outside the list.
bool resolve_index(std::int64_t index, std::size_t size, std::size_t* out) {
  const auto length = static_cast<std::int64_t>(size);
  if (index < 0) index += length;  // cannot overflow: length >= 0 > index
  if (index < 0 || index >= length) return false;
  *out = static_cast<std::size_t>(index);
  return true;
}

void lindex_command(CommandContext& ctx) {
  // Redis looks the key up before it parses the index.
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::int64_t index;
  if (!parse_int64_arg(ctx.args[2], &index, ctx.reply)) return;
  const ListValue& list = list_of(*entry);
  std::size_t at;
  if (!resolve_index(index, list.size(), &at)) {
    ctx.reply.null();
    return;
  }
  ctx.reply.bulk(list.get(list.seek(at)));
}

void lset_command(CommandContext& ctx) {
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.error(errors::kNoSuchKey);
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::int64_t index;
  if (!parse_int64_arg(ctx.args[2], &index, ctx.reply)) return;
  std::size_t at;
  if (!resolve_index(index, list_of(*entry).size(), &at)) {
    ctx.reply.error("ERR index out of range");
    return;
  }
  const std::int64_t fill = list_fill(ctx);
  ctx.db.update(entry, [&](kv::Value& v) { mutable_list(v).replace(at, ctx.args[3], fill); });
  ctx.reply.ok();
}

// Redis's clamping of a start..stop range (inclusive, negative from the tail) over `size`
// elements; false when the range is empty.
bool clamp_range(std::int64_t start, std::int64_t stop, std::size_t size, std::size_t* first,
                 std::size_t* count) {
  const auto length = static_cast<std::int64_t>(size);
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  // start >= 0 now, so this also covers stop < 0.
  if (start > stop || start >= length) return false;
  if (stop >= length) stop = length - 1;
  *first = static_cast<std::size_t>(start);
  *count = static_cast<std::size_t>(stop - start + 1);
  return true;
}

void lrange_command(CommandContext& ctx) {
  std::int64_t start;
  std::int64_t stop;
  if (!parse_int64_arg(ctx.args[2], &start, ctx.reply)) return;
  if (!parse_int64_arg(ctx.args[3], &stop, ctx.reply)) return;
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.array(0);
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const ListValue& list = list_of(*entry);
  std::size_t first = 0;
  std::size_t count = 0;
  if (!clamp_range(start, stop, list.size(), &first, &count)) {
    ctx.reply.array(0);
    return;
  }
  reply_range(ctx.reply, list, first, count, false);
}

void lpos_command(CommandContext& ctx) {
  std::int64_t rank = 1;
  std::int64_t count = -1;  // -1: no COUNT option (reply a single index)
  std::int64_t maxlen = 0;  // 0: no limit
  for (std::size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view option = ctx.args[j];
    const bool has_value = j + 1 < ctx.args.size();
    if (equals_ignore_case(option, "rank") && has_value) {
      if (!parse_int64_arg(ctx.args[++j], &rank, ctx.reply)) return;
      if (rank == 0) {
        ctx.reply.error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (equals_ignore_case(option, "count") && has_value) {
      if (!parse_at_least(ctx.args[++j], 0, "ERR COUNT can't be negative", &count, ctx.reply)) {
        return;
      }
    } else if (equals_ignore_case(option, "maxlen") && has_value) {
      if (!parse_at_least(ctx.args[++j], 0, "ERR MAXLEN can't be negative", &maxlen, ctx.reply)) {
        return;
      }
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    if (count != -1) {
      ctx.reply.array(0);
    } else {
      ctx.reply.null();
    }
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const bool from_tail = rank < 0;
  // RANK -9223372036854775808 has no positive counterpart. Redis negates it anyway (it stays
  // negative), so every match qualifies and COUNT never stops the walk; so here.
  const bool rank_unbounded = rank == kInt64Min;
  if (from_tail && !rank_unbounded) rank = -rank;

  const ListValue& list = list_of(*entry);
  const std::string_view element = ctx.args[2];
  const std::size_t size = list.size();
  std::vector<std::int64_t> found;  // COUNT's indexes
  std::int64_t single = -1;
  std::int64_t matches = 0;
  if (size > 0) {
    ListValue::Cursor at = from_tail ? list.last() : list.first();
    std::uint64_t scanned = 0;
    for (bool more = true; more; more = from_tail ? list.prev(at) : list.next(at)) {
      if (maxlen != 0 && scanned >= static_cast<std::uint64_t>(maxlen)) break;
      if (list.get(at) == element) {
        ++matches;
        if (rank_unbounded || matches >= rank) {
          const auto index = static_cast<std::int64_t>(from_tail ? size - 1 - scanned : scanned);
          if (count == -1) {
            single = index;
            break;
          }
          found.push_back(index);
          if (count != 0 && !rank_unbounded && matches - rank + 1 >= count) break;
        }
      }
      ++scanned;
    }
  }
  if (count != -1) {
    ctx.reply.array(found.size());
    for (std::int64_t index : found) ctx.reply.integer(index);
  } else if (single != -1) {
    ctx.reply.integer(single);
  } else {
    ctx.reply.null();
  }
}

// ---------------------------------------------------------------------------------------------
// Removals: LPOP RPOP LTRIM LREM LMPOP.

void pop_generic(CommandContext& ctx, End end) {
  const bool has_count = ctx.args.size() == 3;
  if (ctx.args.size() > 3) {
    ctx.reply.error(std::string("ERR wrong number of arguments for '") +
                    (end == End::kHead ? "lpop" : "rpop") + "' command");
    return;
  }
  std::int64_t count = 0;
  if (has_count && !parse_at_least(ctx.args[2], 0, "ERR value is out of range, must be positive",
                                   &count, ctx.reply)) {
    return;
  }
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    if (has_count) {
      ctx.reply.null_array();
    } else {
      ctx.reply.null();
    }
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const ListValue& list = list_of(*entry);
  if (!has_count) {
    // The reply is written before the element's bytes go.
    ctx.reply.bulk(end == End::kHead ? list.front() : list.back());
    pop_elements(ctx, entry, end, 1);
    return;
  }
  if (count == 0) {
    ctx.reply.array(0);
    return;
  }
  const std::size_t n = pop_count(count, list.size());
  reply_popped(ctx.reply, list, end, n);
  pop_elements(ctx, entry, end, n);
}

void lpop_command(CommandContext& ctx) {
  pop_generic(ctx, End::kHead);
}
void rpop_command(CommandContext& ctx) {
  pop_generic(ctx, End::kTail);
}

void ltrim_command(CommandContext& ctx) {
  std::int64_t start;
  std::int64_t stop;
  if (!parse_int64_arg(ctx.args[2], &start, ctx.reply)) return;
  if (!parse_int64_arg(ctx.args[3], &stop, ctx.reply)) return;
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.ok();
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const std::size_t size = list_of(*entry).size();
  std::size_t first = 0;
  std::size_t count = 0;
  if (!clamp_range(start, stop, size, &first, &count)) {
    ctx.db.erase(entry);  // an empty range leaves nothing
  } else if (count == size) {
    // Nothing to trim. Redis still signals the key (WATCH sees a change) but, having changed
    // nothing, propagates nothing.
    ctx.db.update(entry, [](kv::Value&) {});
    ctx.writes.suppress_verbatim();
  } else {
    const std::int64_t fill = list_fill(ctx);
    ctx.db.update(entry, [&](kv::Value& v) {
      ListValue& list = mutable_list(v);
      list.erase(first + count, size - first - count, fill);
      list.erase(0, first, fill);
    });
  }
  ctx.reply.ok();
}

void lrem_command(CommandContext& ctx) {
  std::int64_t to_remove;
  if (!parse_int64_arg(ctx.args[2], &to_remove, ctx.reply)) return;
  const kv::Entry* entry = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_list(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const std::string_view element = ctx.args[3];
  ListValue::Cursor unused;
  if (!list_of(*entry).find_first(element, &unused)) {
    // No match: no change, no signal, as in Redis.
    ctx.reply.integer(0);
    return;
  }
  const bool from_tail = to_remove < 0;
  // A negative count walks from the tail. -9223372036854775808 has no positive counterpart:
  // Redis's negation leaves it negative, so no count is ever reached and every match goes.
  const std::size_t limit = to_remove == kInt64Min ? 0
                            : from_tail            ? static_cast<std::size_t>(-to_remove)
                                                   : static_cast<std::size_t>(to_remove);
  const std::int64_t fill = list_fill(ctx);
  std::size_t removed = 0;
  bool now_empty = false;
  ctx.db.update(entry, [&](kv::Value& v) {
    ListValue& list = mutable_list(v);
    removed = list.remove(element, limit, from_tail, fill);
    now_empty = list.empty();
  });
  if (now_empty) ctx.db.erase(entry);
  ctx.reply.integer(static_cast<std::int64_t>(removed));
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP's same arguments after its
// timeout: `at` is the index of numkeys.
void lmpop_generic(CommandContext& ctx, std::size_t at) {
  const Args args = ctx.args;
  std::int64_t numkeys;
  if (!parse_at_least(args[at], 1, "ERR numkeys should be greater than 0", &numkeys, ctx.reply)) {
    return;
  }
  // The keys are args[at+1 .. at+1+numkeys), then LEFT|RIGHT.
  if (numkeys > static_cast<std::int64_t>(args.size() - at) - 2) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const std::size_t where_index = at + 1 + static_cast<std::size_t>(numkeys);
  End end;
  if (!parse_end(args[where_index], &end, ctx.reply)) return;
  std::int64_t count = -1;
  for (std::size_t j = where_index + 1; j < args.size(); ++j) {
    if (count == -1 && equals_ignore_case(args[j], "count") && j + 1 < args.size()) {
      if (!parse_at_least(args[++j], 1, "ERR count should be greater than 0", &count, ctx.reply)) {
        return;
      }
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  if (count == -1) count = 1;
  for (std::size_t k = at + 1; k < where_index; ++k) {
    const kv::Entry* entry = ctx.db.find(args[k], ctx.now_ms);
    if (entry == nullptr) continue;
    if (!is_list(*entry)) {
      if (skips_wrong_type(ctx)) continue;
      ctx.reply.error(errors::kWrongType);
      return;
    }
    const std::size_t popped = pop_count(count, list_of(*entry).size());
    ctx.reply.array(2);
    ctx.reply.bulk(args[k]);
    reply_popped(ctx.reply, list_of(*entry), end, popped);
    pop_elements(ctx, entry, end, popped);
    // Propagated as the plain pop it amounted to.
    ctx.writes.emit_begin(ctx.db_index, end == End::kHead ? "LPOP" : "RPOP");
    ctx.writes.emit_arg(args[k]);
    ctx.writes.emit_int_arg(static_cast<std::int64_t>(popped));
    ctx.writes.emit_end();
    return;
  }
  block_or_reply(ctx, [&] { ctx.reply.null_array(); });
}

void lmpop_command(CommandContext& ctx) {
  lmpop_generic(ctx, 1);
}

// ---------------------------------------------------------------------------------------------
// Blocking pops: BLPOP BRPOP BLMPOP. Each pops at once when it can, as its plain form would;
// otherwise the client waits (engine/blocking.h) and the command runs again when a key it
// waits on changes. A served pop is propagated as the plain pop it amounted to.

void bpop_generic(CommandContext& ctx, End end) {
  if (!take_blocking_timeout(ctx, ctx.args.back())) return;
  for (std::size_t k = 1; k + 1 < ctx.args.size(); ++k) {
    const kv::Entry* entry = ctx.db.find(ctx.args[k], ctx.now_ms);
    if (entry == nullptr) continue;
    if (!is_list(*entry)) {
      if (skips_wrong_type(ctx)) continue;
      ctx.reply.error(errors::kWrongType);
      return;
    }
    const ListValue& list = list_of(*entry);
    ctx.reply.array(2);
    ctx.reply.bulk(ctx.args[k]);
    ctx.reply.bulk(end == End::kHead ? list.front() : list.back());
    ctx.writes.emit(ctx.db_index, {end == End::kHead ? "LPOP" : "RPOP", ctx.args[k]});
    pop_elements(ctx, entry, end, 1);
    return;
  }
  block_or_reply(ctx, [&] { ctx.reply.null_array(); });
}

void blpop_command(CommandContext& ctx) {
  bpop_generic(ctx, End::kHead);
}
void brpop_command(CommandContext& ctx) {
  bpop_generic(ctx, End::kTail);
}

void blmpop_command(CommandContext& ctx) {
  if (!take_blocking_timeout(ctx, ctx.args[1])) return;
  lmpop_generic(ctx, 2);
}

// ---------------------------------------------------------------------------------------------
// Moves: LMOVE RPOPLPUSH.

void lmove_generic(CommandContext& ctx, End from, End to) {
  const std::string_view source_key = ctx.args[1];
  const std::string_view destination_key = ctx.args[2];
  const kv::Entry* source = ctx.db.find(source_key, ctx.now_ms);
  if (source == nullptr) {
    ctx.reply.null();
    return;
  }
  if (!is_list(*source)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const std::int64_t fill = list_fill(ctx);
  if (source_key == destination_key) {
    ctx.db.update(source, [&](kv::Value& v) { mutable_list(v).rotate(from, to, fill); });
    const ListValue& list = list_of(*source);
    ctx.reply.bulk(to == End::kHead ? list.front() : list.back());
    return;
  }
  // The list object stays put while table entries may move: the destination's lookup can
  // expire and erase that key, and creating it inserts one.
  const ListValue& source_list = list_of(*source);
  const kv::Entry* destination = ctx.db.find(destination_key, ctx.now_ms);
  if (destination != nullptr && !is_list(*destination)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  // The element stays in the source's node buffer until the pop below, and the destination is a
  // different list object: the view is good for the push and the reply.
  const std::string_view element = from == End::kHead ? source_list.front() : source_list.back();
  if (destination == nullptr) {
    destination = ctx.db.find_or_insert(destination_key, ctx.now_ms).first;
    ctx.db.update(destination, [&](kv::Value& v) {
      auto list = std::make_unique<ListValue>();
      list->push(to, element, fill);
      v = kv::Value::of(std::move(list));
    });
  } else {
    ctx.db.update(destination, [&](kv::Value& v) { mutable_list(v).push(to, element, fill); });
  }
  ctx.reply.bulk(element);
  source = ctx.db.find(source_key, ctx.now_ms);
  ASSERT(source != nullptr);
  pop_elements(ctx, source, from, 1);
}

void lmove_command(CommandContext& ctx) {
  End from;
  End to;
  if (!parse_end(ctx.args[3], &from, ctx.reply)) return;
  if (!parse_end(ctx.args[4], &to, ctx.reply)) return;
  lmove_generic(ctx, from, to);
}

void rpoplpush_command(CommandContext& ctx) {
  lmove_generic(ctx, End::kTail, End::kHead);
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH source destination
// timeout: an LMOVE when the source has an element (propagated as LMOVE/RPOPLPUSH), else wait.
void bmove_generic(CommandContext& ctx, End from, End to, std::string_view timeout_text) {
  if (!take_blocking_timeout(ctx, timeout_text)) return;
  const kv::Entry* source = ctx.db.find(ctx.args[1], ctx.now_ms);
  if (source == nullptr || (!is_list(*source) && skips_wrong_type(ctx))) {
    block_or_reply(ctx, [&] { ctx.reply.null(); });
    return;
  }
  const std::uint64_t before = ctx.writes.modifications();
  lmove_generic(ctx, from, to);
  if (ctx.writes.modifications() == before) {
    ctx.writes.suppress_verbatim();  // an error: nothing moved
    return;
  }
  if (ctx.args[0].size() == 10) {  // BRPOPLPUSH
    ctx.writes.emit(ctx.db_index, {"RPOPLPUSH", ctx.args[1], ctx.args[2]});
  } else {
    ctx.writes.emit(ctx.db_index,
                    {"LMOVE", ctx.args[1], ctx.args[2], from == End::kHead ? "LEFT" : "RIGHT",
                     to == End::kHead ? "LEFT" : "RIGHT"});
  }
}

void blmove_command(CommandContext& ctx) {
  End from;
  End to;
  if (!parse_end(ctx.args[3], &from, ctx.reply)) return;
  if (!parse_end(ctx.args[4], &to, ctx.reply)) return;
  bmove_generic(ctx, from, to, ctx.args[5]);
}

void brpoplpush_command(CommandContext& ctx) {
  bmove_generic(ctx, End::kTail, End::kHead, ctx.args[3]);
}

// ---------------------------------------------------------------------------------------------

CommandSpec list_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                      int last_key, CommandHandler handler, std::string_view summary,
                      std::string_view since, std::string_view acl_categories,
                      std::string_view syntax) {
  CommandSpec spec = keyed_spec("list", name, arity, flags, first_key, last_key, 1, handler,
                                summary, since, acl_categories);
  spec.syntax = syntax;
  return spec;
}

}  // namespace

void register_list_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  constexpr std::uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr std::uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  table.add(list_spec("lpush", -3, kWriteOomFast, 1, 1, lpush_command,
                      "Prepend one or multiple elements to a list", "1.0.0", "@write @list @fast",
                      "key element [element ...]"));
  table.add(list_spec("rpush", -3, kWriteOomFast, 1, 1, rpush_command,
                      "Append one or multiple elements to a list", "1.0.0", "@write @list @fast",
                      "key element [element ...]"));
  table.add(list_spec("lpushx", -3, kWriteOomFast, 1, 1, lpushx_command,
                      "Prepend an element to a list, only if the list exists", "2.2.0",
                      "@write @list @fast", "key element [element ...]"));
  table.add(list_spec("rpushx", -3, kWriteOomFast, 1, 1, rpushx_command,
                      "Append an element to a list, only if the list exists", "2.2.0",
                      "@write @list @fast", "key element [element ...]"));
  table.add(list_spec("lpop", -2, kWriteFast, 1, 1, lpop_command,
                      "Remove and get the first elements in a list", "1.0.0", "@write @list @fast",
                      "key [count]"));
  table.add(list_spec("rpop", -2, kWriteFast, 1, 1, rpop_command,
                      "Remove and get the last elements in a list", "1.0.0", "@write @list @fast",
                      "key [count]"));
  table.add(list_spec("llen", 2, kRoFast, 1, 1, llen_command, "Get the length of a list", "1.0.0",
                      "@read @list @fast", "key"));
  table.add(list_spec("lindex", 3, kCmdReadonly, 1, 1, lindex_command,
                      "Get an element from a list by its index", "1.0.0", "@read @list @slow",
                      "key index"));
  table.add(list_spec("lset", 4, kWriteOom, 1, 1, lset_command,
                      "Set the value of an element in a list by its index", "1.0.0",
                      "@write @list @slow", "key index element"));
  table.add(list_spec("lrange", 4, kCmdReadonly, 1, 1, lrange_command,
                      "Get a range of elements from a list", "1.0.0", "@read @list @slow",
                      "key start stop"));
  table.add(list_spec("ltrim", 4, kCmdWrite, 1, 1, ltrim_command,
                      "Trim a list to the specified range", "1.0.0", "@write @list @slow",
                      "key start stop"));
  table.add(list_spec("lrem", 4, kCmdWrite, 1, 1, lrem_command, "Remove elements from a list",
                      "1.0.0", "@write @list @slow", "key count element"));
  table.add(list_spec("linsert", 5, kWriteOom, 1, 1, linsert_command,
                      "Insert an element before or after another element in a list", "2.2.0",
                      "@write @list @slow", "key <BEFORE|AFTER> pivot element"));
  table.add(list_spec("lpos", -3, kCmdReadonly, 1, 1, lpos_command,
                      "Return the index of matching elements on a list", "6.0.6",
                      "@read @list @slow",
                      "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"));
  table.add(list_spec("rpoplpush", 3, kWriteOom, 1, 2, rpoplpush_command,
                      "Remove the last element in a list, prepend it to another list and return it",
                      "1.2.0", "@write @list @slow", "source destination"));
  table.add(list_spec("lmove", 5, kWriteOom, 1, 2, lmove_command,
                      "Pop an element from a list, push it to another list and return it", "6.2.0",
                      "@write @list @slow", "source destination <LEFT|RIGHT> <LEFT|RIGHT>"));
  CommandSpec lmpop =
      list_spec("lmpop", -4, kCmdWrite, 0, 0, lmpop_command, "Pop elements from a list", "7.0.0",
                "@write @list @slow", "numkeys key [key ...] <LEFT|RIGHT> [COUNT count]");
  lmpop.key_step = 0;
  lmpop.numkeys_index = 1;
  table.add(lmpop);

  constexpr std::uint32_t kBlocking = kCmdWrite | kCmdNoscript | kCmdBlocking;
  table.add(list_spec("blpop", -3, kBlocking, 1, -2, blpop_command,
                      "Remove and get the first element in a list, or block until one is "
                      "available",
                      "2.0.0", "@write @list @slow @blocking", "key [key ...] timeout"));
  table.add(list_spec("brpop", -3, kBlocking, 1, -2, brpop_command,
                      "Remove and get the last element in a list, or block until one is "
                      "available",
                      "2.0.0", "@write @list @slow @blocking", "key [key ...] timeout"));
  table.add(list_spec("brpoplpush", 4, kBlocking | kCmdDenyOom, 1, 2, brpoplpush_command,
                      "Pop an element from a list, push it to another list and return it; or "
                      "block until one is available",
                      "2.2.0", "@write @list @slow @blocking", "source destination timeout"));
  table.add(list_spec("blmove", 6, kBlocking | kCmdDenyOom, 1, 2, blmove_command,
                      "Pop an element from a list, push it to another list and return it; or "
                      "block until one is available",
                      "6.2.0", "@write @list @slow @blocking",
                      "source destination <LEFT|RIGHT> <LEFT|RIGHT> timeout"));
  CommandSpec blmpop = list_spec("blmpop", -5, kBlocking, 0, 0, blmpop_command,
                                 "Pop elements from a list or block until one is available",
                                 "7.0.0", "@write @list @slow @blocking",
                                 "timeout numkeys key [key ...] <LEFT|RIGHT> [COUNT count]");
  blmpop.key_step = 0;
  blmpop.numkeys_index = 2;
  table.add(blmpop);
}

}  // namespace eddy
