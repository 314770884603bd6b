#include "maelstrom/runner/options.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "maelstrom/runner/topology.h"

namespace eddy::maelstrom::runner {

namespace {

constexpr Workload kWorkloads[] = {Workload::kEcho,     Workload::kLinKv,
                                   Workload::kGSet,     Workload::kGCounter,
                                   Workload::kPnCounter, Workload::kBroadcast};

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) return false;
  *out = value;
  return true;
}

bool parse_u64(const std::string& text, std::uint64_t* out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = value;
  return true;
}

// A number as the user would write it: 10, 0.5.
std::string number_text(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "-_./=:,+@%") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string default_results_dir(Workload workload) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &local);
  char full[96];
  std::snprintf(full, sizeof full, "%s.%03lld", stamp, static_cast<long long>(millis));
  return "store/" + std::string(workload_name(workload)) + "/" + full;
}

}  // namespace

std::string_view workload_name(Workload workload) {
  switch (workload) {
    case Workload::kEcho:
      return "echo";
    case Workload::kLinKv:
      return "lin-kv";
    case Workload::kGSet:
      return "g-set";
    case Workload::kGCounter:
      return "g-counter";
    case Workload::kPnCounter:
      return "pn-counter";
    case Workload::kBroadcast:
      return "broadcast";
  }
  return "?";
}

std::string_view latency_dist_name(LatencyDist dist) {
  switch (dist) {
    case LatencyDist::kConstant:
      return "constant";
    case LatencyDist::kUniform:
      return "uniform";
    case LatencyDist::kExponential:
      return "exponential";
  }
  return "?";
}

bool has_final_reads(Workload workload) {
  return workload == Workload::kGSet || workload == Workload::kGCounter ||
         workload == Workload::kPnCounter || workload == Workload::kBroadcast;
}

std::string usage_text() {
  return "usage: eddy-maelstrom-runner test -w WORKLOAD --bin BIN [options] [-- ARGS for BIN]\n"
         "\n"
         "  -w, --workload NAME      echo | lin-kv | g-set | g-counter | pn-counter | broadcast\n"
         "  --bin BIN                the node program (one process per node)\n"
         "  --node-count N           nodes n0..n(N-1) (default 5)\n"
         "  --concurrency K|Kn       client threads, absolute or K x node count (default 1n)\n"
         "  --time-limit S           seconds of workload (default 60)\n"
         "  --rate R                 requests per second over all clients (default 5; 0: none)\n"
         "  --nemesis partition      inject network partitions\n"
         "  --nemesis-interval S     mean seconds between partition start/heal (default 10)\n"
         "  --latency MS             node-to-node latency in ms (default 0)\n"
         "  --latency-dist D         constant | uniform | exponential (default constant)\n"
         "  --topology T             grid | line | total | tree2 | tree3 | tree4 (broadcast;\n"
         "                           default grid)\n"
         "  --seed N                 seed of every random choice (default: from the clock)\n"
         "  --results DIR            where results go (default store/<workload>/<timestamp>/)\n"
         "  --recovery-time S        wait after the final heal before final reads (default 10)\n"
         "  --log-net                write every message to <results>/net.jsonl\n"
         "\n"
         "Exit status: 0 valid, 1 invalid, 2 unknown or aborted.\n";
}

