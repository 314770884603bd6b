// The checkers behind eddy-maelstrom-runner's verdicts, on hand-made histories: compare-and-set
// in the linearizability checker (lin-kv), Jepsen's set-full (g-set, broadcast) and the counter
// bounds (g-counter, pn-counter).

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/check/counter_bounds.h"
#include "sim/check/history.h"
#include "sim/check/linearizability.h"
#include "sim/check/set_full.h"

namespace {

using eddy::sim::check_counter_bounds;
using eddy::sim::check_linearizable;
using eddy::sim::check_set_full;
using eddy::sim::CounterAdd;
using eddy::sim::CounterRead;
using eddy::sim::History;
using eddy::sim::Op;
using eddy::sim::OpKind;
using eddy::sim::OpOutcome;
using eddy::sim::SetAdd;
using eddy::sim::SetHistory;
using eddy::sim::SetRead;
using eddy::sim::SetVerdict;

constexpr std::int64_t kMs = 1'000'000;

// lin-kv histories as the runner records them: values are canonical JSON text.
class KvBuilder {
 public:
  Op& read(std::int64_t invoke, std::int64_t complete, std::optional<std::string> value,
           std::string key = "0") {
    Op& op = add(invoke, complete, OpKind::kGet, std::move(key));
    op.value = std::move(value);
    return op;
  }
  Op& write(std::int64_t invoke, std::int64_t complete, std::string value,
            std::string key = "0") {
    Op& op = add(invoke, complete, OpKind::kSet, std::move(key));
    op.argument = std::move(value);
    return op;
  }
  Op& cas(std::int64_t invoke, std::int64_t complete, std::string from, std::string to,
          std::string key = "0") {
    Op& op = add(invoke, complete, OpKind::kSet, std::move(key));
    op.expected = std::move(from);
    op.argument = std::move(to);
    return op;
  }
  const History& history() const { return history_; }

 private:
  Op& add(std::int64_t invoke, std::int64_t complete, OpKind kind, std::string key) {
    Op op;
    op.id = history_.ops.size() + 1;
    op.client = static_cast<std::uint32_t>(history_.ops.size());
    op.invoke_ns = invoke;
    op.complete_ns = complete;
    op.kind = kind;
    op.key = std::move(key);
    history_.ops.push_back(op);
    return history_.ops.back();
  }
  History history_;
};

Op& unknown(Op& op) {
  op.outcome = OpOutcome::kUnknown;
  op.complete_ns = 0;
  return op;
}
Op& failed(Op& op) {
  op.outcome = OpOutcome::kFailed;
  return op;
}

bool linearizable(const KvBuilder& b) {
  const auto result = check_linearizable(b.history());
  if (!result.ok) UNSCOPED_INFO(result.explanation);
  return result.ok && !result.exhausted;
}

}  // namespace

TEST_CASE("cas: a successful cas after the write it expects is linearizable",
          "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "1");
  b.cas(20, 30, "1", "4");
  b.read(40, 50, "4");
  CHECK(linearizable(b));
}

TEST_CASE("cas: an ok cas from the wrong value is not linearizable", "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "1");
  b.cas(20, 30, "2", "4");
  const auto result = check_linearizable(b.history());
  CHECK_FALSE(result.ok);
  CHECK(result.key == "0");
  CHECK(result.explanation.find("CAS 0 \"2\" \"4\"") != std::string::npos);
  CHECK(result.explanation.find("refused (value differs)") != std::string::npos);
}

TEST_CASE("cas: an ok cas on a missing key is not linearizable (nil equals nothing)",
          "[maelstrom-check]") {
  KvBuilder b;
  b.cas(0, 10, "null", "1");
  CHECK_FALSE(linearizable(b));
  KvBuilder c;
  c.cas(0, 10, "", "1");
  CHECK_FALSE(linearizable(c));
}

TEST_CASE("cas: a read after an ok cas must see its value", "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "1");
  b.cas(20, 30, "1", "4");
  b.read(40, 50, "1");
  CHECK_FALSE(linearizable(b));
}

