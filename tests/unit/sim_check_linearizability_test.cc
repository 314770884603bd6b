// The linearizability checker against hand-written histories, randomly generated linearizable
// histories (and single impossible mutations of them), and a simulator-sized history.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sim/check/history.h"
#include "sim/check/linearizability.h"

namespace {

using eddy::sim::check_linearizable;
using eddy::sim::describe;
using eddy::sim::History;
using eddy::sim::LinearizabilityResult;
using eddy::sim::Op;
using eddy::sim::OpKind;
using eddy::sim::OpOutcome;
using eddy::sim::WallClockBounds;

using Value = std::optional<std::string>;

// Builds histories tersely: each call appends one op with the next id and returns it so a test
// can mark it unknown or failed on the spot.
class Builder {
 public:
  Op& get(std::int64_t invoke, std::int64_t complete, Value result, std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kGet, std::move(key));
    op.value = std::move(result);
    return op;
  }
  Op& set(std::int64_t invoke, std::int64_t complete, std::string value, std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kSet, std::move(key));
    op.argument = std::move(value);
    return op;
  }
  Op& del(std::int64_t invoke, std::int64_t complete, std::int64_t result, std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kDel, std::move(key));
    op.integer = result;
    return op;
  }
  Op& incr(std::int64_t invoke, std::int64_t complete, std::int64_t result, std::string key = "k",
           std::string by = "1") {
    Op& op = add(invoke, complete, OpKind::kIncr, std::move(key));
    op.argument = std::move(by);
    op.integer = result;
    return op;
  }
  Op& incr_error(std::int64_t invoke, std::int64_t complete, std::string key = "k") {
    Op& op = incr(invoke, complete, 0, std::move(key));
    op.error = true;
    return op;
  }
  Op& append(std::int64_t invoke, std::int64_t complete, std::string value, std::int64_t length,
             std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kAppend, std::move(key));
    op.argument = std::move(value);
    op.integer = length;
    return op;
  }
  Op& setnx(std::int64_t invoke, std::int64_t complete, std::string value, std::int64_t result,
            std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kSetNx, std::move(key));
    op.argument = std::move(value);
    op.integer = result;
    return op;
  }
  Op& getdel(std::int64_t invoke, std::int64_t complete, Value result, std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kGetDel, std::move(key));
    op.value = std::move(result);
    return op;
  }
  Op& getset(std::int64_t invoke, std::int64_t complete, std::string value, Value result,
             std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kGetSet, std::move(key));
    op.argument = std::move(value);
    op.value = std::move(result);
    return op;
  }
  Op& expire(std::int64_t invoke, std::int64_t complete, std::string seconds, std::int64_t result,
             std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kExpire, std::move(key));
    op.argument = std::move(seconds);
    op.integer = result;
    return op;
  }
  Op& pexpire(std::int64_t invoke, std::int64_t complete, std::string ms, std::int64_t result,
              std::string key = "k") {
    Op& op = expire(invoke, complete, std::move(ms), result, std::move(key));
    op.milliseconds = true;
    return op;
  }
  Op& ttl(std::int64_t invoke, std::int64_t complete, std::int64_t result, std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kTtl, std::move(key));
    op.integer = result;
    return op;
  }
  Op& pttl(std::int64_t invoke, std::int64_t complete, std::int64_t result, std::string key = "k") {
    Op& op = ttl(invoke, complete, result, std::move(key));
    op.milliseconds = true;
    return op;
  }
  Op& persist(std::int64_t invoke, std::int64_t complete, std::int64_t result,
              std::string key = "k") {
    Op& op = add(invoke, complete, OpKind::kPersist, std::move(key));
    op.integer = result;
    return op;
  }
  void wall_clock(WallClockBounds bounds) { history_.wall_clock = bounds; }

  LinearizabilityResult check() const { return check_linearizable(history_); }
  bool ok() const {
    const LinearizabilityResult r = check();
    REQUIRE_FALSE(r.exhausted);
    return r.ok;
  }
  const History& history() const { return history_; }

 private:
  Op& add(std::int64_t invoke, std::int64_t complete, OpKind kind, std::string key) {
    Op op;
    op.id = next_id_++;
    op.client = static_cast<std::uint32_t>(op.id % 4);
    op.invoke_ns = invoke;
    op.complete_ns = complete;
    op.kind = kind;
    op.key = std::move(key);
    history_.ops.push_back(std::move(op));
    return history_.ops.back();
  }

  History history_;
  std::uint64_t next_id_ = 1;
};

