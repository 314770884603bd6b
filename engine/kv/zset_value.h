#pragma once
// ZSetValue: a Redis sorted set. Members are unique byte strings, each with a double score, kept
// in (score, member bytes) order.
//
// Two forms, as in Redis, with Redis's thresholds and OBJECT ENCODING names:
//   "listpack": a kv::Listpack with one entry per pair, in order: the member's bytes, then
//     the score in 0-8 bytes (a small integer in as few bytes as it needs, any other score as
//     its raw double; no formatting) and a byte giving the score's length. Lookups are linear,
//     which for the few members allowed (zset-max-listpack-entries, 128) beats any pointer
//     structure.
//   "skiplist": a kv::ZSkiplist (skiplist with spans + member index), taken when a member is
//     added beyond zset-max-listpack-entries or longer than zset-max-listpack-value bytes. A
//     sorted set never goes back to the listpack form (nor does Redis's).
// The listpack stores a score of -0 as 0, because Redis's listpack stores integral scores as
// integers: ZADD k -0 m; ZSCORE k m answers "0" there too.
//
// What a write does, and what a read answers (except ZSCAN's order and ZRANDMEMBER's draws), is
// a function of the contents only, never of the encoding, of the skiplist's random levels or of
// its hash seed: both forms order, rank and search alike. In particular the
// lexicographic searches (ZRANGEBYLEX and friends) are binary searches over ranks: on a set
// whose members all share one score they find what Redis finds; on other sets (where Redis
// calls the result unspecified, and its answer depends on its skiplist's shape) they still give
// one answer, so a replica that replays ZREMRANGEBYLEX verbatim reaches the same contents.
//
// Memory: memory_bytes() is O(1) and exact (the object, plus the listpack's buffer or the
// skiplist's running count).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/base/function_ref.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/listpack.h"
#include "engine/kv/value.h"
#include "engine/kv/zset_skiplist.h"

namespace eddy {
class Rng;
}

namespace eddy::kv {

// A score interval, as ZRANGEBYSCORE's min and max ("(1.5" is exclusive).
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool above_min(double score) const { return min_exclusive ? score > min : score >= min; }
  bool below_max(double score) const { return max_exclusive ? score < max : score <= max; }
  // Redis's rule: min > max, or min == max with either end open, holds nothing.
  bool empty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a lexicographic interval, as ZRANGEBYLEX takes it: "-" (below every string), "+"
// (above every string), "[bytes" (inclusive) or "(bytes" (exclusive).
struct LexBound {
  enum class Kind : std::uint8_t { kMinusInfinity, kPlusInfinity, kBytes };
  Kind kind = Kind::kMinusInfinity;
  bool exclusive = true;
  std::string_view bytes;

  // <0, 0, >0 as `member` sorts before, equal to or after the bound.
  int compare(std::string_view member) const {
    if (kind == Kind::kMinusInfinity) return 1;
    if (kind == Kind::kPlusInfinity) return -1;
    const int c = member.compare(bytes);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
};

struct LexRange {
  LexBound min;
  LexBound max;

  bool above_min(std::string_view member) const {
    const int c = min.compare(member);
    return min.exclusive ? c > 0 : c >= 0;
  }
  bool below_max(std::string_view member) const {
    const int c = max.compare(member);
    return max.exclusive ? c < 0 : c <= 0;
  }
  bool empty() const;
};

class ZSetValue final : public Collection {
 public:
  static constexpr Type kType = Type::kZSet;

  ZSetValue() = default;
  ~ZSetValue() override;

  // An empty set in the form Redis gives a sorted set it builds whole (ZUNIONSTORE and the other
  // set operations): the listpack when `members` members, none longer than `longest_member`
  // bytes and `member_bytes` in all, fit its thresholds, else the skiplist. (The form matters
  // beyond OBJECT ENCODING: the listpack turns a score of -0 into 0.)
  static std::unique_ptr<ZSetValue> for_contents(std::size_t members, std::size_t longest_member,
                                                 std::size_t member_bytes,
                                                 const EncodingLimits& limits, Rng& rng);

  // ---- Collection
  Type type() const override { return kType; }
  Encoding encoding() const override {
    return large_ != nullptr ? Encoding::kSkiplist : Encoding::kListpack;
  }
  std::size_t size() const override;
  std::size_t memory_bytes() const override;
  std::unique_ptr<Collection> clone() const override;
  std::uint64_t digest() const override;
  // ZADD key score member ... in order, at most kRebuildPairs pairs per command.
  void rebuild(std::string_view key,
               FunctionRef<void(std::span<const std::string_view>)> emit) const override;
  static constexpr std::size_t kRebuildPairs = 64;

  // ---- reading

  // The score of `member`; false when it is not in the set.
  bool score(std::string_view member, double* out) const;
  // The 0-based rank of `member` in ascending order; false when it is not in the set.
  bool rank(std::string_view member, std::size_t* out) const;

