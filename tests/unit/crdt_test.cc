// State-based CRDTs: unit cases for each type, and properties: merge is commutative,
// associative and idempotent; replicas that see the same updates in any order, with any
// interleaving of merges, converge; the grow-only set's bounded delta exchange converges
// without ever leaving a gap; the hybrid logical clock is monotone and respects
// happened-before.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "engine/crdt/g_counter.h"
#include "engine/crdt/grow_only_set.h"
#include "engine/crdt/hybrid_logical_clock.h"
#include "engine/crdt/lww_register.h"
#include "engine/crdt/or_set.h"
#include "engine/crdt/pn_counter.h"
#include "engine/crdt/version_vector.h"

using namespace eddy::crdt;

namespace {

constexpr std::size_t kReplicaCount = 3;
const std::array<std::string, kReplicaCount> kReplicas = {"n0", "n1", "n2"};
// Few distinct elements, so duplicates and collisions are common.
const std::array<std::string, 5> kElements = {"1", "2", "\"x\"", "{\"a\":1}", ""};

constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

// Merges for the generic law checks: every type as a function (into, from).
void merge_into(GCounter& into, const GCounter& from) {
  into.merge(from);
}
void merge_into(PnCounter& into, const PnCounter& from) {
  into.merge(from);
}
void merge_into(LwwRegister& into, const LwwRegister& from) {
  into.merge(from);
}
void merge_into(VersionVector& into, const VersionVector& from) {
  into.merge(from);
}
void merge_into(OrSet& into, const OrSet& from) {
  into.merge(from);
}
// A whole-state merge of the grow-only set: everything `from` holds that `into` lacks.
void merge_into(GrowOnlySet& into, const GrowOnlySet& from) {
  into.merge(from.missing_for(into.version_vector(), kUnbounded));
}

// What a reader sees, for types where == might hide a difference in reads.
std::uint64_t observed(const GCounter& c) {
  return c.value();
}
std::int64_t observed(const PnCounter& c) {
  return c.value();
}
std::string observed(const LwwRegister& r) {
  return r.value();
}
VersionVector::Entries observed(const VersionVector& v) {
  return v.entries();
}
std::vector<std::string> observed(const OrSet& s) {
  return s.elements();
}
std::set<std::string, std::less<>> observed(const GrowOnlySet& s) {
  return s.elements();
}

template <typename T>
T joined(T a, const T& b) {
  merge_into(a, b);
  return a;
}

template <typename T>
void require_same(const T& a, const T& b) {
  RC_ASSERT(a == b);
  RC_ASSERT(observed(a) == observed(b));
  RC_ASSERT(a.digest() == b.digest());
}

template <typename T>
void check_merge_laws(const T& a, const T& b, const T& c) {
  require_same(joined(a, b), joined(b, a));
  require_same(joined(joined(a, b), c), joined(a, joined(b, c)));
  require_same(joined(a, a), a);
  // Merging what is already included changes nothing.
  const T ab = joined(a, b);
  require_same(joined(ab, b), ab);
}

// Brings every replica to the same state: after one round of all-pairs merges the last
// replica holds everything, and the second round hands that to the rest.
template <typename T>
void gossip_fully(std::vector<T>& replicas) {
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < replicas.size(); ++i) {
      for (std::size_t j = 0; j < replicas.size(); ++j) {
        if (i != j) merge_into(replicas[i], replicas[j]);
      }
    }
  }
}

GCounter random_g_counter() {
  const auto ops = *rc::gen::container<std::vector<std::tuple<std::size_t, std::uint64_t>>>(
      rc::gen::tuple(rc::gen::inRange<std::size_t>(0, kReplicaCount),
                     rc::gen::inRange<std::uint64_t>(0, 1000)));
  GCounter counter;
  for (const auto& [replica, delta] : ops) RC_ASSERT(counter.increment(kReplicas[replica], delta));
  return counter;
}

PnCounter random_pn_counter() {
  const auto ops = *rc::gen::container<std::vector<std::tuple<std::size_t, std::int64_t>>>(
      rc::gen::tuple(rc::gen::inRange<std::size_t>(0, kReplicaCount),
                     rc::gen::inRange<std::int64_t>(-1000, 1000)));
  PnCounter counter;
  for (const auto& [replica, delta] : ops) RC_ASSERT(counter.add(kReplicas[replica], delta));
  return counter;
}

