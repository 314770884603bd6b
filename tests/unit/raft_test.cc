// engine/raft (the encodings are tested in raft_codec_test.cc): the storage's crash recovery,
// targeted protocol scenarios (election, pre-vote, check-quorum, the no-op, Figure 8, fast
// back-off, snapshots, read-index), a randomized cluster checked for Raft's safety properties after
// every event with a liveness phase after the heal, and each planted Raft bug caught by the checker
// it is meant to trip.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/fault.h"
#include "engine/raft/raft.h"
#include "engine/raft/storage.h"
#include "engine/rng.h"
#include "sim/sim_disk.h"
#include "tests/unit/support/raft_cluster.h"

using namespace eddy;
using namespace eddy::raft;
using eddy::raft::testing::Cluster;

namespace {

// Switches planted bugs on for one scope.
class PlantScope {
 public:
  explicit PlantScope(std::uint32_t mask) { set_planted_bugs(mask); }
  ~PlantScope() { set_planted_bugs(0); }
  PlantScope(const PlantScope&) = delete;
  PlantScope& operator=(const PlantScope&) = delete;
};

std::uint32_t mask_of(PlantedBug bug) {
  return static_cast<std::uint32_t>(bug);
}

// ---------------------------------------------------------------------------------------------
// Storage.

Entry entry(Term term, Index index, std::string payload = "x") {
  return Entry{term, index, EntryKind::kNormal, std::move(payload)};
}

Restored reopen(Disk& disk) {
  Restored restored;
  std::string error;
  auto storage = Storage::open(disk, "raft", &restored, &error);
  INFO(error);
  REQUIRE(storage != nullptr);
  return restored;
}

}  // namespace

TEST_CASE("storage persists the hard state and the log, truncation included", "[raft]") {
  Rng rng(1);
  sim::SimDisk disk(rng);
  {
    Restored restored;
    std::string error;
    auto storage = Storage::open(disk, "raft", &restored, &error);
    REQUIRE(storage != nullptr);
    CHECK(restored.entries.empty());
    Ready first;
    first.hard_state = HardState{1, 1, 0};
    for (Index i = 1; i <= 10; ++i) first.entries.push_back(entry(1, i));
    REQUIRE(storage->save(first));
    Ready second;
    second.hard_state = HardState{2, 3, 5};
    second.entries = {entry(2, 6, "a"), entry(2, 7, "b")};
    REQUIRE(storage->save(second));
    // One sync per Ready: the group commit.
    CHECK(storage->syncs() == 2);
  }
  disk.crash(rng);
  const Restored restored = reopen(disk);
  CHECK(restored.hard_state == HardState{2, 3, 5});
  REQUIRE(restored.entries.size() == 7);
  CHECK(restored.entries[4] == entry(1, 5));
  CHECK(restored.entries[5] == entry(2, 6, "a"));
  CHECK(restored.entries[6] == entry(2, 7, "b"));
}

// Damage before good records is not a torn tail: cutting it would drop a synced vote and
// acknowledged entries, so a restarted node could vote twice in a term. It refuses to open.
TEST_CASE("storage refuses a log damaged in the middle instead of cutting synced records",
          "[raft]") {
  Rng rng(3);
  sim::SimDisk disk(rng);
  {
    Restored restored;
    std::string error;
    auto storage = Storage::open(disk, "raft", &restored, &error);
    REQUIRE(storage != nullptr);
    Ready ready;
    ready.hard_state = HardState{1, 2, 0};
    for (Index i = 1; i <= 4; ++i) ready.entries.push_back(entry(1, i, std::string(40, 'e')));
    REQUIRE(storage->save(ready));
  }
  const std::string path = "raft/log";
  const std::string contents = disk.contents(path);
  REQUIRE(contents.size() > 100);
  const Disk::FileId file = disk.open(path, false, nullptr);
  REQUIRE(file >= 0);
  const std::uint64_t at = contents.size() / 2;
  REQUIRE(disk.write_at(file, at, std::string(1, static_cast<char>(~contents[at]))));
  REQUIRE(disk.sync(file));
  disk.close(file);

  Restored restored;
  std::string error;
  CHECK(Storage::open(disk, "raft", &restored, &error) == nullptr);
  CHECK_THAT(error, Catch::Matchers::Contains(path));
  CHECK(disk.contents(path).size() == contents.size());  // nothing was cut
}

TEST_CASE("storage keeps a snapshot and the entries after it, across compaction and install",
          "[raft]") {
  Rng rng(2);
  sim::SimDisk disk(rng);
  {
    Restored restored;
    std::string error;
    auto storage = Storage::open(disk, "raft", &restored, &error);
    REQUIRE(storage != nullptr);
    Ready first;
    first.hard_state = HardState{1, 1, 8};
    for (Index i = 1; i <= 10; ++i) first.entries.push_back(entry(1, i));
    REQUIRE(storage->save(first));
    Ready compaction;
    compaction.compaction = Snapshot{6, 1, "state@6"};
    REQUIRE(storage->save(compaction));
  }
  disk.crash(rng);
  {
    const Restored restored = reopen(disk);
    CHECK(restored.snapshot == Snapshot{6, 1, "state@6"});
    REQUIRE(restored.entries.size() == 4);
    CHECK(restored.entries.front().index == 7);
    CHECK(restored.hard_state.commit == 8);
  }
  {
    Restored restored;
    std::string error;
    auto storage = Storage::open(disk, "raft", &restored, &error);
    REQUIRE(storage != nullptr);
    Ready install;
    install.snapshot = Snapshot{20, 3, "state@20"};
    install.hard_state = HardState{3, 0, 20};
    install.entries = {entry(3, 21, "after")};
    REQUIRE(storage->save(install));
  }
  disk.crash(rng);
  const Restored restored = reopen(disk);
  CHECK(restored.snapshot == Snapshot{20, 3, "state@20"});
  REQUIRE(restored.entries.size() == 1);
  CHECK(restored.entries.front() == entry(3, 21, "after"));
  CHECK(restored.hard_state == HardState{3, 0, 20});
}

