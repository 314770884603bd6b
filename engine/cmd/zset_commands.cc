// The sorted-set family: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT
// ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
// ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZRANDMEMBER ZUNIONSTORE
// ZINTERSTORE ZDIFFSTORE ZUNION ZINTER ZDIFF ZINTERCARD ZSCAN, with Redis 7.0's replies, error
// texts and error precedence.
//
// Effects: every write here is deterministic given the keyspace (ZINCRBY's float arithmetic is
// the same on a replica, ZPOPMIN pops what the replica would pop, the lexicographic searches
// depend on the contents only: see zset_value.h), so each is its own effect, verbatim. A write
// that changes nothing does not touch the key (no effect, no WATCH version bump), as in Redis.
// The multi-key commands run unchanged under the cross-shard fallback (engine/tx): they only
// use the Db, the shard's encoding limits and its Rng they are handed.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/config.h"
#include "engine/db.h"
#include "engine/kv/hash_seed.h"
#include "engine/kv/zset_value.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

using kv::ZSetValue;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

bool is_zset(const kv::Entry& entry) {
  return entry.value.type() == kv::Type::kZSet;
}

const ZSetValue& zset_of(const kv::Entry& entry) {
  return entry.value.as<ZSetValue>();
}

Rng& rng_of(CommandContext& ctx) {
  return ctx.shard.runtime().rng();
}