// One write as a client would make it, with few distinct stamps so ties are common.
struct Write {
  HlcTimestamp time;
  std::size_t replica = 0;
  std::size_t element = 0;
};

rc::Gen<Write> gen_write() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<std::int64_t>(0, 3), rc::gen::inRange<std::uint32_t>(0, 3),
                     rc::gen::inRange<std::size_t>(0, kReplicaCount),
                     rc::gen::inRange<std::size_t>(0, kElements.size())),
      [](const auto& t) {
        const auto& [physical, logical, replica, element] = t;
        return Write{{physical, logical}, replica, element};
      });
}

LwwRegister random_register() {
  const auto writes = *rc::gen::container<std::vector<Write>>(gen_write());
  LwwRegister reg;
  for (const Write& w : writes) reg.set(kElements[w.element], w.time, kReplicas[w.replica]);
  return reg;
}

VersionVector random_version_vector() {
  const auto entries =
      *rc::gen::container<std::vector<std::tuple<std::size_t, std::uint64_t>>>(rc::gen::tuple(
          rc::gen::inRange<std::size_t>(0, kReplicaCount), rc::gen::inRange<std::uint64_t>(0, 6)));
  VersionVector vector;
  for (const auto& [replica, seq] : entries) vector.advance(kReplicas[replica], seq);
  return vector;
}

// Grow-only set states that could coexist in one cluster: each origin has one log (drawn
// here), and each replica holds some prefix of every origin's log.
std::array<GrowOnlySet, 3> random_consistent_g_sets() {
  std::array<std::vector<GrowOnlySet::Delta>, kReplicaCount> logs;
  for (std::size_t origin = 0; origin < kReplicaCount; ++origin) {
    const auto elements = *rc::gen::container<std::vector<std::size_t>>(
        rc::gen::inRange<std::size_t>(0, kElements.size()));
    for (std::size_t i = 0; i < elements.size(); ++i) {
      logs[origin].push_back({kReplicas[origin], i + 1, kElements[elements[i]]});
    }
  }
  std::array<GrowOnlySet, 3> sets;
  for (GrowOnlySet& set : sets) {
    for (const auto& log : logs) {
      const auto held = *rc::gen::inRange<std::size_t>(0, log.size() + 1);
      RC_ASSERT(set.merge(std::span(log.data(), held)) == held);
    }
  }
  return sets;
}

// OR-set states reachable in one cluster: three replicas run random adds, removes and merges.
std::vector<OrSet> random_or_set_replicas() {
  const auto ops =
      *rc::gen::container<std::vector<std::tuple<int, std::size_t, std::size_t, std::size_t>>>(
          rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange<std::size_t>(0, kReplicaCount),
                         rc::gen::inRange<std::size_t>(0, kElements.size()),
                         rc::gen::inRange<std::size_t>(0, kReplicaCount)));
  std::vector<OrSet> replicas(kReplicaCount);
  for (const auto& [kind, replica, element, other] : ops) {
    OrSet& set = replicas[replica];
    if (kind == 0) {
      set.add(kReplicas[replica], kElements[element]);
      RC_ASSERT(set.contains(kElements[element]));
    } else if (kind == 1) {
      set.remove(kElements[element]);
      RC_ASSERT(!set.contains(kElements[element]));
    } else if (other != replica) {
      set.merge(replicas[other]);
    }
  }
  return replicas;
}

// Checks the grow-only set's own invariants through its public API: every origin's entries
// are exactly seq 1..n with n its version vector entry (no gap, nothing beyond), and the
// distinct elements are exactly the elements of the entries.
void check_no_gap(const GrowOnlySet& set) {
  const std::vector<GrowOnlySet::Delta> all = set.missing_for(VersionVector{}, kUnbounded);
  RC_ASSERT(all.size() == set.entry_count());
  std::map<std::string, std::uint64_t> last_seq;
  std::set<std::string, std::less<>> elements;
  for (const GrowOnlySet::Delta& delta : all) {
    RC_ASSERT(delta.seq == last_seq[delta.origin] + 1);
    last_seq[delta.origin] = delta.seq;
    elements.insert(delta.element);
  }
  for (const auto& [origin, seq] : last_seq) RC_ASSERT(set.version_vector().get(origin) == seq);
  RC_ASSERT(set.version_vector().entries().size() == last_seq.size());
  RC_ASSERT(elements == set.elements());
}

}  // namespace

