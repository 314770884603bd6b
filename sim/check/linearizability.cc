#include "sim/check/linearizability.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "engine/base/assert.h"
#include "sim/check/collection_model.h"

namespace eddy::sim {

namespace {

// ---------------------------------------------------------------------------------------------
// The model of one key: nil, or a string with an optional TTL bound, the duration (ms) the last
// EXPIRE that applied gave it (SET and GETSET clear it, INCR, APPEND and a refused SETNX keep
// it, PERSIST removes it). States are interned so the search and its cache carry a 32-bit id
// that covers the TTL too; equal states get equal ids. A state without TTL is a "plain" one, and
// every state knows the id of the plain one with its value, so comparing a read's result is an
// id comparison.

constexpr std::uint32_t kNil = 0;
constexpr std::int64_t kNoTtl = -1;

class StateTable {
 public:
  explicit StateTable(WallClockBounds clock) : clock_(clock) {
    values_.emplace_back(std::nullopt);
    infos_.push_back(Info{kNil, kNoTtl});
  }

  // The plain state with this value.
  std::uint32_t intern(std::string text) {
    // Lookups only, never iterated: ids follow first appearance, which the deterministic search
    // fixes.
    const auto [it, inserted] = ids_.try_emplace(std::move(text), 0);
    if (inserted) {
      it->second = next_id();
      values_.emplace_back(it->first);
      infos_.push_back(Info{it->second, kNoTtl});
    }
    return it->second;
  }
  std::uint32_t intern(const std::optional<std::string>& value) {
    return value.has_value() ? intern(*value) : kNil;
  }

  // The state with the value of `state` (not nil) and TTL bound `ttl_ms` (or none: kNoTtl).
  std::uint32_t with_ttl(std::uint32_t state, std::int64_t ttl_ms) {
    ASSERT_NE(state, kNil);
    const std::uint32_t plain = infos_[state].plain;
    if (ttl_ms == kNoTtl) return plain;
    const auto [it, inserted] = ttl_ids_.try_emplace(TtlKey{plain, ttl_ms}, 0);
    if (inserted) {
      it->second = next_id();
      values_.emplace_back(std::nullopt);  // unused: the value is the plain state's
      infos_.push_back(Info{plain, ttl_ms});
    }
    return it->second;
  }

  const std::optional<std::string>& value(std::uint32_t id) const {
    return values_[infos_[id].plain];
  }
  std::uint32_t plain(std::uint32_t id) const { return infos_[id].plain; }
  std::int64_t ttl_ms(std::uint32_t id) const { return infos_[id].ttl_ms; }
  const WallClockBounds& clock() const { return clock_; }

 private:
  struct Info {
    std::uint32_t plain;  // the state with the same value and no TTL (itself if it has none)
    std::int64_t ttl_ms;  // kNoTtl: none
  };
  struct TtlKey {
    std::uint32_t plain;
    std::int64_t ttl_ms;
    bool operator==(const TtlKey&) const = default;
  };
  struct TtlKeyHash {
    std::size_t operator()(const TtlKey& k) const {
      return std::hash<std::uint64_t>()((std::uint64_t{k.plain} << 32) ^
                                        static_cast<std::uint64_t>(k.ttl_ms));
    }
  };

  std::uint32_t next_id() const {
    ASSERT_LT(infos_.size(), std::numeric_limits<std::uint32_t>::max());
    return static_cast<std::uint32_t>(infos_.size());
  }

