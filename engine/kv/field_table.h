#pragma once
// FieldTable: the large form of a hash (Redis's "hashtable" encoding): field -> value byte
// strings in a chained hash table with power-of-two bucket arrays.
//
// Nodes. Each field/value pair is one heap block: a 16-byte header (next pointer, the two
// lengths) followed by the field's bytes and the value's bytes. The hash is not stored; it is
// recomputed (XXH3 under the seed the table was made with, engine/kv/hash_seed.h, so layout
// and iteration order depend only on that seed and the operations) when a node moves to another
// bucket array.
//
// Memory. heap_bytes() is the sum of the bucket arrays' and the nodes' allocation sizes,
// kept as a running count: exact and O(1).
//
// Growth and shrinking never rehash everything at once: a resize allocates the new bucket
// array and then every write moves a few buckets from the old array to the new one (Redis's
// incremental rehashing), so no single command pays for the whole table. While a rehash is
// under way both arrays hold nodes; lookups look in both, inserts go to the new one. Grow at
// load factor 1 (to twice the buckets), shrink below 1/8 (to twice the entries, rounded up to
// a power of two): the hysteresis keeps alternating inserts and erases from resizing back and
// forth.
//
// Scan. A node lives in bucket (hash & mask), so a bucket of an array with 2^k buckets is the
// union of the buckets of any larger array that agree on the low k bits. The cursor is a bucket
// index incremented in bit-reversed order (high bits first), as Redis's dictScan does, which
// gives Redis's guarantee: a field present from the first call of a scan to the last is
// returned at least once, whatever resizes happen between calls; a field may be returned more
// than once (when the table shrank between calls). During a rehash one call visits the bucket
// of the smaller array and all buckets of the larger array that expand it.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/rng.h"

namespace eddy::kv {

class FieldTable {
 public:
  FieldTable();
  FieldTable(const FieldTable&) = delete;
  FieldTable& operator=(const FieldTable&) = delete;
  ~FieldTable() { clear(); }

  std::size_t size() const { return arrays_[0].used + arrays_[1].used; }
  bool empty() const { return size() == 0; }
  // Heap bytes held (buckets and nodes; the object itself lives in its owner).
  std::size_t heap_bytes() const { return node_bytes_ + bucket_bytes(0) + bucket_bytes(1); }
  bool rehashing() const { return arrays_[1].slots != nullptr; }

  // Sizes an empty table for `count` entries, so building it (conversion, clone) never
  // resizes.
  void reserve(std::size_t count);

  // The value of `field`, if present.
  bool find(std::string_view field, std::string_view* value) const;
  // Inserts or overwrites; true when the field is new. Neither view may point into the table.
  bool set(std::string_view field, std::string_view value);
  // True when the field was present.
  bool erase(std::string_view field);
  void clear();

