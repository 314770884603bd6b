// Example-based tests of the generic key commands and of the keyparts pieces the cross-shard
// code shares. Expected replies were checked against redis-server 7.0.15.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/cmd/key_parts.h"
#include "tests/unit/support/command_runner.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::Reply;

const Reply kOk = Reply::ok();
const Reply kNil = Reply::null();
Reply bulk(std::string_view text) {
  return Reply::bulk(text);
}
Reply integer(std::int64_t n) {
  return Reply::integer(n);
}
Reply err(std::string_view text) {
  return Reply::error(text);
}

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
  for (std::vector<std::string> cmd : {std::vector<std::string>{"EXPIRE", "k", "0"},
                                       {"PEXPIRE", "k", "-1"},
                                       {"EXPIREAT", "k", "1"},
                                       {"PEXPIREAT", "k", std::to_string(now)},
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
// deadline millisecond it still exists with PTTL 0; Db::expired follows that rule.
TEST_CASE("a key is still there at its exact deadline (Redis keyIsExpired)", "[cmd]") {
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
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& { return r.spec(name); };
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
  r.write([&] { eddy::keyparts::mset(db, args, pairs, now); });
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
  std::optional<eddy::keyparts::MovedValue> moved;
  r.write([&] { moved = eddy::keyparts::take(db, "a", now); });
  REQUIRE(moved.has_value());
  CHECK(moved->expire_at_ms == now + 1000);
  CHECK_FALSE(eddy::keyparts::exists(db, "a", now));
  r.write([&] { CHECK_FALSE(eddy::keyparts::take(db, "a", now).has_value()); });
  CHECK(db.volatile_count() == 0);
  r.write([&] { eddy::keyparts::put(db, "b", std::move(*moved), now); });  // overwrites b
  CHECK(r.run({"GET", "b"}) == bulk("3"));
  CHECK(r.run({"PTTL", "b"}) == integer(1000));
  CHECK(db.volatile_count() == 1);

  r.write([&] { CHECK(eddy::keyparts::del(db, args, keys, now) == 1); });  // only b of a, b, a, "1"
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

// ---------------------------------------------------------------------------------------------
// Model test: random command sequences (with clock steps) against a plain std::map model of
// Redis's string and TTL semantics, written independently of the handlers. Every reply must
// equal the model's.

namespace {

// Redis 7.0 keeps a key alive at its exact deadline millisecond (keyIsExpired: now > when),
// and so does the model.

struct ModelEntry {
  std::string value;
  std::optional<std::int64_t> deadline;
};

class Model {
 public:
  explicit Model(std::int64_t now) : now_(now) {}

  std::int64_t now() const { return now_; }
  void advance(std::int64_t ms) { now_ += ms; }

  // The live entry, or nullptr (an expired one is dropped).
  ModelEntry* live(const std::string& key) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    const auto& deadline = it->second.deadline;
    if (deadline && now_ > *deadline) {
      keys_.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  ModelEntry& put(const std::string& key) { return keys_[key]; }
  void erase(const std::string& key) { keys_.erase(key); }

 private:
  std::map<std::string, ModelEntry> keys_;
  std::int64_t now_;
};

// Canonical int64 text, decided by round trip rather than by mirroring string2ll.
std::optional<std::int64_t> model_int(const std::string& text) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (std::to_string(value) != text) return std::nullopt;
  return value;
}

const std::vector<std::string>& model_keys() {
  static const std::vector<std::string> keys{"a", "b", "c", "d"};
  return keys;
}

const std::vector<std::string>& model_values() {
  static const std::vector<std::string> values{"",
                                               "0",
                                               "1",
                                               "-1",
                                               "12",
                                               "007",
                                               "abc",
                                               "3.5",
                                               "9223372036854775807",
                                               "-9223372036854775808",
                                               "hello world",
                                               std::string(30, 'x'),
                                               std::string("n\0l", 3)};
  return values;
}

enum OpKind : int {
  kOpSet,
  kOpSet2,  // SET appears twice as often
  kOpGet,
  kOpDel,
  kOpExists,
  kOpIncr,
  kOpAppend,
  kOpExpire,
  kOpPexpire,
  kOpTtl,
  kOpPttl,
  kOpPersist,
  kOpGetdel,
  kOpSetrange,
  kOpGetrange,
  kOpStrlen,
  kOpMset,
  kOpMget,
  kOpAdvance,
  kOpAdvance2,
  kOpCount,
};

struct Op {
  int kind = 0;
  std::vector<int> key_pool;    // 3 indexes into model_keys(); the first key_count are used
  int key_count = 1;            // 1..3
  std::vector<int> values;      // 3 indexes into model_values()
  std::vector<int> token_pool;  // 3 SET options / EXPIRE conditions; token_count are used
  int token_count = 0;          // 0..3
  int a = 0;
  int b = 0;

  std::span<const int> keys() const {
    return std::span<const int>(key_pool).first(static_cast<std::size_t>(key_count));
  }
  std::span<const int> tokens() const {
    return std::span<const int>(token_pool).first(static_cast<std::size_t>(token_count));
  }
};

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::inRange(0, static_cast<int>(kOpCount))),
      rc::gen::set(&Op::key_pool,
                   rc::gen::container<std::vector<int>>(
                       3, rc::gen::inRange(0, static_cast<int>(model_keys().size())))),
      rc::gen::set(&Op::key_count, rc::gen::inRange(1, 4)),
      rc::gen::set(&Op::values,
                   rc::gen::container<std::vector<int>>(
                       3, rc::gen::inRange(0, static_cast<int>(model_values().size())))),
      rc::gen::set(&Op::token_pool,
                   rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 9))),
      rc::gen::set(&Op::token_count, rc::gen::inRange(0, 4)),
      rc::gen::set(&Op::a, rc::gen::inRange(-3, 40)),
      rc::gen::set(&Op::b, rc::gen::inRange(-40, 3000)));
}

