#include "engine/kv/zset_skiplist.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/base/assert.h"
#include "engine/rng.h"

namespace eddy::kv {

namespace {

constexpr int kMinBucketBits = 3;
// Work per insert or erase while a resize is under way: old buckets holding this many members,
// or this many buckets looked at (most are empty after a large shrink), whichever comes first.
constexpr std::size_t kMigrateMembersPerStep = 8;
constexpr std::size_t kMigrateBucketsPerStep = 256;

// (a_score, a_member) < (b_score, b_member): Redis's order (scores, then member bytes).
bool key_less(double a_score, std::string_view a_member, double b_score,
              std::string_view b_member) {
  if (a_score != b_score) return a_score < b_score;
  return a_member < b_member;
}

void* allocate(std::size_t bytes) {
  void* memory = std::malloc(bytes);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

}  // namespace

std::size_t ZSkiplist::node_bytes(int level, std::size_t member_size) {
  return sizeof(Node) + static_cast<std::size_t>(level) * sizeof(Node::Link) + member_size;
}

std::uint64_t ZSkiplist::hash_member(std::string_view member) const {
  return XXH3_64bits_withSeed(member.data(), member.size(), hash_seed_);
}

int ZSkiplist::random_level(Rng& rng) {
  // Each further level with probability 1/4: one 64-bit draw holds 31 two-bit trials.
  std::uint64_t bits = rng.next();
  int level = 1;
  while (level < kMaxLevel && (bits & 3) == 0) {
    ++level;
    bits >>= 2;
  }
  return level;
}

ZSkiplist::ZSkiplist(std::uint64_t hash_seed) : hash_seed_(hash_seed) {
  header_ = new_node(kMaxLevel, 0, {}, 0);
  for (int i = 0; i < kMaxLevel; ++i) header_->link(i) = {nullptr, 0};
  start_resize(kMinBucketBits);
}

ZSkiplist::~ZSkiplist() {
  Node* node = header_->link(0).forward;
  while (node != nullptr) {
    Node* next_node = node->link(0).forward;
    std::free(node);
    node = next_node;
  }
  std::free(header_);
  std::free(buckets_);
  std::free(old_buckets_);
}

ZSkiplist::Node* ZSkiplist::new_node(int level, double score, std::string_view member,
                                     std::uint64_t hash) {
  ASSERT(level >= 1 && level <= kMaxLevel);
  ASSERT_LE(member.size(), std::size_t{0xFFFFFFFFu});
  const std::size_t bytes = node_bytes(level, member.size());
  auto* node = static_cast<Node*>(allocate(bytes));
  node->score_ = score;
  node->backward_ = nullptr;
  node->chain_ = nullptr;
  node->hash_ = hash;
  node->member_size_ = static_cast<std::uint32_t>(member.size());
  node->level_ = static_cast<std::uint8_t>(level);
  if (!member.empty()) {
    std::memcpy(reinterpret_cast<char*>(node->links() + level), member.data(), member.size());
  }
  heap_bytes_ += bytes;
  return node;
}

void ZSkiplist::free_node(Node* node) {
  const std::size_t bytes = node_bytes(node->level_, node->member_size_);
  ASSERT_GE(heap_bytes_, bytes);
  heap_bytes_ -= bytes;
  std::free(node);
}

std::unique_ptr<ZSkiplist> ZSkiplist::clone() const {
  auto copy = std::make_unique<ZSkiplist>(hash_seed_);
  copy->start_resize(bucket_bits_);
  if (copy->migrating()) copy->migrate(true);
  // The copy is built front to back: last[i] is the copy's latest node of level > i, and
  // last_rank[i] its 1-based rank (0 for the header).
  Node* last[kMaxLevel];
  std::size_t last_rank[kMaxLevel];
  for (int i = 0; i < kMaxLevel; ++i) {
    last[i] = copy->header_;
    last_rank[i] = 0;
  }
  std::size_t rank = 0;
  Node* previous = nullptr;
  for (const Node* node = first(); node != nullptr; node = next(node)) {
    ++rank;
    Node* twin = copy->new_node(node->level_, node->score_, node->member(), node->hash_);
    for (int i = 0; i < node->level_; ++i) {
      last[i]->link(i) = {twin, rank - last_rank[i]};
      last[i] = twin;
      last_rank[i] = rank;
    }
    twin->backward_ = previous;
    previous = twin;
    // Straight into the chain: the copy's index already has its final size.
    Node** head = copy->chain_of(twin->hash_);
    twin->chain_ = *head;
    *head = twin;
  }
  for (int i = 0; i < kMaxLevel; ++i) last[i]->link(i) = {nullptr, length_ - last_rank[i]};
  copy->tail_ = previous;
  copy->length_ = length_;
  copy->level_ = level_;
  // The copy's index has the same size but no resize under way.
  ASSERT_EQ(copy->heap_bytes_ +
                (migrating() ? (std::size_t{1} << old_bits_) * sizeof(Node*) : std::size_t{0}),
            heap_bytes_);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// The skiplist.

void ZSkiplist::predecessors(double score, std::string_view member, Node** update) const {
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->link(i).forward != nullptr &&
           key_less(x->link(i).forward->score_, x->link(i).forward->member(), score, member)) {
      x = x->link(i).forward;
    }
    update[i] = x;
  }
}

void ZSkiplist::link(Node* node) {
  Node* update[kMaxLevel];
  std::size_t rank[kMaxLevel];  // 1-based rank of update[i] (0: the header)
  Node* x = header_;
  const double score = node->score_;
  const std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->link(i).forward != nullptr &&
           key_less(x->link(i).forward->score_, x->link(i).forward->member(), score, member)) {
      rank[i] += x->link(i).span;
      x = x->link(i).forward;
    }
    update[i] = x;
  }
  const int level = node->level_;
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->link(i).span = length_;
    }
    level_ = level;
  }
  for (int i = 0; i < level; ++i) {
    node->link(i).forward = update[i]->link(i).forward;
    update[i]->link(i).forward = node;
    // update[i] now spans to the new node; the new node spans what remains of update[i]'s.
    node->link(i).span = update[i]->link(i).span - (rank[0] - rank[i]);
    update[i]->link(i).span = rank[0] - rank[i] + 1;
  }
  for (int i = level; i < level_; ++i) ++update[i]->link(i).span;
  node->backward_ = update[0] == header_ ? nullptr : update[0];
  if (node->link(0).forward != nullptr) {
    node->link(0).forward->backward_ = node;
  } else {
    tail_ = node;
  }
  ++length_;
}

