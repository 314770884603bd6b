// Example-based tests of the string commands. Every expected reply below was checked against a
// real redis-server 7.0.15 (same arguments, same order), so these pin Redis's exact semantics,
// error texts and error precedence.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/cmd/command.h"
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

const Reply kSyntax = err("ERR syntax error");
const Reply kNotInteger = err("ERR value is not an integer or out of range");
const Reply kNotFloat = err("ERR value is not a valid float");

}  // namespace

TEST_CASE("command table lookup is case-insensitive and allocation-free in shape", "[cmd]") {
  CommandRunner r;
  const eddy::CommandSpec* get = r.table().find("get");
  REQUIRE(get != nullptr);
  CHECK(r.table().find("GET") == get);
  CHECK(r.table().find("gEt") == get);
  CHECK(r.table().find("ge") == nullptr);
  CHECK(r.table().find("gett") == nullptr);
  CHECK(r.table().find("") == nullptr);
  CHECK(r.table().find(std::string(1000, 'g')) == nullptr);
  // Every spec is reachable by its own name and carries its index as id.
  for (const eddy::CommandSpec& spec : r.table().all()) {
    REQUIRE(r.table().find(spec.name) == &spec);
    CHECK(&r.table().all()[spec.id] == &spec);
  }
}

TEST_CASE("string command specs match Redis 7.0 COMMAND INFO", "[cmd]") {
  CommandRunner r;
  const auto& t = r.table();
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& {
    const eddy::CommandSpec* s = t.find(name);
    REQUIRE(s != nullptr);
    return *s;
  };
  CHECK(spec("get").arity == 2);
  CHECK(spec("get").flags == (eddy::kCmdReadonly | eddy::kCmdFast));
  CHECK(spec("get").acl_categories == "@read @string @fast");
  CHECK(spec("set").arity == -3);
  CHECK(spec("set").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom));
  CHECK(spec("getex").arity == -2);
  CHECK(spec("getdel").flags == (eddy::kCmdWrite | eddy::kCmdFast));
  CHECK(spec("getrange").flags == eddy::kCmdReadonly);
  CHECK(spec("getrange").acl_categories == "@read @string @slow");
  CHECK(spec("mset").first_key == 1);
  CHECK(spec("mset").last_key == -1);
  CHECK(spec("mset").key_step == 2);
  CHECK(spec("mget").last_key == -1);
  CHECK(spec("msetnx").summary ==
        "Set multiple keys to multiple values, only if none of the keys exist");
  CHECK(spec("incrbyfloat").since == "2.6.0");
  CHECK(spec("setrange").group == "string");
  CHECK(spec("getset").summary == "Set the string value of a key and return its old value");
}

TEST_CASE("key_indexes follows first/last/step", "[cmd]") {
  CommandRunner r;
  std::vector<std::uint32_t> out;
  const std::string_view mset[] = {"MSET", "a", "1", "b", "2", "c", "3"};
  eddy::key_indexes(*r.table().find("mset"), mset, out);
  CHECK(out == std::vector<std::uint32_t>{1, 3, 5});
  out.clear();
  const std::string_view get[] = {"GET", "k"};
  eddy::key_indexes(*r.table().find("get"), get, out);
  CHECK(out == std::vector<std::uint32_t>{1});
  out.clear();
  const std::string_view set[] = {"SET", "k", "v", "EX", "10"};
  eddy::key_indexes(*r.table().find("set"), set, out);
  CHECK(out == std::vector<std::uint32_t>{1});
  out.clear();
  const std::string_view del[] = {"DEL", "a", "b", "c"};
  eddy::key_indexes(*r.table().find("del"), del, out);
  CHECK(out == std::vector<std::uint32_t>{1, 2, 3});
  out.clear();
  const std::string_view rename[] = {"RENAME", "a", "b"};
  eddy::key_indexes(*r.table().find("rename"), rename, out);
  CHECK(out == std::vector<std::uint32_t>{1, 2});
}

TEST_CASE("parse_int64_arg follows string2ll", "[cmd]") {
  std::string out;
  eddy::ReplyBuilder reply(&out);
  std::int64_t v = 0;
  CHECK(eddy::parse_int64_arg("0", &v, reply));
  CHECK(v == 0);
  CHECK(eddy::parse_int64_arg("-9223372036854775808", &v, reply));
  CHECK(v == INT64_MIN);
  CHECK(eddy::parse_int64_arg("9223372036854775807", &v, reply));
  CHECK(v == INT64_MAX);
  CHECK(out.empty());
  for (std::string_view bad : {"", "+1", "-0", "01", " 1", "1 ", "9223372036854775808",
                               "-9223372036854775809", "1.0", "-", "abc", "1e3"}) {
    out.clear();
    CAPTURE(bad);
    CHECK_FALSE(eddy::parse_int64_arg(bad, &v, reply));
    CHECK(out == "-ERR value is not an integer or out of range\r\n");
  }
  out.clear();
  const std::string with_nul("1\0", 2);
  CHECK_FALSE(eddy::parse_int64_arg(with_nul, &v, reply));
}