  // Calls fn(field, value) for every entry. The table must not change during the walk.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const Array& array : arrays_) {
      for (std::size_t b = 0; b < array.bucket_count(); ++b) {
        for (const Node* node = array.slots[b]; node != nullptr; node = node->next) {
          fn(field_of(node), value_of(node));
        }
      }
    }
  }

  // One step of a scan: calls fn(field, value) for the entries of the bucket(s) `cursor`
  // names and returns the next cursor (0 when the scan is complete). Start with 0.
  template <typename Fn>
  std::uint64_t scan(std::uint64_t cursor, Fn&& fn) const {
    if (empty()) return 0;
    if (!rehashing()) {
      const Array& array = arrays_[0];
      visit_bucket(array, cursor & array.mask, fn);
      return next_cursor(cursor, array.mask);
    }
    // Redis's dictScan during a rehash: the smaller array's bucket, then each bucket of the
    // larger array whose low bits are that bucket's index.
    const Array* small = &arrays_[0];
    const Array* large = &arrays_[1];
    if (small->mask > large->mask) std::swap(small, large);
    const std::uint64_t small_mask = small->mask;
    const std::uint64_t large_mask = large->mask;
    visit_bucket(*small, cursor & small_mask, fn);
    do {
      visit_bucket(*large, cursor & large_mask, fn);
      cursor = next_cursor(cursor, large_mask);
    } while ((cursor & (small_mask ^ large_mask)) != 0);
    return cursor;
  }

  // A random entry (the table must not be empty), uniform over every entry except those
  // beyond the first few places of an unusually long chain (see the .cc); Redis's own pick is
  // approximate too.
  std::pair<std::string_view, std::string_view> random(Rng& rng) const;

  // heap_bytes() recomputed by walking every bucket and node (tests check the running count).
  std::size_t walk_heap_bytes() const;
  // Nodes per bucket array, and whether every node sits in its field's bucket (tests).
  bool structure_valid() const;

  // How many bytes one entry's node takes.
  static std::size_t node_bytes(std::size_t field_size, std::size_t value_size) {
    return sizeof(Node) + field_size + value_size;
  }

 private:
  struct Node {
    Node* next;
    std::uint32_t field_size;
    std::uint32_t value_size;
  };
  static_assert(sizeof(Node) == 16);

  struct Array {
    Node** slots = nullptr;
    std::size_t mask = 0;  // buckets - 1 (meaningful when slots != nullptr)
    std::size_t used = 0;  // nodes in this array
    std::size_t bucket_count() const { return slots == nullptr ? 0 : mask + 1; }
  };

  static constexpr std::size_t kMinBuckets = 4;
  // Per write during a rehash: buckets moved, and empty buckets passed over, at most.
  static constexpr std::size_t kRehashBucketsPerStep = 4;
  static constexpr std::size_t kRehashEmptyVisitsPerStep = 40;
  // random(): chain places sampled per try, and tries before the fallback.
  static constexpr std::size_t kFairChainSlots = 4;
  static constexpr int kFairRandomTries = 256;

  static std::string_view field_of(const Node* node) {
    return {reinterpret_cast<const char*>(node + 1), node->field_size};
  }
  static std::string_view value_of(const Node* node) {
    return {reinterpret_cast<const char*>(node + 1) + node->field_size, node->value_size};
  }
  std::uint64_t hash(std::string_view field) const;
  static bool same_field(const Node* node, std::string_view field) {
    return node->field_size == field.size() &&
           (field.empty() || std::memcmp(node + 1, field.data(), field.size()) == 0);
  }
  // The cursor after `cursor` for an array of mask+1 buckets: the low bits (those the mask
  // keeps) incremented as a bit-reversed number; bits above the mask are dropped.
  static std::uint64_t next_cursor(std::uint64_t cursor, std::uint64_t mask) {
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    ++cursor;
    return reverse_bits(cursor);
  }
  static std::uint64_t reverse_bits(std::uint64_t v);

  template <typename Fn>
  static void visit_bucket(const Array& array, std::uint64_t bucket, Fn& fn) {
    for (const Node* node = array.slots[bucket]; node != nullptr; node = node->next) {
      fn(field_of(node), value_of(node));
    }
  }

  std::size_t bucket_bytes(int which) const {
    return arrays_[which].bucket_count() * sizeof(Node*);
  }
  // The link (bucket head or a node's next) that points at `field`'s node, or nullptr.
  Node** find_link(std::string_view field, std::uint64_t h);
  Node* const* find_link(std::string_view field, std::uint64_t h) const;
  static Node* make_node(std::string_view field, std::string_view value);
  void allocate(Array& array, std::size_t buckets);
  void release(Array& array);
  // Starts moving to an array of `buckets` buckets.
  void begin_resize(std::size_t buckets);
  // Moves a few buckets of a rehash under way; finishes it when the old array is empty.
  void rehash_step();
  void grow_if_needed();
  void shrink_if_needed();

  // arrays_[0] is the current array; during a rehash arrays_[1] is the one being filled and
  // buckets of arrays_[0] below rehash_index_ are already empty.
  Array arrays_[2];
  std::size_t rehash_index_ = 0;
  std::size_t node_bytes_ = 0;
  std::uint64_t seed_;  // kv::collection_hash_seed() when made
};

}  // namespace eddy::kv
