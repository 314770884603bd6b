#pragma once
// eddy-maelstrom-runner's test run: starts the nodes, is their network, drives the workload's
// clients and the partition nemesis in one single-threaded event loop on the real clock, then
// judges the history and writes the results. See README.md in this folder.

#include "maelstrom/runner/options.h"

namespace eddy::maelstrom::runner {

// Runs one test and prints its summary. Returns the exit status: 0 valid, 1 invalid,
// 2 unknown or aborted.
int run_test(const Options& options);

}  // namespace eddy::maelstrom::runner