Op& unknown(Op& op) {
  op.outcome = OpOutcome::kUnknown;
  op.complete_ns = 0;  // ignored; a nonsense value proves it
  return op;
}
Op& failed(Op& op) {
  op.outcome = OpOutcome::kFailed;
  return op;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_CASE("empty and sequential histories are linearizable", "[check]") {
  CHECK(check_linearizable(History{}).ok);
  Builder b;
  b.get(0, 10, std::nullopt);
  b.set(20, 30, "a");
  b.get(40, 50, "a");
  b.incr(60, 70, 1, "n");
  b.incr(80, 90, 3, "n", "2");
  b.get(100, 110, "3", "n");
  b.del(120, 130, 1);
  b.get(140, 150, std::nullopt);
  b.del(160, 170, 0);
  const LinearizabilityResult r = b.check();
  CHECK(r.ok);
  CHECK_FALSE(r.exhausted);
  CHECK(r.key.empty());
  CHECK(r.states_explored > 0);
}

TEST_CASE("a read concurrent with two writes may see either", "[check]") {
  for (const char* seen : {"x", "y"}) {
    Builder b;
    b.set(0, 100, "x");
    b.set(10, 90, "y");
    b.get(50, 150, seen);
    CHECK(b.ok());
  }
  // Once both writes completed the order is fixed: reads cannot flip between the two values.
  Builder b;
  b.set(0, 100, "x");
  b.set(10, 90, "y");
  b.get(200, 210, "x");
  b.get(220, 230, "y");
  CHECK_FALSE(b.ok());
}

TEST_CASE("a stale read after a completed write fails and names the key", "[check]") {
  Builder b;
  b.set(0, 10, "a", "ka");
  b.set(20, 30, "b", "ka");
  b.get(40, 50, "a", "ka");
  const LinearizabilityResult r = b.check();
  REQUIRE_FALSE(r.ok);
  CHECK_FALSE(r.exhausted);
  CHECK(r.key == "ka");
  CHECK(r.longest_prefix == std::vector<std::uint64_t>{1, 2});
  CHECK(r.explanation.find("state after the prefix: \"b\"") != std::string::npos);
  CHECK(r.explanation.find("GET ka -> \"a\"   (model: \"b\")") != std::string::npos);
  CHECK(count_lines(r.explanation) <= 40);
}

TEST_CASE("reading a value never written fails", "[check]") {
  Builder b;
  b.set(0, 10, "a");
  b.get(5, 50, "zzz");
  CHECK_FALSE(b.ok());
  Builder nil_first;
  nil_first.get(0, 10, "a");
  CHECK_FALSE(nil_first.ok());
}

TEST_CASE("real-time order: touching intervals are concurrent", "[check]") {
  Builder touching;
  touching.set(0, 10, "x");
  touching.get(10, 20, std::nullopt);
  CHECK(touching.ok());
  Builder after;
  after.set(0, 10, "x");
  after.get(11, 20, std::nullopt);
  CHECK_FALSE(after.ok());
}

TEST_CASE("lost increments fail", "[check]") {
  Builder sequential;
  sequential.incr(0, 10, 1);
  sequential.incr(20, 30, 1);
  CHECK_FALSE(sequential.ok());

  Builder concurrent;
  concurrent.incr(0, 30, 1);
  concurrent.incr(10, 40, 1);
  CHECK_FALSE(concurrent.ok());

  Builder either_order;
  either_order.incr(0, 30, 2);
  either_order.incr(10, 40, 1);
  either_order.get(50, 60, "2");
  CHECK(either_order.ok());
}

TEST_CASE("INCR follows Redis's integer rules", "[check]") {
  for (const char* text : {"abc", "-0", "007", "+1", " 1", "1 ", "", "99999999999999999999"}) {
    Builder b;
    b.set(0, 10, text);
    b.incr_error(20, 30);
    b.get(40, 50, text);
    CHECK(b.ok());
    Builder wrong;
    wrong.set(0, 10, text);
    wrong.incr(20, 30, 1);
    CHECK_FALSE(wrong.ok());
  }
  Builder negative;
  negative.set(0, 10, "-5");
  negative.incr(20, 30, -4);
  negative.incr(40, 50, -14, "k", "-10");
  CHECK(negative.ok());
  Builder overflow;
  overflow.set(0, 10, "9223372036854775807");
  overflow.incr_error(20, 30);
  overflow.get(40, 50, "9223372036854775807");
  CHECK(overflow.ok());
  Builder error_on_integer;
  error_on_integer.incr(0, 10, 1);
  error_on_integer.incr_error(20, 30);
  CHECK_FALSE(error_on_integer.ok());
}

TEST_CASE("unknown ops may have taken effect", "[check]") {
  Builder took_effect;
  took_effect.set(0, 10, "v1");
  unknown(took_effect.set(20, 30, "v2"));
  took_effect.get(100, 110, "v2");
  CHECK(took_effect.ok());

  // It may take effect long after it was sent, even after a read that missed it.
  Builder late;
  late.set(0, 10, "v1");
  unknown(late.set(20, 30, "v2"));
  late.get(1000, 1010, "v1");
  late.get(5000, 5010, "v2");
  CHECK(late.ok());

  Builder unknown_incr;
  unknown(unknown_incr.incr(0, 0, 0));
  unknown_incr.incr(10, 20, 2);
  CHECK(unknown_incr.ok());
}

TEST_CASE("unknown ops may never have taken effect", "[check]") {
  Builder never;
  never.set(0, 10, "v1");
  unknown(never.set(20, 30, "v2"));
  unknown(never.del(25, 30, 0));
  unknown(never.getdel(26, 30, std::nullopt));
  unknown(never.get(27, 30, std::nullopt));
  never.get(100, 110, "v1");
  never.get(200, 210, "v1");
  CHECK(never.ok());

  // Many outstanding unknown writes, none of which was ever seen.
  Builder many;
  many.set(0, 10, "base");
  for (int i = 0; i < 40; ++i) unknown(many.set(20 + i, 0, "lost" + std::to_string(i)));
  for (int i = 0; i < 40; ++i) many.get(1000 + 10 * i, 1005 + 10 * i, "base");
  CHECK(many.ok());
}

TEST_CASE("unknown ops still respect their invoke time and take effect at most once", "[check]") {
  Builder before_invoke;
  before_invoke.set(0, 10, "v1");
  before_invoke.get(100, 110, "v2");
  unknown(before_invoke.set(200, 0, "v2"));
  CHECK_FALSE(before_invoke.ok());

  Builder flip_back;
  flip_back.set(0, 10, "v1");
  unknown(flip_back.set(20, 0, "v2"));
  flip_back.get(100, 110, "v2");
  flip_back.get(200, 210, "v1");
  CHECK_FALSE(flip_back.ok());

  Builder twice;
  unknown(twice.incr(0, 0, 0));
  twice.get(100, 110, "2");
  CHECK_FALSE(twice.ok());
}

TEST_CASE("a failed op took no effect", "[check]") {
  Builder read_it;
  read_it.set(0, 10, "v1");
  failed(read_it.set(20, 30, "v2"));
  read_it.get(100, 110, "v2");
  CHECK_FALSE(read_it.ok());

  Builder ignored;
  ignored.set(0, 10, "v1");
  failed(ignored.set(20, 30, "v2"));
  failed(ignored.get(25, 30, "nonsense"));
  ignored.get(100, 110, "v1");
  CHECK(ignored.ok());
}

TEST_CASE("SETNX sets only a missing key", "[check]") {
  Builder b;
  b.setnx(0, 10, "a", 1);
  b.setnx(20, 30, "b", 0);
  b.get(40, 50, "a");
  CHECK(b.ok());

  Builder both_won;
  both_won.setnx(0, 30, "a", 1);
  both_won.setnx(10, 40, "b", 1);
  CHECK_FALSE(both_won.ok());

  Builder won_after_delete;
  won_after_delete.setnx(0, 30, "a", 1);
  won_after_delete.del(5, 35, 1);
  won_after_delete.setnx(10, 40, "b", 1);
  won_after_delete.get(50, 60, "b");
  CHECK(won_after_delete.ok());

  Builder lost_on_empty;
  lost_on_empty.setnx(0, 10, "a", 0);
  CHECK_FALSE(lost_on_empty.ok());
}

TEST_CASE("GETDEL returns the value and deletes it", "[check]") {
  Builder b;
  b.set(0, 10, "a");
  b.getdel(20, 30, "a");
  b.get(40, 50, std::nullopt);
  b.getdel(60, 70, std::nullopt);
  CHECK(b.ok());

  Builder twice;
  twice.set(0, 10, "a");
  twice.getdel(20, 30, "a");
  twice.getdel(40, 50, "a");
  CHECK_FALSE(twice.ok());

  Builder concurrent_twice;
  concurrent_twice.set(0, 10, "a");
  concurrent_twice.getdel(20, 50, "a");
  concurrent_twice.getdel(30, 60, "a");
  CHECK_FALSE(concurrent_twice.ok());
}

TEST_CASE("APPEND creates and extends, reporting the length", "[check]") {
  Builder b;
  b.append(0, 10, "ab", 2);
  b.append(20, 30, "c", 3);
  b.get(40, 50, "abc");
  CHECK(b.ok());

  // Concurrent appends: the lengths fix the order.
  Builder ordered;
  ordered.append(0, 100, "x", 2);
  ordered.append(10, 90, "y", 1);
  ordered.get(200, 210, "yx");
  CHECK(ordered.ok());
  Builder misordered;
  misordered.append(0, 100, "x", 2);
  misordered.append(10, 90, "y", 1);
  misordered.get(200, 210, "xy");
  CHECK_FALSE(misordered.ok());

  Builder onto_number;
  onto_number.incr(0, 10, 5, "k", "5");
  onto_number.append(20, 30, "0", 2);
  onto_number.incr(40, 50, 51);
  CHECK(onto_number.ok());
}

TEST_CASE("GETSET returns the old value and sets the new", "[check]") {
  Builder b;
  b.getset(0, 10, "a", std::nullopt);
  b.getset(20, 30, "b", "a");
  b.get(40, 50, "b");
  CHECK(b.ok());

  Builder wrong_old;
  wrong_old.set(0, 10, "a");
  wrong_old.getset(20, 30, "b", std::nullopt);
  CHECK_FALSE(wrong_old.ok());
}

TEST_CASE("DEL reports whether the key existed", "[check]") {
  Builder b;
  b.del(0, 10, 0);
  b.set(20, 30, "a");
  b.del(40, 50, 1);
  CHECK(b.ok());
  Builder wrong;
  wrong.del(0, 10, 1);
  CHECK_FALSE(wrong.ok());
}

TEST_CASE("keys are checked independently and reported in sorted order", "[check]") {
  // A bug on b only: reported as b, even with a's ops around it and listed first.
  Builder b;
  b.set(0, 10, "1", "a");
  b.set(0, 10, "1", "b");
  b.get(20, 30, "2", "b");
  b.get(20, 30, "1", "a");
  const LinearizabilityResult r = b.check();
  REQUIRE_FALSE(r.ok);
  CHECK(r.key == "b");
  CHECK(r.longest_prefix == std::vector<std::uint64_t>{2});

  // Each key alone is fine although the two together would not be for a single register.
  Builder independent;
  independent.set(0, 10, "x", "a");
  independent.set(20, 30, "y", "b");
  independent.get(40, 50, "x", "a");
  CHECK(independent.ok());

  // Both keys broken: the first in sorted order is named, whatever the history order.
  Builder both;
  both.get(0, 10, "ghost", "z");
  both.get(0, 10, "ghost", "m");
  CHECK(both.check().key == "m");
}

TEST_CASE("the history's order does not matter", "[check]") {
  Builder b;
  b.set(0, 100, "x");
  b.set(10, 90, "y");
  b.get(50, 150, "x");
  b.get(200, 210, "x");
  b.get(220, 230, "y");
  History reversed = b.history();
  std::reverse(reversed.ops.begin(), reversed.ops.end());
  const LinearizabilityResult forward = b.check();
  const LinearizabilityResult backward = check_linearizable(reversed);
  CHECK_FALSE(forward.ok);
  CHECK_FALSE(backward.ok);
  CHECK(forward.longest_prefix == backward.longest_prefix);
  CHECK(forward.explanation == backward.explanation);
  CHECK(forward.states_explored == backward.states_explored);
}

TEST_CASE("describe shows one op on one line", "[check]") {
  Op op;
  op.id = 17;
  op.client = 3;
  op.invoke_ns = 1000;
  op.complete_ns = 2000;
  op.kind = OpKind::kSet;
  op.key = "k";
  op.argument = "v";
  CHECK(describe(op) == "c3 #17 [1000,2000] SET k \"v\" -> OK");
  op.outcome = OpOutcome::kUnknown;
  CHECK(describe(op) == "c3 #17 [1000,?] SET k \"v\" -> ?");
  op.outcome = OpOutcome::kFailed;
  CHECK(describe(op) == "c3 #17 [1000,2000] SET k \"v\" -> FAILED");
  op.outcome = OpOutcome::kOk;
  op.kind = OpKind::kGet;
  CHECK(describe(op) == "c3 #17 [1000,2000] GET k -> nil");
  op.value = "a\"b\n";
  CHECK(describe(op) == "c3 #17 [1000,2000] GET k -> \"a\\\"b\\n\"");
  op.value = std::string(100, 'x');
  CHECK(describe(op).find("(100 bytes)") != std::string::npos);
  op.kind = OpKind::kIncr;
  op.argument = "1";
  op.integer = 5;
  CHECK(describe(op) == "c3 #17 [1000,2000] INCR k -> 5");
  op.argument = "-3";
  op.error = true;
  CHECK(describe(op) == "c3 #17 [1000,2000] INCRBY k -3 -> ERR not an integer");
  op.kind = OpKind::kAppend;
  op.argument = "xy";
  op.integer = 2;
  CHECK(describe(op) == "c3 #17 [1000,2000] APPEND k \"xy\" -> 2");
  op.error = false;
  op.kind = OpKind::kExpire;
  op.argument = "100";
  op.integer = 1;
  CHECK(describe(op) == "c3 #17 [1000,2000] EXPIRE k 100 -> 1");
  op.milliseconds = true;
  CHECK(describe(op) == "c3 #17 [1000,2000] PEXPIRE k 100 -> 1");
  op.kind = OpKind::kTtl;
  op.integer = -2;
  CHECK(describe(op) == "c3 #17 [1000,2000] PTTL k -> -2");
  op.milliseconds = false;
  CHECK(describe(op) == "c3 #17 [1000,2000] TTL k -> -2");
  op.kind = OpKind::kPersist;
  op.integer = 0;
  CHECK(describe(op) == "c3 #17 [1000,2000] PERSIST k -> 0");
}

// ---------------------------------------------------------------------------------------------
// EXPIRE, TTL and PERSIST: the model tracks the TTL each key's last EXPIRE gave it.

TEST_CASE("EXPIRE, TTL and PERSIST in sequence", "[check]") {
  Builder b;
  b.expire(0, 10, "100", 0);  // no key: nothing to expire
  b.ttl(20, 30, -2);
  b.set(40, 50, "a");
  b.ttl(60, 70, -1);
  b.persist(80, 90, 0);  // no TTL to remove
  b.expire(100, 110, "3", 1);
  b.ttl(120, 130, 3);
  b.ttl(140, 150, 0);  // any time may have passed
  b.pttl(160, 170, 2999);
  b.persist(180, 190, 1);
  b.ttl(200, 210, -1);
  b.pexpire(220, 230, "2500", 1);
  b.ttl(240, 250, 3);  // Redis rounds: (2500 + 500) / 1000
  b.pttl(260, 270, 2500);
  b.del(280, 290, 1);
  b.ttl(300, 310, -2);
  b.persist(320, 330, 0);
  CHECK(b.ok());
}

TEST_CASE("TTL must reflect a completed EXPIRE", "[check]") {
  Builder lost;
  lost.set(0, 10, "a");
  lost.expire(20, 30, "3", 1);
  lost.ttl(40, 50, -1);  // no SET, GETSET or PERSIST in between
  CHECK_FALSE(lost.ok());

  Builder too_long;
  too_long.set(0, 10, "a");
  too_long.expire(20, 30, "3", 1);
  too_long.ttl(40, 50, 5);
  CHECK_FALSE(too_long.ok());
  Builder too_long_ms;
  too_long_ms.set(0, 10, "a");
  too_long_ms.expire(20, 30, "3", 1);
  too_long_ms.pttl(40, 50, 3001);
  CHECK_FALSE(too_long_ms.ok());
  Builder rounded_up_too_far;
  rounded_up_too_far.set(0, 10, "a");
  rounded_up_too_far.pexpire(20, 30, "1499", 1);
  rounded_up_too_far.ttl(40, 50, 2);
  CHECK_FALSE(rounded_up_too_far.ok());
  Builder rounded;
  rounded.set(0, 10, "a");
  rounded.pexpire(20, 30, "1499", 1);
  rounded.ttl(40, 50, 1);
  CHECK(rounded.ok());

  Builder negative;
  negative.set(0, 10, "a");
  negative.expire(20, 30, "3", 1);
  negative.ttl(40, 50, -3);
  CHECK_FALSE(negative.ok());

  // The later of two completed EXPIREs wins.
  Builder overwritten;
  overwritten.set(0, 10, "a");
  overwritten.expire(20, 30, "100", 1);
  overwritten.expire(40, 50, "3", 1);
  overwritten.ttl(60, 70, 100);
  CHECK_FALSE(overwritten.ok());
}

TEST_CASE("EXPIRE and PERSIST report whether the key (or its TTL) existed", "[check]") {
  Builder ghost;
  ghost.expire(0, 10, "3", 1);  // the key cannot exist
  CHECK_FALSE(ghost.ok());
  Builder deleted;
  deleted.set(0, 10, "a");
  deleted.del(20, 30, 1);
  deleted.expire(40, 50, "3", 1);
  CHECK_FALSE(deleted.ok());
  Builder missed;
  missed.set(0, 10, "a");
  missed.expire(20, 30, "3", 0);
  CHECK_FALSE(missed.ok());
  Builder persist_without_ttl;
  persist_without_ttl.set(0, 10, "a");
  persist_without_ttl.persist(20, 30, 1);
  CHECK_FALSE(persist_without_ttl.ok());
  Builder persist_twice;
  persist_twice.set(0, 10, "a");
  persist_twice.expire(20, 30, "3", 1);
  persist_twice.persist(40, 50, 1);
  persist_twice.persist(60, 70, 1);
  CHECK_FALSE(persist_twice.ok());
  Builder persist_missing;
  persist_missing.persist(0, 10, 1);
  CHECK_FALSE(persist_missing.ok());
}

TEST_CASE("an EXPIRE of zero or less deletes the key", "[check]") {
  for (const char* amount : {"0", "-1"}) {
    Builder b;
    b.set(0, 10, "a");
    b.expire(20, 30, amount, 1);
    b.get(40, 50, std::nullopt);
    b.ttl(60, 70, -2);
    b.pexpire(80, 90, amount, 0);
    CHECK(b.ok());
    Builder kept;
    kept.set(0, 10, "a");
    kept.expire(20, 30, amount, 1);
    kept.get(40, 50, "a");
    CHECK_FALSE(kept.ok());
  }
}

TEST_CASE("which writes clear a TTL and which keep it", "[check]") {
  // SET and GETSET clear it.
  for (const bool getset : {false, true}) {
    Builder cleared;
    cleared.set(0, 10, "a");
    cleared.expire(20, 30, "10", 1);
    if (getset) {
      cleared.getset(40, 50, "b", "a");
    } else {
      cleared.set(40, 50, "b");
    }
    cleared.ttl(60, 70, -1);
    CHECK(cleared.ok());
    Builder kept;
    kept.set(0, 10, "a");
    kept.expire(20, 30, "10", 1);
    if (getset) {
      kept.getset(40, 50, "b", "a");
    } else {
      kept.set(40, 50, "b");
    }
    kept.ttl(60, 70, 10);
    CHECK_FALSE(kept.ok());
  }
  // INCR, APPEND and a refused SETNX keep it; they never give one.
  Builder kept;
  kept.incr(0, 10, 1);
  kept.ttl(15, 18, -1);
  kept.expire(20, 30, "10", 1);
  kept.incr(40, 50, 2);
  kept.ttl(60, 70, 10);
  kept.append(80, 90, "0", 2);
  kept.ttl(100, 110, 9);
  kept.setnx(120, 130, "x", 0);
  kept.pttl(140, 150, 10000);
  kept.get(160, 170, "20");
  CHECK(kept.ok());
  for (const bool incr : {false, true}) {
    Builder dropped;
    dropped.set(0, 10, "1");
    dropped.expire(20, 30, "10", 1);
    if (incr) {
      dropped.incr(40, 50, 2);
    } else {
      dropped.append(40, 50, "0", 2);
    }
    dropped.ttl(60, 70, -1);
    CHECK_FALSE(dropped.ok());
  }
  // DEL and GETDEL take the TTL with the key: a SETNX then creates one without.
  for (const bool getdel : {false, true}) {
    Builder recreated;
    recreated.set(0, 10, "a");
    recreated.expire(20, 30, "10", 1);
    if (getdel) {
      recreated.getdel(40, 50, "a");
    } else {
      recreated.del(40, 50, 1);
    }
    recreated.setnx(60, 70, "b", 1);
    recreated.ttl(80, 90, -1);
    CHECK(recreated.ok());
    Builder stale;
    stale.set(0, 10, "a");
    stale.expire(20, 30, "10", 1);
    if (getdel) {
      stale.getdel(40, 50, "a");
    } else {
      stale.del(40, 50, 1);
    }
    stale.setnx(60, 70, "b", 1);
    stale.ttl(80, 90, 10);
    CHECK_FALSE(stale.ok());
  }
}

TEST_CASE("EXPIRE concurrent with SET: either order, but only one", "[check]") {
  for (const std::int64_t seen : {-1, 10}) {
    Builder b;
    b.set(0, 10, "a");
    b.expire(20, 100, "10", 1);
    b.set(30, 90, "b");
    b.ttl(200, 210, seen);
    b.ttl(220, 230, seen);
    CHECK(b.ok());
  }
  Builder flip;
  flip.set(0, 10, "a");
  flip.expire(20, 100, "10", 1);
  flip.set(30, 90, "b");
  flip.ttl(200, 210, 10);
  flip.ttl(220, 230, -1);
  CHECK_FALSE(flip.ok());
}

TEST_CASE("the search's memo tells states apart by their TTL", "[check]") {
  // Both orders of the concurrent EXPIRE and SET end with the value "a" and the same ops
  // placed; only SET-then-EXPIRE leaves the TTL the last read sees. A memo blind to the TTL
  // would prune the second order after the first failed.
  Builder b;
  b.set(0, 10, "a");
  b.expire(20, 100, "10", 1);
  b.set(20, 100, "a");
  b.ttl(200, 210, 10);
  CHECK(b.ok());
}

TEST_CASE("an unknown EXPIRE or PERSIST may or may not have applied", "[check]") {
  for (const std::int64_t seen : {-1, 10}) {
    Builder b;
    b.set(0, 10, "a");
    unknown(b.expire(20, 30, "10", 0));
    b.ttl(100, 110, seen);
    CHECK(b.ok());
  }
  // Late: after a read that missed it.
  Builder late;
  late.set(0, 10, "a");
  unknown(late.expire(20, 30, "10", 0));
  late.ttl(100, 110, -1);
  late.ttl(200, 210, 10);
  CHECK(late.ok());
  // But at most once, and never undone by itself.
  Builder undone;
  undone.set(0, 10, "a");
  unknown(undone.expire(20, 30, "10", 0));
  undone.ttl(100, 110, 10);
  undone.ttl(200, 210, -1);
  CHECK_FALSE(undone.ok());
  // Not before it was sent.
  Builder early;
  early.set(0, 10, "a");
  early.ttl(100, 110, 10);
  unknown(early.expire(200, 0, "10", 0));
  CHECK_FALSE(early.ok());
  // Two unknown EXPIREs of different durations: either may be the last.
  for (const std::int64_t seen : {5, 10}) {
    Builder two;
    two.set(0, 10, "a");
    unknown(two.expire(20, 0, "10", 0));
    unknown(two.expire(30, 0, "5", 0));
    two.ttl(200, 210, seen);
    two.ttl(300, 310, 4);
    CHECK(two.ok());
  }
  // An unknown PERSIST may have removed the TTL.
  for (const std::int64_t seen : {-1, 10}) {
    Builder persist;
    persist.set(0, 10, "a");
    persist.expire(20, 30, "10", 1);
    unknown(persist.persist(40, 0, 0));
    persist.ttl(100, 110, seen);
    CHECK(persist.ok());
  }
  // An unknown EXPIRE of zero may have deleted the key.
  Builder deleted;
  deleted.set(0, 10, "a");
  unknown(deleted.expire(20, 0, "0", 0));
  deleted.ttl(100, 110, -2);
  deleted.get(120, 130, std::nullopt);
  CHECK(deleted.ok());
  // Unknown and failed TTL reads tell nothing.
  Builder reads;
  reads.set(0, 10, "a");
  unknown(reads.ttl(20, 0, 12345));
  failed(reads.ttl(30, 40, 12345));
  failed(reads.expire(50, 60, "10", 1));
  reads.ttl(100, 110, -1);
  CHECK(reads.ok());
}

TEST_CASE("TTL replies allow for the server's wall clock", "[check]") {
  auto history = [](std::int64_t seen, WallClockBounds clock) {
    Builder b;
    b.set(0, 10, "a");
    b.expire(20, 30, "10", 1);
    b.ttl(40, 50, seen);
    b.wall_clock(clock);
    return b.ok();
  };
  // By default time only moves forward, by any amount.
  CHECK(history(10, {}));
  CHECK(history(0, {}));
  CHECK_FALSE(history(11, {}));
  // A clock that may go back 2 s stretches what is left.
  CHECK(history(12, {2000, std::numeric_limits<std::int64_t>::max()}));
  CHECK_FALSE(history(13, {2000, std::numeric_limits<std::int64_t>::max()}));
  // A clock that moved at most 3 s forward leaves at least 7 s.
  CHECK(history(7, {0, 3000}));
  CHECK_FALSE(history(6, {0, 3000}));
  // Rounding: at least 6.5 s left answers 7 (Redis rounds half up).
  CHECK(history(7, {0, 3500}));
  CHECK_FALSE(history(6, {0, 3500}));
}

TEST_CASE("explanations show the TTL in the state and the replies the model allows", "[check]") {
  Builder b;
  b.set(0, 10, "a");
  b.expire(20, 30, "3", 1);
  b.ttl(40, 50, 5);
  const LinearizabilityResult r = b.check();
  REQUIRE_FALSE(r.ok);
  CHECK(r.explanation.find("state after the prefix: \"a\" (TTL 3000 ms)") != std::string::npos);
  CHECK(r.explanation.find("TTL k -> 5   (model: 0..3)") != std::string::npos);
}

TEST_CASE("a tiny state budget gives up without a verdict", "[check]") {
  Builder b;
  // Many concurrent writes with one late read: the search must try many orders.
  for (int i = 0; i < 30; ++i) b.set(0, 1000, "v" + std::to_string(i));
  b.get(2000, 2010, "never");
  const LinearizabilityResult r = check_linearizable(b.history(), 50);
  CHECK(r.ok);
  CHECK(r.exhausted);
  CHECK(r.key == "k");
  CHECK(r.states_explored <= 51);
  CHECK(r.explanation.find("gave up") != std::string::npos);
  CHECK(count_lines(r.explanation) <= 40);
}

// ---------------------------------------------------------------------------------------------
// Generated histories. The test's own model of a key, written apart from the checker's.

std::optional<std::int64_t> as_redis_integer(const std::string& text) {
  std::int64_t n = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (std::to_string(n) != text) return std::nullopt;  // only the canonical spelling
  return n;
}

// A key of the test's model: its value, and the TTL (ms) its last EXPIRE gave it.
struct ModelKey {
  Value value;
  std::optional<std::int64_t> ttl_ms;
};

std::int64_t rounded_seconds(std::int64_t ms) {
  return (ms + 500) / 1000;
}

// Runs `op` on `key` and records what the server would have replied; a TTL reply as if
// `elapsed_ms` had passed since the TTL was set.
void run_on_model(Op& op, ModelKey& key, std::int64_t elapsed_ms = 0) {
  Value& state = key.value;
  switch (op.kind) {
    case OpKind::kGet:
      op.value = state;
      break;
    case OpKind::kSet:
      state = op.argument;
      key.ttl_ms.reset();
      break;
    case OpKind::kDel:
      op.integer = state.has_value() ? 1 : 0;
      state.reset();
      break;
    case OpKind::kIncr: {
      const std::optional<std::int64_t> current = state ? as_redis_integer(*state) : 0;
      std::int64_t sum = 0;
      if (!current || __builtin_add_overflow(*current, std::stoll(op.argument), &sum)) {
        op.error = true;
      } else {
        op.integer = sum;
        state = std::to_string(sum);
      }
      break;
    }
    case OpKind::kAppend:
      state = state.value_or("") + op.argument;
      op.integer = static_cast<std::int64_t>(state->size());
      break;
    case OpKind::kSetNx:
      op.integer = state.has_value() ? 0 : 1;
      if (!state) state = op.argument;
      break;
    case OpKind::kGetDel:
      op.value = state;
      state.reset();
      break;
    case OpKind::kGetSet:
      op.value = state;
      state = op.argument;
      key.ttl_ms.reset();
      break;
    case OpKind::kExpire: {
      op.integer = state.has_value() ? 1 : 0;
      const std::int64_t amount = std::stoll(op.argument);
      const std::int64_t ms = op.milliseconds ? amount : amount * 1000;
      if (ms <= 0) {
        state.reset();
      } else if (state) {
        key.ttl_ms = ms;
      }
      break;
    }
    case OpKind::kTtl:
      if (!state) {
        op.integer = -2;
      } else if (!key.ttl_ms) {
        op.integer = -1;
      } else {
        const std::int64_t left = std::max<std::int64_t>(0, *key.ttl_ms - elapsed_ms);
        op.integer = op.milliseconds ? left : rounded_seconds(left);
      }
      break;
    case OpKind::kPersist:
      op.integer = state && key.ttl_ms ? 1 : 0;
      key.ttl_ms.reset();
      break;
    default:
      FAIL("this generator makes string ops only");
  }
  if (!state) key.ttl_ms.reset();
}

struct PlannedOp {
  int kind;
  int key;
  int argument;
  int early;  // how long before its linearization point it was sent
  int late;   // how long after it the reply came
  int fate;   // 0-79 ok, 80-89 unknown and applied, 90-94 unknown and not applied, 95-99 failed
};

rc::Gen<PlannedOp> planned_op(int kinds = 8) {
  return rc::gen::build<PlannedOp>(rc::gen::set(&PlannedOp::kind, rc::gen::inRange(0, kinds)),
                                   rc::gen::set(&PlannedOp::key, rc::gen::inRange(0, 2)),
                                   rc::gen::set(&PlannedOp::argument, rc::gen::inRange(0, 6)),
                                   rc::gen::set(&PlannedOp::early, rc::gen::inRange(0, 500)),
                                   rc::gen::set(&PlannedOp::late, rc::gen::inRange(0, 500)),
                                   rc::gen::set(&PlannedOp::fate, rc::gen::inRange(0, 100)));
}

// A history whose ops really happened one after another at points 100, 200, ..., each op's
// interval containing its point: linearizable by construction.
// `unknown_heavy` makes a third of the ops unknown, so many are pending at once.
History realize(const std::vector<PlannedOp>& plan, bool unknown_heavy) {
  static const char* const kArguments[] = {"a", "b", "1", "7", "-2", "xy"};
  static const char* const kIncrements[] = {"1", "1", "2", "-1", "5", "1"};
  static const char* const kDurations[] = {"3", "2", "5", "0", "1500", "-1"};
  History h;
  ModelKey state[2];
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlannedOp& p = plan[i];
    const int fate = unknown_heavy ? 40 + p.fate * 60 / 100 : p.fate;
    Op op;
    op.id = i + 1;
    op.client = static_cast<std::uint32_t>(i % 5);
    const auto point = static_cast<std::int64_t>(100 * (i + 1));
    op.invoke_ns = point - p.early;
    op.complete_ns = point + p.late;
    op.kind = static_cast<OpKind>(p.kind);
    op.key = p.key == 0 ? "k0" : "k1";
    op.argument = op.kind == OpKind::kIncr ? kIncrements[p.argument] : kArguments[p.argument];
    if (op.kind == OpKind::kExpire) {
      op.argument = kDurations[p.argument];
      op.milliseconds = p.argument == 4;
    }
    if (op.kind == OpKind::kTtl) op.milliseconds = p.argument % 2 == 1;
    // Some time passed since the TTL was set: TTL replies are below the bound, not only at it.
    if (fate < 90) run_on_model(op, state[p.key], p.early % 3 * 400);
    if (fate >= 80) {
      // What the op would have replied is not part of the history.
      op.outcome = fate < 95 ? OpOutcome::kUnknown : OpOutcome::kFailed;
      op.value.reset();
      op.integer = 0;
      op.error = false;
    }
    h.ops.push_back(std::move(op));
  }
  return h;
}

