#pragma once
// An in-process Raft cluster for tests: N engine/raft nodes, each with raft::Storage on its own
// simulated disk, joined by a deterministic message bus (every message encoded and decoded,
// delayed, possibly lost, duplicated, reordered or cut by a partition), with crash and restart
// (the disk loses unsynced writes and may tear the last one; a crash may land in the middle of
// writing a Ready). After every event the cluster checks Raft's safety properties (§5.2-5.4 of
// the paper) and names the checker that failed:
//   "election safety"      at most one leader per term
//   "log matching"         an (index, term) pair names one entry and one predecessor term
//   "leader completeness"  a leader holds every entry committed in an earlier term
//   "state machine safety" every node commits and applies the same entry at each index
//   "linearizable reads"   a served read's index covers every commit seen before it was issued
//   "durability"           every acknowledged proposal is applied, at its index, everywhere
//   "liveness"             (checked by the test's liveness phase)
// Everything random comes from the seed, so a failure replays.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/raft/raft.h"
#include "engine/raft/storage.h"
#include "engine/rng.h"
#include "sim/sim_disk.h"

namespace eddy::raft::testing {

// A disk that dies after a set number of operations, as power lost in the middle of a write:
// every operation after that fails, so Storage::save() fails and the node is crashed.
class DyingDisk final : public Disk {
 public:
  explicit DyingDisk(Disk& inner) : inner_(&inner) {}
  void die_after(std::int64_t operations) { operations_left_ = operations; }
  void revive() { operations_left_ = -1; }

  FileId open(const std::string& path, bool create, std::string* error) override {
    if (!live()) return -1;
    return inner_->open(path, create, error);
  }
  bool append(FileId file, std::string_view bytes) override {
    return live() && inner_->append(file, bytes);
  }
  bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) override {
    return live() && inner_->write_at(file, offset, bytes);
  }
  bool sync(FileId file) override { return live() && inner_->sync(file); }
  std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) override {
    return live() ? inner_->read_at(file, offset, buffer) : -1;
  }
  std::int64_t size(FileId file) override { return live() ? inner_->size(file) : -1; }
  bool truncate(FileId file, std::uint64_t size) override {
    return live() && inner_->truncate(file, size);
  }
  void close(FileId file) override { inner_->close(file); }
  bool rename(const std::string& from, const std::string& to) override {
    return live() && inner_->rename(from, to);
  }
  bool remove(const std::string& path) override { return live() && inner_->remove(path); }
  std::vector<std::string> list(const std::string& directory) override {
    return inner_->list(directory);
  }

 private:
  bool live() {
    if (operations_left_ < 0) return true;
    if (operations_left_ == 0) return false;
    --operations_left_;
    return true;
  }
  Disk* inner_;
  std::int64_t operations_left_ = -1;
};

struct NetworkOptions {
  double loss = 0.0;
  double duplication = 0.0;
  int delay_ticks_max = 0;  // each message waits uniform [0, max] ticks (reordering)
};

class Cluster {
 public:
  struct Node {
    NodeId id = kNoNode;
    std::unique_ptr<Rng> rng;
    std::unique_ptr<sim::SimDisk> disk;
    std::unique_ptr<DyingDisk> dying;
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Raft> raft;
    // The state machine: the key of every applied entry, index 1 first.
    std::vector<std::string> applied;
    Index commit_observed = 0;
    std::uint64_t restarts = 0;
    bool up() const { return raft != nullptr; }
  };

  Cluster(int size, std::uint64_t seed, Config base = {})
      : rng_(seed), disk_rng_(rng_.split()), crash_rng_(rng_.split()), base_(base) {
    ASSERT_GE(size, 1);
    for (int i = 1; i <= size; ++i) base_.voters.push_back(static_cast<NodeId>(i));
    sim::SimDiskFaults faults;
    faults.torn_write_probability = 0.5;
    faults.short_read_probability = 0.05;
    for (int i = 1; i <= size; ++i) {
      auto node = std::make_unique<Node>();
      node->id = static_cast<NodeId>(i);
      node->rng = std::make_unique<Rng>(rng_.split());
      node->disk = std::make_unique<sim::SimDisk>(disk_rng_, faults);
      node->dying = std::make_unique<DyingDisk>(*node->disk);
      nodes_.push_back(std::move(node));
      start(*nodes_.back());
    }
  }

