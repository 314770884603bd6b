// The set family: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
// SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN, with Redis 7.0's semantics,
// replies, error texts and error precedence (which check fails first when several would).
//
// Multi-key commands are written once, over one Db: when their keys live on several shards the
// cross-shard fallback (engine/tx/cross_shard_command.cc) runs these same handlers on a scratch
// shard holding copies of the keys. So handlers take everything from their context (the
// shard's rng and encoding limits included) and never hold an Entry pointer across a lookup
// that may delete an expired key or an insert: they keep pointers to the SetValue collections,
// which stay put while the table moves entries.
//
// Effects (engine/write_path.h): the deterministic writes (SADD, SREM, SMOVE, *STORE) are their
// own effect and propagate only when they changed something, as in Redis; SPOP is rewritten as
// SREM of the members it chose, or DEL when it took the whole set.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
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
#include "engine/config.h"
#include "engine/db.h"
#include "engine/kv/set_value.h"
#include "engine/kv/string_hash_set.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

using kv::SetValue;

// SRANDMEMBER with a negative count repeats members: its reply grows with the count alone, not
// with the data. Redis 7.0 would try to build any such reply; eddy refuses counts past this
// bound (a 16M-element reply is already hundreds of megabytes).
constexpr std::uint64_t kRepeatedMembersMax = std::uint64_t{1} << 24;
// ... nor a reply larger than a bulk string may be (a bulk's framing counted as 16 bytes).
constexpr std::uint64_t kReplyBytesMax = static_cast<std::uint64_t>(limits::bulk_bytes_max);
constexpr std::uint64_t kReplyOverheadBytes = 16;

// Redis's SPOP_MOVE_STRATEGY_MUL and SRANDMEMBER_SUB_STRATEGY_MUL: when a pop or a sample takes
// most of a set, build it from the other side.
constexpr std::uint64_t kPopRebuildFactor = 5;
constexpr std::uint64_t kSampleSubtractFactor = 3;

const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

bool is_set(const kv::Entry& entry) {
  return entry.value.type() == kv::Type::kSet;
}

const SetValue& set_of(const kv::Entry& entry) {
  return entry.value.as<SetValue>();
}

std::size_t intset_entries_max(CommandContext& ctx) {
  return SetValue::intset_entries_max(ctx.shard.encoding_limits());
}

// A reply whose leading part (a collection's length, SSCAN's next cursor) is known only once
// the elements after it are written: the elements go straight into the output and the leading
// part is put in front of them at the end (a few bytes: this moves the elements' bytes once and
// allocates nothing for a length header).
class DeferredHeader {
 public:
  explicit DeferredHeader(ReplyBuilder& reply) : reply_(reply), mark_(reply.out()->size()) {}
  // write(ReplyBuilder&) writes the leading part.
  template <typename Write>
  void finish(Write&& write) {
    std::string header;
    ReplyBuilder builder(&header, reply_.protocol());
    write(builder);
    // Past the output limit the elements were dropped: nothing to put a header in front of.
    if (reply_.dropping()) return;
    reply_.out()->insert(mark_, header);
  }

 private:
  ReplyBuilder& reply_;
  std::size_t mark_;
};

// Redis's getRangeLongFromObjectOrReply / getPositiveLongFromObjectOrReply: a custom message,
// when given, answers both a non-number and a number out of range.
bool parse_ranged(std::string_view text, std::int64_t min, std::int64_t max,
                  std::string_view message, std::int64_t* out, ReplyBuilder& reply) {
  std::int64_t value;
  if (!kv::Value::parse_canonical_int(text, &value)) {
    reply.error(message.empty() ? errors::kNotInteger : message);
    return false;
  }
  if (value < min || value > max) {
    if (!message.empty()) {
      reply.error(message);
    } else {
      reply.error("ERR value is out of range, value must between " + std::to_string(min) + " and " +
                  std::to_string(max));
    }
    return false;
  }
  *out = value;
  return true;
}

bool parse_positive(std::string_view text, std::int64_t* out, ReplyBuilder& reply) {
  return parse_ranged(text, 0, std::numeric_limits<std::int64_t>::max(),
                      "ERR value is out of range, must be positive", out, reply);
}

