#pragma once
// Table: the keyspace of one database on one shard (key -> Entry). Single-threaded: a shard's
// thread owns its tables, so nothing here locks.
//
// Design
// ------
// Every key is hashed once with XXH3_64bits under the table's seed (set_hash_seed: the shard's,
// from its runtime: OS entropy in eddy-server, so that colliding keys cannot be precomputed; the
// run's seed in the simulator, so a table's layout and iteration order depend only on the seed
// and the sequence of operations). The 64 hash bits are used as follows:
//   bits 63..64-G  directory index (G = global depth, at most kDepthMax = 32)
//   bits 63..16    the key's SCAN position, in [0, 2^48)
//   bits  7..      first probe group inside a segment
//   bits  6..0     the 7-bit tag stored in the key's control byte
//
// Extendible hashing. A directory of 2^G pointers, indexed by the top G hash bits, points at
// segments. A segment of local depth d <= G holds exactly the keys whose top d bits equal its
// prefix and is referenced by the 2^(G-d) consecutive directory slots sharing that prefix.
// Equivalently a segment owns a contiguous range of SCAN positions, and segments in directory
// order own ascending ranges. The directory is a plain vector: it is the only O(#segments)
// structure and changes only by doubling or halving (pointer copies).
//
// Segments are Swiss-style open-addressing tables: one control byte per slot (kCtrlEmpty,
// kCtrlDeleted, or the 7-bit tag of a full slot), slots in aligned groups of 16 whose control
// bytes are compared 16 at a time with SSE2 (plain loops elsewhere). Probing visits groups in
// triangular order, which covers every group of a power-of-two table; a lookup stops at the
// first group holding an empty slot. Load factor (full + tombstones) at most 7/8 per segment.
// Memory: one allocation per segment (header, control bytes, then one pointer per slot) and
// one per entry. Slots hold pointers rather than entries because a slot is paid for whether it
// is full or not: at the ~70% average load of split-grown segments, an inline 56-byte entry
// costs ~80 bytes of table per key, a pointer slot ~13 plus the 56-byte entry (bench/
// memory_per_key.sh measured 157 -> see docs/benchmarks.md). Entries never move, so growth,
// splits and merges move 8-byte pointers, and an Entry* stays valid until that key is erased.
//
// Growth never rehashes the whole table: when an insert finds its segment at the load limit,
//   - a segment whose slots are mostly tombstones is rehashed in place (no allocation);
//   - a segment below kSegmentSlotsMax (1024) slots doubles (a new table starts with one
//     16-slot segment, so empty and small tables cost little);
//   - a full-size segment splits: its entries are redistributed by hash bit 63-d into two
//     fresh segments of depth d+1 (the directory doubles first if d == G). Work per insert is
//     bounded by one segment, about 900 entries, plus at times a directory doubling (a copy
//     of pointers, a few per segment).
// Deletion leaves tombstones only where needed (a slot in a group that has never been full is
// simply emptied). Erasing shrinks sparse segments and merges a segment with its buddy (same
// depth, other value of bit 63-(d-1)) when both together hold few entries; the directory halves
// when no segment uses its full depth any more. Hysteresis (grow at 7/8, shrink below 1/8;
// split at ~900 entries, merge at <= 256) keeps alternating inserts and erases from thrashing.
// A table that has never held a key allocates nothing; clear() frees everything.
//
// Pathological hashes (many keys sharing a long hash prefix) could otherwise double the
// directory without bound; the directory may only double while it has fewer than 64 slots
// per segment, past that a crowded segment grows beyond 1024 slots instead (lookups stay O(1)
// because in-segment probing uses independent hash bits).
//
// SCAN. A cursor is a position: SCAN visits positions in ascending order, and because a
// segment owns a contiguous position range that splits and merges only subdivide or join, a
// key present for a whole scan is visited exactly once whatever happens to the structure in
// between. Within a segment the next `count` positions are chosen with nth_element over the
// segment's entries (their hashes are recomputed: SCAN is not a hot path).
//
// walk() (active expiry) goes over physical slots, segment by segment in position order. Its
// cursor names the segment's position range, the slot, and the segment's epoch: every
// operation that moves entries inside a segment gives it a new epoch, and a cursor whose
// segment changed restarts that segment from slot 0 (entries may then be seen twice in a pass,
// never missed).
//
// Entry pointers (find, find_or_insert, random_entry) stay valid until their key is erased
// (erase, walk or clear). Callers should still not rely on more than Db promises: that a
// pointer is good until the next insert or erase.