TEST_CASE("cas: concurrent ops may order themselves to let the cas succeed",
          "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 100, "1");      // takes effect somewhere in [0, 100]
  b.cas(10, 50, "1", "2");   // so the write must come first
  b.read(60, 70, "2");
  CHECK(linearizable(b));

  // Two cas ops from the same value cannot both succeed without a write in between.
  KvBuilder c;
  c.write(0, 10, "1");
  c.cas(20, 40, "1", "2");
  c.cas(20, 40, "1", "3");
  CHECK_FALSE(linearizable(c));
}

TEST_CASE("cas: a refused (failed) cas is dropped", "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "1");
  failed(b.cas(20, 30, "1", "4"));  // e.g. error 22 though it would have matched: no effect
  b.read(40, 50, "1");
  CHECK(linearizable(b));
}

TEST_CASE("cas: an unknown cas may take effect later or never", "[maelstrom-check]") {
  SECTION("took effect") {
    KvBuilder b;
    b.write(0, 10, "1");
    unknown(b.cas(20, 0, "1", "4"));
    b.read(40, 50, "4");
    CHECK(linearizable(b));
  }
  SECTION("never took effect") {
    KvBuilder b;
    b.write(0, 10, "1");
    unknown(b.cas(20, 0, "1", "4"));
    b.read(40, 50, "1");
    b.read(60, 70, "1");
    CHECK(linearizable(b));
  }
  SECTION("took effect late") {
    KvBuilder b;
    b.write(0, 10, "1");
    unknown(b.cas(20, 0, "1", "4"));
    b.read(40, 50, "1");
    b.read(60, 70, "4");
    CHECK(linearizable(b));
  }
  SECTION("cannot be undone") {
    KvBuilder b;
    b.write(0, 10, "1");
    unknown(b.cas(20, 0, "1", "4"));
    b.read(40, 50, "4");
    b.read(60, 70, "1");
    CHECK_FALSE(linearizable(b));
  }
  SECTION("cannot apply where its expected value is absent") {
    KvBuilder b;
    b.write(0, 10, "2");
    unknown(b.cas(20, 0, "1", "4"));
    b.read(40, 50, "4");
    CHECK_FALSE(linearizable(b));
  }
  SECTION("cannot take effect before it was sent") {
    KvBuilder b;
    b.write(0, 10, "1");
    b.read(20, 30, "4");
    unknown(b.cas(40, 0, "1", "4"));
    CHECK_FALSE(linearizable(b));
  }
  SECTION("twin unknown cas ops can apply one after the other") {
    KvBuilder b;
    b.write(0, 10, "1");
    unknown(b.cas(20, 0, "1", "2"));
    unknown(b.cas(21, 0, "2", "1"));
    unknown(b.cas(22, 0, "1", "2"));
    b.read(40, 50, "2");
    b.read(60, 70, "2");
    CHECK(linearizable(b));
  }
}

TEST_CASE("cas: an unknown write can enable a later ok cas", "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "0");
  unknown(b.write(20, 0, "3"));
  b.cas(40, 50, "3", "1");
  b.read(60, 70, "1");
  CHECK(linearizable(b));

  KvBuilder c;  // without that write the cas has nothing to find
  c.write(0, 10, "0");
  failed(c.write(20, 30, "3"));
  c.cas(40, 50, "3", "1");
  CHECK_FALSE(linearizable(c));
}

TEST_CASE("cas: keys are independent and start as nil", "[maelstrom-check]") {
  KvBuilder b;
  b.write(0, 10, "1", "0");
  b.cas(20, 30, "1", "2", "0");
  b.read(20, 30, std::nullopt, "1");
  b.write(40, 50, "1", "1");
  b.read(60, 70, "1", "1");
  b.read(60, 70, "2", "0");
  CHECK(linearizable(b));
  b.read(80, 90, "2", "1");
  const auto result = check_linearizable(b.history());
  CHECK_FALSE(result.ok);
  CHECK(result.key == "1");
}

TEST_CASE("cas: describe shows compare-and-set", "[maelstrom-check]") {
  KvBuilder b;
  Op& op = b.cas(1000, 2000, "1", "4");
  CHECK(describe(op) == "c0 #1 [1000,2000] CAS 0 \"1\" \"4\" -> OK");
}

// ---------------------------------------------------------------------------------------------
// set-full

