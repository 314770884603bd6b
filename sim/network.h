#pragma once
// Peer links between simulated nodes: datagrams with seeded latency and a rare long tail,
// loss, duplication and (through random latency) reordering, and a nemesis that cuts the
// cluster with the partitions Jepsen's and Maelstrom's nemeses use, each held for at least a
// minimum duration, then healed.

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/runtime.h"

namespace eddy::sim {

class World;
class SimNode;

struct NetworkFaults {
  Nanos latency_min_ns = 100'000;
  Nanos latency_max_ns = 2'000'000;
  double long_tail_probability = 0.01;
  Nanos long_tail_ns = 50'000'000;
  double loss_probability = 0.0;
  double duplicate_probability = 0.0;
  // Nemesis: 0 disables partitions.
  Nanos partition_interval_min_ns = 0;
  Nanos partition_interval_max_ns = 0;
  Nanos partition_duration_min_ns = 100'000'000;
  Nanos partition_duration_max_ns = 1'000'000'000;
};

enum class PartitionKind : std::uint8_t {
  kIsolateOne,      // one node cut off from all others
  kHalves,          // two halves (sizes differ by at most one)
  kMajorityMinority,  // a random minority cut off from the majority
  kBridge,          // two halves that only one bridge node still connects
  kOneWay,          // some links blocked in one direction only
  kMajoritiesRing,  // every node sees a majority, no two the same one
  kCount,
};
const char* partition_kind_name(PartitionKind kind);

class SimNetwork {
 public:
  SimNetwork(World* world, NetworkFaults faults);

  const NetworkFaults& faults() const { return faults_; }
  void add_node(SimNode* node);

  // Sends a datagram; false when `to` is not a node of this network.
  bool send(SimNode* from, const std::string& to, std::string bytes);

  // Partitions. blocked(a, b): messages from a to b are dropped.
  bool blocked(const std::string& from, const std::string& to) const;
  void partition(PartitionKind kind);
  void heal();
  // Starts the nemesis (random partitions and heals) until stop_nemesis().
  void start_nemesis();
  void stop_nemesis();

  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  void schedule_next_partition();
  void block(const std::string& from, const std::string& to);
  void block_both(const std::vector<std::string>& a, const std::vector<std::string>& b);
  SimNode* find(const std::string& name) const;

  World* world_;
  NetworkFaults faults_;
  std::vector<SimNode*> nodes_;  // in the order they were added
  std::set<std::pair<std::string, std::string>> blocked_;
  bool nemesis_running_ = false;
  std::uint64_t nemesis_generation_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace eddy::sim