  WallClockBounds clock_;
  std::vector<std::optional<std::string>> values_;  // by id; only plain states' are used
  std::vector<Info> infos_;                         // by id
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::unordered_map<TtlKey, std::uint32_t, TtlKeyHash> ttl_ids_;
};

// Redis's TTL rounding of the milliseconds left: (ms + 500) / 1000, without overflow.
std::int64_t seconds_rounded(std::int64_t ms) {
  return ms / 1000 + (ms % 1000 + 500) / 1000;
}

// The replies TTL (or PTTL) may give for a key whose TTL bound is `ttl_ms`: the time left is
// within the bound, stretched or shrunk by how far the server's wall clock may have moved, and
// never below 0.
struct TtlRange {
  std::int64_t low = 0;
  std::int64_t high = 0;
};

TtlRange ttl_range(std::int64_t ttl_ms, bool milliseconds, const WallClockBounds& clock) {
  std::int64_t high = 0;
  if (__builtin_add_overflow(ttl_ms, clock.back_ms, &high)) {
    high = std::numeric_limits<std::int64_t>::max();
  }
  const std::int64_t low = ttl_ms > clock.advance_ms ? ttl_ms - clock.advance_ms : 0;
  if (milliseconds) return {low, high};
  return {seconds_rounded(low), seconds_rounded(high)};
}

// Redis's string2ll: exactly the canonical decimal form of an int64 ("-0", "01", "+1", " 1" are
// not integers to INCR).
bool parse_canonical_int(std::string_view text, std::int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (text[0] == '0' && text.size() != 1) return false;
  if (text[0] == '-' && (text.size() == 1 || text[1] == '0')) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// An EXPIRE's duration in milliseconds.
std::int64_t expire_ms(const Op& op) {
  std::int64_t amount = 0;
  ASSERT_MSG(parse_canonical_int(op.argument, &amount), "EXPIRE duration must be an integer");
  if (op.milliseconds) return amount;
  std::int64_t ms = 0;
  ASSERT_MSG(!__builtin_mul_overflow(amount, 1000, &ms), "EXPIRE duration out of range");
  return ms;
}

// One op of a key's sub-history, prepared for the search.
struct KeyOp {
  const Op* op = nullptr;
  bool unknown = false;
  // Unknown ops: the previous unknown op (in invoke order) with the same effect, or -1.
  std::int32_t previous_twin = -1;
  std::int64_t delta = 0;         // INCR
  std::int64_t expire_ms = 0;     // EXPIRE: the duration in ms (zero or less: delete)
  std::uint32_t argument = kNil;  // SET/SETNX/GETSET: the value written, interned
  bool cas = false;               // a SET with Op::expected: compare-and-set
  std::uint32_t expected = kNil;  // CAS: the value it must find, interned (never kNil)
  std::uint32_t observed = kNil;  // GET/GETDEL/GETSET with kOk: the value read, interned
};

// Whether a TTL reply fits the model state.
bool ttl_reply_fits(const Op& op, std::uint32_t state, const StateTable& states) {
  if (state == kNil) return op.integer == -2;
  const std::int64_t ttl_ms = states.ttl_ms(state);
  if (ttl_ms == kNoTtl) return op.integer == -1;
  const TtlRange range = ttl_range(ttl_ms, op.milliseconds, states.clock());
  return range.low <= op.integer && op.integer <= range.high;
}

struct Step {
  bool legal = false;  // the recorded result is what the model gives from this state
  std::uint32_t next = kNil;
};

// Applies `k` to `state`. For a completed op the step is legal only if the model's result
// matches the recorded one; an unknown op's result was never seen, so any effect is legal.
Step step(const KeyOp& k, std::uint32_t state, StateTable& states) {
  const Op& op = *k.op;
  const bool any = k.unknown;
  // Reads compare the value only, whatever the TTL.
  const std::uint32_t plain = states.plain(state);
  switch (op.kind) {
    case OpKind::kGet:
      return {any || plain == k.observed, state};
    case OpKind::kSet:
      // SET (and CAS, which lin-kv runs on keys that never have one) clears the TTL.
      if (!k.cas) return {true, k.argument};
      // A completed CAS found what it expected; an unknown one that would not find it is a
      // refused CAS: no effect.
      if (plain == k.expected) return {true, k.argument};
      return {any, state};
    case OpKind::kDel:
      return {any || op.integer == (state == kNil ? 0 : 1), kNil};
    case OpKind::kGetDel:
      return {any || plain == k.observed, kNil};
    case OpKind::kGetSet:
      return {any || plain == k.observed, k.argument};
    case OpKind::kSetNx:
      if (state == kNil) return {any || op.integer == 1, k.argument};
      return {any || op.integer == 0, state};
    case OpKind::kAppend: {
      const std::optional<std::string>& current = states.value(state);
      const std::size_t length = (current ? current->size() : 0) + op.argument.size();
      if (!any && op.integer != static_cast<std::int64_t>(length)) return {false, state};
      std::string appended = current ? *current : std::string();
      appended += op.argument;
      const std::uint32_t next = states.intern(std::move(appended));
      return {true, state == kNil ? next : states.with_ttl(next, states.ttl_ms(state))};
    }
    case OpKind::kIncr: {
      const std::optional<std::string>& current = states.value(state);
      std::int64_t number = 0;
      std::int64_t sum = 0;
      if ((current && !parse_canonical_int(*current, &number)) ||
          __builtin_add_overflow(number, k.delta, &sum)) {
        // "not an integer" and "would overflow" both leave the value alone.
        return {any || op.error, state};
      }
      if (!any && (op.error || op.integer != sum)) return {false, state};
      const std::uint32_t next = states.intern(std::to_string(sum));
      return {true, state == kNil ? next : states.with_ttl(next, states.ttl_ms(state))};
    }
    case OpKind::kExpire:
      if (state == kNil) return {any || op.integer == 0, kNil};
      // A deadline already past deletes the key (Redis's checkAlreadyExpired).
      if (k.expire_ms <= 0) return {any || op.integer == 1, kNil};
      return {any || op.integer == 1, states.with_ttl(state, k.expire_ms)};
    case OpKind::kTtl:
      return {any || ttl_reply_fits(op, state, states), state};
    case OpKind::kPersist:
      if (state == kNil || states.ttl_ms(state) == kNoTtl) return {any || op.integer == 0, state};
      return {any || op.integer == 1, plain};
    case OpKind::kHSet:
    case OpKind::kHDel:
    case OpKind::kHGet:
    case OpKind::kHGetAll:
    case OpKind::kLPush:
    case OpKind::kRPop:
    case OpKind::kLRange:
    case OpKind::kSAdd:
    case OpKind::kSRem:
    case OpKind::kSMembers:
    case OpKind::kZAdd:
    case OpKind::kZScore:
    case OpKind::kZRange: {
      const CollectionStep c = apply_collection_op(op, states.value(state), any);
      if (!c.legal) return {false, state};
      if (!c.changed) return {true, state};
      if (!c.next.has_value()) return {true, kNil};  // emptied: the key (and its TTL) is gone
      const std::uint32_t next = states.intern(*c.next);
      return {true, state == kNil ? next : states.with_ttl(next, states.ttl_ms(state))};
    }
  }
  UNREACHABLE();
}

// A model state as explanations show it: the value, and the TTL bound if any.
std::string describe_state(std::uint32_t state, const StateTable& states) {
  const std::optional<std::string>& value = states.value(state);
  std::string out = value.has_value() && is_collection_value(*value) ? describe_collection(*value)
                                                                      : describe_value(value);
  if (state != kNil && states.ttl_ms(state) != kNoTtl) {
    out += " (TTL " + std::to_string(states.ttl_ms(state)) + " ms)";
  }
  return out;
}

// What the model would have replied to `op` in `state`, for explanations.
std::string expected_reply(const Op& op, std::uint32_t state, const StateTable& states) {
  const std::optional<std::string>& value = states.value(state);
  switch (op.kind) {
    case OpKind::kGet:
    case OpKind::kGetDel:
    case OpKind::kGetSet:
      return describe_value(value);
    case OpKind::kSet:
      if (op.expected.has_value() && value != op.expected) return "refused (value differs)";
      return "OK";
    case OpKind::kDel:
      return value ? "1" : "0";
    case OpKind::kSetNx:
      return value ? "0" : "1";
    case OpKind::kAppend:
      return std::to_string((value ? value->size() : 0) + op.argument.size());
    case OpKind::kIncr: {
      std::int64_t number = 0;
      std::int64_t delta = 0;
      std::int64_t sum = 0;
      if (!parse_canonical_int(op.argument, &delta) ||
          (value && !parse_canonical_int(*value, &number)) ||
          __builtin_add_overflow(number, delta, &sum)) {
        return "ERR not an integer";
      }
      return std::to_string(sum);
    }
    case OpKind::kExpire:
      return value ? "1" : "0";
    case OpKind::kTtl: {
      if (!value) return "-2";
      if (states.ttl_ms(state) == kNoTtl) return "-1";
      const TtlRange range = ttl_range(states.ttl_ms(state), op.milliseconds, states.clock());
      return std::to_string(range.low) + ".." + std::to_string(range.high);
    }
    case OpKind::kPersist:
      return value && states.ttl_ms(state) != kNoTtl ? "1" : "0";
    case OpKind::kHSet:
    case OpKind::kHDel:
    case OpKind::kHGet:
    case OpKind::kHGetAll:
    case OpKind::kLPush:
    case OpKind::kRPop:
    case OpKind::kLRange:
    case OpKind::kSAdd:
    case OpKind::kSRem:
    case OpKind::kSMembers:
    case OpKind::kZAdd:
    case OpKind::kZScore:
    case OpKind::kZRange:
      return collection_expected_reply(op, value);
  }
  UNREACHABLE();
}

// Unknown ops with interchangeable effects ("twins"), which the search places only in invoke
// order. Exact twins have the same effect: SET and GETSET of one value (their replies were
// lost), DEL and GETDEL (and an EXPIRE that deletes), INCRs by one amount, APPENDs or SETNXs of
// one value, EXPIREs of one duration, PERSISTs. Writes of values
// nobody observed are twins too when swapping the values changes no recorded reply: the value
// is no substring of any value read on the key (so no read could ever have seen it, alone or
// appended to), it has a byte that is no digit or '-' (so neither it nor anything it is part of
// is an integer to INCR), and the two have the same length when some APPEND reply reports a
// length. Then existence is all the rest of the history can tell of it. A compare-and-set
// (SET with `expected`) is a twin only of CASes with the same expected and written values, and
// every value some CAS expects counts as observed (whether a CAS applies tells the value apart).
class TwinClasses {
 public:
  // effect, abstracted, value or length, the expected value of a CAS
  using Class = std::tuple<OpKind, bool, std::string, std::optional<std::string>>;

  explicit TwinClasses(const std::vector<const Op*>& key_ops) {
    for (const Op* op : key_ops) {
      if (op->kind == OpKind::kSet && op->expected.has_value() &&
          op->outcome != OpOutcome::kFailed) {
        read_values_.push_back(&*op->expected);
      }
      if (op->outcome != OpOutcome::kOk) continue;
      const bool reads =
          op->kind == OpKind::kGet || op->kind == OpKind::kGetDel || op->kind == OpKind::kGetSet;
      if (reads && op->value.has_value()) read_values_.push_back(&*op->value);
      if (op->kind == OpKind::kAppend) lengths_seen_ = true;
    }
  }

  Class of(const Op& op) const {
    switch (op.kind) {
      case OpKind::kDel:
      case OpKind::kGetDel:
        return {OpKind::kDel, false, std::string(), std::nullopt};
      case OpKind::kExpire: {
        const std::int64_t ms = expire_ms(op);
        if (ms <= 0) return {OpKind::kDel, false, std::string(), std::nullopt};
        return {OpKind::kExpire, false, std::to_string(ms), std::nullopt};
      }
      case OpKind::kPersist:
        return {OpKind::kPersist, false, std::string(), std::nullopt};
      case OpKind::kIncr:
        return {OpKind::kIncr, false, op.argument, std::nullopt};
      case OpKind::kSet:
        if (op.expected.has_value()) return {OpKind::kSet, false, op.argument, op.expected};
        return value_class(OpKind::kSet, op.argument);
      case OpKind::kGetSet:
        return value_class(OpKind::kSet, op.argument);
      case OpKind::kSetNx:
      case OpKind::kAppend:
        return value_class(op.kind, op.argument);
      case OpKind::kHSet:
      case OpKind::kHDel:
      case OpKind::kLPush:
      case OpKind::kRPop:
      case OpKind::kSAdd:
      case OpKind::kSRem:
      case OpKind::kZAdd:
        // The same write of the same arguments has the same effect.
        return {op.kind, false, op.field + '\0' + op.argument + (op.greater ? "\1" : ""),
                std::nullopt};
      case OpKind::kGet:
      case OpKind::kTtl:
      case OpKind::kHGet:
      case OpKind::kHGetAll:
      case OpKind::kLRange:
      case OpKind::kSMembers:
      case OpKind::kZScore:
      case OpKind::kZRange:
        break;  // unknown reads were dropped
    }
    UNREACHABLE();
  }

 private:
  Class value_class(OpKind effect, const std::string& value) const {
    if (!unobservable(value)) return {effect, false, value, std::nullopt};
    return {effect, true, lengths_seen_ ? std::to_string(value.size()) : std::string(),
            std::nullopt};
  }

  bool unobservable(const std::string& value) const {
    if (value.find_first_not_of("0123456789-") == std::string::npos) return false;
    for (const std::string* read : read_values_) {
      if (read->find(value) != std::string::npos) return false;
    }
    return true;
  }

  std::vector<const std::string*> read_values_;
  bool lengths_seen_ = false;
};

// ---------------------------------------------------------------------------------------------
// The set of linearized ops, as one bitset for the completed ops and one for the unknown ones,
// each numbered in invoke order. Completed ops are placed nearly in invoke order, so their set
// is a run of ones, a short ragged window, then zeros; unknown ones stay unplaced at any age and
// would keep that window open if they shared the numbering.
struct OpSet {
  std::vector<std::uint64_t> known;
  std::vector<std::uint64_t> unknown;
};

// Lowe's memo: the configurations already explored, each (set of linearized ops, model state,
// context), the context being the last op placed and the state before it when that op is an
// unknown one (see KeySearch::worth_trying), else 0. Each is stored canonically and compactly,
// without the completed ops' leading all-ones words and either set's trailing all-zero words:
// two header words (state and known window length; known window start, unknown length and
// whether a context follows), the context if any, the known window, the unknown words.

class ConfigCache {
 public:
  ConfigCache() { slots_.assign(1024, Slot{}); }

  // Records the configuration; false if it was already there.
  bool insert(const OpSet& placed, std::uint32_t state, std::uint64_t context) {
    encode(placed, state, context);
    const std::uint64_t hash = hash_of(scratch_.data(), scratch_.size());
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.offset_plus_one == 0) {
        ASSERT_LT(arena_.size() + scratch_.size(), std::numeric_limits<std::uint32_t>::max());
        slot = Slot{static_cast<std::uint32_t>(hash >> 32),
                    static_cast<std::uint32_t>(arena_.size() + 1)};
        arena_.insert(arena_.end(), scratch_.begin(), scratch_.end());
        if (++count_ * 2 > slots_.size()) grow();
        return true;
      }
      if (slot.tag == static_cast<std::uint32_t>(hash >> 32) && equals(slot, scratch_)) {
        return false;
      }
    }
  }

