#pragma once
// The g-set, g-counter, pn-counter and broadcast workloads: state-based CRDTs from
// engine/crdt, replicated by anti-entropy gossip.
//
// Sets (g-set, broadcast) are a GrowOnlySet: each element a node accepts becomes the next
// entry of that node's log, and replicas exchange version vectors (a few bytes per node) to
// learn exactly which entries a peer lacks. New entries are pushed to every peer once per
// push interval, batched; every gossip interval each node sends its vector to a few random
// peers, which answer with what it lacks. So a quiet cluster sends only small digests, and
// after a partition heals every replica has the union within a few gossip rounds.
//
// Counters (g-counter and pn-counter alike) are a PnCounter; its state is one pair of counts
// per node, small enough to gossip whole.
//
// Durability (when `persist`): an update is appended to a RecordLog and synced, in batches
// (group commit), before it is applied or acknowledged, so a node that crashes and restarts
// recovers every update it acknowledged and never reuses a sequence number it may have
// gossiped. A restarted node merges nothing from peers until it has recovered its own log.
//
// The node learns which workload it serves from the first request or gossip that says (or, on
// a restart, from its log); a read that comes before is refused with a definite "temporarily
// unavailable", since g-set and the counters share the request name `read`.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "engine/crdt/grow_only_set.h"
#include "engine/crdt/pn_counter.h"
#include "engine/fiber/scheduler.h"
#include "engine/storage/record_log.h"
#include "maelstrom/node.h"

namespace eddy::maelstrom {

struct CrdtOptions {
  bool persist = false;
  std::string log_path = "crdt.log";
  // Where the log lives; nullptr: the runtime's disk. (The simulator hands each incarnation of
  // a node its own view of the node's disk, which goes dead when that process crashes.)
  Disk* disk = nullptr;
  Nanos push_interval = 60 * kNanosPerMilli;
  Nanos gossip_interval = 300 * kNanosPerMilli;
  std::size_t gossip_fanout = 2;
  std::size_t max_entries_per_message = 2000;
  std::size_t max_pending_updates = 10'000;
  // Larger elements are refused (error 12), so every record fits the log's bound.
  std::size_t max_element_bytes = 1u << 20;
  // Plant kSetForgetsAfterPartition: a peer silent this long is presumed cut off.
  Nanos silence_presumed_partition = 1000 * kNanosPerMilli;
  // The workload, when the operator knows it (Maelstrom's workload names: g-set, g-counter,
  // pn-counter, broadcast); empty: learn it from the traffic.
  std::string workload;
};

class CrdtService final : public Service {
 public:
  enum class Workload : std::uint8_t { kUnknown, kSet, kBroadcast, kCounter };

  CrdtService(Node* node, CrdtOptions options);
  ~CrdtService() override;

  // From a fiber, before Node::run: starts the persistence fiber (when persisting).
  void start();
  // After Node::run returns: winds that fiber down.
  void stop();

  bool handle(const Message& message) override;
  void tick() override;

  Workload workload() const { return workload_; }
  const crdt::GrowOnlySet& set() const { return set_; }
  const crdt::PnCounter& counter() const { return counter_; }
  // False until the node's own log has been replayed (immediately true without persistence).
  bool recovered() const { return recovered_; }

 private:
  struct PendingUpdate {
    Message request;
    // Sets: the element's canonical JSON. Counters: the delta.
    std::string element;
    std::int64_t delta = 0;
  };

  bool learn_workload(Workload seen);
  // Maelstrom's workload name to ours; kUnknown for the others.
  static Workload workload_of_maelstrom_name(std::string_view name);
  void handle_add(const Message& message, Workload workload);
  void handle_read(const Message& message);
  void handle_push(const Message& message);
  void handle_digest(const Message& message);
  // Applies an update now (durable already, or no persistence) and acknowledges it.
  // `logged_seq`: the sequence number the log fixed for a set element, 0 if none.
  void apply_and_ack(PendingUpdate& update, std::uint64_t logged_seq);
  void persist_loop();
  void recover();
  void push_new_entries();
  void gossip();
  Json set_digest_body(bool reply) const;
  Json counter_body(const char* type, bool reply) const;
  std::vector<std::string> random_peers(std::size_t count);
  void note_heard_from(const std::string& peer);
  void forget_silent_peers();  // plant kSetForgetsAfterPartition

  Node* node_;
  CrdtOptions options_;
  Workload workload_ = Workload::kUnknown;
  crdt::GrowOnlySet set_;
  crdt::PnCounter counter_;
  bool recovered_ = false;
  std::unique_ptr<storage::RecordLog> log_;
  bool storage_failed_ = false;  // a batch failed to reach the log: refuse updates from now on
  std::deque<PendingUpdate> pending_;
  fiber::Fiber* persister_ = nullptr;  // parked persister, if any
  fiber::WaitGroup* persister_done_ = nullptr;
  bool stopping_ = false;
  // What has been pushed to peers: our own log's length at the last push; counters: dirty.
  std::uint64_t pushed_through_ = 0;
  bool counter_dirty_ = false;
  Nanos next_push_ = 0;
  Nanos next_gossip_ = 0;
  std::uint64_t adds_seen_ = 0;
  // Plant kSetForgetsAfterPartition.
  std::map<std::string, Nanos> last_heard_;
  std::set<std::string, std::less<>> forgotten_;
};

}  // namespace eddy::maelstrom
