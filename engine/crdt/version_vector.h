#pragma once
// A version vector: per origin replica, the highest sequence number such that every dot
// (origin, 1..seq) is held. Origins at 0 are not stored, so equal vectors have equal
// entries and equal digests. Sorted by origin, so iteration and encoding are deterministic.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "engine/crdt/dot.h"

namespace eddy::crdt {

class VersionVector {
 public:
  using Entries = std::map<std::string, std::uint64_t, std::less<>>;

  // The seq held for `origin`; 0 when none.
  std::uint64_t get(std::string_view origin) const;
  // Raises `origin`'s entry to `seq` (never lowers it). Returns whether it rose.
  bool advance(std::string_view origin, std::uint64_t seq);
  // True when the dot is among those this vector holds.
  bool covers(const Dot& dot) const { return dot.seq != 0 && dot.seq <= get(dot.origin); }
  // True when this vector holds every dot `other` holds (every entry >=).
  bool dominates(const VersionVector& other) const;
  // Entry-wise maximum.
  void merge(const VersionVector& other);

  const Entries& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::uint64_t digest() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  Entries entries_;
};

}  // namespace eddy::crdt