  std::uint64_t size() const { return count_; }

 private:
  struct Slot {
    std::uint32_t tag = 0;              // high half of the hash, to skip most full comparisons
    std::uint32_t offset_plus_one = 0;  // 0: empty
  };

  void encode(const OpSet& placed, std::uint32_t state, std::uint64_t context) {
    const std::vector<std::uint64_t>& known = placed.known;
    std::size_t lead = 0;
    while (lead < known.size() && known[lead] == ~std::uint64_t{0}) ++lead;
    std::size_t end = known.size();
    while (end > lead && known[end - 1] == 0) --end;
    std::size_t unknown_end = placed.unknown.size();
    while (unknown_end > 0 && placed.unknown[unknown_end - 1] == 0) --unknown_end;
    ASSERT_LT(lead, kFieldLimit);
    ASSERT_LT(unknown_end, kFieldLimit);
    scratch_.clear();
    scratch_.push_back(std::uint64_t{state} | (std::uint64_t{end - lead} << 32));
    scratch_.push_back(std::uint64_t{lead} | (std::uint64_t{unknown_end} << 32) |
                       (context != 0 ? kHasContext : 0));
    if (context != 0) scratch_.push_back(context);
    scratch_.insert(scratch_.end(), known.begin() + static_cast<std::ptrdiff_t>(lead),
                    known.begin() + static_cast<std::ptrdiff_t>(end));
    scratch_.insert(scratch_.end(), placed.unknown.begin(),
                    placed.unknown.begin() + static_cast<std::ptrdiff_t>(unknown_end));
  }