// Redis's parseScanCursorOrReply: strtoul over the argument (so "", "+5" and "-1" are cursors,
// the last one wrapping to the largest), no leading space, no trailing bytes, no overflow.
bool parse_scan_cursor(std::string_view text, std::uint64_t* cursor, ReplyBuilder& reply) {
  const TerminatedCopy copy(text);
  const char* start = copy.c_str();
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(start, &end, 10);
  if ((text.size() > 0 && std::isspace(static_cast<unsigned char>(text[0])) != 0) || *end != '\0' ||
      errno == ERANGE) {
    reply.error("ERR invalid cursor");
    return false;
  }
  *cursor = value;
  return true;
}

// The sets named by `keys`, looked up for reading: nullptr for a missing key. False, after
// answering WRONGTYPE, when a key holds another type (every key is looked up first, so a
// missing key never hides a later WRONGTYPE, as in Redis).
bool lookup_sets(CommandContext& ctx, Args keys, std::vector<const SetValue*>& sets) {
  sets.reserve(keys.size());
  for (std::string_view key : keys) {
    const kv::Entry* entry = lookup_read(ctx, key);
    if (entry == nullptr) {
      sets.push_back(nullptr);
      continue;
    }
    if (!is_set(*entry)) {
      ctx.reply.error(errors::kWrongType);
      return false;
    }
    sets.push_back(&set_of(*entry));
  }
  return true;
}

// *STORE's ending: `destination` becomes `result` (with no TTL, as SET does) when it has
// members, and is deleted when it has none. Replies the size.
void store_result(CommandContext& ctx, std::string_view destination,
                  std::unique_ptr<SetValue> result) {
  const std::size_t size = result->size();
  if (size > 0) {
    ctx.db.put(destination, kv::Value::of(std::move(result)), 0, ctx.now_ms);
  } else {
    ctx.db.erase(destination, ctx.now_ms);
  }
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

void reply_members(ReplyBuilder& reply, const SetValue& set) {
  reply.set(set.size());
  set.for_each([&](std::string_view member) { reply.bulk(member); });
}

// ---------------------------------------------------------------------------------------------
// SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS.

void sadd_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const Args members = ctx.args.subspan(2);
  const std::size_t limit = intset_entries_max(ctx);
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry == nullptr) {
    std::unique_ptr<SetValue> set = SetValue::for_first_member(members[0]);
    std::size_t added = 0;
    for (std::string_view member : members) added += set->add(member, limit) ? 1 : 0;
    ctx.db.put(key, kv::Value::of(std::move(set)), 0, ctx.now_ms);
    ctx.reply.integer(static_cast<std::int64_t>(added));
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  // Only a member that is new changes the key: until one is found nothing is touched, so a
  // SADD of members already there neither propagates nor disturbs a WATCH.
  std::size_t first_new = 0;
  const SetValue& current = set_of(*entry);
  while (first_new < members.size() && current.contains(members[first_new])) ++first_new;
  if (first_new == members.size()) {
    ctx.reply.integer(0);
    return;
  }
  std::size_t added = 0;
  ctx.db.update(entry, [&](kv::Value& value) {
    SetValue& set = value.as<SetValue>();
    for (std::size_t i = first_new; i < members.size(); ++i) {
      added += set.add(members[i], limit) ? 1 : 0;
    }
  });
  ctx.reply.integer(static_cast<std::int64_t>(added));
}

void srem_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const Args members = ctx.args.subspan(2);
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::size_t first_present = 0;
  const SetValue& current = set_of(*entry);
  while (first_present < members.size() && !current.contains(members[first_present])) {
    ++first_present;
  }
  if (first_present == members.size()) {
    ctx.reply.integer(0);
    return;
  }
  std::size_t removed = 0;
  bool emptied = false;
  ctx.db.update(entry, [&](kv::Value& value) {
    SetValue& set = value.as<SetValue>();
    for (std::size_t i = first_present; i < members.size() && !set.empty(); ++i) {
      removed += set.remove(members[i]) ? 1 : 0;
    }
    emptied = set.empty();
  });
  if (emptied) ctx.db.erase(entry);
  ctx.reply.integer(static_cast<std::int64_t>(removed));
}

void scard_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(static_cast<std::int64_t>(set_of(*entry).size()));
}

void sismember_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.integer(set_of(*entry).contains(ctx.args[2]) ? 1 : 0);
}

