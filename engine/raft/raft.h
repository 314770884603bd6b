#pragma once
// Raft as a pure state machine, in the shape of etcd's raft (raft.go/rawnode.go) and Scylla's
// raft/fsm: the caller feeds it messages (step), time (tick) and requests (propose,
// read_index), and takes back a Ready batch of effects to carry out. Nothing here reads a
// clock, draws entropy other than from the injected Rng, touches a disk or a socket, or starts
// a thread, so a seed replays a cluster exactly.
//
// The Ready contract (one batch at a time; between ready() and advance() nothing else may be
// called):
//   1. Persist, with one sync: `snapshot` (when set), then `hard_state` (when set), then
//      `entries` (when the first entry's index is at or below the last one stored, the stored
//      log from that index on is discarded first); `compaction` (when set) at any point, as
//      it covers only entries already stored. Storage (storage.h) orders the records so that
//      a crash part-way leaves a state the node could have been in.
//   2. Only then send `messages`: a vote, an append acknowledgement or a leader's append may
//      promise what the disk now holds, and must not promise more.
//   3. Install `snapshot` into the state machine, then apply `committed_entries` in order.
//   4. Serve `read_states` (each once the state machine has applied through its index, which
//      step 3 guarantees).
//   5. Call advance().
//
// Protocol references: elections and log replication (§5 of the paper), pre-vote and
// check-quorum (thesis §9.6), the no-op at the start of a term and read-index (thesis §6.4),
// Figure 8's rule that only current-term entries commit by counting (§5.4.2), snapshots
// (§7, thesis §5).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/raft/types.h"
#include "engine/rng.h"

namespace eddy::raft {

struct Config {
  NodeId id = kNoNode;
  // Every voter, this node included; fixed for the life of the group.
  std::vector<NodeId> voters;
  // A follower that hears no leader for a randomized [election_ticks, 2 * election_ticks)
  // ticks campaigns; a leader heartbeats every heartbeat_ticks.
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  // Flow control of a replicating follower: appends in flight, their bytes, and the size of
  // one append.
  std::size_t inflight_messages_max = 16;
  std::size_t inflight_bytes_max = 4u << 20;
  std::size_t append_entries_max = 64;
  std::size_t append_bytes_max = 256u << 10;
  // A proposal larger than this is refused (the encoding's own bound is larger).
  std::size_t proposal_bytes_max = kEntryPayloadBytesMax;
  // Reads waiting for a heartbeat round, per leader; reads a follower forwarded and awaits.
  std::size_t pending_reads_max = 4096;
  // Payload bytes a leader holds proposed but not committed; past it proposals are refused
  // (kBusy) until commits catch up, so a leader that cannot commit does not grow without bound.
  std::size_t uncommitted_bytes_max = 64u << 20;
};

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* role_name(Role role);

// A read that may be served once the state machine has applied through `index`; `refused`
// says the read cannot be served by this node now (not the leader, lost leadership, no entry
// of the current term committed yet) and the caller should retry, elsewhere or later.
struct ReadState {
  Index index = 0;
  std::string context;
  bool refused = false;
};

struct Ready {
  std::optional<HardState> hard_state;
  std::vector<Entry> entries;
  std::optional<Snapshot> snapshot;
  std::optional<Snapshot> compaction;
  std::vector<Message> messages;
  std::vector<Entry> committed_entries;
  std::vector<ReadState> read_states;
};

// What a node recovered from its storage at start-up.
struct Restored {
  HardState hard_state;
  Snapshot snapshot;
  std::vector<Entry> entries;  // contiguous, starting after snapshot.index
};

enum class ProposeError : std::uint8_t { kNotLeader, kTooLarge, kBusy };
struct ProposeResult {
  bool ok = false;
  Index index = 0;  // when ok: where the proposal sits in the log (applied once committed)
  ProposeError error = ProposeError::kNotLeader;
};

enum class ReadIndexResult : std::uint8_t {
  kQueued,     // a ReadState with this context will follow (possibly refused)
  kNoLeader,   // refused now: no leader is known to forward to
  kNotReady,   // refused now: the leader has not committed an entry of its term yet
  kQueueFull,  // refused now: too many reads pending
};

class Raft {
 public:
  // `rng` draws election timeouts and must outlive the Raft.
  Raft(const Config& config, Rng& rng, const Restored& restored = {});

  // Handles a message from a peer. A malformed message (well_formed() false) or one not
  // addressed to this node is dropped and counted.
  void step(const Message& message);
  // One unit of logical time.
  void tick();
  // Appends `payload` if this node leads.
  ProposeResult propose(std::string payload);
  // Starts a linearizable read; its ReadState carries `context` back.
  ReadIndexResult read_index(std::string context);
  // Starts an election now (tests, leadership transfer); no-op for a leader.
  void campaign();

  // The state machine, applied through `index` (at most the applied index handed out), is
  // `data`: the log through `index` may be discarded. The snapshot also serves followers that
  // lag behind the log's start. False, with nothing compacted, when `data` exceeds
  // kSnapshotBytesMax (it could neither be sent to a follower nor read back at a restart;
  // snapshots in chunks are not built): the log is kept instead.
  bool compact(Index index, std::string data);

  bool has_ready() const;
  Ready ready();
  void advance();

