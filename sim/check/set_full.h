#pragma once
// Jepsen's set-full checker (jepsen.checker/set-full, which Maelstrom's g-set and broadcast
// workloads use): a grow-only set judged element by element from adds and reads over time.
//
// For each element that some add tried to insert:
//   known time    the completion of its acknowledged add or of the first read that saw it,
//                 whichever came first (unset if neither happened);
//   last present  the latest-invoked ok read that saw it;
//   last absent   the latest-invoked ok read that missed it.
// Only reads that completed after the add was invoked count for an element.
// The element is
//   stable      if some read saw it and no read invoked later missed it;
//   lost        if it is known, a read invoked after the known time missed it, and no read
//               invoked later than that one saw it;
//   never-read  otherwise (nobody read it after it was known, or the last miss was concurrent
//               with the add), which is no error.
// A stable element is also stale when a read invoked at least 1 ms after its known time still
// missed it (allowed: the set is only eventually consistent).
// Verdict: invalid when any element is lost; unknown when none is stable (nothing was shown to
// be read back: no adds, no reads, ...); valid otherwise. Elements that appear in reads but
// were never added are counted as unexpected and otherwise not judged, as Jepsen does; so are
// duplicates within one read (Jepsen means to fail them, but its duplicate tally never fires).
//
// Times are nanoseconds on one clock. Comparisons are strict: an event at the same instant as
// another is not "after" it. Reads invoked at the same instant are ordered by their position in
// SetHistory::reads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/check/history.h"

namespace eddy::sim {

struct SetAdd {
  std::int64_t element = 0;
  std::int64_t invoke_ns = 0;
  std::int64_t complete_ns = 0;  // ignored unless outcome is kOk
  // kOk: acknowledged. kFailed / kUnknown: the add may still show up in reads; only an
  // acknowledged add (or a read seeing the element) makes the element known.
  OpOutcome outcome = OpOutcome::kOk;
};

// An ok read (failed and unknown reads tell nothing and are left out).
struct SetRead {
  std::int64_t invoke_ns = 0;
  std::int64_t complete_ns = 0;
  std::vector<std::int64_t> elements;
};

struct SetHistory {
  // One add per element; if an element is added twice the later-invoked add replaces the
  // earlier one (as Jepsen's checker does).
  std::vector<SetAdd> adds;
  std::vector<SetRead> reads;
};

enum class SetVerdict : std::uint8_t { kValid, kInvalid, kUnknown };

std::string_view set_verdict_name(SetVerdict verdict);

struct SetElementDetail {
  std::int64_t element = 0;
  std::int64_t known_ns = 0;         // when it became known
  std::int64_t last_present_ns = -1;  // invoke time of the last read that saw it, -1 if none
  std::int64_t last_absent_ns = -1;   // invoke time of the last read that missed it, -1 if none
  std::int64_t latency_ms = 0;        // lost: known -> lost; stale: known -> stable
};

struct SetFullResult {
  SetVerdict verdict = SetVerdict::kUnknown;
  std::size_t attempt_count = 0;  // distinct elements added
  std::size_t stable_count = 0;
  std::size_t lost_count = 0;
  std::size_t never_read_count = 0;
  std::size_t stale_count = 0;       // stable elements that some late read missed first
  std::size_t unexpected_count = 0;  // distinct elements read that no add tried
  std::size_t duplicated_count = 0;  // elements some single read returned more than once
  // The smallest lost elements (at most kDetailLimit), and the stale ones with the highest
  // stable latency.
  std::vector<SetElementDetail> lost;
  std::vector<SetElementDetail> worst_stale;
  std::vector<std::int64_t> never_read;  // the smallest (at most kDetailLimit)
  // A few lines for humans.
  std::string explanation;

  static constexpr std::size_t kDetailLimit = 8;
};

SetFullResult check_set_full(const SetHistory& history);

}  // namespace eddy::sim