  int size() const { return static_cast<int>(nodes_.size()); }
  Node& node(NodeId id) { return *nodes_.at(id - 1); }
  Raft& raft(NodeId id) { return *node(id).raft; }
  std::uint64_t now() const { return now_; }
  Rng& rng() { return rng_; }
  NetworkOptions& network() { return network_; }

  bool failed() const { return !violation_checker_.empty(); }
  const std::string& checker() const { return violation_checker_; }
  const std::string& detail() const { return violation_detail_; }
  // Records a failure (the first one wins); the liveness phase uses it too.
  void fail(const std::string& checker, const std::string& detail) {
    if (!failed()) {
      violation_checker_ = checker;
      violation_detail_ = detail + " (tick " + std::to_string(now_) + ")";
    }
  }

  // Partitions: a directed link from -> to is cut when its pair is in the set.
  void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  void isolate(NodeId id) {
    for (auto& other : nodes_) {
      if (other->id == id) continue;
      cut(id, other->id);
      cut(other->id, id);
    }
  }
  // The node still sends, but hears nothing.
  void deafen(NodeId id) {
    for (auto& other : nodes_) {
      if (other->id != id) cut(other->id, id);
    }
  }
  void split(const std::set<NodeId>& side) {
    for (auto& a : nodes_) {
      for (auto& b : nodes_) {
        if (side.count(a->id) != side.count(b->id)) cut(a->id, b->id);
      }
    }
  }
  void heal() { cut_.clear(); }

  void crash(NodeId id) {
    Node& n = node(id);
    if (!n.up()) return;
    n.raft.reset();
    n.storage.reset();
    n.disk->crash(crash_rng_);
    n.dying->revive();
  }
  void restart(NodeId id) {
    Node& n = node(id);
    if (n.up()) return;
    ++n.restarts;
    start(n);
  }

  // Every up node ticks once, then every message due by now is delivered.
  void tick() {
    if (failed()) return;
    ++now_;
    for (auto& n : nodes_) {
      if (!n->up()) continue;
      n->raft->tick();
      drain(*n);
      check();
    }
    deliver_due();
  }

  void deliver_due() {
    // Messages due now, in a random order: reordering beyond the delays.
    std::vector<std::string> due;
    while (!bus_.empty() && bus_.begin()->first.first <= now_) {
      due.push_back(std::move(bus_.begin()->second));
      bus_.erase(bus_.begin());
    }
    for (std::size_t i = due.size(); i > 1; --i) std::swap(due[i - 1], due[rng_.below(i)]);
    for (const std::string& bytes : due) {
      if (failed()) return;
      Message m;
      ASSERT(decode_message(bytes, &m));
      if (cut_.count({m.from, m.to}) != 0) continue;
      if (lose_if_ && lose_if_(m)) continue;
      Node& to = node(m.to);
      if (!to.up()) continue;
      to.raft->step(m);
      drain(to);
      check();
    }
  }

  // Runs ticks until `done` holds or `ticks` pass; true if it held.
  template <typename Done>
  bool run_until(Done done, int ticks) {
    for (int i = 0; i < ticks; ++i) {
      if (done()) return true;
      tick();
    }
    return done();
  }

  // The leader of the highest term among up nodes, if any.
  std::optional<NodeId> leader() const {
    std::optional<NodeId> best;
    Term best_term = 0;
    for (const auto& n : nodes_) {
      if (n->up() && n->raft->role() == Role::kLeader && n->raft->term() >= best_term) {
        best = n->id;
        best_term = n->raft->term();
      }
    }
    return best;
  }
  // A leader that a quorum of up nodes follows in its term.
  std::optional<NodeId> stable_leader() const {
    const auto l = leader();
    if (!l) return std::nullopt;
    const Term term = nodes_[*l - 1]->raft->term();
    int followers = 0;
    for (const auto& n : nodes_) {
      if (n->up() && n->raft->term() == term && n->raft->leader() == *l) ++followers;
    }
    return followers >= size() / 2 + 1 ? l : std::nullopt;
  }