// `entry` when it holds a sorted set; else nullptr after answering: `reply_missing()` when there
// is no entry, WRONGTYPE when it holds another type.
template <typename ReplyMissing>
const kv::Entry* find_zset_or_reply(CommandContext& ctx, const kv::Entry* entry,
                                    ReplyMissing&& reply_missing) {
  if (entry == nullptr) {
    reply_missing();
    return nullptr;
  }
  if (!is_zset(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return nullptr;
  }
  return entry;
}

// Deletes the key once its set is empty (Redis keeps no empty collections).
void erase_if_empty(CommandContext& ctx, const kv::Entry* entry) {
  if (zset_of(*entry).size() == 0) ctx.db.erase(entry);
}

// ---------------------------------------------------------------------------------------------
// Argument parsing, with Redis's error texts.

// Redis's getPositiveLongFromObjectOrReply / getRangeLongFromObjectOrReply: the message given
// replaces both the not-a-number and the out-of-range errors.
bool parse_non_negative(std::string_view text, std::string_view message, std::int64_t* out,
                        ReplyBuilder& reply) {
  std::int64_t value;
  if (!kv::Value::parse_canonical_int(text, &value) || value < 0) {
    reply.error(message);
    return false;
  }
  *out = value;
  return true;
}

// strtod as Redis calls it for ranges: leading space and hex are accepted, overflow gives
// +-inf, and the text must be consumed up to its end (or an embedded NUL); NaN is refused.
bool parse_range_double(std::string_view text, double* out) {
  const TerminatedCopy copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (*end != '\0' || std::isnan(value)) return false;
  *out = value;
  return true;
}

// Redis's zslParseRange: "1.5" inclusive, "(1.5" exclusive.
bool parse_score_range(std::string_view min, std::string_view max, kv::ScoreRange* range) {
  range->min_exclusive = !min.empty() && min[0] == '(';
  range->max_exclusive = !max.empty() && max[0] == '(';
  return parse_range_double(range->min_exclusive ? min.substr(1) : min, &range->min) &&
         parse_range_double(range->max_exclusive ? max.substr(1) : max, &range->max);
}

bool parse_score_range_or_reply(std::string_view min, std::string_view max, kv::ScoreRange* range,
                                ReplyBuilder& reply) {
  if (parse_score_range(min, max, range)) return true;
  reply.error("ERR min or max is not a float");
  return false;
}

// Redis's zslParseLexRangeItem. "+" and "-" may be followed only by a NUL (Redis reads the
// bound as a C string).
bool parse_lex_bound(std::string_view text, kv::LexBound* bound) {
  if (text.empty()) return false;
  const bool alone = text.size() == 1 || text[1] == '\0';
  switch (text[0]) {
    case '+':
      if (!alone) return false;
      *bound = {kv::LexBound::Kind::kPlusInfinity, true, {}};
      return true;
    case '-':
      if (!alone) return false;
      *bound = {kv::LexBound::Kind::kMinusInfinity, true, {}};
      return true;
    case '(':
      *bound = {kv::LexBound::Kind::kBytes, true, text.substr(1)};
      return true;
    case '[':
      *bound = {kv::LexBound::Kind::kBytes, false, text.substr(1)};
      return true;
    default:
      return false;
  }
}

bool parse_lex_range_or_reply(std::string_view min, std::string_view max, kv::LexRange* range,
                              ReplyBuilder& reply) {
  if (parse_lex_bound(min, &range->min) && parse_lex_bound(max, &range->max)) return true;
  reply.error("ERR min or max not valid string range item");
  return false;
}

// Redis's rank clamping (ZRANGE, ZREMRANGEBYRANK): negative indexes count from the end; false
// when the range is empty, else [*first, *last] within [0, length).
bool clamp_ranks(std::int64_t start, std::int64_t end, std::size_t length, std::size_t* first,
                 std::size_t* last) {
  const auto llen = static_cast<std::int64_t>(length);
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return false;
  if (end >= llen) end = llen - 1;
  *first = static_cast<std::size_t>(start);
  *last = static_cast<std::size_t>(end);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Replies of member lists: RESP2 a flat array (member, score, ...) WITHSCORES; RESP3 an array
// of [member, score] pairs (not a map: the order matters), as Redis does.

class ElementReply {
 public:
  ElementReply(ReplyBuilder& reply, bool withscores) : reply_(reply), withscores_(withscores) {}
  void begin(std::size_t count) {
    reply_.array(withscores_ && reply_.protocol() < 3 ? count * 2 : count);
  }
  void element(std::string_view member, double score) {
    if (withscores_ && reply_.protocol() >= 3) reply_.array(2);
    reply_.bulk(member);
    if (withscores_) reply_.double_value(score);
  }

 private:
  ReplyBuilder& reply_;
  bool withscores_;
};

// `count` elements from 0-based rank `first` up, or (reverse) from rank first + count - 1 down.
template <typename Sink>
void for_each_in_ranks(const ZSetValue& zset, std::size_t first, std::size_t count, bool reverse,
                       Sink&& sink) {
  if (count == 0) return;
  ZSetValue::Cursor c = zset.at(reverse ? first + count - 1 : first);
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT(c.valid());
    sink(c.member(), c.score());
    if (reverse) {
      c.prev();
    } else {
      c.next();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ZADD ZINCRBY.

struct ZaddOptions {
  unsigned flags = 0;
  bool ch = false;
  std::size_t first_pair = 2;  // index of the first score
  std::size_t pairs = 0;
  // The first scores, parsed once (the common ZADD names a few pairs); later ones are parsed
  // again when used, so no command allocates for its scores.
  static constexpr std::size_t kParsedScores = 16;
  double parsed[kParsedScores];
};

// A score as ZADD reads it (Redis's string2d, the rule of parse_double_arg).
bool parse_score(std::string_view text, double* out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) != 0) return false;
  const TerminatedCopy copy(text);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  const bool range_error =
      errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || value == 0.0);
  if (static_cast<std::size_t>(end - copy.c_str()) != text.size() || range_error ||
      std::isnan(value)) {
    return false;
  }
  *out = value;
  return true;
}

// Redis's zaddGenericCommand up to the key lookup, errors in its order.
bool parse_zadd(Args args, unsigned base_flags, ZaddOptions* options, ReplyBuilder& reply) {
  unsigned flags = base_flags;
  std::size_t i = 2;
  for (; i < args.size(); ++i) {
    const std::string_view option = args[i];
    if (equals_ignore_case(option, "nx")) {
      flags |= ZSetValue::kAddNx;
    } else if (equals_ignore_case(option, "xx")) {
      flags |= ZSetValue::kAddXx;
    } else if (equals_ignore_case(option, "ch")) {
      options->ch = true;
    } else if (equals_ignore_case(option, "incr")) {
      flags |= ZSetValue::kAddIncr;
    } else if (equals_ignore_case(option, "gt")) {
      flags |= ZSetValue::kAddGt;
    } else if (equals_ignore_case(option, "lt")) {
      flags |= ZSetValue::kAddLt;
    } else {
      break;
    }
  }
  const std::size_t elements = args.size() - i;
  if (elements == 0 || elements % 2 != 0) {
    reply.error(errors::kSyntax);
    return false;
  }
  const bool nx = (flags & ZSetValue::kAddNx) != 0;
  const bool xx = (flags & ZSetValue::kAddXx) != 0;
  const bool gt = (flags & ZSetValue::kAddGt) != 0;
  const bool lt = (flags & ZSetValue::kAddLt) != 0;
  if (nx && xx) {
    reply.error("ERR XX and NX options at the same time are not compatible");
    return false;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return false;
  }
  if ((flags & ZSetValue::kAddIncr) != 0 && elements > 2) {
    reply.error("ERR INCR option supports a single increment-element pair");
    return false;
  }
  // Every score is checked before anything changes: the command applies fully or not at all.
  for (std::size_t j = i, pair = 0; j < args.size(); j += 2, ++pair) {
    double score;
    if (!parse_score(args[j], &score)) {
      reply.error(errors::kNotFloat);
      return false;
    }
    if (pair < ZaddOptions::kParsedScores) options->parsed[pair] = score;
  }
  options->flags = flags;
  options->first_pair = i;
  options->pairs = elements / 2;
  return true;
}

double pair_score(Args args, const ZaddOptions& options, std::size_t pair) {
  if (pair < ZaddOptions::kParsedScores) return options.parsed[pair];
  double score = 0;
  const bool parsed = parse_score(args[options.first_pair + 2 * pair], &score);
  ASSERT(parsed);  // parse_zadd checked every score
  return score;
}

constexpr std::string_view kNanScore = "ERR resulting score is not a number (NaN)";

void zadd_generic(CommandContext& ctx, unsigned base_flags) {
  ZaddOptions options;
  if (!parse_zadd(ctx.args, base_flags, &options, ctx.reply)) return;
  const bool incr = (options.flags & ZSetValue::kAddIncr) != 0;
  const std::string_view key = ctx.args[1];
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry != nullptr && !is_zset(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  auto member_of = [&](std::size_t pair) { return ctx.args[options.first_pair + 2 * pair + 1]; };

  // Whether anything will change: the first pair that changes the set as it is now is the first
  // change of the whole command too (earlier pairs changed nothing), so looking at each pair
  // against the current set until one changes it is exact.
  bool changes = false;
  std::size_t processed = 0;
  double last_score = 0;
  if (entry == nullptr) {
    if ((options.flags & ZSetValue::kAddXx) != 0) {
      // No key and XX: nothing to do (and no key is created).
      if (incr) {
        ctx.reply.null();
      } else {
        ctx.reply.integer(0);
      }
      return;
    }
    changes = true;  // the first pair adds a member to the new set
  } else {
    const ZSetValue& zset = zset_of(*entry);
    for (std::size_t p = 0; p < options.pairs && !changes; ++p) {
      double result;
      switch (
          zset.plan_add(pair_score(ctx.args, options, p), member_of(p), options.flags, &result)) {
        case ZSetValue::AddResult::kAdded:
        case ZSetValue::AddResult::kUpdated:
          changes = true;
          break;
        case ZSetValue::AddResult::kUnchanged:
          ++processed;
          last_score = result;
          break;
        case ZSetValue::AddResult::kSkipped:
          break;
        case ZSetValue::AddResult::kNan:
          ctx.reply.error(kNanScore);
          return;
      }
    }
  }
  if (!changes) {
    if (incr) {
      if (processed > 0) {
        ctx.reply.double_value(last_score);
      } else {
        ctx.reply.null();
      }
    } else {
      ctx.reply.integer(0);
    }
    return;
  }

  if (entry == nullptr) entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  std::size_t added = 0;
  std::size_t updated = 0;
  processed = 0;
  const kv::EncodingLimits& limits = ctx.shard.encoding_limits();
  Rng& rng = rng_of(ctx);
  ctx.db.update(entry, [&](kv::Value& value) {
    if (!value.is_collection()) value = kv::Value::of(std::make_unique<ZSetValue>());
    ZSetValue& zset = value.as<ZSetValue>();
    for (std::size_t p = 0; p < options.pairs; ++p) {
      double result = 0;
      switch (zset.add(pair_score(ctx.args, options, p), member_of(p), options.flags, limits, rng,
                       &result)) {
        case ZSetValue::AddResult::kAdded:
          ++added;
          ++processed;
          last_score = result;
          break;
        case ZSetValue::AddResult::kUpdated:
          ++updated;
          ++processed;
          last_score = result;
          break;
        case ZSetValue::AddResult::kUnchanged:
          ++processed;
          last_score = result;
          break;
        case ZSetValue::AddResult::kSkipped:
          break;
        case ZSetValue::AddResult::kNan:
          // Only INCR makes NaN, with one pair, and the plan above saw it change the set.
          ASSERT_MSG(false, "NaN after a planned change");
          break;
      }
    }
  });
  if (incr) {
    if (processed > 0) {
      ctx.reply.double_value(last_score);
    } else {
      ctx.reply.null();
    }
  } else {
    ctx.reply.integer(static_cast<std::int64_t>(options.ch ? added + updated : added));
  }
}

void zadd_command(CommandContext& ctx) {
  zadd_generic(ctx, 0);
}
void zincrby_command(CommandContext& ctx) {
  zadd_generic(ctx, ZSetValue::kAddIncr);
}

// ---------------------------------------------------------------------------------------------
// ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT.

void zrem_command(CommandContext& ctx) {
  const kv::Entry* entry =
      find_zset_or_reply(ctx, ctx.db.find(ctx.args[1], ctx.now_ms), [&] { ctx.reply.integer(0); });
  if (entry == nullptr) return;
  const ZSetValue& current = zset_of(*entry);
  bool any = false;
  double unused;
  for (std::size_t i = 2; i < ctx.args.size() && !any; ++i) {
    any = current.score(ctx.args[i], &unused);
  }
  if (!any) {
    ctx.reply.integer(0);
    return;
  }
  std::size_t deleted = 0;
  ctx.db.update(entry, [&](kv::Value& value) {
    ZSetValue& zset = value.as<ZSetValue>();
    for (std::size_t i = 2; i < ctx.args.size() && zset.size() > 0; ++i) {
      if (zset.remove(ctx.args[i])) ++deleted;
    }
  });
  erase_if_empty(ctx, entry);
  ctx.reply.integer(static_cast<std::int64_t>(deleted));
}

void zcard_command(CommandContext& ctx) {
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] { ctx.reply.integer(0); });
  if (entry == nullptr) return;
  ctx.reply.integer(static_cast<std::int64_t>(zset_of(*entry).size()));
}