void smismember_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry != nullptr && !is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  // A missing key is an empty set: all zeros.
  const SetValue* set = entry == nullptr ? nullptr : &set_of(*entry);
  ctx.reply.array(ctx.args.size() - 2);
  for (std::size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.integer(set != nullptr && set->contains(ctx.args[i]) ? 1 : 0);
  }
}

void smembers_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.set(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  reply_members(ctx.reply, set_of(*entry));
}

// ---------------------------------------------------------------------------------------------
// SRANDMEMBER SPOP.

void srandmember_with_count(CommandContext& ctx) {
  std::int64_t requested;
  if (!parse_ranged(ctx.args[2], -std::numeric_limits<std::int64_t>::max(),
                    std::numeric_limits<std::int64_t>::max(), {}, &requested, ctx.reply)) {
    return;
  }
  const bool distinct = requested >= 0;
  const std::uint64_t count =
      distinct ? static_cast<std::uint64_t>(requested) : static_cast<std::uint64_t>(-requested);
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.array(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (count == 0) {
    ctx.reply.array(0);
    return;
  }
  const SetValue& set = set_of(*entry);
  const std::uint64_t size = set.size();
  Rng& rng = ctx.shard.runtime().rng();
  SetValue::MemberScratch scratch;

  // Repetitions allowed: independent draws (the only case whose order is itself random).
  if (!distinct || count == 1) {
    if (count > kRepeatedMembersMax) {
      ctx.reply.error("ERR count is out of range: SRANDMEMBER repeats at most " +
                      std::to_string(kRepeatedMembersMax) + " members in one reply");
      return;
    }
    // The reply's size is the client's to choose too: draw once with a copy of the generator
    // to size it, and refuse past what one bulk string may be, before writing anything.
    Rng probe = rng;
    std::uint64_t reply_bytes = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      reply_bytes += set.random_member(probe, scratch).size() + kReplyOverheadBytes;
      if (reply_bytes > kReplyBytesMax) {
        ctx.reply.error("ERR count is out of range: the SRANDMEMBER reply would exceed " +
                        std::to_string(kReplyBytesMax) + " bytes");
        return;
      }
    }
    ctx.reply.array(count);
    for (std::uint64_t i = 0; i < count; ++i) ctx.reply.bulk(set.random_member(rng, scratch));
    return;
  }
  // The whole set.
  if (count >= size) {
    ctx.reply.array(size);
    set.for_each([&](std::string_view member) { ctx.reply.bulk(member); });
    return;
  }
  kv::StringHashSet chosen;
  if (count * kSampleSubtractFactor > size) {
    // Most of the set: copy it all, then drop random members until `count` remain.
    chosen.reserve(size);
    set.for_each([&](std::string_view member) { chosen.insert(member); });
    std::string dropped;
    while (chosen.size() > count) {
      dropped.assign(chosen.random_member(rng));
      chosen.erase(dropped);
    }
  } else {
    // A small part of a large set: draw until `count` distinct members (each draw is new with
    // probability at least 2/3).
    chosen.reserve(count);
    while (chosen.size() < count) chosen.insert(set.random_member(rng, scratch));
  }
  ctx.reply.array(count);
  chosen.for_each([&](std::string_view member) { ctx.reply.bulk(member); });
}

void srandmember_command(CommandContext& ctx) {
  if (ctx.args.size() == 3) {
    srandmember_with_count(ctx);
    return;
  }
  if (ctx.args.size() > 3) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  SetValue::MemberScratch scratch;
  ctx.reply.bulk(set_of(*entry).random_member(ctx.shard.runtime().rng(), scratch));
}