TEST_CASE("parse_double_arg follows string2d", "[cmd]") {
  std::string out;
  eddy::ReplyBuilder reply(&out);
  double v = 0;
  CHECK(eddy::parse_double_arg("1.5", &v, reply));
  CHECK(v == 1.5);
  CHECK(eddy::parse_double_arg("-3e2", &v, reply));
  CHECK(v == -300);
  CHECK(eddy::parse_double_arg("inf", &v, reply));
  CHECK(v > 1e308);
  CHECK(eddy::parse_double_arg("+7", &v, reply));
  CHECK(v == 7);
  CHECK(out.empty());
  for (std::string_view bad : {"", " 1", "1 ", "nan", "abc", "1e400", "1e-400", "1.5x"}) {
    out.clear();
    CAPTURE(bad);
    CHECK_FALSE(eddy::parse_double_arg(bad, &v, reply));
    CHECK(out == "-ERR value is not a valid float\r\n");
  }
  CHECK(eddy::equals_ignore_case("KeepTTL", "keepttl"));
  CHECK_FALSE(eddy::equals_ignore_case("keepttl", "keepttx"));
  CHECK_FALSE(eddy::equals_ignore_case("ex", "exat"));
}

TEST_CASE("GET and SET basics", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"GET", "k"}) == kNil);
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"get", "k"}) == bulk("v"));
  CHECK(r.run({"SET", "k", "v2"}) == kOk);
  CHECK(r.run({"GeT", "k"}) == bulk("v2"));
  // Binary-safe keys and values, including bytes that frame RESP.
  const std::string binary("a\0b\r\nc", 6);
  CHECK(r.run({"SET", binary, binary}) == kOk);
  CHECK(r.run({"GET", binary}) == bulk(binary));
  // Integers are stored int-encoded but read back as their text.
  CHECK(r.run({"SET", "n", "-42"}) == kOk);
  CHECK(r.run({"GET", "n"}) == bulk("-42"));
  CHECK(r.run({"SET", "e", ""}) == kOk);
  CHECK(r.run({"GET", "e"}) == bulk(""));
  CHECK(r.run({"GET"}) == err("ERR wrong number of arguments for 'get' command"));
  CHECK(r.run({"GET", "a", "b"}) == err("ERR wrong number of arguments for 'get' command"));
  CHECK(r.run({"SET", "k"}) == err("ERR wrong number of arguments for 'set' command"));
}

TEST_CASE("SET over an existing heap value reuses its buffer", "[cmd]") {
  CommandRunner r;
  const std::string first(100, 'a');
  const std::string second(90, 'b');
  CHECK(r.run({"SET", "k", first}) == kOk);
  const eddy::kv::Entry* entry = r.db().find("k", r.now_ms());
  REQUIRE(entry != nullptr);
  char scratch[eddy::kv::Value::kIntScratchBytes];
  const char* before = entry->value.view(scratch).data();
  CHECK(r.run({"SET", "k", second}) == kOk);
  entry = r.db().find("k", r.now_ms());
  REQUIRE(entry != nullptr);
  CHECK(entry->value.view(scratch).data() == before);
  CHECK(r.run({"GET", "k"}) == bulk(second));
}

TEST_CASE("SET NX XX GET", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "k", "v", "NX", "XX"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "xx"}) == kNil);
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"SET", "k", "v", "nx"}) == kOk);
  CHECK(r.run({"SET", "k", "w", "NX"}) == kNil);
  CHECK(r.run({"GET", "k"}) == bulk("v"));
  CHECK(r.run({"SET", "k", "w", "XX"}) == kOk);
  CHECK(r.run({"GET", "k"}) == bulk("w"));
  // GET replies with the old value whether or not the set happens.
  CHECK(r.run({"SET", "k", "v2", "NX", "GET"}) == bulk("w"));
  CHECK(r.run({"GET", "k"}) == bulk("w"));
  CHECK(r.run({"SET", "k", "v3", "XX", "GET"}) == bulk("w"));
  CHECK(r.run({"GET", "k"}) == bulk("v3"));
  CHECK(r.run({"SET", "nk", "x", "XX", "GET"}) == kNil);
  CHECK(r.run({"EXISTS", "nk"}) == integer(0));
  CHECK(r.run({"SET", "nk", "x", "GET"}) == kNil);
  CHECK(r.run({"GET", "nk"}) == bulk("x"));
  CHECK(r.run({"SET", "k", "v", "GET", "GET"}) == bulk("v3"));
  CHECK(r.run({"SET", "k", "v", "NX", "NX"}) == kNil);
}