bool parse_options(int argc, char** argv, Options* o, std::string* error) {
  error->clear();
  if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    return false;
  }
  if (argc < 2 || std::string(argv[1]) != "test") {
    *error = "expected the command `test`";
    return false;
  }
  bool workload_given = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      for (int j = i + 1; j < argc; ++j) o->bin_args.emplace_back(argv[j]);
      break;
    }
    if (arg == "--help" || arg == "-h") return false;
    std::string value;
    auto take = [&]() -> bool {
      if (i + 1 >= argc) {
        *error = arg + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    auto bad = [&](const std::string& why) {
      *error = "bad value for " + arg + " '" + value + "': " + why;
      return false;
    };
    if (arg == "-w" || arg == "--workload") {
      if (!take()) return false;
      bool known = false;
      for (const Workload w : kWorkloads) {
        if (value == workload_name(w)) {
          o->workload = w;
          known = true;
        }
      }
      if (!known) {
        return bad("expected echo, lin-kv, g-set, g-counter, pn-counter or broadcast");
      }
      workload_given = true;
    } else if (arg == "--bin") {
      if (!take()) return false;
      o->bin = value;
    } else if (arg == "--node-count") {
      if (!take()) return false;
      std::uint64_t n = 0;
      if (!parse_u64(value, &n) || n < 1 || n > 1000) return bad("expected 1..1000");
      o->node_count = static_cast<int>(n);
    } else if (arg == "--concurrency") {
      if (!take()) return false;
      std::string digits = value;
      if (!digits.empty() && digits.back() == 'n') digits.pop_back();
      std::uint64_t k = 0;
      if (!parse_u64(digits, &k) || k < 1 || k > 10000) return bad("expected K or Kn, K >= 1");
      o->concurrency_text = value;
    } else if (arg == "--time-limit") {
      if (!take()) return false;
      if (!parse_double(value, &o->time_limit_s) || o->time_limit_s < 0) {
        return bad("expected seconds >= 0");
      }
    } else if (arg == "--rate") {
      if (!take()) return false;
      if (!parse_double(value, &o->rate) || o->rate < 0) return bad("expected a rate >= 0");
    } else if (arg == "--nemesis") {
      if (!take()) return false;
      if (value != "partition") return bad("the only nemesis is `partition`");
      o->nemesis_partition = true;
    } else if (arg == "--nemesis-interval") {
      if (!take()) return false;
      if (!parse_double(value, &o->nemesis_interval_s) || o->nemesis_interval_s <= 0) {
        return bad("expected seconds > 0");
      }
    } else if (arg == "--latency") {
      if (!take()) return false;
      if (!parse_double(value, &o->latency_ms) || o->latency_ms < 0) {
        return bad("expected milliseconds >= 0");
      }
    } else if (arg == "--latency-dist") {
      if (!take()) return false;
      if (value == "constant") {
        o->latency_dist = LatencyDist::kConstant;
      } else if (value == "uniform") {
        o->latency_dist = LatencyDist::kUniform;
      } else if (value == "exponential") {
        o->latency_dist = LatencyDist::kExponential;
      } else {
        return bad("expected constant, uniform or exponential");
      }
    } else if (arg == "--topology") {
      if (!take()) return false;
      if (!is_topology_name(value)) return bad("expected grid, line, total, tree2, tree3 or tree4");
      o->topology = value;
    } else if (arg == "--seed") {
      if (!take()) return false;
      if (!parse_u64(value, &o->seed)) return bad("expected an unsigned integer");
      o->seed_given = true;
    } else if (arg == "--results") {
      if (!take()) return false;
      if (value.empty()) return bad("expected a directory");
      o->results_dir = value;
      o->results_given = true;
    } else if (arg == "--recovery-time") {
      if (!take()) return false;
      if (!parse_double(value, &o->recovery_time_s) || o->recovery_time_s < 0) {
        return bad("expected seconds >= 0");
      }
    } else if (arg == "--log-net") {
      o->log_net = true;
    } else {
      *error = "unknown argument '" + arg + "'";
      return false;
    }
  }
  if (!workload_given) {
    *error = "expected -w WORKLOAD";
    return false;
  }
  if (o->bin.empty()) {
    *error = "expected a --bin BINARY to test";
    return false;
  }

  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(o->bin, ec);
  o->bin_path = ec ? o->bin : absolute.lexically_normal().string();
  if (::access(o->bin_path.c_str(), X_OK) != 0) {
    *error = "--bin " + o->bin + " is not an executable file";
    return false;
  }

  std::string digits = o->concurrency_text;
  const bool per_node = !digits.empty() && digits.back() == 'n';
  if (per_node) digits.pop_back();
  std::uint64_t k = 0;
  parse_u64(digits, &k);
  o->concurrency = static_cast<int>(per_node ? k * static_cast<std::uint64_t>(o->node_count) : k);

  if (o->workload == Workload::kLinKv) {
    // Jepsen's independent/concurrent-generator: groups of 2 x node-count threads per key.
    const int group = 2 * o->node_count;
    if (o->concurrency < group) {
      *error = "with " + std::to_string(o->concurrency) +
               " worker threads, lin-kv cannot run a key with " + std::to_string(group) +
               " threads concurrently; raise --concurrency to at least " + std::to_string(group) +
               " (e.g. 2n)";
      return false;
    }
    if (o->concurrency % group != 0) {
      *error = "lin-kv has " + std::to_string(o->concurrency) + " threads but runs keys with " +
               std::to_string(group) + " threads apiece; use a --concurrency multiple of " +
               std::to_string(group);
      return false;
    }
  }

  if (!o->seed_given) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    o->seed = static_cast<std::uint64_t>(
                  std::chrono::duration_cast<std::chrono::microseconds>(now).count()) %
              1'000'000'000'000ULL;
  }
  if (!o->results_given) o->results_dir = default_results_dir(o->workload);
  return true;
}

std::string replay_command(const Options& o) {
  std::string out = "eddy-maelstrom-runner test -w " + std::string(workload_name(o.workload)) +
                    " --bin " + shell_quote(o.bin) + " --node-count " +
                    std::to_string(o.node_count) + " --concurrency " + o.concurrency_text +
                    " --time-limit " + number_text(o.time_limit_s) + " --rate " +
                    number_text(o.rate);
  if (o.nemesis_partition) {
    out += " --nemesis partition --nemesis-interval " + number_text(o.nemesis_interval_s);
  }
  if (o.latency_ms != 0 || o.latency_dist != LatencyDist::kConstant) {
    out += " --latency " + number_text(o.latency_ms) + " --latency-dist " +
           std::string(latency_dist_name(o.latency_dist));
  }
  if (o.workload == Workload::kBroadcast) out += " --topology " + o.topology;
  if (has_final_reads(o.workload)) out += " --recovery-time " + number_text(o.recovery_time_s);
  out += " --seed " + std::to_string(o.seed);
  if (o.log_net) out += " --log-net";
  if (!o.bin_args.empty()) {
    out += " --";
    for (const std::string& a : o.bin_args) out += " " + shell_quote(a);
  }
  return out;
}

}  // namespace eddy::maelstrom::runner
