#pragma once
// Maelstrom's workloads played inside the simulator against MaelstromCluster: clients pinned
// to nodes (client i to node i mod N), one request at a time each, at a global rate, with
// Maelstrom's client timeouts; the history they record is judged by the same checkers the
// local Maelstrom runner uses (per-key linearizability for lin-kv, set-full for g-set and
// broadcast, counter bounds for the counters), plus convergence: after the heal and the
// recovery wait, every node's final read must be the same.
//
// Faults come from the world (network latency, loss, duplication, partitions through the
// nemesis) and from here: process crashes and restarts at random while the workload runs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/check/counter_bounds.h"
#include "sim/check/history.h"
#include "sim/check/set_full.h"
#include "sim/kv_workload.h"
#include "sim/maelstrom_cluster.h"

namespace eddy::sim {

struct MaelstromWorkloadConfig {
  std::string workload = "g-set";  // lin-kv, g-set, g-counter, pn-counter, broadcast, echo
  std::uint32_t concurrency = 6;
  double rate = 100;  // requests per virtual second, all clients together
  Nanos duration_ns = 10 * kNanosPerSecond;
  Nanos recovery_ns = 5 * kNanosPerSecond;  // after the heal, before the final reads
  std::uint32_t key_count = 3;              // lin-kv
  // Process crashes: mean gap between two (0: none), and how long a node stays down.
  Nanos crash_interval_ns = 0;
  Nanos downtime_min_ns = 50 * kNanosPerMilli;
  Nanos downtime_max_ns = 2 * kNanosPerSecond;
  // Nodes crashed at once: uniform in [1, crash_max_nodes].
  std::uint32_t crash_max_nodes = 1;
  bool nemesis = false;  // partitions while the workload runs (the network's fault settings)
};

class MaelstromWorkload {
 public:
  MaelstromWorkload(World* world, SimNode* client_node, MaelstromCluster* cluster,
                    MaelstromWorkloadConfig config);

  // A line a node addressed to a client (from MaelstromCluster's to_client).
  void deliver(const std::string& line);
  // Spawns the clients and the crash controller.
  void start();
  bool finished() const { return clients_done_ == config_.concurrency; }

  std::vector<Violation> check() const;
  std::uint64_t operations() const { return operations_; }
  bool linearizability_inconclusive() const { return linearizability_inconclusive_; }
  // lin-kv availability: requests served (ok, or a definite answer of the state machine),
  // refused (a definite error: not applied) and left indefinite (timeouts), e.g.
  // "served=310 refused=12 indefinite=4 messages_per_op=18.2"; empty for other workloads.
  std::string summary() const;

 private:
  enum class Outcome : std::uint8_t { kOk, kFailed, kUnknown };
  struct Reply {
    Outcome outcome = Outcome::kUnknown;
    nlohmann::json body;  // the reply body when one came
  };
  struct Client {
    std::string id;
    std::size_t node = 0;
    std::int64_t next_msg_id = 1;
    std::int64_t waiting_for = 0;  // msg_id of the request in flight, 0 if none
    std::optional<nlohmann::json> reply;
    bool timed_out = false;
    fiber::Fiber* fiber = nullptr;
  };

  static OpOutcome as_op_outcome(Outcome outcome);
  void client_main(std::size_t index);
  void controller_main();
  // From a fiber: until every node's process is up and has answered init.
  void wait_for_cluster();
  // Sends one request and waits for its reply or its timeout.
  Reply call(std::size_t index, nlohmann::json body);
  void one_operation(std::size_t index);
  enum class LinKvKind : std::uint8_t { kRead, kWrite, kCas };
  // One lin-kv request, recorded in the history; true when it was served (ok, or a definite
  // answer from the state machine: missing key, failed precondition).
  bool lin_kv_operation(std::size_t index, LinKvKind kind, std::int64_t key, std::int64_t a,
                        std::int64_t b);
  // The liveness phase after the heal: a write and a read served within the bound.
  void lin_kv_liveness(std::size_t index);
  static constexpr Nanos kLinKvLivenessBoundNs = 5 * kNanosPerSecond;
  void final_read(std::size_t index);
  // An ok read of a g-set or broadcast node, its elements sorted.
  SetRead set_read(const Reply& reply, Nanos invoke) const;
  Nanos timeout() const;

  World* world_;
  SimNode* node_;
  MaelstromCluster* cluster_;
  MaelstromWorkloadConfig config_;
  std::vector<Client> clients_;
  std::uint32_t clients_done_ = 0;
  std::uint32_t main_phase_done_ = 0;
  bool final_reads_open_ = false;
  std::int64_t next_element_ = 0;
  std::uint64_t operations_ = 0;
  std::uint64_t next_op_id_ = 1;
  // Observations.
  History lin_kv_history_;
  SetHistory set_history_;
  std::vector<CounterAdd> counter_adds_;
  std::vector<CounterRead> counter_final_reads_;
  // Final reads per node, as canonical JSON, for the convergence check.
  std::vector<std::pair<std::size_t, std::string>> final_reads_;
  std::vector<Violation> violations_;
  std::uint64_t lin_kv_served_ = 0;
  std::uint64_t lin_kv_refused_ = 0;
  std::uint64_t lin_kv_indefinite_ = 0;
  mutable bool linearizability_inconclusive_ = false;
};

}  // namespace eddy::sim
