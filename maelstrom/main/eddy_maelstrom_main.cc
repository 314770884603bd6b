// eddy-maelstrom: a Maelstrom node. Maelstrom starts one per server node and talks to it with
// JSON lines on stdin/stdout; see README.md ("Maelstrom") and docs/maelstrom.md.
//
//   eddy-maelstrom [--seed N] [--data-dir DIR] [--workload NAME] [--plant NAME]...
//
// --data-dir makes CRDT updates durable in DIR before they are acknowledged, and keeps lin-kv's
// Raft state there across restarts (off by default: Maelstrom runs every node in the same
// working directory and never restarts one). Without it, lin-kv's Raft log is kept in memory.
// --workload (g-set, g-counter, pn-counter, broadcast) says which CRDT workload to serve; without
// it the node learns it from the first request or gossip that names it.
// --plant switches on a deliberately wrong behaviour, to prove that checkers catch it.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/base/fault.h"
#include "maelstrom/node_assembly.h"
#include "maelstrom/stdio/stdio_runtime.h"

namespace {

int usage(const char* error) {
  std::fprintf(stderr,
               "eddy-maelstrom: %s\nusage: eddy-maelstrom [--seed N] [--data-dir DIR] "
               "[--workload NAME] [--plant NAME]...\nplants:",
               error);
  for (const auto& plant : eddy::maelstrom::node_plant_catalog()) {
    std::fprintf(stderr, " %s", plant.name);
  }
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  eddy::maelstrom::StdioRuntime::Options runtime_options;
  eddy::maelstrom::NodeAssemblyOptions node_options;
  std::uint32_t plants = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--seed" && has_value) {
      runtime_options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--data-dir" && has_value) {
      runtime_options.data_directory = argv[++i];
      node_options.persist = true;
    } else if (arg == "--workload" && has_value) {
      node_options.crdt.workload = argv[++i];
    } else if (arg == "--plant" && has_value) {
      const std::string_view name = argv[++i];
      bool found = false;
      for (const auto& plant : eddy::maelstrom::node_plant_catalog()) {
        if (name == plant.name) {
          plants |= plant.mask;
          found = true;
        }
      }
      if (!found) return usage("unknown plant");
    } else if (arg == "--help" || arg == "-h") {
      return usage("a Maelstrom node (JSON lines on stdin/stdout)");
    } else {
      return usage("unknown or incomplete option");
    }
  }
  if (node_options.persist) {
    std::error_code error;
    std::filesystem::create_directories(runtime_options.data_directory, error);
    if (error) return usage(("cannot create the data directory: " + error.message()).c_str());
  }
  // Set before any fiber runs; nothing else writes it.
  eddy::set_planted_bugs(plants);

  eddy::maelstrom::StdioRuntime runtime(runtime_options);
  runtime.run([&] {
    eddy::maelstrom::NodeAssembly assembly(&runtime, &runtime.standard_input(),
                                           &runtime.standard_output(), node_options);
    assembly.run();
  });
  return 0;
}