// --- Hybrid logical clock ----------------------------------------------------------------

TEST_CASE("HLC follows physical time and counts within a millisecond", "[crdt]") {
  HybridLogicalClock clock;
  REQUIRE(clock.now(100) == HlcTimestamp{100, 0});
  REQUIRE(clock.now(100) == HlcTimestamp{100, 1});
  REQUIRE(clock.now(101) == HlcTimestamp{101, 0});
  // The physical clock went back: the HLC does not.
  REQUIRE(clock.now(50) == HlcTimestamp{101, 1});
  REQUIRE(clock.last() == HlcTimestamp{101, 1});
}

TEST_CASE("HLC update follows Kulkarni's receive rules", "[crdt]") {
  HybridLogicalClock clock;
  clock.now(100);  // {100, 0}
  // Received from the future: take its physical part and count past its logical one.
  REQUIRE(clock.update({200, 5}, 150) == HlcTimestamp{200, 6});
  // Same physical part on both sides: past the larger logical.
  REQUIRE(clock.update({200, 9}, 150) == HlcTimestamp{200, 10});
  REQUIRE(clock.update({200, 3}, 150) == HlcTimestamp{200, 11});
  // Received from the past: the local part leads.
  REQUIRE(clock.update({10, 70}, 150) == HlcTimestamp{200, 12});
  // Physical time overtook both: logical restarts.
  REQUIRE(clock.update({220, 4}, 300) == HlcTimestamp{300, 0});
}

TEST_CASE("HLC logical overflow moves to the next millisecond", "[crdt]") {
  HybridLogicalClock clock;
  const std::uint32_t max = std::numeric_limits<std::uint32_t>::max();
  REQUIRE(clock.update({7, max}, 0) == HlcTimestamp{8, 0});
  REQUIRE(clock.now(0) == HlcTimestamp{8, 1});
}

TEST_CASE("HLC stamps order by time, then replica", "[crdt]") {
  const HlcStamp a{{5, 1}, "n1"};
  const HlcStamp b{{5, 1}, "n2"};
  const HlcStamp c{{5, 2}, "n0"};
  REQUIRE(a < b);
  REQUIRE(b < c);
  REQUIRE(a == HlcStamp{{5, 1}, "n1"});
}

TEST_CASE("HLC is monotone and respects happened-before", "[crdt]") {
  rc::prop("random sends, receives and local events on three clocks", [] {
    // kind 0: local event; 1: send from `from` to `to` (delivered later, maybe never);
    // 2: deliver the oldest message in flight to its target.
    const auto ops =
        *rc::gen::container<std::vector<std::tuple<int, std::size_t, std::size_t, std::int64_t>>>(
            rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange<std::size_t>(0, kReplicaCount),
                           rc::gen::inRange<std::size_t>(0, kReplicaCount),
                           rc::gen::inRange<std::int64_t>(-5, 5)));
    std::array<HybridLogicalClock, kReplicaCount> clocks;
    std::array<std::int64_t, kReplicaCount> physical{};
    std::array<HlcTimestamp, kReplicaCount> previous{};
    struct Message {
      std::size_t to;
      HlcTimestamp sent;
    };
    std::vector<Message> in_flight;
    for (const auto& [kind, from, to, step] : ops) {
      // Physical clocks wander, backwards too.
      physical[from] += step;
      HlcTimestamp stamp;
      if (kind == 0 || kind == 1) {
        stamp = clocks[from].now(physical[from]);
        if (kind == 1) in_flight.push_back({to, stamp});
      } else if (!in_flight.empty()) {
        const Message message = in_flight.front();
        in_flight.erase(in_flight.begin());
        physical[message.to] += step;
        const std::size_t at = message.to;
        stamp = clocks[at].update(message.sent, physical[at]);
        // Happened-before: the receive is later than the send.
        RC_ASSERT(message.sent < stamp);
        RC_ASSERT(previous[at] < stamp);
        RC_ASSERT(stamp.physical_ms >= physical[at]);
        previous[at] = stamp;
        continue;
      } else {
        continue;
      }
      // Monotone, and never behind the physical reading.
      RC_ASSERT(previous[from] < stamp);
      RC_ASSERT(stamp.physical_ms >= physical[from]);
      RC_ASSERT(clocks[from].last() == stamp);
      previous[from] = stamp;
    }
  });
}

// --- LWW register ----------------------------------------------------------------------