namespace {

SetAdd set_add(std::int64_t element, std::int64_t invoke, std::int64_t complete,
               OpOutcome outcome = OpOutcome::kOk) {
  return SetAdd{element, invoke, complete, outcome};
}
SetRead set_read(std::int64_t invoke, std::int64_t complete, std::vector<std::int64_t> elements) {
  return SetRead{invoke, complete, std::move(elements)};
}

}  // namespace

TEST_CASE("set-full: elements read back are stable", "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10), set_add(1, 20, 30)};
  h.reads = {set_read(40, 50, {0, 1}), set_read(60, 70, {1, 0})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.attempt_count == 2);
  CHECK(r.stable_count == 2);
  CHECK(r.lost_count == 0);
  CHECK(r.stale_count == 0);
}

TEST_CASE("set-full: an acknowledged element missing from every later read is lost",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10), set_add(1, 0, 10)};
  h.reads = {set_read(20, 30, {0, 1}), set_read(40, 50, {1})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kInvalid);
  CHECK(r.lost_count == 1);
  REQUIRE(r.lost.size() == 1);
  CHECK(r.lost[0].element == 0);
  CHECK(r.lost[0].last_present_ns == 20);
  CHECK(r.lost[0].last_absent_ns == 40);
  CHECK(r.explanation.find("lost (first 1): 0") != std::string::npos);
}

TEST_CASE("set-full: acknowledged but never seen, then missed by a later read, is lost",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10), set_add(1, 0, 10)};
  h.reads = {set_read(20, 30, {1})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kInvalid);
  REQUIRE(r.lost.size() == 1);
  CHECK(r.lost[0].element == 0);
  CHECK(r.lost[0].last_present_ns == -1);
}

TEST_CASE("set-full: an unacknowledged add that a read saw is known, so can be lost",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 0, OpOutcome::kUnknown), set_add(1, 0, 10)};
  h.reads = {set_read(20, 30, {0, 1}), set_read(40, 50, {1})};
  CHECK(check_set_full(h).verdict == SetVerdict::kInvalid);

  // Never seen and never acknowledged: nothing is known of it, so its absence means nothing.
  SetHistory g;
  g.adds = {set_add(0, 0, 0, OpOutcome::kUnknown), set_add(1, 0, 10)};
  g.reads = {set_read(20, 30, {1}), set_read(40, 50, {1})};
  const auto r = check_set_full(g);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.never_read_count == 1);
  CHECK(r.never_read == std::vector<std::int64_t>{0});
}

TEST_CASE("set-full: a miss concurrent with the add is never-read, not lost",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10), set_add(1, 0, 1)};
  // Invoked before the add completed: it may have run before the add took effect.
  h.reads = {set_read(5, 20, {1})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.never_read_count == 1);
  CHECK(r.stable_count == 1);
}

TEST_CASE("set-full: a miss followed by a later sighting is stale, not lost",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10)};
  h.reads = {set_read(5 * kMs, 6 * kMs, {}), set_read(7 * kMs, 8 * kMs, {0})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.stable_count == 1);
  CHECK(r.stale_count == 1);
  REQUIRE(r.worst_stale.size() == 1);
  CHECK(r.worst_stale[0].latency_ms == 4);  // 5 ms + 1 ns after 10 ns
}

TEST_CASE("set-full: seen, missed, seen again is stable", "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10)};
  h.reads = {set_read(20, 30, {0}), set_read(40, 50, {}), set_read(60, 70, {0})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.stable_count == 1);
}

TEST_CASE("set-full: the latest-invoked read decides, not the latest completed",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 0, 10), set_add(1, 0, 10)};
  // The miss was invoked after the sighting, though it completed first.
  h.reads = {set_read(20, 100, {0, 1}), set_read(30, 40, {1})};
  CHECK(check_set_full(h).verdict == SetVerdict::kInvalid);
  // The other way round: the sighting was invoked last.
  SetHistory g;
  g.adds = {set_add(0, 0, 10), set_add(1, 0, 10)};
  g.reads = {set_read(20, 100, {1}), set_read(30, 40, {0, 1})};
  CHECK(check_set_full(g).verdict == SetVerdict::kValid);
}

