// eddy-sim: seeded simulation of the real engine and sessions.
//
//   eddy-sim run --seed N [--scenario FILE] [--plant NAME]... [--check-determinism]
//   eddy-sim sweep --seeds A..B [--jobs J] [--scenario FILE]... [--plant NAME]...
//                  [--check-determinism]
//   eddy-sim plants
//   (--trace prints every trace line on stderr as the run goes, for debugging one seed)

#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sim/scenario.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

struct Options {
  std::string command;
  std::uint64_t seed = 1;
  std::uint64_t seed_first = 1;
  std::uint64_t seed_last = 100;
  unsigned jobs = 1;
  std::vector<std::string> scenario_files;
  std::vector<std::string> plants;
  std::uint32_t plant_mask = 0;
  bool check_determinism = false;
  bool quiet = false;  // sweep children: result lines only
};

void usage() {
  std::fputs(
      "usage: eddy-sim run --seed N [--scenario FILE] [--plant NAME]... [--check-determinism]\n"
      "       eddy-sim sweep --seeds A..B [--jobs J] [--scenario FILE]... [--plant NAME]...\n"
      "                      [--check-determinism]\n"
      "       eddy-sim plants\n",
      stderr);
}

std::string replay_command(const Options& options, const std::string& scenario_file,
                           std::uint64_t seed) {
  std::string command = "eddy-sim run --seed " + std::to_string(seed);
  if (!scenario_file.empty()) command += " --scenario " + scenario_file;
  for (const auto& plant : options.plants) command += " --plant " + plant;
  return command;
}

std::string result_line(const RunResult& r, bool deterministic_checked, bool deterministic) {
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016" PRIx64, r.trace_hash);
  std::string line = "seed=" + std::to_string(r.seed) + " scenario=" + r.scenario +
                     " sim_time=" + std::to_string(r.sim_time_ns / 1'000'000) + "ms" +
                     " events=" + std::to_string(r.events) +
                     " ops=" + std::to_string(r.operations) + " hash=" + hash;
  if (!r.summary.empty()) line += " " + r.summary;
  if (r.linearizability_inconclusive) line += " linearizability=inconclusive";
  if (deterministic_checked)
    line += std::string(" deterministic=") + (deterministic ? "yes" : "NO");
  // A checker that ran out of budget has no verdict, and no verdict is not a pass.
  const bool pass =
      r.ok() && !r.linearizability_inconclusive && (!deterministic_checked || deterministic);
  line += std::string(" verdict=") +
          (pass ? "pass" : (r.ok() && r.linearizability_inconclusive ? "UNKNOWN" : "FAIL"));
  return line;
}

// One seed of one scenario: runs it (twice with --check-determinism), prints the result line,
// and on failure the violations, the trace tail and the replay command. Returns pass.
bool run_one(const Options& options, const Scenario& scenario, const std::string& scenario_file,
             std::uint64_t seed, bool verbose) {
  RunResult result = run_scenario(scenario, seed, options.plant_mask);
  bool deterministic = true;
  if (options.check_determinism) {
    RunResult again = run_scenario(scenario, seed, options.plant_mask);
    deterministic = again.trace_hash == result.trace_hash && again.events == result.events;
  }
  std::printf("%s\n", result_line(result, options.check_determinism, deterministic).c_str());
  const bool pass = result.ok() && !result.linearizability_inconclusive && deterministic;
  if (!pass && verbose) {
    for (const auto& line : result.trace_tail) std::printf("  trace %s\n", line.c_str());
    for (const auto& v : result.violations) {
      std::printf("  violation [%s] %s\n", v.checker.c_str(), v.detail.c_str());
    }
    if (!deterministic) std::printf("  violation [determinism] the same seed gave two traces\n");
    std::printf("  replay: %s\n", replay_command(options, scenario_file, seed).c_str());
  }
  std::fflush(stdout);
  return pass;
}

