// Example-based tests of the generic key commands and of the keyparts pieces the cross-shard
// code shares. Expected replies were checked against redis-server 7.0.15.

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/key_parts.h"
#include "tests/unit/support/command_runner.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::Reply;

const Reply kOk = Reply::ok();
const Reply kNil = Reply::null();
Reply bulk(std::string_view text) { return Reply::bulk(text); }
Reply integer(std::int64_t n) { return Reply::integer(n); }
Reply err(std::string_view text) { return Reply::error(text); }

const Reply kNotInteger = err("ERR value is not an integer or out of range");

}  // namespace

TEST_CASE("DEL UNLINK EXISTS TYPE", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"MSET", "a", "1", "b", "2", "c", "3"}) == kOk);
  CHECK(r.run({"EXISTS", "a", "a", "nokey", "b"}) == integer(3));
  CHECK(r.run({"TYPE", "a"}) == Reply::simple("string"));
  CHECK(r.run({"TYPE", "nokey"}) == Reply::simple("none"));
  CHECK(r.run({"DEL", "a", "a", "nokey"}) == integer(1));
  CHECK(r.run({"EXISTS", "a"}) == integer(0));
  CHECK(r.run({"UNLINK", "b", "c", "b"}) == integer(2));
  CHECK(r.db().size() == 0);
  CHECK(r.run({"DEL"}) == err("ERR wrong number of arguments for 'del' command"));
  CHECK(r.run({"EXISTS"}) == err("ERR wrong number of arguments for 'exists' command"));
  // An expired key neither exists nor is deleted (it is already gone).
  CHECK(r.run({"SET", "t", "v", "PX", "10"}) == kOk);
  CHECK(r.run({"EXISTS", "t"}) == integer(1));
  r.advance_ms(11);
  CHECK(r.run({"EXISTS", "t"}) == integer(0));
  CHECK(r.run({"SET", "t", "v", "PX", "10"}) == kOk);
  r.advance_ms(11);
  CHECK(r.run({"DEL", "t"}) == integer(0));
  CHECK(r.db().volatile_count() == 0);
}

