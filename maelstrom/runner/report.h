#pragma once
// What a run leaves behind: history.txt (one EDN event per line), results.json, summary.txt
// (also printed), all in the results directory next to node-logs/.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "maelstrom/runner/checks.h"
#include "maelstrom/runner/history_log.h"
#include "maelstrom/runner/options.h"

namespace eddy::maelstrom::runner {

struct NetCounts {
  std::uint64_t send_count = 0;
  std::uint64_t recv_count = 0;
  std::uint64_t msg_count = 0;  // distinct messages (each is sent once)
};

// Maelstrom's net stats: all messages, those to or from clients, those between servers.
struct NetStats {
  NetCounts all;
  NetCounts clients;
  NetCounts servers;
  std::uint64_t dropped = 0;  // by partitions
};

struct RunData {
  Options options;
  std::vector<std::string> nodes;
  HistoryLog history;
  NetStats net;
  std::vector<std::string> nemesis_lines;  // "12.345 s start-partition majority: n0 n1 | n2"
  std::vector<std::string> exceptions;     // malformed replies and the like
  std::vector<std::string> crashed;        // "n1 exited with status 3"
  bool aborted = false;
  Verdict abort_verdict = Verdict::kUnknown;
  std::string abort_reason;
  bool checked = false;  // the history was judged (not when the run never got going)
  CheckResult check;
  double wall_seconds = 0;
};

struct FinalVerdict {
  Verdict verdict = Verdict::kUnknown;
  std::string reason;
};

FinalVerdict final_verdict(const RunData& run);

// Writes history.txt, results.json and summary.txt; returns the summary text.
std::string write_results(const RunData& run, std::string* error);

}  // namespace eddy::maelstrom::runner