TEST_CASE("set-full: reads that completed before the add was invoked do not count",
          "[maelstrom-check]") {
  SetHistory h;
  h.adds = {set_add(0, 100, 110)};
  h.reads = {set_read(0, 10, {}), set_read(120, 130, {0})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.stale_count == 0);
}

TEST_CASE("set-full: nothing read back is unknown; strangers are counted, not judged",
          "[maelstrom-check]") {
  SetHistory none;
  CHECK(check_set_full(none).verdict == SetVerdict::kUnknown);

  SetHistory unread;
  unread.adds = {set_add(0, 0, 10)};
  CHECK(check_set_full(unread).verdict == SetVerdict::kUnknown);

  SetHistory h;
  h.adds = {set_add(0, 0, 10)};
  h.reads = {set_read(20, 30, {0, 0, 7})};
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kValid);
  CHECK(r.unexpected_count == 1);
  CHECK(r.duplicated_count == 1);
}

TEST_CASE("set-full: many elements, one lost after a partition", "[maelstrom-check]") {
  SetHistory h;
  std::vector<std::int64_t> all;
  for (std::int64_t e = 0; e < 500; ++e) {
    h.adds.push_back(set_add(e, e * 100, e * 100 + 50));
    all.push_back(e);
  }
  h.reads.push_back(set_read(60'000, 60'010, all));
  std::vector<std::int64_t> forgot = all;
  forgot.erase(forgot.begin() + 123);
  h.reads.push_back(set_read(70'000, 70'010, forgot));
  const auto r = check_set_full(h);
  CHECK(r.verdict == SetVerdict::kInvalid);
  CHECK(r.stable_count == 499);
  CHECK(r.lost_count == 1);
  REQUIRE(r.lost.size() == 1);
  CHECK(r.lost[0].element == 123);
}

// ---------------------------------------------------------------------------------------------
// counters

namespace {

CounterRead final_read(std::int64_t value) {
  CounterRead r;
  r.value = value;
  return r;
}

}  // namespace

TEST_CASE("counter: acknowledged adds only", "[maelstrom-check]") {
  const std::vector<CounterAdd> adds = {{1, OpOutcome::kOk}, {2, OpOutcome::kOk},
                                        {3, OpOutcome::kOk}, {0, OpOutcome::kOk}};
  auto r = check_counter_bounds(adds, {final_read(6), final_read(6)});
  CHECK(r.ok);
  CHECK(r.definite_sum == 6);
  CHECK(r.acceptable == std::vector<std::pair<std::int64_t, std::int64_t>>{{6, 6}});
  r = check_counter_bounds(adds, {final_read(6), final_read(5)});
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].value == 5);
}

TEST_CASE("counter: unknown adds may or may not count, each at most once",
          "[maelstrom-check]") {
  const std::vector<CounterAdd> adds = {
      {1, OpOutcome::kOk}, {2, OpOutcome::kUnknown}, {3, OpOutcome::kUnknown}};
  const auto r = check_counter_bounds(adds, {});
  CHECK(r.ok);
  CHECK(r.acceptable ==
        std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {3, 4}, {6, 6}});
  for (const std::int64_t v : {1, 3, 4, 6}) {
    CHECK(check_counter_bounds(adds, {final_read(v)}).ok);
  }
  for (const std::int64_t v : {0, 2, 5, 7, 9}) {
    CHECK_FALSE(check_counter_bounds(adds, {final_read(v)}).ok);
  }
}

TEST_CASE("counter: negative deltas (pn-counter) and failed adds", "[maelstrom-check]") {
  const std::vector<CounterAdd> adds = {{-5, OpOutcome::kOk},
                                        {-3, OpOutcome::kUnknown},
                                        {4, OpOutcome::kUnknown},
                                        {100, OpOutcome::kFailed}};
  const auto r = check_counter_bounds(adds, {final_read(-8), final_read(-1)});
  CHECK(r.ok);
  CHECK(r.acceptable ==
        std::vector<std::pair<std::int64_t, std::int64_t>>{{-8, -8}, {-5, -4}, {-1, -1}});
  CHECK_FALSE(check_counter_bounds(adds, {final_read(95)}).ok);
  CHECK_FALSE(check_counter_bounds(adds, {final_read(-6)}).ok);
  CHECK(eddy::sim::describe_ranges(r.acceptable) == "[-8] [-5..-4] [-1]");
}