using Args = std::vector<std::string>;

// SET key value [options]: builds the command and the model's reply.
Reply model_set(Model& m, const Op& op, Args* cmd) {
  const std::string& key = model_keys()[op.keys()[0]];
  const std::string& value = model_values()[op.values[0]];
  *cmd = {"SET", key, value};
  bool nx = false, xx = false, get = false;
  std::vector<std::string> ttl_kinds;  // distinct kinds seen, in order
  std::string ttl_kind;                // the last TTL option
  std::int64_t amount = 0;             // its number
  // Numbers derive from op.a / op.b so EX/PX land both in the past and the future.
  for (std::size_t i = 0; i < op.tokens().size(); ++i) {
    std::string kind;
    std::int64_t n = 0;
    switch (op.tokens()[i]) {
      case 0:
        cmd->push_back("NX");
        nx = true;
        continue;
      case 1:
        cmd->push_back("xx");
        xx = true;
        continue;
      case 2:
        cmd->push_back("GET");
        get = true;
        continue;
      case 3:
        kind = "KEEPTTL";
        break;
      case 4:
        kind = "EX";
        n = op.a / 4;
        break;
      case 5:
        kind = "PX";
        n = op.b;
        break;
      case 6:
        kind = "EXAT";
        n = m.now() / 1000 + op.a / 4;
        break;
      case 7:
        kind = "PXAT";
        n = m.now() + op.b - 100;
        break;
      default:
        kind = "PX";
        n = op.b / 2 + static_cast<std::int64_t>(i);
        break;
    }
    cmd->push_back(kind);
    if (kind != "KEEPTTL") cmd->push_back(std::to_string(n));
    if (std::find(ttl_kinds.begin(), ttl_kinds.end(), kind) == ttl_kinds.end()) {
      ttl_kinds.push_back(kind);
    }
    ttl_kind = kind;
    amount = n;
  }
  if ((nx && xx) || ttl_kinds.size() > 1) return Reply::error("ERR syntax error");
  std::optional<std::int64_t> deadline;
  if (!ttl_kind.empty() && ttl_kind != "KEEPTTL") {
    if (amount <= 0) return Reply::error("ERR invalid expire time in 'set' command");
    if (ttl_kind == "EX") deadline = m.now() + amount * 1000;
    if (ttl_kind == "PX") deadline = m.now() + amount;
    if (ttl_kind == "EXAT") deadline = amount * 1000;
    if (ttl_kind == "PXAT") deadline = amount;
  }
  ModelEntry* old = m.live(key);
  Reply reply = get ? (old ? Reply::bulk(old->value) : Reply::null()) : Reply::ok();
  if ((nx && old != nullptr) || (xx && old == nullptr)) return get ? reply : Reply::null();
  std::optional<std::int64_t> kept;
  if (old != nullptr && ttl_kind == "KEEPTTL") kept = old->deadline;
  ModelEntry& entry = m.put(key);
  entry.value = value;
  entry.deadline = ttl_kind == "KEEPTTL" ? kept : deadline;
  return reply;
}