TEST_CASE("a crash in the middle of a save recovers the old state or a prefix of the new",
          "[raft]") {
  // 300 seeds of random saves (appends, truncations, hard states), each save possibly cut
  // short by power loss after a random number of disk operations, with torn last writes.
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    Rng rng(seed);
    sim::SimDiskFaults faults;
    faults.torn_write_probability = 0.5;
    sim::SimDisk disk(rng, faults);
    raft::testing::DyingDisk dying(disk);
    std::vector<Entry> log;
    HardState hard_state;
    Term term = 1;
    for (int round = 0; round < 20; ++round) {
      Restored restored;
      std::string error;
      auto storage = Storage::open(dying, "raft", &restored, &error);
      INFO(error);
      REQUIRE(storage != nullptr);
      REQUIRE(restored.hard_state == hard_state);
      REQUIRE(restored.entries == log);
      // The next Ready: maybe a truncation, some entries, a new hard state.
      Ready rd;
      std::vector<Entry> next_log = log;
      const Index from =
          log.empty() ? 1 : 1 + rng.below(log.size() + 1) + (rng.chance(0.5) ? log.size() : 0);
      // Raft never truncates a committed entry.
      const Index start =
          std::max<Index>(std::min<Index>(from, log.size() + 1), hard_state.commit + 1);
      ++term;
      next_log.resize(start - 1);
      const int count = static_cast<int>(rng.below(4));
      // A Ready truncates only to append: with no entries the log stays as it is.
      if (count == 0) next_log = log;
      for (int i = 0; i < count; ++i) {
        next_log.push_back(entry(term, next_log.size() + 1, "p" + std::to_string(round)));
        rd.entries.push_back(next_log.back());
      }
      // The commit index moves within what the new log holds, never back.
      const Index commit_floor = std::min<Index>(hard_state.commit, start - 1);
      HardState next_state{term, 1, commit_floor + rng.below(next_log.size() - commit_floor + 1)};
      if (count == 0) next_state.commit = hard_state.commit;
      rd.hard_state = next_state;
      const bool dies = rng.chance(0.5);
      if (dies) dying.die_after(static_cast<std::int64_t>(rng.below(4)));
      const bool saved = storage->save(rd);
      storage.reset();
      disk.crash(rng);
      dying.revive();
      if (saved) {
        log = next_log;
        hard_state = next_state;
        continue;
      }
      // What survives: nothing of the new Ready; or its new term and vote (written first)
      // with the old log, or with its truncation and a prefix of its entries; or all of it
      // (the commit index is written last).
      Restored after;
      auto again = Storage::open(dying, "raft", &after, &error);
      INFO(error);
      REQUIRE(again != nullptr);
      // The hard state is the old one, or the new term and vote with the old commit index
      // (written before the entries), or all of the new one (written after them).
      const HardState early{next_state.term, next_state.vote, hard_state.commit};
      const bool old_log =
          (after.hard_state == hard_state || after.hard_state == early) && after.entries == log;
      const bool new_prefix =
          after.entries.size() >= start - 1 && after.entries.size() <= next_log.size() &&
          std::equal(after.entries.begin(), after.entries.end(), next_log.begin()) &&
          (after.hard_state == early ||
           (after.hard_state == next_state && after.entries == next_log));
      INFO("recovered " << after.entries.size() << " entries, hard state " << after.hard_state.term
                        << "/" << after.hard_state.vote << "/" << after.hard_state.commit
                        << "; old " << log.size() << " entries, " << hard_state.term << "/"
                        << hard_state.commit << "; new " << next_log.size() << " from " << start
                        << ", " << next_state.term << "/" << next_state.commit);
      REQUIRE(after.hard_state.term >= hard_state.term);
      REQUIRE((old_log || new_prefix));
      log = after.entries;
      hard_state = after.hard_state;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A manual harness for scripted scenarios: Raft nodes restored from given logs, no storage,
// every message routed through a filter the test controls.

namespace {

struct Scripted {
  Rng rng{42};
  std::vector<std::unique_ptr<Raft>> nodes;
  std::vector<Message> dropped;
  std::uint64_t rejections_from[8] = {};

  Scripted(const std::vector<Restored>& states, Config base) {
    for (std::size_t i = 1; i <= states.size(); ++i) base.voters.push_back(i);
    for (std::size_t i = 1; i <= states.size(); ++i) {
      Config config = base;
      config.id = i;
      nodes.push_back(std::make_unique<Raft>(config, rng, states[i - 1]));
    }
  }
  Raft& at(NodeId id) { return *nodes.at(id - 1); }

  // Delivers messages (those `pass` lets through) until nothing is left to send.
  void settle(const std::function<bool(const Message&)>& pass) {
    for (int round = 0; round < 200; ++round) {
      std::vector<Message> out;
      for (auto& node : nodes) {
        while (node->has_ready()) {
          Ready rd = node->ready();
          for (Message& m : rd.messages) out.push_back(std::move(m));
          node->advance();
        }
      }
      if (out.empty()) return;
      for (const Message& m : out) {
        if (m.type == MessageType::kAppendResponse && m.reject) ++rejections_from[m.from];
        if (!pass(m)) {
          dropped.push_back(m);
          continue;
        }
        at(m.to).step(m);
      }
    }
    FAIL("the scripted cluster did not settle");
  }
};

Restored log_of(Term hard_term, Index commit, const std::vector<Term>& terms) {
  Restored r;
  r.hard_state = HardState{hard_term, kNoNode, commit};
  for (std::size_t i = 0; i < terms.size(); ++i) r.entries.push_back(entry(terms[i], i + 1));
  return r;
}

bool has_entries_from(const Message& m, Index index) {
  return m.type == MessageType::kAppend && !m.entries.empty() && m.entries.back().index >= index;
}

}  // namespace

TEST_CASE("Figure 8: an entry of an earlier term does not commit by counting replicas", "[raft]") {
  // Paper §5.4.2, Figure 8 (c): S1 leads term 4 holding (2, term 2), which S2 and S3 also hold
  // (a majority of five), while S5 holds (2, term 3) and could still win an election with S3's
  // and S4's votes and overwrite index 2. So S1 must not commit index 2 until an entry of its
  // own term sits on a majority above it.
  for (const bool planted_bug : {false, true}) {
    PlantScope plant(planted_bug ? mask_of(PlantedBug::kRaftCommitPrevTermByCount) : 0);
    Config config;
    config.append_entries_max = 1;  // index 2 and S1's no-op (index 3) travel separately
    Scripted s({log_of(3, 1, {1, 2}), log_of(3, 1, {1, 2}), log_of(3, 1, {1}), log_of(3, 1, {1}),
                log_of(3, 1, {1, 3})},
               config);
    s.at(1).campaign();
    // S5 is cut off; S3 receives index 2 but not the no-op; S4 receives no entry it could
    // accept (the first probes, which they reject for lacking index 2, pass).
    s.settle([&s](const Message& m) {
      if (m.from == 5 || m.to == 5) return false;
      if (m.to == 3 && has_entries_from(m, 3) && s.at(3).last_index() >= 2) return false;
      if (m.to == 4 && m.type == MessageType::kAppend && !m.entries.empty() && m.index < 2) {
        return false;
      }
      return true;
    });
    REQUIRE(s.at(1).role() == Role::kLeader);
    REQUIRE(s.at(1).term() == 4);
    REQUIRE(s.at(3).last_index() == 2);
    REQUIRE(s.at(3).term_at(2) == Term{2});
    if (planted_bug) {
      // The planted bug counts three replicas of index 2 and commits it.
      CHECK(s.at(1).commit_index() == 2);
      continue;
    }
    CHECK(s.at(1).commit_index() == 1);
    // Once the no-op reaches S3 (the next heartbeat round finds it missing), a majority holds
    // an entry of term 4, and it and index 2 beneath it commit.
    s.at(1).tick();
    s.settle([](const Message& m) { return m.from != 5 && m.to != 5; });
    CHECK(s.at(1).commit_index() == 3);
  }
}

TEST_CASE("fast back-off skips a diverged follower's log a term at a time", "[raft]") {
  // S2 holds 40 entries of term 2 that the leader (term 3 entries at 41..80) never had. One
  // entry at a time it would take 40 rejections; the hint takes one.
  std::vector<Term> leader_terms(40, 1);
  std::vector<Term> follower_terms(40, 1);
  for (int i = 0; i < 40; ++i) {
    leader_terms.push_back(3);
    follower_terms.push_back(2);
  }
  Scripted s(
      {log_of(3, 40, leader_terms), log_of(3, 40, follower_terms), log_of(3, 40, leader_terms)},
      Config{});
  s.at(1).campaign();
  s.settle([](const Message&) { return true; });
  REQUIRE(s.at(1).role() == Role::kLeader);
  CHECK(s.rejections_from[2] <= 2);
  CHECK(s.rejections_from[2] >= 1);
  s.at(1).tick();  // a heartbeat carries the commit index
  s.settle([](const Message&) { return true; });
  REQUIRE(s.at(2).last_index() == s.at(1).last_index());
  for (Index i = 1; i <= s.at(1).last_index(); ++i) {
    INFO("index " << i);
    CHECK(s.at(2).term_at(i) == s.at(1).term_at(i));
  }
  CHECK(s.at(2).commit_index() == s.at(1).last_index());
}

// ---------------------------------------------------------------------------------------------
// Targeted scenarios on the checked cluster (storage on simulated disks, no network faults).

namespace {

NodeId await_leader(Cluster& c, int ticks = 200) {
  REQUIRE(c.run_until([&] { return c.stable_leader().has_value(); }, ticks));
  return *c.stable_leader();
}

NodeId other_than(Cluster& c, NodeId a, NodeId b = kNoNode) {
  for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) {
    if (id != a && id != b) return id;
  }
  FAIL("no other node");
  return kNoNode;
}

}  // namespace

TEST_CASE("a leader is elected and its no-op commits everywhere", "[raft]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    Cluster c(3, seed);
    const NodeId leader = await_leader(c);
    Raft& l = c.raft(leader);
    const Index noop = l.last_index();
    REQUIRE(l.entry_at(noop).kind == EntryKind::kNoop);
    REQUIRE(l.entry_at(noop).term == l.term());
    REQUIRE(c.run_until(
        [&] {
          for (NodeId id = 1; id <= 3; ++id) {
            if (c.node(id).applied.size() < noop) return false;
          }
          return true;
        },
        50));
    for (NodeId id = 1; id <= 3; ++id) {
      CHECK(c.raft(id).term() == l.term());
      CHECK(c.raft(id).leader() == leader);
    }
    CHECK_FALSE(c.failed());
  }
}

