// The write path: effects (Redis's propagation rewrites), observers, key versions, O(1) memory
// accounting, and the replay property for the string and generic key commands (each type
// family's tests run the same property over its own commands with ReplayHarness).

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/replay.h"
#include "tests/unit/support/replay_harness.h"

namespace {

using eddy::testing::effect_lines;
using eddy::testing::ReplayHarness;
using eddy::testing::Reply;
using Args = std::vector<std::string>;

}  // namespace

TEST_CASE("effects are deterministic rewrites, as Redis propagates writes", "[write_path]") {
  ReplayHarness h;
  const std::int64_t now = h.primary().now_ms();
  const std::string in10s = std::to_string(now + 10'000);

  h.run({"SET", "k", "v", "EX", "10"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SET k v PXAT " + in10s});
  h.run({"SET", "k", "w", "KEEPTTL", "GET"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SET k w KEEPTTL"});
  h.run({"SETEX", "s", "10", "x"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SET s x PXAT " + in10s});
  h.run({"EXPIRE", "s", "10"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PEXPIREAT s " + in10s});
  h.run({"EXPIRE", "s", "-1"});
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL s"});
  h.run({"INCRBYFLOAT", "f", "1.5"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SET f 1.5 KEEPTTL"});
  h.run({"GETDEL", "f"});
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL f"});
  h.run({"GETEX", "k", "PX", "10000"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PEXPIREAT k " + in10s});
  h.run({"GETEX", "k", "PERSIST"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PERSIST k"});
  // Deterministic writes are their own effect.
  h.run({"INCR", "n"});
  CHECK(effect_lines(h) == std::vector<std::string>{"INCR n"});
  h.run({"APPEND", "n", "x"});
  CHECK(effect_lines(h) == std::vector<std::string>{"APPEND n x"});

  // Writes that change nothing produce nothing.
  h.run({"SET", "k", "z", "NX"});
  CHECK(effect_lines(h).empty());
  h.run({"DEL", "nothing"});
  CHECK(effect_lines(h).empty());
  h.run({"PERSIST", "k"});
  CHECK(effect_lines(h).empty());
  h.run({"EXPIRE", "k", "100", "XX"});
  CHECK(effect_lines(h).empty());
  h.run({"INCR", "k"});  // an error changes nothing
  CHECK(effect_lines(h).empty());
  // Reads produce nothing.
  h.run({"GET", "k"});
  CHECK(effect_lines(h).empty());
}

TEST_CASE("expiry is a DEL effect, lazy or active", "[write_path]") {
  ReplayHarness h;
  h.run({"SET", "a", "1", "PX", "100"});
  h.run({"SET", "b", "2", "PX", "100"});
  h.advance_ms(101);
  // A read that finds the key expired deletes it: DEL is the effect, and the read is not one.
  CHECK(h.run({"GET", "a"}) == Reply::null());
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL a"});
  // A write on an expired key: the expiry, then the write.
  h.run({"INCR", "b"});
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL b", "INCR b"});

  h.run({"SET", "c", "3", "PX", "100"});
  h.advance_ms(101);
  h.primary().shard().active_expire_cycle(1'000'000'000);
  h.sync({"(active expiry)"});
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL c"});
  CHECK(h.primary().db().size() == 1);  // b
}

TEST_CASE("FLUSHDB, FLUSHALL and SWAPDB are effects of their shard", "[write_path]") {
  ReplayHarness h;
  h.run({"SET", "a", "1"});
  h.select(3);
  h.run({"SET", "b", "2"});
  h.primary().shard().swap_dbs(0, 3, h.primary().now_ms());
  h.sync({"SWAPDB 0 3"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SWAPDB 0 3"});
  CHECK(h.primary().shard().db(0).peek("b") != nullptr);
  h.primary().shard().flush_db(0, h.primary().now_ms());
  h.sync({"FLUSHDB"});
  CHECK(effect_lines(h) == std::vector<std::string>{"FLUSHDB"});
  h.primary().shard().flush_all(h.primary().now_ms());
  h.sync({"FLUSHALL"});
  CHECK(h.replica().shard().used_bytes() == h.primary().shard().used_bytes());
}

TEST_CASE("watched keys get a new version on every change, expiry and flush of the key included",
          "[write_path]") {
  eddy::testing::CommandRunner r;
  eddy::WritePath& writes = r.shard().writes();
  const std::uint64_t v0 = writes.watch(0, "k");
  r.run({"GET", "k"});
  CHECK(writes.watched_version(0, "k") == v0);
  r.run({"SET", "k", "v", "PX", "10"});
  const std::uint64_t v1 = writes.watched_version(0, "k");
  CHECK(v1 > v0);
  r.run({"SET", "other", "v"});
  CHECK(writes.watched_version(0, "k") == v1);
  r.advance_ms(11);
  r.run({"GET", "k"});  // expires it
  const std::uint64_t v2 = writes.watched_version(0, "k");
  CHECK(v2 > v1);
  // A flush touches a watched key only when it held it (Redis's touchAllWatchedKeysInDb).
  r.shard().flush_db(0, r.now_ms());
  CHECK(writes.watched_version(0, "k") == v2);
  r.run({"SET", "k", "again"});
  const std::uint64_t v3 = writes.watched_version(0, "k");
  CHECK(v3 > v2);
  r.shard().flush_db(0, r.now_ms());
  CHECK(writes.watched_version(0, "k") > v3);
  writes.unwatch(0, "k");
}

TEST_CASE("replay refuses hostile effects without applying them", "[write_path]") {
  eddy::testing::CommandRunner r;
  auto refuse = [&](std::vector<std::string_view> args, std::uint16_t db = 0) {
    const eddy::Effect effect{db, args};
    const eddy::EffectBatch batch{0, 0, 1, r.now_ms(), std::span<const eddy::Effect>(&effect, 1)};
    std::string error;
    CHECK_FALSE(eddy::replay_effects(r.table(), r.shard(), batch, &error));
    CHECK_FALSE(error.empty());
  };
  refuse({"NOSUCH", "k"});
  refuse({"SET", "k"});           // arity
  refuse({"GET", "k"});           // not a write
  refuse({"PING"});               // not a keyspace command
  refuse({"SET", "k", "v"}, 16);  // database out of range
  refuse({"SWAPDB", "0", "99"});
  CHECK(r.db().size() == 0);
}

// ---------------------------------------------------------------------------------------------
// The replay property over string and generic key commands.

namespace {

rc::Gen<Args> string_or_key_command() {
  const auto key = rc::gen::element<std::string>("a", "b", "c", "n");
  const auto value =
      rc::gen::element<std::string>("", "1", "-7", "x", "hello", "3.5", std::string(40, 'z'));
  const auto ms = rc::gen::element<std::string>("1", "5", "50", "1000", "-1");
  return rc::gen::oneOf(rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SET", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v, std::string t) {
                              return Args{"SET", k, v, "PX", t == "-1" ? "3" : t};
                            },
                            key, value, ms),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SET", k, v, "KEEPTTL", "GET"};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SET", k, v, "NX"};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SET", k, v, "XX"};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"INCR", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"INCRBYFLOAT", k, "0.25"};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"APPEND", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SETRANGE", k, "3", v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"GETDEL", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string t) {
                              return Args{"GETEX", k, "PX", t == "-1" ? "2" : t};
                            },
                            key, ms),
                        rc::gen::apply(
                            [](std::string k, std::string t) {
                              return Args{"PEXPIRE", k, t};
                            },
                            key, ms),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"PERSIST", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string j) {
                              return Args{"DEL", k, j};
                            },
                            key, key),
                        rc::gen::apply(
                            [](std::string k, std::string j) {
                              return Args{"RENAME", k, j};
                            },
                            key, key),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"MOVE", k, "1"};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string j, std::string v) {
                              return Args{"MSET", k, v, j, v};
                            },
                            key, key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"GET", k};
                            },
                            key),
                        rc::gen::just(Args{"(advance)"}));
}

}  // namespace

TEST_CASE("replaying the effects of string and key commands reproduces the keyspace",
          "[write_path][property]") {
  rc::prop("replica equals primary after every command", [] {
    ReplayHarness h;
    const auto commands = *rc::gen::container<std::vector<Args>>(string_or_key_command());
    for (const Args& args : commands) {
      if (args[0] == "(advance)") {
        h.advance_ms(4);
        continue;
      }
      h.run(args);
    }
    h.primary().shard().active_expire_cycle(1'000'000'000);
    h.sync({"(active expiry)"});
  });
}