Reply model_expire(Model& m, const Op& op, bool seconds, Args* cmd) {
  const std::string& key = model_keys()[op.keys()[0]];
  const std::int64_t n = seconds ? op.a / 4 : op.b;
  *cmd = {seconds ? "EXPIRE" : "PEXPIRE", key, std::to_string(n)};
  static const char* const kConditions[] = {"NX", "XX", "GT", "LT"};
  bool nx = false, xx = false, gt = false, lt = false;
  // At most two conditions, so both valid and conflicting sets appear.
  for (std::size_t i = 0; i < op.tokens().size() && i < 2; ++i) {
    if (op.tokens()[i] >= 4) continue;
    cmd->push_back(kConditions[op.tokens()[i]]);
    nx |= op.tokens()[i] == 0;
    xx |= op.tokens()[i] == 1;
    gt |= op.tokens()[i] == 2;
    lt |= op.tokens()[i] == 3;
  }
  if (nx && (xx || gt || lt)) {
    return Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return Reply::error("ERR GT and LT options at the same time are not compatible");
  const std::int64_t when = m.now() + (seconds ? n * 1000 : n);
  ModelEntry* entry = m.live(key);
  if (entry == nullptr) return Reply::integer(0);
  const auto& current = entry->deadline;
  if (nx && current) return Reply::integer(0);
  if (xx && !current) return Reply::integer(0);
  if (gt && (!current || when <= *current)) return Reply::integer(0);
  if (lt && current && when >= *current) return Reply::integer(0);
  if (when <= m.now()) {
    m.erase(key);
  } else {
    entry->deadline = when;
  }
  return Reply::integer(1);
}

Reply model_getrange(Model& m, const std::string& key, std::int64_t start, std::int64_t end) {
  ModelEntry* entry = m.live(key);
  if (entry == nullptr) return Reply::bulk("");
  const auto len = static_cast<std::int64_t>(entry->value.size());
  // Redis 7.0: both negative and inverted is empty; otherwise negatives count from the end and
  // clamp at 0 (so an end before the start of the string still selects byte 0).
  if (start < 0 && end < 0 && start > end) return Reply::bulk("");
  if (start < 0) start = std::max<std::int64_t>(0, len + start);
  if (end < 0) end = std::max<std::int64_t>(0, len + end);
  end = std::min(end, len - 1);
  if (len == 0 || start > end) return Reply::bulk("");
  return Reply::bulk(entry->value.substr(static_cast<std::size_t>(start),
                                         static_cast<std::size_t>(end - start + 1)));
}

// Runs `op` on the model; fills `cmd` with the command to send.
Reply model_apply(Model& m, const Op& op, Args* cmd) {
  const auto& keys = model_keys();
  const auto& values = model_values();
  const std::string& key = keys[op.keys()[0]];
  const std::string& value = values[op.values[0]];
  switch (op.kind) {
    case kOpSet:
    case kOpSet2:
      return model_set(m, op, cmd);
    case kOpGet: {
      *cmd = {"GET", key};
      ModelEntry* e = m.live(key);
      return e ? Reply::bulk(e->value) : Reply::null();
    }
    case kOpDel: {
      *cmd = {"DEL"};
      std::int64_t deleted = 0;
      for (int k : op.keys()) {
        cmd->push_back(keys[k]);
        if (m.live(keys[k]) != nullptr) {
          m.erase(keys[k]);
          ++deleted;
        }
      }
      return Reply::integer(deleted);
    }
    case kOpExists: {
      *cmd = {"EXISTS"};
      std::int64_t found = 0;
      for (int k : op.keys()) {
        cmd->push_back(keys[k]);
        if (m.live(keys[k]) != nullptr) ++found;
      }
      return Reply::integer(found);
    }
    case kOpIncr: {
      *cmd = {"INCR", key};
      ModelEntry* e = m.live(key);
      if (e == nullptr) {
        m.put(key) = ModelEntry{"1", std::nullopt};
        return Reply::integer(1);
      }
      const std::optional<std::int64_t> n = model_int(e->value);
      if (!n) return Reply::error("ERR value is not an integer or out of range");
      if (*n == INT64_MAX) return Reply::error("ERR increment or decrement would overflow");
      e->value = std::to_string(*n + 1);
      return Reply::integer(*n + 1);
    }
    case kOpAppend: {
      *cmd = {"APPEND", key, value};
      ModelEntry* e = m.live(key);
      if (e == nullptr) e = &(m.put(key) = ModelEntry{"", std::nullopt});
      e->value += value;
      return Reply::integer(static_cast<std::int64_t>(e->value.size()));
    }
    case kOpExpire:
      return model_expire(m, op, true, cmd);
    case kOpPexpire:
      return model_expire(m, op, false, cmd);
    case kOpTtl:
    case kOpPttl: {
      const bool ms = op.kind == kOpPttl;
      *cmd = {ms ? "PTTL" : "TTL", key};
      ModelEntry* e = m.live(key);
      if (e == nullptr) return Reply::integer(-2);
      if (!e->deadline) return Reply::integer(-1);
      const std::int64_t left = std::max<std::int64_t>(0, *e->deadline - m.now());
      return Reply::integer(ms ? left : (left + 500) / 1000);
    }
    case kOpPersist: {
      *cmd = {"PERSIST", key};
      ModelEntry* e = m.live(key);
      if (e == nullptr || !e->deadline) return Reply::integer(0);
      e->deadline.reset();
      return Reply::integer(1);
    }
    case kOpGetdel: {
      *cmd = {"GETDEL", key};
      ModelEntry* e = m.live(key);
      if (e == nullptr) return Reply::null();
      Reply reply = Reply::bulk(e->value);
      m.erase(key);
      return reply;
    }
    case kOpSetrange: {
      const std::int64_t offset = op.a;
      *cmd = {"SETRANGE", key, std::to_string(offset), value};
      if (offset < 0) return Reply::error("ERR offset is out of range");
      ModelEntry* e = m.live(key);
      if (value.empty()) {
        return Reply::integer(e ? static_cast<std::int64_t>(e->value.size()) : 0);
      }
      if (e == nullptr) e = &(m.put(key) = ModelEntry{"", std::nullopt});
      const auto at = static_cast<std::size_t>(offset);
      if (e->value.size() < at + value.size()) e->value.resize(at + value.size(), '\0');
      e->value.replace(at, value.size(), value);
      return Reply::integer(static_cast<std::int64_t>(e->value.size()));
    }
    case kOpGetrange: {
      const std::int64_t start = op.a - 20;
      const std::int64_t end = op.b % 61 - 30;
      *cmd = {"GETRANGE", key, std::to_string(start), std::to_string(end)};
      return model_getrange(m, key, start, end);
    }
    case kOpStrlen: {
      *cmd = {"STRLEN", key};
      ModelEntry* e = m.live(key);
      return Reply::integer(e ? static_cast<std::int64_t>(e->value.size()) : 0);
    }
    case kOpMset: {
      *cmd = {"MSET"};
      for (std::size_t i = 0; i < op.keys().size(); ++i) {
        const std::string& k = keys[op.keys()[i]];
        const std::string& v = values[op.values[i % op.values.size()]];
        cmd->push_back(k);
        cmd->push_back(v);
        m.put(k) = ModelEntry{v, std::nullopt};
      }
      return Reply::ok();
    }
    case kOpMget: {
      *cmd = {"MGET"};
      std::vector<Reply> replies;
      for (int k : op.keys()) {
        cmd->push_back(keys[k]);
        ModelEntry* e = m.live(keys[k]);
        replies.push_back(e ? Reply::bulk(e->value) : Reply::null());
      }
      return Reply::array(std::move(replies));
    }
    default:
      break;
  }
  UNREACHABLE();
}

std::string show_command(const Args& cmd) {
  std::string text;
  for (const std::string& arg : cmd) {
    if (!text.empty()) text += ' ';
    text += Reply::bulk(arg).to_string();
  }
  return text;
}

}  // namespace

