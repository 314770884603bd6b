#pragma once
// The simulated world: one OS thread, virtual time, one event queue ordered by (time,
// sequence), and one seeded generator split into a stream per component. Every choice that
// could differ between two runs (which fiber runs next, how long a hop takes, where a write
// is cut) is drawn from those streams, so a seed replays a run exactly, and the trace hash
// proves it.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/fault.h"
#include "engine/limits.h"
#include "engine/runtime.h"
#include "sim/network.h"
#include "sim/sim_disk.h"

namespace eddy::sim {

class SimNode;
class SimListener;

// Knobs of the world's faults; a scenario sets them, the seed decides each occurrence.
struct WorldFaults {
  // Cross-core hops inside a node. A mailbox holds this many hops not yet taken by their
  // target; a sender to a full one yields, as in the epoll runtime (small values exercise it).
  std::size_t mailbox_entries = 1024;
  Nanos hop_latency_min_ns = 500;
  Nanos hop_latency_max_ns = 20'000;
  double hop_long_tail_probability = 0.01;
  Nanos hop_long_tail_ns = 2'000'000;
  // Client streams.
  Nanos stream_latency_min_ns = 10'000;
  Nanos stream_latency_max_ns = 200'000;
  double stream_split_probability = 0.5;  // a write arrives in several pieces
  std::size_t stream_pieces_max = 8;
  double stream_short_read_probability = 0.3;
  double stream_reset_probability = 0.0;         // per write: the connection breaks
  std::size_t stream_buffer_bytes = 256 * 1024;  // unread bytes before a writer blocks
  // Fibers: with this probability a core that could run a fiber lets time pass first.
  double scheduling_delay_probability = 0.05;
  Nanos scheduling_delay_max_ns = 50'000;
  // Clocks: per-node wall-clock offset at start, drift in parts per million, and jumps.
  Nanos clock_offset_max_ns = 0;
  double clock_drift_ppm_max = 0;
  Nanos clock_jump_interval_ns = 0;  // 0: the wall clock never jumps
  Nanos clock_jump_max_ns = 0;       // a jump moves it up to this far, forward or back
  // BUGGIFY: probability that a site is enabled in this run, and that it then fires.
  SimDiskFaults disk;  // every node's disk
  double buggify_site_probability = 0.25;
  double buggify_fire_probability = 0.05;
  bool buggify = true;
};

struct TraceLine {
  Nanos time;
  std::string text;
};

class World final : public FaultInjector {
 public:
  World(std::uint64_t seed, WorldFaults faults);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  std::uint64_t seed() const { return seed_; }
  Nanos now() const { return now_; }
  const WorldFaults& faults() const { return faults_; }
  std::uint64_t events() const { return events_; }

  // Independent random streams, one per component, so adding draws in one component does not
  // reshuffle the others.
  enum class Stream : std::uint8_t {
    kScheduler,
    kHops,
    kStreams,
    kClocks,
    kBuggify,
    kWorkload,
    kNetwork,
    kDisk,
    kCount
  };
  Rng& rng(Stream stream) { return rngs_[static_cast<std::size_t>(stream)]; }

  // `fiber_stack_bytes` as the runtime the node stands for uses (eddy-server: the default;
  // eddy-maelstrom: larger).
  SimNode& add_node(std::string name, std::uint32_t cores,
                    std::size_t fiber_stack_bytes = limits::fiber_stack_bytes);
  // Peer links between the nodes (all nodes added so far and later).
  SimNetwork& network() { return *network_; }
  void set_network_faults(NetworkFaults faults) {
    network_ = std::make_unique<SimNetwork>(this, faults);
    for (auto& node : nodes_) network_->add_node(node.get());
  }
  SimNode& node(std::size_t index) { return *nodes_[index]; }
  std::size_t node_count() const { return nodes_.size(); }

  // Schedules fn at now + delay on (node, core): while it runs, that core is current.
  void schedule(Nanos delay, SimNode* node, std::uint32_t core, std::function<void()> fn);

  // Runs fibers and events until virtual time `until`, or until nothing is left to do.
  // Returns false if it stopped because nothing was left.
  bool run_until(Nanos until);
  // Runs until `done()` is true (checked between steps) or time `until` passes.
  bool run_until(Nanos until, const std::function<bool()>& done);

  // The trace: every line feeds the running hash; the last ones are kept for failure reports.
  void trace(SimNode* node, std::uint32_t core, std::string_view text);
  std::uint64_t trace_hash() const { return trace_hash_; }
  // Debugging: also print every trace line on stderr (process-wide; set before runs start).
  static void set_echo_trace(bool on) { echo_trace_ = on; }
  const std::deque<TraceLine>& recent_trace() const { return recent_; }
  bool livelocked() const { return livelocked_; }

  // The node and core whose work is running now (set around every fiber and event).
  SimNode* current_node() const { return current_node_; }
  std::uint32_t current_core() const { return current_core_; }
  void set_current(SimNode* node, std::uint32_t core) {
    current_node_ = node;
    current_core_ = core;
  }

  // Listeners by port, shared by the whole world (the simulated network has one address).
  void register_listener(std::uint16_t port, SimListener* listener);
  void unregister_listener(std::uint16_t port, SimListener* listener);
  SimListener* pick_listener(std::uint16_t port);
  bool is_listening(std::uint16_t port, const SimListener* listener) const;
  // Ids for connections and other labels, unique within this world.
  std::uint64_t new_id() { return ++last_id_; }

  // FaultInjector (BUGGIFY).
  bool fire(const char* site) override;

 private:
  struct Event {
    Nanos time;
    std::uint64_t sequence;
    SimNode* node;
    std::uint32_t core;
    std::function<void()> fn;
  };
  struct EventLater {
    bool operator()(const std::unique_ptr<Event>& a, const std::unique_ptr<Event>& b) const {
      return a->time != b->time ? a->time > b->time : a->sequence > b->sequence;
    }
  };
  // Runs one ready fiber somewhere; false if none is ready.
  bool run_one_fiber();

  std::uint64_t seed_;
  WorldFaults faults_;
  std::vector<Rng> rngs_;
  Nanos now_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t events_ = 0;
  std::priority_queue<std::unique_ptr<Event>, std::vector<std::unique_ptr<Event>>, EventLater>
      queue_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::unique_ptr<SimNetwork> network_;
  SimNode* current_node_ = nullptr;
  std::uint32_t current_core_ = 0;
  std::vector<std::pair<std::uint16_t, std::vector<SimListener*>>> listeners_;
  std::uint64_t last_id_ = 0;
  bool livelocked_ = false;
  std::uint64_t trace_hash_ = 0;
  static inline bool echo_trace_ = false;
  std::deque<TraceLine> recent_;
  // BUGGIFY decisions per site name, in first-seen order (a vector, never a hash map).
  std::vector<std::pair<std::string, bool>> buggify_sites_;
};

}  // namespace eddy::sim