TEST_CASE("pre-vote keeps a rejoining node from disrupting a stable leader", "[raft]") {
  for (const bool pre_vote : {true, false}) {
    Config config;
    config.pre_vote = pre_vote;
    Cluster c(3, 7, config);
    const NodeId leader = await_leader(c);
    const Term term = c.raft(leader).term();
    const NodeId loner = other_than(c, leader);
    c.isolate(loner);
    c.run_until([] { return false; }, 200);
    c.heal();
    c.run_until([] { return false; }, 50);
    if (pre_vote) {
      // Twenty election timeouts alone, and its term never moved.
      CHECK(c.raft(loner).term() == term);
      CHECK(c.raft(leader).role() == Role::kLeader);
      CHECK(c.raft(leader).term() == term);
      CHECK(c.raft(loner).leader() == leader);
    } else {
      // Without pre-vote the loner's term ran ahead and its return deposed the leader.
      CHECK(c.raft(loner).term() > term);
      CHECK(c.raft(leader).term() > term);
    }
    CHECK_FALSE(c.failed());
  }
}

TEST_CASE("check-quorum: a leader cut off from the quorum steps down", "[raft]") {
  for (const bool check_quorum : {true, false}) {
    Config config;
    config.check_quorum = check_quorum;
    Cluster c(3, 11, config);
    const NodeId leader = await_leader(c);
    c.isolate(leader);
    // Within two election timeouts (a round starts at most one timeout after the cut).
    c.run_until([] { return false; }, 2 * config.election_ticks + 1);
    if (check_quorum) {
      CHECK(c.raft(leader).role() == Role::kFollower);
    } else {
      CHECK(c.raft(leader).role() == Role::kLeader);
    }
  }
}