TEST_CASE("SET expiry options", "[cmd]") {
  CommandRunner r;
  const std::int64_t now = r.now_ms();
  CHECK(r.run({"SET", "k", "v", "EX", "10", "PX", "10"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "EX", "10", "EXAT", "10"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "PXAT", "10", "PX", "10"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "KEEPTTL", "EX", "10"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "EX", "10", "KEEPTTL"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "EX"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "PERSIST"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "bogus"}) == kSyntax);
  CHECK(r.run({"SET", "k", "v", "EX", "abc"}) == kNotInteger);
  CHECK(r.run({"SET", "k", "v", "EX", "0"}) == err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "EX", "-1"}) == err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "PX", "0"}) == err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "EXAT", "0"}) == err("ERR invalid expire time in 'set' command"));
  // Overflow of the unit conversion or of now + amount.
  CHECK(r.run({"SET", "k", "v", "EX", "9223372036854776"}) ==
        err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "EX", "9223372036854775"}) ==
        err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "PX", "9223372036854775807"}) ==
        err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"SET", "k", "v", "EXAT", "9223372036854776"}) ==
        err("ERR invalid expire time in 'set' command"));
  // The expire check comes before GET's reply.
  CHECK(r.run({"SET", "k", "v", "EX", "0", "GET"}) ==
        err("ERR invalid expire time in 'set' command"));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));

  CHECK(r.run({"SET", "k", "v", "EX", "10", "EX", "20"}) == kOk);
  CHECK(r.run({"TTL", "k"}) == integer(20));
  CHECK(r.run({"SET", "k", "v", "px", "1500"}) == kOk);
  CHECK(r.run({"PTTL", "k"}) == integer(1500));
  CHECK(r.run({"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 100)}) == kOk);
  CHECK(r.run({"EXPIRETIME", "k"}) == integer(now / 1000 + 100));
  CHECK(r.run({"SET", "k", "v", "PXAT", std::to_string(now + 12345)}) == kOk);
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(now + 12345));
  CHECK(r.run({"SET", "k", "v", "PXAT", "9223372036854775807"}) == kOk);
  CHECK(r.run({"PTTL", "k"}) == integer(INT64_MAX - now));
  CHECK(r.run({"SET", "k", "v", "EXAT", "9223372036854775"}) == kOk);
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(9223372036854775000));

  // KEEPTTL keeps it, a plain SET clears it.
  CHECK(r.run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(r.run({"SET", "k", "w", "KEEPTTL"}) == kOk);
  CHECK(r.run({"TTL", "k"}) == integer(100));
  CHECK(r.run({"SET", "k", "w", "KEEPTTL", "GET", "XX"}) == bulk("w"));
  CHECK(r.run({"TTL", "k"}) == integer(100));
  CHECK(r.run({"SET", "k", "x"}) == kOk);
  CHECK(r.run({"TTL", "k"}) == integer(-1));

  // A deadline already past: the key is set and gone.
  CHECK(r.run({"SET", "k", "v", "EXAT", "1"}) == kOk);
  CHECK(r.run({"GET", "k"}) == kNil);
  CHECK(r.run({"SET", "k", "v", "PXAT", std::to_string(now - 1)}) == kOk);
  CHECK(r.run({"EXISTS", "k"}) == integer(0));

  // Expiry happens as the clock moves.
  CHECK(r.run({"SET", "k", "v", "PX", "100"}) == kOk);
  r.advance_ms(99);
  CHECK(r.run({"GET", "k"}) == bulk("v"));
  CHECK(r.run({"PTTL", "k"}) == integer(1));
  r.advance_ms(2);
  CHECK(r.run({"GET", "k"}) == kNil);
  CHECK(r.db().volatile_count() == 0);
}

TEST_CASE("SETNX SETEX PSETEX", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SETNX", "k", "v"}) == integer(1));
  CHECK(r.run({"SETNX", "k", "w"}) == integer(0));
  CHECK(r.run({"GET", "k"}) == bulk("v"));
  CHECK(r.run({"SETEX", "k", "0", "v"}) == err("ERR invalid expire time in 'setex' command"));
  CHECK(r.run({"SETEX", "k", "abc", "v"}) == kNotInteger);
  CHECK(r.run({"PSETEX", "k", "-5", "v"}) == err("ERR invalid expire time in 'psetex' command"));
  CHECK(r.run({"SETEX", "k", "10", "w"}) == kOk);
  CHECK(r.run({"GET", "k"}) == bulk("w"));
  CHECK(r.run({"TTL", "k"}) == integer(10));
  CHECK(r.run({"PSETEX", "k", "2500", "x"}) == kOk);
  CHECK(r.run({"PTTL", "k"}) == integer(2500));
  CHECK(r.run({"GET", "k"}) == bulk("x"));
  CHECK(r.run({"SETEX", "k", "10"}) == err("ERR wrong number of arguments for 'setex' command"));
  // SETNX on a key that expired counts as absent.
  CHECK(r.run({"PSETEX", "e", "10", "x"}) == kOk);
  r.advance_ms(11);
  CHECK(r.run({"SETNX", "e", "y"}) == integer(1));
  CHECK(r.run({"TTL", "e"}) == integer(-1));
}

TEST_CASE("GETSET GETDEL", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"GETSET", "k", "v"}) == kNil);
  CHECK(r.run({"GET", "k"}) == bulk("v"));
  CHECK(r.run({"EXPIRE", "k", "100"}) == integer(1));
  CHECK(r.run({"GETSET", "k", "w"}) == bulk("v"));
  CHECK(r.run({"TTL", "k"}) == integer(-1));
  CHECK(r.run({"GETDEL", "k"}) == bulk("w"));
  CHECK(r.run({"GETDEL", "k"}) == kNil);
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"SET", "n", "12"}) == kOk);
  CHECK(r.run({"GETDEL", "n"}) == bulk("12"));
  CHECK(r.db().size() == 0);
}