void ZSkiplist::unlink(Node* node, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->link(i).forward == node) {
      update[i]->link(i).span += node->link(i).span - 1;
      update[i]->link(i).forward = node->link(i).forward;
    } else {
      --update[i]->link(i).span;
    }
  }
  if (node->link(0).forward != nullptr) {
    node->link(0).forward->backward_ = node->backward_;
  } else {
    tail_ = node->backward_;
  }
  while (level_ > 1 && header_->link(level_ - 1).forward == nullptr) --level_;
  --length_;
}

const ZSkiplist::Node* ZSkiplist::insert(double score, std::string_view member, Rng& rng) {
  const std::uint64_t hash = hash_member(member);
  Node* node = new_node(random_level(rng), score, member, hash);
  link(node);
  index_add(node);
  return node;
}

void ZSkiplist::set_score(const Node* target, double score) {
  Node* node = const_cast<Node*>(target);
  const std::string_view member = node->member();
  const Node* before = node->backward_;
  const Node* after = node->link(0).forward;
  if ((before == nullptr || key_less(before->score_, before->member(), score, member)) &&
      (after == nullptr || key_less(score, member, after->score_, after->member()))) {
    // Its neighbours stay its neighbours: no link changes.
    node->score_ = score;
    return;
  }
  Node* update[kMaxLevel];
  predecessors(node->score_, member, update);
  ASSERT(update[0]->link(0).forward == node);
  unlink(node, update);
  node->score_ = score;
  link(node);
}

void ZSkiplist::erase(const Node* target) {
  Node* node = const_cast<Node*>(target);
  Node* update[kMaxLevel];
  predecessors(node->score_, node->member(), update);
  ASSERT(update[0]->link(0).forward == node);
  unlink(node, update);
  index_remove(node);
  free_node(node);
  resize_if_needed();
}

void ZSkiplist::erase_ranks(std::size_t first_rank, std::size_t count) {
  ASSERT_LE(first_rank + count, length_);
  if (count == 0) return;
  // The predecessors of the node at (1-based) rank first_rank + 1 stay the predecessors of
  // each following node as the run is erased.
  Node* update[kMaxLevel];
  Node* x = header_;
  std::size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->link(i).forward != nullptr && traversed + x->link(i).span <= first_rank) {
      traversed += x->link(i).span;
      x = x->link(i).forward;
    }
    update[i] = x;
  }
  Node* node = x->link(0).forward;
  for (std::size_t n = 0; n < count; ++n) {
    ASSERT(node != nullptr);
    Node* following = node->link(0).forward;
    unlink(node, update);
    index_remove(node);
    free_node(node);
    node = following;
  }
  resize_if_needed();
}

