#include "sim/network.h"

#include <algorithm>

#include "engine/base/assert.h"
#include "sim/node.h"
#include "sim/world.h"

namespace eddy::sim {

const char* partition_kind_name(PartitionKind kind) {
  switch (kind) {
    case PartitionKind::kIsolateOne: return "isolate-one";
    case PartitionKind::kHalves: return "halves";
    case PartitionKind::kMajorityMinority: return "majority-minority";
    case PartitionKind::kBridge: return "bridge";
    case PartitionKind::kOneWay: return "one-way";
    case PartitionKind::kMajoritiesRing: return "majorities-ring";
    case PartitionKind::kCount: break;
  }
  return "?";
}

SimNetwork::SimNetwork(World* world, NetworkFaults faults) : world_(world), faults_(faults) {}

void SimNetwork::add_node(SimNode* node) { nodes_.push_back(node); }

SimNode* SimNetwork::find(const std::string& name) const {
  for (SimNode* node : nodes_) {
    if (node->name() == name) return node;
  }
  return nullptr;
}

bool SimNetwork::blocked(const std::string& from, const std::string& to) const {
  return blocked_.count({from, to}) != 0;
}

bool SimNetwork::send(SimNode* from, const std::string& to, std::string bytes) {
  SimNode* target = find(to);
  if (target == nullptr) return false;
  ++sent_;
  Rng& rng = world_->rng(World::Stream::kNetwork);
  if (blocked(from->name(), to) || rng.chance(faults_.loss_probability)) {
    ++dropped_;
    world_->trace(from, 0, "peer drop -> " + to);
    return true;
  }
  const int copies = rng.chance(faults_.duplicate_probability) ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    Nanos latency = rng.between(faults_.latency_min_ns, faults_.latency_max_ns);
    if (rng.chance(faults_.long_tail_probability)) latency += faults_.long_tail_ns;
    const std::string from_name = from->name();
    world_->schedule(latency, target, 0, [this, target, from_name, bytes] {
      // A partition that began while the message was in flight cuts it too.
      if (blocked(from_name, target->name())) {
        ++dropped_;
        world_->trace(target, 0, "peer drop <- " + from_name);
        return;
      }
      ++delivered_;
      world_->trace(target, 0, "peer <- " + from_name + " " + std::to_string(bytes.size()) + "B");
      target->deliver_peer_message(PeerMessage{from_name, bytes});
    });
  }
  return true;
}

void SimNetwork::block(const std::string& from, const std::string& to) {
  if (from != to) blocked_.insert({from, to});
}

void SimNetwork::block_both(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      block(x, y);
      block(y, x);
    }
  }
}

void SimNetwork::partition(PartitionKind kind) {
  heal();
  Rng& rng = world_->rng(World::Stream::kNetwork);
  std::vector<std::string> names;
  for (SimNode* node : nodes_) names.push_back(node->name());
  // A seeded shuffle (Fisher-Yates on our own Rng: std::shuffle's algorithm is unspecified).
  for (std::size_t i = names.size(); i > 1; --i) std::swap(names[i - 1], names[rng.below(i)]);
  const std::size_t n = names.size();
  if (n < 2) return;
  auto slice = [&](std::size_t begin, std::size_t end) {
    return std::vector<std::string>(names.begin() + static_cast<std::ptrdiff_t>(begin),
                                    names.begin() + static_cast<std::ptrdiff_t>(end));
  };
  switch (kind) {
    case PartitionKind::kIsolateOne:
      block_both(slice(0, 1), slice(1, n));
      break;
    case PartitionKind::kHalves:
      block_both(slice(0, n / 2), slice(n / 2, n));
      break;
    case PartitionKind::kMajorityMinority: {
      const std::size_t minority = 1 + rng.below(std::max<std::size_t>((n - 1) / 2, 1));
      block_both(slice(0, minority), slice(minority, n));
      break;
    }
    case PartitionKind::kBridge: {
      if (n < 3) {
        block_both(slice(0, 1), slice(1, n));
        break;
      }
      // names[0] is the bridge: it keeps links to both sides.
      const std::size_t half = 1 + (n - 1) / 2;
      block_both(slice(1, half), slice(half, n));
      break;
    }
    case PartitionKind::kOneWay: {
      const std::size_t links = 1 + rng.below(n);
      for (std::size_t i = 0; i < links; ++i) {
        block(names[rng.below(n)], names[rng.below(n)]);
      }
      break;
    }
    case PartitionKind::kMajoritiesRing: {
      // Node i hears only from the majority of nodes closest to it on a ring.
      const std::size_t majority = n / 2 + 1;
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t distance = std::min((i + n - j) % n, (j + n - i) % n);
          if (distance > (majority - 1) / 2 + (majority - 1) % 2) block(names[j], names[i]);
        }
      }
      break;
    }
    case PartitionKind::kCount:
      UNREACHABLE();
  }
  world_->trace(nullptr, 0, std::string("partition ") + partition_kind_name(kind) + " (" +
                                std::to_string(blocked_.size()) + " links cut)");
}

void SimNetwork::heal() {
  if (!blocked_.empty()) world_->trace(nullptr, 0, "heal");
  blocked_.clear();
}

void SimNetwork::start_nemesis() {
  if (faults_.partition_interval_max_ns <= 0 || nemesis_running_) return;
  nemesis_running_ = true;
  schedule_next_partition();
}

void SimNetwork::stop_nemesis() {
  nemesis_running_ = false;
  ++nemesis_generation_;  // events already scheduled see a stale generation and do nothing
  heal();
}

void SimNetwork::schedule_next_partition() {
  Rng& rng = world_->rng(World::Stream::kNetwork);
  const Nanos wait = rng.between(faults_.partition_interval_min_ns, faults_.partition_interval_max_ns);
  const std::uint64_t generation = nemesis_generation_;
  world_->schedule(wait, nullptr, 0, [this, generation] {
    if (!nemesis_running_ || generation != nemesis_generation_) return;
    Rng& r = world_->rng(World::Stream::kNetwork);
    partition(static_cast<PartitionKind>(r.below(static_cast<std::uint64_t>(PartitionKind::kCount))));
    const Nanos hold = r.between(faults_.partition_duration_min_ns, faults_.partition_duration_max_ns);
    world_->schedule(hold, nullptr, 0, [this, generation] {
      if (!nemesis_running_ || generation != nemesis_generation_) return;
      heal();
      schedule_next_partition();
    });
  });
}

}  // namespace eddy::sim
