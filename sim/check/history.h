#pragma once
// A Jepsen-style history of single-key Redis operations as the simulated clients saw them: when
// each request was sent, when (and whether) its reply arrived, and what the reply said. The
// linearizability checker (sim/check/linearizability.h) judges it against a sequential model of
// one key.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::sim {

enum class OpKind : std::uint8_t {
  kGet,
  kSet,
  kDel,
  kIncr,
  kAppend,
  kSetNx,
  kGetDel,
  kGetSet,
  kExpire,   // EXPIRE, or PEXPIRE with Op::milliseconds
  kTtl,      // TTL, or PTTL with Op::milliseconds
  kPersist,  // PERSIST
  // Collections (sim/check/collection_model.h has their model). `field` is the hash field or
  // the sorted-set member, `argument` the value, list item, set member or score.
  kHSet,      // HSET key field value -> 1 if the field is new, else 0
  kHDel,      // HDEL key field -> 0/1
  kHGet,      // HGET key field -> value or nil
  kHGetAll,   // HGETALL key -> render_elements of its field/value pairs sorted by field
  kLPush,     // LPUSH key item -> the new length
  kRPop,      // RPOP key -> the item or nil
  kLRange,    // LRANGE key 0 -1 -> render_elements of the items, head first
  kSAdd,      // SADD key member -> 0/1
  kSRem,      // SREM key member -> 0/1
  kSMembers,  // SMEMBERS key -> render_elements of the members, sorted
  kZAdd,      // ZADD key [GT] CH score member -> 1 if added or its score changed, else 0
  kZScore,    // ZSCORE key member -> the score as Redis prints it, or nil
  kZRange,    // ZRANGE key 0 -1 WITHSCORES -> render_elements of member, score, ... in order
};

enum class OpOutcome : std::uint8_t {
  kOk,       // the client got a reply: the op took effect exactly once, with the recorded result
  kFailed,   // definitely did not take effect (e.g. an error reply that means nothing changed)
  kUnknown,  // the connection broke before the reply: it may or may not have taken effect
};

struct Op {
  std::uint64_t id = 0;  // unique in the history
  std::uint32_t client = 0;
  std::int64_t invoke_ns = 0;    // virtual time the request was sent
  std::int64_t complete_ns = 0;  // virtual time the reply arrived; ignored when outcome is kUnknown
  OpKind kind = OpKind::kGet;
  std::string key;
  // SET/APPEND/SETNX/GETSET: the value. INCR: the increment as decimal text ("1"). EXPIRE: the
  // duration as decimal text, in seconds (milliseconds for PEXPIRE); zero or less deletes the key.
  std::string argument;
  // EXPIRE/TTL: the PEXPIRE/PTTL form, whose duration and reply are in milliseconds.
  bool milliseconds = false;
  // Compare-and-set (Maelstrom lin-kv's `cas`): a kSet with `expected` present writes `argument`
  // only if the key's current value equals *expected (nil equals nothing), else leaves the key
  // alone. A kOk CAS succeeded, so it found *expected; a CAS that was refused is kFailed (it took
  // no effect); a kUnknown one may have taken effect or not. CAS is a kSet variant rather than an
  // OpKind of its own so that switches over OpKind elsewhere stay exhaustive.
  std::optional<std::string> expected;
  // Collection ops: the hash field or sorted-set member.
  std::string field;
  // ZADD: with GT (an existing member's score only grows).
  bool greater = false;
  OpOutcome outcome = OpOutcome::kOk;
  // Observed result (for kOk):
  //   GET/GETDEL/GETSET: the value, or nullopt for nil.
  //   DEL/SETNX: 0/1 in `integer`.
  //   INCR: the new value in `integer`, or `error` = true for "ERR value is not an integer or out
  //         of range" (the model gives the same verdict for a result that would overflow).
  //   APPEND: the new length in `integer`.
  //   EXPIRE/PERSIST: 0/1 in `integer`.
  //   TTL: the reply in `integer`: -2 (no key), -1 (no TTL), else the time left (s, or ms for
  //   PTTL). SET (and CAS): nothing.
  std::optional<std::string> value;
  std::int64_t integer = 0;
  bool error = false;
};

// What is known of the server's wall clock, which Redis expiry runs on, over the history: it may
// differ from the clients' (virtual) time by an offset, drift, and jumps. TTL replies are judged
// with it: a key whose last EXPIRE gave it a duration of B ms has between B - advance_ms and
// B + back_ms left, at least 0. The model assumes no TTL runs out within the history (the
// simulator's hot keys get TTLs far longer than any run), so it never expires a key by itself.
struct WallClockBounds {
  // The most the clock may have gone back between two commands of the history (0: it never
  // goes back, as with offset and drift alone).
  std::int64_t back_ms = 0;
  // The most it may have gone forward between two commands of the history (unbounded: a TTL
  // reply is only bounded below by 0).
  std::int64_t advance_ms = std::numeric_limits<std::int64_t>::max();
};

struct History {
  std::vector<Op> ops;
  WallClockBounds wall_clock;
};

std::string_view op_kind_name(OpKind kind);

// One line, e.g. `c3 #17 [1000,2000] SET k "v" -> OK`. An unknown op shows `[1000,?] ... -> ?`.
// A compare-and-set shows as `CAS k "from" "to"`; the millisecond forms as PEXPIRE and PTTL.
// Long values are shortened to their head and tail so a line stays readable.
std::string describe(const Op& op);

// A value as it appears in describe(): quoted with C escapes, shortened when long; nil for none.
std::string describe_value(const std::optional<std::string>& value);

// The canonical text of a collection read, as recorded in Op::value and as the model renders
// it: each element as <decimal length>:<bytes>, in the order given.
std::string render_elements(const std::vector<std::string>& elements);

}  // namespace eddy::sim
