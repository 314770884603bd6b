#pragma once
// A grow-only counter: each replica counts its own increments, merge takes the per-replica
// maximum, and the value is the sum. Replicas with zero count are not stored, so equal
// counters have equal entries and digests.
//
// Counts are uint64. An increment that would overflow its replica's count is refused; the sum
// of all counts saturates at the maximum rather than wrapping (both far beyond any workload,
// but a wrapped counter would silently stop being monotone).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace eddy::crdt {

class GCounter {
 public:
  using Entries = std::map<std::string, std::uint64_t, std::less<>>;

  // Adds `delta` to `replica`'s count. False (nothing changes) if that count would overflow.
  bool increment(std::string_view replica, std::uint64_t delta = 1);
  // Raises `replica`'s count to `count` if larger (a received entry). Returns whether it rose.
  bool merge_entry(std::string_view replica, std::uint64_t count);
  // Per-replica maximum. Returns whether anything rose.
  bool merge(const GCounter& other);

  // Sum of all counts, saturating at UINT64_MAX.
  std::uint64_t value() const;
  std::uint64_t count_of(std::string_view replica) const;
  // Sorted replica -> count, no zero counts: for encoding.
  const Entries& entries() const { return entries_; }
  std::uint64_t digest() const;

  friend bool operator==(const GCounter&, const GCounter&) = default;

 private:
  Entries entries_;
};

}  // namespace eddy::crdt
