#pragma once
// ListValue: a Redis list. A sequence of Listpack nodes (Redis's quicklist idea): each node
// is one flat buffer of elements bounded by list-max-listpack-size, so pushing and popping at
// either end touch one small buffer, and a walk touches consecutive bytes.
//
// Node bound (`fill`, Redis's list-max-listpack-size): a positive number caps the entries of a
// node (and a node of several entries is at most 8 KiB whatever the count, as in Redis); -1..-5
// cap its bytes at 4, 8, 16, 32 or 64 KiB (below -5 counts as -5; 0 as 1 entry). An element
// larger than the bound lives alone in its node.
//
// Encoding. OBJECT ENCODING follows Redis 7.2's rules (7.0 answers "quicklist" for every list):
// a list is "listpack" while it is one node within the bound; a push that would take it past
// the bound makes it "quicklist", and it returns to "listpack" only once it is one node again
// within half the bound (the margin keeps a list at the boundary from flipping on every
// push/pop). Physically a "listpack" list is just the single-node case of the same structure.
//
// Storage. The common small list has one node, held inline; a second node moves the nodes to
// a heap array with free slots at both ends, so adding or dropping an end node is amortised
// O(1) whichever end grows.
//
// Memory: memory_bytes() is a running total (this object, the node array, every node's buffer)
// kept by each mutator, so it is exact and O(1).
//
// Positions. A Cursor names one element (its node and its byte offset there). Cursors are for
// reading; any mutation invalidates them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/listpack.h"
#include "engine/kv/value.h"

namespace eddy::kv {

class ListValue final : public Collection {
 public:
  static constexpr Type kType = Type::kList;

  enum class End : std::uint8_t { kHead, kTail };

  struct Cursor {
    std::uint32_t node = 0;
    Listpack::Pos pos = 0;
  };

  ListValue() = default;
  ~ListValue() override;

  // ---- Collection
  Type type() const override { return kType; }
  // Redis 7.0 (which eddy is judged against) answers "quicklist" for every list; 7.2 says
  // "listpack" for a list in one small node. compact() tells which form this list is in.
  Encoding encoding() const override { return Encoding::kQuicklist; }
  bool compact() const { return compact_; }
  std::size_t size() const override { return size_; }
  std::size_t memory_bytes() const override {
    return sizeof(ListValue) + std::size_t{node_capacity_} * sizeof(Listpack) + node_heap_bytes_;
  }
  std::unique_ptr<Collection> clone() const override;
  // Depends on the elements and their order only, not on how they are split into nodes.
  std::uint64_t digest() const override;
  // RPUSH batches of at most kRebuildBatch elements.
  void rebuild(std::string_view key,
               FunctionRef<void(std::span<const std::string_view>)> emit) const override;

  static constexpr std::size_t kRebuildBatch = 128;

  bool empty() const { return size_ == 0; }
  std::size_t node_count() const { return node_count_; }

  // ---- reading
  // The element at index (0-based from the head; < size()).
  Cursor seek(std::size_t index) const;
  Cursor first() const {
    ASSERT(size_ > 0);
    return {0, node(0).begin()};
  }
  Cursor last() const {
    ASSERT(size_ > 0);
    const std::uint32_t n = node_count_ - 1;
    return {n, node(n).last()};
  }
  std::string_view get(Cursor at) const { return node(at.node).get(at.pos); }
  // Moves to the next (previous) element; false, leaving `at` unusable, past the end.
  bool next(Cursor& at) const;
  bool prev(Cursor& at) const;
  std::string_view front() const { return get(first()); }
  std::string_view back() const { return get(last()); }