TEST_CASE("generated linearizable histories pass; an impossible read fails", "[check]") {
  rc::prop("sequential executions with overlapping intervals", [] {
    const auto plan = *rc::gen::resize(
        60, rc::gen::nonEmpty(rc::gen::container<std::vector<PlannedOp>>(planned_op())));
    History h = realize(plan, *rc::gen::arbitrary<bool>());
    const LinearizabilityResult good = check_linearizable(h);
    RC_ASSERT(good.ok);
    RC_ASSERT(!good.exhausted);

    // Make one completed read see a value nothing could produce ('#' is never written).
    std::vector<std::size_t> reads;
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
      const Op& op = h.ops[i];
      if (op.outcome == OpOutcome::kOk &&
          (op.kind == OpKind::kGet || op.kind == OpKind::kGetDel || op.kind == OpKind::kGetSet)) {
        reads.push_back(i);
      }
    }
    std::string bad_key;
    if (reads.empty()) {
      Op op;
      op.id = h.ops.size() + 1;
      op.invoke_ns = 0;
      op.complete_ns = static_cast<std::int64_t>(100 * (h.ops.size() + 1));
      op.key = *rc::gen::element<std::string>("k0", "k1");
      op.value = "#never";
      bad_key = op.key;
      h.ops.push_back(op);
    } else {
      Op& op = h.ops[*rc::gen::elementOf(reads)];
      op.value = "#never";
      bad_key = op.key;
    }
    const LinearizabilityResult bad = check_linearizable(h);
    RC_ASSERT(!bad.ok);
    RC_ASSERT(!bad.exhausted);
    RC_ASSERT(bad.key == bad_key);
    RC_ASSERT(bad.explanation.find("#never") != std::string::npos);
  });
}