TEST_CASE("string and TTL commands agree with a model", "[cmd][model]") {
  rc::prop("random command sequences", [] {
    const std::vector<Op> ops = *rc::gen::container<std::vector<Op>>(gen_op());
    CommandRunner r;
    Model model(r.now_ms());
    std::string transcript;
    for (const Op& op : ops) {
      if (op.kind == kOpAdvance || op.kind == kOpAdvance2) {
        const std::int64_t ms = std::max(0, op.b);
        r.advance_ms(ms);
        model.advance(ms);
        transcript += "  (clock +" + std::to_string(ms) + " ms)\n";
        continue;
      }
      Args cmd;
      const Reply expected = model_apply(model, op, &cmd);
      const Reply got = r.run(cmd);
      transcript += "  " + show_command(cmd) + " -> " + got.to_string() + "\n";
      if (got != expected) {
        RC_FAIL("reply differs from the model; expected " + expected.to_string() +
                "\ntranscript:\n" + transcript);
      }
    }
    // The volatile-key count the Db keeps must match its keys (expired ones included until
    // they are dropped, so compare after touching every key).
    for (const std::string& key : model_keys()) r.run({"EXISTS", key});
    std::size_t volatile_keys = 0;
    for (const std::string& key : model_keys()) {
      const eddy::kv::Entry* entry = r.db().find(key, r.now_ms());
      if (entry != nullptr && entry->expire_at_ms() != 0) ++volatile_keys;
    }
    RC_ASSERT(r.db().volatile_count() == volatile_keys);
  });
}

