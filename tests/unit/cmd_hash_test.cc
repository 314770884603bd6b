// The hash commands through the real dispatch path. Expected replies, error texts and error
// precedence were checked against redis-server 7.0.15 with the same commands in the same
// order. Random replies (HRANDFIELD) are checked for shape and membership. The last test is
// the replay property over random streams of hash commands, in both encodings.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/hash_value.h"
#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/replay_harness.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::effect_lines;
using eddy::testing::ReplayHarness;
using eddy::testing::Reply;
using Args = std::vector<std::string>;

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
Reply array(std::vector<Reply> elements) {
  return Reply::array(std::move(elements));
}
Reply bulks(std::initializer_list<std::string_view> texts) {
  std::vector<Reply> elements;
  for (std::string_view t : texts) elements.push_back(bulk(t));
  return array(std::move(elements));
}
Reply empty_scan() {
  return array({bulk("0"), array({})});
}

const Reply kSyntax = err("ERR syntax error");
const Reply kWrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value");
const Reply kNotInteger = err("ERR value is not an integer or out of range");
const Reply kNotFloat = err("ERR value is not a valid float");

std::string encoding(CommandRunner& r, std::string_view key) {
  return r.run({"OBJECT", "ENCODING", key}).text;
}

// The field -> value pairs of a flat reply (HGETALL, HSCAN's items, HRANDFIELD WITHVALUES in
// RESP2).
std::map<std::string, std::string> pairs_of(const Reply& flat) {
  std::map<std::string, std::string> out;
  REQUIRE(flat.elements.size() % 2 == 0);
  for (std::size_t i = 0; i < flat.elements.size(); i += 2) {
    out[flat.elements[i].text] = flat.elements[i + 1].text;
  }
  return out;
}

}  // namespace

TEST_CASE("hash command specs match Redis 7.0 COMMAND INFO", "[hash]") {
  CommandRunner r;
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& { return r.spec(name); };
  CHECK(spec("hset").arity == -4);
  CHECK(spec("hset").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom | eddy::kCmdFast));
  CHECK(spec("hset").acl_categories == "@write @hash @fast");
  CHECK(spec("hdel").flags == (eddy::kCmdWrite | eddy::kCmdFast));
  CHECK(spec("hgetall").flags == eddy::kCmdReadonly);
  CHECK(spec("hgetall").acl_categories == "@read @hash @slow");
  CHECK(spec("hrandfield").arity == -2);
  CHECK(spec("hscan").arity == -3);
  CHECK(spec("hsetnx").arity == 4);
  CHECK(spec("hstrlen").since == "3.2.0");
  CHECK(spec("hmget").group == "hash");
  CHECK(spec("hscan").syntax == "key cursor [MATCH pattern] [COUNT count]");
  for (std::string_view name :
       {"hset", "hsetnx", "hmset", "hget", "hmget", "hdel", "hlen", "hstrlen", "hexists", "hkeys",
        "hvals", "hgetall", "hincrby", "hincrbyfloat", "hrandfield", "hscan"}) {
    CAPTURE(name);
    CHECK(spec(name).first_key == 1);
    CHECK(spec(name).last_key == 1);
    CHECK_FALSE(spec(name).syntax.empty());
  }
}

