#pragma once
// StringHashSet: a hash set of byte strings, the large form of a Redis set (Redis's
// OBJ_ENCODING_HT, not its dict).
//
// Design. Open addressing with linear probing in Robin Hood order: a member's home slot is the
// top bits of a 32-bit hash of it, and members are kept in each run of occupied slots sorted by
// home (an insert displaces a member that sits closer to its home than the newcomer would;
// an erase shifts the following members back). So
//   - a lookup stops as soon as it meets a member whose home is past the one it looks for,
//     which keeps misses as short as hits even at 7/8 load;
//   - walking the slots in order visits members in ascending hash order (apart from a run that
//     wraps past the last slot), which is what SSCAN's cursor needs (below).
// Each slot is the member as a SmallString (24 bytes, inline up to 22 bytes) plus its 32-bit
// hash (0 marks an empty slot), in one allocation: about 28 bytes per slot at a load between
// 1/8 and 7/8 (the table doubles past 7/8 and halves below 1/8).
//
// Resizing rehashes every member at once (amortised O(1) per insert, but one insert may take
// O(size)); Redis spreads that work over later commands with incremental rehashing.
//
// SSCAN. A cursor is a position in the 32-bit hash space: a call visits members whose hash is
// at or above the cursor in ascending hash order and returns the hash where it stopped, always
// a boundary between home slots. Because the cursor names hashes rather than slots, a member
// present from the first call to the last is visited at least once however the table grows or
// shrinks in between (Redis's guarantee for SSCAN), and exactly once when it does not resize.
//
// Hashes use a fixed seed, so the layout and iteration order depend only on the sequence of
// operations. Memory: heap_bytes() is exact and O(1) (the slot array plus a running count of
// the members' own heap bytes).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/small_string.h"
#include "engine/rng.h"

namespace eddy::kv {

class StringHashSet {
 public:
  static constexpr std::size_t kCapacityMin = 8;
  // Cursors live in [0, kCursorEnd); scan() returns 0 when the whole space has been covered.
  static constexpr std::uint64_t kCursorEnd = std::uint64_t{1} << 32;

  StringHashSet();
  StringHashSet(const StringHashSet&) = delete;
  StringHashSet& operator=(const StringHashSet&) = delete;
  StringHashSet(StringHashSet&& other) noexcept { steal(other); }
  StringHashSet& operator=(StringHashSet&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  ~StringHashSet() { release(); }

  StringHashSet clone() const;
  // Sizes the table for `members` members without further growth (converting an intset).
  void reserve(std::size_t members);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return capacity_; }
  std::size_t heap_bytes() const { return capacity_ * kSlotBytes + member_heap_bytes_; }

  bool contains(std::string_view member) const { return find(member, hash_of(member)) != kNone; }
  // False (and no change) when `member` is already in the set.
  bool insert(std::string_view member);
  // False when `member` is not in the set.
  bool erase(std::string_view member);
  void clear() { release(); }

  // A member chosen uniformly at random (the set must not be empty). The view lives until the
  // set changes.
  std::string_view random_member(Rng& rng) const;

  // Calls fn(std::string_view) for every member, in slot order. fn must not modify the set.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (hashes_[i] != 0) fn(members_[i].view());
    }
  }

  // Like for_each, but stops as soon as fn returns false; false when it stopped early.
  template <typename Fn>
  bool for_each_while(Fn&& fn) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (hashes_[i] != 0 && !fn(members_[i].view())) return false;
    }
    return true;
  }

  // SSCAN: visits members from `cursor` on (see above), about `count` of them, looking at no
  // more than about 10 * count slots (Redis's bound for sparse tables); returns the cursor to
  // continue from, 0 when done. `visit` must not modify the set.
  std::uint64_t scan(std::uint64_t cursor, std::size_t count,
                     FunctionRef<void(std::string_view)> visit) const;

  // Checks every structural invariant (slow); aborts on violation.
  void check_invariants() const;

 private:
  static constexpr std::size_t kSlotBytes = sizeof(std::uint32_t) + sizeof(SmallString);
  static constexpr std::size_t kNone = ~std::size_t{0};

  std::uint32_t hash_of(std::string_view member) const;
  std::size_t mask() const { return capacity_ - 1; }
  std::size_t home(std::uint32_t hash) const { return hash >> shift_; }
  // How far the member at `slot` sits past its home.
  std::size_t displacement(std::size_t slot) const { return (slot - home(hashes_[slot])) & mask(); }
  std::size_t find(std::string_view member, std::uint32_t hash) const;
  // Puts a member known to be absent into its Robin Hood place; the table has room.
  void place(std::uint32_t hash, SmallString&& member);
  void rehash(std::size_t capacity);
  static std::size_t capacity_for(std::size_t members);
  void release();
  void steal(StringHashSet& other) {
    hashes_ = other.hashes_;
    members_ = other.members_;
    capacity_ = other.capacity_;
    size_ = other.size_;
    member_heap_bytes_ = other.member_heap_bytes_;
    shift_ = other.shift_;
    seed_ = other.seed_;
    other.hashes_ = nullptr;
    other.members_ = nullptr;
    other.capacity_ = other.size_ = other.member_heap_bytes_ = 0;
  }

  // One allocation: capacity_ hashes, then capacity_ members (constructed where hash != 0).
  std::uint32_t* hashes_ = nullptr;
  SmallString* members_ = nullptr;
  std::size_t capacity_ = 0;  // a power of two >= kCapacityMin, or 0 when nothing is allocated
  std::size_t size_ = 0;
  std::size_t member_heap_bytes_ = 0;
  unsigned shift_ = 32;  // 32 - log2(capacity_)
  std::uint64_t seed_;   // kv::collection_hash_seed() when made (hash_seed.h)
};

}  // namespace eddy::kv
