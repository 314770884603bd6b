#pragma once
// A simulation scenario (a TOML file under tests/sim/): the world's faults, the server's shape
// and the workload. run_scenario() plays one seed of it through the real engine and sessions
// and returns the verdict of every checker.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/kv_workload.h"
#include "sim/maelstrom_workload.h"
#include "sim/network.h"
#include "sim/world.h"

namespace eddy::sim {

struct Scenario {
  std::string name = "default";
  std::uint32_t server_cores = 2;
  std::uint32_t shards = 4;
  Nanos time_limit_ns = 120 * kNanosPerSecond;  // virtual
  WorldFaults faults;
  KvWorkloadConfig workload;
  // A scenario with a [maelstrom] section plays a Maelstrom workload against a cluster of
  // Maelstrom nodes instead of the Redis workload against one server.
  struct Maelstrom {
    MaelstromWorkloadConfig workload;
    MaelstromClusterConfig cluster;
  };
  std::optional<Maelstrom> maelstrom;
  NetworkFaults network;  // peer links ([network])
};

// Reads a scenario file; false with a message for a bad file or an unknown setting.
bool load_scenario(const std::string& path, Scenario* scenario, std::string* error);

struct RunResult {
  std::uint64_t seed = 0;
  std::string scenario;
  Nanos sim_time_ns = 0;
  std::uint64_t events = 0;
  std::uint64_t operations = 0;
  std::uint64_t trace_hash = 0;
  bool linearizability_inconclusive = false;
  std::vector<Violation> violations;
  std::string summary;  // workload figures for the result line (lin-kv availability)
  std::vector<std::string> trace_tail;  // the last trace lines, for failure reports
  bool ok() const { return violations.empty(); }
};

// Plays `seed` of the scenario with the planted bugs in `planted_mask` switched on.
RunResult run_scenario(const Scenario& scenario, std::uint64_t seed, std::uint32_t planted_mask);

// Planted bugs by name, for --plant and `eddy-sim plants`.
struct PlantInfo {
  const char* name;
  std::uint32_t mask;
  const char* what;
  // The workload that exposes it: "kv" (the Redis workload), a Maelstrom workload name, or
  // "raft" (engine/raft's own cluster test, tests/unit/raft_test.cc; no eddy-sim scenario yet),
  // or "snapshot" (tests/unit/snapshot_test.cc's cut test; likewise).
  const char* workload;
};
const std::vector<PlantInfo>& plant_catalog();

}  // namespace eddy::sim