TEST_CASE("HSET HMSET HSETNX HGET HMGET", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HSET", "h"}) == err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.run({"HSET", "h", "f"}) == err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.run({"HSET", "h", "f", "v", "g"}) ==
        err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.run({"HSET", "h", "a", "1", "b", "2", "c", "3"}) == integer(3));
  CHECK(r.run({"HSET", "h", "a", "1", "d", "4"}) == integer(1));
  CHECK(r.run({"HMSET", "h", "e", "5"}) == kOk);
  CHECK(r.run({"HMSET", "h", "e"}) == err("ERR wrong number of arguments for 'hmset' command"));
  CHECK(r.run({"HGETALL", "h"}) == bulks({"a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}));
  // The same field twice in one HSET: counted once, the last value wins.
  CHECK(r.run({"HSET", "h2", "x", "1", "x", "2"}) == integer(1));
  CHECK(r.run({"HGET", "h2", "x"}) == bulk("2"));
  CHECK(r.run({"HGET", "h", "a"}) == bulk("1"));
  CHECK(r.run({"HGET", "h", "zz"}) == kNil);
  CHECK(r.run({"HGET", "nokey", "a"}) == kNil);
  CHECK(r.run({"HMGET", "h", "a", "zz", "e"}) == array({bulk("1"), kNil, bulk("5")}));
  CHECK(r.run({"HMGET", "nokey", "a", "b"}) == array({kNil, kNil}));
  CHECK(r.run({"HSETNX", "h", "a", "zzz"}) == integer(0));
  CHECK(r.run({"HGET", "h", "a"}) == bulk("1"));
  CHECK(r.run({"HSETNX", "h", "f", "zzz"}) == integer(1));
  CHECK(r.run({"HSETNX", "new", "f", "v"}) == integer(1));
  CHECK(r.run({"HGET", "new", "f"}) == bulk("v"));
  // Binary-safe, empty fields and values.
  const std::string binary("a\0b\r\nc", 6);
  CHECK(r.run({"HSET", "b", binary, binary, "", ""}) == integer(2));
  CHECK(r.run({"HGET", "b", binary}) == bulk(binary));
  CHECK(r.run({"HGET", "b", ""}) == bulk(""));
  CHECK(r.run({"HSTRLEN", "b", ""}) == integer(0));
  CHECK(r.run({"HEXISTS", "b", ""}) == integer(1));
}

TEST_CASE("hash commands against a key of another type", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "x"}) == kOk);
  // Arity comes first, then the type.
  CHECK(r.run({"HSET", "s", "f", "v", "g"}) ==
        err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.run({"HSET", "s", "f", "v"}) == kWrongType);
  CHECK(r.run({"HMSET", "s", "f", "v"}) == kWrongType);
  CHECK(r.run({"HSETNX", "s", "f", "v"}) == kWrongType);
  CHECK(r.run({"HGET", "s", "f"}) == kWrongType);
  CHECK(r.run({"HMGET", "s", "f"}) == kWrongType);
  CHECK(r.run({"HDEL", "s", "f"}) == kWrongType);
  CHECK(r.run({"HLEN", "s"}) == kWrongType);
  CHECK(r.run({"HSTRLEN", "s", "f"}) == kWrongType);
  CHECK(r.run({"HEXISTS", "s", "f"}) == kWrongType);
  CHECK(r.run({"HKEYS", "s"}) == kWrongType);
  CHECK(r.run({"HVALS", "s"}) == kWrongType);
  CHECK(r.run({"HGETALL", "s"}) == kWrongType);
  // The increment is parsed before the key is looked up.
  CHECK(r.run({"HINCRBY", "s", "f", "x"}) == kNotInteger);
  CHECK(r.run({"HINCRBY", "s", "f", "1"}) == kWrongType);
  CHECK(r.run({"HINCRBYFLOAT", "s", "f", "x"}) == kNotFloat);
  CHECK(r.run({"HINCRBYFLOAT", "s", "f", "inf"}) == err("ERR value is NaN or Infinity"));
  CHECK(r.run({"HINCRBYFLOAT", "s", "f", "1"}) == kWrongType);
  CHECK(r.run({"HRANDFIELD", "s"}) == kWrongType);
  CHECK(r.run({"HRANDFIELD", "s", "1"}) == kWrongType);
  CHECK(r.run({"HRANDFIELD", "s", "x"}) == kNotInteger);
  // The cursor is parsed before the key is looked up, the options after.
  CHECK(r.run({"HSCAN", "s", "x"}) == err("ERR invalid cursor"));
  CHECK(r.run({"HSCAN", "s", "0"}) == kWrongType);
  CHECK(r.run({"HSCAN", "s", "0", "bad"}) == kWrongType);
  CHECK(r.run({"GET", "s"}) == bulk("x"));
  // A hash is the wrong type for string commands.
  CHECK(r.run({"HSET", "h", "f", "v"}) == integer(1));
  CHECK(r.run({"GET", "h"}) == kWrongType);
  CHECK(r.run({"TYPE", "h"}) == Reply::simple("hash"));
}