void zscore_command(CommandContext& ctx) {
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] { ctx.reply.null(); });
  if (entry == nullptr) return;
  double score;
  if (zset_of(*entry).score(ctx.args[2], &score)) {
    ctx.reply.double_value(score);
  } else {
    ctx.reply.null();
  }
}

void zmscore_command(CommandContext& ctx) {
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry != nullptr && !is_zset(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  ctx.reply.array(ctx.args.size() - 2);
  for (std::size_t i = 2; i < ctx.args.size(); ++i) {
    double score;
    // A missing key answers as an empty set would.
    if (entry != nullptr && zset_of(*entry).score(ctx.args[i], &score)) {
      ctx.reply.double_value(score);
    } else {
      ctx.reply.null();
    }
  }
}

void zrank_generic(CommandContext& ctx, bool reverse) {
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] { ctx.reply.null(); });
  if (entry == nullptr) return;
  const ZSetValue& zset = zset_of(*entry);
  std::size_t rank;
  if (!zset.rank(ctx.args[2], &rank)) {
    ctx.reply.null();
    return;
  }
  if (reverse) rank = zset.size() - 1 - rank;
  ctx.reply.integer(static_cast<std::int64_t>(rank));
}

void zrank_command(CommandContext& ctx) {
  zrank_generic(ctx, false);
}
void zrevrank_command(CommandContext& ctx) {
  zrank_generic(ctx, true);
}

void zcount_command(CommandContext& ctx) {
  kv::ScoreRange range;
  if (!parse_score_range_or_reply(ctx.args[2], ctx.args[3], &range, ctx.reply)) return;
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] { ctx.reply.integer(0); });
  if (entry == nullptr) return;
  ctx.reply.integer(static_cast<std::int64_t>(zset_of(*entry).count_in(range)));
}

void zlexcount_command(CommandContext& ctx) {
  kv::LexRange range;
  if (!parse_lex_range_or_reply(ctx.args[2], ctx.args[3], &range, ctx.reply)) return;
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] { ctx.reply.integer(0); });
  if (entry == nullptr) return;
  ctx.reply.integer(static_cast<std::int64_t>(zset_of(*entry).count_in(range)));
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its variants (Redis's zrangeGenericCommand).

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

struct RangeRequest {
  RangeRequest(RangeType type_, Direction direction_, bool store_, std::size_t src_)
      : type(type_), direction(direction_), store(store_), src(src_) {}

  RangeType type;
  Direction direction;
  bool store;       // ZRANGESTORE: args[1] is the destination
  std::size_t src;  // index of the source key
  bool withscores = false;
  std::int64_t offset = 0;
  std::int64_t limit = -1;  // Redis's "no limit"; any negative limit means no limit
  std::int64_t start = 0;   // rank ranges
  std::int64_t end = 0;
  kv::ScoreRange scores;
  kv::LexRange lex;
};

// Parses options and the range; false after replying an error.
bool parse_range_request(CommandContext& ctx, RangeRequest* request) {
  const Args args = ctx.args;
  for (std::size_t j = request->src + 3; j < args.size(); ++j) {
    const std::size_t left = args.size() - j - 1;
    const std::string_view option = args[j];
    if (!request->store && equals_ignore_case(option, "withscores")) {
      request->withscores = true;
    } else if (equals_ignore_case(option, "limit") && left >= 2) {
      if (!parse_int64_arg(args[j + 1], &request->offset, ctx.reply) ||
          !parse_int64_arg(args[j + 2], &request->limit, ctx.reply)) {
        return false;
      }
      j += 2;
    } else if (request->direction == Direction::kAuto && equals_ignore_case(option, "rev")) {
      request->direction = Direction::kReverse;
    } else if (request->type == RangeType::kAuto && equals_ignore_case(option, "bylex")) {
      request->type = RangeType::kLex;
    } else if (request->type == RangeType::kAuto && equals_ignore_case(option, "byscore")) {
      request->type = RangeType::kScore;
    } else {
      ctx.reply.error(errors::kSyntax);
      return false;
    }
  }
  if (request->direction == Direction::kAuto) request->direction = Direction::kForward;
  if (request->type == RangeType::kAuto) request->type = RangeType::kRank;
  // Redis tests the limit's value, not whether LIMIT was given: "LIMIT 0 -1" passes.
  if (request->limit != -1 && request->type == RangeType::kRank) {
    ctx.reply.error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (request->withscores && request->type == RangeType::kLex) {
    ctx.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  std::string_view min = args[request->src + 1];
  std::string_view max = args[request->src + 2];
  const bool reverse = request->direction == Direction::kReverse;
  // Reversed score and lex ranges are given as max, min.
  if (reverse && request->type != RangeType::kRank) std::swap(min, max);
  switch (request->type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      return parse_int64_arg(min, &request->start, ctx.reply) &&
             parse_int64_arg(max, &request->end, ctx.reply);
    case RangeType::kScore:
      return parse_score_range_or_reply(min, max, &request->scores, ctx.reply);
    case RangeType::kLex:
      return parse_lex_range_or_reply(min, max, &request->lex, ctx.reply);
  }
  return true;
}

// The ranks a request selects: `count` elements from rank `first` (ascending), emitted from the
// top down when `reverse`.
struct RankSpan {
  std::size_t first = 0;
  std::size_t count = 0;
  bool reverse = false;
};

RankSpan resolve_ranks(const ZSetValue& zset, const RangeRequest& request) {
  RankSpan span;
  span.reverse = request.direction == Direction::kReverse;
  const std::size_t length = zset.size();
  if (request.type == RangeType::kRank) {
    std::size_t first;
    std::size_t last;
    if (!clamp_ranks(request.start, request.end, length, &first, &last)) return span;
    if (span.reverse) {
      // Indexes of a reversed range count from the top.
      span.first = length - 1 - last;
    } else {
      span.first = first;
    }
    span.count = last - first + 1;
    return span;
  }
  ZSetValue::Found low;
  ZSetValue::Found high;
  if (request.type == RangeType::kScore) {
    low = zset.first_in(request.scores);
    if (low.cursor.valid()) high = zset.last_in(request.scores);
  } else {
    low = zset.first_in(request.lex);
    if (low.cursor.valid()) high = zset.last_in(request.lex);
  }
  if (!low.cursor.valid() || !high.cursor.valid() || high.rank < low.rank) return span;
  const std::size_t in_range = high.rank - low.rank + 1;
  // Redis walks `offset` elements before emitting: a negative offset walks off the end.
  if (request.offset < 0 || static_cast<std::uint64_t>(request.offset) >= in_range) return span;
  const auto offset = static_cast<std::size_t>(request.offset);
  std::size_t count = in_range - offset;
  if (request.limit >= 0 && static_cast<std::uint64_t>(request.limit) < count) {
    count = static_cast<std::size_t>(request.limit);
  }
  span.count = count;
  span.first = span.reverse ? high.rank - offset - (count - 1) : low.rank + offset;
  return span;
}

void store_range(CommandContext& ctx, const ZSetValue* source, const RankSpan& span,
                 RangeType type) {
  const std::string_view destination = ctx.args[1];
  if (source == nullptr || span.count == 0) {
    ctx.db.erase(destination, ctx.now_ms);
    ctx.reply.integer(0);
    return;
  }
  const kv::EncodingLimits& limits = ctx.shard.encoding_limits();
  Rng& rng = rng_of(ctx);
  // Redis starts a rank range's result in the form its length calls for, and a score or lex
  // range's (length unknown to it up front) as a listpack; adding converts from there.
  auto result = type == RangeType::kRank ? ZSetValue::for_contents(span.count, 0, 0, limits, rng)
                                         : std::make_unique<ZSetValue>();
  for_each_in_ranks(*source, span.first, span.count, span.reverse,
                    [&](std::string_view member, double score) {
                      double unused;
                      result->add(score, member, 0, limits, rng, &unused);
                    });
  const std::size_t stored = result->size();
  // The source's entry is not used after this: put may move entries.
  ctx.db.put(destination, kv::Value::of(std::move(result)), 0, ctx.now_ms);
  ctx.reply.integer(static_cast<std::int64_t>(stored));
}

void zrange_generic(CommandContext& ctx, RangeRequest request) {
  if (!parse_range_request(ctx, &request)) return;
  const std::string_view key = ctx.args[request.src];
  const kv::Entry* entry = lookup_read(ctx, key);
  if (entry == nullptr) {
    if (request.store) {
      store_range(ctx, nullptr, {}, request.type);
    } else {
      ctx.reply.array(0);
    }
    return;
  }
  if (!is_zset(*entry)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const ZSetValue& zset = zset_of(*entry);
  const RankSpan span = resolve_ranks(zset, request);
  if (request.store) {
    store_range(ctx, &zset, span, request.type);
    return;
  }
  ElementReply out(ctx.reply, request.withscores);
  out.begin(span.count);
  for_each_in_ranks(zset, span.first, span.count, span.reverse,
                    [&](std::string_view member, double score) { out.element(member, score); });
}

void zrange_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kAuto, Direction::kAuto, false, 1));
}
void zrangestore_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kAuto, Direction::kAuto, true, 2));
}
void zrevrange_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kRank, Direction::kReverse, false, 1));
}
void zrangebyscore_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kScore, Direction::kForward, false, 1));
}
void zrevrangebyscore_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kScore, Direction::kReverse, false, 1));
}
void zrangebylex_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kLex, Direction::kForward, false, 1));
}
void zrevrangebylex_command(CommandContext& ctx) {
  zrange_generic(ctx, RangeRequest(RangeType::kLex, Direction::kReverse, false, 1));
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX (Redis's zremrangeGenericCommand).

void zremrange_generic(CommandContext& ctx, RangeType type) {
  std::int64_t start = 0;
  std::int64_t end = 0;
  kv::ScoreRange scores;
  kv::LexRange lex;
  switch (type) {
    case RangeType::kRank:
      if (!parse_int64_arg(ctx.args[2], &start, ctx.reply) ||
          !parse_int64_arg(ctx.args[3], &end, ctx.reply)) {
        return;
      }
      break;
    case RangeType::kScore:
      if (!parse_score_range_or_reply(ctx.args[2], ctx.args[3], &scores, ctx.reply)) return;
      break;
    case RangeType::kLex:
      if (!parse_lex_range_or_reply(ctx.args[2], ctx.args[3], &lex, ctx.reply)) return;
      break;
    case RangeType::kAuto:
      UNREACHABLE();
  }
  const kv::Entry* entry =
      find_zset_or_reply(ctx, ctx.db.find(ctx.args[1], ctx.now_ms), [&] { ctx.reply.integer(0); });
  if (entry == nullptr) return;
  const ZSetValue& zset = zset_of(*entry);
  std::size_t first = 0;
  std::size_t count = 0;
  if (type == RangeType::kRank) {
    std::size_t last;
    if (clamp_ranks(start, end, zset.size(), &first, &last)) count = last - first + 1;
  } else {
    ZSetValue::Found low = type == RangeType::kScore ? zset.first_in(scores) : zset.first_in(lex);
    if (low.cursor.valid()) {
      ZSetValue::Found high = type == RangeType::kScore ? zset.last_in(scores) : zset.last_in(lex);
      if (high.cursor.valid() && high.rank >= low.rank) {
        first = low.rank;
        count = high.rank - low.rank + 1;
      }
    }
  }
  if (count == 0) {
    ctx.reply.integer(0);
    return;
  }
  ctx.db.update(entry, [&](kv::Value& value) { value.as<ZSetValue>().remove_ranks(first, count); });
  erase_if_empty(ctx, entry);
  ctx.reply.integer(static_cast<std::int64_t>(count));
}

void zremrangebyrank_command(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kRank);
}
void zremrangebyscore_command(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kScore);
}
void zremrangebylex_command(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kLex);
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN ZPOPMAX.

