#pragma once
// A simulated node: the Runtime the engine and sessions see inside the simulator. Its cores are
// fiber schedulers that the World interleaves one fiber at a time; its clocks are virtual time
// seen through a per-node offset and drift; hops between its cores are World events with
// seeded latency.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime.h"
#include "sim/sim_disk.h"
#include "sim/world.h"

namespace eddy::sim {

class SimStream;

class SimNode final : public Runtime {
 public:
  SimNode(World* world, std::string name, std::uint32_t cores, std::size_t fiber_stack_bytes);
  ~SimNode() override;

  const std::string& name() const { return name_; }
  World& world() { return *world_; }
  fiber::Scheduler& scheduler_of(std::uint32_t core) { return *cores_[core]->scheduler; }
  std::size_t live_fibers() const;

  // Shutdown: stopping() turns true, sleepers wake, listeners close, and reads waiting on
  // this node's streams return 0 (the Stream contract: end of stream once the runtime is
  // shutting down, as the epoll runtime does).
  void stop();

  // Runtime.
  std::uint32_t core_count() const override { return static_cast<std::uint32_t>(cores_.size()); }
  std::uint32_t current_core() const override;
  Nanos monotonic_now() override;
  std::int64_t unix_now_us() override;
  fiber::Scheduler& scheduler() override;
  void sleep_for(Nanos duration) override;
  Rng& rng() override;
  std::uint64_t hash_seed() const override { return hash_seed_; }
  void post(Hop* hop) override;
  void send_home(Hop* hop) override;
  std::unique_ptr<Listener> listen(const std::string& host, std::uint16_t port,
                                   std::string* error) override;
  std::unique_ptr<Stream> connect(const std::string& host, std::uint16_t port,
                                  std::string* error) override;
  Disk& disk() override;
  // The node's disk with its fault model (crash() drops unsynced writes, tears the last).
  SimDisk& sim_disk();
  bool stopping() const override { return stopping_; }
  const std::string& node_name() const override { return name_; }
  bool send_to_peer(const std::string& peer, std::string bytes) override;
  std::optional<PeerMessage> receive_from_peer() override;

  // From the network: a datagram has arrived.
  void deliver_peer_message(PeerMessage message);

 private:
  struct Core {
    std::unique_ptr<fiber::Scheduler> scheduler;
    Rng rng{0};
    // Sleeping fibers with the token of their current sleep: a timer event wakes only the
    // sleep it was made for, never a later one of the same fiber.
    std::vector<std::pair<fiber::Fiber*, std::uint64_t>> sleeping;
  };
  Nanos hop_latency();
  void schedule_clock_jump();

  World* world_;
  std::string name_;
  // From the world's seed and the node's name, drawn from no stream: adding it moved no other
  // choice of existing seeds.
  std::uint64_t hash_seed_ = 0;
  // This node's ends of client connections, so stop() can end their waiting reads. Declared
  // before cores_: fibers unwound when the cores go may still destroy streams.
  std::vector<SimStream*> streams_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<std::vector<std::size_t>> in_mailbox_;  // [origin][target]: posted, not yet taken
  struct MailboxWaiter {
    std::uint32_t origin;
    std::uint32_t target;
    fiber::Fiber* fiber;
  };
  std::vector<MailboxWaiter> mailbox_waiters_;
  std::uint64_t sleep_token_ = 0;
  Nanos clock_offset_ns_ = 0;
  double clock_drift_ = 0;  // fraction: 1e-6 per ppm
  bool stopping_ = false;
  std::unique_ptr<SimDisk> disk_;
  std::vector<SimListener*> listeners_;
  std::deque<PeerMessage> inbox_;
  std::vector<std::pair<fiber::Fiber*, std::uint32_t>> inbox_waiters_;  // fiber, its core
  friend class SimListener;
  friend class SimStream;
};

}  // namespace eddy::sim
