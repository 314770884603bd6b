#include "engine/kv/table.h"

// The implementation of XXH3 inlined here (its symbols renamed, apart from the shared library
// the rest of eddy links): the keyspace hash is on every command's path.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

namespace eddy::kv {

std::uint64_t detail::hash_key(std::string_view key, std::uint64_t seed) {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

using detail::Ctrl;
using detail::Group;
using detail::kCtrlDeleted;
using detail::kCtrlEmpty;
using detail::kGroupSlots;
using detail::Segment;

namespace {

// walk() cursors pack [32 bits: segment range start >> 16][17 bits: slot][15 bits: epoch], so
// depths stay <= 32 and segments <= 2^17 slots (beyond kForceSplitSlots a segment splits
// whenever the depth allows, so only keys sharing 32 hash bits could get there). A resumed
// cursor mistakes a rebuilt segment for the one it left only if exactly a multiple of 2^15
// restructurings happened in between.
constexpr unsigned kDepthMax = 32;
constexpr unsigned kWalkSlotBits = 17;
constexpr unsigned kWalkEpochBits = 15;
constexpr std::uint64_t kWalkEpochMask = (std::uint64_t{1} << kWalkEpochBits) - 1;
constexpr std::uint32_t kSegmentSlotsHuge = std::uint32_t{1} << kWalkSlotBits;
static_assert(Table::kPositionBits - kDepthMax + kWalkSlotBits + kWalkEpochBits == 48);
// A segment this crowded splits even if the directory is already sparse.
constexpr std::uint32_t kForceSplitSlots = std::uint32_t{1} << 16;
// The directory may double only while it has fewer slots than this per segment: keys sharing
// a long hash prefix then grow their segment instead of the directory.
constexpr std::size_t kDirectorySlotsPerSegment = 64;
// Buddies merge when together they hold at most this many entries (a split leaves ~450 in
// each half, so a merged pair needs many inserts before it could split again).
constexpr std::uint32_t kMergeEntriesMax = Table::kSegmentSlotsMax / 4;
// SCAN examines at most this many segments per requested entry before returning a cursor,
// bounding the work of a call that meets a run of empty segments.
constexpr std::size_t kScanSegmentsPerCount = 10;
constexpr std::align_val_t kSegmentAlignment{64};

std::uint64_t position_of(std::uint64_t hash) {
  return hash >> (64 - Table::kPositionBits);
}

// The smallest capacity holding `n` entries at most 7/16 full: half the load limit, so a
// rebuilt segment absorbs many inserts before it must be restructured again.
std::uint32_t fitting_capacity(std::size_t n) {
  std::uint32_t capacity = Table::kSegmentSlotsMin;
  while (n * 16 > std::size_t{capacity} * 7) capacity *= 2;
  return capacity;
}

std::uint64_t encode_walk_cursor(std::uint64_t range_lo, std::uint32_t slot, std::uint64_t epoch) {
  DEBUG_ASSERT((range_lo & 0xFFFF) == 0 && slot < kSegmentSlotsHuge);
  return ((range_lo >> 16) << 32) | (std::uint64_t{slot} << kWalkEpochBits) |
         (epoch & kWalkEpochMask);
}

// splitmix64: turns one caller-supplied random word into a sequence for retries.
std::uint64_t next_random(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

template <typename Fn>
void Table::for_each_segment(Fn&& fn) const {
  std::size_t index = 0;
  while (index < dir_.size()) {
    Segment* segment = dir_[index];
    // Read the span before fn runs: fn may free the segment.
    const std::size_t next = index + (std::size_t{1} << (global_depth_ - segment->depth));
    fn(segment);
    index = next;
  }
}

Segment* Table::new_segment(std::uint32_t capacity, std::uint8_t depth, const Segment* from) {
  ASSERT(capacity >= kSegmentSlotsMin && capacity <= kSegmentSlotsHuge &&
         (capacity & (capacity - 1)) == 0);
  const std::size_t bytes = Segment::allocation_bytes(capacity);
  void* memory = ::operator new(bytes, kSegmentAlignment);
  Segment* segment =
      new (memory) Segment{capacity,
                           0,
                           0,
                           depth,
                           ++epoch_counter_,
                           from != nullptr ? from->snapshot_version : snapshot_version_};
  std::memset(segment->ctrl(), static_cast<unsigned char>(kCtrlEmpty), capacity);
  ++segment_count_;
  segment_bytes_ += bytes;
  return segment;
}

void Table::free_segment(Segment* segment) {
  // Entries have been moved out or destroyed by the caller.
  --segment_count_;
  segment_bytes_ -= Segment::allocation_bytes(segment->capacity);
  segment->~Segment();
  ::operator delete(segment, kSegmentAlignment);
}

void Table::place(Segment* segment, std::uint64_t hash, Entry* entry) {
  Ctrl* ctrl = segment->ctrl();
  detail::ProbeSeq probe(hash, segment->group_mask());
  while (true) {
    const std::uint32_t base = probe.first_slot();
    const std::uint32_t free_mask = Group(ctrl + base).match_free();
    if (free_mask != 0) {
      const std::uint32_t slot = base + detail::lowest_bit_index(free_mask);
      if (ctrl[slot] == kCtrlDeleted) {
        --segment->tombstones;
      } else {
        DEBUG_ASSERT(!segment->at_load_limit());
      }
      segment->slots()[slot] = entry;
      ctrl[slot] = detail::hash_tag(hash);
      ++segment->size;
      return;
    }
    probe.next();
  }
}

void Table::set_directory_range(std::size_t index, std::uint8_t depth, Segment* segment) {
  const std::size_t span = std::size_t{1} << (global_depth_ - depth);
  const std::size_t first = index & ~(span - 1);
  std::fill(dir_.begin() + static_cast<std::ptrdiff_t>(first),
            dir_.begin() + static_cast<std::ptrdiff_t>(first + span), segment);
}

void Table::make_room(std::uint64_t hash) {
  const std::size_t index = dir_index(hash);
  Segment* segment = dir_[index];
  DEBUG_ASSERT(segment->at_load_limit());
  // At least 1/8 of the slots are tombstones: reclaim them without allocating. The next
  // restructuring is then at least capacity/8 inserts away, which amortises the O(capacity).
  if (segment->size <= segment->capacity / 4 * 3) {
    rehash_in_place(segment);
    return;
  }
  if (segment->capacity < kSegmentSlotsMax) {
    resize_segment(index, segment->capacity * 2);
    return;
  }
  const bool can_split =
      segment->depth < global_depth_ ||
      (global_depth_ < kDepthMax && (dir_.size() < segment_count_ * kDirectorySlotsPerSegment ||
                                     segment->capacity >= kForceSplitSlots));
  if (can_split) {
    split_segment(index);
    return;
  }
  ASSERT_MSG(segment->capacity < kSegmentSlotsHuge,
             "hash table segment cannot grow further (keys crafted to collide?)");
  resize_segment(index, segment->capacity * 2);
}

void Table::rehash_in_place(Segment* segment) {
  Ctrl* ctrl = segment->ctrl();
  Entry** slots = segment->slots();
  const std::uint32_t capacity = segment->capacity;
  // Tombstones become empty; full slots are marked deleted, meaning "not yet placed".
  for (std::uint32_t slot = 0; slot < capacity; ++slot) {
    ctrl[slot] = detail::is_full(ctrl[slot]) ? kCtrlDeleted : kCtrlEmpty;
  }
  for (std::uint32_t slot = 0; slot < capacity; ++slot) {
    while (ctrl[slot] == kCtrlDeleted) {
      const std::uint64_t hash = hash_of(slots[slot]->key.view());
      const Ctrl tag = detail::hash_tag(hash);
      // The first empty or unplaced slot on the key's probe path; placed slots before it are
      // final, so a lookup that reaches it passes only full groups.
      detail::ProbeSeq probe(hash, segment->group_mask());
      std::uint32_t target;
      while (true) {
        const std::uint32_t base = probe.first_slot();
        const std::uint32_t free_mask = Group(ctrl + base).match_free();
        if (free_mask != 0) {
          target = base + detail::lowest_bit_index(free_mask);
          break;
        }
        probe.next();
      }
      if (target / kGroupSlots == slot / kGroupSlots) {
        ctrl[slot] = tag;  // already in the first group with room: stays
      } else if (ctrl[target] == kCtrlEmpty) {
        slots[target] = slots[slot];
        slots[slot] = nullptr;
        ctrl[target] = tag;
        ctrl[slot] = kCtrlEmpty;
      } else {
        // The target holds another unplaced entry: swap, then place that one from here.
        std::swap(slots[slot], slots[target]);
        ctrl[target] = tag;
      }
    }
  }
  segment->tombstones = 0;
  segment->epoch = ++epoch_counter_;
}

void Table::resize_segment(std::size_t index, std::uint32_t capacity) {
  Segment* old = dir_[index];
  Segment* fresh = new_segment(capacity, old->depth, old);
  const Ctrl* ctrl = old->ctrl();
  Entry** slots = old->slots();
  for (std::uint32_t slot = 0; slot < old->capacity; ++slot) {
    if (detail::is_full(ctrl[slot])) {
      place(fresh, hash_of(slots[slot]->key.view()), slots[slot]);
    }
  }
  ASSERT_EQ(fresh->size, old->size);
  set_directory_range(index, old->depth, fresh);
  free_segment(old);
}

void Table::double_directory() {
  ASSERT_LT(global_depth_, kDepthMax);
  std::vector<Segment*> doubled(dir_.size() * 2);
  for (std::size_t index = 0; index < dir_.size(); ++index) {
    doubled[2 * index] = dir_[index];
    doubled[2 * index + 1] = dir_[index];
  }
  dir_.swap(doubled);
  ++global_depth_;
  --dir_shift_;
  segments_at_global_depth_ = 0;
}

void Table::maybe_halve_directory() {
  while (global_depth_ > 0 && segments_at_global_depth_ == 0) {
    std::vector<Segment*> halved(dir_.size() / 2);
    for (std::size_t index = 0; index < halved.size(); ++index) halved[index] = dir_[2 * index];
    dir_.swap(halved);
    --global_depth_;
    ++dir_shift_;
    std::size_t at_global_depth = 0;
    for_each_segment([&](Segment* segment) {
      if (segment->depth == global_depth_) ++at_global_depth;
    });
    segments_at_global_depth_ = at_global_depth;
  }
}

void Table::split_segment(std::size_t index) {
  Segment* old = dir_[index];
  if (old->depth == global_depth_) {
    double_directory();
    index *= 2;
  }
  const std::uint8_t depth = static_cast<std::uint8_t>(old->depth + 1);
  // The hash bit that tells the halves apart: the new last bit of the prefix.
  const unsigned bit = 64 - depth;
  Segment* low = new_segment(old->capacity, depth, old);
  Segment* high = new_segment(old->capacity, depth, old);
  const Ctrl* ctrl = old->ctrl();
  Entry** slots = old->slots();
  for (std::uint32_t slot = 0; slot < old->capacity; ++slot) {
    if (detail::is_full(ctrl[slot])) {
      const std::uint64_t hash = hash_of(slots[slot]->key.view());
      place(((hash >> bit) & 1) != 0 ? high : low, hash, slots[slot]);
    }
  }
  ASSERT_EQ(low->size + high->size, old->size);
  const std::size_t span = std::size_t{1} << (global_depth_ - depth);
  const std::size_t first = index & ~(2 * span - 1);
  set_directory_range(first, depth, low);
  set_directory_range(first + span, depth, high);
  free_segment(old);
  if (depth == global_depth_) segments_at_global_depth_ += 2;
  // A lopsided split (unlucky or crafted hashes) leaves a sparse half: size it down.
  for (const std::size_t half : {first, first + span}) {
    Segment* segment = dir_[half];
    if (segment->capacity > kSegmentSlotsMin &&
        std::size_t{segment->size} * 8 < segment->capacity) {
      resize_segment(half, fitting_capacity(segment->size));
    }
  }
}

bool Table::try_merge(std::size_t index, bool allow_upper_buddy) {
  Segment* segment = dir_[index];
  const std::uint8_t depth = segment->depth;
  DEBUG_ASSERT(depth > 0);
  const std::size_t span = std::size_t{1} << (global_depth_ - depth);
  const std::size_t first = index & ~(span - 1);
  const std::size_t buddy_first = first ^ span;
  if (!allow_upper_buddy && buddy_first > first) return false;
  Segment* buddy = dir_[buddy_first];
  if (buddy->depth != depth) return false;
  // A snapshot may have serialized one and not the other (see begin_snapshot).
  if (snapshot_running_) return false;
  const std::size_t total = std::size_t{segment->size} + buddy->size;
  if (total > kMergeEntriesMax) return false;
  Segment* lower = buddy_first < first ? buddy : segment;
  Segment* upper = buddy_first < first ? segment : buddy;
  Segment* merged = new_segment(fitting_capacity(total), static_cast<std::uint8_t>(depth - 1));
  for (Segment* from : {lower, upper}) {
    const Ctrl* ctrl = from->ctrl();
    Entry** slots = from->slots();
    for (std::uint32_t slot = 0; slot < from->capacity; ++slot) {
      if (detail::is_full(ctrl[slot])) {
        place(merged, hash_of(slots[slot]->key.view()), slots[slot]);
      }
    }
  }
  ASSERT_EQ(std::size_t{merged->size}, total);
  set_directory_range(first, merged->depth, merged);
  free_segment(lower);
  free_segment(upper);
  if (depth == global_depth_) segments_at_global_depth_ -= 2;
  maybe_halve_directory();
  return true;
}

std::uint32_t Table::slot_of(const Segment* segment, std::uint64_t hash, const Entry* entry) {
  const Ctrl tag = detail::hash_tag(hash);
  const Ctrl* ctrl = segment->ctrl();
  Entry* const* slots = segment->slots();
  detail::ProbeSeq probe(hash, segment->group_mask());
  for (std::uint32_t step = 0; step <= segment->group_mask(); ++step, probe.next()) {
    const std::uint32_t base = probe.first_slot();
    const Group group(ctrl + base);
    for (std::uint32_t mask = group.match(tag); mask != 0; mask &= mask - 1) {
      const std::uint32_t slot = base + detail::lowest_bit_index(mask);
      if (slots[slot] == entry) return slot;
    }
    ASSERT_MSG(group.match_empty() == 0, "erasing an entry the table does not hold");
  }
  ASSERT_MSG(false, "erasing an entry the table does not hold");
  return 0;
}

void Table::erase_slot(Segment* segment, std::uint32_t slot) {
  Ctrl* ctrl = segment->ctrl();
  DEBUG_ASSERT(detail::is_full(ctrl[slot]));
  Entry* entry = segment->slots()[slot];
  if (entry->has_deadline()) --volatile_size_;
  destroy_entry(entry);
  // A group that still has an empty slot has never been full since the segment was built
  // (slots only become empty again here, under this same condition), so no probe path runs
  // through it and the slot can simply be emptied. Otherwise it must stay a tombstone.
  const std::uint32_t base = slot & ~(kGroupSlots - 1);
  if (Group(ctrl + base).match_empty() != 0) {
    ctrl[slot] = kCtrlEmpty;
  } else {
    ctrl[slot] = kCtrlDeleted;
    ++segment->tombstones;
  }
  --segment->size;
  --size_;
}

void Table::after_erase(std::size_t index, bool allow_upper_buddy) {
  // Track the segment by a position in its range: merges can halve the directory.
  const std::uint64_t position = std::uint64_t{index} << (kPositionBits - global_depth_);
  bool merged = false;
  while (true) {
    index = position >> (kPositionBits - global_depth_);
    Segment* segment = dir_[index];
    // Merges cascade: emptying a region can fold several levels back together.
    if (segment->depth > 0 && segment->size <= kMergeEntriesMax &&
        try_merge(index, allow_upper_buddy)) {
      merged = true;
      continue;
    }
    // A merged segment was sized to fit already.
    if (!merged && segment->capacity > kSegmentSlotsMin &&
        std::size_t{segment->size} * 8 < segment->capacity) {
      resize_segment(index, fitting_capacity(segment->size));
    }
    return;
  }
}

bool Table::erase(std::string_view key) {
  if (size_ == 0) return false;
  const std::uint64_t hash = hash_of(key);
  const std::size_t index = dir_index(hash);
  Segment* segment = dir_[index];
  Entry* entry = find_in(segment, hash, key);
  if (entry == nullptr) return false;
  erase_slot(segment, slot_of(segment, hash, entry));
  after_erase(index, true);
  return true;
}

Entry* Table::set_deadline(Entry* entry, std::int64_t at_ms) {
  ASSERT(entry != nullptr);
  ASSERT_GE(at_ms, 0);
  if (entry->has_deadline() == (at_ms != 0)) {
    if (at_ms != 0) static_cast<VolatileEntry*>(entry)->deadline_ms = at_ms;
    return entry;
  }
  const std::uint64_t hash = hash_of(entry->key.view());
  Segment* segment = dir_[dir_index(hash)];
  const std::uint32_t slot = slot_of(segment, hash, entry);
  // Allocation comes first (a new-expression allocates before it evaluates its initializer),
  // so a failed allocation leaves the entry as it was.
  // The moved-from key no longer says which form the old entry was: each branch frees it as
  // the form it knows.
  Entry* replacement;
  if (at_ms != 0) {
    replacement = new VolatileEntry{{std::move(entry->key), std::move(entry->value)}, at_ms};
    replacement->key.set_user_byte(Entry::kVolatileMark);
    ++volatile_size_;
    delete entry;
  } else {
    replacement = new Entry{std::move(entry->key), std::move(entry->value)};
    replacement->key.set_user_byte(0);
    ASSERT_GT(volatile_size_, 0u);
    --volatile_size_;
    delete static_cast<VolatileEntry*>(entry);
  }
  segment->slots()[slot] = replacement;
  return replacement;
}

void Table::destroy_entry(Entry* entry) {
  if (entry->has_deadline()) {
    delete static_cast<VolatileEntry*>(entry);
  } else {
    delete entry;
  }
}

void Table::erase(Entry* entry) {
  ASSERT(entry != nullptr);
  ASSERT_GT(size_, 0u);
  const std::uint64_t hash = hash_of(entry->key.view());
  const std::size_t index = dir_index(hash);
  Segment* segment = dir_[index];
  erase_slot(segment, slot_of(segment, hash, entry));
  after_erase(index, true);
}

void Table::clear() {
  for_each_segment([&](Segment* segment) {
    const Ctrl* ctrl = segment->ctrl();
    Entry** slots = segment->slots();
    for (std::uint32_t slot = 0; slot < segment->capacity; ++slot) {
      if (detail::is_full(ctrl[slot])) destroy_entry(slots[slot]);
    }
    free_segment(segment);
  });
  ASSERT_EQ(segment_count_, 0u);
  ASSERT_EQ(segment_bytes_, 0u);
  std::vector<Segment*>().swap(dir_);  // release the directory's memory too
  size_ = 0;
  volatile_size_ = 0;
  segments_at_global_depth_ = 0;
  global_depth_ = 0;
  dir_shift_ = 63;
  // epoch_counter_ keeps counting: a walk cursor from before the clear must not match.
}

void Table::swap(Table& other) noexcept {
  dir_.swap(other.dir_);
  std::swap(size_, other.size_);
  std::swap(volatile_size_, other.volatile_size_);
  std::swap(segment_count_, other.segment_count_);
  std::swap(segments_at_global_depth_, other.segments_at_global_depth_);
  std::swap(segment_bytes_, other.segment_bytes_);
  std::swap(epoch_counter_, other.epoch_counter_);
  std::swap(global_depth_, other.global_depth_);
  std::swap(dir_shift_, other.dir_shift_);
  std::swap(seed_, other.seed_);
  std::swap(snapshot_version_, other.snapshot_version_);
  std::swap(snapshot_running_, other.snapshot_running_);
}

std::size_t Table::serialize_segment(Segment* segment,
                                     FunctionRef<void(const Entry&)> visit) const {
  DEBUG_ASSERT(segment->snapshot_version != snapshot_version_);
  segment->snapshot_version = snapshot_version_;
  const Ctrl* ctrl = segment->ctrl();
  Entry* const* slots = segment->slots();
  std::size_t visited = 0;
  for (std::uint32_t slot = 0; slot < segment->capacity; ++slot) {
    if (detail::is_full(ctrl[slot])) {
      visit(*slots[slot]);
      ++visited;
    }
  }
  return visited;
}

std::size_t Table::snapshot_segment_of(std::uint64_t hash, FunctionRef<void(const Entry&)> visit) {
  if (!snapshot_pending(hash)) return 0;
  return serialize_segment(segment_for_hash(hash), visit);
}

std::uint64_t Table::snapshot_step(std::uint64_t cursor, std::size_t entries_max,
                                   FunctionRef<void(const Entry&)> visit) {
  ASSERT(snapshot_running_);
  if (dir_.empty() || cursor >= kPositionEnd) return kPositionEnd;
  std::size_t visited = 0;
  std::uint64_t range_lo = cursor;
  while (true) {
    Segment* segment = dir_[range_lo >> (kPositionBits - global_depth_)];
    const unsigned range_shift = kPositionBits - segment->depth;
    // A segment owns the whole aligned range around the cursor (splits only subdivide, and
    // merges are held): the cursor is always a range start of the segments it met.
    const std::uint64_t segment_lo = (range_lo >> range_shift) << range_shift;
    DEBUG_ASSERT(segment_lo == range_lo);
    const std::uint64_t range_end = segment_lo + (std::uint64_t{1} << range_shift);
    if (segment->snapshot_version != snapshot_version_) {
      visited += serialize_segment(segment, visit);
    }
    if (range_end >= kPositionEnd) return kPositionEnd;
    range_lo = range_end;
    if (visited >= entries_max) return range_lo;
  }
}

std::uint64_t Table::scan(std::uint64_t cursor, std::size_t count,
                          FunctionRef<void(const Entry&)> visit) const {
  if (size_ == 0 || cursor >= kPositionEnd) return 0;
  count = std::max<std::size_t>(count, 1);
  struct Found {
    std::uint64_t position;
    const Entry* entry;
  };
  // Order by position, then by key: the output order depends only on the set of keys.
  const auto before = [](const Found& a, const Found& b) {
    if (a.position != b.position) return a.position < b.position;
    return a.entry->key.view() < b.entry->key.view();
  };
  std::vector<Found> found;
  std::size_t visited = 0;
  std::size_t segments_left =
      count > std::numeric_limits<std::size_t>::max() / kScanSegmentsPerCount
          ? std::numeric_limits<std::size_t>::max()
          : count * kScanSegmentsPerCount;
  std::uint64_t position = cursor;
  while (true) {
    const Segment* segment = dir_[position >> (kPositionBits - global_depth_)];
    const unsigned range_shift = kPositionBits - segment->depth;
    const std::uint64_t range_end = ((position >> range_shift) + 1) << range_shift;
    found.clear();
    const Ctrl* ctrl = segment->ctrl();
    Entry* const* slots = segment->slots();
    for (std::uint32_t base = 0; base < segment->capacity; base += kGroupSlots) {
      for (std::uint32_t mask = Group(ctrl + base).match_full(); mask != 0; mask &= mask - 1) {
        const Entry* entry = slots[base + detail::lowest_bit_index(mask)];
        const std::uint64_t entry_position = position_of(hash_of(entry->key.view()));
        if (entry_position >= position) found.push_back({entry_position, entry});
      }
    }
    const std::size_t wanted = count - visited;
    if (found.size() > wanted) {
      // Take the `wanted` smallest positions plus any ties of the last one, then stop just
      // after it: the next call resumes inside this segment.
      const auto nth = found.begin() + static_cast<std::ptrdiff_t>(wanted - 1);
      std::nth_element(found.begin(), nth, found.end(), before);
      const std::uint64_t last = nth->position;
      const auto taken_end = std::partition(nth + 1, found.end(),
                                            [last](const Found& f) { return f.position == last; });
      std::sort(found.begin(), taken_end, before);
      for (auto it = found.begin(); it != taken_end; ++it) visit(*it->entry);
      return last + 1 == kPositionEnd ? 0 : last + 1;
    }
    std::sort(found.begin(), found.end(), before);
    for (const Found& f : found) visit(*f.entry);
    visited += found.size();
    if (range_end == kPositionEnd) return 0;
    position = range_end;
    if (visited >= count || --segments_left == 0) return position;
  }
}

Entry* Table::random_entry(std::uint64_t random) {
  if (size_ == 0) return nullptr;
  std::uint64_t state = random;
  // A directory slot picks a segment with probability proportional to its share of the hash
  // space (so, roughly, of the keys); then the first full slot from a random start. Segments
  // are at least 1/8 full unless tiny, so the expected walk is short.
  constexpr int kAttempts = 64;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::uint64_t r = next_random(state);
    Segment* segment = dir_[dir_index(r)];
    if (segment->size == 0) continue;
    const std::uint32_t mask = segment->capacity - 1;
    const std::uint32_t start = static_cast<std::uint32_t>(r) & mask;
    const Ctrl* ctrl = segment->ctrl();
    for (std::uint32_t i = 0; i <= mask; ++i) {
      const std::uint32_t slot = (start + i) & mask;
      if (detail::is_full(ctrl[slot])) return segment->slots()[slot];
    }
  }
  // Every draw hit an empty segment (a few keys spread over many segments): take the first.
  Entry* result = nullptr;
  for_each_segment([&](Segment* segment) {
    if (result != nullptr || segment->size == 0) return;
    const Ctrl* ctrl = segment->ctrl();
    for (std::uint32_t slot = 0; slot < segment->capacity; ++slot) {
      if (detail::is_full(ctrl[slot])) {
        result = segment->slots()[slot];
        return;
      }
    }
  });
  ASSERT(result != nullptr);
  return result;
}

std::uint64_t Table::walk(std::uint64_t cursor, std::size_t slots_max,
                          FunctionRef<bool(Entry&)> fn) {
  if (size_ == 0) return 0;
  std::size_t budget = std::max<std::size_t>(slots_max, 1);
  std::uint64_t range_lo = (cursor >> 32) << 16;
  std::uint32_t slot =
      static_cast<std::uint32_t>((cursor >> kWalkEpochBits) & (kSegmentSlotsHuge - 1));
  const std::uint64_t cursor_epoch = cursor & kWalkEpochMask;
  bool resuming = cursor != 0;
  while (true) {
    const std::size_t index = range_lo >> (kPositionBits - global_depth_);
    Segment* segment = dir_[index];
    const unsigned range_shift = kPositionBits - segment->depth;
    const std::uint64_t segment_lo = (range_lo >> range_shift) << range_shift;
    // The segment was rebuilt, split or merged since the cursor was issued: its entries may
    // have moved between slots, so walk all of it again.
    if (resuming && (segment_lo != range_lo || (segment->epoch & kWalkEpochMask) != cursor_epoch)) {
      slot = 0;
    }
    resuming = false;
    range_lo = segment_lo;
    const std::uint64_t range_end = segment_lo + (std::uint64_t{1} << range_shift);
    const Ctrl* ctrl = segment->ctrl();
    Entry** slots = segment->slots();
    bool erased = false;
    for (; slot < segment->capacity && budget > 0; ++slot, --budget) {
      if (detail::is_full(ctrl[slot]) && fn(*slots[slot])) {
        erase_slot(segment, slot);  // never moves other entries
        erased = true;
      }
    }
    if (slot < segment->capacity) return encode_walk_cursor(range_lo, slot, segment->epoch);
    // The cursor is leaving this segment, so it may now shrink, or merge with its buddy below
    // (already walked); merging with the one above would make the pass walk this part twice.
    if (erased) after_erase(index, false);
    if (range_end == kPositionEnd) return 0;
    range_lo = range_end;
    slot = 0;
    if (budget == 0) return encode_walk_cursor(range_lo, 0, 0);
  }
}

std::size_t Table::memory_bytes() const {
  std::size_t bytes = dir_.capacity() * sizeof(Segment*) + segment_bytes_;
  for_each_segment([&](Segment* segment) {
    const Ctrl* ctrl = segment->ctrl();
    Entry* const* slots = segment->slots();
    for (std::uint32_t slot = 0; slot < segment->capacity; ++slot) {
      if (detail::is_full(ctrl[slot])) {
        const Entry* entry = slots[slot];
        bytes += entry_bytes(*entry) + entry->key.heap_bytes() + entry->value.memory_bytes();
      }
    }
  });
  return bytes;
}

void Table::check_invariants() const {
  if (dir_.empty()) {
    ASSERT_EQ(size_, 0u);
    ASSERT_EQ(segment_count_, 0u);
    ASSERT_EQ(segment_bytes_, 0u);
    return;
  }
  ASSERT_LE(unsigned{global_depth_}, kDepthMax);
  ASSERT_EQ(dir_.size(), std::size_t{1} << global_depth_);
  ASSERT_EQ(unsigned{dir_shift_}, 63u - global_depth_);
  std::size_t entries = 0;
  std::size_t segments = 0;
  std::size_t at_global_depth = 0;
  std::size_t bytes = 0;
  std::size_t index = 0;
  while (index < dir_.size()) {
    Segment* segment = dir_[index];
    ASSERT_LE(unsigned{segment->depth}, unsigned{global_depth_});
    const std::size_t span = std::size_t{1} << (global_depth_ - segment->depth);
    ASSERT_EQ(index & (span - 1), 0u);
    for (std::size_t other = index; other < index + span; ++other) ASSERT(dir_[other] == segment);
    const std::uint32_t capacity = segment->capacity;
    ASSERT(capacity >= kSegmentSlotsMin && capacity <= kSegmentSlotsHuge &&
           (capacity & (capacity - 1)) == 0);
    ASSERT_LE(segment->size + segment->tombstones, capacity - capacity / 8);
    const Ctrl* ctrl = segment->ctrl();
    Entry** slots = segment->slots();
    std::uint32_t full = 0;
    std::uint32_t deleted = 0;
    for (std::uint32_t slot = 0; slot < capacity; ++slot) {
      if (ctrl[slot] == kCtrlDeleted) {
        ++deleted;
        continue;
      }
      if (ctrl[slot] == kCtrlEmpty) continue;
      ASSERT(detail::is_full(ctrl[slot]));
      ++full;
      const std::string_view key = slots[slot]->key.view();
      const std::uint64_t hash = hash_of(key);
      ASSERT(ctrl[slot] == detail::hash_tag(hash));
      ASSERT_EQ(dir_index(hash) >> (global_depth_ - segment->depth),
                index >> (global_depth_ - segment->depth));
      ASSERT(find_in(segment, hash, key) == slots[slot]);
    }
    ASSERT_EQ(full, segment->size);
    ASSERT_EQ(deleted, segment->tombstones);
    entries += full;
    ++segments;
    if (segment->depth == global_depth_) ++at_global_depth;
    bytes += Segment::allocation_bytes(capacity);
    index += span;
  }
  ASSERT_EQ(entries, size_);
  ASSERT_EQ(segments, segment_count_);
  ASSERT_EQ(at_global_depth, segments_at_global_depth_);
  ASSERT_EQ(bytes, segment_bytes_);
}

}  // namespace eddy::kv