TEST_CASE("GETEX", "[cmd]") {
  CommandRunner r;
  const std::int64_t now = r.now_ms();
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"GETEX", "k", "PERSIST", "EX", "10"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "EX", "10", "PERSIST"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "KEEPTTL"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "NX"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "GET"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "EX"}) == kSyntax);
  CHECK(r.run({"GETEX", "k", "EX", "1", "PX", "1"}) == kSyntax);
  // A missing key answers nil before the amount is even looked at.
  CHECK(r.run({"GETEX", "missing", "EX", "abc"}) == kNil);
  CHECK(r.run({"GETEX", "k", "EX", "abc"}) == kNotInteger);
  CHECK(r.run({"GETEX", "k", "EX", "0"}) == err("ERR invalid expire time in 'getex' command"));
  CHECK(r.run({"GETEX", "k", "PX", "9223372036854775807"}) ==
        err("ERR invalid expire time in 'getex' command"));
  CHECK(r.run({"GETEX", "k"}) == bulk("v"));
  CHECK(r.run({"TTL", "k"}) == integer(-1));
  CHECK(r.run({"GETEX", "k", "EX", "100"}) == bulk("v"));
  CHECK(r.run({"TTL", "k"}) == integer(100));
  CHECK(r.run({"GETEX", "k"}) == bulk("v"));
  CHECK(r.run({"TTL", "k"}) == integer(100));
  CHECK(r.run({"GETEX", "k", "px", "5000"}) == bulk("v"));
  CHECK(r.run({"PTTL", "k"}) == integer(5000));
  CHECK(r.run({"GETEX", "k", "EXAT", std::to_string(now / 1000 + 50)}) == bulk("v"));
  CHECK(r.run({"EXPIRETIME", "k"}) == integer(now / 1000 + 50));
  CHECK(r.run({"GETEX", "k", "PXAT", std::to_string(now + 777)}) == bulk("v"));
  CHECK(r.run({"PEXPIRETIME", "k"}) == integer(now + 777));
  CHECK(r.run({"GETEX", "k", "PERSIST"}) == bulk("v"));
  CHECK(r.run({"TTL", "k"}) == integer(-1));
  CHECK(r.db().volatile_count() == 0);
  // An absolute deadline already past deletes the key after replying.
  CHECK(r.run({"GETEX", "k", "EXAT", "1"}) == bulk("v"));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"GETEX", "k", "PXAT", std::to_string(now)}) == bulk("v"));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("MGET MSET MSETNX", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"MSET", "a", "1", "b"}) == err("ERR wrong number of arguments for 'mset' command"));
  CHECK(r.run({"MSETNX", "a", "1", "b"}) ==
        err("ERR wrong number of arguments for 'msetnx' command"));
  CHECK(r.run({"MSET", "a"}) == err("ERR wrong number of arguments for 'mset' command"));
  CHECK(r.run({"MGET"}) == err("ERR wrong number of arguments for 'mget' command"));
  CHECK(r.run({"MSET", "a", "1", "b", "2"}) == kOk);
  CHECK(r.run({"MSETNX", "a", "1", "c", "2"}) == integer(0));
  CHECK(r.run({"EXISTS", "c"}) == integer(0));
  CHECK(r.run({"MSETNX", "c", "1", "c", "2"}) == integer(1));
  CHECK(r.run({"GET", "c"}) == bulk("2"));
  CHECK(r.run({"MGET", "a", "b", "nokey", "c"}) ==
        Reply::array({bulk("1"), bulk("2"), kNil, bulk("2")}));
  CHECK(r.run({"MGET", "a", "a"}) == Reply::array({bulk("1"), bulk("1")}));
  // MSET is a SET per key: TTLs go, later duplicates win.
  CHECK(r.run({"EXPIRE", "a", "100"}) == integer(1));
  CHECK(r.run({"MSET", "a", "x", "a", "y"}) == kOk);
  CHECK(r.run({"GET", "a"}) == bulk("y"));
  CHECK(r.run({"TTL", "a"}) == integer(-1));
  CHECK(r.db().volatile_count() == 0);
  // Many keys: more than one stack chunk of key indexes.
  std::vector<std::string> mset{"MSET"};
  std::vector<std::string> mget{"MGET"};
  std::vector<Reply> expected;
  for (int i = 0; i < 200; ++i) {
    mset.push_back("key:" + std::to_string(i));
    mset.push_back("value:" + std::to_string(i));
    mget.push_back("key:" + std::to_string(i));
    expected.push_back(bulk("value:" + std::to_string(i)));
  }
  CHECK(r.run(mset) == kOk);
  CHECK(r.run(mget) == Reply::array(expected));
  mset[0] = "MSETNX";
  CHECK(r.run(mset) == integer(0));
}