TEST_CASE("read-index: served by a leader after a heartbeat round, refused by a deposed one",
          "[raft]") {
  Cluster c(3, 5);
  const NodeId leader = await_leader(c);
  REQUIRE(c.run_until([&] { return c.raft(leader).commit_index() == c.raft(leader).last_index(); },
                      50));
  // Served, at the leader and through a follower.
  const auto served_before = c.reads_served();
  REQUIRE(c.read(leader).has_value());
  REQUIRE(c.read(other_than(c, leader)).has_value());
  REQUIRE(c.run_until([&] { return c.reads_served() == served_before + 2; }, 10));
  // A leader cut off from everyone takes a read but cannot confirm it; when check-quorum
  // deposes it, the read is refused, never served.
  c.isolate(leader);
  REQUIRE(c.read(leader).has_value());
  const auto refused_before = c.reads_refused();
  REQUIRE(c.run_until([&] { return c.raft(leader).role() != Role::kLeader; }, 30));
  c.tick();
  CHECK(c.reads_refused() == refused_before + 1);
  CHECK(c.reads_served() == served_before + 2);
  // Meanwhile the others elected a leader and write.
  c.split({leader});
  const NodeId next = await_leader(c);
  CHECK(next != leader);
  REQUIRE(c.propose(next, "after").has_value());
  c.run_until([] { return false; }, 10);
  CHECK_FALSE(c.failed());
}

TEST_CASE("a lagging follower catches up by InstallSnapshot and recovers it after a restart",
          "[raft]") {
  Cluster c(3, 9);
  const NodeId leader = await_leader(c);
  const NodeId lagging = other_than(c, leader);
  c.isolate(lagging);
  Index last = 0;
  for (int i = 0; i < 50; ++i) {
    const auto index = c.propose(leader, "v" + std::to_string(i));
    REQUIRE(index.has_value());
    last = *index;
    c.tick();
  }
  REQUIRE(c.run_until([&] { return c.acknowledged(last); }, 50));
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != lagging) c.compact(id);
  }
  const Index compacted = c.raft(leader).snapshot().index;
  REQUIRE(compacted >= last);
  c.heal();
  REQUIRE(c.run_until([&] { return c.node(lagging).applied.size() >= last; }, 100));
  CHECK(c.raft(lagging).snapshot().index >= compacted);
  CHECK(c.node(lagging).applied ==
        std::vector<std::string>(c.node(leader).applied.begin(),
                                 c.node(leader).applied.begin() + c.node(lagging).applied.size()));
  c.crash(lagging);
  c.restart(lagging);
  CHECK(c.raft(lagging).snapshot().index >= compacted);
  const auto more = c.propose(leader, "after-snapshot");
  REQUIRE(more.has_value());
  REQUIRE(c.run_until([&] { return c.node(lagging).applied.size() >= *more; }, 100));
  c.check_durability(true);
  CHECK_FALSE(c.failed());
}

// ---------------------------------------------------------------------------------------------
// The randomized cluster.

