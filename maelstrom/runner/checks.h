#pragma once
// Judging a run's history with the checkers shared with the simulator (sim/check/):
//   echo        every ok reply echoes what was sent
//   lin-kv      per-key linearizability of a compare-and-set register starting nil (Knossos's
//               cas-register as Maelstrom uses it): reads that failed or returned null constrain
//               nothing, failed writes/cas are dropped, info ones may take effect or not
//   g-set,      Jepsen's set-full over adds (broadcasts) and ok reads
//   broadcast
//   g-counter,  every ok final read within the sum of ok adds plus any subset of info adds
//   pn-counter

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "maelstrom/runner/history_log.h"
#include "maelstrom/runner/options.h"

namespace eddy::maelstrom::runner {

enum class Verdict : std::uint8_t { kValid, kInvalid, kUnknown };

std::string_view verdict_name(Verdict verdict);
// Invalid beats unknown beats valid (Jepsen's merge-valid).
Verdict merge_verdicts(Verdict a, Verdict b);

struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  std::string reason;       // one line
  std::string explanation;  // several lines for summary.txt
  nlohmann::json details;   // for results.json
};

CheckResult check_history(const Options& options, const HistoryLog& history);

}  // namespace eddy::maelstrom::runner