TEST_CASE("INCR DECR INCRBY DECRBY", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"INCR", "n"}) == integer(1));
  CHECK(r.run({"INCR", "n"}) == integer(2));
  CHECK(r.run({"DECR", "n"}) == integer(1));
  CHECK(r.run({"INCRBY", "n", "10"}) == integer(11));
  CHECK(r.run({"DECRBY", "n", "20"}) == integer(-9));
  CHECK(r.run({"GET", "n"}) == bulk("-9"));
  CHECK(r.run({"DECR", "fresh"}) == integer(-1));
  CHECK(r.run({"INCRBY", "nope", "1"}) == integer(1));
  // The value stays int-encoded and is updated in place.
  const eddy::kv::Entry* entry = r.db().find("n", r.now_ms());
  REQUIRE(entry != nullptr);
  CHECK(entry->value.is_int());
  CHECK(r.run({"INCR", "n"}) == integer(-8));
  CHECK(r.db().find("n", r.now_ms()) == entry);
  CHECK(entry->value.as_int() == -8);

  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"INCR", "k"}) == kNotInteger);
  CHECK(r.run({"SET", "m", "9223372036854775807"}) == kOk);
  CHECK(r.run({"INCR", "m"}) == err("ERR increment or decrement would overflow"));
  CHECK(r.run({"DECRBY", "m", "-9223372036854775808"}) == err("ERR decrement would overflow"));
  CHECK(r.run({"DECRBY", "m", "9223372036854775807"}) == integer(0));
  CHECK(r.run({"INCRBY", "m", "abc"}) == kNotInteger);
  CHECK(r.run({"SET", "m", "-9223372036854775808"}) == kOk);
  CHECK(r.run({"DECR", "m"}) == err("ERR increment or decrement would overflow"));
  CHECK(r.run({"INCRBY", "m", "-1"}) == err("ERR increment or decrement would overflow"));
  CHECK(r.run({"GET", "m"}) == bulk("-9223372036854775808"));
  // Values that are numbers only loosely are not integers to Redis.
  for (std::string_view loose : {"012", "+1", " 1", "1 ", "1.0", ""}) {
    CAPTURE(loose);
    CHECK(r.run({"SET", "z", loose}) == kOk);
    CHECK(r.run({"INCR", "z"}) == kNotInteger);
    CHECK(r.run({"GET", "z"}) == bulk(loose));
  }
  for (std::string_view bad : {"+5", "-0", "00", "-", "1e3", "9223372036854775808"}) {
    CAPTURE(bad);
    CHECK(r.run({"INCRBY", "z2", bad}) == kNotInteger);
  }
  CHECK(r.run({"EXISTS", "z2"}) == integer(0));
  // The TTL stays.
  CHECK(r.run({"SET", "t", "5", "EX", "100"}) == kOk);
  CHECK(r.run({"INCR", "t"}) == integer(6));
  CHECK(r.run({"TTL", "t"}) == integer(100));
  // A string-encoded number (made by APPEND) still counts.
  CHECK(r.run({"SET", "s", "1"}) == kOk);
  CHECK(r.run({"APPEND", "s", "2"}) == integer(2));
  CHECK(r.run({"INCR", "s"}) == integer(13));
}