  // Observation, for the caller and for checkers.
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return leader_; }
  Index commit_index() const { return commit_; }
  Index applied_index() const { return applied_; }
  Index first_index() const { return snapshot_.index + 1; }
  Index last_index() const { return snapshot_.index + log_.size(); }
  // The term of the entry at `index`, nullopt when it is compacted away (other than the
  // snapshot's own index) or beyond the log.
  std::optional<Term> term_at(Index index) const;
  const Entry& entry_at(Index index) const;
  const Snapshot& snapshot() const { return snapshot_; }
  std::uint64_t dropped_messages() const { return dropped_messages_; }
  std::uint64_t uncommitted_bytes() const { return uncommitted_bytes_; }

 private:
  struct Progress {
    enum class State : std::uint8_t { kProbe, kReplicate, kSnapshot };
    Index match = 0;
    Index next = 1;
    State state = State::kProbe;
    // kProbe: an append is out and unanswered; no more until a response or a heartbeat reply.
    bool probe_sent = false;
    // kSnapshot: ticks until the snapshot may be sent again if it was lost.
    int snapshot_wait_ticks = 0;
    // Heard from since the last check-quorum round.
    bool recent_active = false;
    // kReplicate: the last index and the bytes of each append in flight.
    std::deque<std::pair<Index, std::size_t>> inflight;
    std::size_t inflight_bytes = 0;
  };
  struct PendingRead {
    std::uint64_t round = 0;
    Index index = 0;
    NodeId requester = kNoNode;
    std::string context;
  };

  // Role changes.
  void become_follower(Term term, NodeId leader);
  // Records `leader` as this term's leader; a second one in the same term is a broken
  // invariant (election safety, §5.2).
  void note_leader(NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void start_election(bool pre_vote);
  void reset(Term term);
  void reset_election_timer();

  // Per-role handling of a message at the node's term.
  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);

  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat_response(const Message& m);
  void handle_read_index(const Message& m);

  // Leader helpers.
  // Sends the follower its next append if flow control allows; true if one was sent.
  bool send_append(NodeId to, bool send_if_empty);
  void send_snapshot(NodeId to, Progress& progress);
  void broadcast_append();
  void broadcast_heartbeat();
  bool maybe_commit();
  void append_entries(std::vector<Entry> entries);
  bool committed_entry_in_current_term() const;
  void queue_read(NodeId requester, std::string context);
  void confirm_reads();
  void refuse_pending_reads();
  void refuse_forwarded_reads();
  void serve_read(NodeId requester, Index index, std::string context);
  std::size_t quorum() const { return config_.voters.size() / 2 + 1; }

  // Log helpers.
  bool matches(Index index, Term term) const;
  bool is_up_to_date(Index last_index, Term last_term) const;
  Term last_term() const;
  // The largest index at or below `index` whose term is at most `term` (fast back-off).
  Index find_conflict_by_term(Index index, Term term) const;
  void truncate_after(Index index);
  void commit_to(Index index);

  void send(Message m);
  HardState hard_state_to_persist() const;
  bool read_state_ready(const ReadState& state) const;
  void check_invariants() const;

  Config config_;
  Rng* rng_;

  Role role_ = Role::kFollower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;

  // The log: `snapshot_` covers everything through snapshot_.index; log_[i] holds index
  // snapshot_.index + 1 + i.
  Snapshot snapshot_;
  std::deque<Entry> log_;
  Index commit_ = 0;
  // Entries handed out for apply (through a Ready's committed_entries or its snapshot).
  Index applied_ = 0;
  // Entries known to be on this node's disk.
  Index persisted_ = 0;
  // The first index not yet handed to storage in a Ready.
  Index unstable_from_ = 1;
  // A snapshot received from the leader, to persist and install in the next Ready.
  std::optional<Snapshot> pending_install_;
  std::optional<Snapshot> pending_compaction_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_ticks_ = 0;

  std::set<NodeId> votes_granted_;
  std::set<NodeId> votes_refused_;
  std::map<NodeId, Progress> progress_;

  // Leader reads: a heartbeat round per read batch; a round is confirmed when a quorum echoes
  // it (or a later one).
  std::uint64_t read_round_ = 0;
  std::deque<PendingRead> pending_reads_;
  std::map<NodeId, std::uint64_t> read_round_acked_;
  std::vector<ReadState> read_states_;
  // Contexts of reads this follower forwarded to leader_ and awaits (a response for any other
  // is a stale or forged one and is dropped); refused when the leader or term changes.
  std::multiset<std::string> forwarded_reads_;

  std::vector<Message> outbox_;
  HardState persisted_hard_state_;
  // The leader this node followed in each recent term (at most one per term).
  std::map<Term, NodeId> leader_of_term_;
  bool ready_outstanding_ = false;
  // Proposals or reads since the last Ready, sent as one append / one heartbeat round.
  bool broadcast_pending_ = false;
  bool read_round_pending_ = false;
  HardState ready_hard_state_;
  // What the outstanding Ready handed out, so advance() can record it.
  Index ready_last_entry_ = 0;
  bool ready_had_entries_ = false;
  std::uint64_t dropped_messages_ = 0;
  std::uint64_t uncommitted_bytes_ = 0;  // leader: payload bytes above commit_ in its term
  bool vote_unpersisted_ = false;        // planted kRaftVoteNotPersisted only
};

}  // namespace eddy::raft
