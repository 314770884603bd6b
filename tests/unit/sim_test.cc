// The simulator itself: a seed replays exactly, the fast scenarios pass, and every planted bug
// is caught within 1000 seeds.

#include <catch2/catch.hpp>

#include <string>

#include "sim/scenario.h"
#include "tests/unit/support/maelstrom_scenario.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

Scenario fast_scenario() {
  Scenario scenario;
  scenario.name = "unit";
  scenario.server_cores = 2;
  scenario.shards = 4;
  scenario.faults.stream_split_probability = 0.6;
  scenario.faults.stream_short_read_probability = 0.4;
  scenario.workload.clients = 5;
  scenario.workload.operations_per_client = 100;
  scenario.workload.pipeline_max = 5;
  scenario.workload.multi_key_fraction = 0.2;
  scenario.workload.rename_fraction = 0.08;
  scenario.workload.ttl_fraction = 0.15;
  scenario.workload.collection_keys = 2;  // hashes, lists, sets and sorted sets too
  return scenario;
}

}  // namespace

TEST_CASE("a seed replays to the same trace; another seed does not", "[sim]") {
  const Scenario scenario = fast_scenario();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RunResult a = run_scenario(scenario, seed, 0);
    const RunResult b = run_scenario(scenario, seed, 0);
    INFO("seed " << seed);
    REQUIRE(a.trace_hash == b.trace_hash);
    REQUIRE(a.events == b.events);
    REQUIRE(a.sim_time_ns == b.sim_time_ns);
  }
  REQUIRE(run_scenario(scenario, 1, 0).trace_hash != run_scenario(scenario, 2, 0).trace_hash);
}

TEST_CASE("the fast scenario passes on the production code", "[sim]") {
  const Scenario scenario = fast_scenario();
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const RunResult result = run_scenario(scenario, seed, 0);
    INFO("seed " << seed << ": "
                 << (result.ok()
                         ? ""
                         : result.violations[0].checker + " " + result.violations[0].detail));
    REQUIRE(result.ok());
    REQUIRE_FALSE(result.linearizability_inconclusive);  // unknown is not a pass
    REQUIRE(result.operations == 500);
  }
}

// The scenario that exposes a planted bug: the Redis workload, or the Maelstrom workload the
// plant names, on three nodes under partitions.
Scenario scenario_for(const PlantInfo& plant) {
  if (std::string(plant.workload) == "kv") return fast_scenario();
  return eddy::testing::maelstrom_scenario(plant.workload, 3, /*crashes=*/false);
}

TEST_CASE("a sweep of at most 1000 seeds catches every planted bug", "[sim]") {
  for (const PlantInfo& plant : plant_catalog()) {
    // Raft plants are caught by tests/unit/raft_test.cc's cluster, not by an eddy-sim run.
    if (std::string(plant.workload) == "raft") continue;
    // The snapshot plant likewise, by tests/unit/snapshot_test.cc's cut test.
    if (std::string(plant.workload) == "snapshot") continue;
    const Scenario scenario = scenario_for(plant);
    std::uint64_t caught_at = 0;
    for (std::uint64_t seed = 1; seed <= 1000 && caught_at == 0; ++seed) {
      if (!run_scenario(scenario, seed, plant.mask).ok()) caught_at = seed;
    }
    INFO("plant " << plant.name);
    REQUIRE(caught_at != 0);
    WARN("planted bug '" << plant.name << "' caught at seed " << caught_at);
  }
}

TEST_CASE("a family bug (ZADD GT the wrong way) is caught by the linearizability checker",
          "[sim]") {
  const Scenario scenario = fast_scenario();
  const auto mask = static_cast<std::uint32_t>(eddy::PlantedBug::kZaddGtInverted);
  std::uint64_t caught_at = 0;
  RunResult caught;
  for (std::uint64_t seed = 1; seed <= 1000 && caught_at == 0; ++seed) {
    RunResult result = run_scenario(scenario, seed, mask);
    if (!result.ok()) {
      caught_at = seed;
      caught = std::move(result);
    }
  }
  REQUIRE(caught_at != 0);
  REQUIRE_FALSE(caught.violations.empty());
  INFO(caught.violations[0].detail);
  CHECK(caught.violations[0].checker == "linearizability");
  // The key it names is a sorted set's.
  CHECK(caught.violations[0].detail.find("z") != std::string::npos);
  // Unplanted, the same seed passes.
  CHECK(run_scenario(scenario, caught_at, 0).ok());
}