TEST_CASE("INCRBYFLOAT formatting and errors", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "f", "10.5"}) == kOk);
  CHECK(r.run({"INCRBYFLOAT", "f", "0.1"}) == bulk("10.6"));
  CHECK(r.run({"INCRBYFLOAT", "f", "-5.0e3"}) == bulk("-4989.39999999999999991"));
  CHECK(r.run({"GET", "f"}) == bulk("-4989.39999999999999991"));
  const Reply big = r.run({"INCRBYFLOAT", "f", "1e308"});
  CHECK(big == bulk("999999999999999999966858796558456456605600998474155672077970479949217348688380"
                    "618721001269218885393204467472250540132231521347495939605835974208144301964187"
                    "679591000196031907786631096045071066679391533957889389145605435630612683649016"
                    "18630217086589253444881623791300855757318142424510452728255046343928578048"));
  CHECK(r.run({"INCRBYFLOAT", "f", "inf"}) == err("ERR increment would produce NaN or Infinity"));
  CHECK(r.run({"INCRBYFLOAT", "f", "-inf"}) == err("ERR increment would produce NaN or Infinity"));
  CHECK(r.run({"INCRBYFLOAT", "f", "infinity"}) ==
        err("ERR increment would produce NaN or Infinity"));
  for (std::string_view bad : {"nan", "abc", " 1", "1 ", "", " ", "1e-5000", "1.5x"}) {
    CAPTURE(bad);
    CHECK(r.run({"INCRBYFLOAT", "f", bad}) == kNotFloat);
  }
  CHECK(r.run({"INCRBYFLOAT", "g", "3.0e3"}) == bulk("3000"));
  CHECK(r.run({"INCRBYFLOAT", "g", "0x10"}) == bulk("3016"));
  CHECK(r.run({"INCRBYFLOAT", "h", "1.0000000000000001"}) == bulk("1.0000000000000001"));
  CHECK(r.run({"INCRBYFLOAT", "h2", "0.1"}) == bulk("0.1"));
  CHECK(r.run({"INCRBYFLOAT", "h2", "0.2"}) == bulk("0.3"));
  CHECK(r.run({"INCRBYFLOAT", "h3", "-0.0"}) == bulk("0"));
  CHECK(r.run({"INCRBYFLOAT", "h4", "5"}) == bulk("5"));
  CHECK(r.run({"INCRBYFLOAT", "h4", "-5"}) == bulk("0"));
  CHECK(r.run({"INCRBYFLOAT", "h5", "1e-20"}) == bulk("0"));
  CHECK(r.run({"INCRBYFLOAT", "h6", "12345678901234567890"}) == bulk("12345678901234567890"));
  CHECK(r.run({"INCRBYFLOAT", "h7", "1.23456789012345678901234"}) == bulk("1.23456789012345679"));
  CHECK(r.run({"INCRBYFLOAT", "h8", "3.14159265358979323846"}) == bulk("3.14159265358979324"));
  CHECK(r.run({"INCRBYFLOAT", "h11", "-1.5e-3"}) == bulk("-0.0015"));
  CHECK(r.run({"INCRBYFLOAT", "h13", "0.0000000000000000001"}) == bulk("0"));
  CHECK(r.run({"INCRBYFLOAT", "h14", "-0.000000000000000001"}) == bulk("0"));
  CHECK(r.run({"INCRBYFLOAT", "h15", "123.456e2"}) == bulk("12345.59999999999999964"));
  CHECK(r.run({"INCRBYFLOAT", "h23", "1e-4950"}) == bulk("0"));
  // Huge magnitudes print in full (no exponent), as Redis's %.17Lf does.
  const Reply huge = r.run({"INCRBYFLOAT", "h9", "1e4000"});
  REQUIRE(huge.kind == Reply::Kind::kBulk);
  CHECK(huge.text.size() == 4000);
  CHECK(huge.text.substr(0, 40) == "9999999999999999999965463873099623784932");
  CHECK(huge.text.substr(4000 - 40) == "1956972190272729951206648276349901340672");
  // The stored value must itself be a float (or int).
  CHECK(r.run({"SET", "s", "abc"}) == kOk);
  CHECK(r.run({"INCRBYFLOAT", "s", "1"}) == kNotFloat);
  CHECK(r.run({"SET", "s", "1e5"}) == kOk);
  CHECK(r.run({"INCRBYFLOAT", "s", "1"}) == bulk("100001"));
  CHECK(r.run({"SET", "s", "7"}) == kOk);
  CHECK(r.run({"INCRBYFLOAT", "s", "0.5"}) == bulk("7.5"));
  CHECK(r.run({"SET", "s", "1.5"}) == kOk);
  CHECK(r.run({"INCRBY", "s", "1"}) == kNotInteger);
  // The TTL stays; a failed increment creates nothing.
  CHECK(r.run({"SET", "t", "1", "EX", "100"}) == kOk);
  CHECK(r.run({"INCRBYFLOAT", "t", "1.25"}) == bulk("2.25"));
  CHECK(r.run({"TTL", "t"}) == integer(100));
  CHECK(r.run({"INCRBYFLOAT", "absent", "nan"}) == kNotFloat);
  CHECK(r.run({"EXISTS", "absent"}) == integer(0));
}