  // ---- changing. `fill` is list-max-listpack-size as configured now.
  // Pushes each element in turn at `end` (LPUSH a b c leaves c at the head). Elements must not
  // point into this list.
  void push(End end, std::span<const std::string_view> elements, std::int64_t fill);
  void push(End end, std::string_view element, std::int64_t fill) {
    push(end, std::span<const std::string_view>(&element, 1), fill);
  }
  // Removes `count` (<= size()) elements starting at index `start`.
  void erase(std::size_t start, std::size_t count, std::int64_t fill);
  void pop(End end, std::int64_t fill) {
    ASSERT(size_ > 0);
    erase(end == End::kHead ? 0 : size_ - 1, 1, fill);
  }
  // Replaces the element at index (< size()). `element` must not point into this list.
  void replace(std::size_t index, std::string_view element, std::int64_t fill);
  // The first element equal to `bytes`, walking from the head; false when there is none.
  bool find_first(std::string_view bytes, Cursor* at) const;
  // Inserts `element` before (or after) the element at `at` (LINSERT). `element` must not
  // point into this list.
  void insert(Cursor at, bool after, std::string_view element, std::int64_t fill);
  // Removes elements equal to `element`: at most `limit` of them (0: all), found walking from
  // the head, or from the tail when `from_tail`. Returns how many were removed.
  std::size_t remove(std::string_view element, std::size_t limit, bool from_tail,
                     std::int64_t fill);
  // Moves the element at one end to the other end (or back to the same end): LMOVE with one
  // key for source and destination. The list must not be empty.
  void rotate(End from, End to, std::int64_t fill);

  // A full recount of what memory_bytes() keeps running, and the structure's invariants (tests).
  bool check_invariants(std::int64_t fill) const;

 private:
  // What `fill` bounds: bytes per node (SIZE_MAX when by count) or entries (SIZE_MAX when by
  // size); Redis's quicklistNodeLimit.
  struct NodeLimit {
    std::size_t bytes;
    std::size_t entries;
  };
  static NodeLimit node_limit(std::int64_t fill);
  // True when a node of `bytes` holding `entries` would be past the bound.
  static bool exceeds(std::int64_t fill, std::size_t bytes, std::size_t entries);

  Listpack& node(std::uint32_t i) {
    DEBUG_ASSERT(i < node_count_);
    return nodes_ == nullptr ? single_ : nodes_[node_begin_ + i];
  }
  const Listpack& node(std::uint32_t i) const {
    DEBUG_ASSERT(i < node_count_);
    return nodes_ == nullptr ? single_ : nodes_[node_begin_ + i];
  }

  // Runs `fn(Listpack&)` on node i, keeping node_heap_bytes_ true.
  template <typename Fn>
  void edit_node(std::uint32_t i, Fn&& fn) {
    Listpack& lp = node(i);
    const std::size_t before = lp.heap_bytes();
    fn(lp);
    node_heap_bytes_ = node_heap_bytes_ - before + lp.heap_bytes();
  }
  // The node holding element `index` and the element's rank within it, found from the nearer
  // end of the list.
  void locate(std::size_t index, std::uint32_t* node_index, std::size_t* local) const;

  // Node array management: a new empty node at index i, or node i removed (it must be empty).
  void insert_node(std::uint32_t i);
  void erase_node(std::uint32_t i);
  // Moves the nodes to a new array of `capacity` slots, centred.
  void resize_node_array(std::uint32_t capacity);
  // Makes room at both ends: centres the nodes, or doubles the array when over half full.
  void recentre_node_array();
  void free_node_array();

  // erase() without the shrinking conversion.
  void erase_elements(std::size_t start, std::size_t count);
  // Adds one element at the given end of the quicklist (bounded nodes).
  void push_one(End end, std::string_view element, std::int64_t fill);
  // Inserts before the element at `at` (at.pos == end of its node: after its last element).
  void insert_at(Cursor at, std::string_view element, std::int64_t fill);
  // Redis 7.2's conversions: before adding elements (growing) and after removing (shrinking).
  void before_growth(std::size_t added_bytes, std::size_t added_entries, std::int64_t fill);
  void after_shrink(std::int64_t fill);

  Listpack single_;            // the only node while nodes_ is null
  Listpack* nodes_ = nullptr;  // node array when there are 2 or more nodes
  std::uint32_t node_capacity_ = 0;
  std::uint32_t node_begin_ = 0;
  std::uint32_t node_count_ = 0;
  bool compact_ = true;     // reported as "listpack"
  std::uint64_t size_ = 0;  // elements
  std::size_t node_heap_bytes_ = 0;
};

}  // namespace eddy::kv