TEST_CASE("EXPIRE option rules", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  const Reply nx_conflict =
      err("ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(r.run({"EXPIRE", "k", "100", "NX", "XX"}) == nx_conflict);
  CHECK(r.run({"EXPIRE", "k", "100", "nx", "gt"}) == nx_conflict);
  CHECK(r.run({"EXPIRE", "k", "100", "lt", "nx"}) == nx_conflict);
  CHECK(r.run({"EXPIRE", "k", "100", "GT", "LT"}) ==
        err("ERR GT and LT options at the same time are not compatible"));
  CHECK(r.run({"EXPIRE", "k", "100", "foo"}) == err("ERR Unsupported option foo"));
  CHECK(r.run({"EXPIRE", "k", "100", "Foo", "bar"}) == err("ERR Unsupported option Foo"));
  // Options are checked before the number.
  CHECK(r.run({"EXPIRE", "k", "abc", "foo"}) == err("ERR Unsupported option foo"));
  CHECK(r.run({"EXPIRE", "k", "abc"}) == kNotInteger);
  CHECK(r.run({"EXPIRE", "k"}) == err("ERR wrong number of arguments for 'expire' command"));
  CHECK(r.run({"EXPIRE", "k", "100", "XX", "GT"}) == integer(0));  // no TTL: XX fails
  CHECK(r.run({"EXPIRE", "k", "100", "XX"}) == integer(0));
  CHECK(r.run({"EXPIRE", "k", "100", "GT"}) == integer(0));  // no TTL counts as infinite
  CHECK(r.run({"EXPIRE", "k", "100", "LT"}) == integer(1));
  CHECK(r.run({"EXPIRE", "k", "100", "NX"}) == integer(0));
  CHECK(r.run({"TTL", "k"}) == integer(100));
  CHECK(r.run({"EXPIRE", "k", "200", "GT"}) == integer(1));
  CHECK(r.run({"EXPIRE", "k", "50", "LT"}) == integer(1));
  CHECK(r.run({"EXPIRE", "k", "50", "GT"}) == integer(0));
  CHECK(r.run({"EXPIRE", "k", "50", "LT"}) == integer(0));
  CHECK(r.run({"EXPIRE", "k", "500", "LT"}) == integer(0));
  CHECK(r.run({"EXPIRE", "k", "60", "XX", "GT"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(60));
  CHECK(r.run({"EXPIRE", "nokey", "100"}) == integer(0));
  CHECK(r.run({"EXISTS", "nokey"}) == integer(0));
  CHECK(r.run({"PERSIST", "k"}) == integer(1));
  CHECK(r.run({"EXPIRE", "k", "100", "NX"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(100));
}

TEST_CASE("EXPIRE family deadlines, overflow and deletion", "[cmd]") {
  CommandRunner r;
  const std::int64_t now = r.now_ms();
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"EXPIRE", "k", "9223372036854776"}) ==
        err("ERR invalid expire time in 'expire' command"));
  CHECK(r.run({"EXPIRE", "k", "-9223372036854776"}) ==
        err("ERR invalid expire time in 'expire' command"));
  CHECK(r.run({"EXPIRE", "k", "9223372036854775"}) ==
        err("ERR invalid expire time in 'expire' command"));
  CHECK(r.run({"PEXPIRE", "k", "9223372036854775807"}) ==
        err("ERR invalid expire time in 'pexpire' command"));
  CHECK(r.run({"EXPIREAT", "k", "9223372036854776"}) ==
        err("ERR invalid expire time in 'expireat' command"));
  CHECK(r.run({"EXISTS", "k"}) == integer(1));
  CHECK(r.run({"EXPIREAT", "k", "9223372036854775"}) == integer(1));
  CHECK(r.run({"PEXPIREAT", "k", "9223372036854775807"}) == integer(1));
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(INT64_MAX));
  CHECK(r.run({"EXPIRETIME", "k"}) == integer(9223372036854776));
  CHECK(r.run({"PEXPIRE", "k", "2500"}) == integer(1));
  CHECK(r.run({"PTTL", "k"}) == integer(2500));
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(now + 2500));
  CHECK(r.run({"EXPIREAT", "k", std::to_string(now / 1000 + 30)}) == integer(1));
  CHECK(r.run({"EXPIRETIME", "k"}) == integer(now / 1000 + 30));
  CHECK(r.run({"PEXPIREAT", "k", std::to_string(now + 5)}) == integer(1));
  CHECK(r.run({"PTTL", "k"}) == integer(5));
  // A deadline not in the future deletes the key and still answers 1.
  CHECK(r.run({"EXPIRE", "k", "-9223372036854775"}) == integer(1));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"EXPIRE", "k", "0"}, {"PEXPIRE", "k", "-1"},
        {"EXPIREAT", "k", "1"}, {"PEXPIREAT", "k", std::to_string(now)},
        {"PEXPIRE", "k", "0"}}) {
    CAPTURE(cmd[0], cmd[2]);
    CHECK(r.run({"SET", "k", "v", "EX", "100"}) == kOk);
    CHECK(r.run(cmd) == integer(1));
    CHECK(r.run({"EXISTS", "k"}) == integer(0));
  }
  CHECK(r.db().volatile_count() == 0);
  // GT/LT compare against the deadline even for a key about to go.
  CHECK(r.run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(r.run({"EXPIRE", "k", "-1", "GT"}) == integer(0));
  CHECK(r.run({"EXPIRE", "k", "-1", "LT"}) == integer(1));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("TTL PTTL EXPIRETIME PEXPIRETIME PERSIST", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"TTL", "nokey"}) == integer(-2));
  CHECK(r.run({"PTTL", "nokey"}) == integer(-2));
  CHECK(r.run({"EXPIRETIME", "nokey"}) == integer(-2));
  CHECK(r.run({"PEXPIRETIME", "nokey"}) == integer(-2));
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"TTL", "k"}) == integer(-1));
  CHECK(r.run({"PTTL", "k"}) == integer(-1));
  CHECK(r.run({"EXPIRETIME", "k"}) == integer(-1));
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(-1));
  CHECK(r.run({"PERSIST", "k"}) == integer(0));
  CHECK(r.run({"PERSIST", "nokey"}) == integer(0));
  // TTL rounds to the nearest second.
  CHECK(r.run({"PEXPIRE", "k", "1499"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(1));
  CHECK(r.run({"PEXPIRE", "k", "1500"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(2));
  CHECK(r.run({"PEXPIRE", "k", "499"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(0));
  CHECK(r.run({"PEXPIRE", "k", "500"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(1));
  const std::int64_t now = r.now_ms();
  CHECK(r.run({"PEXPIREAT", "k", std::to_string(now + 100'499)}) == integer(1));
  CHECK(r.run({"EXPIRETIME", "k"}) == integer((now + 100'499 + 500) / 1000));
  CHECK(r.run({"PERSIST", "k"}) == integer(1));
  CHECK(r.run({"TTL", "k"}) == integer(-1));
  CHECK(r.run({"PERSIST", "k"}) == integer(0));
  CHECK(r.db().volatile_count() == 0);
  // Time passes.
  CHECK(r.run({"SET", "k", "v", "EX", "10"}) == kOk);
  r.advance_ms(2'400);
  CHECK(r.run({"TTL", "k"}) == integer(8));
  CHECK(r.run({"PTTL", "k"}) == integer(7'600));
  r.advance_ms(7'601);
  CHECK(r.run({"TTL", "k"}) == integer(-2));
  CHECK(r.run({"TTL"}) == err("ERR wrong number of arguments for 'ttl' command"));
}

// Redis treats a key as expired only once now > deadline (db.c keyIsExpired), so at the exact
// deadline millisecond it still exists with PTTL 0. Engine/db.h currently expires at
// now >= deadline; this case documents the difference until that is settled.
TEST_CASE("a key is still there at its exact deadline (Redis keyIsExpired)", "[cmd][!mayfail]") {
  CommandRunner r;
  CHECK(r.run({"SET", "k", "v", "PX", "100"}) == kOk);
  r.advance_ms(100);
  CHECK(r.run({"PTTL", "k"}) == integer(0));
  CHECK(r.run({"GET", "k"}) == bulk("v"));
  r.advance_ms(1);
  CHECK(r.run({"GET", "k"}) == kNil);
}

TEST_CASE("RENAME RENAMENX", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"RENAME", "nokey", "x"}) == err("ERR no such key"));
  CHECK(r.run({"RENAME", "nokey", "nokey"}) == err("ERR no such key"));
  CHECK(r.run({"RENAMENX", "nokey", "nokey"}) == err("ERR no such key"));
  CHECK(r.run({"RENAMENX", "nokey", "x"}) == err("ERR no such key"));
  CHECK(r.run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(r.run({"RENAME", "k", "k"}) == kOk);
  CHECK(r.run({"RENAMENX", "k", "k"}) == integer(0));
  CHECK(r.run({"TTL", "k"}) == integer(100));
  // The TTL travels with the key.
  CHECK(r.run({"RENAME", "k", "b"}) == kOk);
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"GET", "b"}) == bulk("v"));
  CHECK(r.run({"TTL", "b"}) == integer(100));
  CHECK(r.run({"SET", "c", "3"}) == kOk);
  CHECK(r.run({"RENAMENX", "b", "c"}) == integer(0));
  CHECK(r.run({"GET", "c"}) == bulk("3"));
  CHECK(r.run({"RENAMENX", "b", "d"}) == integer(1));
  CHECK(r.run({"TTL", "d"}) == integer(100));
  CHECK(r.run({"EXISTS", "b"}) == integer(0));
  // Overwriting a target replaces its value and its TTL.
  CHECK(r.run({"SET", "t", "old", "EX", "500"}) == kOk);
  CHECK(r.run({"RENAME", "c", "t"}) == kOk);
  CHECK(r.run({"GET", "t"}) == bulk("3"));
  CHECK(r.run({"TTL", "t"}) == integer(-1));
  CHECK(r.db().volatile_count() == 1);  // only d
  // An expired target does not block RENAMENX; an expired source is missing.
  CHECK(r.run({"SET", "gone", "x", "PX", "5"}) == kOk);
  r.advance_ms(6);
  CHECK(r.run({"RENAMENX", "t", "gone"}) == integer(1));
  CHECK(r.run({"GET", "gone"}) == bulk("3"));
  CHECK(r.run({"SET", "src", "x", "PX", "5"}) == kOk);
  r.advance_ms(6);
  CHECK(r.run({"RENAME", "src", "dst"}) == err("ERR no such key"));
  // Int-encoded and heap values survive the move.
  const std::string long_value(100, 'z');
  CHECK(r.run({"MSET", "i", "-17", "l", long_value}) == kOk);
  CHECK(r.run({"RENAME", "i", "i2"}) == kOk);
  CHECK(r.run({"RENAME", "l", "l2"}) == kOk);
  CHECK(r.run({"MGET", "i2", "l2"}) == Reply::array({bulk("-17"), bulk(long_value)}));
  CHECK(r.run({"INCR", "i2"}) == integer(-16));
}

TEST_CASE("MOVE", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "d", "v", "EX", "100"}) == kOk);
  CHECK(r.run({"MOVE", "d", "0"}) == err("ERR source and destination objects are the same"));
  CHECK(r.run({"MOVE", "d", "16"}) == err("ERR DB index is out of range"));
  CHECK(r.run({"MOVE", "d", "-1"}) == err("ERR DB index is out of range"));
  CHECK(r.run({"MOVE", "d", "abc"}) == kNotInteger);
  CHECK(r.run({"MOVE", "d", "99999999999999"}) ==
        err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  CHECK(r.run({"MOVE", "nokey", "1"}) == integer(0));
  CHECK(r.run({"MOVE", "d", "1"}) == integer(1));
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  CHECK(r.db().volatile_count() == 0);
  r.select(1);
  CHECK(r.run({"GET", "d"}) == bulk("v"));
  CHECK(r.run({"TTL", "d"}) == integer(100));
  CHECK(r.db().volatile_count() == 1);
  CHECK(r.run({"SET", "e", "5"}) == kOk);
  r.select(0);
  CHECK(r.run({"SET", "e", "6"}) == kOk);
  CHECK(r.run({"MOVE", "e", "1"}) == integer(0));
  CHECK(r.run({"GET", "e"}) == bulk("6"));
  // An expired key in the target database does not block the move.
  r.select(1);
  CHECK(r.run({"SET", "x", "old", "PX", "5"}) == kOk);
  r.select(0);
  CHECK(r.run({"SET", "x", "new"}) == kOk);
  r.advance_ms(6);
  CHECK(r.run({"MOVE", "x", "1"}) == integer(1));
  r.select(1);
  CHECK(r.run({"GET", "x"}) == bulk("new"));
  CHECK(r.run({"TTL", "x"}) == integer(-1));
}

TEST_CASE("key command specs match Redis 7.0 COMMAND INFO", "[cmd]") {
  CommandRunner r;
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& {
    const eddy::CommandSpec* s = r.table().find(name);
    REQUIRE(s != nullptr);
    return *s;
  };
  CHECK(spec("del").flags == eddy::kCmdWrite);
  CHECK(spec("del").acl_categories == "@keyspace @write @slow");
  CHECK(spec("unlink").flags == (eddy::kCmdWrite | eddy::kCmdFast));
  CHECK(spec("exists").last_key == -1);
  CHECK(spec("rename").last_key == 2);
  CHECK(spec("rename").flags == eddy::kCmdWrite);
  CHECK(spec("renamenx").flags == (eddy::kCmdWrite | eddy::kCmdFast));
  CHECK(spec("expire").arity == -3);
  CHECK(spec("ttl").arity == 2);
  CHECK(spec("expiretime").since == "7.0.0");
  CHECK(spec("move").group == "generic");
  CHECK(spec("pexpireat").summary ==
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds");
}

TEST_CASE("keyparts pieces", "[cmd]") {
  CommandRunner r;
  eddy::Db& db = r.db();
  const std::int64_t now = r.now_ms();
  const std::string_view args[] = {"X", "a", "1", "b", "2", "a", "3"};
  const std::uint32_t pairs[] = {1, 3, 5};
  eddy::keyparts::mset(db, args, pairs, now);
  CHECK(r.run({"MGET", "a", "b"}) == Reply::array({bulk("3"), bulk("2")}));

  const std::uint32_t keys[] = {1, 3, 5, 2};  // a, b, a, "1" (absent)
  CHECK(eddy::keyparts::count_existing(db, args, keys, now) == 3);
  std::vector<std::optional<std::string>> out(4);
  eddy::keyparts::mget(db, args, keys, now, out);
  CHECK(out[0] == std::optional<std::string>("3"));
  CHECK(out[1] == std::optional<std::string>("2"));
  CHECK(out[2] == std::optional<std::string>("3"));
  CHECK_FALSE(out[3].has_value());
  CHECK(eddy::keyparts::exists(db, "a", now));
  CHECK_FALSE(eddy::keyparts::exists(db, "zz", now));

  CHECK(r.run({"PEXPIRE", "a", "1000"}) == integer(1));
  std::optional<eddy::keyparts::MovedValue> moved = eddy::keyparts::take(db, "a", now);
  REQUIRE(moved.has_value());
  CHECK(moved->expire_at_ms == now + 1000);
  CHECK_FALSE(eddy::keyparts::exists(db, "a", now));
  CHECK_FALSE(eddy::keyparts::take(db, "a", now).has_value());
  CHECK(db.volatile_count() == 0);
  eddy::keyparts::put(db, "b", std::move(*moved), now);  // overwrites b
  CHECK(r.run({"GET", "b"}) == bulk("3"));
  CHECK(r.run({"PTTL", "b"}) == integer(1000));
  CHECK(db.volatile_count() == 1);

  CHECK(eddy::keyparts::del(db, args, keys, now) == 1);  // only b exists of a, b, a, "1"
  CHECK(db.size() == 0);
  CHECK(db.volatile_count() == 0);

  // Chunking covers every index exactly once, in order.
  std::vector<std::uint32_t> seen;
  eddy::keyparts::for_each_key_chunk(1, 2, 300, [&](std::span<const std::uint32_t> chunk) {
    CHECK(chunk.size() <= 64);
    seen.insert(seen.end(), chunk.begin(), chunk.end());
  });
  REQUIRE(seen.size() == 150);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == 1 + 2 * i);
}