TEST_CASE("APPEND STRLEN", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"STRLEN", "k"}) == integer(0));
  CHECK(r.run({"APPEND", "k", "Hello"}) == integer(5));
  CHECK(r.run({"APPEND", "k", " World"}) == integer(11));
  CHECK(r.run({"GET", "k"}) == bulk("Hello World"));
  CHECK(r.run({"STRLEN", "k"}) == integer(11));
  CHECK(r.run({"APPEND", "empty", ""}) == integer(0));
  CHECK(r.run({"EXISTS", "empty"}) == integer(1));
  CHECK(r.run({"SET", "n", "123"}) == kOk);
  CHECK(r.run({"STRLEN", "n"}) == integer(3));
  CHECK(r.run({"APPEND", "n", "45"}) == integer(5));
  CHECK(r.run({"GET", "n"}) == bulk("12345"));
  CHECK(r.run({"SET", "neg", "-9223372036854775808"}) == kOk);
  CHECK(r.run({"STRLEN", "neg"}) == integer(20));
  // Growing past the inline capacity into the heap.
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    CHECK(r.run({"APPEND", "grow", "abcdefg"}) == integer(7 * (i + 1)));
    expected += "abcdefg";
  }
  CHECK(r.run({"GET", "grow"}) == bulk(expected));
  CHECK(r.run({"SET", "t", "x", "EX", "100"}) == kOk);
  CHECK(r.run({"APPEND", "t", "y"}) == integer(2));
  CHECK(r.run({"TTL", "t"}) == integer(100));
}

TEST_CASE("GETRANGE", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "This is a string"}) == kOk);
  CHECK(r.run({"GETRANGE", "s", "0", "3"}) == bulk("This"));
  CHECK(r.run({"GETRANGE", "s", "-3", "-1"}) == bulk("ing"));
  CHECK(r.run({"GETRANGE", "s", "0", "-1"}) == bulk("This is a string"));
  CHECK(r.run({"GETRANGE", "s", "10", "100"}) == bulk("string"));
  // Redis 7.0 clamps a negative end before the start to 0: one byte comes back.
  CHECK(r.run({"GETRANGE", "s", "0", "-100"}) == bulk("T"));
  CHECK(r.run({"GETRANGE", "s", "-100", "-200"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "s", "-1", "-5"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "s", "5", "3"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "s", "-100", "2"}) == bulk("Thi"));
  CHECK(r.run({"GETRANGE", "s", "16", "20"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}) ==
        bulk("This is a string"));
  CHECK(r.run({"GETRANGE", "nokey", "0", "-1"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "s", "a", "1"}) == kNotInteger);
  CHECK(r.run({"GETRANGE", "s", "1", "b"}) == kNotInteger);
  CHECK(r.run({"GETRANGE", "nokey", "a", "1"}) == kNotInteger);
  CHECK(r.run({"SET", "i", "12345"}) == kOk);
  CHECK(r.run({"GETRANGE", "i", "1", "2"}) == bulk("23"));
  CHECK(r.run({"SET", "e", ""}) == kOk);
  CHECK(r.run({"GETRANGE", "e", "0", "-1"}) == bulk(""));
  CHECK(r.run({"GETRANGE", "e", "0", "0"}) == bulk(""));
}

