#pragma once
// Command line of eddy-maelstrom-runner, mirroring `maelstrom test` (see README.md here and
// /work/shared/docs/maelstrom-protocol.md §8 for the defaults).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::maelstrom::runner {

enum class Workload : std::uint8_t { kEcho, kLinKv, kGSet, kGCounter, kPnCounter, kBroadcast };
enum class LatencyDist : std::uint8_t { kConstant, kUniform, kExponential };

std::string_view workload_name(Workload workload);
std::string_view latency_dist_name(LatencyDist dist);

// Workloads ending with a heal, a recovery wait and one final read per client thread.
bool has_final_reads(Workload workload);

struct Options {
  Workload workload = Workload::kEcho;
  std::string bin;                    // as given
  std::string bin_path;               // made absolute (nodes run in /tmp)
  std::vector<std::string> bin_args;  // everything after `--`
  int node_count = 5;                 // Maelstrom's default is 5 nodes (named n1..n5 there)
  std::string concurrency_text = "1n";
  int concurrency = 5;  // resolved: K, or K x node_count for "Kn"
  double time_limit_s = 60;
  double rate = 5;  // requests per second over all client threads; 0 sends nothing
  bool nemesis_partition = false;
  double nemesis_interval_s = 10;
  double latency_ms = 0;
  LatencyDist latency_dist = LatencyDist::kConstant;
  std::string topology = "grid";
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string results_dir;  // default store/<workload>/<timestamp>/
  bool results_given = false;
  double recovery_time_s = 10;
  bool log_net = false;  // write every message the network carries to <results>/net.jsonl
};

// Parses argv. On a usage error returns false with a message in *error (empty for --help).
bool parse_options(int argc, char** argv, Options* options, std::string* error);

std::string usage_text();

// The command line that reruns this test with the same seed and options.
std::string replay_command(const Options& options);

}  // namespace eddy::maelstrom::runner