TEST_CASE("LWW register keeps the write with the larger stamp", "[crdt]") {
  LwwRegister reg;
  REQUIRE_FALSE(reg.assigned());
  REQUIRE(reg.value().empty());
  REQUIRE(reg.set("a", {10, 0}, "n1"));
  REQUIRE(reg.assigned());
  REQUIRE(reg.value() == "a");
  REQUIRE_FALSE(reg.set("old", {9, 7}, "n2"));
  REQUIRE(reg.value() == "a");
  // Same timestamp: the larger replica id wins.
  REQUIRE(reg.set("b", {10, 0}, "n2"));
  REQUIRE_FALSE(reg.set("c", {10, 0}, "n0"));
  REQUIRE(reg.value() == "b");
  REQUIRE(reg.stamp() == HlcStamp{{10, 0}, "n2"});

  LwwRegister other;
  REQUIRE(other.set("z", {11, 0}, "n0"));
  const std::uint64_t before = reg.digest();
  REQUIRE(reg.merge(other));
  REQUIRE(reg.value() == "z");
  REQUIRE(reg.digest() != before);
  REQUIRE(reg.digest() == other.digest());
  REQUIRE_FALSE(reg.merge(other));
  REQUIRE_FALSE(reg.merge(LwwRegister{}));
  // An empty value written is still a write: distinct from unassigned.
  LwwRegister empty_write;
  empty_write.set("", {0, 0}, "");
  REQUIRE(empty_write.assigned());
  REQUIRE(empty_write.digest() != LwwRegister{}.digest());
}

TEST_CASE("LWW register merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent",
           [] { check_merge_laws(random_register(), random_register(), random_register()); });
}

TEST_CASE("LWW registers converge on the largest write", "[crdt]") {
  rc::prop("any delivery order and merge interleaving", [] {
    const auto writes = *rc::gen::container<std::vector<Write>>(gen_write());
    // Each write lands at some replica, in this order, with merges interleaved.
    const auto plan = *rc::gen::container<std::vector<std::tuple<std::size_t, std::size_t>>>(
        writes.size(), rc::gen::tuple(rc::gen::inRange<std::size_t>(0, kReplicaCount),
                                      rc::gen::inRange<std::size_t>(0, kReplicaCount)));
    std::vector<LwwRegister> replicas(kReplicaCount);
    for (std::size_t i = 0; i < writes.size(); ++i) {
      const auto& [at, merge_from] = plan[i];
      const Write& w = writes[i];
      replicas[at].set(kElements[w.element], w.time, kReplicas[w.replica]);
      merge_into(replicas[merge_from], replicas[at]);
    }
    gossip_fully(replicas);
    for (const LwwRegister& r : replicas) require_same(r, replicas[0]);
    if (writes.empty()) {
      RC_ASSERT(!replicas[0].assigned());
      return;
    }
    const auto key = [](const Write& w) {
      return std::make_tuple(w.time, kReplicas[w.replica], kElements[w.element]);
    };
    const Write& winner =
        *std::max_element(writes.begin(), writes.end(),
                          [&](const Write& a, const Write& b) { return key(a) < key(b); });
    RC_ASSERT(replicas[0].value() == kElements[winner.element]);
    RC_ASSERT((replicas[0].stamp() == HlcStamp{winner.time, kReplicas[winner.replica]}));
  });
}

// --- Counters ----------------------------------------------------------------------------

TEST_CASE("G-counter sums per-replica counts and merges by maximum", "[crdt]") {
  GCounter a;
  REQUIRE(a.value() == 0);
  REQUIRE(a.increment("n0", 3));
  REQUIRE(a.increment("n1"));
  REQUIRE(a.increment("n0", 0));
  REQUIRE(a.value() == 4);
  REQUIRE(a.count_of("n0") == 3);
  REQUIRE(a.count_of("n9") == 0);

  GCounter b;
  REQUIRE(b.increment("n0", 1));
  REQUIRE(b.increment("n2", 10));
  REQUIRE(a.merge(b));
  REQUIRE(a.value() == 14);
  REQUIRE_FALSE(a.merge(b));
  REQUIRE(a.entries() == GCounter::Entries{{"n0", 3}, {"n1", 1}, {"n2", 10}});

  // Received entries only raise counts; zero counts are never stored.
  REQUIRE_FALSE(a.merge_entry("n2", 4));
  REQUIRE(a.merge_entry("n2", 12));
  REQUIRE_FALSE(a.merge_entry("n3", 0));
  REQUIRE(a.entries().size() == 3);
  GCounter zero;
  REQUIRE(zero.increment("n0", 0));
  REQUIRE(zero == GCounter{});
}