  // A client proposal at `id`; acknowledged once `id` applies it at its index.
  std::optional<Index> propose(NodeId id, const std::string& payload) {
    Node& n = node(id);
    if (!n.up() || failed()) return std::nullopt;
    const ProposeResult result = n.raft->propose(payload);
    check();
    if (!result.ok) return std::nullopt;
    pending_proposals_[{id, result.index}] = {n.raft->term(), payload};
    drain(n);
    check();
    return result.index;
  }
  // A client read at `id`; served reads are checked against the commits seen before now.
  std::optional<std::string> read(NodeId id) {
    Node& n = node(id);
    if (!n.up() || failed()) return std::nullopt;
    const std::string context = "r" + std::to_string(++reads_issued_);
    const Index floor = max_commit_seen_;
    if (n.raft->read_index(context) != ReadIndexResult::kQueued) return std::nullopt;
    read_floor_[context] = floor;
    drain(n);
    check();
    return context;
  }
  std::uint64_t reads_served() const { return reads_served_; }
  std::uint64_t reads_refused() const { return reads_refused_; }
  bool acknowledged(Index index) const { return acked_.count(index) != 0; }
  std::size_t acknowledged_count() const { return acked_.size(); }
  Index max_commit_seen() const { return max_commit_seen_; }
  std::uint64_t messages_sent() const { return messages_sent_; }

  // Compacts `id`'s log through its applied index (the state machine as the snapshot).
  void compact(NodeId id) {
    Node& n = node(id);
    if (!n.up() || failed()) return;
    const Index index = n.raft->applied_index();
    if (index <= n.raft->snapshot().index) return;
    if (!n.raft->compact(index, encode_state(n.applied))) {
      fail("compaction", "node " + std::to_string(id) + " refused to compact");
      return;
    }
    drain(n);
    check();
  }

  // Messages for which `lose` holds are lost on delivery (a selective fault); empty: none.
  void lose_if(std::function<bool(const Message&)> lose) { lose_if_ = std::move(lose); }

  // A message from outside the honest protocol (a hostile or broken peer), stepped at once.
  void inject(const Message& m) {
    if (m.to == kNoNode || m.to > nodes_.size()) return;
    Node& n = node(m.to);
    if (!n.up()) return;
    n.raft->step(m);
    drain(n);
  }

  // The node's next Ready dies after `operations` disk operations (power loss mid-write).
  void die_during_next_write(NodeId id, std::int64_t operations) {
    if (node(id).up()) node(id).dying->die_after(operations);
  }

  // Durability: every acknowledged proposal sits at its index in every up node's state
  // machine that has applied that far; with `require_all`, every up node must have.
  void check_durability(bool require_all) {
    for (const auto& [index, key] : acked_) {
      for (const auto& n : nodes_) {
        if (!n->up()) continue;
        if (n->applied.size() < index) {
          if (require_all) {
            fail("durability", "node " + std::to_string(n->id) + " lacks acknowledged entry " +
                                   std::to_string(index));
          }
          continue;
        }
        if (n->applied[index - 1] != key) {
          fail("durability", "acknowledged entry " + std::to_string(index) + " (" + key +
                                 ") replaced by " + n->applied[index - 1] + " on node " +
                                 std::to_string(n->id));
        }
      }
    }
  }

  static std::string key_of(const Entry& e) {
    return std::to_string(e.term) + (e.kind == EntryKind::kNoop ? ":noop" : ":" + e.payload);
  }

