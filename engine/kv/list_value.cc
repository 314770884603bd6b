#include "engine/kv/list_value.h"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <new>
#include <string>

namespace eddy::kv {

namespace {

// Node byte bounds for list-max-listpack-size -1 .. -5 (Redis's optimization_level).
constexpr std::size_t kNodeBytesLevels[] = {4096, 8192, 16384, 32768, 65536};
// A node of several entries bounded by count stays below this many bytes anyway (Redis's
// SIZE_SAFETY_LIMIT): a count of 128 must not mean 128 entries of 100 KB in one buffer.
constexpr std::size_t kCountedNodeBytesMax = 8192;
constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();
// A fresh node array: room for a few nodes at either end before anything moves.
constexpr std::uint32_t kNodeArrayInitial = 8;

}  // namespace

ListValue::~ListValue() {
  free_node_array();
}

// ---------------------------------------------------------------------------------------------
// Bounds and conversions.

ListValue::NodeLimit ListValue::node_limit(std::int64_t fill) {
  if (fill >= 0) return {kUnbounded, fill == 0 ? 1 : static_cast<std::size_t>(fill)};
  const std::size_t level = fill <= -5 ? 4 : static_cast<std::size_t>(-fill) - 1;
  return {kNodeBytesLevels[level], kUnbounded};
}

bool ListValue::exceeds(std::int64_t fill, std::size_t bytes, std::size_t entries) {
  const NodeLimit limit = node_limit(fill);
  if (limit.bytes != kUnbounded) return bytes > limit.bytes;
  if (bytes > kCountedNodeBytesMax) return true;
  return entries > limit.entries;
}

void ListValue::before_growth(std::size_t added_bytes, std::size_t added_entries,
                              std::int64_t fill) {
  if (!compact_) return;
  const std::size_t bytes = node_count_ == 0 ? 0 : node(0).used_bytes();
  if (exceeds(fill, bytes + added_bytes, size_ + added_entries)) compact_ = false;
}

void ListValue::after_shrink(std::int64_t fill) {
  if (compact_ || node_count_ != 1) return;
  const NodeLimit limit = node_limit(fill);
  if (node(0).used_bytes() > limit.bytes / 2 || size_ > limit.entries / 2) return;
  compact_ = true;
}

// ---------------------------------------------------------------------------------------------
// The node array.

void ListValue::free_node_array() {
  if (nodes_ == nullptr) return;
  std::destroy_n(nodes_, node_capacity_);
  ::operator delete(nodes_);
  nodes_ = nullptr;
  node_capacity_ = 0;
  node_begin_ = 0;
}

void ListValue::resize_node_array(std::uint32_t capacity) {
  ASSERT_GE(capacity, node_count_ + 2);
  auto* moved = static_cast<Listpack*>(::operator new (std::size_t{capacity} * sizeof(Listpack)));
  std::uninitialized_default_construct_n(moved, capacity);
  const std::uint32_t begin = (capacity - node_count_) / 2;
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    moved[begin + i] = std::move(nodes_[node_begin_ + i]);
  }
  std::destroy_n(nodes_, node_capacity_);
  ::operator delete(nodes_);
  nodes_ = moved;
  node_capacity_ = capacity;
  node_begin_ = begin;
}