#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/small_string.h"
#include "engine/kv/value.h"

namespace eddy::kv {

// A key and its value. Most keys have no deadline, so an entry carries none: a key with one
// lives in a VolatileEntry, which appends it, and the key string's user byte (unused by keys
// otherwise) says which form an entry is. That puts a plain entry in the allocator's 48-byte
// class instead of 64 (16 bytes less per key than a deadline in every entry), at the price of
// one reallocation when a key gains or loses its deadline; Redis pays a second table entry
// for the same change. Only the Table creates, converts (set_deadline) and destroys entries.
struct Entry {
  SmallString key;
  Value value;

  static constexpr std::uint8_t kVolatileMark = 1;  // the key's user byte in a VolatileEntry
  bool has_deadline() const { return key.user_byte() == kVolatileMark; }
  // Absolute unix ms; 0 = no expiry (interpreted by the Db).
  std::int64_t expire_at_ms() const;
};
struct VolatileEntry final : Entry {
  std::int64_t deadline_ms = 0;
};
inline std::int64_t Entry::expire_at_ms() const {
  return has_deadline() ? static_cast<const VolatileEntry*>(this)->deadline_ms : 0;
}
// The bytes an entry's own allocation takes, by its form.
inline std::size_t entry_bytes(const Entry& entry) {
  return entry.has_deadline() ? sizeof(VolatileEntry) : sizeof(Entry);
}
static_assert(sizeof(Entry) == 48);
static_assert(sizeof(VolatileEntry) == 56);

namespace detail {

using Ctrl = std::int8_t;
// Empty and deleted have the sign bit set, full slots hold a 7-bit tag: "is free" is one
// movemask.
inline constexpr Ctrl kCtrlEmpty = -128;
inline constexpr Ctrl kCtrlDeleted = -2;
inline constexpr std::uint32_t kGroupSlots = 16;

// XXH3_64bits under `seed`, compiled inline in table.cc (no call through the shared library's
// PLT and its length dispatch: ~10 instructions of every keyed command in callgrind).
std::uint64_t hash_key(std::string_view key, std::uint64_t seed);
inline Ctrl hash_tag(std::uint64_t hash) {
  return static_cast<Ctrl>(hash & 0x7F);
}
inline bool is_full(Ctrl ctrl) {
  return ctrl >= 0;
}

// The control bytes of one group, compared 16 at a time; results are bitmasks, bit i = slot i.
class Group {
 public:
  explicit Group(const Ctrl* ctrl) {
#if defined(__SSE2__)
    bytes_ = _mm_load_si128(reinterpret_cast<const __m128i*>(ctrl));
#else
    for (std::uint32_t i = 0; i < kGroupSlots; ++i) bytes_[i] = ctrl[i];
#endif
  }
  std::uint32_t match(Ctrl tag) const {
#if defined(__SSE2__)
    return static_cast<std::uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_set1_epi8(tag), bytes_)));
#else
    std::uint32_t mask = 0;
    for (std::uint32_t i = 0; i < kGroupSlots; ++i) mask |= std::uint32_t{bytes_[i] == tag} << i;
    return mask;
#endif
  }
  std::uint32_t match_empty() const {
    return match(kCtrlEmpty);
  }
  // Empty or deleted: the slots an insert may take.
  std::uint32_t match_free() const {
#if defined(__SSE2__)
    return static_cast<std::uint32_t>(_mm_movemask_epi8(bytes_));
#else
    std::uint32_t mask = 0;
    for (std::uint32_t i = 0; i < kGroupSlots; ++i) mask |= std::uint32_t{bytes_[i] < 0} << i;
    return mask;
#endif
  }
  std::uint32_t match_full() const {
    return ~match_free() & 0xFFFFu;
  }

 private:
#if defined(__SSE2__)
  __m128i bytes_;
#else
  Ctrl bytes_[kGroupSlots];
#endif
};

inline std::uint32_t lowest_bit_index(std::uint32_t mask) {
  return static_cast<std::uint32_t>(__builtin_ctz(mask));
}

// Triangular probing over groups: offsets 0, 1, 3, 6, ... visit every group of a
// power-of-two group count exactly once in the first `groups` steps.
class ProbeSeq {
 public:
  ProbeSeq(std::uint64_t hash, std::uint32_t group_mask)
      : mask_(group_mask), group_(static_cast<std::uint32_t>(hash >> 7) & group_mask) {}
  std::uint32_t first_slot() const { return group_ * kGroupSlots; }
  void next() {
    ++step_;
    group_ = (group_ + step_) & mask_;
    DEBUG_ASSERT(step_ <= mask_);
  }