bool parse(int argc, char** argv, Options* o) {
  if (argc < 2) return false;
  o->command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "eddy-sim: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--seed") {
      o->seed = std::stoull(value());
    } else if (arg == "--seeds") {
      std::string range = value();
      auto dots = range.find("..");
      if (dots == std::string::npos) return false;
      o->seed_first = std::stoull(range.substr(0, dots));
      o->seed_last = std::stoull(range.substr(dots + 2));
      if (o->seed_last < o->seed_first) return false;
    } else if (arg == "--jobs") {
      o->jobs = static_cast<unsigned>(std::stoul(value()));
      if (o->jobs < 1) o->jobs = 1;
    } else if (arg == "--trace") {
      // Every trace line on stderr as it happens, not only the last ones of a failure.
      World::set_echo_trace(true);
    } else if (arg == "--scenario") {
      o->scenario_files.push_back(value());
    } else if (arg == "--plant") {
      std::string name = value();
      bool known = false;
      for (const auto& plant : plant_catalog()) {
        if (name == plant.name) {
          o->plant_mask |= plant.mask;
          known = true;
        }
      }
      if (!known) {
        std::fprintf(stderr, "eddy-sim: unknown plant '%s' (see eddy-sim plants)\n", name.c_str());
        std::exit(2);
      }
      o->plants.push_back(name);
    } else if (arg == "--check-determinism") {
      o->check_determinism = true;
    } else if (arg == "--quiet") {
      o->quiet = true;
    } else {
      std::fprintf(stderr, "eddy-sim: unknown argument '%s'\n", arg.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, &options)) {
    usage();
    return 2;
  }
  if (options.command == "plants") {
    for (const auto& plant : plant_catalog()) std::printf("%s\n", plant.name);
    return 0;
  }
  std::vector<std::pair<std::string, Scenario>> scenarios;
  if (options.scenario_files.empty()) {
    scenarios.emplace_back("", Scenario{});
  }
  for (const auto& file : options.scenario_files) {
    Scenario scenario;
    std::string error;
    if (!load_scenario(file, &scenario, &error)) {
      std::fprintf(stderr, "eddy-sim: %s\n", error.c_str());
      return 2;
    }
    scenarios.emplace_back(file, scenario);
  }

  if (options.command == "run") {
    bool pass = true;
    for (const auto& [file, scenario] : scenarios) {
      pass = run_one(options, scenario, file, options.seed, true) && pass;
    }
    return pass ? 0 : 1;
  }
  if (options.command != "sweep") {
    usage();
    return 2;
  }

  // Sweep: seeds are dealt round-robin to J child processes (the planted-bug switches and the
  // fault injector are process-wide, so parallelism is by process, not thread). Children print
  // one result line per run; the parent keeps count and draws progress.
  const std::uint64_t seeds = options.seed_last - options.seed_first + 1;
  const std::uint64_t total = seeds * scenarios.size();
  std::vector<int> pipes;
  std::vector<pid_t> children;
  for (unsigned job = 0; job < options.jobs; ++job) {
    int fds[2];
    if (::pipe(fds) != 0) return 2;
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      ::dup2(fds[1], STDOUT_FILENO);
      bool pass = true;
      for (std::uint64_t seed = options.seed_first + job; seed <= options.seed_last;
           seed += options.jobs) {
        for (const auto& [file, scenario] : scenarios) {
          pass = run_one(options, scenario, file, seed, true) && pass;
        }
      }
      std::fflush(stdout);
      std::_Exit(pass ? 0 : 1);
    }
    ::close(fds[1]);
    pipes.push_back(fds[0]);
    children.push_back(pid);
  }
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::vector<std::string> failures;
  std::vector<std::string> buffers(pipes.size());
  std::size_t open_pipes = pipes.size();
  std::uint64_t last_plain_report = 0;
  while (open_pipes > 0) {
    for (std::size_t j = 0; j < pipes.size(); ++j) {
      if (pipes[j] < 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(pipes[j], chunk, sizeof chunk);
      if (n <= 0) {
        ::close(pipes[j]);
        pipes[j] = -1;
        --open_pipes;
        continue;
      }
      buffers[j].append(chunk, static_cast<std::size_t>(n));
      std::size_t newline;
      while ((newline = buffers[j].find('\n')) != std::string::npos) {
        std::string line = buffers[j].substr(0, newline);
        buffers[j].erase(0, newline + 1);
        if (line.rfind("seed=", 0) == 0) {
          ++done;
          if (line.find("verdict=FAIL") != std::string::npos) {
            ++failed;
            failures.push_back(line);
            std::fprintf(stderr, "%s%s\n", tty ? "\r\033[K" : "", line.c_str());
          }
        } else if (line.find("replay:") != std::string::npos) {
          std::fprintf(stderr, "%s\n", line.c_str());
          failures.push_back(line);
        } else if (line.find("violation") != std::string::npos) {
          std::fprintf(stderr, "%s\n", line.c_str());
        }
        if (tty) {
          const int width = 40;
          const int filled = static_cast<int>(width * done / std::max<std::uint64_t>(total, 1));
          std::fprintf(stderr, "\r[%.*s%.*s] %" PRIu64 "/%" PRIu64 " runs, %" PRIu64 " failed",
                       filled, "########################################", width - filled,
                       "........................................", done, total, failed);
        } else if (done * 10 / std::max<std::uint64_t>(total, 1) != last_plain_report) {
          last_plain_report = done * 10 / std::max<std::uint64_t>(total, 1);
          std::fprintf(stderr, "sweep: %" PRIu64 "/%" PRIu64 " runs, %" PRIu64 " failed\n", done,
                       total, failed);
        }
      }
    }
  }
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  if (tty) std::fprintf(stderr, "\n");
  std::printf("sweep: %" PRIu64 " runs, %" PRIu64 " passed, %" PRIu64 " failed\n", done,
              done - failed, failed);
  for (const auto& line : failures) std::printf("%s\n", line.c_str());
  if (done != total) {
    std::printf("sweep: only %" PRIu64 " of %" PRIu64 " runs reported (a child crashed)\n", done,
                total);
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