std::size_t ZSkiplist::rank(const Node* node) const {
  const Node* x = header_;
  std::size_t traversed = 0;
  const double score = node->score_;
  const std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    // Forward while the next node is at or before `node`.
    while (x->link(i).forward != nullptr &&
           !key_less(score, member, x->link(i).forward->score_, x->link(i).forward->member())) {
      traversed += x->link(i).span;
      x = x->link(i).forward;
    }
    if (x == node) return traversed - 1;
  }
  ASSERT_MSG(false, "rank of a node not in the list");
  return 0;
}

const ZSkiplist::Node* ZSkiplist::at(std::size_t rank_index) const {
  ASSERT_LT(rank_index, length_);
  const std::size_t target = rank_index + 1;  // spans count 1-based ranks
  const Node* x = header_;
  std::size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->link(i).forward != nullptr && traversed + x->link(i).span <= target) {
      traversed += x->link(i).span;
      x = x->link(i).forward;
    }
    if (traversed == target) return x;
  }
  ASSERT_MSG(false, "rank out of range");
  return nullptr;
}

const ZSkiplist::Node* ZSkiplist::first_where(FunctionRef<bool(const Node&)> pred,
                                              std::size_t* rank_out) const {
  const Node* x = header_;
  std::size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->link(i).forward != nullptr && !pred(*x->link(i).forward)) {
      traversed += x->link(i).span;
      x = x->link(i).forward;
    }
  }
  *rank_out = traversed;
  return x->link(0).forward;
}

const ZSkiplist::Node* ZSkiplist::last_where(FunctionRef<bool(const Node&)> pred,
                                             std::size_t* rank_out) const {
  const Node* x = header_;
  std::size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->link(i).forward != nullptr && pred(*x->link(i).forward)) {
      traversed += x->link(i).span;
      x = x->link(i).forward;
    }
  }
  if (x == header_) return nullptr;
  *rank_out = traversed - 1;
  return x;
}

void ZSkiplist::check_invariants() const {
  ASSERT(level_ >= 1 && level_ <= kMaxLevel);
  std::size_t bytes = node_bytes(kMaxLevel, 0) + (std::size_t{1} << bucket_bits_) * sizeof(Node*);
  if (migrating()) bytes += (std::size_t{1} << old_bits_) * sizeof(Node*);
  std::size_t count = 0;
  const Node* previous = nullptr;
  for (const Node* node = first(); node != nullptr; node = next(node)) {
    ++count;
    ASSERT(node->backward_ == previous);
    ASSERT(node->level_ >= 1 && node->level_ <= level_);
    if (previous != nullptr) {
      ASSERT(key_less(previous->score_, previous->member(), node->score_, node->member()));
    }
    ASSERT(node->hash_ == hash_member(node->member()));
    ASSERT(find(node->member()) == node);
    bytes += node_bytes(node->level_, node->member_size_);
    previous = node;
  }
  ASSERT_EQ(count, length_);
  ASSERT(tail_ == previous);
  ASSERT_EQ(bytes, heap_bytes_);
  // Every level's links, with spans adding up to the ranks they skip.
  for (int i = 0; i < level_; ++i) {
    std::size_t rank = 0;
    const Node* x = header_;
    while (x->link(i).forward != nullptr) {
      const Node* target = x->link(i).forward;
      rank += x->link(i).span;
      ASSERT_EQ(this->rank(target) + 1, rank);
      x = target;
    }
    ASSERT_EQ(x->link(i).span, length_ - rank);
  }
  std::size_t indexed = 0;
  for (std::size_t b = 0; b < (std::size_t{1} << bucket_bits_); ++b) {
    for (const Node* node = buckets_[b]; node != nullptr; node = node->chain_) {
      ASSERT_EQ(bucket_of(node->hash_), b);
      ASSERT(!in_old(node->hash_));
      ++indexed;
    }
  }
  if (migrating()) {
    for (std::size_t b = 0; b < (std::size_t{1} << old_bits_); ++b) {
      for (const Node* node = old_buckets_[b]; node != nullptr; node = node->chain_) {
        ASSERT_EQ(node->hash_ >> (64 - old_bits_), b);
        ASSERT(in_old(node->hash_));
        ++indexed;
      }
    }
  }
  ASSERT_EQ(indexed, length_);
}

// ---------------------------------------------------------------------------------------------
// The member index.

const ZSkiplist::Node* ZSkiplist::find(std::string_view member) const {
  const std::uint64_t hash = hash_member(member);
  for (const Node* node = *chain_of(hash); node != nullptr; node = node->chain_) {
    if (node->hash_ == hash && node->member() == member) return node;
  }
  return nullptr;
}