TEST_CASE("G-counter refuses overflow and saturates its sum", "[crdt]") {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  GCounter c;
  REQUIRE(c.increment("n0", max - 1));
  REQUIRE_FALSE(c.increment("n0", 2));
  REQUIRE(c.count_of("n0") == max - 1);
  REQUIRE(c.increment("n1", 5));
  REQUIRE(c.value() == max);
}

TEST_CASE("G-counter digests follow contents", "[crdt]") {
  GCounter a;
  GCounter b;
  REQUIRE(a.digest() == b.digest());
  a.increment("n0", 2);
  REQUIRE(a.digest() != b.digest());
  b.increment("n0", 1);
  b.increment("n0", 1);
  REQUIRE(a.digest() == b.digest());
  // Same total, different owners: different states.
  GCounter c;
  c.increment("n1", 2);
  REQUIRE(c.value() == a.value());
  REQUIRE(c.digest() != a.digest());
}

TEST_CASE("G-counter merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent",
           [] { check_merge_laws(random_g_counter(), random_g_counter(), random_g_counter()); });
}

TEST_CASE("PN-counter adds both ways", "[crdt]") {
  PnCounter c;
  REQUIRE(c.add("n0", 5));
  REQUIRE(c.add("n1", -8));
  REQUIRE(c.add("n0", -1));
  REQUIRE(c.value() == -4);
  using PnEntries = std::map<std::string, PnCounter::Entry, std::less<>>;
  REQUIRE(c.entries() == PnEntries{{"n0", {5, 1}}, {"n1", {0, 8}}});
  PnCounter d;
  REQUIRE(d.merge_entry("n1", {2, 8}));
  REQUIRE_FALSE(d.merge_entry("n1", {1, 3}));
  REQUIRE(c.merge(d));
  REQUIRE(c.value() == -2);
  REQUIRE(c.increments().count_of("n1") == 2);
  REQUIRE(c.decrements().count_of("n1") == 8);

  // The extremes: INT64_MIN has no positive counterpart, and the value is clamped.
  PnCounter extreme;
  REQUIRE(extreme.add("n0", std::numeric_limits<std::int64_t>::min()));
  REQUIRE(extreme.value() == std::numeric_limits<std::int64_t>::min());
  REQUIRE(extreme.add("n1", std::numeric_limits<std::int64_t>::min()));
  REQUIRE(extreme.value() == std::numeric_limits<std::int64_t>::min());
  REQUIRE(extreme.add("n2", std::numeric_limits<std::int64_t>::max()));
  REQUIRE(extreme.add("n3", std::numeric_limits<std::int64_t>::max()));
  REQUIRE(extreme.value() == -2);
}

TEST_CASE("PN-counter merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent",
           [] { check_merge_laws(random_pn_counter(), random_pn_counter(), random_pn_counter()); });
}

TEST_CASE("counters converge to the sum of all updates", "[crdt]") {
  rc::prop("any interleaving of updates and merges", [] {
    // kind 0: replica adds delta; kind 1: replica merges from another.
    const auto ops =
        *rc::gen::container<std::vector<std::tuple<int, std::size_t, std::size_t, std::int64_t>>>(
            rc::gen::tuple(rc::gen::inRange(0, 2), rc::gen::inRange<std::size_t>(0, kReplicaCount),
                           rc::gen::inRange<std::size_t>(0, kReplicaCount),
                           rc::gen::inRange<std::int64_t>(-50, 50)));
    std::vector<GCounter> grow(kReplicaCount);
    std::vector<PnCounter> both(kReplicaCount);
    std::uint64_t grow_sum = 0;
    std::int64_t both_sum = 0;
    for (const auto& [kind, replica, other, delta] : ops) {
      if (kind == 0) {
        const auto magnitude = static_cast<std::uint64_t>(delta < 0 ? -delta : delta);
        RC_ASSERT(grow[replica].increment(kReplicas[replica], magnitude));
        RC_ASSERT(both[replica].add(kReplicas[replica], delta));
        grow_sum += magnitude;
        both_sum += delta;
      } else {
        merge_into(grow[replica], grow[other]);
        merge_into(both[replica], both[other]);
      }
    }
    gossip_fully(grow);
    gossip_fully(both);
    for (std::size_t i = 0; i < kReplicaCount; ++i) {
      require_same(grow[i], grow[0]);
      require_same(both[i], both[0]);
    }
    RC_ASSERT(grow[0].value() == grow_sum);
    RC_ASSERT(both[0].value() == both_sum);
  });
}