void spop_with_count(CommandContext& ctx) {
  std::int64_t requested;
  if (!parse_positive(ctx.args[2], &requested, ctx.reply)) return;
  const auto count = static_cast<std::uint64_t>(requested);
  const std::string_view key = ctx.args[1];
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.set(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (count == 0) {
    ctx.reply.set(0);
    return;
  }
  const std::uint64_t size = set_of(*entry).size();
  if (count >= size) {
    // The whole set: the key goes, and so does the effect (DEL), as Redis propagates it.
    reply_members(ctx.reply, set_of(*entry));
    ctx.db.erase(entry);
    ctx.writes.emit(ctx.db_index, {"DEL", key});
    return;
  }
  Rng& rng = ctx.shard.runtime().rng();
  const std::size_t limit = intset_entries_max(ctx);
  const std::uint64_t remaining = size - count;
  ctx.reply.set(count);
  // The effect: one SREM naming every member taken.
  ctx.writes.emit_begin(ctx.db_index, "SREM");
  ctx.writes.emit_arg(key);
  ctx.db.update(entry, [&](kv::Value& value) {
    SetValue& set = value.as<SetValue>();
    SetValue::MemberScratch scratch;
    std::string member;
    if (remaining * kPopRebuildFactor > count) {
      // Few taken: draw and remove them one by one.
      for (std::uint64_t i = 0; i < count; ++i) {
        member.assign(set.random_member(rng, scratch));
        ctx.reply.bulk(member);
        ctx.writes.emit_arg(member);
        const bool removed = set.remove(member);
        ASSERT(removed);
      }
      return;
    }
    // Most taken: move the few that stay into a new set (which may take the small encoding
    // again, as in Redis), then answer with what is left in the old one.
    std::unique_ptr<SetValue> kept;
    for (std::uint64_t i = 0; i < remaining; ++i) {
      member.assign(set.random_member(rng, scratch));
      if (kept == nullptr) kept = SetValue::for_first_member(member);
      kept->add(member, limit);
      set.remove(member);
    }
    set.for_each([&](std::string_view taken) {
      ctx.reply.bulk(taken);
      ctx.writes.emit_arg(taken);
    });
    value = kv::Value::of(std::move(kept));  // destroys `set`
  });
  ctx.writes.emit_end();
}

void spop_command(CommandContext& ctx) {
  if (ctx.args.size() == 3) {
    spop_with_count(ctx);
    return;
  }
  if (ctx.args.size() > 3) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const std::string_view key = ctx.args[1];
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  SetValue::MemberScratch scratch;
  const std::string member(set_of(*entry).random_member(ctx.shard.runtime().rng(), scratch));
  bool emptied = false;
  ctx.db.update(entry, [&](kv::Value& value) {
    SetValue& set = value.as<SetValue>();
    const bool removed = set.remove(member);
    ASSERT(removed);
    emptied = set.empty();
  });
  if (emptied) ctx.db.erase(entry);
  // Redis propagates SREM even when it empties the set (the replica deletes the key then).
  ctx.writes.emit(ctx.db_index, {"SREM", key, member});
  ctx.reply.bulk(member);
}

// ---------------------------------------------------------------------------------------------
// SMOVE.

void smove_command(CommandContext& ctx) {
  const std::string_view source_key = ctx.args[1];
  const std::string_view destination_key = ctx.args[2];
  const std::string_view member = ctx.args[3];
  // Both are looked up before either is judged (the second lookup may delete an expired key
  // and move entries, so the first is looked up again).
  ctx.db.find(source_key, ctx.now_ms);
  const kv::Entry* destination = ctx.db.find(destination_key, ctx.now_ms);
  const kv::Entry* source = ctx.db.find(source_key, ctx.now_ms);
  if (source == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!is_set(*source) || (destination != nullptr && !is_set(*destination))) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (source == destination) {
    ctx.reply.integer(set_of(*source).contains(member) ? 1 : 0);
    return;
  }
  if (!set_of(*source).contains(member)) {
    ctx.reply.integer(0);
    return;
  }
  const bool in_destination = destination != nullptr && set_of(*destination).contains(member);
  bool emptied = false;
  ctx.db.update(source, [&](kv::Value& value) {
    SetValue& set = value.as<SetValue>();
    set.remove(member);
    emptied = set.empty();
  });
  if (emptied) ctx.db.erase(source);
  // The destination changes only when the member is new to it.
  if (!in_destination) {
    const std::size_t limit = intset_entries_max(ctx);
    destination = ctx.db.find(destination_key, ctx.now_ms);
    if (destination == nullptr) {
      std::unique_ptr<SetValue> set = SetValue::for_first_member(member);
      set->add(member, limit);
      ctx.db.put(destination_key, kv::Value::of(std::move(set)), 0, ctx.now_ms);
    } else {
      ctx.db.update(destination,
                    [&](kv::Value& value) { value.as<SetValue>().add(member, limit); });
    }
  }
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------------------------------------
// SINTER SINTERCARD SINTERSTORE (Redis's sinterGenericCommand).

enum class InterOutput { kMembers, kCardinality, kStore };

void sinter_generic(CommandContext& ctx, Args keys, InterOutput output,
                    std::string_view destination, std::uint64_t limit) {
  std::vector<const SetValue*> sets;
  if (!lookup_sets(ctx, keys, sets)) return;
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) {
    // A missing key is an empty set, and so is the intersection.
    switch (output) {
      case InterOutput::kStore:
        ctx.db.erase(destination, ctx.now_ms);
        ctx.reply.integer(0);
        return;
      case InterOutput::kCardinality:
        ctx.reply.integer(0);
        return;
      case InterOutput::kMembers:
        ctx.reply.set(0);
        return;
    }
  }
  // Walk the smallest set, probing the others.
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  const SetValue* smallest = sets[0];
  auto in_all = [&](std::string_view member) {
    for (std::size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != smallest && !sets[j]->contains(member)) return false;
    }
    return true;
  };
  switch (output) {
    case InterOutput::kCardinality: {
      std::uint64_t cardinality = 0;
      smallest->for_each_while([&](std::string_view member) {
        if (in_all(member)) ++cardinality;
        return limit == 0 || cardinality < limit;
      });
      ctx.reply.integer(static_cast<std::int64_t>(cardinality));
      return;
    }
    case InterOutput::kMembers: {
      DeferredHeader header(ctx.reply);
      std::size_t count = 0;
      smallest->for_each([&](std::string_view member) {
        if (!in_all(member)) return;
        ctx.reply.bulk(member);
        ++count;
      });
      header.finish([&](ReplyBuilder& reply) { reply.set(count); });
      return;
    }
    case InterOutput::kStore: {
      const std::size_t max = intset_entries_max(ctx);
      std::unique_ptr<SetValue> result = SetValue::empty_intset();
      smallest->for_each([&](std::string_view member) {
        if (in_all(member)) result->add(member, max);
      });
      store_result(ctx, destination, std::move(result));
      return;
    }
  }
}

