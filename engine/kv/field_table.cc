#include "engine/kv/field_table.h"

#include "engine/kv/hash_seed.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace eddy::kv {

FieldTable::FieldTable() : seed_(collection_hash_seed()) {}

std::uint64_t FieldTable::hash(std::string_view field) const {
  return XXH3_64bits_withSeed(field.data(), field.size(), seed_);
}

std::uint64_t FieldTable::reverse_bits(std::uint64_t v) {
  // Swap ever larger groups: bits, pairs, nibbles, bytes (then a byte swap finishes).
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

FieldTable::Node* FieldTable::make_node(std::string_view field, std::string_view value) {
  // Fields and values are bulk strings, bounded far below 4 GiB (proto-max-bulk-len).
  ASSERT_LE(field.size(), std::size_t{0xFFFFFFFFu});
  ASSERT_LE(value.size(), std::size_t{0xFFFFFFFFu});
  void* block = std::malloc(node_bytes(field.size(), value.size()));
  if (block == nullptr) throw std::bad_alloc();
  Node* node = static_cast<Node*>(block);
  node->next = nullptr;
  node->field_size = static_cast<std::uint32_t>(field.size());
  node->value_size = static_cast<std::uint32_t>(value.size());
  char* bytes = reinterpret_cast<char*>(node + 1);
  if (!field.empty()) std::memcpy(bytes, field.data(), field.size());
  if (!value.empty()) std::memcpy(bytes + field.size(), value.data(), value.size());
  return node;
}

void FieldTable::allocate(Array& array, std::size_t buckets) {
  ASSERT(array.slots == nullptr);
  ASSERT(std::has_single_bit(buckets));
  void* block = std::calloc(buckets, sizeof(Node*));
  if (block == nullptr) throw std::bad_alloc();
  array.slots = static_cast<Node**>(block);
  array.mask = buckets - 1;
  array.used = 0;
}

void FieldTable::release(Array& array) {
  std::free(array.slots);
  array = Array{};
}

void FieldTable::reserve(std::size_t count) {
  ASSERT(empty());
  clear();
  allocate(arrays_[0], std::bit_ceil(std::max(count, kMinBuckets)));
}

void FieldTable::clear() {
  for (Array& array : arrays_) {
    for (std::size_t b = 0; b < array.bucket_count(); ++b) {
      Node* node = array.slots[b];
      while (node != nullptr) {
        Node* next = node->next;
        std::free(node);
        node = next;
      }
    }
    release(array);
  }
  rehash_index_ = 0;
  node_bytes_ = 0;
}

FieldTable::Node* const* FieldTable::find_link(std::string_view field, std::uint64_t h) const {
  for (const Array& array : arrays_) {
    if (array.slots == nullptr) continue;
    Node* const* link = &array.slots[h & array.mask];
    while (*link != nullptr) {
      if (same_field(*link, field)) return link;
      link = &(*link)->next;
    }
  }
  return nullptr;
}

FieldTable::Node** FieldTable::find_link(std::string_view field, std::uint64_t h) {
  return const_cast<Node**>(std::as_const(*this).find_link(field, h));
}

bool FieldTable::find(std::string_view field, std::string_view* value) const {
  if (empty()) return false;
  Node* const* link = find_link(field, hash(field));
  if (link == nullptr) return false;
  *value = value_of(*link);
  return true;
}

bool FieldTable::set(std::string_view field, std::string_view value) {
  if (rehashing()) rehash_step();
  const std::uint64_t h = hash(field);
  if (!empty()) {
    if (Node** link = find_link(field, h)) {
      Node* node = *link;
      if (node->value_size == value.size()) {
        if (!value.empty()) {
          std::memcpy(reinterpret_cast<char*>(node + 1) + node->field_size, value.data(),
                      value.size());
        }
        return false;
      }
      // A different length: a new node in the old one's place (realloc could move it anyway,
      // and a fresh block never has the value overlap the bytes it replaces).
      Node* fresh = make_node(field, value);
      fresh->next = node->next;
      *link = fresh;
      node_bytes_ += node_bytes(field.size(), value.size());
      node_bytes_ -= node_bytes(node->field_size, node->value_size);
      std::free(node);
      return false;
    }
  }
  grow_if_needed();
  Node* node = make_node(field, value);
  // New entries go to the array being filled, so the rehash never has to revisit them.
  Array& array = rehashing() ? arrays_[1] : arrays_[0];
  Node** head = &array.slots[h & array.mask];
  node->next = *head;
  *head = node;
  ++array.used;
  node_bytes_ += node_bytes(field.size(), value.size());
  return true;
}

bool FieldTable::erase(std::string_view field) {
  if (empty()) return false;
  if (rehashing()) rehash_step();
  const std::uint64_t h = hash(field);
  for (Array& array : arrays_) {
    if (array.slots == nullptr) continue;
    Node** link = &array.slots[h & array.mask];
    while (*link != nullptr) {
      Node* node = *link;
      if (same_field(node, field)) {
        *link = node->next;
        node_bytes_ -= node_bytes(node->field_size, node->value_size);
        std::free(node);
        ASSERT_GT(array.used, 0u);
        --array.used;
        if (empty()) {
          clear();
        } else {
          shrink_if_needed();
        }
        return true;
      }
      link = &node->next;
    }
  }
  return false;
}

void FieldTable::grow_if_needed() {
  if (arrays_[0].slots == nullptr) {
    allocate(arrays_[0], kMinBuckets);
    return;
  }
  if (rehashing()) return;
  if (arrays_[0].used >= arrays_[0].bucket_count()) begin_resize(arrays_[0].bucket_count() * 2);
}

void FieldTable::shrink_if_needed() {
  if (rehashing()) return;
  const std::size_t buckets = arrays_[0].bucket_count();
  if (buckets <= kMinBuckets || arrays_[0].used * 8 >= buckets) return;
  const std::size_t target = std::bit_ceil(std::max(arrays_[0].used * 2, kMinBuckets));
  ASSERT_LT(target, buckets);
  begin_resize(target);
}

void FieldTable::begin_resize(std::size_t buckets) {
  ASSERT(!rehashing());
  allocate(arrays_[1], buckets);
  rehash_index_ = 0;
  rehash_step();
}

void FieldTable::rehash_step() {
  ASSERT(rehashing());
  Array& from = arrays_[0];
  Array& to = arrays_[1];
  std::size_t moved = 0;
  std::size_t empty_visits = 0;
  while (from.used > 0 && moved < kRehashBucketsPerStep) {
    ASSERT_LT(rehash_index_, from.bucket_count());
    Node* node = from.slots[rehash_index_];
    if (node == nullptr) {
      ++rehash_index_;
      if (++empty_visits == kRehashEmptyVisitsPerStep) return;
      continue;
    }
    from.slots[rehash_index_] = nullptr;
    while (node != nullptr) {
      Node* next = node->next;
      Node** head = &to.slots[hash(field_of(node)) & to.mask];
      node->next = *head;
      *head = node;
      --from.used;
      ++to.used;
      node = next;
    }
    ++rehash_index_;
    ++moved;
  }
  if (from.used == 0) {
    release(from);
    from = to;
    to = Array{};
    rehash_index_ = 0;
  }
}

std::pair<std::string_view, std::string_view> FieldTable::random(Rng& rng) const {
  ASSERT(!empty());
  // Buckets that can hold nodes: arrays_[0] from rehash_index_ on, then all of arrays_[1].
  const std::size_t first = rehashing() ? rehash_index_ : 0;
  const std::size_t old_live = arrays_[0].bucket_count() - first;
  const std::size_t live = old_live + arrays_[1].bucket_count();
  auto bucket_at = [&](std::size_t i) -> const Node* {
    return i < old_live ? arrays_[0].slots[first + i] : arrays_[1].slots[i - old_live];
  };
  auto nth = [](const Node* node, std::size_t n) {
    while (n-- > 0) node = node->next;
    return node;
  };
  auto chain_length = [](const Node* node) {
    std::size_t length = 0;
    for (; node != nullptr; node = node->next) ++length;
    return length;
  };
  // Rejection sampling over (bucket, position < kFairChainSlots) pairs: each try hits any
  // given node in the first kFairChainSlots places of its chain with the same probability, so
  // the pick is uniform over those. A node further down a longer chain (rare at load factor
  // <= 1) is drawn when its chain is hit at all, a little less often than the others. The
  // expected number of tries is buckets * kFairChainSlots / size: at most about 64 even in a
  // table about to shrink.
  for (int tries = 0; tries < kFairRandomTries; ++tries) {
    const Node* chain = bucket_at(rng.below(live));
    if (chain == nullptr) continue;
    const std::size_t slot = rng.below(kFairChainSlots);
    const std::size_t length = chain_length(chain);
    if (length > kFairChainSlots) {
      const Node* node = nth(chain, rng.below(length));
      return {field_of(node), value_of(node)};
    }
    if (slot < length) {
      const Node* node = nth(chain, slot);
      return {field_of(node), value_of(node)};
    }
  }
  // Unlucky (or a very sparse table during a rehash): the next non-empty bucket from a random
  // start, then a uniform place in its chain. Always ends: the table is not empty.
  std::size_t pick = rng.below(live);
  const Node* chain = bucket_at(pick);
  while (chain == nullptr) {
    pick = pick + 1 == live ? 0 : pick + 1;
    chain = bucket_at(pick);
  }
  const Node* node = nth(chain, rng.below(chain_length(chain)));
  return {field_of(node), value_of(node)};
}

std::size_t FieldTable::walk_heap_bytes() const {
  std::size_t bytes = bucket_bytes(0) + bucket_bytes(1);
  for_each([&](std::string_view field, std::string_view value) {
    bytes += node_bytes(field.size(), value.size());
  });
  return bytes;
}

bool FieldTable::structure_valid() const {
  for (int which = 0; which < 2; ++which) {
    const Array& array = arrays_[which];
    std::size_t nodes = 0;
    for (std::size_t b = 0; b < array.bucket_count(); ++b) {
      for (const Node* node = array.slots[b]; node != nullptr; node = node->next) {
        if ((hash(field_of(node)) & array.mask) != b) return false;
        // Buckets of the old array below the rehash point have been emptied.
        if (which == 0 && rehashing() && b < rehash_index_) return false;
        ++nodes;
      }
    }
    if (nodes != array.used) return false;
  }
  return !rehashing() || arrays_[0].slots != nullptr;
}

}  // namespace eddy::kv