namespace {

struct RunOptions {
  int nodes = 3;
  int chaos_ticks = 400;
  int liveness_bound_ticks = 150;
  // Negative: drawn per seed.
  double crash_probability = -1;
  double partition_probability = -1;
  int append_entries_max = -1;
  // Per tick, the current leader crashes (churn of short-lived leaders, Figure 8's recipe).
  double leader_crash_probability = 0;
  double restart_probability = 0.05;
  double loss = -1;
  int inflight_messages_max = -1;
};

struct RunOutcome {
  std::string checker;  // empty: every check passed
  std::string detail;
  std::uint64_t acknowledged = 0;
  std::uint64_t reads = 0;
  std::uint64_t messages = 0;
};

// One seed: a chaos phase (loss, duplication, reordering, partitions of every kind, crashes,
// some mid-write, restarts, compactions, client writes and reads), then a liveness phase: heal
// the network, restart every node, restart the leader to force an election, and require within
// the bound a served read (before any write of the new term) and an acknowledged write applied
// everywhere; finally every acknowledged write must be in every state machine.
RunOutcome run_cluster(std::uint64_t seed, const RunOptions& options) {
  Rng tunables(seed ^ 0x5eed);
  Config config;
  config.append_entries_max = std::array<std::size_t, 3>{1, 3, 64}[tunables.below(3)];
  config.inflight_messages_max = std::array<std::size_t, 3>{1, 2, 16}[tunables.below(3)];
  raft::testing::NetworkOptions network;
  network.loss = tunables.unit() * 0.2;
  network.duplication = tunables.unit() * 0.1;
  network.delay_ticks_max = static_cast<int>(tunables.below(4));
  const double crash_probability =
      options.crash_probability >= 0 ? options.crash_probability : tunables.unit() * 0.04;
  const double partition_probability =
      options.partition_probability >= 0 ? options.partition_probability : tunables.unit() * 0.05;
  if (options.append_entries_max > 0) {
    config.append_entries_max = static_cast<std::size_t>(options.append_entries_max);
  }
  if (options.inflight_messages_max > 0) {
    config.inflight_messages_max = static_cast<std::size_t>(options.inflight_messages_max);
  }
  if (options.loss >= 0) network.loss = options.loss;
  Cluster c(options.nodes, seed, config);
  c.network() = network;
  Rng& rng = c.rng();
  const auto random_node = [&] { return static_cast<NodeId>(1 + rng.below(c.size())); };
  std::uint64_t writes = 0;
  RunOutcome outcome;
  const auto finish = [&] {
    outcome.checker = c.checker();
    outcome.detail = c.detail();
    outcome.acknowledged = c.acknowledged_count();
    outcome.reads = c.reads_served();
    outcome.messages = c.messages_sent();
    return outcome;
  };

  for (int t = 0; t < options.chaos_ticks && !c.failed(); ++t) {
    c.tick();
    if (rng.chance(0.4)) c.propose(random_node(), "w" + std::to_string(++writes));
    if (rng.chance(0.3)) c.read(random_node());
    if (rng.chance(0.02)) c.compact(random_node());
    if (rng.chance(partition_probability)) {
      c.heal();
      switch (rng.below(4)) {
        case 0:
          break;
        case 1:
          c.isolate(random_node());
          break;
        case 2:
          c.deafen(random_node());
          break;
        case 3: {
          std::set<NodeId> side;
          for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) {
            if (rng.chance(0.5)) side.insert(id);
          }
          c.split(side);
          break;
        }
      }
    }
    if (rng.chance(crash_probability)) {
      const NodeId victim = random_node();
      if (rng.chance(0.5)) {
        c.crash(victim);
      } else {
        c.die_during_next_write(victim, static_cast<std::int64_t>(rng.below(6)));
      }
    }
    if (rng.chance(options.leader_crash_probability)) {
      if (const auto leader = c.leader()) c.crash(*leader);
    }
    for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) {
      if (!c.node(id).up() && rng.chance(options.restart_probability)) c.restart(id);
    }
  }
  if (c.failed()) return finish();

  // Liveness: everything healed, every node up, and a fresh election.
  c.heal();
  c.network().loss = 0;
  for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) {
    c.node(id).dying->revive();
    c.restart(id);
  }
  if (const auto leader = c.leader()) {
    c.crash(*leader);
    c.restart(*leader);
  }
  const int bound = options.liveness_bound_ticks;
  const auto served_before = c.reads_served();
  for (int t = 0; t < bound && c.reads_served() == served_before && !c.failed(); ++t) {
    c.tick();
    for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) c.read(id);
  }
  if (c.reads_served() == served_before) {
    c.fail("liveness", "no read served within " + std::to_string(bound) + " ticks of the heal");
  }
  std::optional<Index> final_write;
  int since_proposal = 0;
  const auto all_applied = [&](Index index) {
    for (NodeId id = 1; id <= static_cast<NodeId>(c.size()); ++id) {
      if (c.node(id).applied.size() < index) return false;
    }
    return true;
  };
  bool done = false;
  for (int t = 0; t < bound && !c.failed() && !done; ++t) {
    if (!final_write || since_proposal > 30) {
      since_proposal = 0;
      if (const auto leader = c.stable_leader()) final_write = c.propose(*leader, "final");
    }
    ++since_proposal;
    c.tick();
    done = final_write && c.acknowledged(*final_write) && all_applied(*final_write);
  }
  if (!done) {
    c.fail("liveness", "no write acknowledged and applied everywhere within " +
                           std::to_string(bound) + " ticks of the heal");
  }
  c.check_durability(true);
  return finish();
}