void ListValue::insert_node(std::uint32_t i) {
  ASSERT_LE(i, node_count_);
  if (nodes_ == nullptr) {
    if (node_count_ == 0) {
      node_count_ = 1;  // single_ is the (empty) node
      return;
    }
    // The second node: both go to a heap array, centred so either end can grow.
    ASSERT_EQ(node_count_, 1u);
    nodes_ =
        static_cast<Listpack*>(::operator new (std::size_t{kNodeArrayInitial} * sizeof(Listpack)));
    std::uninitialized_default_construct_n(nodes_, kNodeArrayInitial);
    node_capacity_ = kNodeArrayInitial;
    node_begin_ = kNodeArrayInitial / 2 - 1;
    nodes_[node_begin_ + (i == 0 ? 1 : 0)] = std::move(single_);
    node_count_ = 2;
    return;
  }
  // Open slot i by shifting the shorter side outwards. When that side has no free slot the
  // nodes are first re-centred (or the array doubles), so adding at either end stays amortised
  // O(1) however long one end keeps growing.
  const bool shift_before = i <= node_count_ - i;
  const bool side_full =
      shift_before ? node_begin_ == 0 : node_begin_ + node_count_ == node_capacity_;
  if (side_full) recentre_node_array();
  if (shift_before) {
    for (std::uint32_t j = 0; j < i; ++j) {
      nodes_[node_begin_ + j - 1] = std::move(nodes_[node_begin_ + j]);
    }
    --node_begin_;
  } else {
    for (std::uint32_t j = node_count_; j > i; --j) {
      nodes_[node_begin_ + j] = std::move(nodes_[node_begin_ + j - 1]);
    }
  }
  ++node_count_;
  ASSERT(nodes_[node_begin_ + i].empty());
}

void ListValue::recentre_node_array() {
  const std::uint32_t free = node_capacity_ - node_count_;
  // At least as many free slots as nodes: centring leaves room for count/2 more at each end.
  if (free < node_count_ || free < 2) {
    resize_node_array(node_capacity_ * 2);
    return;
  }
  const std::uint32_t begin = free / 2;
  if (begin < node_begin_) {
    for (std::uint32_t j = 0; j < node_count_; ++j) {
      nodes_[begin + j] = std::move(nodes_[node_begin_ + j]);
    }
  } else if (begin > node_begin_) {
    for (std::uint32_t j = node_count_; j > 0; --j) {
      nodes_[begin + j - 1] = std::move(nodes_[node_begin_ + j - 1]);
    }
  }
  node_begin_ = begin;
}

