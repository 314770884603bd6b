// eddy-maelstrom-runner: a local Maelstrom-compatible test runner.
//
//   eddy-maelstrom-runner test -w WORKLOAD --bin BIN [--node-count N] [--concurrency K|Kn]
//       [--time-limit S] [--rate R] [--nemesis partition] [--nemesis-interval S]
//       [--latency MS] [--latency-dist constant|uniform|exponential]
//       [--topology grid|line|total|tree2|tree3|tree4] [--seed N] [--results DIR]
//       [--recovery-time S] [--log-net] [-- ARGS for BIN]
//
// Exit status: 0 valid, 1 invalid, 2 unknown or aborted (also for usage errors).

#include <cstdio>
#include <string>

#include "maelstrom/runner/options.h"
#include "maelstrom/runner/runner.h"

int main(int argc, char** argv) {
  using namespace eddy::maelstrom::runner;
  Options options;
  std::string error;
  if (!parse_options(argc, argv, &options, &error)) {
    if (!error.empty()) std::fprintf(stderr, "eddy-maelstrom-runner: %s\n\n", error.c_str());
    std::fputs(usage_text().c_str(), error.empty() ? stdout : stderr);
    return error.empty() ? 0 : 2;
  }
  return run_test(options);
}
