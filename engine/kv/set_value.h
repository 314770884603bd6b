#pragma once
// SetValue: a Redis set, in Redis 7.0's two encodings.
//   - intset (engine/kv/intset.h) while every member is the canonical decimal form of an int64
//     and there are at most set-max-intset-entries members (512 by default);
//   - hashtable (engine/kv/string_hash_set.h) from the first member that breaks either rule;
//     a set never converts back (as in Redis; only building a new set, as SPOP's large-count
//     path and the *STORE commands do, picks the small form again).
// Redis 7.2 added a listpack form for small sets of strings; 7.0.15, which eddy follows, has
// none, so OBJECT ENCODING answers "intset" or "hashtable" exactly as 7.0.15 would.
//
// Members are byte strings to callers. An intset member is handed out as its decimal text,
// formatted into a caller's scratch buffer (MemberScratch), so a view of a member lives no
// longer than the set's next change and the scratch.
//
// Memory: memory_bytes() is this object plus the intset's buffer or the hash set's slots and
// members' heap bytes, all kept as running counts: exact and O(1).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/base/function_ref.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/intset.h"
#include "engine/kv/string_hash_set.h"
#include "engine/kv/value.h"
#include "engine/rng.h"

namespace eddy::kv {

class SetValue final : public Collection {
 public:
  static constexpr Type kType = Type::kSet;
  // Where an intset member's text is formatted.
  using MemberScratch = char[Value::kIntScratchBytes];

  // An empty set in the form Redis creates for a set whose first member is `member`
  // (setTypeCreate): an intset when it is an integer, else a hash table.
  static std::unique_ptr<SetValue> for_first_member(std::string_view member);
  // An empty intset: the start of a computed set (SINTERSTORE, SUNION ...), as in Redis.
  static std::unique_ptr<SetValue> empty_intset();

  // set-max-intset-entries as an intset bound, clamped as Redis clamps it (at most 2^30).
  static std::size_t intset_entries_max(const EncodingLimits& limits);

  Type type() const override { return kType; }
  Encoding encoding() const override {
    return is_intset() ? Encoding::kIntset : Encoding::kHashtable;
  }
  std::size_t size() const override { return is_intset() ? ints_.size() : table_.size(); }
  std::size_t memory_bytes() const override {
    return sizeof(SetValue) + ints_.heap_bytes() + table_.heap_bytes();
  }
  std::unique_ptr<Collection> clone() const override;
  std::uint64_t digest() const override;
  void rebuild(std::string_view key,
               FunctionRef<void(std::span<const std::string_view>)> emit) const override;

  bool is_intset() const { return !hashtable_; }
  bool empty() const { return size() == 0; }

  // Adds `member`; false when it was already there. Converts to a hash table when the member
  // is not an integer or the intset would exceed `intset_entries_max` members.
  bool add(std::string_view member, std::size_t intset_entries_max);
  // Removes `member`; false when it was not there.
  bool remove(std::string_view member);
  bool contains(std::string_view member) const;

  // A member chosen uniformly at random with `rng` (the set must not be empty).
  std::string_view random_member(Rng& rng, MemberScratch& scratch) const;

  // Calls fn(std::string_view) for every member: an intset in ascending order, a hash table in
  // its slot order. fn must not modify the set.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (is_intset()) {
      MemberScratch scratch;
      for (std::size_t i = 0; i < ints_.size(); ++i) fn(Value::format_int(ints_.at(i), scratch));
    } else {
      table_.for_each(fn);
    }
  }

  // Like for_each, but stops as soon as fn returns false; false when it stopped early.
  template <typename Fn>
  bool for_each_while(Fn&& fn) const {
    if (!is_intset()) return table_.for_each_while(fn);
    MemberScratch scratch;
    for (std::size_t i = 0; i < ints_.size(); ++i) {
      if (!fn(Value::format_int(ints_.at(i), scratch))) return false;
    }
    return true;
  }

  // SSCAN over the hash table form (see StringHashSet::scan); an intset is visited whole in one
  // call, returning cursor 0, as Redis does for its compact encodings.
  std::uint64_t scan(std::uint64_t cursor, std::size_t count,
                     FunctionRef<void(std::string_view)> visit) const;

  // Checks the encoding's invariants (slow); aborts on violation.
  void check_invariants() const;

 private:
  SetValue() = default;
  void convert_to_hashtable();

  bool hashtable_ = false;
  Intset ints_;          // the members while is_intset()
  StringHashSet table_;  // the members once converted
};

}  // namespace eddy::kv
