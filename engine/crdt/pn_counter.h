#pragma once
// A counter that goes both ways: two grow-only counters, P for increments and N for
// decrements (by magnitude); the value is P - N. Each half merges on its own, so the pair is a
// CRDT whenever GCounter is.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/crdt/g_counter.h"

namespace eddy::crdt {

class PnCounter {
 public:
  // One replica's pair of counts.
  struct Entry {
    std::uint64_t increments = 0;
    std::uint64_t decrements = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // Adds `delta` (either sign) on behalf of `replica`. False (nothing changes) if the half it
  // goes to would overflow.
  bool add(std::string_view replica, std::int64_t delta);
  // Raises `replica`'s counts to the received ones where larger. Returns whether any rose.
  bool merge_entry(std::string_view replica, const Entry& entry);
  bool merge(const PnCounter& other);

  // P - N, clamped to the int64 range.
  std::int64_t value() const;
  const GCounter& increments() const { return increments_; }
  const GCounter& decrements() const { return decrements_; }
  // Sorted replica -> (P, N) for every replica with a non-zero count: for encoding.
  std::map<std::string, Entry, std::less<>> entries() const;
  std::uint64_t digest() const;

  friend bool operator==(const PnCounter&, const PnCounter&) = default;

 private:
  GCounter increments_;
  GCounter decrements_;
};

}  // namespace eddy::crdt
