#include "sim/scenario.h"

#include <toml++/toml.h>

#include "engine/base/fault.h"
#include "engine/engine.h"
#include "net/session.h"
#include "sim/node.h"

namespace eddy::sim {

const std::vector<PlantInfo>& plant_catalog() {
  static const std::vector<PlantInfo> catalog = {
      {"mset-not-atomic", static_cast<std::uint32_t>(PlantedBug::kMsetNotAtomic),
       "cross-shard MSET applied shard by shard without locks"},
      {"cross-shard-reply-mixup", static_cast<std::uint32_t>(PlantedBug::kCrossShardReplyMixup),
       "replies from two shards delivered to each other's waiters"},
      {"stale-expiry-clock", static_cast<std::uint32_t>(PlantedBug::kStaleExpiryClock),
       "a shard batch checks expiry against a clock it never refreshed"},
      {"pipeline-reorder", static_cast<std::uint32_t>(PlantedBug::kPipelineReorder),
       "the last two replies of a cross-shard pipeline swapped"},
      {"partial-read-parser", static_cast<std::uint32_t>(PlantedBug::kPartialReadParser),
       "the parser forgets arguments when a command arrives in pieces"},
  };
  return catalog;
}

namespace {

template <typename T>
bool read_number(const toml::table& table, std::string_view key, T* out) {
  if (auto node = table[key]; node) {
    if (auto v = node.value<double>()) {
      *out = static_cast<T>(*v);
      return true;
    }
  }
  return false;
}

}  // namespace

bool load_scenario(const std::string& path, Scenario* scenario, std::string* error) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = path + ": " + std::string(e.description());
    return false;
  }
  // Unknown keys are errors: a typo must not silently run a different scenario.
  const std::vector<std::string> top_keys = {"name", "server", "faults", "workload"};
  for (const auto& [key, node] : root) {
    if (std::find(top_keys.begin(), top_keys.end(), std::string(key.str())) == top_keys.end()) {
      *error = path + ": unknown section or key '" + std::string(key.str()) + "'";
      return false;
    }
  }
  if (auto name = root["name"].value<std::string>()) scenario->name = *name;
  auto check_keys = [&](const toml::table* table, std::vector<std::string> known) {
    if (table == nullptr) return true;
    for (const auto& [key, node] : *table) {
      if (std::find(known.begin(), known.end(), std::string(key.str())) == known.end()) {
        *error = path + ": unknown key '" + std::string(key.str()) + "'";
        return false;
      }
    }
    return true;
  };
  if (const toml::table* server = root["server"].as_table()) {
    if (!check_keys(server, {"cores", "shards", "time_limit_s"})) return false;
    read_number(*server, "cores", &scenario->server_cores);
    read_number(*server, "shards", &scenario->shards);
    double limit_s = 0;
    if (read_number(*server, "time_limit_s", &limit_s)) {
      scenario->time_limit_ns = static_cast<Nanos>(limit_s * kNanosPerSecond);
    }
  }
  if (const toml::table* faults = root["faults"].as_table()) {
    WorldFaults& f = scenario->faults;
    if (!check_keys(faults, {"mailbox_entries", "hop_latency_min_ns", "hop_latency_max_ns",
                             "hop_long_tail_probability", "hop_long_tail_ns",
                             "stream_latency_min_ns", "stream_latency_max_ns",
                             "stream_split_probability", "stream_pieces_max",
                             "stream_short_read_probability", "stream_reset_probability",
                             "stream_buffer_bytes", "scheduling_delay_probability",
                             "scheduling_delay_max_ns", "clock_offset_max_ns",
                             "clock_drift_ppm_max", "clock_jump_interval_ns",
                             "clock_jump_max_ns", "buggify", "buggify_site_probability",
                             "buggify_fire_probability"})) {
      return false;
    }
    read_number(*faults, "mailbox_entries", &f.mailbox_entries);
    if (f.mailbox_entries < 1) {
      *error = path + ": mailbox_entries must be >= 1";
      return false;
    }
    read_number(*faults, "hop_latency_min_ns", &f.hop_latency_min_ns);
    read_number(*faults, "hop_latency_max_ns", &f.hop_latency_max_ns);
    read_number(*faults, "hop_long_tail_probability", &f.hop_long_tail_probability);
    read_number(*faults, "hop_long_tail_ns", &f.hop_long_tail_ns);
    read_number(*faults, "stream_latency_min_ns", &f.stream_latency_min_ns);
    read_number(*faults, "stream_latency_max_ns", &f.stream_latency_max_ns);
    read_number(*faults, "stream_split_probability", &f.stream_split_probability);
    read_number(*faults, "stream_pieces_max", &f.stream_pieces_max);
    read_number(*faults, "stream_short_read_probability", &f.stream_short_read_probability);
    read_number(*faults, "stream_reset_probability", &f.stream_reset_probability);
    read_number(*faults, "stream_buffer_bytes", &f.stream_buffer_bytes);
    read_number(*faults, "scheduling_delay_probability", &f.scheduling_delay_probability);
    read_number(*faults, "scheduling_delay_max_ns", &f.scheduling_delay_max_ns);
    read_number(*faults, "clock_offset_max_ns", &f.clock_offset_max_ns);
    read_number(*faults, "clock_drift_ppm_max", &f.clock_drift_ppm_max);
    read_number(*faults, "clock_jump_interval_ns", &f.clock_jump_interval_ns);
    read_number(*faults, "clock_jump_max_ns", &f.clock_jump_max_ns);
    if (f.clock_jump_interval_ns > 0) scenario->workload.check_ttl = false;
    read_number(*faults, "buggify_site_probability", &f.buggify_site_probability);
    read_number(*faults, "buggify_fire_probability", &f.buggify_fire_probability);
    if (auto b = (*faults)["buggify"].value<bool>()) f.buggify = *b;
  }
  if (const toml::table* workload = root["workload"].as_table()) {
    KvWorkloadConfig& w = scenario->workload;
    if (!check_keys(workload, {"clients", "operations_per_client", "string_keys", "counter_keys",
                               "pipeline_max", "multi_key_fraction", "rename_fraction",
                               "ttl_fraction", "think_time_max_ns"})) {
      return false;
    }
    read_number(*workload, "clients", &w.clients);
    read_number(*workload, "operations_per_client", &w.operations_per_client);
    read_number(*workload, "string_keys", &w.string_keys);
    read_number(*workload, "counter_keys", &w.counter_keys);
    read_number(*workload, "pipeline_max", &w.pipeline_max);
    read_number(*workload, "multi_key_fraction", &w.multi_key_fraction);
    read_number(*workload, "rename_fraction", &w.rename_fraction);
    read_number(*workload, "ttl_fraction", &w.ttl_fraction);
    read_number(*workload, "think_time_max_ns", &w.think_time_max_ns);
  }
  if (scenario->server_cores < 1 || scenario->shards < 1 || scenario->shards > 256 ||
      scenario->workload.clients < 1 || scenario->workload.pipeline_max < 1 ||
      scenario->workload.string_keys < 1 || scenario->workload.counter_keys < 1) {
    *error = path + ": cores, shards (1..256), clients, pipeline_max and key counts must be >= 1";
    return false;
  }
  return true;
}