TEST_CASE("generated histories with EXPIRE, TTL and PERSIST pass; an impossible TTL fails",
          "[check]") {
  rc::prop("sequential executions with overlapping intervals", [] {
    const auto plan = *rc::gen::resize(
        60, rc::gen::nonEmpty(rc::gen::container<std::vector<PlannedOp>>(planned_op(11))));
    History h = realize(plan, *rc::gen::arbitrary<bool>());
    const LinearizabilityResult good = check_linearizable(h);
    RC_ASSERT(good.ok);
    RC_ASSERT(!good.exhausted);

    // Make one completed TTL read answer what no state allows (TTLs here are at most 5 s).
    std::vector<std::size_t> reads;
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
      if (h.ops[i].outcome == OpOutcome::kOk && h.ops[i].kind == OpKind::kTtl) reads.push_back(i);
    }
    if (reads.empty()) {
      Op op;
      op.id = h.ops.size() + 1;
      op.invoke_ns = 0;
      op.complete_ns = static_cast<std::int64_t>(100 * (h.ops.size() + 1));
      op.kind = OpKind::kTtl;
      op.key = *rc::gen::element<std::string>("k0", "k1");
      reads.push_back(h.ops.size());
      h.ops.push_back(op);
    }
    Op& op = h.ops[*rc::gen::elementOf(reads)];
    op.integer = *rc::gen::element<std::int64_t>(-3, 999'999);
    const std::string bad_key = op.key;
    const LinearizabilityResult bad = check_linearizable(h);
    RC_ASSERT(!bad.ok);
    RC_ASSERT(!bad.exhausted);
    RC_ASSERT(bad.key == bad_key);
  });
}