TEST_CASE("counter: many unknown adds fill a range", "[maelstrom-check]") {
  std::vector<CounterAdd> adds;
  for (int i = 0; i < 1000; ++i) adds.push_back({(i % 10) - 5, OpOutcome::kUnknown});
  adds.push_back({7, OpOutcome::kOk});
  const auto r = check_counter_bounds(adds, {final_read(7), final_read(-1493), final_read(1007)});
  CHECK(r.ok);
  CHECK(r.acceptable == std::vector<std::pair<std::int64_t, std::int64_t>>{{-1493, 1007}});
  CHECK_FALSE(check_counter_bounds(adds, {final_read(1008)}).ok);
}

TEST_CASE("counter: a dropped increment shows in the final reads", "[maelstrom-check]") {
  // g-counter adds 0..4; the node acknowledged the 3 but never applied it.
  const std::vector<CounterAdd> adds = {
      {1, OpOutcome::kOk}, {3, OpOutcome::kOk}, {4, OpOutcome::kOk}, {2, OpOutcome::kUnknown}};
  CHECK(check_counter_bounds(adds, {final_read(8), final_read(10)}).ok);
  const auto r = check_counter_bounds(adds, {final_read(5), final_read(8)});
  CHECK_FALSE(r.ok);
  CHECK(r.explanation.find("outside the acceptable set: 5") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// eddy-maelstrom-runner's pieces that follow Maelstrom/Jepsen to the letter: topologies,
// partition grudges, how replies become completions, the lin-kv generator.

#include "maelstrom/runner/options.h"
#include "maelstrom/runner/partition.h"
#include "maelstrom/runner/topology.h"
#include "maelstrom/runner/workload.h"

namespace {

namespace mr = eddy::maelstrom::runner;
using Neighbours = std::vector<std::pair<std::string, std::vector<std::string>>>;

std::vector<std::string> node_names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

std::size_t dropped_by(const mr::Grudge& g, std::size_t receiver) {
  std::size_t count = 0;
  for (std::size_t s = 0; s < g.drops.size(); ++s) count += g.dropping(receiver, s) ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("runner: topologies as Maelstrom computes them", "[maelstrom-runner]") {
  CHECK(mr::make_topology("grid", node_names(5)) ==
        Neighbours{{"n0", {"n3", "n1"}},
                   {"n1", {"n4", "n2", "n0"}},
                   {"n2", {"n1"}},
                   {"n3", {"n0", "n4"}},
                   {"n4", {"n1", "n3"}}});
  CHECK(mr::make_topology("line", node_names(3)) ==
        Neighbours{{"n0", {"n1"}}, {"n1", {"n0", "n2"}}, {"n2", {"n1"}}});
  CHECK(mr::make_topology("line", node_names(1)).empty());
  CHECK(mr::make_topology("total", node_names(3)) ==
        Neighbours{{"n0", {"n1", "n2"}}, {"n1", {"n0", "n2"}}, {"n2", {"n0", "n1"}}});
  CHECK(mr::make_topology("tree2", node_names(7)) ==
        Neighbours{{"n0", {"n1", "n2"}},
                   {"n1", {"n0", "n3", "n4"}},
                   {"n2", {"n0", "n5", "n6"}},
                   {"n3", {"n1"}},
                   {"n4", {"n1"}},
                   {"n5", {"n2"}},
                   {"n6", {"n2"}}});
  CHECK(mr::make_topology("tree3", node_names(5)) ==
        Neighbours{{"n0", {"n1", "n2", "n3"}},
                   {"n1", {"n0", "n4"}},
                   {"n2", {"n0"}},
                   {"n3", {"n0"}},
                   {"n4", {"n1"}}});
  const Neighbours tree4 = mr::make_topology("tree4", node_names(25));
  REQUIRE(tree4.size() == 25);
  CHECK(tree4[0].second == std::vector<std::string>{"n1", "n2", "n3", "n4"});
  CHECK(tree4[1].second == std::vector<std::string>{"n0", "n5", "n6", "n7", "n8"});
  CHECK(tree4[24].second == std::vector<std::string>{"n5"});
}

TEST_CASE("runner: partition grudges", "[maelstrom-runner]") {
  eddy::Rng rng(42);
  for (int round = 0; round < 20; ++round) {
    SECTION("one isolates exactly one node") {
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kOne, 5, rng);
      int isolated = 0;
      for (std::size_t a = 0; a < 5; ++a) isolated += dropped_by(g, a) == 4 ? 1 : 0;
      CHECK(isolated == 1);
    }
    SECTION("majority cuts 2 from 3, both ways") {
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kMajority, 5, rng);
      int minority = 0;
      for (std::size_t a = 0; a < 5; ++a) {
        minority += dropped_by(g, a) == 3 ? 1 : 0;
        for (std::size_t b = 0; b < 5; ++b) CHECK(g.dropping(a, b) == g.dropping(b, a));
      }
      CHECK(minority == 2);
    }
    SECTION("minority-third is a no-op up to 3 nodes and splits 2 of 7") {
      CHECK(mr::make_grudge(mr::PartitionKind::kMinorityThird, 3, rng).empty());
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kMinorityThird, 7, rng);
      int minority = 0;
      for (std::size_t a = 0; a < 7; ++a) minority += dropped_by(g, a) == 5 ? 1 : 0;
      CHECK(minority == 2);
    }
    SECTION("majorities-ring: 5 nodes, an exact symmetric ring") {
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kMajoritiesRing, 5, rng);
      std::set<std::vector<bool>> seen;
      for (std::size_t a = 0; a < 5; ++a) {
        CHECK(dropped_by(g, a) == 2);
        CHECK_FALSE(g.dropping(a, a));
        for (std::size_t b = 0; b < 5; ++b) CHECK(g.dropping(a, b) == g.dropping(b, a));
        seen.insert(g.drops[a]);
      }
      CHECK(seen.size() == 5);  // no two nodes see the same majority
    }
    SECTION("majorities-ring: 3 nodes, one-way cuts") {
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kMajoritiesRing, 3, rng);
      for (std::size_t a = 0; a < 3; ++a) {
        CHECK(dropped_by(g, a) == 1);
        for (std::size_t b = 0; b < 3; ++b) {
          if (g.dropping(a, b)) CHECK_FALSE(g.dropping(b, a));
        }
      }
    }
    SECTION("majorities-ring: 7 nodes, everyone keeps a majority") {
      const mr::Grudge g = mr::make_grudge(mr::PartitionKind::kMajoritiesRing, 7, rng);
      for (std::size_t a = 0; a < 7; ++a) {
        CHECK(7 - dropped_by(g, a) >= 4);
        CHECK_FALSE(g.dropping(a, a));
        for (std::size_t b = 0; b < 7; ++b) CHECK(g.dropping(a, b) == g.dropping(b, a));
      }
    }
  }
}