  static constexpr std::uint64_t kFieldLimit = std::uint64_t{1} << 31;
  static constexpr std::uint64_t kHasContext = std::uint64_t{1} << 63;

  static std::size_t entry_words(const std::uint64_t* entry) {
    return 2 + (entry[0] >> 32) + ((entry[1] >> 32) & (kFieldLimit - 1)) + (entry[1] >> 63);
  }

  static std::uint64_t hash_of(const std::uint64_t* words, std::size_t count) {
    return XXH3_64bits(words, count * sizeof(std::uint64_t));
  }

  bool equals(const Slot& slot, const std::vector<std::uint64_t>& encoded) const {
    const std::uint64_t* stored = arena_.data() + (slot.offset_plus_one - 1);
    return entry_words(stored) == encoded.size() &&
           std::equal(encoded.begin(), encoded.end(), stored);
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.offset_plus_one == 0) continue;
      const std::uint64_t* stored = arena_.data() + (slot.offset_plus_one - 1);
      const std::uint64_t hash = hash_of(stored, entry_words(stored));
      std::size_t i = hash & mask;
      while (slots_[i].offset_plus_one != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<std::uint64_t> scratch_;
  std::vector<std::uint64_t> arena_;
  std::vector<Slot> slots_;
  std::uint64_t count_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The search over one key.

enum class Verdict { kOk, kFailed, kExhausted };

struct KeyResult {
  Verdict verdict = Verdict::kOk;
  std::vector<std::uint32_t> longest_prefix;  // indexes into the key's ops
  std::uint64_t states = 0;
};

class KeySearch {
 public:
  KeySearch(std::vector<KeyOp> ops, StateTable* states) : ops_(std::move(ops)), states_(states) {
    std::uint32_t known = 0;
    std::uint32_t unknown = 0;
    for (const KeyOp& k : ops_) slot_.push_back(k.unknown ? unknown++ : known++);
    placed_.known.assign((known + 63) / 64, 0);
    placed_.unknown.assign((unknown + 63) / 64, 0);
    build_entries();
  }

  KeyResult run(std::uint64_t budget) {
    KeyResult result;
    ConfigCache cache;
    std::uint32_t state = kNil;
    std::size_t known_left = 0;
    for (const KeyOp& k : ops_) known_left += k.unknown ? 0 : 1;
    std::vector<Frame> stack;
    std::int32_t cursor = entries_[kHead].next;
    for (;;) {
      // Unknown ops can always take effect last or not at all, so once every completed op is
      // placed the rest need not be.
      if (known_left == 0) {
        result.verdict = Verdict::kOk;
        break;
      }
      // A completed op's return entry is still listed, so the walk meets it before the end.
      ASSERT_NE(cursor, kNone);
      const Entry& entry = entries_[cursor];
      if (entry.is_call) {
        const KeyOp& k = ops_[entry.op];
        const Step s = step(k, state, *states_);
        if (s.legal && worth_trying(k, state, s.next, stack)) {
          set_bit(entry.op);
          // The context of the new configuration: k itself is the last op placed.
          const std::uint64_t context =
              k.unknown ? ((std::uint64_t{entry.op} + 1) << 32) | state : 0;
          if (cache.insert(placed_, s.next, context)) {
            stack.push_back(Frame{cursor, state});
            state = s.next;
            lift(cursor);
            known_left -= k.unknown ? 0 : 1;
            if (cache.size() > budget) {
              result.verdict = Verdict::kExhausted;
              remember_longest(stack, &result.longest_prefix);
              break;
            }
            cursor = entries_[kHead].next;
            continue;
          }
          clear_bit(entry.op);
        }
        cursor = entry.next;
        continue;
      }
      // The return of an op not yet placed: everything after it must come later, so this
      // prefix is a dead end.
      if (stack.empty()) {
        result.verdict = Verdict::kFailed;
        break;
      }
      remember_longest(stack, &result.longest_prefix);
      const Frame top = stack.back();
      stack.pop_back();
      state = top.state_before;
      const std::uint32_t op = entries_[top.entry].op;
      clear_bit(op);
      unlift(top.entry);
      known_left += ops_[op].unknown ? 0 : 1;
      cursor = entries_[top.entry].next;
    }
    if (result.verdict == Verdict::kOk) remember_longest(stack, &result.longest_prefix);
    result.states = cache.size();
    return result;
  }

 private:
  static constexpr std::int32_t kNone = -1;
  static constexpr std::int32_t kHead = 0;

  // Call and return events in time order, doubly linked so placing an op unlinks both of its
  // entries and backtracking relinks them (dancing links, as Porcupine does).
  struct Entry {
    std::int32_t prev = kNone;
    std::int32_t next = kNone;
    std::int32_t match = kNone;  // a call's return entry; kNone for returns and unknown ops
    std::uint32_t op = 0;
    bool is_call = false;
  };

  struct Frame {
    std::int32_t entry;
    std::uint32_t state_before;
  };

  void build_entries() {
    struct Event {
      std::int64_t time;
      bool is_return;
      std::uint32_t op;
    };
    std::vector<Event> events;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      const Op& op = *ops_[i].op;
      events.push_back(Event{op.invoke_ns, false, i});
      // An unknown op never returns: no entry forces it to be placed.
      if (!ops_[i].unknown) events.push_back(Event{op.complete_ns, true, i});
    }
    // Calls before returns at equal times, so an op sent the instant another's reply arrived
    // counts as concurrent with it; ops are numbered in invoke order, which breaks the rest.
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return std::tie(a.time, a.is_return, a.op) < std::tie(b.time, b.is_return, b.op);
    });
    ASSERT_LT(events.size(), static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()));
    entries_.assign(events.size() + 1, Entry{});
    std::vector<std::int32_t> call_of(ops_.size(), kNone);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto index = static_cast<std::int32_t>(i + 1);
      Entry& e = entries_[index];
      e.prev = index - 1;
      e.next = i + 1 < events.size() ? index + 1 : kNone;
      e.op = events[i].op;
      e.is_call = !events[i].is_return;
      if (e.is_call) {
        call_of[e.op] = index;
      } else {
        ASSERT_NE(call_of[e.op], kNone);
        entries_[call_of[e.op]].match = index;
      }
    }
    entries_[kHead].next = events.empty() ? kNone : 1;
  }

  void unlink(std::int32_t i) {
    Entry& e = entries_[i];
    entries_[e.prev].next = e.next;
    if (e.next != kNone) entries_[e.next].prev = e.prev;
  }
  void relink(std::int32_t i) {
    Entry& e = entries_[i];
    entries_[e.prev].next = i;
    if (e.next != kNone) entries_[e.next].prev = i;
  }
  void lift(std::int32_t call) {
    unlink(call);
    if (entries_[call].match != kNone) unlink(entries_[call].match);
  }
  void unlift(std::int32_t call) {
    if (entries_[call].match != kNone) relink(entries_[call].match);
    relink(call);
  }

  // Unknown ops make the search branch at every point after their invoke, so placements that
  // cannot matter are skipped. An unknown op u is placed
  //   (a) only where it changes the state;
  //   (b) only in invoke order among twins (TwinClasses);
  // and the op w placed right after u must need it:
  //   (c) w could not have been placed instead of u with the same resulting state;
  //   (d) if w completed, w then u (from the state before u) must not give what u then w gives.
  // Each rule keeps at least one linearization if any exists. From any linearization, these
  // steps give another: remove an unknown op breaking (a) or (c) (allowed: it may never have
  // happened); trade one breaking (b) for its unplaced twin sent earlier (interchangeable
  // effect, weaker real-time constraint); move one breaking (d) after w (an unknown op may take
  // effect at any later point). Each step leaves fewer unknown ops placed, or as many sent
  // earlier, or as many sent as early but placed later, so the steps end, with all rules
  // holding. (c) and (d) make what may follow a configuration depend on its last op and the
  // state before it when that op is unknown, hence the memo's context.
  bool worth_trying(const KeyOp& k, std::uint32_t state, std::uint32_t next,
                    const std::vector<Frame>& stack) const {
    if (k.unknown && next == state) return false;
    if (k.unknown && k.previous_twin >= 0 && !bit(static_cast<std::uint32_t>(k.previous_twin))) {
      return false;
    }
    if (stack.empty()) return true;
    const KeyOp& last = ops_[entries_[stack.back().entry].op];
    if (!last.unknown) return true;
    const Step instead = step(k, stack.back().state_before, *states_);
    if (!instead.legal) return true;
    if (instead.next == next) return false;
    if (!k.unknown && step(last, instead.next, *states_).next == next) return false;
    return true;
  }

  std::uint64_t& word_of(std::uint32_t op) {
    return (ops_[op].unknown ? placed_.unknown : placed_.known)[slot_[op] / 64];
  }
  bool bit(std::uint32_t op) const {
    const auto& words = ops_[op].unknown ? placed_.unknown : placed_.known;
    return (words[slot_[op] / 64] >> (slot_[op] % 64)) & 1;
  }
  void set_bit(std::uint32_t op) { word_of(op) |= std::uint64_t{1} << (slot_[op] % 64); }
  void clear_bit(std::uint32_t op) { word_of(op) &= ~(std::uint64_t{1} << (slot_[op] % 64)); }

  void remember_longest(const std::vector<Frame>& stack, std::vector<std::uint32_t>* best) const {
    if (stack.size() <= best->size() && !best->empty()) return;
    best->clear();
    for (const Frame& f : stack) best->push_back(entries_[f.entry].op);
  }

  std::vector<KeyOp> ops_;
  StateTable* states_;
  std::vector<std::uint32_t> slot_;  // each op's number in its bitset of placed_
  OpSet placed_;
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Explanations.

