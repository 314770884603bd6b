#pragma once
// A grow-only set of opaque elements, built for delta anti-entropy; it is also the store of
// the broadcast workload (elements are the node's canonical JSON text of each message).
//
// Every element added locally becomes an entry in its origin replica's log: entry `seq` of
// origin `r` (seq = 1, 2, 3, ...) is the dot (r, seq). A replica holds, per origin, a prefix of
// that origin's log, so its version vector (origin -> length of the held prefix) says exactly
// which entries it has. Anti-entropy is then cheap: a peer sends its version vector (or just
// its digest first), and gets back missing_for(vector), the entries beyond each prefix.
//
// Design choices:
// - Duplicates. add_local() of an element already present records nothing and returns
//   nullopt: the element already sits in some origin's log this replica holds, so it reaches
//   every peer with that entry; a second entry would only cost space and bandwidth. Entries
//   received through merge() are always kept (even when their element is already present),
//   because an origin's log must stay contiguous; reads show each element once either way.
// - Out-of-order entries. merge() accepts only the next seq of each origin and ignores the
//   rest (duplicates and entries past a gap) rather than buffering them: nothing can ever
//   leave a gap, memory stays bounded by what is held, and an ignored entry is not lost, since
//   the holder's next missing_for() against our unchanged vector sends it again. missing_for()
//   emits each origin's entries oldest first, so a whole batch applied in order is accepted.
//
// Uniqueness of dots is the caller's duty: a replica that restarts must not hand out a seq it
// may already have sent with another element (peers would keep the first and never take the
// second). Either persist each local entry before it can be gossiped, and recover by merging
// the persisted entries back (add_local then continues after them), or restart under a new
// replica id.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/crdt/dot.h"
#include "engine/crdt/version_vector.h"

namespace eddy::crdt {

class GrowOnlySet {
 public:
  // One log entry, as exchanged between replicas and written to the record log.
  struct Delta {
    std::string origin;
    std::uint64_t seq = 0;
    std::string element;

    friend bool operator==(const Delta&, const Delta&) = default;
  };

  // Appends `element` to `replica`'s log and returns its dot; nullopt when the set already
  // holds the element (nothing changes; see the header comment).
  std::optional<Dot> add_local(std::string_view replica, std::string_view element);
  // Applies received entries in span order, each only if it is the next seq of its origin
  // (others are ignored; see the header comment). Idempotent. Returns how many were taken.
  std::size_t merge(std::span<const Delta> deltas);

  bool contains(std::string_view element) const { return elements_.contains(element); }
  // The distinct elements, sorted.
  const std::set<std::string, std::less<>>& elements() const { return elements_; }
  std::size_t size() const { return elements_.size(); }
  // Entries held across all logs (>= size(): logs may repeat an element).
  std::uint64_t entry_count() const { return entry_count_; }

  // Origin -> number of that origin's entries held (always a prefix of its log).
  const VersionVector& version_vector() const { return version_; }
  // Entries held here that a replica at `peer` lacks, at most `max_entries` of them: each
  // origin's oldest missing entries first, interleaved round-robin across origins (sorted by
  // id) so one busy origin does not starve the others.
  std::vector<Delta> missing_for(const VersionVector& peer, std::size_t max_entries) const;
  // The digest of the version vector: equal digests mean (up to hash collision) equal state.
  std::uint64_t digest() const { return version_.digest(); }

  friend bool operator==(const GrowOnlySet& a, const GrowOnlySet& b) {
    return a.version_ == b.version_ && a.logs_ == b.logs_;
  }

 private:
  // Appends the next entry of `origin`'s log.
  void append(std::string_view origin, std::string_view element);

  // Per origin, its log: logs_[origin][i] is the element of seq i + 1.
  std::map<std::string, std::vector<std::string>, std::less<>> logs_;
  std::set<std::string, std::less<>> elements_;
  VersionVector version_;
  std::uint64_t entry_count_ = 0;
};

}  // namespace eddy::crdt