 private:
  static std::string encode_state(const std::vector<std::string>& applied) {
    std::string out;
    for (const std::string& key : applied) {
      out += key;
      out.push_back('\n');
    }
    return out;
  }
  static std::vector<std::string> decode_state(const std::string& data) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < data.size()) {
      const std::size_t end = data.find('\n', start);
      ASSERT(end != std::string::npos);
      out.push_back(data.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  void start(Node& n) {
    Restored restored;
    std::string error;
    n.storage = Storage::open(*n.dying, "raft", &restored, &error);
    ASSERT_MSG(n.storage != nullptr, error);
    Config config = base_;
    config.id = n.id;
    n.raft = std::make_unique<Raft>(config, *n.rng, restored);
    n.applied = decode_state(restored.snapshot.data);
    ASSERT_EQ(n.applied.size(), restored.snapshot.index);
    check_state_prefix(n, "restart");
    n.commit_observed = restored.snapshot.index;
    drain(n);
    check();
  }

  void check_state_prefix(const Node& n, const char* when) {
    for (std::size_t i = 0; i < n.applied.size(); ++i) {
      const auto it = applied_global_.find(i + 1);
      if (it != applied_global_.end() && it->second != n.applied[i]) {
        fail("state machine safety", std::string(when) + ": node " + std::to_string(n.id) +
                                         " holds " + n.applied[i] + " at " + std::to_string(i + 1) +
                                         ", others applied " + it->second);
      }
    }
  }

  void drain(Node& n) {
    // A node's new role shows before its Ready: a second leader is named as such before its
    // first entry meets the log-matching check.
    check_election_safety();
    while (n.up() && n.raft->has_ready()) {
      Ready rd = n.raft->ready();
      // Log matching, on every entry a node's log takes in.
      for (const Entry& e : rd.entries) {
        const Term prev = e.index == 1 ? 0 : n.raft->term_at(e.index - 1).value_or(0);
        const auto [it, inserted] =
            entry_of_.emplace(std::make_pair(e.index, e.term), std::make_pair(key_of(e), prev));
        if (!inserted && it->second != std::make_pair(key_of(e), prev)) {
          fail("log matching", "node " + std::to_string(n.id) + " holds " + key_of(e) + " at " +
                                   std::to_string(e.index) + " after term " + std::to_string(prev) +
                                   ", another node " + it->second.first + " after term " +
                                   std::to_string(it->second.second));
        }
      }
      // A broken cluster stops here: its state may be one storage refuses to recover.
      if (failed()) {
        n.raft->advance();
        return;
      }
      if (!n.storage->save(rd)) {
        // Power lost mid-write: nothing of this Ready leaves the node.
        crash(n.id);
        return;
      }
      for (const Message& m : rd.messages) send(m);
      if (rd.snapshot) {
        n.applied = decode_state(rd.snapshot->data);
        ASSERT_EQ(n.applied.size(), rd.snapshot->index);
        check_state_prefix(n, "snapshot install");
      }
      for (const Entry& e : rd.committed_entries) apply(n, e);
      for (const ReadState& state : rd.read_states) serve(n, state);
      n.raft->advance();
    }
  }

  void apply(Node& n, const Entry& e) {
    ASSERT_EQ(e.index, n.applied.size() + 1);
    const std::string key = key_of(e);
    const auto [it, inserted] = applied_global_.emplace(e.index, key);
    if (!inserted && it->second != key) {
      fail("state machine safety", "node " + std::to_string(n.id) + " applied " + key + " at " +
                                       std::to_string(e.index) + ", another node " + it->second);
    }
    n.applied.push_back(key);
    const auto pending = pending_proposals_.find({n.id, e.index});
    if (pending != pending_proposals_.end()) {
      if (pending->second.first == e.term && pending->second.second == e.payload) {
        acked_[e.index] = key;
      }
      pending_proposals_.erase(pending);
    }
  }

  void serve(Node& n, const ReadState& state) {
    // A duplicated request or response serves one context twice; each must be safe.
    const auto it = read_floor_.find(state.context);
    ASSERT(it != read_floor_.end());
    const Index floor = it->second;
    if (state.refused) {
      ++reads_refused_;
      return;
    }
    ++reads_served_;
    // The Ready contract: a read state comes with (or after) the entries it needs.
    ASSERT_GE(n.applied.size(), state.index);
    if (state.index < floor) {
      fail("linearizable reads", "node " + std::to_string(n.id) + " served a read at index " +
                                     std::to_string(state.index) + " after index " +
                                     std::to_string(floor) + " had committed");
    }
  }

  void send(const Message& m) {
    ++messages_sent_;
    const std::string bytes = encode_message(m);
    if (rng_.chance(network_.loss)) return;
    const int copies = rng_.chance(network_.duplication) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      const std::uint64_t delay =
          network_.delay_ticks_max == 0
              ? 0
              : rng_.below(static_cast<std::uint64_t>(network_.delay_ticks_max) + 1);
      // Due at the next delivery round at the earliest: a reply never overtakes its cause.
      bus_.emplace(std::make_pair(now_ + delay, ++bus_seq_), bytes);
    }
  }

  // The safety properties over every up node, after each event.
  void check_election_safety() {
    for (const auto& n : nodes_) {
      if (!n->up() || n->raft->role() != Role::kLeader) continue;
      const auto [it, inserted] = leader_of_term_.emplace(n->raft->term(), n->id);
      if (!inserted && it->second != n->id) {
        fail("election safety", "nodes " + std::to_string(it->second) + " and " +
                                    std::to_string(n->id) + " both lead term " +
                                    std::to_string(n->raft->term()));
      }
    }
  }

  void check() {
    check_election_safety();
    for (const auto& n : nodes_) {
      if (!n->up()) continue;
      Raft& r = *n->raft;
      // Commitment: every node commits the same entry at an index; remember the lowest term
      // in which each index was seen committed.
      for (Index i = std::max(n->commit_observed, r.snapshot().index) + 1; i <= r.commit_index();
           ++i) {
        const std::string key = key_of(r.entry_at(i));
        const auto it = committed_.find(i);
        if (it == committed_.end()) {
          committed_.emplace(i, std::make_pair(key, r.term()));
        } else if (it->second.first != key) {
          fail("state machine safety", "node " + std::to_string(n->id) + " committed " + key +
                                           " at " + std::to_string(i) + ", another node " +
                                           it->second.first);
        } else {
          it->second.second = std::min(it->second.second, r.term());
        }
      }
      n->commit_observed = std::max(n->commit_observed, r.commit_index());
      max_commit_seen_ = std::max(max_commit_seen_, r.commit_index());
    }
    // Leader completeness (§5.4.3): a leader of term T holds every entry committed in a term
    // before T.
    for (const auto& n : nodes_) {
      if (!n->up() || n->raft->role() != Role::kLeader) continue;
      Raft& r = *n->raft;
      Index& checked = leader_checked_[{n->id, r.term()}];
      for (auto it = committed_.upper_bound(checked); it != committed_.end(); ++it) {
        const Index i = it->first;
        if (it->second.second >= r.term() || i <= r.snapshot().index) continue;
        if (i > r.last_index() || key_of(r.entry_at(i)) != it->second.first) {
          fail("leader completeness",
               "node " + std::to_string(n->id) + " leads term " + std::to_string(r.term()) +
                   " without entry " + std::to_string(i) + " (" + it->second.first +
                   ") committed in term " + std::to_string(it->second.second));
          break;
        }
        checked = i;
      }
    }
  }

  Rng rng_;
  Rng disk_rng_;
  Rng crash_rng_;
  Config base_;
  NetworkOptions network_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::uint64_t now_ = 0;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> bus_;
  std::uint64_t bus_seq_ = 0;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::function<bool(const Message&)> lose_if_;
  std::uint64_t messages_sent_ = 0;

  std::map<Term, NodeId> leader_of_term_;
  std::map<std::pair<Index, Term>, std::pair<std::string, Term>> entry_of_;
  std::map<Index, std::pair<std::string, Term>> committed_;
  std::map<std::pair<NodeId, Term>, Index> leader_checked_;
  std::map<Index, std::string> applied_global_;
  std::map<std::pair<NodeId, Index>, std::pair<Term, std::string>> pending_proposals_;
  std::map<Index, std::string> acked_;
  std::map<std::string, Index> read_floor_;
  std::uint64_t reads_issued_ = 0;
  std::uint64_t reads_served_ = 0;
  std::uint64_t reads_refused_ = 0;
  Index max_commit_seen_ = 0;
  std::string violation_checker_;
  std::string violation_detail_;
};

}  // namespace eddy::raft::testing
