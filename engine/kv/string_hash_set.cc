#include "engine/kv/string_hash_set.h"

#include "engine/kv/hash_seed.h"

#include <xxhash.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace eddy::kv {

namespace {

// The largest table: home slots come from a 32-bit hash.
constexpr std::size_t kCapacityMax = std::size_t{1} << 32;

// Grow past 7/8 full; shrink below 1/8 to a size at most 3/4 full (so a shrink is never
// followed at once by a grow).
bool over_load_limit(std::size_t members, std::size_t capacity) {
  return members > capacity - capacity / 8;
}

}  // namespace

StringHashSet::StringHashSet() : seed_(collection_hash_seed()) {}

std::uint32_t StringHashSet::hash_of(std::string_view member) const {
  const auto hash =
      static_cast<std::uint32_t>(XXH3_64bits_withSeed(member.data(), member.size(), seed_) >> 32);
  // 0 marks an empty slot; the member whose hash is 0 takes 1 (both land in slot 0's range).
  return hash == 0 ? 1 : hash;
}

std::size_t StringHashSet::capacity_for(std::size_t members) {
  std::size_t capacity = kCapacityMin;
  while (members > capacity / 4 * 3) capacity *= 2;
  ASSERT_LE(capacity, kCapacityMax);
  return capacity;
}

std::size_t StringHashSet::find(std::string_view member, std::uint32_t hash) const {
  if (size_ == 0) return kNone;
  std::size_t slot = home(hash);
  for (std::size_t distance = 0;; ++distance) {
    const std::uint32_t resident = hashes_[slot];
    if (resident == 0) return kNone;
    // Runs are sorted by home: a resident closer to its home than we would be to ours means
    // our member's place has passed.
    if (displacement(slot) < distance) return kNone;
    if (resident == hash && members_[slot].view() == member) return slot;
    slot = (slot + 1) & mask();
  }
}

void StringHashSet::place(std::uint32_t hash, SmallString&& member) {
  std::size_t slot = home(hash);
  SmallString carried(std::move(member));
  for (std::size_t distance = 0;; ++distance) {
    if (hashes_[slot] == 0) {
      hashes_[slot] = hash;
      new (&members_[slot]) SmallString(std::move(carried));
      return;
    }
    const std::size_t resident_distance = displacement(slot);
    if (resident_distance < distance) {
      // The resident's home is later than ours: we take its slot and carry it on.
      std::swap(hash, hashes_[slot]);
      std::swap(carried, members_[slot]);
      distance = resident_distance;
    }
    slot = (slot + 1) & mask();
  }
}

bool StringHashSet::insert(std::string_view member) {
  const std::uint32_t hash = hash_of(member);
  if (find(member, hash) != kNone) return false;
  if (capacity_ == 0 || over_load_limit(size_ + 1, capacity_)) {
    rehash(capacity_ == 0 ? kCapacityMin : capacity_ * 2);
  }
  SmallString copy(member);
  member_heap_bytes_ += copy.heap_bytes();
  place(hash, std::move(copy));
  ++size_;
  return true;
}

bool StringHashSet::erase(std::string_view member) {
  std::size_t slot = find(member, hash_of(member));
  if (slot == kNone) return false;
  ASSERT_GE(member_heap_bytes_, members_[slot].heap_bytes());
  member_heap_bytes_ -= members_[slot].heap_bytes();
  members_[slot].~SmallString();
  // Backward shift: the displaced members after the hole each move one slot nearer home, so
  // runs stay sorted and no tombstone is needed.
  std::size_t next = (slot + 1) & mask();
  while (hashes_[next] != 0 && displacement(next) != 0) {
    hashes_[slot] = hashes_[next];
    new (&members_[slot]) SmallString(std::move(members_[next]));
    members_[next].~SmallString();
    slot = next;
    next = (next + 1) & mask();
  }
  hashes_[slot] = 0;
  --size_;
  if (size_ == 0) {
    release();
  } else if (capacity_ > kCapacityMin && size_ < capacity_ / 8) {
    rehash(capacity_for(size_));
  }
  return true;
}

void StringHashSet::reserve(std::size_t members) {
  const std::size_t capacity = capacity_for(members);
  if (capacity > capacity_) rehash(capacity);
}

void StringHashSet::rehash(std::size_t capacity) {
  ASSERT(std::has_single_bit(capacity));
  ASSERT_GE(capacity, kCapacityMin);
  ASSERT_LE(capacity, kCapacityMax);
  ASSERT(!over_load_limit(size_, capacity));
  void* block = std::malloc(capacity * kSlotBytes);
  if (block == nullptr) throw std::bad_alloc();
  std::uint32_t* old_hashes = hashes_;
  SmallString* old_members = members_;
  const std::size_t old_capacity = capacity_;
  hashes_ = static_cast<std::uint32_t*>(block);
  std::memset(hashes_, 0, capacity * sizeof(std::uint32_t));
  // capacity >= 8, so the members start 32-byte aligned within the block.
  members_ =
      reinterpret_cast<SmallString*>(static_cast<char*>(block) + capacity * sizeof(std::uint32_t));
  capacity_ = capacity;
  shift_ = 32 - static_cast<unsigned>(std::countr_zero(capacity));
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old_hashes[i] == 0) continue;
    place(old_hashes[i], std::move(old_members[i]));
    old_members[i].~SmallString();
  }
  std::free(old_hashes);
}

