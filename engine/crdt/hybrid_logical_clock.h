#pragma once
// Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks and Consistent
// Snapshots in Globally Distributed Databases", 2014). A timestamp is the largest physical
// time seen (ms) plus a logical counter that orders events within one such millisecond. It
// stays close to physical time, never goes back even when the physical clock does, and
// respects happened-before: an event that has seen a timestamp (through update()) gets a
// larger one.
//
// The clock owns no time source: callers pass the physical reading (Runtime::unix_now_ms), so
// the simulator controls it and replays it.

#include <compare>
#include <cstdint>
#include <string>

namespace eddy::crdt {

struct HlcTimestamp {
  std::int64_t physical_ms = 0;
  std::uint32_t logical = 0;

  friend auto operator<=>(const HlcTimestamp&, const HlcTimestamp&) = default;
};

// A timestamp with the replica that issued it: a total order over all writes of a cluster.
// Two replicas may issue the same HlcTimestamp; the replica id breaks the tie the same way
// everywhere, which is what a last-writer-wins register needs.
struct HlcStamp {
  HlcTimestamp time;
  std::string replica;

  friend auto operator<=>(const HlcStamp&, const HlcStamp&) = default;
  friend bool operator==(const HlcStamp&, const HlcStamp&) = default;
};

class HybridLogicalClock {
 public:
  // For a local event or a send: a timestamp larger than every one this clock returned or saw.
  HlcTimestamp now(std::int64_t physical_ms);
  // For a receive: merges `received` and returns a timestamp larger than both it and every
  // timestamp this clock returned or saw.
  HlcTimestamp update(HlcTimestamp received, std::int64_t physical_ms);
  // The last timestamp returned (zero before the first event).
  HlcTimestamp last() const { return last_; }

 private:
  HlcTimestamp last_;
};

}  // namespace eddy::crdt