TEST_CASE("HDEL HLEN HSTRLEN HEXISTS, and the last field takes the key", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HSET", "h", "a", "1", "b", "22", "c", "333", "d", "4", "e", "5"}) == integer(5));
  CHECK(r.run({"HLEN", "h"}) == integer(5));
  CHECK(r.run({"HSTRLEN", "h", "c"}) == integer(3));
  CHECK(r.run({"HSTRLEN", "h", "zz"}) == integer(0));
  CHECK(r.run({"HEXISTS", "h", "b"}) == integer(1));
  CHECK(r.run({"HEXISTS", "h", "zz"}) == integer(0));
  // A field named twice is deleted (and counted) once.
  CHECK(r.run({"HDEL", "h", "a", "zz", "a", "b"}) == integer(2));
  CHECK(r.run({"HDEL", "h", "zz"}) == integer(0));
  CHECK(r.run({"HDEL", "nokey", "a"}) == integer(0));
  CHECK(r.run({"HLEN", "h"}) == integer(3));
  CHECK(r.run({"HDEL", "h", "c", "d", "e"}) == integer(3));
  CHECK(r.run({"EXISTS", "h"}) == integer(0));
  CHECK(r.db().size() == 0);
  CHECK(r.run({"HLEN", "nokey"}) == integer(0));
  CHECK(r.run({"HSTRLEN", "nokey", "f"}) == integer(0));
  CHECK(r.run({"HEXISTS", "nokey", "f"}) == integer(0));
  CHECK(r.run({"HDEL", "h"}) == err("ERR wrong number of arguments for 'hdel' command"));

  // The same in the hashtable form.
  Args hset{"HSET", "big"};
  for (int i = 0; i < 600; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back("v");
  }
  CHECK(r.run(hset) == integer(600));
  CHECK(encoding(r, "big") == "hashtable");
  Args hdel{"HDEL", "big"};
  for (int i = 0; i < 600; ++i) hdel.push_back("f" + std::to_string(i));
  hdel.push_back("f0");
  CHECK(r.run(hdel) == integer(600));
  CHECK(r.run({"EXISTS", "big"}) == integer(0));
  CHECK(r.db().used_bytes() == r.db().table().memory_bytes());
}

TEST_CASE("HKEYS HVALS HGETALL in RESP2 and RESP3", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HSET", "h", "a", "1", "b", "2"}) == integer(2));
  CHECK(r.run({"HKEYS", "h"}) == bulks({"a", "b"}));
  CHECK(r.run({"HVALS", "h"}) == bulks({"1", "2"}));
  CHECK(r.run({"HGETALL", "h"}) == bulks({"a", "1", "b", "2"}));
  CHECK(r.run({"HKEYS", "nokey"}) == array({}));
  CHECK(r.run({"HVALS", "nokey"}) == array({}));
  CHECK(r.run({"HGETALL", "nokey"}) == array({}));
  r.set_protocol(3);
  const Reply all = r.run({"HGETALL", "h"});
  CHECK(all.kind == Reply::Kind::kMap);
  CHECK(pairs_of(all) == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  CHECK(r.run({"HGETALL", "nokey"}).kind == Reply::Kind::kMap);
  CHECK(r.run({"HGETALL", "nokey"}).elements.empty());
  CHECK(r.run({"HKEYS", "h"}) == bulks({"a", "b"}));
  CHECK(r.run({"HGET", "h", "zz"}) == kNil);
  CHECK(r.run({"HRANDFIELD", "nokey"}) == kNil);
}

TEST_CASE("HINCRBY", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HINCRBY", "h", "i", "-5"}) == integer(-5));
  CHECK(r.run({"HINCRBY", "h", "i", "5"}) == integer(0));
  CHECK(r.run({"HGET", "h", "i"}) == bulk("0"));
  CHECK(r.run({"HINCRBY", "h", "i", "x"}) == kNotInteger);
  CHECK(r.run({"HINCRBY", "h", "i", "1.5"}) == kNotInteger);
  CHECK(r.run({"HINCRBY", "nokey", "f", "x"}) == kNotInteger);
  CHECK(r.run({"EXISTS", "nokey"}) == integer(0));
  CHECK(r.run({"HSET", "h", "s", "abc", "sp", " 1", "n", "9223372036854775807", "m",
               "-9223372036854775808", "z", "007"}) == integer(5));
  CHECK(r.run({"HINCRBY", "h", "s", "1"}) == err("ERR hash value is not an integer"));
  CHECK(r.run({"HINCRBY", "h", "sp", "1"}) == err("ERR hash value is not an integer"));
  CHECK(r.run({"HINCRBY", "h", "z", "1"}) == err("ERR hash value is not an integer"));
  CHECK(r.run({"HINCRBY", "h", "n", "1"}) == err("ERR increment or decrement would overflow"));
  CHECK(r.run({"HINCRBY", "h", "m", "-1"}) == err("ERR increment or decrement would overflow"));
  CHECK(r.run({"HINCRBY", "h", "n", "-1"}) == integer(9223372036854775806));
  CHECK(r.run({"HINCRBY", "h", "m", "9223372036854775807"}) == integer(-1));
  CHECK(r.run({"HSET", "h", "e", "1e2"}) == integer(1));
  CHECK(r.run({"HINCRBYFLOAT", "h", "e", "1"}) == bulk("101"));
  CHECK(r.run({"HINCRBY", "h", "e", "1"}) == integer(102));
}

TEST_CASE("HINCRBYFLOAT", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "10.5"}) == bulk("10.5"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "1e2"}) == bulk("110.5"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "0x10"}) == bulk("126.5"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", " 1"}) == kNotFloat);
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "1 "}) == kNotFloat);
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "nan"}) == kNotFloat);
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "1e5000"}) == kNotFloat);
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "-inf"}) == err("ERR value is NaN or Infinity"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "x", "5.0e3"}) == bulk("5126.5"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "n2", "3.0"}) == bulk("3"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "n3", "-0.0"}) == bulk("0"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "n4", "0.1"}) == bulk("0.1"));
  CHECK(r.run({"HSET", "h", "bad", " 1", "s", "abc"}) == integer(2));
  CHECK(r.run({"HINCRBYFLOAT", "h", "bad", "1"}) == err("ERR hash value is not a float"));
  CHECK(r.run({"HINCRBYFLOAT", "h", "s", "1"}) == err("ERR hash value is not a float"));
  CHECK(r.run({"HSET", "h", "big", "1e4932"}) == integer(1));
  CHECK(r.run({"HINCRBYFLOAT", "h", "big", "1e4932"}) ==
        err("ERR increment would produce NaN or Infinity"));
  CHECK(encoding(r, "h") == "listpack");
  // A result longer than hash-max-listpack-value converts the hash.
  const Reply huge = r.run({"HINCRBYFLOAT", "h", "x", "1e308"});
  REQUIRE(huge.kind == Reply::Kind::kBulk);
  // 1e308 as a long double is 99999999999999999996...: 308 digits, as Redis prints it.
  CHECK(huge.text.size() == 308);
  CHECK(huge.text.substr(0, 20) == "99999999999999999996");
  CHECK(encoding(r, "h") == "hashtable");
  CHECK(r.run({"HGET", "h", "x"}) == bulk(huge.text));
}