void sinter_command(CommandContext& ctx) {
  sinter_generic(ctx, ctx.args.subspan(1), InterOutput::kMembers, {}, 0);
}

void sinterstore_command(CommandContext& ctx) {
  sinter_generic(ctx, ctx.args.subspan(2), InterOutput::kStore, ctx.args[1], 0);
}

void sintercard_command(CommandContext& ctx) {
  std::int64_t numkeys;
  if (!parse_ranged(ctx.args[1], 1, std::numeric_limits<std::int64_t>::max(),
                    "ERR numkeys should be greater than 0", &numkeys, ctx.reply)) {
    return;
  }
  if (static_cast<std::uint64_t>(numkeys) > ctx.args.size() - 2) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const std::size_t keys_end = 2 + static_cast<std::size_t>(numkeys);
  std::int64_t limit = 0;
  for (std::size_t j = keys_end; j < ctx.args.size(); ++j) {
    if (equals_ignore_case(ctx.args[j], "limit") && j + 1 < ctx.args.size()) {
      ++j;
      if (!parse_ranged(ctx.args[j], 0, std::numeric_limits<std::int64_t>::max(),
                        "ERR LIMIT can't be negative", &limit, ctx.reply)) {
        return;
      }
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  sinter_generic(ctx, ctx.args.subspan(2, static_cast<std::size_t>(numkeys)),
                 InterOutput::kCardinality, {}, static_cast<std::uint64_t>(limit));
}

// ---------------------------------------------------------------------------------------------
// SUNION SDIFF SUNIONSTORE SDIFFSTORE (Redis's sunionDiffGenericCommand).

enum class SetOp { kUnion, kDiff };

// Redis chooses between two difference algorithms by estimated work; the choice changes which
// members pass through the result (and so whether it stays an intset), so eddy makes the same.
std::unique_ptr<SetValue> union_or_diff(CommandContext& ctx, std::vector<const SetValue*>& sets,
                                        SetOp op) {
  const std::size_t max = intset_entries_max(ctx);
  std::unique_ptr<SetValue> result = SetValue::empty_intset();
  const SetValue* first = sets[0];
  if (op == SetOp::kUnion) {
    for (const SetValue* set : sets) {
      if (set == nullptr) continue;
      set->for_each([&](std::string_view member) { result->add(member, max); });
    }
    return result;
  }
  if (first == nullptr) return result;
  // The first set named again: nothing is left.
  for (std::size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] == first) return result;
  }
  std::uint64_t probe_work = 0;  // algorithm 1: each member of the first, against every set
  std::uint64_t walk_work = 0;   // algorithm 2: every member of every set
  for (const SetValue* set : sets) {
    if (set == nullptr) continue;
    probe_work += first->size();
    walk_work += set->size();
  }
  // Probing has better constants and stops early on shared members: Redis gives it 2x.
  probe_work /= 2;
  if (probe_work <= walk_work) {
    // Subtract the largest sets first: a member shared with one of them is dropped soonest.
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetValue* a, const SetValue* b) {
      return (a == nullptr ? 0 : a->size()) > (b == nullptr ? 0 : b->size());
    });
    first->for_each([&](std::string_view member) {
      for (std::size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] != nullptr && sets[j]->contains(member)) return;
      }
      result->add(member, max);
    });
    return result;
  }
  first->for_each([&](std::string_view member) { result->add(member, max); });
  for (std::size_t j = 1; j < sets.size() && !result->empty(); ++j) {
    if (sets[j] == nullptr) continue;
    sets[j]->for_each_while([&](std::string_view member) {
      result->remove(member);
      return !result->empty();
    });
  }
  return result;
}