 private:
  std::uint32_t mask_;
  std::uint32_t group_;
  std::uint32_t step_ = 0;
};

// Header of a segment allocation; the control bytes follow at kCtrlOffset, then the slots.
struct Segment {
  static constexpr std::size_t kCtrlOffset = 32;

  std::uint32_t capacity;    // slots: a power of two >= kGroupSlots
  std::uint32_t size;        // full slots
  std::uint32_t tombstones;  // deleted slots
  std::uint8_t depth;        // local depth: the number of leading hash bits its keys share
  std::uint64_t epoch;       // renewed whenever entries move between slots
  // The last snapshot that has serialized this segment's entries (Table's snapshot support).
  std::uint64_t snapshot_version;

  Ctrl* ctrl() { return reinterpret_cast<Ctrl*>(reinterpret_cast<char*>(this) + kCtrlOffset); }
  const Ctrl* ctrl() const {
    return reinterpret_cast<const Ctrl*>(reinterpret_cast<const char*>(this) + kCtrlOffset);
  }
  // Each full slot points at its entry (one heap allocation per key).
  Entry** slots() {
    return reinterpret_cast<Entry**>(reinterpret_cast<char*>(this) + kCtrlOffset + capacity);
  }
  Entry* const* slots() const {
    return reinterpret_cast<Entry* const*>(reinterpret_cast<const char*>(this) + kCtrlOffset +
                                           capacity);
  }
  std::uint32_t group_mask() const { return capacity / kGroupSlots - 1; }
  // Inserting into an empty slot is allowed while full + deleted stays at most 7/8.
  bool at_load_limit() const { return size + tombstones >= capacity - capacity / 8; }

  static std::size_t allocation_bytes(std::uint32_t capacity) {
    return kCtrlOffset + std::size_t{capacity} * (1 + sizeof(Entry*));
  }
};
static_assert(sizeof(Segment) <= Segment::kCtrlOffset);

}  // namespace detail

