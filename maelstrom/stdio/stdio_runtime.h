#pragma once
// The runtime eddy-maelstrom runs on under Maelstrom: one thread, one core, a fiber
// scheduler, timers from the real monotonic clock, stdin and stdout as the only streams.
// Maelstrom is the network, so there are no sockets and no peer links here: peers are reached
// by printing messages on stdout. The loop polls stdin only while a fiber waits to read it.

#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "engine/runtime.h"
#include "maelstrom/node_assembly.h"

namespace eddy::maelstrom {

class StdioRuntime final : public Runtime {
 public:
  struct Options {
    std::uint64_t seed = 0;            // 0: from the OS
    std::string data_directory = ".";  // for disk(); the node uses it only when asked
    std::size_t fiber_stack_bytes = kNodeFiberStackBytes;
  };

  explicit StdioRuntime(Options options);
  ~StdioRuntime() override;

  // Runs `main` in a fiber and serves until every fiber has finished. Stopping begins when
  // `main` returns (or on stop()).
  void run(std::function<void()> main);
  void stop();

  // The streams for fds 0 and 1.
  Stream& standard_input();
  Stream& standard_output();

  std::uint32_t core_count() const override { return 1; }
  std::uint32_t current_core() const override { return 0; }
  Nanos monotonic_now() override;
  std::int64_t unix_now_us() override;
  fiber::Scheduler& scheduler() override { return scheduler_; }
  void sleep_for(Nanos duration) override;
  Rng& rng() override { return rng_; }
  std::uint64_t hash_seed() const override { return hash_seed_; }
  void post(Hop* hop) override;
  void send_home(Hop* hop) override;
  std::unique_ptr<Listener> listen(const std::string& host, std::uint16_t port,
                                   std::string* error) override;
  std::unique_ptr<Stream> connect(const std::string& host, std::uint16_t port,
                                  std::string* error) override;
  Disk& disk() override { return *disk_; }
  bool stopping() const override { return stopping_; }
  const std::string& node_name() const override { return node_name_; }
  bool send_to_peer(const std::string& peer, std::string bytes) override;
  std::optional<PeerMessage> receive_from_peer() override;

 private:
  class StdinStream;
  class StdoutStream;
  struct Sleeper {
    Nanos deadline;
    std::uint64_t sequence;
    fiber::Fiber* fiber;
    bool operator>(const Sleeper& other) const {
      return deadline != other.deadline ? deadline > other.deadline : sequence > other.sequence;
    }
  };
  void run_hops();
  void wake_all_sleepers();

  Options options_;
  fiber::Scheduler scheduler_;
  Rng rng_;
  std::uint64_t hash_seed_;
  std::unique_ptr<Disk> disk_;
  std::unique_ptr<StdinStream> stdin_stream_;
  std::unique_ptr<StdoutStream> stdout_stream_;
  std::priority_queue<Sleeper, std::vector<Sleeper>, std::greater<>> sleepers_;
  std::uint64_t sleeper_sequence_ = 0;
  std::vector<Hop*> hops_to_run_;
  std::vector<Hop*> hops_home_;
  bool stopping_ = false;
  std::string node_name_ = "maelstrom";
};

}  // namespace eddy::maelstrom