// Figure 8's recipe at random: five nodes, leaders that crash within a few ticks, nodes that
// come back quickly, lossy links and occasional partitions, one entry per append and one
// append in flight (so an old entry and the new leader's no-op travel apart).
RunOptions figure8_churn() {
  RunOptions o;
  o.nodes = 5;
  o.crash_probability = 0;
  o.partition_probability = 0.1;
  o.leader_crash_probability = 0.2;
  o.restart_probability = 0.3;
  o.loss = 0.2;
  o.append_entries_max = 1;
  o.inflight_messages_max = 1;
  return o;
}

// The first seed in [1, seeds] whose run fails, with its outcome.
std::pair<std::uint64_t, RunOutcome> first_failure(
    std::uint64_t seeds, const std::function<RunOutcome(std::uint64_t)>& run) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    RunOutcome outcome = run(seed);
    if (!outcome.checker.empty()) return {seed, outcome};
  }
  return {0, RunOutcome{}};
}

}  // namespace

TEST_CASE("a randomized 3-node cluster stays safe and live", "[raft]") {
  std::uint64_t acknowledged = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const RunOutcome outcome = run_cluster(seed, RunOptions{.nodes = 3});
    INFO("seed " << seed << ": " << outcome.checker << ": " << outcome.detail);
    REQUIRE(outcome.checker.empty());
    acknowledged += outcome.acknowledged;
  }
  // The checks saw real work: writes acknowledged through the faults.
  CHECK(acknowledged > 300 * 20);
}

TEST_CASE("a randomized 5-node cluster stays safe and live", "[raft]") {
  std::uint64_t acknowledged = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const RunOutcome outcome = run_cluster(seed, RunOptions{.nodes = 5});
    INFO("seed " << seed << ": " << outcome.checker << ": " << outcome.detail);
    REQUIRE(outcome.checker.empty());
    acknowledged += outcome.acknowledged;
  }
  CHECK(acknowledged > 200 * 20);
}

TEST_CASE("a 5-node cluster under leader churn (Figure 8's recipe) stays safe and live", "[raft]") {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const RunOutcome outcome = run_cluster(seed, figure8_churn());
    INFO("seed " << seed << ": " << outcome.checker << ": " << outcome.detail);
    REQUIRE(outcome.checker.empty());
  }
}

TEST_CASE("the randomized cluster replays a seed exactly", "[raft]") {
  const RunOutcome a = run_cluster(17, RunOptions{.nodes = 5});
  const RunOutcome b = run_cluster(17, RunOptions{.nodes = 5});
  CHECK(a.acknowledged == b.acknowledged);
  CHECK(a.messages == b.messages);
  CHECK(a.reads == b.reads);
  CHECK(run_cluster(18, RunOptions{.nodes = 5}).messages != a.messages);
}

// ---------------------------------------------------------------------------------------------
// Planted bugs: each is caught, by the checker named, within the stated number of seeds.

namespace {

// The deaf-minority liveness scenario: five nodes, two of which hear nothing (they still
// send) from the start. Three times, the leader restarts; the three nodes that hear each other
// must elect a new leader within the bound each time. From the third round on, the deaf nodes'
// pre-votes carry a term below everyone else's: stale messages that must not count as signs of
// a live leader.
RunOutcome run_deaf_minority(std::uint64_t seed) {
  Cluster c(5, seed);
  c.network().delay_ticks_max = 1;
  RunOutcome outcome;
  const int bound = 100;
  const auto leader = [&] { return c.stable_leader(); };
  if (!c.run_until([&] { return leader().has_value(); }, bound)) {
    c.fail("liveness", "no first leader");
  }
  std::vector<NodeId> deaf;
  for (NodeId id = 1; id <= 5 && deaf.size() < 2 && !c.failed(); ++id) {
    if (id != *leader()) deaf.push_back(id);
  }
  for (NodeId id : deaf) c.deafen(id);
  for (int round = 0; round < 4 && !c.failed(); ++round) {
    const NodeId old = *leader();
    const Term term = c.raft(old).term();
    c.crash(old);
    c.restart(old);
    if (!c.run_until(
            [&] {
              const auto l = leader();
              return l.has_value() && c.raft(*l).term() > term;
            },
            bound)) {
      c.fail("liveness", "no leader within " + std::to_string(bound) + " ticks in round " +
                             std::to_string(round));
    }
  }
  outcome.checker = c.checker();
  outcome.detail = c.detail();
  return outcome;
}

struct PlantCase {
  PlantedBug bug;
  const char* checker;
  std::uint64_t seeds;
  RunOptions options;
};

}  // namespace

TEST_CASE("the deaf-minority scenario is live on the production code", "[raft]") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const RunOutcome outcome = run_deaf_minority(seed);
    INFO("seed " << seed << ": " << outcome.checker << ": " << outcome.detail);
    REQUIRE(outcome.checker.empty());
  }
}

