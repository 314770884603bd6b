#pragma once
// A Maelstrom scenario for unit tests: `workload` on `nodes` nodes with partitions, loss and
// duplication, and (with `crashes`) process crashes against a durable log on a disk that tears
// writes. Partitions last up to 2 s, long enough for the silence-based planted bug to fire.

#include <cstdint>
#include <string>

#include "sim/scenario.h"

namespace eddy::testing {

inline eddy::sim::Scenario maelstrom_scenario(const std::string& workload, std::uint32_t nodes,
                                              bool crashes) {
  using namespace eddy;
  using namespace eddy::sim;
  Scenario scenario;
  scenario.name = "unit-" + workload;
  scenario.time_limit_ns = 120 * kNanosPerSecond;
  Scenario::Maelstrom m;
  m.workload.workload = workload;
  m.workload.concurrency = 2 * nodes;
  m.workload.rate = 150;
  m.workload.duration_ns = 4 * kNanosPerSecond;
  m.workload.recovery_ns = 3 * kNanosPerSecond;
  m.workload.nemesis = true;
  m.cluster.nodes = nodes;
  if (crashes) {
    m.workload.crash_interval_ns = 1000 * kNanosPerMilli;
    m.cluster.node.persist = true;
    scenario.faults.disk.torn_write_probability = 0.5;
    scenario.faults.disk.short_read_probability = 0.3;
  }
  scenario.maelstrom = m;
  scenario.network.loss_probability = 0.02;
  scenario.network.duplicate_probability = 0.02;
  scenario.network.partition_interval_min_ns = 300 * kNanosPerMilli;
  scenario.network.partition_interval_max_ns = 1500 * kNanosPerMilli;
  scenario.network.partition_duration_min_ns = 100 * kNanosPerMilli;
  scenario.network.partition_duration_max_ns = 2000 * kNanosPerMilli;
  return scenario;
}

}  // namespace eddy::testing
