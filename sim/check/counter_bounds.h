#pragma once
// The counter checker of Maelstrom's g-counter and pn-counter workloads: the acceptable final
// values are the sum of every acknowledged add plus the sum of any subset of the adds whose
// outcome is unknown; failed adds took no effect. Every ok final read must be acceptable
// (intermediate reads are not judged; an unanswered final read is simply absent).
//
// The acceptable set is computed exactly (a bitset of subset sums, which the small deltas of
// the workloads keep small). Should the unknown adds' absolute deltas sum past
// kExactSpanLimit, the set is widened to the whole interval between the lowest and the highest
// subset sum and `approximate` is set.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/check/history.h"

namespace eddy::sim {

struct CounterAdd {
  std::int64_t delta = 0;
  OpOutcome outcome = OpOutcome::kOk;
};

struct CounterRead {
  std::int64_t value = 0;
  std::uint32_t process = 0;  // for reports only
  std::int64_t invoke_ns = 0;
  std::int64_t complete_ns = 0;
};

struct CounterBoundsResult {
  bool ok = true;
  bool approximate = false;
  std::int64_t definite_sum = 0;  // sum of the acknowledged adds
  std::size_t ok_adds = 0;
  std::size_t unknown_adds = 0;
  std::size_t reads_checked = 0;
  // The acceptable set as closed, disjoint, ascending [lo, hi] ranges.
  std::vector<std::pair<std::int64_t, std::int64_t>> acceptable;
  std::vector<CounterRead> errors;  // the final reads outside the acceptable set
  std::string explanation;

  static constexpr std::uint64_t kExactSpanLimit = std::uint64_t{1} << 26;
};

// `final_reads`: the ok final reads. Sums must fit in int64.
CounterBoundsResult check_counter_bounds(const std::vector<CounterAdd>& adds,
                                         const std::vector<CounterRead>& final_reads);

// [lo, hi] ranges as text: "[3..7] [9] [11..12]", at most `limit` ranges then "...".
std::string describe_ranges(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges,
                            std::size_t limit = 8);

}  // namespace eddy::sim