TEST_CASE("SETRANGE", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "Hello World"}) == kOk);
  CHECK(r.run({"SETRANGE", "s", "6", "Redis"}) == integer(11));
  CHECK(r.run({"GET", "s"}) == bulk("Hello Redis"));
  CHECK(r.run({"SETRANGE", "s", "-1", "x"}) == err("ERR offset is out of range"));
  CHECK(r.run({"SETRANGE", "s", "a", "x"}) == kNotInteger);
  CHECK(r.run({"SETRANGE", "s", "536870912", "x"}) ==
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(r.run({"SETRANGE", "s", "9223372036854775807", "x"}) ==
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(r.run({"SETRANGE", "s", "536870911", ""}) == integer(11));
  CHECK(r.run({"SETRANGE", "nn", "5", ""}) == integer(0));
  CHECK(r.run({"EXISTS", "nn"}) == integer(0));
  CHECK(r.run({"SETRANGE", "nn", "536870912", "x"}) ==
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(r.run({"EXISTS", "nn"}) == integer(0));
  CHECK(r.run({"SETRANGE", "nn", "3", "ab"}) == integer(5));
  CHECK(r.run({"GET", "nn"}) == bulk(std::string("\0\0\0ab", 5)));
  CHECK(r.run({"SETRANGE", "nn", "30", "z"}) == integer(31));
  CHECK(r.run({"GET", "nn"}) == bulk(std::string("\0\0\0ab", 5) + std::string(25, '\0') + "z"));
  CHECK(r.run({"SET", "i", "12345"}) == kOk);
  CHECK(r.run({"SETRANGE", "i", "1", "x"}) == integer(5));
  CHECK(r.run({"GET", "i"}) == bulk("1x345"));
  CHECK(r.run({"SET", "t", "abc", "EX", "100"}) == kOk);
  CHECK(r.run({"SETRANGE", "t", "0", "X"}) == integer(3));
  CHECK(r.run({"GET", "t"}) == bulk("Xbc"));
  CHECK(r.run({"TTL", "t"}) == integer(100));
}

TEST_CASE("read commands count keyspace hits and misses like Redis", "[cmd]") {
  CommandRunner r;
  CHECK(r.run({"SET", "a", "1"}) == kOk);
  auto& stats = r.shard().stats();
  auto delta = [&](std::initializer_list<std::string_view> args) {
    const auto hits = stats.keyspace_hits;
    const auto misses = stats.keyspace_misses;
    r.run(args);
    return std::pair<std::uint64_t, std::uint64_t>(stats.keyspace_hits - hits,
                                                   stats.keyspace_misses - misses);
  };
  using P = std::pair<std::uint64_t, std::uint64_t>;
  CHECK(delta({"GET", "a"}) == P(1, 0));
  CHECK(delta({"GET", "x"}) == P(0, 1));
  CHECK(delta({"MGET", "a", "x", "a"}) == P(2, 1));
  CHECK(delta({"STRLEN", "a"}) == P(1, 0));
  CHECK(delta({"GETRANGE", "a", "0", "1"}) == P(1, 0));
  CHECK(delta({"GETEX", "x"}) == P(0, 1));
  CHECK(delta({"SET", "a", "2", "GET"}) == P(1, 0));
  CHECK(delta({"SET", "x", "1", "GET"}) == P(0, 1));
  CHECK(delta({"GETSET", "a", "3"}) == P(1, 0));
  CHECK(delta({"GETDEL", "x"}) == P(1, 0));
  CHECK(delta({"EXISTS", "a", "x"}) == P(1, 1));
  CHECK(delta({"TTL", "a"}) == P(1, 0));
  CHECK(delta({"TYPE", "x"}) == P(0, 1));
  CHECK(delta({"PEXPIRETIME", "x"}) == P(0, 1));
  // Writers do not count.
  CHECK(delta({"SET", "a", "1"}) == P(0, 0));
  CHECK(delta({"INCR", "a"}) == P(0, 0));
  CHECK(delta({"APPEND", "a", "1"}) == P(0, 0));
  CHECK(delta({"SETNX", "q", "1"}) == P(0, 0));
  CHECK(delta({"MSETNX", "q2", "1"}) == P(0, 0));
  CHECK(delta({"INCRBYFLOAT", "q", "1"}) == P(0, 0));
  CHECK(delta({"SETRANGE", "q", "0", "x"}) == P(0, 0));
  CHECK(delta({"EXPIRE", "a", "100"}) == P(0, 0));
  CHECK(delta({"PERSIST", "a"}) == P(0, 0));
  CHECK(delta({"DEL", "a"}) == P(0, 0));
}

TEST_CASE("RESP3 nulls", "[cmd]") {
  CommandRunner r;
  r.set_protocol(3);
  CHECK(r.run_raw(std::vector<std::string_view>{"GET", "k"}) == "_\r\n");
  CHECK(r.run({"MGET", "k"}) == Reply::array({kNil}));
  CHECK(r.run({"SET", "k", "v"}) == kOk);
  CHECK(r.run({"GET", "k"}) == bulk("v"));
}