constexpr std::size_t kPrefixTailLines = 12;
constexpr std::size_t kCandidateLines = 20;

std::string explain(const std::string& key, const std::vector<KeyOp>& ops, std::size_t dropped,
                    const KeyResult& r, StateTable& states) {
  std::string out = "key " + key + ": ";
  if (r.verdict == Verdict::kFailed) {
    out += "not linearizable";
  } else {
    out += "gave up after " + std::to_string(r.states) + " states";
  }
  out += " (" + std::to_string(ops.size()) + " ops";
  if (dropped != 0) {
    out +=
        ", not counting " + std::to_string(dropped) + (dropped == 1 ? " failed op" : " failed ops");
  }
  out += "); the longest linearizable prefix found has " + std::to_string(r.longest_prefix.size()) +
         " ops\n";

  // Replay the prefix to show the state after each of its last ops.
  std::vector<bool> placed(ops.size(), false);
  std::uint32_t state = kNil;
  const std::size_t tail_from =
      r.longest_prefix.size() > kPrefixTailLines ? r.longest_prefix.size() - kPrefixTailLines : 0;
  if (tail_from > 0) out += "  ... " + std::to_string(tail_from) + " earlier ops\n";
  for (std::size_t i = 0; i < r.longest_prefix.size(); ++i) {
    const std::uint32_t index = r.longest_prefix[i];
    const Step s = step(ops[index], state, states);
    ASSERT(s.legal);
    state = s.next;
    placed[index] = true;
    if (i >= tail_from) {
      out += "  " + describe(*ops[index].op) + "   => " + describe_state(state, states) + "\n";
    }
  }
  out += "state after the prefix: " + describe_state(state, states) + "\n";

  // The ops that could be placed next: sent before every remaining completed op returned.
  std::int64_t frontier = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!placed[i] && !ops[i].unknown) frontier = std::min(frontier, ops[i].op->complete_ns);
  }
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!placed[i] && ops[i].op->invoke_ns <= frontier) candidates.push_back(i);
  }
  out += "ops that could take effect next, with what the model replies from that state:\n";
  for (std::size_t n = 0; n < candidates.size() && n < kCandidateLines; ++n) {
    const Op& op = *ops[candidates[n]].op;
    out += "  " + describe(op) + "   (model: " + expected_reply(op, state, states) + ")\n";
  }
  if (candidates.size() > kCandidateLines) {
    out += "  ... and " + std::to_string(candidates.size() - kCandidateLines) + " more\n";
  }
  return out;
}

}  // namespace