void sunion_diff_generic(CommandContext& ctx, Args keys, SetOp op, bool store,
                         std::string_view destination) {
  std::vector<const SetValue*> sets;
  if (!lookup_sets(ctx, keys, sets)) return;
  std::unique_ptr<SetValue> result = union_or_diff(ctx, sets, op);
  if (store) {
    store_result(ctx, destination, std::move(result));
  } else {
    reply_members(ctx.reply, *result);
  }
}

void sunion_command(CommandContext& ctx) {
  sunion_diff_generic(ctx, ctx.args.subspan(1), SetOp::kUnion, false, {});
}
void sdiff_command(CommandContext& ctx) {
  sunion_diff_generic(ctx, ctx.args.subspan(1), SetOp::kDiff, false, {});
}
void sunionstore_command(CommandContext& ctx) {
  sunion_diff_generic(ctx, ctx.args.subspan(2), SetOp::kUnion, true, ctx.args[1]);
}
void sdiffstore_command(CommandContext& ctx) {
  sunion_diff_generic(ctx, ctx.args.subspan(2), SetOp::kDiff, true, ctx.args[1]);
}

// ---------------------------------------------------------------------------------------------
// SSCAN.

void sscan_command(CommandContext& ctx) {
  std::uint64_t cursor;
  if (!parse_scan_cursor(ctx.args[2], &cursor, ctx.reply)) return;
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  // As in Redis, the key is judged before the options are parsed.
  if (entry == nullptr) {
    ctx.reply.array(2);
    ctx.reply.bulk("0");
    ctx.reply.array(0);
    return;
  }
  if (!is_set(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  std::int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (std::size_t i = 3; i < ctx.args.size(); i += 2) {
    const bool has_value = i + 1 < ctx.args.size();
    if (equals_ignore_case(ctx.args[i], "count") && has_value) {
      if (!parse_int64_arg(ctx.args[i + 1], &count, ctx.reply)) return;
      if (count < 1) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
    } else if (equals_ignore_case(ctx.args[i], "match") && has_value) {
      pattern = ctx.args[i + 1];
      use_pattern = pattern != "*";  // "*" matches everything: no need to look
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  ctx.reply.array(2);
  // The next cursor and the member count precede the members but are known only after them.
  DeferredHeader header(ctx.reply);
  std::size_t found = 0;
  const std::uint64_t next =
      set_of(*entry).scan(cursor, static_cast<std::size_t>(count), [&](std::string_view member) {
        if (use_pattern && !glob_match(pattern, member)) return;
        ctx.reply.bulk(member);
        ++found;
      });
  header.finish([&](ReplyBuilder& reply) {
    char text[24];
    const auto printed = std::to_chars(text, text + sizeof(text), next);
    reply.bulk(std::string_view(text, static_cast<std::size_t>(printed.ptr - text)));
    reply.array(found);
  });
}

// ---------------------------------------------------------------------------------------------

CommandSpec set_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                     int last_key, int key_step, CommandHandler handler, std::string_view summary,
                     std::string_view since, std::string_view acl_categories,
                     std::string_view syntax) {
  CommandSpec spec = keyed_spec("set", name, arity, flags, first_key, last_key, key_step, handler,
                                summary, since, acl_categories);
  spec.syntax = syntax;
  return spec;
}

}  // namespace

void register_set_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr std::uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  table.add(set_spec("sadd", -3, kWriteOom | kCmdFast, 1, 1, 1, sadd_command,
                     "Add one or more members to a set", "1.0.0", "@write @set @fast",
                     "key member [member ...]"));
  table.add(set_spec("srem", -3, kWriteFast, 1, 1, 1, srem_command,
                     "Remove one or more members from a set", "1.0.0", "@write @set @fast",
                     "key member [member ...]"));
  table.add(set_spec("scard", 2, kRoFast, 1, 1, 1, scard_command,
                     "Get the number of members in a set", "1.0.0", "@read @set @fast", "key"));
  table.add(set_spec("sismember", 3, kRoFast, 1, 1, 1, sismember_command,
                     "Determine if a given value is a member of a set", "1.0.0", "@read @set @fast",
                     "key member"));
  table.add(set_spec("smismember", -3, kRoFast, 1, 1, 1, smismember_command,
                     "Returns the membership associated with the given elements for a set", "6.2.0",
                     "@read @set @fast", "key member [member ...]"));
  table.add(set_spec("smembers", 2, kCmdReadonly, 1, 1, 1, smembers_command,
                     "Get all the members in a set", "1.0.0", "@read @set @slow", "key"));
  table.add(set_spec("srandmember", -2, kCmdReadonly, 1, 1, 1, srandmember_command,
                     "Get one or multiple random members from a set", "1.0.0", "@read @set @slow",
                     "key [count]"));
  table.add(set_spec("spop", -2, kWriteFast, 1, 1, 1, spop_command,
                     "Remove and return one or multiple random members from a set", "1.0.0",
                     "@write @set @fast", "key [count]"));
  table.add(set_spec("smove", 4, kWriteFast, 1, 2, 1, smove_command,
                     "Move a member from one set to another", "1.0.0", "@write @set @fast",
                     "source destination member"));
  table.add(set_spec("sinter", -2, kCmdReadonly, 1, -1, 1, sinter_command,
                     "Intersect multiple sets", "1.0.0", "@read @set @slow", "key [key ...]"));
  CommandSpec sintercard =
      set_spec("sintercard", -3, kCmdReadonly, 0, 0, 0, sintercard_command,
               "Intersect multiple sets and return the cardinality of the result", "7.0.0",
               "@read @set @slow", "numkeys key [key ...] [LIMIT limit]");
  sintercard.numkeys_index = 1;
  table.add(sintercard);
  table.add(set_spec("sunion", -2, kCmdReadonly, 1, -1, 1, sunion_command, "Add multiple sets",
                     "1.0.0", "@read @set @slow", "key [key ...]"));
  table.add(set_spec("sdiff", -2, kCmdReadonly, 1, -1, 1, sdiff_command, "Subtract multiple sets",
                     "1.0.0", "@read @set @slow", "key [key ...]"));
  table.add(set_spec("sinterstore", -3, kWriteOom, 1, -1, 1, sinterstore_command,
                     "Intersect multiple sets and store the resulting set in a key", "1.0.0",
                     "@write @set @slow", "destination key [key ...]"));
  table.add(set_spec("sunionstore", -3, kWriteOom, 1, -1, 1, sunionstore_command,
                     "Add multiple sets and store the resulting set in a key", "1.0.0",
                     "@write @set @slow", "destination key [key ...]"));
  table.add(set_spec("sdiffstore", -3, kWriteOom, 1, -1, 1, sdiffstore_command,
                     "Subtract multiple sets and store the resulting set in a key", "1.0.0",
                     "@write @set @slow", "destination key [key ...]"));
  table.add(set_spec("sscan", -3, kCmdReadonly, 1, 1, 1, sscan_command,
                     "Incrementally iterate Set elements", "2.8.0", "@read @set @slow",
                     "key cursor [MATCH pattern] [COUNT count]"));
}

}  // namespace eddy
