#pragma once
// The lin-kv workload (read, write, cas) replicated by Raft (engine/raft) over the node's
// peers, applied to the engine's keyspace through its command path.
//
// Every node is a member of one Raft group (the voters are Maelstrom's node_ids; node i is Raft
// id i + 1). Raft's messages travel as Maelstrom peer messages {"type": "raft", "m": <hex of
// the binary encoding>}. One driver fiber owns the Raft object: handlers never call it, they
// queue what they learn (peer messages, ticks, proposals, reads) and wake the driver, which
// feeds Raft and carries out each Ready in the contract's order (persist with one sync, then
// send, then apply, then serve reads). Handlers must not suspend; the driver may (disk).
//
// Writes and cas: the node a client asked (the origin) wraps the request in an entry that
// names it: {origin index, origin incarnation, sequence number, body}. The origin proposes it
// when it leads, or sends it to the leader it knows, which proposes it. Every node applies
// every committed entry; the origin answers its client when it applies its own entry, so a
// reply always comes from the node the client asked, whoever led meanwhile. The origin resends
// an entry not applied yet (lost forwards, a leader that lost its term) until its deadline;
// the state machine applies each (origin, incarnation, sequence) once, remembering a bounded
// window of sequence numbers per origin and refusing anything older, so duplicates of a
// forward or of a resend are applied once. Incarnations count a node's starts on its disk, so
// a later run's entries are told from an earlier run's; an earlier run's entry is refused (its
// client was never answered: the outcome was indefinite, and not applying it is allowed).
//
// Answers: error 11 only when the entry was certainly never proposed (no leader known and
// nothing sent yet, or the service not running yet); a request that reaches its deadline
// unanswered gets error 0 (timeout, indefinite), since it may still commit.
//
// Reads go through Raft's read index: a read is served from the local keyspace once the node
// has applied through the index the leader confirmed with a quorum, so a follower serves
// linearizable reads without forwarding them. A refused read (no leader, leader not ready) is
// answered with error 11, which is always honest for a read.
//
// Durability: Raft's term, vote and log persist on the node's disk (engine/raft/storage.h);
// the keyspace is rebuilt at start by applying the snapshot and the committed log. Every
// `compact_every` applied entries the node compacts its log behind a snapshot of the keyspace
// and the dedup windows, so memory and disk stay bounded. Without `persist` Raft's state is
// kept on a disk in memory (maelstrom/memory_disk.h): Maelstrom never restarts a node, and a
// run must neither recover an earlier run's log nor leave files behind.
//
// Keys and values are arbitrary JSON; the keyspace stores their canonical text.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/fiber/scheduler.h"
#include "engine/raft/raft.h"
#include "engine/raft/storage.h"
#include "engine/tx/coordinator.h"
#include "maelstrom/memory_disk.h"
#include "maelstrom/node.h"

namespace eddy::maelstrom {

struct LinKvOptions {
  // The origin gives up on a write after this (answering with an indefinite timeout); below
  // Maelstrom's 1 s client timeout so the answer still reaches the client.
  Nanos request_timeout = 800 * kNanosPerMilli;
  // A write not applied yet is proposed again (to the leader known then) this often.
  Nanos resend_interval = 150 * kNanosPerMilli;
  Nanos read_timeout = 800 * kNanosPerMilli;
  // While no leader is known (an election under way) a request waits this long for one,
  // retried every tick, before it is refused with error 11.
  Nanos leader_wait = 400 * kNanosPerMilli;
  std::size_t max_pending_writes = 10'000;
  std::size_t max_pending_reads = 10'000;
  std::size_t max_queued_messages = 10'000;  // Raft messages waiting for the driver
  std::size_t dedupe_window = 4096;          // sequence numbers remembered per origin
  raft::Index compact_every = 512;           // applied entries between two snapshots
  // Raft timing, in node ticks (NodeOptions::tick, 20 ms by default).
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  // Keep Raft's state on `disk` across restarts of the node (off: in memory).
  bool persist = false;
  // Where Raft's state lives when persisting; nullptr: the runtime's disk.
  Disk* disk = nullptr;
  std::string directory_prefix = "lin-kv-raft.";
};

class LinKvService final : public Service {
 public:
  LinKvService(Node* node, Engine* engine, LinKvOptions options = {});
  ~LinKvService() override;