  // One element of the set in order, or none (!valid()). Invalidated by any change of the set.
  class Cursor {
   public:
    bool valid() const { return valid_; }
    std::string_view member() const;
    double score() const;
    // Step to the following / preceding element (invalid past either end).
    void next();
    void prev();

   private:
    friend class ZSetValue;
    const ZSetValue* set_ = nullptr;
    Listpack::Pos pos_ = 0;                  // listpack form: the member's entry
    const ZSkiplist::Node* node_ = nullptr;  // skiplist form
    bool valid_ = false;
  };

  // The element at 0-based `rank` (< size()).
  Cursor at(std::size_t rank) const;

  // The first and last elements of a range, with their 0-based ranks (cursor invalid when the
  // range holds none).
  struct Found {
    Cursor cursor;
    std::size_t rank = 0;
  };
  Found first_in(const ScoreRange& range) const;
  Found last_in(const ScoreRange& range) const;
  Found first_in(const LexRange& range) const;
  Found last_in(const LexRange& range) const;
  std::size_t count_in(const ScoreRange& range) const;
  std::size_t count_in(const LexRange& range) const;

  // One ZSCAN step. The listpack form returns every element and cursor 0, as Redis does; the
  // skiplist form scans its member index (see zset_skiplist.h). `visit` gets each member and
  // score.
  std::uint64_t scan(std::uint64_t cursor, std::size_t count,
                     FunctionRef<void(std::string_view, double)> visit) const;

  // ---- writing

  enum AddFlag : unsigned {
    kAddNx = 1u << 0,    // only new members
    kAddXx = 1u << 1,    // only existing members
    kAddGt = 1u << 2,    // existing members only to a greater score
    kAddLt = 1u << 3,    // existing members only to a lesser score
    kAddIncr = 1u << 4,  // the score is an increment
  };
  enum class AddResult : std::uint8_t {
    kAdded,      // a new member
    kUpdated,    // an existing member got a different score
    kUnchanged,  // an existing member kept its score (same score, or an increment of 0)
    kSkipped,    // NX, XX, GT or LT said no
    kNan,        // the increment made the score NaN (nothing changed)
  };
  // Redis's zsetAdd: adds or updates `member`, converting to the skiplist form at the
  // thresholds. *result_score receives the member's score after the call for kAdded, kUpdated
  // and kUnchanged. `score` must not be NaN.
  AddResult add(double score, std::string_view member, unsigned flags, const EncodingLimits& limits,
                Rng& rng, double* result_score);
  // What add() would do, changing nothing.
  AddResult plan_add(double score, std::string_view member, unsigned flags,
                     double* result_score) const;

  // Moves a listpack set to the skiplist form (contents unchanged): what Redis's SORT does to
  // the sorted set it sorts.
  void ensure_skiplist(Rng& rng) {
    if (large_ == nullptr) convert_to_skiplist(rng);
  }

  // Removes `member`; false when it was not there.
  bool remove(std::string_view member);
  // Removes `count` elements from 0-based rank `first` on (first + count <= size()).
  void remove_ranks(std::size_t first, std::size_t count);

  // Asserts the order and the form's own structure. O(n): for tests.
  void check_invariants() const;

 private:
  // A member's place in either form: found or not, and its current score.
  struct Location {
    bool found = false;
    double score = 0;
    Listpack::Pos pos = 0;
    const ZSkiplist::Node* node = nullptr;
  };
  Location locate(std::string_view member) const;
  static AddResult decide(const Location& location, double* score, unsigned flags);

  // The score and member of the pair at `pos` (one entry per pair; see zset_value.cc).
  double listpack_score(Listpack::Pos pos) const;
  std::string_view listpack_member(Listpack::Pos pos) const;
  // Inserts a member that is not present into the listpack at its place.
  void listpack_insert(double score, std::string_view member);
  void convert_to_skiplist(Rng& rng);
  bool fits_listpack_with(std::string_view member, const EncodingLimits& limits) const;

  Cursor listpack_cursor(Listpack::Pos pos) const;
  Cursor skiplist_cursor(const ZSkiplist::Node* node) const;
  // The member at `rank`, for the lexicographic binary searches.
  std::string_view member_at(std::size_t rank) const { return at(rank).member(); }

  Listpack listpack_;
  std::unique_ptr<ZSkiplist> large_;
};

// Score text as Redis writes it in replies and commands: "inf", "-inf", or printf("%.17g").
// `buffer` must hold kScoreTextBytes.
inline constexpr std::size_t kScoreTextBytes = 32;
std::string_view format_score(double score, char* buffer);
// As Redis's listpack holds a score (its d2string): integral scores within +-2^62 as integers,
// others as format_score. ZSCAN of a listpack-encoded set shows scores this way.
std::string_view format_score_listpack(double score, char* buffer);

}  // namespace eddy::kv