void zpop_generic(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  std::int64_t count = -1;  // no count: one element, always a flat reply
  if (ctx.args.size() == 3 &&
      !parse_non_negative(ctx.args[2], "ERR value is out of range, must be positive", &count,
                          ctx.reply)) {
    return;
  }
  const kv::Entry* entry =
      find_zset_or_reply(ctx, ctx.db.find(ctx.args[1], ctx.now_ms), [&] { ctx.reply.array(0); });
  if (entry == nullptr) return;
  if (count == 0) {
    ctx.reply.array(0);
    return;
  }
  const ZSetValue& zset = zset_of(*entry);
  const std::size_t length = zset.size();
  const std::size_t popped =
      count < 0 ? 1 : std::min<std::size_t>(length, static_cast<std::uint64_t>(count));
  const bool nested = ctx.reply.protocol() >= 3 && count > 0;
  ctx.reply.array(nested ? popped : popped * 2);
  const std::size_t first = max ? length - popped : 0;
  // The reply is written from the set before the elements go.
  for_each_in_ranks(zset, first, popped, max, [&](std::string_view member, double score) {
    if (nested) ctx.reply.array(2);
    ctx.reply.bulk(member);
    ctx.reply.double_value(score);
  });
  ctx.db.update(entry,
                [&](kv::Value& value) { value.as<ZSetValue>().remove_ranks(first, popped); });
  erase_if_empty(ctx, entry);
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (Redis's zmpopGenericCommand): pops from
// the first key that exists; a key of another type there is WRONGTYPE. Propagated as
// ZPOPMIN/ZPOPMAX of that key with the number popped, as Redis rewrites it.
// `at` is the index of numkeys: 1 for ZMPOP, 2 for BZMPOP (after its timeout).
void zmpop_generic(CommandContext& ctx, std::size_t at) {
  constexpr std::string_view kNumkeysError = "ERR numkeys should be greater than 0";
  constexpr std::string_view kCountError = "ERR count should be greater than 0";
  std::int64_t numkeys = 0;
  if (!kv::Value::parse_canonical_int(ctx.args[at], &numkeys) || numkeys < 1) {
    ctx.reply.error(kNumkeysError);
    return;
  }
  // The MIN|MAX argument follows the keys; numkeys may be anything up to INT64_MAX.
  if (static_cast<std::uint64_t>(numkeys) >= ctx.args.size() - at - 1) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const std::size_t where_index = at + 1 + static_cast<std::size_t>(numkeys);
  bool max = false;
  if (equals_ignore_case(ctx.args[where_index], "max")) {
    max = true;
  } else if (!equals_ignore_case(ctx.args[where_index], "min")) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  std::int64_t count = -1;
  for (std::size_t j = where_index + 1; j < ctx.args.size(); ++j) {
    if (count == -1 && equals_ignore_case(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      ++j;
      if (!kv::Value::parse_canonical_int(ctx.args[j], &count) || count < 1) {
        ctx.reply.error(kCountError);
        return;
      }
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  if (count == -1) count = 1;
  const kv::Entry* entry = nullptr;
  std::string_view key;
  for (std::size_t i = at + 1; i < where_index; ++i) {
    entry = ctx.db.find(ctx.args[i], ctx.now_ms);
    if (entry == nullptr) continue;
    if (entry->value.type() != kv::Type::kZSet) {
      entry = nullptr;
      if (skips_wrong_type(ctx)) continue;
      ctx.reply.error(errors::kWrongType);
      return;
    }
    key = ctx.args[i];
    break;
  }
  if (entry == nullptr) {
    block_or_reply(ctx, [&] { ctx.reply.null_array(); });
    return;
  }
  const ZSetValue& zset = zset_of(*entry);
  const std::size_t length = zset.size();
  const std::size_t popped = std::min<std::size_t>(length, static_cast<std::uint64_t>(count));
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.array(popped);
  const std::size_t first = max ? length - popped : 0;
  for_each_in_ranks(zset, first, popped, max, [&](std::string_view member, double score) {
    ctx.reply.array(2);
    ctx.reply.bulk(member);
    ctx.reply.double_value(score);
  });
  if (ctx.writes.recording()) {
    ctx.writes.emit_begin(ctx.db_index, max ? "ZPOPMAX" : "ZPOPMIN");
    ctx.writes.emit_arg(key);
    ctx.writes.emit_int_arg(static_cast<std::int64_t>(popped));
    ctx.writes.emit_end();
  }
  ctx.db.update(entry,
                [&](kv::Value& value) { value.as<ZSetValue>().remove_ranks(first, popped); });
  erase_if_empty(ctx, entry);
}

void zmpop_command(CommandContext& ctx) {
  zmpop_generic(ctx, 1);
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
void bzmpop_command(CommandContext& ctx) {
  if (!take_blocking_timeout(ctx, ctx.args[1])) return;
  zmpop_generic(ctx, 2);
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: the first non-empty sorted set's lowest (highest)
// member as [key, member, score], propagated as ZPOPMIN/ZPOPMAX key.
void bzpop_generic(CommandContext& ctx, bool max) {
  if (!take_blocking_timeout(ctx, ctx.args.back())) return;
  for (std::size_t k = 1; k + 1 < ctx.args.size(); ++k) {
    const kv::Entry* entry = ctx.db.find(ctx.args[k], ctx.now_ms);
    if (entry == nullptr) continue;
    if (entry->value.type() != kv::Type::kZSet) {
      if (skips_wrong_type(ctx)) continue;
      ctx.reply.error(errors::kWrongType);
      return;
    }
    const ZSetValue& zset = zset_of(*entry);
    const std::size_t first = max ? zset.size() - 1 : 0;
    ctx.reply.array(3);
    ctx.reply.bulk(ctx.args[k]);
    for_each_in_ranks(zset, first, 1, max, [&](std::string_view member, double score) {
      ctx.reply.bulk(member);
      ctx.reply.double_value(score);
    });
    ctx.writes.emit(ctx.db_index, {max ? "ZPOPMAX" : "ZPOPMIN", ctx.args[k]});
    ctx.db.update(entry, [&](kv::Value& value) { value.as<ZSetValue>().remove_ranks(first, 1); });
    erase_if_empty(ctx, entry);
    return;
  }
  block_or_reply(ctx, [&] { ctx.reply.null_array(); });
}

void bzpopmin_command(CommandContext& ctx) {
  bzpop_generic(ctx, false);
}
void bzpopmax_command(CommandContext& ctx) {
  bzpop_generic(ctx, true);
}

void zpopmin_command(CommandContext& ctx) {
  zpop_generic(ctx, false);
}
void zpopmax_command(CommandContext& ctx) {
  zpop_generic(ctx, true);
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER (Redis's zrandmemberCommand / zrandmemberWithCountCommand).

// A negative count asks for that many draws with repetition, whatever the set's size: the one
// reply here whose size the client alone decides. Redis would build it (or die trying); eddy
// refuses, as "value is out of range", more draws than a request may carry arguments or a reply
// larger than a bulk string may be.
constexpr std::uint64_t kRandomDrawsMax = static_cast<std::uint64_t>(limits::multibulk_count_max);
constexpr std::uint64_t kRandomReplyBytesMax = static_cast<std::uint64_t>(limits::bulk_bytes_max);

void zrandmember_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  if (ctx.args.size() == 2) {
    const kv::Entry* entry =
        find_zset_or_reply(ctx, lookup_read(ctx, key), [&] { ctx.reply.null(); });
    if (entry == nullptr) return;
    const ZSetValue& zset = zset_of(*entry);
    ctx.reply.bulk(zset.at(rng_of(ctx).below(zset.size())).member());
    return;
  }
  std::int64_t requested;
  if (!parse_int64_arg(ctx.args[2], &requested, ctx.reply)) return;
  if (requested < -kInt64Max) {
    ctx.reply.error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  bool withscores = false;
  if (ctx.args.size() > 4 ||
      (ctx.args.size() == 4 && !equals_ignore_case(ctx.args[3], "withscores"))) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 4) {
    withscores = true;
    if (requested < -kInt64Max / 2 || requested > kInt64Max / 2) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
  }
  const kv::Entry* entry =
      find_zset_or_reply(ctx, lookup_read(ctx, key), [&] { ctx.reply.array(0); });
  if (entry == nullptr) return;
  const ZSetValue& zset = zset_of(*entry);
  const std::size_t size = zset.size();
  const bool distinct = requested >= 0;
  const std::uint64_t count =
      distinct ? static_cast<std::uint64_t>(requested) : static_cast<std::uint64_t>(-requested);
  if (count == 0) {
    ctx.reply.array(0);
    return;
  }
  ElementReply out(ctx.reply, withscores);
  Rng& rng = rng_of(ctx);
  if (!distinct || count == 1) {
    if (count > kRandomDrawsMax) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
    // Reaching a rank in a listpack is a walk: index its (few) elements once.
    std::vector<ZSetValue::Cursor> elements;
    if (zset.encoding() == kv::Encoding::kListpack && count > 8) {
      elements.reserve(size);
      for (ZSetValue::Cursor c = zset.at(0); c.valid(); c.next()) elements.push_back(c);
    }
    auto draw = [&](Rng& from) {
      const std::size_t rank = from.below(size);
      return elements.empty() ? zset.at(rank) : elements[rank];
    };
    // The draws are made twice from the same generator state: once to size the reply, then
    // for real.
    Rng preview = rng;
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      bytes += draw(preview).member().size() + (withscores ? kv::kScoreTextBytes : 0);
      if (bytes > kRandomReplyBytesMax) {
        ctx.reply.error("ERR value is out of range");
        return;
      }
    }
    out.begin(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      const ZSetValue::Cursor c = draw(rng);
      out.element(c.member(), c.score());
    }
    return;
  }
  if (count >= size) {
    // The whole set, from the top down: the order Redis's set-operation iterator walks in.
    out.begin(size);
    for_each_in_ranks(zset, 0, size, true,
                      [&](std::string_view member, double score) { out.element(member, score); });
    return;
  }
  out.begin(count);
  if (count * 3 > size) {
    // A large share of the set: one ordered pass choosing each element with probability
    // (still wanted) / (still left), which picks a uniform subset of exactly `count`.
    std::uint64_t wanted = count;
    std::uint64_t left = size;
    for (ZSetValue::Cursor c = zset.at(0); wanted > 0; c.next(), --left) {
      if (rng.below(left) < wanted) {
        out.element(c.member(), c.score());
        --wanted;
      }
    }
    return;
  }
  // A small share: draw ranks until `count` distinct ones came up (count <= size / 3, so few
  // draws repeat), answering in the order drawn.
  std::unordered_set<std::size_t> chosen;
  chosen.reserve(static_cast<std::size_t>(count));
  while (chosen.size() < count) {
    const std::size_t rank = rng.below(size);
    if (!chosen.insert(rank).second) continue;
    const ZSetValue::Cursor c = zset.at(rank);
    out.element(c.member(), c.score());
  }
}

// ---------------------------------------------------------------------------------------------
// ZSCAN (Redis's scanGenericCommand for a sorted set).

// Redis's parseScanCursorOrReply: strtoul, so a sign is accepted ("-1" is 2^64 - 1) and an
// empty cursor is 0, but leading space and trailing bytes are not.
bool parse_scan_cursor(std::string_view text, std::uint64_t* cursor) {
  if (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) return false;
  const TerminatedCopy copy(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = value;
  return true;
}

void zscan_command(CommandContext& ctx) {
  std::uint64_t cursor;
  if (!parse_scan_cursor(ctx.args[2], &cursor)) {
    ctx.reply.error("ERR invalid cursor");
    return;
  }
  const kv::Entry* entry = find_zset_or_reply(ctx, lookup_read(ctx, ctx.args[1]), [&] {
    ctx.reply.array(2);
    ctx.reply.bulk("0");
    ctx.reply.array(0);
  });
  if (entry == nullptr) return;
  // Options are read only once the key is known to be a sorted set, as in Redis.
  std::int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (std::size_t i = 3; i < ctx.args.size();) {
    const std::size_t left = ctx.args.size() - i;
    if (equals_ignore_case(ctx.args[i], "count") && left >= 2) {
      if (!parse_int64_arg(ctx.args[i + 1], &count, ctx.reply)) return;
      if (count < 1) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
      i += 2;
    } else if (equals_ignore_case(ctx.args[i], "match") && left >= 2) {
      pattern = ctx.args[i + 1];
      use_pattern = pattern != "*";
      i += 2;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  const ZSetValue& zset = zset_of(*entry);
  const bool listpack = zset.encoding() == kv::Encoding::kListpack;
  // Collected first: the reply starts with the next cursor. Bounded by the set (a listpack is
  // small; a skiplist step returns about `count`, a few buckets' worth more at most).
  std::vector<std::pair<std::string_view, double>> found;
  const std::uint64_t next = zset.scan(cursor, static_cast<std::size_t>(count),
                                       [&](std::string_view member, double score) {
                                         if (use_pattern && !glob_match(pattern, member)) return;
                                         found.emplace_back(member, score);
                                       });
  char text[kv::kScoreTextBytes];
  const std::to_chars_result printed = std::to_chars(text, text + sizeof(text), next);
  ASSERT(printed.ec == std::errc());
  ctx.reply.array(2);
  ctx.reply.bulk(std::string_view(text, static_cast<std::size_t>(printed.ptr - text)));
  ctx.reply.array(found.size() * 2);
  for (const auto& [member, score] : found) {
    ctx.reply.bulk(member);
    // Redis answers with the listpack's own text of a score there, %.17g otherwise.
    ctx.reply.bulk(listpack ? kv::format_score_listpack(score, text)
                            : kv::format_score(score, text));
  }
}

// ---------------------------------------------------------------------------------------------
// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZUNION ZINTER ZDIFF ZINTERCARD (Redis's
// zunionInterDiffGenericCommand). Inputs may be sorted sets or sets (whose members score 1).

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of a set operation.
struct Source {
  const kv::Entry* entry = nullptr;  // identifies a key named twice; null when missing
  const ZSetValue* zset = nullptr;
  std::vector<std::string> set_members;  // a set's members, sorted
  double weight = 1;

  std::size_t size() const { return zset != nullptr ? zset->size() : set_members.size(); }
  bool find(std::string_view member, double* score) const {
    if (zset != nullptr) return zset->score(member, score);
    if (!std::binary_search(set_members.begin(), set_members.end(), member)) return false;
    *score = 1.0;
    return true;
  }
  // Calls fn(member, score) for each element until it returns false.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (zset != nullptr) {
      if (zset->size() == 0) return;
      for (ZSetValue::Cursor c = zset->at(0); c.valid(); c.next()) {
        if (!fn(c.member(), c.score())) return;
      }
    } else {
      for (const std::string& member : set_members) {
        if (!fn(std::string_view(member), 1.0)) return;
      }
    }
  }
};

// A set's members, through the one interface every collection has: the SADD commands that
// would rebuild it (this family does not depend on the set family's class).
void load_set_members(const kv::Value& value, std::vector<std::string>* out) {
  value.collection().rebuild({}, [&](std::span<const std::string_view> args) {
    ASSERT(args.size() >= 2 && equals_ignore_case(args[0], "sadd"));
    for (std::size_t i = 2; i < args.size(); ++i) out->emplace_back(args[i]);
  });
  std::sort(out->begin(), out->end());
}

void aggregate_into(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      // inf + -inf: Redis takes 0.
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      if (value < *target) *target = value;
      break;
    case Aggregate::kMax:
      if (value > *target) *target = value;
      break;
  }
}

// A source's weighted score, 0 when the product is NaN (0 * inf), as Redis.
double weighted(double score, double weight) {
  const double product = score * weight;
  return std::isnan(product) ? 0 : product;
}

using Element = std::pair<std::string_view, double>;

bool element_less(const Element& a, const Element& b) {
  if (a.second != b.second) return a.second < b.second;
  return a.first < b.first;
}

void zsetop_generic(CommandContext& ctx, std::string_view name, bool store, SetOp op,
                    bool cardinality_only) {
  const Args args = ctx.args;
  const std::size_t numkeys_index = store ? 2 : 1;
  std::int64_t numkeys;
  if (!parse_int64_arg(args[numkeys_index], &numkeys, ctx.reply)) return;
  if (numkeys < 1) {
    std::string message = "ERR at least 1 input key is needed for '";
    message += name;
    message += "' command";
    ctx.reply.error(message);
    return;
  }
  if (static_cast<std::uint64_t>(numkeys) > args.size() - numkeys_index - 1) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  const auto setnum = static_cast<std::size_t>(numkeys);
  const std::size_t first_key = numkeys_index + 1;

  // Lookups may delete expired keys, which moves entries: expire them all first, so the
  // entries looked up next stay where they are.
  for (std::size_t i = 0; i < setnum; ++i) ctx.db.find(args[first_key + i], ctx.now_ms);
  std::vector<Source> sources(setnum);
  for (std::size_t i = 0; i < setnum; ++i) {
    const kv::Entry* entry = lookup_read(ctx, args[first_key + i]);
    if (entry == nullptr) continue;
    const kv::Type type = entry->value.type();
    if (type != kv::Type::kZSet && type != kv::Type::kSet) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    sources[i].entry = entry;
    if (type == kv::Type::kZSet) {
      sources[i].zset = &zset_of(*entry);
    } else {
      load_set_members(entry->value, &sources[i].set_members);
    }
  }

  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  std::int64_t limit = 0;  // ZINTERCARD: 0 is no limit
  for (std::size_t j = first_key + setnum; j < args.size();) {
    const std::size_t remaining = args.size() - j;
    if (op != SetOp::kDiff && !cardinality_only && remaining >= setnum + 1 &&
        equals_ignore_case(args[j], "weights")) {
      ++j;
      for (std::size_t i = 0; i < setnum; ++i, ++j) {
        if (!parse_score(args[j], &sources[i].weight)) {
          ctx.reply.error("ERR weight value is not a float");
          return;
        }
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               equals_ignore_case(args[j], "aggregate")) {
      const std::string_view how = args[j + 1];
      if (equals_ignore_case(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (equals_ignore_case(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (equals_ignore_case(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        ctx.reply.error(errors::kSyntax);
        return;
      }
      j += 2;
    } else if (!store && !cardinality_only && equals_ignore_case(args[j], "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && equals_ignore_case(args[j], "limit")) {
      if (!parse_non_negative(args[j + 1], "ERR LIMIT can't be negative", &limit, ctx.reply)) {
        return;
      }
      j += 2;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }

  // Smallest inputs first, as Redis orders them (its qsort is glibc's merge sort, stable): an
  // intersection then probes the fewest members, and sums add up in Redis's order.
  if (op != SetOp::kDiff) {
    std::stable_sort(sources.begin(), sources.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }

  std::vector<Element> result;
  std::size_t cardinality = 0;
  switch (op) {
    case SetOp::kInter: {
      if (sources[0].size() == 0) break;
      sources[0].for_each([&](std::string_view member, double score) {
        double total = weighted(score, sources[0].weight);
        for (std::size_t j = 1; j < setnum; ++j) {
          double other;
          if (sources[j].entry == sources[0].entry) {
            other = score * sources[j].weight;
          } else if (sources[j].find(member, &other)) {
            other *= sources[j].weight;
          } else {
            return true;  // not in every input
          }
          aggregate_into(&total, other, aggregate);
        }
        if (cardinality_only) {
          ++cardinality;
          // ZINTERCARD's LIMIT: stop counting there.
          return limit == 0 || cardinality < static_cast<std::uint64_t>(limit);
        }
        result.emplace_back(member, total);
        return true;
      });
      break;
    }
    case SetOp::kUnion: {
      std::unordered_map<std::string_view, double, kv::SeededStringHash> totals;
      totals.reserve(sources.back().size());
      for (const Source& source : sources) {
        source.for_each([&](std::string_view member, double score) {
          const double value = weighted(score, source.weight);
          auto [it, inserted] = totals.try_emplace(member, value);
          if (!inserted) aggregate_into(&it->second, value, aggregate);
          return true;
        });
      }
      result.reserve(totals.size());
      for (const auto& [member, total] : totals) result.emplace_back(member, total);
      break;
    }
    case SetOp::kDiff: {
      if (sources[0].size() == 0) break;
      sources[0].for_each([&](std::string_view member, double score) {
        double unused;
        for (std::size_t j = 1; j < setnum; ++j) {
          if (sources[j].find(member, &unused)) return true;
        }
        result.emplace_back(member, score);
        return true;
      });
      break;
    }
  }

  if (cardinality_only) {
    ctx.reply.integer(static_cast<std::int64_t>(cardinality));
    return;
  }
  std::sort(result.begin(), result.end(), element_less);
  if (!store) {
    ElementReply out(ctx.reply, withscores);
    out.begin(result.size());
    for (const auto& [member, score] : result) out.element(member, score);
    return;
  }
  const std::string_view destination = args[1];
  if (result.empty()) {
    ctx.db.erase(destination, ctx.now_ms);
    ctx.reply.integer(0);
    return;
  }
  std::size_t longest = 0;
  std::size_t member_bytes = 0;
  for (const auto& element : result) {
    longest = std::max(longest, element.first.size());
    member_bytes += element.first.size();
  }
  const kv::EncodingLimits& encoding_limits = ctx.shard.encoding_limits();
  Rng& rng = rng_of(ctx);
  auto stored = ZSetValue::for_contents(result.size(), longest, member_bytes, encoding_limits, rng);
  for (const auto& [member, score] : result) {
    double unused;
    stored->add(score, member, 0, encoding_limits, rng, &unused);
  }
  const std::size_t size = stored->size();
  // The sources' entries are not used after this: put may move entries.
  ctx.db.put(destination, kv::Value::of(std::move(stored)), 0, ctx.now_ms);
  ctx.reply.integer(static_cast<std::int64_t>(size));
}

void zunionstore_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zunionstore", true, SetOp::kUnion, false);
}
void zinterstore_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zinterstore", true, SetOp::kInter, false);
}
void zdiffstore_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zdiffstore", true, SetOp::kDiff, false);
}
void zunion_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zunion", false, SetOp::kUnion, false);
}
void zinter_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zinter", false, SetOp::kInter, false);
}
void zdiff_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zdiff", false, SetOp::kDiff, false);
}
void zintercard_command(CommandContext& ctx) {
  zsetop_generic(ctx, "zintercard", false, SetOp::kInter, true);
}

// ---------------------------------------------------------------------------------------------

CommandSpec zset_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                      int last_key, CommandHandler handler, std::string_view summary,
                      std::string_view since, std::string_view acl_categories,
                      std::string_view syntax, int numkeys_index = 0) {
  // Commands whose keys all follow a count report no key range (0 0 0), as Redis does.
  CommandSpec spec = keyed_spec("sorted-set", name, arity, flags, first_key, last_key,
                                first_key > 0 ? 1 : 0, handler, summary, since, acl_categories);
  spec.syntax = syntax;
  spec.numkeys_index = numkeys_index;
  return spec;
}

}  // namespace

void register_zset_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  constexpr std::uint32_t kRo = kCmdReadonly;
  constexpr std::uint32_t kRoFast = kCmdReadonly | kCmdFast;
  constexpr std::uint32_t kWrite = kCmdWrite;
  constexpr std::uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr std::uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  constexpr std::uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr std::string_view kReadSlow = "@read @sortedset @slow";
  constexpr std::string_view kReadFast = "@read @sortedset @fast";
  constexpr std::string_view kWriteSlow = "@write @sortedset @slow";
  constexpr std::string_view kWriteFastAcl = "@write @sortedset @fast";

  table.add(zset_spec("zadd", -4, kWriteOomFast, 1, 1, zadd_command,
                      "Add one or more members to a sorted set, or update its score if it already "
                      "exists",
                      "1.2.0", kWriteFastAcl,
                      "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"));
  table.add(zset_spec("zincrby", 4, kWriteOomFast, 1, 1, zincrby_command,
                      "Increment the score of a member in a sorted set", "1.2.0", kWriteFastAcl,
                      "key increment member"));
  table.add(zset_spec("zrem", -3, kWriteFast, 1, 1, zrem_command,
                      "Remove one or more members from a sorted set", "1.2.0", kWriteFastAcl,
                      "key member [member ...]"));
  table.add(zset_spec("zcard", 2, kRoFast, 1, 1, zcard_command,
                      "Get the number of members in a sorted set", "1.2.0", kReadFast, "key"));
  table.add(zset_spec("zscore", 3, kRoFast, 1, 1, zscore_command,
                      "Get the score associated with the given member in a sorted set", "1.2.0",
                      kReadFast, "key member"));
  table.add(zset_spec("zmscore", -3, kRoFast, 1, 1, zmscore_command,
                      "Get the score associated with the given members in a sorted set", "6.2.0",
                      kReadFast, "key member [member ...]"));
  table.add(zset_spec("zrank", 3, kRoFast, 1, 1, zrank_command,
                      "Determine the index of a member in a sorted set", "2.0.0", kReadFast,
                      "key member"));
  table.add(zset_spec("zrevrank", 3, kRoFast, 1, 1, zrevrank_command,
                      "Determine the index of a member in a sorted set, with scores ordered from "
                      "high to low",
                      "2.0.0", kReadFast, "key member"));
  table.add(zset_spec("zcount", 4, kRoFast, 1, 1, zcount_command,
                      "Count the members in a sorted set with scores within the given values",
                      "2.0.0", kReadFast, "key min max"));
  table.add(zset_spec("zlexcount", 4, kRoFast, 1, 1, zlexcount_command,
                      "Count the number of members in a sorted set between a given "
                      "lexicographical range",
                      "2.8.9", kReadFast, "key min max"));
  table.add(zset_spec("zrange", -4, kRo, 1, 1, zrange_command,
                      "Return a range of members in a sorted set", "1.2.0", kReadSlow,
                      "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"));
  table.add(zset_spec("zrangestore", -5, kWriteOom, 1, 2, zrangestore_command,
                      "Store a range of members from sorted set into another key", "6.2.0",
                      kWriteSlow, "dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"));
  table.add(zset_spec("zrevrange", -4, kRo, 1, 1, zrevrange_command,
                      "Return a range of members in a sorted set, by index, with scores ordered "
                      "from high to low",
                      "1.2.0", kReadSlow, "key start stop [WITHSCORES]"));
  table.add(zset_spec("zrangebyscore", -4, kRo, 1, 1, zrangebyscore_command,
                      "Return a range of members in a sorted set, by score", "1.0.5", kReadSlow,
                      "key min max [WITHSCORES] [LIMIT offset count]"));
  table.add(zset_spec("zrevrangebyscore", -4, kRo, 1, 1, zrevrangebyscore_command,
                      "Return a range of members in a sorted set, by score, with scores ordered "
                      "from high to low",
                      "2.2.0", kReadSlow, "key max min [WITHSCORES] [LIMIT offset count]"));
  table.add(zset_spec("zrangebylex", -4, kRo, 1, 1, zrangebylex_command,
                      "Return a range of members in a sorted set, by lexicographical range",
                      "2.8.9", kReadSlow, "key min max [LIMIT offset count]"));
  table.add(zset_spec("zrevrangebylex", -4, kRo, 1, 1, zrevrangebylex_command,
                      "Return a range of members in a sorted set, by lexicographical range, "
                      "ordered from higher to lower strings.",
                      "2.8.9", kReadSlow, "key max min [LIMIT offset count]"));
  table.add(zset_spec("zremrangebyrank", 4, kWrite, 1, 1, zremrangebyrank_command,
                      "Remove all members in a sorted set within the given indexes", "2.0.0",
                      kWriteSlow, "key start stop"));
  table.add(zset_spec("zremrangebyscore", 4, kWrite, 1, 1, zremrangebyscore_command,
                      "Remove all members in a sorted set within the given scores", "1.2.0",
                      kWriteSlow, "key min max"));
  table.add(zset_spec("zremrangebylex", 4, kWrite, 1, 1, zremrangebylex_command,
                      "Remove all members in a sorted set between the given lexicographical "
                      "range",
                      "2.8.9", kWriteSlow, "key min max"));
  table.add(zset_spec("zpopmin", -2, kWriteFast, 1, 1, zpopmin_command,
                      "Remove and return members with the lowest scores in a sorted set", "5.0.0",
                      kWriteFastAcl, "key [count]"));
  table.add(zset_spec("zmpop", -4, kCmdWrite, 0, 0, zmpop_command,
                      "Remove and return members with scores in a sorted set", "7.0.0", kWriteSlow,
                      "numkeys key [key ...] <MIN|MAX> [COUNT count]", 1));
  constexpr std::uint32_t kBlocking = kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking;
  table.add(zset_spec("bzpopmin", -3, kBlocking, 1, -2, bzpopmin_command,
                      "Remove and return the member with the lowest score from one or more "
                      "sorted sets, or block until one is available",
                      "5.0.0", "@write @sortedset @fast @blocking", "key [key ...] timeout"));
  table.add(zset_spec("bzpopmax", -3, kBlocking, 1, -2, bzpopmax_command,
                      "Remove and return the member with the highest score from one or more "
                      "sorted sets, or block until one is available",
                      "5.0.0", "@write @sortedset @fast @blocking", "key [key ...] timeout"));
  table.add(zset_spec("bzmpop", -5, kCmdWrite | kCmdBlocking, 0, 0, bzmpop_command,
                      "Remove and return members with scores in a sorted set or block until one "
                      "is available",
                      "7.0.0", "@write @sortedset @slow @blocking",
                      "timeout numkeys key [key ...] <MIN|MAX> [COUNT count]", 2));
  table.add(zset_spec("zpopmax", -2, kWriteFast, 1, 1, zpopmax_command,
                      "Remove and return members with the highest scores in a sorted set", "5.0.0",
                      kWriteFastAcl, "key [count]"));
  table.add(zset_spec("zrandmember", -2, kRo, 1, 1, zrandmember_command,
                      "Get one or multiple random elements from a sorted set", "6.2.0", kReadSlow,
                      "key [count [WITHSCORES]]"));
  table.add(zset_spec("zscan", -3, kRo, 1, 1, zscan_command,
                      "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
                      kReadSlow, "key cursor [MATCH pattern] [COUNT count]"));
  table.add(zset_spec("zunionstore", -4, kWriteOom, 1, 1, zunionstore_command,
                      "Add multiple sorted sets and store the resulting sorted set in a new key",
                      "2.0.0", kWriteSlow,
                      "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
                      "[AGGREGATE SUM|MIN|MAX]",
                      2));
  table.add(zset_spec("zinterstore", -4, kWriteOom, 1, 1, zinterstore_command,
                      "Intersect multiple sorted sets and store the resulting sorted set in a new "
                      "key",
                      "2.0.0", kWriteSlow,
                      "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
                      "[AGGREGATE SUM|MIN|MAX]",
                      2));
  table.add(zset_spec("zdiffstore", -4, kWriteOom, 1, 1, zdiffstore_command,
                      "Subtract multiple sorted sets and store the resulting sorted set in a new "
                      "key",
                      "6.2.0", kWriteSlow, "destination numkeys key [key ...]", 2));
  table.add(zset_spec("zunion", -3, kRo, 0, 0, zunion_command, "Add multiple sorted sets", "6.2.0",
                      kReadSlow,
                      "numkeys key [key ...] [WEIGHTS weight [weight ...]] "
                      "[AGGREGATE SUM|MIN|MAX] [WITHSCORES]",
                      1));
  table.add(zset_spec("zinter", -3, kRo, 0, 0, zinter_command, "Intersect multiple sorted sets",
                      "6.2.0", kReadSlow,
                      "numkeys key [key ...] [WEIGHTS weight [weight ...]] "
                      "[AGGREGATE SUM|MIN|MAX] [WITHSCORES]",
                      1));
  table.add(zset_spec("zdiff", -3, kRo, 0, 0, zdiff_command, "Subtract multiple sorted sets",
                      "6.2.0", kReadSlow, "numkeys key [key ...] [WITHSCORES]", 1));
  table.add(zset_spec("zintercard", -3, kRo, 0, 0, zintercard_command,
                      "Intersect multiple sorted sets and return the cardinality of the result",
                      "7.0.0", kReadSlow, "numkeys key [key ...] [LIMIT limit]", 1));
}

}  // namespace eddy