TEST_CASE("runner: replies become ok, fail or info as Maelstrom's clients decide",
          "[maelstrom-runner]") {
  using nlohmann::json;
  using mr::EventType;
  using mr::Workload;
  mr::OpRequest cas;
  cas.f = "cas";
  cas.value = json::array({0, json::array({1, 2})});
  cas.body = {{"type", "cas"}, {"key", 0}, {"from", 1}, {"to", 2}};
  mr::OpRequest read;
  read.f = "read";
  read.value = json::array({0, nullptr});
  read.body = {{"type", "read"}, {"key", 0}};

  const json ok = {{"type", "cas_ok"}, {"in_reply_to", 3}};
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, ok).type == EventType::kOk);
  const json ok_with_msg_id = {{"type", "cas_ok"}, {"in_reply_to", 3}, {"msg_id", 9}};
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, ok_with_msg_id).type == EventType::kOk);
  const json extra_key = {{"type", "cas_ok"}, {"in_reply_to", 3}, {"note", "hi"}};
  const mr::Outcome malformed = mr::interpret_reply(Workload::kLinKv, cas, extra_key);
  CHECK(malformed.type == EventType::kInfo);
  CHECK(malformed.malformed);
  auto error = [](int code) {
    return json{{"type", "error"}, {"in_reply_to", 3}, {"code", code}, {"text", "x"}};
  };
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(22)).type == EventType::kFail);
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(20)).type == EventType::kFail);
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(11)).type == EventType::kFail);
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(0)).type == EventType::kInfo);
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(13)).type == EventType::kInfo);
  CHECK(mr::interpret_reply(Workload::kLinKv, cas, error(1000)).type == EventType::kInfo);
  CHECK(mr::interpret_timeout(Workload::kLinKv, cas).type == EventType::kInfo);
  // Reads fail on any error or timeout.
  CHECK(mr::interpret_reply(Workload::kLinKv, read, error(13)).type == EventType::kFail);
  CHECK(mr::interpret_timeout(Workload::kLinKv, read).type == EventType::kFail);
  const mr::Outcome value =
      mr::interpret_reply(Workload::kLinKv, read, {{"type", "read_ok"}, {"in_reply_to", 3}, {"value", 4}});
  CHECK(value.type == EventType::kOk);
  CHECK(value.value == json::array({0, 4}));

  // g-set and the counters make every error and timeout info, even a definite one.
  mr::OpRequest add;
  add.f = "add";
  add.value = 7;
  add.body = {{"type", "add"}, {"element", 7}};
  CHECK(mr::interpret_reply(Workload::kGSet, add, error(11)).type == EventType::kInfo);
  CHECK(mr::interpret_timeout(Workload::kGSet, add).type == EventType::kInfo);
  mr::OpRequest set_read;
  set_read.f = "read";
  set_read.body = {{"type", "read"}};
  CHECK(mr::interpret_reply(Workload::kGSet, set_read, error(11)).type == EventType::kInfo);
  CHECK(mr::interpret_reply(Workload::kGSet, set_read,
                            {{"type", "read_ok"}, {"in_reply_to", 1}, {"value", {1, 2}}})
            .type == EventType::kOk);
  CHECK(mr::interpret_reply(Workload::kGSet, set_read,
                            {{"type", "read_ok"}, {"in_reply_to", 1}, {"elements", {1, 2}}})
            .malformed);
  CHECK(mr::interpret_reply(Workload::kGCounter, set_read,
                            {{"type", "read_ok"}, {"in_reply_to", 1}, {"value", 1.5}})
            .malformed);
  // broadcast reads are read-only: they fail.
  CHECK(mr::interpret_reply(Workload::kBroadcast, set_read, error(13)).type == EventType::kFail);
  CHECK(mr::interpret_reply(Workload::kBroadcast, set_read,
                            {{"type", "read_ok"}, {"in_reply_to", 1}, {"messages", {3}}})
            .value == json::array({3}));

  CHECK_FALSE(mr::client_reusable(Workload::kGSet));
  CHECK_FALSE(mr::client_reusable(Workload::kBroadcast));
  CHECK(mr::client_reusable(Workload::kLinKv));
}