TEST_CASE("COPY with DB and REPLACE, TTL kept", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "a", "1", "PX", "5000"}) == kOk);
  CHECK(r.run({"COPY", "a", "a"}) == err("ERR source and destination objects are the same"));
  CHECK(r.run({"COPY", "a", "b"}) == integer(1));
  CHECK(r.run({"GET", "b"}) == bulk("1"));
  CHECK(r.run({"PTTL", "b"}) == integer(5000));
  CHECK(r.run({"SET", "a", "2"}) == kOk);
  CHECK(r.run({"COPY", "a", "b"}) == integer(0));
  CHECK(r.run({"COPY", "a", "b", "REPLACE"}) == integer(1));
  CHECK(r.run({"GET", "b"}) == bulk("2"));
  CHECK(r.run({"PTTL", "b"}) == integer(-1));
  CHECK(r.run({"COPY", "a", "a", "DB", "2"}) == integer(1));
  CHECK(r.run({"COPY", "missing", "x"}) == integer(0));
  CHECK(r.run({"COPY", "a", "x", "DB", "16"}) == err("ERR DB index is out of range"));
  CHECK(r.run({"COPY", "a", "x", "DB", "nope"}) == kNotInteger);
  CHECK(r.run({"COPY", "a", "x", "BOGUS"}) == err("ERR syntax error"));
  r.select(2);
  CHECK(r.run({"GET", "a"}) == bulk("2"));
}

TEST_CASE("TOUCH OBJECT MEMORY", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "i", "12345"}) == kOk);
  CHECK(r.run({"SET", "e", "short"}) == kOk);
  CHECK(r.run({"SET", "w", std::string(45, 'x')}) == kOk);
  CHECK(r.run({"TOUCH", "i", "e", "nope", "i"}) == integer(3));
  CHECK(r.run({"OBJECT", "ENCODING", "i"}) == bulk("int"));
  CHECK(r.run({"OBJECT", "ENCODING", "e"}) == bulk("embstr"));
  CHECK(r.run({"OBJECT", "ENCODING", "w"}) == bulk("raw"));
  CHECK(r.run({"OBJECT", "ENCODING", "nope"}) == Reply::null());
  CHECK(r.run({"OBJECT", "REFCOUNT", "e"}) == integer(1));
  CHECK(r.run({"OBJECT", "FREQ", "e"}).is_error());
  CHECK(r.run({"OBJECT", "IDLETIME", "e"}).is_error());
  CHECK(r.run({"OBJECT", "ENCODING"}) ==
        err("ERR unknown subcommand or wrong number of arguments for 'ENCODING'. Try OBJECT HELP."));
  CHECK(r.run({"OBJECT", "HELP"}).kind == Reply::Kind::kArray);
  const Reply usage = r.run({"MEMORY", "USAGE", "w"});
  REQUIRE(usage.kind == Reply::Kind::kInteger);
  CHECK(usage.number >= 45 + 56);
  CHECK(r.run({"MEMORY", "USAGE", "nope"}) == Reply::null());
  CHECK(r.run({"MEMORY", "USAGE", "w", "SAMPLES", "-1"}) == err("ERR syntax error"));
}
