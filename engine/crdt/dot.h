#pragma once
// A dot names one update: the replica that made it (its origin) and that replica's sequence
// number for it, 1, 2, 3, ... Dots are unique as long as a replica id is never reused by a
// replica that forgot its earlier dots (see grow_only_set.h and or_set.h).

#include <compare>
#include <cstdint>
#include <string>

namespace eddy::crdt {

struct Dot {
  std::string origin;
  std::uint64_t seq = 0;

  friend auto operator<=>(const Dot&, const Dot&) = default;
  friend bool operator==(const Dot&, const Dot&) = default;
};

}  // namespace eddy::crdt