// --- Version vector ----------------------------------------------------------------------

TEST_CASE("version vectors: advance, cover, dominate, merge", "[crdt]") {
  VersionVector a;
  REQUIRE(a.empty());
  REQUIRE(a.get("n0") == 0);
  REQUIRE(a.advance("n0", 3));
  REQUIRE_FALSE(a.advance("n0", 2));
  REQUIRE_FALSE(a.advance("n1", 0));
  REQUIRE(a.entries().size() == 1);
  REQUIRE(a.covers(Dot{"n0", 3}));
  REQUIRE_FALSE(a.covers(Dot{"n0", 4}));
  REQUIRE_FALSE(a.covers(Dot{"n0", 0}));
  REQUIRE_FALSE(a.covers(Dot{"n1", 1}));

  VersionVector b;
  b.advance("n1", 1);
  REQUIRE(a.dominates(VersionVector{}));
  REQUIRE_FALSE(a.dominates(b));
  REQUIRE_FALSE(b.dominates(a));
  VersionVector c = a;
  c.merge(b);
  REQUIRE(c.dominates(a));
  REQUIRE(c.dominates(b));
  REQUIRE(c.entries() == VersionVector::Entries{{"n0", 3}, {"n1", 1}});
  REQUIRE(c.digest() != a.digest());
  VersionVector d = b;
  d.merge(a);
  REQUIRE(c == d);
  REQUIRE(c.digest() == d.digest());
}

TEST_CASE("version vector merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent; merge dominates both", [] {
    const VersionVector a = random_version_vector();
    const VersionVector b = random_version_vector();
    check_merge_laws(a, b, random_version_vector());
    const VersionVector ab = joined(a, b);
    RC_ASSERT(ab.dominates(a));
    RC_ASSERT(ab.dominates(b));
    RC_ASSERT(a.dominates(b) == (ab == a));
  });
}

// --- Grow-only set -----------------------------------------------------------------------

TEST_CASE("G-set: local adds get consecutive dots; duplicates are skipped", "[crdt]") {
  GrowOnlySet set;
  REQUIRE(set.add_local("n0", "b") == Dot{"n0", 1});
  REQUIRE(set.add_local("n0", "a") == Dot{"n0", 2});
  REQUIRE(set.add_local("n1", "c") == Dot{"n1", 1});
  REQUIRE_FALSE(set.add_local("n1", "a").has_value());
  REQUIRE(set.contains("a"));
  REQUIRE_FALSE(set.contains("z"));
  REQUIRE(std::vector<std::string>(set.elements().begin(), set.elements().end()) ==
          std::vector<std::string>{"a", "b", "c"});
  REQUIRE(set.size() == 3);
  REQUIRE(set.entry_count() == 3);
  REQUIRE(set.version_vector().entries() == VersionVector::Entries{{"n0", 2}, {"n1", 1}});
  REQUIRE(set.digest() == set.version_vector().digest());
}

TEST_CASE("G-set: missing_for sends what the peer lacks, round-robin and bounded", "[crdt]") {
  GrowOnlySet set;
  for (const char* e : {"a1", "a2", "a3"}) set.add_local("a", e);
  for (const char* e : {"b1", "b2"}) set.add_local("b", e);
  set.add_local("c", "c1");

  using Delta = GrowOnlySet::Delta;
  REQUIRE(set.missing_for(VersionVector{}, kUnbounded) == std::vector<Delta>{{"a", 1, "a1"},
                                                                             {"b", 1, "b1"},
                                                                             {"c", 1, "c1"},
                                                                             {"a", 2, "a2"},
                                                                             {"b", 2, "b2"},
                                                                             {"a", 3, "a3"}});
  REQUIRE(set.missing_for(VersionVector{}, 4) ==
          std::vector<Delta>{{"a", 1, "a1"}, {"b", 1, "b1"}, {"c", 1, "c1"}, {"a", 2, "a2"}});
  REQUIRE(set.missing_for(VersionVector{}, 0).empty());

  VersionVector peer;
  peer.advance("a", 2);
  peer.advance("c", 5);  // ahead of us: nothing to send for c
  peer.advance("z", 1);  // unknown to us
  REQUIRE(set.missing_for(peer, kUnbounded) ==
          std::vector<Delta>{{"a", 3, "a3"}, {"b", 1, "b1"}, {"b", 2, "b2"}});
  REQUIRE(set.missing_for(set.version_vector(), kUnbounded).empty());
}

