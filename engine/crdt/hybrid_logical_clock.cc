#include "engine/crdt/hybrid_logical_clock.h"

#include <algorithm>
#include <limits>

#include "engine/base/assert.h"

namespace eddy::crdt {

namespace {

// The counter is 32 bits. Were it to run out within one millisecond (four billion events, or
// a peer sending a counter at the limit), the clock moves to the next millisecond instead of
// wrapping: still larger than everything seen, which is all the order needs.
HlcTimestamp with_next_logical(std::int64_t physical_ms, std::uint32_t logical) {
  if (logical < std::numeric_limits<std::uint32_t>::max()) return {physical_ms, logical + 1};
  ASSERT_LT(physical_ms, std::numeric_limits<std::int64_t>::max());
  return {physical_ms + 1, 0};
}

}  // namespace

HlcTimestamp HybridLogicalClock::now(std::int64_t physical_ms) {
  // l = max(l, pt); c = (l unchanged) ? c + 1 : 0.
  if (physical_ms > last_.physical_ms) {
    last_ = {physical_ms, 0};
  } else {
    last_ = with_next_logical(last_.physical_ms, last_.logical);
  }
  return last_;
}

HlcTimestamp HybridLogicalClock::update(HlcTimestamp received, std::int64_t physical_ms) {
  // l = max(l, l_m, pt); c follows whichever of l and l_m reached the new l, and starts at 0
  // when the physical reading alone did.
  const std::int64_t l = std::max({last_.physical_ms, received.physical_ms, physical_ms});
  const bool from_local = l == last_.physical_ms;
  const bool from_received = l == received.physical_ms;
  if (from_local && from_received) {
    last_ = with_next_logical(l, std::max(last_.logical, received.logical));
  } else if (from_local) {
    last_ = with_next_logical(l, last_.logical);
  } else if (from_received) {
    last_ = with_next_logical(l, received.logical);
  } else {
    last_ = {l, 0};
  }
  DEBUG_ASSERT(last_ > received);
  return last_;
}

}  // namespace eddy::crdt