TEST_CASE("each planted Raft bug is caught by its checker", "[raft]") {
  // Each bug's budget of seeds, and the checker that must catch it. The first catching seed
  // is reported (WARN) and recorded in docs/raft.md; the production code passes the same
  // runs (the randomized cases above). Why each checker:
  // - commit-prev-term-by-count: a later leader is elected without the entry the bug
  //   committed (Figure 8): leader completeness, under leader churn.
  // - vote-not-persisted: a node that restarts votes again in the same term, and two leaders
  //   of one term appear: election safety.
  // - read-without-read-index: a leader that has not yet learned the latest commit (newly
  //   elected, or deposed without knowing it) serves a read below it: linearizable reads.
  // - no-noop: after the heal's election, no entry of the new term commits until a client
  //   writes, so read-index refuses every read: liveness.
  // - accept-mismatched-append: a follower's log takes an entry after a different
  //   predecessor than the leader's: log matching.
  const std::vector<PlantCase> cases = {
      {PlantedBug::kRaftCommitPrevTermByCount, "leader completeness", 2000, figure8_churn()},
      {PlantedBug::kRaftVoteNotPersisted, "election safety", 2000, RunOptions{.nodes = 3}},
      {PlantedBug::kRaftReadWithoutReadIndex, "linearizable reads", 200, RunOptions{.nodes = 3}},
      {PlantedBug::kRaftNoNoop, "liveness", 200, RunOptions{.nodes = 3}},
      {PlantedBug::kRaftAcceptMismatchedAppend, "log matching", 500, RunOptions{.nodes = 3}},
  };
  for (const PlantCase& plant : cases) {
    PlantScope scope(mask_of(plant.bug));
    const auto [seed, outcome] =
        first_failure(plant.seeds, [&](std::uint64_t s) { return run_cluster(s, plant.options); });
    INFO("plant " << mask_of(plant.bug) << " expected " << plant.checker << ", got "
                  << outcome.checker << ": " << outcome.detail);
    REQUIRE(seed != 0);
    CHECK(outcome.checker == plant.checker);
    WARN("plant " << mask_of(plant.bug) << " caught by " << outcome.checker << " at seed " << seed);
  }
  {
    // - stale-term-resets-timer: two deaf nodes keep sending pre-votes of a term everyone
    //   else has passed; each one restarts the others' election timers (and keeps them in
    //   their leader lease, ignoring real candidates), so no leader follows the old one's
    //   restart: liveness, in the deaf-minority scenario.
    PlantScope scope(mask_of(PlantedBug::kRaftStaleTermResetsTimer));
    const auto [seed, outcome] = first_failure(200, run_deaf_minority);
    INFO(outcome.checker << ": " << outcome.detail);
    REQUIRE(seed != 0);
    CHECK(outcome.checker == "liveness");
    WARN("stale-term timer reset caught by liveness at seed " << seed);
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile and broken peers, and the bounds that keep a node's memory and work finite.

namespace {

// A message from `from` to `to` with fields near the target's state or at the extremes a
// hostile peer would pick (terms from the future, UINT64_MAX indexes, forged read rounds).
Message hostile_message(Cluster& c) {
  Message m;
  m.to = *rc::gen::inRange<NodeId>(1, static_cast<NodeId>(c.size()) + 1);
  m.from = *rc::gen::inRange<NodeId>(1, static_cast<NodeId>(c.size()) + 1);
  const Raft* target = c.node(m.to).up() ? &c.raft(m.to) : nullptr;
  const Term term = target != nullptr ? target->term() : 1;
  const Index last = target != nullptr ? target->last_index() : 1;
  const Index commit = target != nullptr ? target->commit_index() : 0;
  // Half the time the value a peer in step would send (so that a forgery gets past the shape
  // checks and reaches the protocol), else a neighbour of it or an extreme.
  auto near = [](std::uint64_t x) {
    if (*rc::gen::arbitrary<bool>()) return x;
    return *rc::gen::element<std::uint64_t>(0, 1, x + 1, x + 2, x > 0 ? x - 1 : 0, 1000,
                                            kTermIndexMax, kTermIndexMax + 1, UINT64_MAX);
  };
  m.type = static_cast<MessageType>(*rc::gen::inRange<int>(1, kMessageTypeLast + 1));
  m.term = near(term);
  m.log_term = near(term);
  m.index = near(last);
  m.commit = near(commit);
  m.reject = *rc::gen::arbitrary<bool>();
  m.hint_index = near(last);
  m.hint_term = near(term);
  // Read contexts of clients ("r<n>") and heartbeat rounds (8 bytes, little-endian).
  m.context =
      *rc::gen::element<std::string>("", "r1", "r2", std::string("\x01\0\0\0\0\0\0\0", 8),
                                     std::string("\x05\0\0\0\0\0\0\0", 8), std::string(8, '\xff'));
  if (m.type == MessageType::kAppend) {
    const int count = *rc::gen::inRange(0, 4);
    Term entry_term = m.log_term;
    for (int i = 0; i < count; ++i) {
      entry_term = std::max(entry_term, near(term));
      m.entries.push_back(Entry{entry_term, m.index + 1 + static_cast<Index>(i),
                                *rc::gen::arbitrary<bool>() ? EntryKind::kNormal : EntryKind::kNoop,
                                ""});
    }
  }
  if (m.type == MessageType::kInstallSnapshot) {
    // In the harness's state encoding (one applied key per line, as many as the index; an
    // index too large to write out is past the peer bound and dropped anyway).
    const Index index = near(last);
    std::string data;
    for (Index i = 0; i < std::min<Index>(index, 2000); ++i) data += "forged\n";
    m.snapshot = Snapshot{index, near(term), data};
  }
  return m;
}

}  // namespace

TEST_CASE("a hostile peer's messages are refused or followed, never a crash", "[raft]") {
  // Raft trusts its peers for safety (a lying leader can always rewrite history it owns), but
  // no message may stop a node: each is dropped, answered or followed, and the node's own
  // invariants (checked after every step) hold. Before the fixes, a second leader claiming a
  // known term, a UINT64_MAX term or snapshot index, and a conflict below the commit index
  // each tripped an assertion.
  rc::prop("random forged messages amid an honest cluster's traffic", [] {
    Cluster c(3, *rc::gen::inRange<std::uint64_t>(1, 1'000'000));
    const int steps = *rc::gen::inRange(20, 200);
    for (int i = 0; i < steps; ++i) {
      switch (*rc::gen::inRange(0, 6)) {
        case 0:
        case 1:
          c.inject(hostile_message(c));
          break;
        case 2:
          if (const auto leader = c.leader()) (void)c.propose(*leader, "p" + std::to_string(i));
          break;
        case 3:
          (void)c.read(*rc::gen::inRange<NodeId>(1, 4));
          break;
        default:
          c.tick();
      }
    }
  });
}

TEST_CASE("a follower whose appends were lost with the byte window full still catches up",
          "[raft]") {
  // Four 1 MiB proposals fill the 4 MiB in-flight window by bytes with 4 of 16 messages; all
  // are lost. The heartbeat reply used to free a slot only when the window was full by count,
  // so nothing was ever sent to that follower again (and with both followers so, nothing
  // committed again: heartbeats kept check-quorum and the leader lease satisfied).
  Cluster c(3, 31);
  const NodeId leader = await_leader(c);
  REQUIRE(c.run_until([&] { return c.raft(leader).commit_index() == c.raft(leader).last_index(); },
                      50));
  const NodeId lagging = other_than(c, leader);
  bool losing = true;
  c.lose_if([&](const Message& m) {
    return losing && m.to == lagging && m.type == MessageType::kAppend && !m.entries.empty();
  });
  Index last = 0;
  for (int i = 0; i < 4; ++i) {
    const auto index = c.propose(leader, std::string(1u << 20, static_cast<char>('a' + i)));
    REQUIRE(index.has_value());
    last = *index;
  }
  c.run_until([] { return false; }, 3);
  losing = false;
  CHECK(c.run_until([&] { return c.raft(lagging).last_index() >= last; }, 100));
  CHECK(c.raft(lagging).commit_index() >= last - 1);
  CHECK_FALSE(c.failed());
}

TEST_CASE("a leader that cannot commit refuses proposals past its uncommitted bound", "[raft]") {
  Config config;
  config.check_quorum = false;  // it stays leader while cut off
  config.uncommitted_bytes_max = 10'000;
  Cluster c(3, 33, config);
  const NodeId leader = await_leader(c);
  REQUIRE(c.run_until([&] { return c.raft(leader).commit_index() == c.raft(leader).last_index(); },
                      50));
  c.isolate(leader);
  int accepted = 0;
  ProposeResult refused;
  for (int i = 0; i < 100; ++i) {
    const ProposeResult result = c.raft(leader).propose(std::string(1000, 'x'));
    if (!result.ok) {
      refused = result;
      break;
    }
    ++accepted;
  }
  CHECK(accepted == 10);
  CHECK(refused.error == ProposeError::kBusy);
  CHECK(c.raft(leader).uncommitted_bytes() == 10'000);
  // Once the quorum is back and the entries commit, proposals are taken again.
  c.heal();
  REQUIRE(c.run_until([&] { return c.raft(leader).commit_index() == c.raft(leader).last_index(); },
                      100));
  CHECK(c.raft(leader).uncommitted_bytes() == 0);
  CHECK(c.raft(leader).propose("again").ok);
}

TEST_CASE("forged read-index replies and rounds are ignored", "[raft]") {
  Cluster c(3, 35);
  const NodeId leader = await_leader(c);
  REQUIRE(c.run_until([&] { return c.raft(leader).commit_index() == c.raft(leader).last_index(); },
                      50));
  const NodeId follower = other_than(c, leader);
  const NodeId third = other_than(c, leader, follower);
  const auto dropped = c.raft(follower).dropped_messages();
  // A reply nobody asked for, and one from a node that is not the leader.
  Message forged;
  forged.type = MessageType::kReadIndexResponse;
  forged.from = leader;
  forged.to = follower;
  forged.term = c.raft(follower).term();
  forged.index = 1'000'000;
  forged.context = "never asked";
  c.inject(forged);
  forged.from = third;
  c.inject(forged);
  CHECK(c.raft(follower).dropped_messages() == dropped + 2);
  // A heartbeat reply naming a round the leader never sent confirms nothing: the leader's
  // read waits for a real round (cut off, it never gets one) and is refused when it steps down.
  c.isolate(leader);
  const auto served = c.reads_served();
  REQUIRE(c.read(leader).has_value());
  Message lie;
  lie.type = MessageType::kHeartbeatResponse;
  lie.from = follower;
  lie.to = leader;
  lie.term = c.raft(leader).term();
  lie.context = std::string("\x7f\0\0\0\0\0\0\0", 8);  // round 127
  c.inject(lie);
  c.tick();
  CHECK(c.reads_served() == served);
  CHECK_FALSE(c.failed());
}

TEST_CASE("a snapshot too large to send or read back is refused by compact", "[raft]") {
  Cluster c(1, 37);
  const NodeId leader = await_leader(c);
  REQUIRE(c.run_until([&] { return c.raft(leader).applied_index() >= 1; }, 20));
  const Index applied = c.raft(leader).applied_index();
  CHECK_FALSE(c.raft(leader).compact(applied, std::string(kSnapshotBytesMax + 1, 's')));
  CHECK(c.raft(leader).snapshot().index == 0);
  CHECK(c.raft(leader).compact(applied, std::string(16, 's')));
  CHECK(c.raft(leader).snapshot().index == applied);
}