TEST_CASE("runner: the lin-kv generator's key groups", "[maelstrom-runner]") {
  mr::Options options;
  options.workload = mr::Workload::kLinKv;
  options.node_count = 3;
  options.concurrency = 12;  // two groups of 6: threads 0-2 and 6-8 read
  mr::OpGenerator generator(options, eddy::Rng(7));
  for (int thread = 0; thread < 12; ++thread) {
    const mr::OpRequest op = generator.next(thread, static_cast<std::uint32_t>(thread));
    CHECK(op.value[0] == (thread < 6 ? 0 : 1));
    if (thread % 6 < 3) {
      CHECK(op.f == "read");
    } else {
      CHECK((op.f == "write" || op.f == "cas"));
      if (op.f == "cas") {
        CHECK(op.value[1][0] >= 0);
        CHECK(op.value[1][1] <= 4);
      }
    }
  }
  // Group 0 has seen processes 0..5; 14 more new ones make 20, the 21st takes the next key.
  for (std::uint32_t p = 12; p < 26; ++p) CHECK(generator.next(0, p).value[0] == 0);
  CHECK(generator.next(0, 12).value[0] == 0);  // a process already seen stays on the key
  CHECK(generator.next(0, 26).value[0] == 2);
  CHECK(generator.next(6, 6).value[0] == 1);
}