void StringHashSet::release() {
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (hashes_[i] != 0) members_[i].~SmallString();
  }
  std::free(hashes_);
  hashes_ = nullptr;
  members_ = nullptr;
  capacity_ = 0;
  size_ = 0;
  member_heap_bytes_ = 0;
  shift_ = 32;
}

StringHashSet StringHashSet::clone() const {
  StringHashSet copy;
  // Same seed, capacity and hashes: every member lands in the same slot.
  copy.seed_ = seed_;
  if (size_ == 0) return copy;
  copy.rehash(capacity_);
  std::memcpy(copy.hashes_, hashes_, capacity_ * sizeof(std::uint32_t));
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (hashes_[i] == 0) continue;
    new (&copy.members_[i]) SmallString(members_[i].view());
    copy.member_heap_bytes_ += copy.members_[i].heap_bytes();
  }
  copy.size_ = size_;
  return copy;
}

std::string_view StringHashSet::random_member(Rng& rng) const {
  ASSERT_GT(size_, 0u);
  // Uniform over members: draw slots until one is full. The table is at least 1/8 full, so
  // this takes 8 draws at worst on average; the walk after many misses only bounds the time.
  constexpr int kDrawsMax = 64;
  std::size_t slot = 0;
  for (int draw = 0; draw < kDrawsMax; ++draw) {
    slot = static_cast<std::size_t>(rng.below(capacity_));
    if (hashes_[slot] != 0) return members_[slot].view();
  }
  while (hashes_[slot] == 0) slot = (slot + 1) & mask();
  return members_[slot].view();
}

std::uint64_t StringHashSet::scan(std::uint64_t cursor, std::size_t count,
                                  FunctionRef<void(std::string_view)> visit) const {
  if (size_ == 0 || cursor >= kCursorEnd) return 0;
  if (count == 0) count = 1;
  const auto from = static_cast<std::uint32_t>(cursor);
  const std::size_t start = home(from);
  const std::size_t budget = count > kCapacityMax ? kCapacityMax : count * 10;
  std::size_t visited = 0;
  std::size_t examined = 0;
  std::size_t current_home = kNone;
  auto done = [&] { return visited >= count || examined >= budget; };
  for (std::size_t slot = start; slot < capacity_; ++slot, ++examined) {
    const std::uint32_t hash = hashes_[slot];
    if (hash == 0) {
      // Every member homed at or before an empty slot sits before it: a clean place to stop.
      if (done() && slot + 1 < capacity_) return std::uint64_t{slot + 1} << shift_;
      continue;
    }
    const std::size_t member_home = home(hash);
    // Skipped: members that wrapped around from the last slots (visited at the end) and
    // members homed before the cursor's slot (their hashes are below the cursor).
    if (member_home > slot || member_home < start) continue;
    if (member_home != current_home) {
      // All members homed before this one have been seen: stop at its home if enough.
      if (current_home != kNone && done()) return std::uint64_t{member_home} << shift_;
      current_home = member_home;
    }
    if (hash >= from) {
      visit(members_[slot].view());
      ++visited;
    }
  }
  // The run that wraps past the last slot continues at slot 0.
  for (std::size_t slot = 0; slot < capacity_ && hashes_[slot] != 0 && home(hashes_[slot]) > slot;
       ++slot) {
    if (hashes_[slot] >= from) visit(members_[slot].view());
  }
  return 0;
}

void StringHashSet::check_invariants() const {
  if (capacity_ == 0) {
    ASSERT_EQ(size_, 0u);
    ASSERT_EQ(member_heap_bytes_, 0u);
    ASSERT(hashes_ == nullptr);
    return;
  }
  ASSERT(std::has_single_bit(capacity_));
  ASSERT_GE(capacity_, kCapacityMin);
  ASSERT(!over_load_limit(size_, capacity_));
  ASSERT_EQ(shift_, 32 - static_cast<unsigned>(std::countr_zero(capacity_)));
  std::size_t members = 0;
  std::size_t heap = 0;
  for (std::size_t slot = 0; slot < capacity_; ++slot) {
    if (hashes_[slot] == 0) continue;
    ++members;
    heap += members_[slot].heap_bytes();
    ASSERT_EQ(hashes_[slot], hash_of(members_[slot].view()));
    // Robin Hood order: the previous slot holds a member at most one step less displaced
    // (or the run starts here, at this member's home).
    const std::size_t previous = (slot - 1) & mask();
    const std::size_t d = displacement(slot);
    if (d > 0) {
      ASSERT_NE(hashes_[previous], 0u);
      ASSERT_GE(displacement(previous) + 1, d);
    }
  }
  ASSERT_EQ(members, size_);
  ASSERT_EQ(heap, member_heap_bytes_);
}

}  // namespace eddy::kv