void ZSkiplist::index_add(Node* node) {
  resize_if_needed();
  Node** head = chain_of(node->hash_);
  node->chain_ = *head;
  *head = node;
}

void ZSkiplist::index_remove(Node* node) {
  if (migrating()) migrate(false);
  Node** at_link = chain_of(node->hash_);
  while (*at_link != node) {
    ASSERT(*at_link != nullptr);
    at_link = &(*at_link)->chain_;
  }
  *at_link = node->chain_;
  node->chain_ = nullptr;
}

void ZSkiplist::resize_if_needed() {
  if (migrating()) {
    migrate(false);
    return;
  }
  const std::size_t buckets = std::size_t{1} << bucket_bits_;
  if (length_ > buckets && bucket_bits_ < 62) {
    start_resize(bucket_bits_ + 1);
  } else if (bucket_bits_ > kMinBucketBits && length_ < buckets / 4) {
    // To the smallest array that holds every member with a load of at most 1.
    int bits = kMinBucketBits;
    while ((std::size_t{1} << bits) < length_) ++bits;
    start_resize(bits);
  }
}

void ZSkiplist::start_resize(int bucket_bits) {
  ASSERT(bucket_bits >= kMinBucketBits && bucket_bits < 64);
  if (migrating()) migrate(true);
  const std::size_t count = std::size_t{1} << bucket_bits;
  auto** fresh = static_cast<Node**>(allocate(count * sizeof(Node*)));
  for (std::size_t i = 0; i < count; ++i) fresh[i] = nullptr;
  heap_bytes_ += count * sizeof(Node*);
  if (buckets_ != nullptr) {
    old_buckets_ = buckets_;
    old_bits_ = bucket_bits_;
    old_next_ = 0;
  }
  buckets_ = fresh;
  bucket_bits_ = bucket_bits;
  if (migrating()) migrate(false);
}

void ZSkiplist::migrate(bool finish) {
  ASSERT(migrating());
  const std::size_t old_count = std::size_t{1} << old_bits_;
  std::size_t members = 0;
  std::size_t looked = 0;
  while (old_next_ < old_count &&
         (finish || (members < kMigrateMembersPerStep && looked < kMigrateBucketsPerStep))) {
    Node* node = old_buckets_[old_next_];
    old_buckets_[old_next_] = nullptr;
    // The boundary moves first, so chain_of() sends this bucket's members to the new array.
    ++old_next_;
    ++looked;
    while (node != nullptr) {
      Node* following = node->chain_;
      Node*& head = buckets_[bucket_of(node->hash_)];
      node->chain_ = head;
      head = node;
      node = following;
      ++members;
    }
  }
  if (old_next_ == old_count) {
    std::free(old_buckets_);
    old_buckets_ = nullptr;
    heap_bytes_ -= old_count * sizeof(Node*);
    old_bits_ = 0;
    old_next_ = 0;
  }
}

std::uint64_t ZSkiplist::scan(std::uint64_t cursor, std::size_t count,
                              FunctionRef<void(const Node&)> visit) const {
  std::size_t visited = 0;
  // Redis bounds a call by ten bucket visits per element asked for, so a sparse table cannot
  // make one call walk it all.
  const std::size_t buckets_max = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  std::size_t looked = 0;
  for (;;) {
    // The bucket holding `cursor`, in whichever array holds that part of the hash range, and
    // where the range it stands for ends (0: the end of all).
    const Node* chain;
    std::uint64_t end;
    if (in_old(cursor)) {
      const std::uint64_t bucket = cursor >> (64 - old_bits_);
      chain = old_buckets_[bucket];
      end = (bucket + 1) << (64 - old_bits_);
    } else {
      const std::uint64_t bucket = bucket_of(cursor);
      chain = buckets_[bucket];
      end = (bucket + 1) << (64 - bucket_bits_);
      // A new bucket (after a shrink, larger than the old ones) may reach past the boundary:
      // the part beyond it is still in the old array.
      if (migrating()) {
        const std::uint64_t boundary = static_cast<std::uint64_t>(old_next_) << (64 - old_bits_);
        if (boundary > cursor && (end == 0 || end > boundary)) end = boundary;
      }
    }
    for (const Node* node = chain; node != nullptr; node = node->chain_) {
      // After a shrink the cursor may fall inside a bucket: the part below it was returned.
      if (node->hash_ >= cursor && (end == 0 || node->hash_ < end)) {
        visit(*node);
        ++visited;
      }
    }
    ++looked;
    if (end == 0) return 0;  // past the last bucket: the scan is complete
    cursor = end;
    if (visited >= count || looked >= buckets_max) return cursor;
  }
}

}  // namespace eddy::kv