TEST_CASE("HINCRBYFLOAT formatting and conversion, as Redis's hash tests check", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HINCRBYFLOAT", "m", "float", "1.23"}) == bulk("1.23"));
  CHECK(r.run({"HINCRBYFLOAT", "m", "float", "0.77"}) == bulk("2"));
  CHECK(r.run({"HINCRBYFLOAT", "m", "float", "-0.1"}) == bulk("1.9"));
  CHECK(r.run({"HINCRBYFLOAT", "nokey", "field", "+inf"}) == err("ERR value is NaN or Infinity"));
  CHECK(r.run({"EXISTS", "nokey"}) == integer(0));
  CHECK(r.run({"HSET", "z", "f",
               std::string("1\0"
                           "2",
                           3)}) == integer(1));
  CHECK(r.run({"HINCRBYFLOAT", "z", "f", "1"}) == err("ERR hash value is not a float"));

  // The result and the field count against hash-max-listpack-value like any other string.
  eddy::kv::EncodingLimits limits;
  limits.hash_max_listpack_value = 8;
  r.shard().set_encoding_limits(&limits);
  CHECK(r.run({"HSET", "smallhash", "tmp", "0"}) == integer(1));
  CHECK(r.run({"HSET", "bighash", "tmp", "0"}) == integer(1));
  CHECK(r.run({"HINCRBYFLOAT", "smallhash", "tmp", "0.000005"}) == bulk("0.000005"));
  CHECK(r.run({"HINCRBYFLOAT", "bighash", "tmp", "0.0000005"}) == bulk("0.0000005"));
  CHECK(encoding(r, "smallhash") == "listpack");
  CHECK(encoding(r, "bighash") == "hashtable");
  CHECK(r.run({"HINCRBYFLOAT", "f8", "abcdefgh", "1"}) == bulk("1"));
  CHECK(r.run({"HINCRBYFLOAT", "f9", "abcdefghi", "1"}) == bulk("1"));
  CHECK(encoding(r, "f8") == "listpack");
  CHECK(encoding(r, "f9") == "hashtable");
  r.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
}