  // From a fiber, before Node::run: starts the driver fiber.
  void start();
  // After Node::run returns: winds the driver down.
  void stop();

  bool handle(const Message& message) override;
  void on_init() override;
  void tick() override;

  // Applies a read/write/cas body to the local keyspace; returns the reply body without
  // in_reply_to (an error body carries in_reply_to 0, replaced by the caller).
  Json apply(const Json& request);

  // Observation, for tests.
  bool running() const { return raft_ != nullptr && !failed_; }
  const raft::Raft* raft() const { return raft_.get(); }

 private:
  struct PendingWrite {
    Message request;
    std::string payload;  // the entry
    Nanos created = 0;
    Nanos deadline = 0;
    Nanos next_resend = 0;
    bool sent = false;  // proposed or forwarded at least once: the outcome may be anything now
  };
  struct PendingRead {
    Message request;
    Nanos created = 0;
    Nanos deadline = 0;
    bool retry = false;  // refused for now (no leader, leader not ready): ask again next tick
  };
  struct Proposal {
    std::string payload;
    std::int64_t local_seq = 0;  // this node's pending write, 0 for a peer's forward
  };
  // The dedup window of one origin node (its latest incarnation seen by the state machine).
  struct OriginWindow {
    std::uint64_t incarnation = 0;
    std::int64_t floor = 0;  // sequence numbers at or below are refused
    std::set<std::int64_t> applied;
  };

  // Driver fiber.
  void drive();
  bool open_storage();
  void feed_raft();
  void submit(Proposal proposal);
  void handle_ready();
  void apply_entry(const raft::Entry& entry);
  void serve_read(const raft::ReadState& state);
  // A read refused for now: retried at the next tick while the leader wait lasts, else
  // answered error 11.
  void refuse_or_retry_read(std::map<std::int64_t, PendingRead>::iterator it, const char* why);
  void maybe_compact();
  void wake_driver();

  // State machine.
  bool admit(std::size_t origin, std::uint64_t incarnation, std::int64_t seq);
  std::string state_image();
  bool install_state(const std::string& data);
  std::optional<std::string> get_value(const std::string& key);
  void run_command(const std::string& key, std::initializer_list<std::string_view> args,
                   std::string* out);

  void handle_client_write(const Message& message);
  void handle_client_read(const Message& message);
  void handle_raft_message(const Message& message);
  void handle_forwarded_proposal(const Message& message);
  void send_raft(const raft::Message& message);
  Disk& disk();
  std::string directory() const;

  Node* node_;
  Engine* engine_;
  Coordinator coordinator_;
  LinKvOptions options_;

  // Driver and Raft.
  std::unique_ptr<MemoryDisk> memory_disk_;  // without persist
  std::unique_ptr<Rng> raft_rng_;
  std::unique_ptr<raft::Storage> storage_;
  std::unique_ptr<raft::Raft> raft_;
  fiber::Fiber* driver_ = nullptr;  // parked driver, if any
  fiber::WaitGroup* driver_done_ = nullptr;
  bool stopping_ = false;
  bool failed_ = false;  // storage failed: fail-stop, nothing more leaves this node
  std::uint64_t incarnation_ = 0;
  // The applied index at which Raft last refused a compaction (an image past its snapshot
  // bound): the next try waits for as many entries again, not one per driver round.
  raft::Index compact_refused_at_ = 0;

  // Queued for the driver.
  std::deque<raft::Message> queued_messages_;
  int queued_ticks_ = 0;
  std::deque<Proposal> queued_proposals_;
  std::deque<std::int64_t> queued_reads_;

  // Client requests this node owes an answer.
  std::int64_t next_write_seq_ = 1;
  std::map<std::int64_t, PendingWrite> pending_writes_;
  std::int64_t next_read_id_ = 1;
  std::map<std::int64_t, PendingRead> pending_reads_;

  // The replicated state beyond the keyspace: the keys ever written (for snapshots) and the
  // dedup window per origin node.
  std::set<std::string> keys_;
  std::vector<OriginWindow> windows_;
};

}  // namespace eddy::maelstrom