// ---------------------------------------------------------------------------------------------
// Simulator-sized: 10 clients x 200 ops on 3 keys, each client one op at a time with random
// latencies, so about ten ops are in flight at once.

class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
  }

 private:
  std::uint64_t state_;
};

// With `expiry`, about one op in seven is EXPIRE/PEXPIRE, TTL/PTTL or PERSIST.
History simulated_history(std::uint64_t seed, int unknown_per_mille, bool expiry = false) {
  constexpr int kClients = 10;
  constexpr int kOpsPerClient = 200;
  SplitMix rng(seed);
  struct InFlight {
    Op op;
    std::int64_t point;
    bool applies;
    int done = 0;
  };
  std::vector<InFlight> clients(kClients);
  std::uint64_t next_id = 1;
  ModelKey state[3];
  std::uint64_t unique = 0;
  auto start = [&](InFlight& c, std::uint32_t client, std::int64_t now) {
    Op op;
    op.id = next_id++;
    op.client = client;
    op.invoke_ns = now;
    op.key = "key" + std::to_string(rng.below(3));
    const std::int64_t r = rng.below(100);
    if (r < 35) {
      op.kind = OpKind::kGet;
    } else if (r < 50) {
      op.kind = OpKind::kSet;
      op.argument = "v" + std::to_string(++unique);
    } else if (r < 65) {
      op.kind = OpKind::kIncr;
      op.argument = "1";
    } else if (r < 73) {
      op.kind = OpKind::kAppend;
      op.argument = "+" + std::to_string(rng.below(10));
    } else if (r < 80) {
      op.kind = OpKind::kSetNx;
      op.argument = "n" + std::to_string(++unique);
    } else if (r < 87) {
      op.kind = OpKind::kGetSet;
      op.argument = "g" + std::to_string(++unique);
    } else if (r < 94) {
      op.kind = OpKind::kGetDel;
    } else {
      op.kind = OpKind::kDel;
    }
    if (expiry && rng.below(7) == 0) {
      const std::int64_t roll = rng.below(10);
      if (roll < 4) {
        op.kind = OpKind::kExpire;
        op.milliseconds = rng.below(3) == 0;
        const std::int64_t seconds = rng.below(20) == 0 ? 0 : 1000 + rng.below(100);
        op.argument = std::to_string(op.milliseconds ? seconds * 1000 + rng.below(1000) : seconds);
      } else if (roll < 8) {
        op.kind = OpKind::kTtl;
        op.milliseconds = rng.below(3) == 0;
      } else {
        op.kind = OpKind::kPersist;
      }
      op.argument = op.kind == OpKind::kExpire ? op.argument : std::string();
    }
    c.point = now + 1 + rng.below(20'000);
    op.complete_ns = c.point + 1 + rng.below(20'000);
    const bool lost = rng.below(1000) < unknown_per_mille;
    c.applies = !lost || rng.below(2) == 0;
    if (lost) op.outcome = OpOutcome::kUnknown;
    c.op = std::move(op);
  };
  for (std::uint32_t i = 0; i < kClients; ++i) {
    start(clients[i], i, rng.below(5'000));
  }
  History h;
  for (;;) {
    // The next linearization point over all clients (ties to the lower client).
    int next = -1;
    for (int i = 0; i < kClients; ++i) {
      if (clients[i].done == kOpsPerClient) continue;
      if (next < 0 || clients[i].point < clients[next].point) next = i;
    }
    if (next < 0) break;
    InFlight& c = clients[next];
    if (c.applies) {
      const int key = c.op.key.back() - '0';
      // Virtual ns stand for ms here: TTL replies shrink as the history goes on.
      run_on_model(c.op, state[key], c.point / 1000);
    }
    if (c.op.outcome == OpOutcome::kUnknown) {
      c.op.value.reset();
      c.op.integer = 0;
      c.op.error = false;
    }
    const std::int64_t next_invoke = c.op.complete_ns + rng.below(5'000);
    h.ops.push_back(c.op);
    if (++c.done < kOpsPerClient) start(c, static_cast<std::uint32_t>(next), next_invoke);
  }
  return h;
}

TEST_CASE("a simulator-sized history checks within the default budget", "[check]") {
  for (const int unknown_per_mille : {0, 20}) {
    const History h =
        simulated_history(42 + static_cast<std::uint64_t>(unknown_per_mille), unknown_per_mille);
    REQUIRE(h.ops.size() == 2000);
    const LinearizabilityResult r = check_linearizable(h);
    std::printf("linearizability: 2000 ops, %d/1000 unknown: ok=%d exhausted=%d states=%llu\n",
                unknown_per_mille, r.ok ? 1 : 0, r.exhausted ? 1 : 0,
                static_cast<unsigned long long>(r.states_explored));
    INFO(r.explanation);
    CHECK(r.ok);
    CHECK_FALSE(r.exhausted);

    // The same history with one read mid-way seeing a value never written.
    History broken = h;
    for (std::size_t i = broken.ops.size() / 2; i < broken.ops.size(); ++i) {
      Op& op = broken.ops[i];
      if (op.kind == OpKind::kGet && op.outcome == OpOutcome::kOk) {
        op.value = "#never";
        break;
      }
    }
    const LinearizabilityResult bad = check_linearizable(broken);
    std::printf("linearizability: same with one impossible read: ok=%d exhausted=%d states=%llu\n",
                bad.ok ? 1 : 0, bad.exhausted ? 1 : 0,
                static_cast<unsigned long long>(bad.states_explored));
    CHECK_FALSE(bad.ok);
    CHECK_FALSE(bad.exhausted);
    CHECK(count_lines(bad.explanation) <= 40);
  }
}

TEST_CASE("a simulator-sized history with EXPIRE, TTL and PERSIST checks within the budget",
          "[check]") {
  for (const int unknown_per_mille : {0, 20}) {
    const History h = simulated_history(7 + static_cast<std::uint64_t>(unknown_per_mille),
                                        unknown_per_mille, true);
    std::size_t expiry_ops = 0;
    for (const Op& op : h.ops) {
      expiry_ops +=
          op.kind == OpKind::kExpire || op.kind == OpKind::kTtl || op.kind == OpKind::kPersist ? 1
                                                                                               : 0;
    }
    CHECK(expiry_ops > 200);
    const LinearizabilityResult r = check_linearizable(h);
    std::printf(
        "linearizability: 2000 ops (%zu EXPIRE/TTL/PERSIST), %d/1000 unknown: ok=%d "
        "exhausted=%d states=%llu\n",
        expiry_ops, unknown_per_mille, r.ok ? 1 : 0, r.exhausted ? 1 : 0,
        static_cast<unsigned long long>(r.states_explored));
    INFO(r.explanation);
    CHECK(r.ok);
    CHECK_FALSE(r.exhausted);

    // The same history with one TTL read mid-way seeing no TTL where one was set, or one where
    // none was.
    History broken = h;
    for (std::size_t i = broken.ops.size() / 2; i < broken.ops.size(); ++i) {
      Op& op = broken.ops[i];
      if (op.kind == OpKind::kTtl && op.outcome == OpOutcome::kOk && op.integer != -2) {
        op.integer = op.integer == -1 ? 5'000'000 : -1;
        break;
      }
    }
    const LinearizabilityResult bad = check_linearizable(broken);
    CHECK_FALSE(bad.ok);
    CHECK_FALSE(bad.exhausted);
  }
}

}  // namespace

namespace {

// ---------------------------------------------------------------------------------------------
// Small random histories, linearizable or not, against a brute-force search over every order of
// every subset of the unknown ops.

// Whether a recorded reply is one the model allows from `before` (`model` ran from it).
bool same_reply(const Op& recorded, const Op& model, const ModelKey& before) {
  switch (recorded.kind) {
    case OpKind::kGet:
    case OpKind::kGetDel:
    case OpKind::kGetSet:
      return recorded.value == model.value;
    case OpKind::kSet:
      return true;
    case OpKind::kIncr:
      return recorded.error == model.error && (recorded.error || recorded.integer == model.integer);
    case OpKind::kDel:
    case OpKind::kSetNx:
    case OpKind::kAppend:
    case OpKind::kExpire:
    case OpKind::kPersist:
      return recorded.integer == model.integer;
    case OpKind::kTtl:
      // Any time may have passed since the TTL was set: 0 up to the TTL itself.
      if (before.value && before.ttl_ms) {
        return 0 <= recorded.integer && recorded.integer <= model.integer;
      }
      return recorded.integer == model.integer;
    default:
      return false;  // string ops only
  }
  return false;
}

bool brute_force(const std::vector<Op>& ops, std::vector<bool>& placed, const ModelKey& state) {
  bool all_known_placed = true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!placed[i] && ops[i].outcome == OpOutcome::kOk) all_known_placed = false;
  }
  if (all_known_placed) return true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (placed[i]) continue;
    // Not placeable while an unplaced completed op returned before it was sent.
    bool blocked = false;
    for (std::size_t j = 0; j < ops.size(); ++j) {
      if (!placed[j] && j != i && ops[j].outcome == OpOutcome::kOk &&
          ops[j].complete_ns < ops[i].invoke_ns) {
        blocked = true;
      }
    }
    if (blocked) continue;
    Op model = ops[i];
    model.value.reset();
    model.integer = 0;
    model.error = false;
    ModelKey next = state;
    run_on_model(model, next);
    if (ops[i].outcome == OpOutcome::kOk && !same_reply(ops[i], model, state)) continue;
    placed[i] = true;
    const bool found = brute_force(ops, placed, next);
    placed[i] = false;
    if (found) return true;
  }
  return false;
}

// `kinds`: the first 8 OpKinds (no EXPIRE, TTL, PERSIST), or all 11.
void agrees_with_brute_force(int kinds) {
  const auto count = *rc::gen::inRange<std::size_t>(1, 8);
  std::vector<Op> ops;
  ModelKey truth;
  for (std::size_t i = 0; i < count; ++i) {
    Op op;
    op.id = 100 + i;
    op.client = static_cast<std::uint32_t>(i);
    op.key = "k";
    op.kind = static_cast<OpKind>(*rc::gen::inRange(0, kinds));
    op.argument = op.kind == OpKind::kIncr
                      ? *rc::gen::element<std::string>("1", "2", "-1")
                      : *rc::gen::element<std::string>("a", "b", "1", "xy", "zz");
    if (op.kind == OpKind::kExpire) {
      op.argument = *rc::gen::element<std::string>("2", "3", "0", "-1", "2500");
      op.milliseconds = op.argument == "2500";
    }
    if (op.kind == OpKind::kTtl) op.milliseconds = *rc::gen::inRange(0, 4) == 0;
    op.invoke_ns = *rc::gen::inRange(0, 60);
    op.complete_ns = op.invoke_ns + *rc::gen::inRange(0, 30);
    // Replies: mostly from a run in id order (so many histories are linearizable), sometimes
    // arbitrary.
    run_on_model(op, truth);
    if (*rc::gen::inRange(0, 4) == 0) {
      op.value = *rc::gen::element<Value>(std::nullopt, "a", "b", "1", "2", "xy", "axy");
      op.integer = *rc::gen::inRange(op.kind == OpKind::kTtl ? -2 : 0, 4);
      op.error = *rc::gen::arbitrary<bool>();
    }
    const int fate = *rc::gen::inRange(0, 10);
    if (fate >= 7) {
      op.outcome = fate == 9 ? OpOutcome::kFailed : OpOutcome::kUnknown;
      op.value.reset();
      op.integer = 0;
      op.error = false;
    }
    ops.push_back(std::move(op));
  }
  std::vector<Op> effective;
  for (const Op& op : ops) {
    if (op.outcome != OpOutcome::kFailed) effective.push_back(op);
  }
  std::vector<bool> placed(effective.size(), false);
  const bool expected = brute_force(effective, placed, ModelKey{});
  History history;
  history.ops = ops;
  const LinearizabilityResult r = check_linearizable(history);
  RC_ASSERT(!r.exhausted);
  RC_TAG(expected ? "linearizable" : "not linearizable");
  RC_ASSERT(r.ok == expected);
}

TEST_CASE("small random histories agree with a brute-force search", "[check]") {
  rc::prop("verdicts match", [] { agrees_with_brute_force(8); });
}

TEST_CASE("small random histories with EXPIRE, TTL and PERSIST agree with a brute-force search",
          "[check]") {
  rc::prop("verdicts match", [] { agrees_with_brute_force(11); });
}

// Not run by default: a sweep over seeds and unknown-op rates, printing states per history.
TEST_CASE("linearizability checker sweep", "[.][check-perf]") {
  for (const int unknown_per_mille : {0, 20, 50, 100}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      History h = simulated_history(seed * 1000 + static_cast<std::uint64_t>(unknown_per_mille),
                                    unknown_per_mille);
      const LinearizabilityResult r = check_linearizable(h);
      for (std::size_t i = h.ops.size() / 2; i < h.ops.size(); ++i) {
        Op& op = h.ops[i];
        if (op.kind == OpKind::kGet && op.outcome == OpOutcome::kOk) {
          op.value = "#never";
          break;
        }
      }
      const LinearizabilityResult bad = check_linearizable(h);
      std::printf(
          "unknown %3d/1000 seed %llu: ok=%d exhausted=%d states=%llu | broken: ok=%d "
          "exhausted=%d states=%llu\n",
          unknown_per_mille, static_cast<unsigned long long>(seed), r.ok ? 1 : 0,
          r.exhausted ? 1 : 0, static_cast<unsigned long long>(r.states_explored), bad.ok ? 1 : 0,
          bad.exhausted ? 1 : 0, static_cast<unsigned long long>(bad.states_explored));
      CHECK(r.ok);
      CHECK_FALSE(bad.ok);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Collections: the typed model of hashes, lists, sets and sorted sets.

namespace {

using eddy::sim::render_elements;

Op collection_op(std::uint64_t id, std::int64_t invoke, std::int64_t complete, OpKind kind,
                 std::string key) {
  Op op;
  op.id = id;
  op.client = static_cast<std::uint32_t>(id % 3);
  op.invoke_ns = invoke;
  op.complete_ns = complete;
  op.kind = kind;
  op.key = std::move(key);
  return op;
}

}  // namespace

TEST_CASE("linearizability: hash ops follow Redis's semantics", "[sim][linearizability]") {
  History h;
  Op a = collection_op(1, 0, 10, OpKind::kHSet, "h");
  a.field = "f";
  a.argument = "v1";
  a.integer = 1;  // new field
  Op b = collection_op(2, 20, 30, OpKind::kHSet, "h");
  b.field = "f";
  b.argument = "v2";
  b.integer = 0;  // overwrite
  Op c = collection_op(3, 40, 50, OpKind::kHGetAll, "h");
  c.value = render_elements({"f", "v2"});
  Op d = collection_op(4, 60, 70, OpKind::kHDel, "h");
  d.field = "f";
  d.integer = 1;
  Op e = collection_op(5, 80, 90, OpKind::kHGet, "h");  // the hash is gone with its last field
  h.ops = {a, b, c, d, e};
  CHECK(check_linearizable(h).ok);

  SECTION("a stale read is caught") {
    h.ops[2].value = render_elements({"f", "v1"});
    const LinearizabilityResult r = check_linearizable(h);
    CHECK_FALSE(r.ok);
    CHECK(r.key == "h");
  }
  SECTION("a wrong reply count is caught") {
    h.ops[1].integer = 1;
    CHECK_FALSE(check_linearizable(h).ok);
  }
}

TEST_CASE("linearizability: list and set ops, with a lost reply", "[sim][linearizability]") {
  History h;
  Op push1 = collection_op(1, 0, 10, OpKind::kLPush, "l");
  push1.argument = "a";
  push1.integer = 1;
  Op push2 = collection_op(2, 5, 0, OpKind::kLPush, "l");  // its reply never came
  push2.argument = "b";
  push2.outcome = OpOutcome::kUnknown;
  Op range = collection_op(3, 30, 40, OpKind::kLRange, "l");
  range.value = render_elements({"b", "a"});
  Op pop = collection_op(4, 50, 60, OpKind::kRPop, "l");
  pop.value = "a";
  Op add = collection_op(5, 0, 10, OpKind::kSAdd, "e");
  add.argument = "m";
  add.integer = 1;
  Op add_again = collection_op(6, 20, 30, OpKind::kSAdd, "e");
  add_again.argument = "m";
  add_again.integer = 0;
  Op members = collection_op(7, 40, 50, OpKind::kSMembers, "e");
  members.value = render_elements({"m"});
  h.ops = {push1, push2, range, pop, add, add_again, members};
  CHECK(check_linearizable(h).ok);

  SECTION("RPOP from the wrong end is caught") {
    h.ops[3].value = "b";
    const LinearizabilityResult r = check_linearizable(h);
    CHECK_FALSE(r.ok);
    CHECK(r.key == "l");
  }
}

TEST_CASE("linearizability: ZADD GT never lowers a score", "[sim][linearizability]") {
  History h;
  Op add = collection_op(1, 0, 10, OpKind::kZAdd, "z");
  add.field = "m";
  add.argument = "5";
  add.integer = 1;
  Op lower = collection_op(2, 20, 30, OpKind::kZAdd, "z");
  lower.field = "m";
  lower.argument = "3";
  lower.greater = true;
  lower.integer = 0;  // GT: 3 < 5 changes nothing
  Op score = collection_op(3, 40, 50, OpKind::kZScore, "z");
  score.field = "m";
  score.value = "5";
  Op range = collection_op(4, 60, 70, OpKind::kZRange, "z");
  range.value = render_elements({"m", "5"});
  h.ops = {add, lower, score, range};
  CHECK(check_linearizable(h).ok);

  SECTION("a GT that lowered the score is caught") {
    h.ops[1].integer = 1;
    h.ops[2].value = "3";
    h.ops[3].value = render_elements({"m", "3"});
    const LinearizabilityResult r = check_linearizable(h);
    CHECK_FALSE(r.ok);
    CHECK(r.key == "z");
    CHECK(r.explanation.find("ZADD") != std::string::npos);
  }
}