void ListValue::erase_node(std::uint32_t i) {
  ASSERT_LT(i, node_count_);
  ASSERT(node(i).empty());
  if (nodes_ == nullptr) {
    node_count_ = 0;
    return;
  }
  if (i < node_count_ / 2) {
    for (std::uint32_t j = i; j > 0; --j) {
      nodes_[node_begin_ + j] = std::move(nodes_[node_begin_ + j - 1]);
    }
    ++node_begin_;
  } else {
    for (std::uint32_t j = i; j + 1 < node_count_; ++j) {
      nodes_[node_begin_ + j] = std::move(nodes_[node_begin_ + j + 1]);
    }
  }
  --node_count_;
  if (node_count_ == 1) {
    // Back to one node: it lives inline again and the array goes.
    single_ = std::move(nodes_[node_begin_]);
    free_node_array();
  } else if (node_capacity_ > kNodeArrayInitial && node_count_ * 4 < node_capacity_) {
    // A list that shrank gives back its slots (at a quarter full, so that growing again does
    // not resize at once).
    resize_node_array(node_capacity_ / 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading.

void ListValue::locate(std::size_t index, std::uint32_t* node_index, std::size_t* local) const {
  ASSERT_LT(index, size_);
  if (index < size_ / 2) {
    std::uint32_t i = 0;
    while (index >= node(i).size()) {
      index -= node(i).size();
      ++i;
    }
    *node_index = i;
    *local = index;
    return;
  }
  // From the tail: `behind` elements follow the wanted one.
  std::size_t behind = size_ - 1 - index;
  std::uint32_t i = node_count_ - 1;
  while (behind >= node(i).size()) {
    behind -= node(i).size();
    --i;
  }
  *node_index = i;
  *local = node(i).size() - 1 - behind;
}

ListValue::Cursor ListValue::seek(std::size_t index) const {
  std::uint32_t i;
  std::size_t local;
  locate(index, &i, &local);
  return {i, node(i).seek(local)};
}

bool ListValue::next(Cursor& at) const {
  const Listpack& lp = node(at.node);
  const Listpack::Pos pos = lp.next(at.pos);
  if (pos != lp.end()) {
    at.pos = pos;
    return true;
  }
  if (at.node + 1 >= node_count_) return false;
  ++at.node;
  at.pos = node(at.node).begin();
  return true;
}

bool ListValue::prev(Cursor& at) const {
  const Listpack& lp = node(at.node);
  if (at.pos != lp.begin()) {
    at.pos = lp.prev(at.pos);
    return true;
  }
  if (at.node == 0) return false;
  --at.node;
  at.pos = node(at.node).last();
  return true;
}

bool ListValue::find_first(std::string_view bytes, Cursor* at) const {
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    const Listpack& lp = node(i);
    const Listpack::Pos pos = lp.find(bytes);
    if (pos != lp.end()) {
      *at = {i, pos};
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Changing.

void ListValue::push_one(End end, std::string_view element, std::int64_t fill) {
  const std::size_t bytes = Listpack::entry_bytes(element.size());
  if (node_count_ > 0) {
    const std::uint32_t i = end == End::kHead ? 0 : node_count_ - 1;
    const Listpack& lp = node(i);
    if (!exceeds(fill, lp.used_bytes() + bytes, lp.size() + 1)) {
      edit_node(i, [&](Listpack& n) {
        if (end == End::kHead) {
          n.push_front(element);
        } else {
          n.push_back(element);
        }
      });
      return;
    }
  }
  const std::uint32_t i = end == End::kHead ? 0 : node_count_;
  insert_node(i);
  edit_node(i, [&](Listpack& n) { n.push_back(element); });
}

void ListValue::push(End end, std::span<const std::string_view> elements, std::int64_t fill) {
  if (elements.empty()) return;
  if (compact_) {
    std::size_t bytes = 0;
    for (std::string_view e : elements) bytes += Listpack::entry_bytes(e.size());
    before_growth(bytes, elements.size(), fill);
  }
  if (compact_) {
    // Within the bound by the check above: all into the one node.
    if (node_count_ == 0) insert_node(0);
    edit_node(0, [&](Listpack& n) {
      for (std::string_view e : elements) {
        if (end == End::kHead) {
          n.push_front(e);
        } else {
          n.push_back(e);
        }
      }
    });
  } else {
    for (std::string_view e : elements) push_one(end, e, fill);
  }
  size_ += elements.size();
}

void ListValue::erase_elements(std::size_t start, std::size_t count) {
  if (count == 0) return;
  ASSERT_LE(start + count, size_);
  std::uint32_t i;
  std::size_t local;
  locate(start, &i, &local);
  std::size_t remaining = count;
  while (remaining > 0) {
    const std::size_t in_node = node(i).size();
    const std::size_t take = std::min(in_node - local, remaining);
    if (local == 0 && take == in_node) {
      edit_node(i, [](Listpack& n) { n.clear(); });
      erase_node(i);  // the next node takes index i
    } else {
      edit_node(i, [&](Listpack& n) { n.erase(n.seek(local), take); });
      ++i;
    }
    remaining -= take;
    local = 0;
  }
  size_ -= count;
}

void ListValue::erase(std::size_t start, std::size_t count, std::int64_t fill) {
  erase_elements(start, count);
  if (count > 0 && size_ > 0) after_shrink(fill);
}

void ListValue::insert_at(Cursor at, std::string_view element, std::int64_t fill) {
  const std::uint32_t i = at.node;
  const std::size_t bytes = Listpack::entry_bytes(element.size());
  ++size_;
  const Listpack& lp = node(i);
  if (compact_ || !exceeds(fill, lp.used_bytes() + bytes, lp.size() + 1)) {
    edit_node(i, [&](Listpack& n) { n.insert(at.pos, element); });
    return;
  }
  const bool at_begin = at.pos == lp.begin();
  const bool at_end = at.pos == lp.end();
  auto fits = [&](std::uint32_t j) {
    const Listpack& n = node(j);
    return !exceeds(fill, n.used_bytes() + bytes, n.size() + 1);
  };
  // The node is full: the element goes to the end of a neighbour with room, or to a node of its
  // own at the boundary, or the node splits at the insertion point.
  if (at_begin && i > 0 && fits(i - 1)) {
    edit_node(i - 1, [&](Listpack& n) { n.push_back(element); });
    return;
  }
  if (at_end && i + 1 < node_count_ && fits(i + 1)) {
    edit_node(i + 1, [&](Listpack& n) { n.push_front(element); });
    return;
  }
  if (at_begin || at_end) {
    const std::uint32_t j = at_begin ? i : i + 1;
    insert_node(j);
    edit_node(j, [&](Listpack& n) { n.push_back(element); });
    return;
  }
  // Split: the entries from the insertion point on move to a new node after this one.
  insert_node(i + 1);
  std::size_t moved = 0;
  {
    const Listpack& from = node(i);
    edit_node(i + 1, [&](Listpack& to) {
      for (Listpack::Pos p = at.pos; p != from.end(); p = from.next(p)) {
        to.push_back(from.get(p));
        ++moved;
      }
    });
  }
  edit_node(i, [&](Listpack& n) { n.erase(at.pos, moved); });
  if (fits(i)) {
    edit_node(i, [&](Listpack& n) { n.push_back(element); });
  } else if (fits(i + 1)) {
    edit_node(i + 1, [&](Listpack& n) { n.push_front(element); });
  } else {
    insert_node(i + 1);
    edit_node(i + 1, [&](Listpack& n) { n.push_back(element); });
  }
}

void ListValue::insert(Cursor at, bool after, std::string_view element, std::int64_t fill) {
  // Redis 7.2 checks for growth before inserting; the cursor stays valid (no data moves).
  before_growth(Listpack::entry_bytes(element.size()), 1, fill);
  if (after) at.pos = node(at.node).next(at.pos);  // may be the node's end: append there
  insert_at(at, element, fill);
}

void ListValue::replace(std::size_t index, std::string_view element, std::int64_t fill) {
  // As Redis 7.2 (LSET): the growth check counts the new element as an addition.
  before_growth(Listpack::entry_bytes(element.size()), 1, fill);
  std::uint32_t i;
  std::size_t local;
  locate(index, &i, &local);
  const Listpack& lp = node(i);
  const Listpack::Pos pos = lp.seek(local);
  const std::size_t old_bytes = Listpack::entry_bytes(lp.get(pos).size());
  const std::size_t new_bytes = Listpack::entry_bytes(element.size());
  if (compact_ || lp.size() == 1 ||
      !exceeds(fill, lp.used_bytes() - old_bytes + new_bytes, lp.size())) {
    edit_node(i, [&](Listpack& n) { n.replace(pos, element); });
  } else {
    // The node cannot hold the larger element: take the old one out and insert the new one
    // where it was, which splits or spills as an insert does. The node keeps other entries.
    edit_node(i, [&](Listpack& n) { n.erase(pos); });
    --size_;
    insert_at({i, pos}, element, fill);
  }
  after_shrink(fill);
}

std::size_t ListValue::remove(std::string_view element, std::size_t limit, bool from_tail,
                              std::int64_t fill) {
  std::size_t removed = 0;
  auto done = [&] { return limit != 0 && removed == limit; };
  if (!from_tail) {
    std::uint32_t i = 0;
    while (i < node_count_ && !done()) {
      edit_node(i, [&](Listpack& n) {
        Listpack::Pos pos = n.find(element);
        while (pos != n.end()) {
          pos = n.erase(pos);  // the following entry now starts at pos
          ++removed;
          if (done()) break;
          pos = n.find(element, pos);
        }
      });
      if (node(i).empty()) {
        erase_node(i);
      } else {
        ++i;
      }
    }
  } else {
    std::uint32_t i = node_count_;
    while (i > 0 && !done()) {
      --i;
      edit_node(i, [&](Listpack& n) {
        // Walking backwards, erasing at pos leaves every entry before it where it was.
        Listpack::Pos pos = n.end();
        while (pos != n.begin()) {
          pos = n.prev(pos);
          if (n.get(pos) != element) continue;
          n.erase(pos);
          ++removed;
          if (done()) break;
        }
      });
      if (node(i).empty()) erase_node(i);
    }
  }
  size_ -= removed;
  if (removed > 0 && size_ > 0) after_shrink(fill);
  return removed;
}

void ListValue::rotate(End from, End to, std::int64_t fill) {
  ASSERT(size_ > 0);
  // Redis pops, pushes (checking for growth), then checks for shrinking; the element is copied
  // out first since popping frees its bytes.
  const std::string element(from == End::kHead ? front() : back());
  erase_elements(from == End::kHead ? 0 : size_ - 1, 1);
  push(to, element, fill);
  after_shrink(fill);
}

// ---------------------------------------------------------------------------------------------
// Collection.

std::unique_ptr<Collection> ListValue::clone() const {
  auto copy = std::make_unique<ListValue>();
  copy->compact_ = compact_;
  copy->size_ = size_;
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    copy->insert_node(i);
    copy->edit_node(i, [&](Listpack& n) { n = node(i).clone(); });
  }
  return copy;
}

std::uint64_t ListValue::digest() const {
  // Chained: each element's digest is seeded with everything before it, so order counts and
  // element boundaries count (["ab"] and ["a", "b"] differ).
  std::uint64_t digest = 0x6C697374;  // "list"
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    const Listpack& lp = node(i);
    for (Listpack::Pos p = lp.begin(); p != lp.end(); p = lp.next(p)) {
      const std::string_view e = lp.get(p);
      digest = digest_bytes(e, digest * 0x9E3779B97F4A7C15ULL + e.size() + 1);
    }
  }
  return digest;
}

void ListValue::rebuild(std::string_view key,
                        FunctionRef<void(std::span<const std::string_view>)> emit) const {
  std::array<std::string_view, kRebuildBatch + 2> args;
  args[0] = "RPUSH";
  args[1] = key;
  std::size_t count = 2;
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    const Listpack& lp = node(i);
    for (Listpack::Pos p = lp.begin(); p != lp.end(); p = lp.next(p)) {
      args[count++] = lp.get(p);
      if (count == args.size()) {
        emit(std::span<const std::string_view>(args.data(), count));
        count = 2;
      }
    }
  }
  if (count > 2) emit(std::span<const std::string_view>(args.data(), count));
}

bool ListValue::check_invariants(std::int64_t fill) const {
  if ((nodes_ != nullptr) != (node_count_ >= 2)) return false;
  if (nodes_ != nullptr && node_begin_ + node_count_ > node_capacity_) return false;
  if (compact_ && node_count_ > 1) return false;
  std::size_t elements = 0;
  std::size_t heap = 0;
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    const Listpack& lp = node(i);
    if (lp.empty()) return false;
    if (lp.size() > 1 && exceeds(fill, lp.used_bytes(), lp.size())) return false;
    elements += lp.size();
    heap += lp.heap_bytes();
  }
  if (nodes_ != nullptr) {
    // Slots outside the used range hold no buffers.
    for (std::uint32_t j = 0; j < node_capacity_; ++j) {
      if ((j < node_begin_ || j >= node_begin_ + node_count_) && nodes_[j].heap_bytes() != 0) {
        return false;
      }
    }
    if (single_.heap_bytes() != 0) return false;
  }
  return elements == size_ && heap == node_heap_bytes_;
}

}  // namespace eddy::kv