class Table {
 public:
  // Tuning, exposed for tests and INFO.
  static constexpr std::uint32_t kSegmentSlotsMin = 16;
  static constexpr std::uint32_t kSegmentSlotsMax = 1024;
  static constexpr unsigned kPositionBits = 48;
  static constexpr std::uint64_t kPositionEnd = std::uint64_t{1} << kPositionBits;

  Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&& other) noexcept { swap(other); }
  Table& operator=(Table&& other) noexcept {
    if (this != &other) {
      clear();
      swap(other);
    }
    return *this;
  }
  ~Table() { clear(); }

  // The seed keys are hashed with; only while the table is empty (the shard sets it once).
  void set_hash_seed(std::uint64_t seed) {
    ASSERT_MSG(size_ == 0 && dir_.empty(), "a table's hash seed changes only while it is empty");
    seed_ = seed;
  }
  std::uint64_t hash_of(std::string_view key) const { return detail::hash_key(key, seed_); }

  std::size_t size() const { return size_; }
  // Entries with a deadline (VolatileEntry).
  std::size_t volatile_size() const { return volatile_size_; }

  Entry* find(std::string_view key) {
    if (size_ == 0) return nullptr;
    const std::uint64_t hash = hash_of(key);
    return find_in(segment_for_hash(hash), hash, key);
  }
  const Entry* find(std::string_view key) const { return const_cast<Table*>(this)->find(key); }

  // inserted == true: a new entry with an empty string value and no expiry.
  std::pair<Entry*, bool> find_or_insert(std::string_view key);

  bool erase(std::string_view key);
  // `entry` came from find/find_or_insert with no insert or erase since.
  void erase(Entry* entry);
  // Gives `entry` the deadline `at_ms` (0: none) and returns it. An entry that changes form
  // (gains or loses its deadline) moves to a new allocation: the returned pointer replaces
  // `entry`, which is gone. Either way the key and value stay as they were.
  Entry* set_deadline(Entry* entry, std::int64_t at_ms);
  // Frees every entry, segment and the directory.
  void clear();
  void swap(Table& other) noexcept;

  // SCAN. Cursor positions live in [0, 2^48): a key's position is the top 48 bits of its XXH3
  // hash. Visits, in ascending position order, every entry whose position is >= cursor and <
  // the returned cursor, which is chosen so that about `count` entries are visited (more when
  // several keys share the last position; a position is never split across calls). Returns 0
  // when the whole space has been covered (also for cursor >= 2^48). A key present from the
  // call with cursor 0 until 0 is returned is visited exactly once, however the table changes
  // between calls. `visit` must not modify the table.
  std::uint64_t scan(std::uint64_t cursor, std::size_t count,
                     FunctionRef<void(const Entry&)> visit) const;

  // RANDOMKEY: an entry chosen using `random` (deterministically); nullptr if empty. Roughly
  // uniform, O(1) expected.
  Entry* random_entry(std::uint64_t random);

  // Active expiry: from `cursor` (0 to start a pass), inspects at most `slots_max` slots
  // (at least one), calling fn(entry) for each live one and erasing it if fn returns true.
  // Returns the cursor to continue from, 0 when the pass is complete. An entry present for a
  // whole pass is visited at least once in it, whatever the table does between calls. fn must
  // not modify the table itself.
  std::uint64_t walk(std::uint64_t cursor, std::size_t slots_max, FunctionRef<bool(Entry&)> fn);

  // Point-in-time snapshots (engine/storage/shard_snapshot.h), by the cut Dragonfly uses: each
  // segment records the last snapshot that serialized it. begin_snapshot() starts a new one,
  // under which every segment is pending; a segment is serialized either by snapshot_step()
  // (in position order) or, before its first change, by snapshot_segment_of() (the caller's
  // write hook), whichever comes first, and never twice. Segments built from another (a split
  // or a resize) inherit its mark, and a brand-new first segment (an empty table) counts as
  // serialized, so the marks stay true whatever the table does. While a snapshot runs no two
  // segments merge (a merge would join a serialized and a pending one); merges resume after
  // end_snapshot(). A caller must serialize a key's segment before changing the key, and the
  // whole rest of the table before clear() or swap().
  void begin_snapshot() {
    ASSERT_MSG(!snapshot_running_, "one snapshot at a time per table");
    ++snapshot_version_;
    snapshot_running_ = true;
  }
  void end_snapshot() { snapshot_running_ = false; }
  bool snapshot_running() const { return snapshot_running_; }
  // Whether the segment that holds (or would hold) `hash` is still to be serialized.
  bool snapshot_pending(std::uint64_t hash) const {
    return snapshot_running_ && !dir_.empty() &&
           segment_for_hash(hash)->snapshot_version != snapshot_version_;
  }
  // Visits every entry of the segment holding `hash` if it is pending, and marks it
  // serialized. Returns entries visited. `visit` must not modify the table.
  std::size_t snapshot_segment_of(std::uint64_t hash, FunctionRef<void(const Entry&)> visit);
  // From `cursor` (0 to start), serializes pending segments in position order until about
  // `entries_max` entries were visited (whole segments: at least one). Returns the cursor to
  // continue from; kPositionEnd when the whole table is serialized.
  std::uint64_t snapshot_step(std::uint64_t cursor, std::size_t entries_max,
                              FunctionRef<void(const Entry&)> visit);

  // Bytes allocated for this table: directory, segments, and keys' and values' heap bytes.
  // O(size): the reference the O(1) accounting of Db is checked against.
  std::size_t memory_bytes() const;
  // The directory, segments and entries alone (not what keys and values hold on the heap).
  // O(1).
  std::size_t structure_bytes() const {
    return dir_.capacity() * sizeof(Segment*) + segment_bytes_ + size_ * sizeof(Entry) +
           volatile_size_ * (sizeof(VolatileEntry) - sizeof(Entry));
  }

  // Structure, for tests and INFO.
  std::size_t segment_count() const { return segment_count_; }
  unsigned global_depth() const { return global_depth_; }
  // Checks every structural invariant (slow); aborts on violation.
  void check_invariants() const;

 private:
  using Segment = detail::Segment;

  std::size_t dir_index(std::uint64_t hash) const { return (hash >> 1) >> dir_shift_; }
  Segment* segment_for_hash(std::uint64_t hash) const { return dir_[dir_index(hash)]; }
  static Entry* find_in(Segment* segment, std::uint64_t hash, std::string_view key);
  // The slot of `entry` (which the segment holds) in `segment`.
  static std::uint32_t slot_of(const Segment* segment, std::uint64_t hash, const Entry* entry);

  // A fresh segment counts as serialized by the current snapshot (pass `from` to inherit the
  // mark of the segment it is built from instead).
  Segment* new_segment(std::uint32_t capacity, std::uint8_t depth, const Segment* from = nullptr);
  // Visits a segment's entries and marks it serialized by the current snapshot.
  std::size_t serialize_segment(Segment* segment, FunctionRef<void(const Entry&)> visit) const;
  void free_segment(Segment* segment);
  // Makes room for one more insert into the segment holding `hash` (slow path).
  void make_room(std::uint64_t hash);
  void rehash_in_place(Segment* segment);
  void resize_segment(std::size_t index, std::uint32_t capacity);
  void split_segment(std::size_t index);
  bool try_merge(std::size_t index, bool allow_upper_buddy);
  void double_directory();
  void maybe_halve_directory();
  void set_directory_range(std::size_t index, std::uint8_t depth, Segment* segment);
  void erase_slot(Segment* segment, std::uint32_t slot);
  // Frees an entry in whichever form it has.
  static void destroy_entry(Entry* entry);
  // Shrinks or merges the segment at directory `index` if it has become sparse.
  void after_erase(std::size_t index, bool allow_upper_buddy);
  // Moves `entry` into a free slot of `segment`, which must have room and no copy of the key.
  static void place(Segment* segment, std::uint64_t hash, Entry* entry);
  template <typename Fn>
  void for_each_segment(Fn&& fn) const;

  std::vector<Segment*> dir_;
  std::size_t size_ = 0;
  std::size_t volatile_size_ = 0;
  std::size_t segment_count_ = 0;
  std::size_t segments_at_global_depth_ = 0;
  std::size_t segment_bytes_ = 0;
  std::uint64_t epoch_counter_ = 0;
  std::uint8_t global_depth_ = 0;
  std::uint8_t dir_shift_ = 63;  // 63 - global_depth_: see dir_index()
  std::uint64_t seed_ = 0;       // set_hash_seed
  std::uint64_t snapshot_version_ = 0;
  bool snapshot_running_ = false;
};

