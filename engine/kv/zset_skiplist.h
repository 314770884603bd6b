#pragma once
// ZSkiplist: the large form of a sorted set (Redis's "skiplist" encoding): members ordered by
// (score, member bytes) in a skiplist whose links carry spans, so a member's rank and the
// member at a rank are O(log n) to find; plus an index from member to node (a chained hash
// table) so ZSCORE and the lookups behind ZADD/ZREM are O(1).
//
// Nodes. One allocation per member: the node header, its links (one per level) and the member
// bytes inline, so a member costs its bytes plus about 60 bytes. Each node also carries its
// member's hash and the next node of its hash bucket, so the index itself is only the bucket
// array (one pointer per bucket).
//
// Levels are drawn from the caller's Rng (p = 1/4, at most kMaxLevel), never from the members,
// and member hashes are seeded per list (from the same Rng), as Redis seeds its dict hashes: a
// client cannot choose members that degrade the list or crowd one bucket. A clone keeps every
// node's level and the seed, so it needs no randomness.
//
// Index and ZSCAN. A member's bucket is given by the top bits of its 64-bit hash, so buckets in
// order own ascending, contiguous ranges of hash values, and a resize only splits or joins
// those ranges. A ZSCAN cursor is a hash value: a scan visits buckets from the one holding the
// cursor onward and returns the members whose hash is at least the cursor. A member present for
// a whole scan is therefore returned exactly once however the table grows or shrinks between
// calls. The table doubles when it holds more members than buckets and shrinks to fit when
// under a quarter full.
//
// Resizes are incremental, as Redis's dict rehashing: the old bucket array is emptied into the
// new one a few buckets per insert or erase, in bucket order, so no command pays for moving a
// whole large set. Because buckets own contiguous hash ranges, the members already moved are
// exactly those whose hash lies below a boundary (the start of the next old bucket to move):
// every lookup, insert, erase and scan step picks its array by comparing with it.
//
// Memory: heap_bytes() is a running count of every byte allocated (header node, buckets,
// nodes), exact and O(1).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/base/function_ref.h"

namespace eddy {
class Rng;
}

namespace eddy::kv {

class ZSkiplist {
 public:
  static constexpr int kMaxLevel = 32;

  class Node {
   public:
    double score() const { return score_; }
    std::string_view member() const {
      return {reinterpret_cast<const char*>(links() + level_), member_size_};
    }

   private:
    friend class ZSkiplist;
    struct Link {
      Node* forward;
      std::size_t span;  // members passed by following `forward` (to the end when null)
    };
    Link* links() { return reinterpret_cast<Link*>(this + 1); }
    const Link* links() const { return reinterpret_cast<const Link*>(this + 1); }
    Link& link(int level) { return links()[level]; }
    const Link& link(int level) const { return links()[level]; }

    double score_;
    Node* backward_;  // the previous member; null for the first
    Node* chain_;     // the next node in the same hash bucket
    std::uint64_t hash_;
    std::uint32_t member_size_;
    std::uint8_t level_;
  };

  // `hash_seed` seeds the member index's hash (draw it from the shard's Rng).
  explicit ZSkiplist(std::uint64_t hash_seed);
  ~ZSkiplist();
  ZSkiplist(const ZSkiplist&) = delete;
  ZSkiplist& operator=(const ZSkiplist&) = delete;

  // A deep copy with the same node levels.
  std::unique_ptr<ZSkiplist> clone() const;

  std::size_t size() const { return length_; }
  // Bytes allocated on the heap by this list (not counting the ZSkiplist object itself).
  std::size_t heap_bytes() const { return heap_bytes_; }

  // The node of `member`, or null.
  const Node* find(std::string_view member) const;
  // Inserts a member that is not present.
  const Node* insert(double score, std::string_view member, Rng& rng);
  // Gives a present member a new score (in place when its order does not change).
  void set_score(const Node* node, double score);
  void erase(const Node* node);
  // Erases `count` members starting at 0-based rank `first` (first + count <= size()).
  void erase_ranks(std::size_t first, std::size_t count);

  const Node* first() const { return header_->link(0).forward; }
  const Node* last() const { return tail_; }
  static const Node* next(const Node* node) { return node->link(0).forward; }
  static const Node* prev(const Node* node) { return node->backward_; }
  // 0-based rank of a present node.
  std::size_t rank(const Node* node) const;
  // The node at 0-based `rank` (< size()).
  const Node* at(std::size_t rank) const;

  // Searches assuming `pred` is monotone along the order. first_where: the first node for
  // which pred holds, given it is false then true (null when none); last_where: the last node
  // for which pred holds, given it is true then false. `rank` receives the node's 0-based rank.
  const Node* first_where(FunctionRef<bool(const Node&)> pred, std::size_t* rank) const;
  const Node* last_where(FunctionRef<bool(const Node&)> pred, std::size_t* rank) const;

  // One ZSCAN step from `cursor` (see above): calls `visit` for the members of whole buckets
  // until at least `count` were visited or `count * 10` buckets were looked at. Returns the
  // next cursor, 0 when the scan is complete.
  std::uint64_t scan(std::uint64_t cursor, std::size_t count,
                     FunctionRef<void(const Node&)> visit) const;

  // Walks everything and asserts the structure (order, spans, back links, index, byte count).
  // O(n): for tests.
  void check_invariants() const;

 private:
  static std::size_t node_bytes(int level, std::size_t member_size);
  std::uint64_t hash_member(std::string_view member) const;
  static int random_level(Rng& rng);

  Node* new_node(int level, double score, std::string_view member, std::uint64_t hash);
  void free_node(Node* node);
  // Links a node that is in no list at the place its (score, member) orders it.
  void link(Node* node);
  // Unlinks a node whose predecessor at each level is update[level].
  void unlink(Node* node, Node** update);
  // Fills update[] with the last node before (score, member) at each level.
  void predecessors(double score, std::string_view member, Node** update) const;

  std::size_t bucket_of(std::uint64_t hash) const {
    return static_cast<std::size_t>(hash >> (64 - bucket_bits_));
  }
  bool migrating() const { return old_buckets_ != nullptr; }
  // While migrating: true when `hash` is still in the old array.
  bool in_old(std::uint64_t hash) const {
    return migrating() && (hash >> (64 - old_bits_)) >= old_next_;
  }
  // The head of the chain that holds (or would hold) `hash`.
  Node** chain_of(std::uint64_t hash) {
    return in_old(hash) ? &old_buckets_[hash >> (64 - old_bits_)] : &buckets_[bucket_of(hash)];
  }
  Node* const* chain_of(std::uint64_t hash) const {
    return const_cast<ZSkiplist*>(this)->chain_of(hash);
  }
  void index_add(Node* node);
  void index_remove(Node* node);
  // Starts moving the index into an array of 2^bucket_bits buckets.
  void start_resize(int bucket_bits);
  // Moves some old buckets (all of them when `finish`).
  void migrate(bool finish);
  void resize_if_needed();

  std::uint64_t hash_seed_;
  Node* header_;
  Node* tail_ = nullptr;
  std::size_t length_ = 0;
  int level_ = 1;
  Node** buckets_ = nullptr;
  int bucket_bits_ = 0;
  Node** old_buckets_ = nullptr;  // non-null while a resize is under way
  int old_bits_ = 0;
  std::size_t old_next_ = 0;  // the next old bucket to move
  std::size_t heap_bytes_ = 0;
};

}  // namespace eddy::kv