LinearizabilityResult check_linearizable(const History& history, std::uint64_t state_budget) {
  {
    std::vector<std::uint64_t> ids;
    ids.reserve(history.ops.size());
    for (const Op& op : history.ops) ids.push_back(op.id);
    std::sort(ids.begin(), ids.end());
    ASSERT_MSG(std::adjacent_find(ids.begin(), ids.end()) == ids.end(), "op ids must be unique");
  }

  // Sorted keys, each with its ops in invoke order (ids break ties, so the input order of the
  // history never matters).
  std::map<std::string, std::vector<const Op*>> by_key;
  for (const Op& op : history.ops) by_key[op.key].push_back(&op);

  LinearizabilityResult result;
  for (auto& [key, key_ops] : by_key) {
    std::sort(key_ops.begin(), key_ops.end(), [](const Op* a, const Op* b) {
      return std::tie(a->invoke_ns, a->id) < std::tie(b->invoke_ns, b->id);
    });
    StateTable states(history.wall_clock);
    std::vector<KeyOp> ops;
    std::size_t dropped = 0;
    const TwinClasses twins(key_ops);
    // The last unknown op seen of each twin class.
    std::map<TwinClasses::Class, std::int32_t> last_twin;
    for (const Op* op : key_ops) {
      if (op->outcome == OpOutcome::kFailed) {
        ++dropped;  // took no effect
        continue;
      }
      KeyOp k;
      k.op = op;
      k.unknown = op->outcome == OpOutcome::kUnknown;
      // An unknown read neither changed anything nor told anything.
      if (k.unknown && (op->kind == OpKind::kGet || op->kind == OpKind::kTtl ||
                        is_collection_read(op->kind))) {
        continue;
      }
      if (!k.unknown) ASSERT_LE(op->invoke_ns, op->complete_ns);
      switch (op->kind) {
        case OpKind::kSet:
          k.argument = states.intern(op->argument);
          if (op->expected.has_value()) {
            k.cas = true;
            k.expected = states.intern(*op->expected);
          }
          break;
        case OpKind::kSetNx:
          k.argument = states.intern(op->argument);
          break;
        case OpKind::kGetSet:
          k.argument = states.intern(op->argument);
          k.observed = states.intern(op->value);
          break;
        case OpKind::kGet:
        case OpKind::kGetDel:
          k.observed = states.intern(op->value);
          break;
        case OpKind::kIncr:
          ASSERT_MSG(parse_canonical_int(op->argument, &k.delta),
                     "INCR increment must be a decimal integer");
          break;
        case OpKind::kExpire:
          k.expire_ms = expire_ms(*op);
          break;
        case OpKind::kDel:
        case OpKind::kAppend:
        case OpKind::kTtl:
        case OpKind::kPersist:
          break;
        case OpKind::kHSet:
        case OpKind::kHDel:
        case OpKind::kHGet:
        case OpKind::kHGetAll:
        case OpKind::kLPush:
        case OpKind::kRPop:
        case OpKind::kLRange:
        case OpKind::kSAdd:
        case OpKind::kSRem:
        case OpKind::kSMembers:
        case OpKind::kZAdd:
        case OpKind::kZScore:
        case OpKind::kZRange:
          break;  // the collection model reads the op itself
      }
      if (k.unknown) {
        auto [it, inserted] = last_twin.try_emplace(twins.of(*op), -1);
        k.previous_twin = it->second;
        it->second = static_cast<std::int32_t>(ops.size());
      }
      ops.push_back(k);
    }

    KeySearch search(ops, &states);
    const KeyResult r = search.run(state_budget);
    result.states_explored += r.states;
    if (r.verdict == Verdict::kOk) continue;
    // A failure is reported over an earlier exhausted key; of several exhausted keys, the first.
    if (r.verdict == Verdict::kExhausted && result.exhausted) continue;
    result.key = key;
    result.longest_prefix.clear();
    for (const std::uint32_t i : r.longest_prefix) result.longest_prefix.push_back(ops[i].op->id);
    result.explanation = explain(key, ops, dropped, r, states);
    if (r.verdict == Verdict::kExhausted) {
      result.exhausted = true;
      continue;
    }
    result.ok = false;
    break;
  }
  return result;
}

}  // namespace eddy::sim