RunResult run_scenario(const Scenario& scenario, std::uint64_t seed, std::uint32_t planted_mask) {
  set_planted_bugs(planted_mask);
  RunResult result;
  result.seed = seed;
  result.scenario = scenario.name;
  {
    World world(seed, scenario.faults);
    SimNode& server = world.add_node("n1", scenario.server_cores);
    SimNode& clients = world.add_node("clients", 1);
    {
      EngineOptions options;
      options.shard_count = scenario.shards;
      options.port = scenario.workload.port;
      Engine engine(&server, options);
      for (std::uint32_t core = 0; core < scenario.server_cores; ++core) {
        server.scheduler_of(core).spawn("start", [&server, &engine, &scenario] {
          engine.start_core_services();
          std::string error;
          auto listener = server.listen("server", scenario.workload.port, &error);
          while (auto stream = listener->accept()) Session::spawn(&engine, std::move(stream));
        });
      }
      KvWorkload workload(&world, &clients, scenario.workload);
      workload.start();

      // Safety phase: the workload runs against every fault.
      const bool finished =
          world.run_until(scenario.time_limit_ns, [&] { return workload.finished(); }) &&
          workload.finished();
      if (world.livelocked()) {
        workload.violations().push_back(
            Violation{"liveness", "livelock: fibers kept running without time moving"});
      } else if (!finished) {
        workload.violations().push_back(
            Violation{"liveness", "clients did not finish within the time limit"});
      }
      if (finished) {
        workload.start_audit();
        world.run_until(world.now() + 10 * kNanosPerSecond, [&] { return workload.audit_done(); });
        if (!workload.audit_done()) {
          workload.violations().push_back(
              Violation{"liveness", "the final reads did not complete within 10 s"});
        }
      }
      // Liveness phase: stop everything; every fiber must wind down. (A fiber still parked
      // after a failed run is never resumed again; its memory is left, not unwound.)
      server.stop();
      clients.stop();
      const Nanos drain_until = world.now() + 10 * kNanosPerSecond;
      world.run_until(drain_until,
                      [&] { return server.live_fibers() == 0 && clients.live_fibers() == 0; });
      if (server.live_fibers() != 0 || clients.live_fibers() != 0) {
        workload.violations().push_back(Violation{
            "liveness", std::to_string(server.live_fibers() + clients.live_fibers()) +
                            " fibers still running 10 s (virtual) after shutdown"});
      }
      result.violations = workload.check();
      result.linearizability_inconclusive = workload.linearizability_inconclusive();
      result.operations = workload.operations();
      world.trace(nullptr, 0, "ops=" + std::to_string(result.operations) + " violations=" +
                                  std::to_string(result.violations.size()));
      result.sim_time_ns = world.now();
      result.events = world.events();
      result.trace_hash = world.trace_hash();
      for (const auto& line : world.recent_trace()) result.trace_tail.push_back(line.text);
    }
  }
  set_planted_bugs(0);
  return result;
}

}  // namespace eddy::sim
