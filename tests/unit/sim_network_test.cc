// Peer links of the simulated world: latency, loss, duplication, partitions of every kind, heal,
// and replay by seed.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "sim/node.h"
#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

constexpr Nanos kMs = 1'000'000;

struct Delivery {
  Nanos time;
  std::string from;
  std::string to;
};

// Five nodes; each sends a message to every other node every millisecond until `until`, and
// records what it receives.
struct PingCluster {
  explicit PingCluster(std::uint64_t seed, NetworkFaults faults) : world(seed, WorldFaults{}) {
    world.set_network_faults(faults);
    for (int i = 0; i < 5; ++i) nodes.push_back(&world.add_node("n" + std::to_string(i), 1));
  }

  void start(Nanos until) {
    for (SimNode* node : nodes) {
      node->scheduler_of(0).spawn("sender", [this, node, until] {
        while (world.now() < until && !node->stopping()) {
          for (SimNode* peer : nodes) {
            if (peer != node) REQUIRE(node->send_to_peer(peer->name(), "ping"));
          }
          node->sleep_for(kMs);
        }
      });
      node->scheduler_of(0).spawn("receiver", [this, node] {
        while (auto message = node->receive_from_peer()) {
          deliveries.push_back(Delivery{world.now(), message->from, node->name()});
        }
      });
    }
  }

  void finish() {
    for (SimNode* node : nodes) node->stop();
    world.run_until(world.now() + 10'000 * kMs);
  }

  World world;
  std::vector<SimNode*> nodes;
  std::vector<Delivery> deliveries;
};

}  // namespace

TEST_CASE("peer messages arrive with latency; an unknown peer is refused", "[sim][network]") {
  NetworkFaults faults;
  faults.latency_min_ns = 1 * kMs;
  faults.latency_max_ns = 3 * kMs;
  faults.long_tail_probability = 0;
  PingCluster cluster(7, faults);
  cluster.start(50 * kMs);
  cluster.world.run_until(100 * kMs);
  REQUIRE_FALSE(cluster.nodes[0]->send_to_peer("nobody", "x"));
  cluster.finish();
  REQUIRE(cluster.world.network().dropped() == 0);
  REQUIRE(cluster.deliveries.size() == cluster.world.network().sent());
  for (const auto& d : cluster.deliveries) REQUIRE(d.time >= 1 * kMs);
}

TEST_CASE("loss and duplication happen at about their rates", "[sim][network]") {
  NetworkFaults faults;
  faults.loss_probability = 0.2;
  faults.duplicate_probability = 0.1;
  PingCluster cluster(11, faults);
  cluster.start(200 * kMs);
  cluster.world.run_until(300 * kMs);
  cluster.finish();
  const double sent = static_cast<double>(cluster.world.network().sent());
  const double delivered = static_cast<double>(cluster.deliveries.size());
  // Expected delivered/sent = 0.8 * 1.1 = 0.88; 4000 messages keep the ratio near it.
  REQUIRE(sent > 3000);
  REQUIRE(delivered / sent > 0.83);
  REQUIRE(delivered / sent < 0.93);
}

TEST_CASE("a partition cuts exactly its links until healed", "[sim][network]") {
  for (int k = 0; k < static_cast<int>(PartitionKind::kCount); ++k) {
    const auto kind = static_cast<PartitionKind>(k);
    INFO(partition_kind_name(kind));
    NetworkFaults faults;
    faults.latency_min_ns = 100'000;
    faults.latency_max_ns = 500'000;
    faults.long_tail_probability = 0;
    PingCluster cluster(100 + static_cast<std::uint64_t>(k), faults);
    SimNetwork& network = cluster.world.network();
    cluster.start(300 * kMs);
    cluster.world.run_until(100 * kMs);
    network.partition(kind);
    // Which links the partition cut, as the network reports them.
    std::map<std::pair<std::string, std::string>, bool> cut;
    std::size_t cut_count = 0;
    for (SimNode* a : cluster.nodes) {
      for (SimNode* b : cluster.nodes) {
        const bool blocked = network.blocked(a->name(), b->name());
        cut[{a->name(), b->name()}] = blocked;
        cut_count += blocked ? 1 : 0;
      }
    }
    REQUIRE(cut_count > 0);
    if (kind == PartitionKind::kMajoritiesRing) {
      // Every node still hears from a majority (itself included), and no two the same one.
      for (SimNode* b : cluster.nodes) {
        std::size_t heard = 0;
        for (SimNode* a : cluster.nodes) heard += cut[{a->name(), b->name()}] ? 0 : 1;
        REQUIRE(heard >= 3);
      }
    }
    if (kind == PartitionKind::kIsolateOne) REQUIRE(cut_count == 8);
    cluster.world.run_until(200 * kMs);
    network.heal();
    cluster.world.run_until(400 * kMs);
    cluster.finish();
    std::map<std::pair<std::string, std::string>, int> after_heal;
    for (const auto& d : cluster.deliveries) {
      // Nothing crosses a cut link while the partition holds (in-flight messages included).
      if (d.time >= 100 * kMs && d.time < 200 * kMs) REQUIRE_FALSE(cut[{d.from, d.to}]);
      if (d.time > 201 * kMs) ++after_heal[{d.from, d.to}];
    }
    // After the heal every link carries messages again.
    REQUIRE(after_heal.size() == 20);
  }
}

TEST_CASE("the nemesis partitions and heals, and a seed replays it", "[sim][network]") {
  auto run = [](std::uint64_t seed) {
    NetworkFaults faults;
    faults.partition_interval_min_ns = 20 * kMs;
    faults.partition_interval_max_ns = 40 * kMs;
    faults.partition_duration_min_ns = 20 * kMs;
    faults.partition_duration_max_ns = 60 * kMs;
    faults.loss_probability = 0.05;
    PingCluster cluster(seed, faults);
    cluster.world.network().start_nemesis();
    cluster.start(500 * kMs);
    cluster.world.run_until(500 * kMs);
    cluster.world.network().stop_nemesis();
    cluster.finish();
    return std::make_pair(cluster.world.trace_hash(), cluster.world.network().dropped());
  };
  const auto a = run(5);
  const auto b = run(5);
  REQUIRE(a == b);
  REQUIRE(a.second > 0);  // partitions did cut messages
  REQUIRE(run(6).first != a.first);
}