inline Entry* Table::find_in(Segment* segment, std::uint64_t hash, std::string_view key) {
  const detail::Ctrl tag = detail::hash_tag(hash);
  const detail::Ctrl* ctrl = segment->ctrl();
  Entry** slots = segment->slots();
  detail::ProbeSeq probe(hash, segment->group_mask());
  while (true) {
    const std::uint32_t base = probe.first_slot();
    const detail::Group group(ctrl + base);
    for (std::uint32_t mask = group.match(tag); mask != 0; mask &= mask - 1) {
      Entry* entry = slots[base + detail::lowest_bit_index(mask)];
      if (EDDY_LIKELY(entry->key.view() == key)) return entry;
    }
    if (group.match_empty() != 0) return nullptr;
    probe.next();
  }
}

inline std::pair<Entry*, bool> Table::find_or_insert(std::string_view key) {
  const std::uint64_t hash = hash_of(key);
  if (EDDY_UNLIKELY(dir_.empty())) {
    dir_.push_back(new_segment(kSegmentSlotsMin, 0));
    segments_at_global_depth_ = 1;
  }
  const detail::Ctrl tag = detail::hash_tag(hash);
  while (true) {
    Segment* segment = segment_for_hash(hash);
    detail::Ctrl* ctrl = segment->ctrl();
    Entry** slots = segment->slots();
    detail::ProbeSeq probe(hash, segment->group_mask());
    constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
    std::uint32_t free_slot = kNoSlot;
    while (true) {
      const std::uint32_t base = probe.first_slot();
      const detail::Group group(ctrl + base);
      for (std::uint32_t mask = group.match(tag); mask != 0; mask &= mask - 1) {
        Entry* entry = slots[base + detail::lowest_bit_index(mask)];
        if (EDDY_LIKELY(entry->key.view() == key)) return {entry, false};
      }
      if (free_slot == kNoSlot) {
        const std::uint32_t free_mask = group.match_free();
        if (free_mask != 0) free_slot = base + detail::lowest_bit_index(free_mask);
      }
      if (group.match_empty() != 0) break;
      probe.next();
    }
    DEBUG_ASSERT(free_slot != kNoSlot);
    if (ctrl[free_slot] == detail::kCtrlDeleted) {
      --segment->tombstones;
    } else if (EDDY_UNLIKELY(segment->at_load_limit())) {
      make_room(hash);
      continue;
    }
    Entry* entry = new Entry{SmallString(key), Value()};
    slots[free_slot] = entry;
    ctrl[free_slot] = tag;
    ++segment->size;
    ++size_;
    return {entry, true};
  }
}

}  // namespace eddy::kv