TEST_CASE("HINCRBYFLOAT propagates as HSET of its result; no-op writes propagate nothing",
          "[hash]") {
  ReplayHarness h;
  h.run({"HINCRBYFLOAT", "h", "f", "1.5"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HSET h f 1.5"});
  h.run({"HINCRBYFLOAT", "h", "f", "0.25"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HSET h f 1.75"});
  h.run({"HINCRBYFLOAT", "h", "f", "x"});
  CHECK(effect_lines(h).empty());
  h.run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HSET h a 1 b 2"});
  h.run({"HINCRBY", "h", "a", "10"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HINCRBY h a 10"});
  h.run({"HSETNX", "h", "a", "x"});
  CHECK(effect_lines(h).empty());
  h.run({"HSETNX", "h", "c", "x"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HSETNX h c x"});
  h.run({"HDEL", "h", "zz", "yy"});
  CHECK(effect_lines(h).empty());
  h.run({"HDEL", "h", "zz", "a"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HDEL h zz a"});
  h.run({"HDEL", "h", "b", "c", "f"});
  CHECK(effect_lines(h) == std::vector<std::string>{"HDEL h b c f"});
  CHECK(h.primary().db().size() == 0);
  CHECK(h.replica().db().size() == 0);
  h.run({"HGETALL", "h"});
  CHECK(effect_lines(h).empty());
}

TEST_CASE("encodings convert at hash-max-listpack-entries and -value, never back", "[hash]") {
  CommandRunner r;
  SECTION("defaults: 512 entries, 64 bytes (Redis 7.0's)") {
    Args hset{"HSET", "h"};
    for (int i = 0; i < 512; ++i) {
      hset.push_back("f" + std::to_string(i));
      hset.push_back("v");
    }
    CHECK(r.run(hset) == integer(512));
    CHECK(encoding(r, "h") == "listpack");
    CHECK(r.run({"HSET", "h", "f0", "again"}) == integer(0));
    CHECK(encoding(r, "h") == "listpack");
    CHECK(r.run({"HSET", "h", "one-more", "v"}) == integer(1));
    CHECK(encoding(r, "h") == "hashtable");
    CHECK(r.run({"HLEN", "h"}) == integer(513));
    CHECK(r.run({"HDEL", "h", "one-more", "f1", "f2"}) == integer(3));
    CHECK(encoding(r, "h") == "hashtable");

    CHECK(r.run({"HSET", "v", "f", std::string(64, 'x')}) == integer(1));
    CHECK(encoding(r, "v") == "listpack");
    CHECK(r.run({"HSET", "v", "g", std::string(65, 'x')}) == integer(1));
    CHECK(encoding(r, "v") == "hashtable");
    CHECK(r.run({"HSETNX", "k", std::string(65, 'k'), "v"}) == integer(1));
    CHECK(encoding(r, "k") == "hashtable");
    CHECK(r.run({"HINCRBY", "i", std::string(65, 'k'), "1"}) == integer(1));
    CHECK(encoding(r, "i") == "hashtable");
  }
  SECTION("configured limits") {
    eddy::kv::EncodingLimits limits;
    limits.hash_max_listpack_entries = 2;
    limits.hash_max_listpack_value = 3;
    r.shard().set_encoding_limits(&limits);
    CHECK(r.run({"HSET", "h", "a", "1", "b", "2"}) == integer(2));
    CHECK(encoding(r, "h") == "listpack");
    CHECK(r.run({"HSET", "h", "c", "3"}) == integer(1));
    CHECK(encoding(r, "h") == "hashtable");
    CHECK(r.run({"HSET", "v", "abc", "xyz"}) == integer(1));
    CHECK(encoding(r, "v") == "listpack");
    CHECK(r.run({"HINCRBY", "v", "n", "1000"}) == integer(1000));
    CHECK(encoding(r, "v") == "hashtable");
    limits.hash_max_listpack_entries = 0;
    CHECK(r.run({"HSET", "z", "a", "1"}) == integer(1));
    CHECK(encoding(r, "z") == "hashtable");
    r.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
  }
  SECTION("COPY and RENAME keep the contents and encoding") {
    CHECK(r.run({"HSET", "small", "a", "1"}) == integer(1));
    CHECK(r.run({"HSET", "large", "a", std::string(100, 'x')}) == integer(1));
    CHECK(r.run({"COPY", "small", "small2"}) == integer(1));
    CHECK(r.run({"COPY", "large", "large2"}) == integer(1));
    CHECK(encoding(r, "small2") == "listpack");
    CHECK(encoding(r, "large2") == "hashtable");
    CHECK(r.run({"HGET", "large2", "a"}) == bulk(std::string(100, 'x')));
    CHECK(r.run({"RENAME", "small2", "s3"}) == kOk);
    CHECK(r.run({"HGETALL", "s3"}) == bulks({"a", "1"}));
    CHECK(r.db().used_bytes() == r.db().table().memory_bytes());
  }
}

TEST_CASE("HRANDFIELD", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HRANDFIELD", "nokey"}) == kNil);
  CHECK(r.run({"HRANDFIELD", "nokey", "5"}) == array({}));
  CHECK(r.run({"HRANDFIELD", "nokey", "-5", "withvalues"}) == array({}));
  CHECK(r.run({"HSET", "h", "a", "1"}) == integer(1));
  CHECK(r.run({"HRANDFIELD", "h", "-9223372036854775808"}) ==
        err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(r.run({"HRANDFIELD", "h", "-9223372036854775807", "withvalues"}) ==
        err("ERR value is out of range"));
  CHECK(r.run({"HRANDFIELD", "h", "4611686018427387904", "withvalues"}) ==
        err("ERR value is out of range"));
  CHECK(r.run({"HRANDFIELD", "h", "4611686018427387903", "withvalues", "x"}) == kSyntax);
  CHECK(r.run({"HRANDFIELD", "h", "1", "withvalue"}) == kSyntax);
  CHECK(r.run({"HRANDFIELD", "h", "x"}) == kNotInteger);
  CHECK(r.run({"HRANDFIELD", "h", "0"}) == array({}));
  CHECK(r.run({"HRANDFIELD", "h", "0", "WITHVALUES"}) == array({}));
  // Negative counts past what a request may carry are refused (Redis would build the reply).
  CHECK(r.run({"HRANDFIELD", "h", "-100000000"}) == err("ERR value is out of range"));

  for (const bool large : {false, true}) {
    CAPTURE(large);
    const std::string key = large ? "large" : "small";
    const int fields = large ? 700 : 20;
    std::map<std::string, std::string> model;
    Args hset{"HSET", key};
    for (int i = 0; i < fields; ++i) {
      model["f" + std::to_string(i)] = "v" + std::to_string(i);
      hset.push_back("f" + std::to_string(i));
      hset.push_back("v" + std::to_string(i));
    }
    CHECK(r.run(hset) == integer(fields));
    CHECK(encoding(r, key) == (large ? "hashtable" : "listpack"));

    r.set_protocol(2);
    const Reply one = r.run({"HRANDFIELD", key});
    CHECK(model.count(one.text) == 1);
    // Positive counts: distinct fields, at most the hash.
    for (int count : {1, 3, fields / 3, fields / 2, fields - 1, fields, fields + 10}) {
      CAPTURE(count);
      const Reply picked = r.run({"HRANDFIELD", key, std::to_string(count)});
      const std::size_t expected = static_cast<std::size_t>(std::min(count, fields));
      REQUIRE(picked.elements.size() == expected);
      std::set<std::string> distinct;
      for (const Reply& f : picked.elements) {
        CHECK(model.count(f.text) == 1);
        distinct.insert(f.text);
      }
      CHECK(distinct.size() == expected);
      const Reply with = r.run({"HRANDFIELD", key, std::to_string(count), "WITHVALUES"});
      REQUIRE(with.elements.size() == 2 * expected);
      const auto pairs = pairs_of(with);
      CHECK(pairs.size() == expected);
      for (const auto& [f, v] : pairs) CHECK(model.at(f) == v);
    }
    // Negative counts: exactly that many, repeats allowed, every field reachable.
    // (100 draws per field: missing one by chance has probability about e^-100.)
    const Reply many = r.run({"HRANDFIELD", key, std::to_string(-100 * fields)});
    REQUIRE(many.elements.size() == static_cast<std::size_t>(100 * fields));
    std::set<std::string> seen;
    for (const Reply& f : many.elements) seen.insert(f.text);
    CHECK(seen.size() == static_cast<std::size_t>(fields));
    const Reply many_with = r.run({"HRANDFIELD", key, "-7", "withvalues"});
    REQUIRE(many_with.elements.size() == 14);
    for (std::size_t i = 0; i < 14; i += 2) {
      CHECK(model.at(many_with.elements[i].text) == many_with.elements[i + 1].text);
    }
    // RESP3: field/value pairs as two-element arrays.
    r.set_protocol(3);
    const Reply nested = r.run({"HRANDFIELD", key, "-4", "WITHVALUES"});
    REQUIRE(nested.elements.size() == 4);
    for (const Reply& pair : nested.elements) {
      REQUIRE(pair.kind == Reply::Kind::kArray);
      REQUIRE(pair.elements.size() == 2);
      CHECK(model.at(pair.elements[0].text) == pair.elements[1].text);
    }
    const Reply nested_all = r.run({"HRANDFIELD", key, "1000", "WITHVALUES"});
    CHECK(nested_all.elements.size() == static_cast<std::size_t>(fields));
    CHECK(r.run({"HRANDFIELD", key, "2"}).elements.size() == 2);
    r.set_protocol(2);
  }
}

TEST_CASE("HSCAN", "[hash]") {
  CommandRunner r;
  CHECK(r.run({"HSCAN", "nokey", "0"}) == empty_scan());
  // A missing key answers the empty scan before the options are looked at.
  CHECK(r.run({"HSCAN", "nokey", "0", "COUNT", "0"}) == empty_scan());
  CHECK(r.run({"HSCAN", "nokey", "x"}) == err("ERR invalid cursor"));
  CHECK(r.run({"HSET", "h", "a", "1", "b", "2", "ab", "3"}) == integer(3));
  CHECK(r.run({"HSCAN", "h", "0", "COUNT", "0"}) == kSyntax);
  CHECK(r.run({"HSCAN", "h", "0", "COUNT", "-1"}) == kSyntax);
  CHECK(r.run({"HSCAN", "h", "0", "COUNT", "x"}) == kNotInteger);
  CHECK(r.run({"HSCAN", "h", "0", "MATCH"}) == kSyntax);
  CHECK(r.run({"HSCAN", "h", "0", "foo", "bar"}) == kSyntax);
  CHECK(r.run({"HSCAN", "h", "0", "TYPE", "string"}) == kSyntax);
  CHECK(r.run({"HSCAN", "h", " 1"}) == err("ERR invalid cursor"));
  CHECK(r.run({"HSCAN", "h", "1x"}) == err("ERR invalid cursor"));
  CHECK(r.run({"HSCAN", "h", "18446744073709551616"}) == err("ERR invalid cursor"));
  // strtoul's reading: a sign is allowed and "" is 0.
  const Reply all = array({bulk("0"), bulks({"a", "1", "b", "2", "ab", "3"})});
  CHECK(r.run({"HSCAN", "h", "0"}) == all);
  CHECK(r.run({"HSCAN", "h", ""}) == all);
  CHECK(r.run({"HSCAN", "h", "+5"}) == all);
  CHECK(r.run({"HSCAN", "h", "-1"}) == all);
  // A listpack comes whole in one call, whatever COUNT says.
  CHECK(r.run({"HSCAN", "h", "0", "COUNT", "1"}) == all);
  CHECK(r.run({"HSCAN", "h", "0", "MATCH", "a*"}) ==
        array({bulk("0"), bulks({"a", "1", "ab", "3"})}));
  CHECK(r.run({"HSCAN", "h", "0", "match", "*", "count", "100"}) == all);
  CHECK(r.run({"HSCAN", "h", "0", "MATCH", "x", "COUNT", "100"}) == empty_scan());

  // The hashtable form: a full iteration returns every field, each with its value.
  Args hset{"HSET", "big"};
  std::map<std::string, std::string> model;
  for (int i = 0; i < 1000; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back("v" + std::to_string(i));
    model["f" + std::to_string(i)] = "v" + std::to_string(i);
  }
  CHECK(r.run(hset) == integer(1000));
  REQUIRE(encoding(r, "big") == "hashtable");
  for (const std::string count : {"1", "10", "100", "5000"}) {
    CAPTURE(count);
    std::map<std::string, std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      const Reply step = r.run({"HSCAN", "big", cursor, "COUNT", count});
      REQUIRE(step.elements.size() == 2);
      cursor = step.elements[0].text;
      for (const auto& [f, v] : pairs_of(step.elements[1])) seen[f] = v;
      ++calls;
      REQUIRE(calls < 100000);
    } while (cursor != "0");
    CHECK(seen == model);
    if (count == "5000") CHECK(calls == 1);
    if (count == "1") CHECK(calls > 100);
  }
  // MATCH filters after the fields are gathered.
  std::set<std::string> matched;
  std::string cursor = "0";
  do {
    const Reply step = r.run({"HSCAN", "big", cursor, "MATCH", "f99*"});
    cursor = step.elements[0].text;
    for (const auto& [f, v] : pairs_of(step.elements[1])) matched.insert(f);
  } while (cursor != "0");
  CHECK(matched == std::set<std::string>{"f99", "f990", "f991", "f992", "f993", "f994", "f995",
                                         "f996", "f997", "f998", "f999"});
}

// ---------------------------------------------------------------------------------------------
// The replay property over random streams of hash commands (and the key commands that move or
// copy hashes), with small thresholds so streams cross into the hashtable form and default
// ones so they mostly stay listpacks.

namespace {

rc::Gen<Args> hash_command() {
  const auto key = rc::gen::element<std::string>("h", "g", "s");
  const auto field = rc::gen::element<std::string>("a", "b", "c", "d", "e", "f", "g", "", "1",
                                                   std::string(70, 'F'));
  const auto value =
      rc::gen::element<std::string>("", "1", "-7", "x", "3.5", "10", std::string(70, 'v'));
  const auto count = rc::gen::element<std::string>("0", "1", "2", "5", "-3", "100");
  return rc::gen::oneOf(rc::gen::apply(
                            [](std::string k, std::string f, std::string v) {
                              return Args{"HSET", k, f, v};
                            },
                            key, field, value),
                        rc::gen::apply([](std::string k, std::string f, std::string v,
                                          std::string g) { return Args{"HSET", k, f, v, g, v}; },
                                       key, field, value, field),
                        rc::gen::apply(
                            [](std::string k, std::string f, std::string v) {
                              return Args{"HMSET", k, f, v};
                            },
                            key, field, value),
                        rc::gen::apply(
                            [](std::string k, std::string f, std::string v) {
                              return Args{"HSETNX", k, f, v};
                            },
                            key, field, value),
                        rc::gen::apply(
                            [](std::string k, std::string f) {
                              return Args{"HDEL", k, f};
                            },
                            key, field),
                        rc::gen::apply(
                            [](std::string k, std::string f, std::string g) {
                              return Args{"HDEL", k, f, g};
                            },
                            key, field, field),
                        rc::gen::apply(
                            [](std::string k, std::string f, std::string n) {
                              return Args{"HINCRBY", k, f, n};
                            },
                            key, field, count),
                        rc::gen::apply(
                            [](std::string k, std::string f) {
                              return Args{"HINCRBYFLOAT", k, f, "0.1"};
                            },
                            key, field),
                        rc::gen::apply(
                            [](std::string k, std::string f) {
                              return Args{"HGET", k, f};
                            },
                            key, field),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"HGETALL", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string n) {
                              return Args{"HRANDFIELD", k, n, "WITHVALUES"};
                            },
                            key, count),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"HSCAN", k, "0", "COUNT", "3"};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Args{"SET", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"DEL", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string j) {
                              return Args{"RENAME", k, j};
                            },
                            key, key),
                        rc::gen::apply(
                            [](std::string k, std::string j) {
                              return Args{"COPY", k, j, "REPLACE"};
                            },
                            key, key),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"MOVE", k, "1"};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k) {
                              return Args{"PEXPIRE", k, "5"};
                            },
                            key),
                        rc::gen::just(Args{"(advance)"}));
}

void run_stream(ReplayHarness& h, const std::vector<Args>& commands) {
  for (const Args& args : commands) {
    if (args[0] == "(advance)") {
      h.advance_ms(4);
      continue;
    }
    h.run(args);
  }
  h.primary().shard().active_expire_cycle(1'000'000'000);
  h.sync({"(active expiry)"});
}

}  // namespace

TEST_CASE("replaying the effects of hash commands reproduces the keyspace", "[hash][property]") {
  rc::prop("small thresholds: streams cross into the hashtable form", [] {
    eddy::kv::EncodingLimits limits;
    limits.hash_max_listpack_entries = *rc::gen::inRange<std::int64_t>(0, 5);
    limits.hash_max_listpack_value = *rc::gen::inRange<std::int64_t>(0, 8);
    ReplayHarness h;
    h.primary().shard().set_encoding_limits(&limits);
    h.replica().shard().set_encoding_limits(&limits);
    run_stream(h, *rc::gen::container<std::vector<Args>>(hash_command()));
  });
  rc::prop("default thresholds", [] {
    ReplayHarness h;
    run_stream(h, *rc::gen::container<std::vector<Args>>(hash_command()));
  });
}