TEST_CASE("G-set: merge takes only the next seq of each origin", "[crdt]") {
  using Delta = GrowOnlySet::Delta;
  GrowOnlySet set;
  // Out of order: seq 2 before seq 1 is ignored, never leaving a gap.
  const std::vector<Delta> batch = {{"n1", 2, "y"}, {"n1", 1, "x"}, {"n2", 1, "x"}};
  REQUIRE(set.merge(batch) == 2);
  REQUIRE(set.version_vector().entries() == VersionVector::Entries{{"n1", 1}, {"n2", 1}});
  REQUIRE_FALSE(set.contains("y"));
  // The same element under two origins: two entries, one element.
  REQUIRE(set.size() == 1);
  REQUIRE(set.entry_count() == 2);
  // Duplicates and seq 0 change nothing; the missing entry is taken when offered again.
  REQUIRE(set.merge(batch) == 1);
  REQUIRE(set.contains("y"));
  REQUIRE(set.merge(batch) == 0);
  const std::vector<Delta> bad = {{"n3", 0, "zero"}, {"n3", 2, "gap"}};
  REQUIRE(set.merge(bad) == 0);
  REQUIRE(set.version_vector().get("n3") == 0);
  // A local add continues its origin's log after merged entries.
  REQUIRE(set.add_local("n1", "z") == Dot{"n1", 3});
}

TEST_CASE("G-set merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent over consistent states", [] {
    const auto [a, b, c] = random_consistent_g_sets();
    check_merge_laws(a, b, c);
    check_no_gap(joined(joined(a, b), c));
  });
}

TEST_CASE("G-set: bounded delta exchange converges to the union without gaps", "[crdt]") {
  rc::prop("random adds and exchanges over a lossy, reordering network", [] {
    const auto max_entries = *rc::gen::inRange<std::size_t>(1, 5);
    // kind 0-1: `a` adds an element; kind 2-3: `b` asks `a` for what it misses and gets the
    // batch intact; kind 4: the batch arrives shuffled, truncated or repeated.
    const auto ops = *rc::gen::container<
        std::vector<std::tuple<int, std::size_t, std::size_t, std::size_t, std::uint64_t>>>(
        rc::gen::tuple(rc::gen::inRange(0, 5), rc::gen::inRange<std::size_t>(0, kReplicaCount),
                       rc::gen::inRange<std::size_t>(0, kReplicaCount),
                       rc::gen::inRange<std::size_t>(0, kElements.size()),
                       rc::gen::arbitrary<std::uint64_t>()));
    std::vector<GrowOnlySet> replicas(kReplicaCount);
    std::set<std::string, std::less<>> added;
    for (const auto& [kind, a, b, element, noise] : ops) {
      if (kind <= 1) {
        const bool was_present = replicas[a].contains(kElements[element]);
        const auto dot = replicas[a].add_local(kReplicas[a], kElements[element]);
        RC_ASSERT(dot.has_value() != was_present);
        added.insert(kElements[element]);
      } else if (a != b) {
        auto batch = replicas[a].missing_for(replicas[b].version_vector(), max_entries);
        RC_ASSERT(batch.size() <= max_entries);
        if (kind == 4 && !batch.empty()) {
          // Deterministic mangling from the drawn noise.
          std::uint64_t x = noise;
          for (std::size_t i = batch.size() - 1; i > 0; --i) {
            std::swap(batch[i], batch[x % (i + 1)]);
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
          }
          batch.resize(1 + x % batch.size());
          const auto copy = batch;
          batch.insert(batch.end(), copy.begin(), copy.end());
        }
        const VersionVector before = replicas[b].version_vector();
        replicas[b].merge(batch);
        RC_ASSERT(replicas[b].version_vector().dominates(before));
        check_no_gap(replicas[b]);
      }
    }
    // Anti-entropy with the bound: rounds over all ordered pairs until every digest agrees.
    // Each exchange that finds a difference moves at least one entry, so this ends.
    std::size_t total_entries = 0;
    for (const GrowOnlySet& r : replicas) total_entries += r.entry_count();
    const std::size_t round_limit = kReplicaCount * total_entries + 2;
    std::size_t rounds = 0;
    const auto converged = [&] {
      return std::all_of(replicas.begin(), replicas.end(),
                         [&](const GrowOnlySet& r) { return r.digest() == replicas[0].digest(); });
    };
    while (!converged()) {
      RC_ASSERT(rounds++ < round_limit);
      for (std::size_t from = 0; from < kReplicaCount; ++from) {
        for (std::size_t to = 0; to < kReplicaCount; ++to) {
          if (from == to) continue;
          replicas[to].merge(
              replicas[from].missing_for(replicas[to].version_vector(), max_entries));
          check_no_gap(replicas[to]);
        }
      }
    }
    for (const GrowOnlySet& r : replicas) {
      RC_ASSERT(r == replicas[0]);
      RC_ASSERT(r.elements() == added);
    }
  });
}

