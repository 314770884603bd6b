#pragma once
// Simulated Redis clients: fibers on a client node that speak RESP to the server node through
// simulated streams, with random pipelines over a small hot key set so conflicts are common.
// They record what they saw: a history of single-key operations for the linearizability
// checker (EXPIRE, TTL and PERSIST on the hot keys included), and the observations the other
// checkers need (multi-key atomicity, RENAME, short TTLs on keys of their own).

#include <cstdint>
#include <string>
#include <vector>

#include "sim/check/history.h"
#include "sim/node.h"

namespace eddy::sim {

struct KvWorkloadConfig {
  std::uint32_t clients = 6;
  std::uint32_t operations_per_client = 150;
  std::uint32_t string_keys = 3;
  std::uint32_t counter_keys = 2;
  std::uint32_t pipeline_max = 4;
  double multi_key_fraction = 0.15;  // MSET/MGET over a key group spread across shards
  double rename_fraction = 0.05;     // RENAME between two keys on different shards
  double ttl_fraction = 0.1;         // SET ... PX then later GETs
  // Of the single-key ops on the hot keys: EXPIRE/PEXPIRE, TTL/PTTL and PERSIST. Their TTLs are
  // far longer than any run, so they never fire and the linearizability model can track each
  // key's TTL exactly. 0 leaves these out (and replays seeds as before they existed).
  double expire_fraction = 0.2;
  // Keys holding a hash, a list, a set and a sorted set each ("h0".., "l0".., "e0".., "z0"..),
  // and the fraction of single-key ops that go to them (HSET HDEL HGET HGETALL, LPUSH RPOP
  // LRANGE, SADD SREM SMEMBERS, ZADD [GT] CH ZSCORE ZRANGE, and the expiry ops), judged by the
  // linearizability checker's collection model. 0 keys leave them out (old seeds replay).
  std::uint32_t collection_keys = 0;
  double collection_fraction = 0.3;
  Nanos think_time_max_ns = 200'000;
  std::uint16_t port = 6379;
  // TTL reads are judged against virtual time; a wall clock that jumps legitimately moves
  // deadlines (Redis expires by wall clock), so the scenario turns the check off then.
  bool check_ttl = true;
};

// A failure found while the workload ran (an impossible reply), or by a checker afterwards.
struct Violation {
  std::string checker;
  std::string detail;
};

struct TtlObservation {
  std::string key;
  std::string value;
  Nanos set_invoke_ns;
  Nanos set_complete_ns;
  Nanos ttl_ns;
  Nanos get_invoke_ns;
  Nanos get_complete_ns;
  bool saw_value;  // false: nil
};

class KvWorkload {
 public:
  KvWorkload(World* world, SimNode* client_node, KvWorkloadConfig config);

  // Spawns the client fibers (call once, before running the world).
  void start();
  bool finished() const { return clients_done_ == config_.clients; }
  // After finished(): one more client reads every hot key (the final state joins the history).
  void start_audit();
  bool audit_done() const { return audit_done_; }

  // After the run: every checker over what was observed. Returns the violations found.
  std::vector<Violation> check() const;

  std::uint64_t operations() const { return operations_; }
  // After check(): the linearizability search ran out of budget (no verdict either way).
  bool linearizability_inconclusive() const { return linearizability_inconclusive_; }
  const History& history() const { return history_; }
  std::vector<Violation>& violations() { return violations_; }

 private:
  struct Pending;
  void client_main(std::uint32_t client);
  void audit_main();
  void record_violation(std::string checker, std::string detail);

  World* world_;
  SimNode* node_;
  KvWorkloadConfig config_;
  std::uint32_t clients_done_ = 0;
  bool rename_ready_ = false;  // RENAME/EXISTS start once the pair's first key exists
  // If the SET creating the pair was cut off, it may still run later and make both keys
  // exist: the RENAME checks are then off for the run, never judged on a false premise.
  bool rename_setup_lost_ = false;
  mutable bool linearizability_inconclusive_ = false;
  bool audited_ = false;
  bool audit_done_ = false;
  std::uint64_t operations_ = 0;
  std::uint64_t next_op_id_ = 1;
  History history_;
  std::vector<TtlObservation> ttl_observations_;
  std::vector<Violation> violations_;
};

}  // namespace eddy::sim