// --- OR-set ------------------------------------------------------------------------------

TEST_CASE("OR-set: add, remove, re-add", "[crdt]") {
  OrSet set;
  REQUIRE(set.add("n0", "x") == Dot{"n0", 1});
  REQUIRE(set.add("n0", "y") == Dot{"n0", 2});
  REQUIRE(set.elements() == std::vector<std::string>{"x", "y"});
  REQUIRE(set.remove("x"));
  REQUIRE_FALSE(set.remove("x"));
  REQUIRE_FALSE(set.contains("x"));
  REQUIRE(set.add("n0", "x") == Dot{"n0", 3});
  REQUIRE(set.contains("x"));
  REQUIRE(set.size() == 2);
  REQUIRE(set.context().get("n0") == 3);
}

TEST_CASE("OR-set: a remove cancels only the adds it observed (add wins)", "[crdt]") {
  OrSet a;
  OrSet b;
  a.add("n0", "x");
  b.merge(a);
  REQUIRE(b.contains("x"));
  // Concurrently: b removes x (having seen a's add) while a adds x again.
  REQUIRE(b.remove("x"));
  a.add("n0", "x");
  OrSet ab = a;
  ab.merge(b);
  OrSet ba = b;
  ba.merge(a);
  REQUIRE(ab.contains("x"));
  REQUIRE(ab == ba);

  // A remove of everything observed, with no concurrent add, wins on both sides.
  OrSet c;
  c.merge(ab);
  REQUIRE(c.remove("x"));
  ab.merge(c);
  REQUIRE_FALSE(ab.contains("x"));
  c.merge(ab);
  REQUIRE(c == ab);
  REQUIRE(c.digest() == ab.digest());

  // A removal is not undone by merging an older state that still had the element.
  OrSet old;
  old.add("n1", "y");
  OrSet d = old;
  REQUIRE(d.remove("y"));
  d.merge(old);
  REQUIRE_FALSE(d.contains("y"));
}

TEST_CASE("OR-set merge laws", "[crdt]") {
  rc::prop("commutative, associative, idempotent over reachable states", [] {
    const std::vector<OrSet> replicas = random_or_set_replicas();
    check_merge_laws(replicas[0], replicas[1], replicas[2]);
  });
}

TEST_CASE("OR-set replicas converge; without removes they hold every add", "[crdt]") {
  rc::prop("any interleaving of adds, removes and merges", [] {
    std::vector<OrSet> replicas = random_or_set_replicas();
    gossip_fully(replicas);
    for (const OrSet& r : replicas) require_same(r, replicas[0]);

    // Grow-only use: the union of the adds.
    const auto adds = *rc::gen::container<std::vector<std::tuple<std::size_t, std::size_t>>>(
        rc::gen::tuple(rc::gen::inRange<std::size_t>(0, kReplicaCount),
                       rc::gen::inRange<std::size_t>(0, kElements.size())));
    std::vector<OrSet> grow(kReplicaCount);
    std::set<std::string> expected;
    for (const auto& [replica, element] : adds) {
      grow[replica].add(kReplicas[replica], kElements[element]);
      expected.insert(kElements[element]);
    }
    gossip_fully(grow);
    for (const OrSet& r : grow) {
      RC_ASSERT(r.elements() == std::vector<std::string>(expected.begin(), expected.end()));
    }
  });
}
