// Example-based tests of the set commands, and the replay property over random streams of them.
// Expected replies and error texts were checked against a real redis-server 7.0.15 (same
// arguments, same order); random choices (SPOP, SRANDMEMBER) are checked by their properties.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/set_value.h"
#include "engine/slot.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/replay_harness.h"
#include "tests/unit/support/test_server.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::ReplayHarness;
using eddy::testing::Reply;
using Args = std::vector<std::string>;

Reply bulk(std::string_view text) {
  return Reply::bulk(text);
}
Reply integer(std::int64_t n) {
  return Reply::integer(n);
}
Reply err(std::string_view text) {
  return Reply::error(text);
}
Reply ints(std::vector<std::int64_t> values) {
  std::vector<Reply> elements;
  for (std::int64_t v : values) elements.push_back(Reply::integer(v));
  return Reply::array(std::move(elements));
}
Reply empty_array() {
  return Reply::array({});
}

const Reply kWrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value");
const Reply kSyntax = err("ERR syntax error");
const Reply kNotInteger = err("ERR value is not an integer or out of range");

// The members of an array or set reply, sorted (set order is unspecified).
std::multiset<std::string> members(const Reply& reply) {
  REQUIRE((reply.kind == Reply::Kind::kArray || reply.kind == Reply::Kind::kSet));
  std::multiset<std::string> out;
  for (const Reply& e : reply.elements) {
    REQUIRE(e.kind == Reply::Kind::kBulk);
    out.insert(e.text);
  }
  return out;
}
std::multiset<std::string> sorted(std::initializer_list<std::string> items) {
  return std::multiset<std::string>(items);
}

std::string encoding(CommandRunner& r, std::string_view key) {
  return r.run({"OBJECT", "ENCODING", key}).text;
}

// SSCAN until the cursor returns to 0; every member seen (with repeats).
std::multiset<std::string> sscan_all(CommandRunner& r, std::string_view key,
                                     std::vector<std::string> options = {}) {
  std::multiset<std::string> out;
  std::string cursor = "0";
  for (int calls = 0;; ++calls) {
    REQUIRE(calls < 100000);
    Args args = {"SSCAN", std::string(key), cursor};
    args.insert(args.end(), options.begin(), options.end());
    const Reply reply = r.run(args);
    REQUIRE(reply.kind == Reply::Kind::kArray);
    REQUIRE(reply.elements.size() == 2);
    cursor = reply.elements[0].text;
    for (const Reply& e : reply.elements[1].elements) out.insert(e.text);
    if (cursor == "0") return out;
  }
}

}  // namespace

TEST_CASE("set command specs match Redis 7.0 COMMAND INFO", "[set][cmd]") {
  CommandRunner r;
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& { return r.spec(name); };
  CHECK(spec("sadd").arity == -3);
  CHECK(spec("sadd").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom | eddy::kCmdFast));
  CHECK(spec("sadd").acl_categories == "@write @set @fast");
  CHECK(spec("smembers").flags == eddy::kCmdReadonly);
  CHECK(spec("spop").flags == (eddy::kCmdWrite | eddy::kCmdFast));
  CHECK(spec("smove").last_key == 2);
  CHECK(spec("sinter").last_key == -1);
  CHECK(spec("sinterstore").first_key == 1);
  CHECK(spec("sinterstore").last_key == -1);
  CHECK(spec("sintercard").first_key == 0);
  CHECK(spec("sintercard").numkeys_index == 1);
  CHECK(spec("sintercard").since == "7.0.0");
  CHECK(spec("sscan").syntax == "key cursor [MATCH pattern] [COUNT count]");
  CHECK(spec("smismember").summary ==
        "Returns the membership associated with the given elements for a set");
  // Key extraction for the router: SINTERCARD's keys follow numkeys.
  std::vector<std::uint32_t> keys;
  const std::vector<std::string_view> args = {"SINTERCARD", "2", "a", "b", "LIMIT", "1"};
  eddy::key_indexes(spec("sintercard"), args, keys);
  CHECK(keys == std::vector<std::uint32_t>{2, 3});
}

TEST_CASE("SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS", "[set][cmd]") {
  CommandRunner r;
  CHECK(r.run({"SADD", "s", "1", "2", "3"}) == integer(3));
  CHECK(r.run({"SADD", "s", "3", "4"}) == integer(1));
  CHECK(r.run({"SADD", "s", "3", "4"}) == integer(0));
  CHECK(r.run({"SADD", "s", "a", "a"}) == integer(1));
  CHECK(r.run({"SCARD", "s"}) == integer(5));
  CHECK(r.run({"SCARD", "nokey"}) == integer(0));
  CHECK(r.run({"SISMEMBER", "s", "a"}) == integer(1));
  CHECK(r.run({"SISMEMBER", "s", "b"}) == integer(0));
  CHECK(r.run({"SISMEMBER", "nokey", "a"}) == integer(0));
  CHECK(r.run({"SMISMEMBER", "s", "a", "b", "3"}) == ints({1, 0, 1}));
  CHECK(r.run({"SMISMEMBER", "nokey", "a", "b"}) == ints({0, 0}));
  CHECK(members(r.run({"SMEMBERS", "s"})) == sorted({"1", "2", "3", "4", "a"}));
  CHECK(r.run({"SMEMBERS", "nokey"}) == empty_array());
  CHECK(r.run({"SREM", "s", "x", "y"}) == integer(0));
  CHECK(r.run({"SREM", "s", "1", "1", "2"}) == integer(2));
  CHECK(r.run({"SREM", "nokey", "1"}) == integer(0));
  CHECK(r.run({"SCARD", "s"}) == integer(3));
  // Removing the last member deletes the key.
  CHECK(r.run({"SREM", "s", "3", "4", "a", "zz"}) == integer(3));
  CHECK(r.run({"EXISTS", "s"}) == integer(0));
  CHECK(r.run({"SADD", "s"}) == err("ERR wrong number of arguments for 'sadd' command"));
  CHECK(r.run({"SMISMEMBER", "s"}) ==
        err("ERR wrong number of arguments for 'smismember' command"));
}

TEST_CASE("set commands answer WRONGTYPE on other types", "[set][cmd]") {
  CommandRunner r;
  r.run({"SET", "str", "v"});
  r.run({"SADD", "s", "a"});
  for (const Args& args : std::vector<Args>{
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SCARD", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SMEMBERS", "str"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "3"},
           {"SPOP", "str"},
           {"SPOP", "str", "1"},
           {"SMOVE", "str", "s", "a"},
           {"SMOVE", "s", "str", "a"},
           {"SINTER", "s", "str"},
           {"SINTER", "nokey", "str"},  // a missing key does not hide a later WRONGTYPE
           {"SINTERCARD", "2", "nokey", "str"},
           {"SUNION", "str", "s"},
           {"SDIFF", "nokey", "str"},
           {"SINTERSTORE", "d", "s", "str"},
           {"SUNIONSTORE", "d", "str"},
           {"SDIFFSTORE", "d", "s", "str"},
           {"SSCAN", "str", "0"},
           {"SSCAN", "str", "0", "COUNT", "0"},  // the key is judged before the options
       }) {
    INFO(ReplayHarness::describe(args));
    CHECK(r.run(args) == kWrongType);
  }
  // A missing source wins over a destination of the wrong type.
  CHECK(r.run({"SMOVE", "nokey", "str", "a"}) == integer(0));
  // *STORE overwrites a destination of any type.
  CHECK(r.run({"SUNIONSTORE", "str", "s"}) == integer(1));
  CHECK(r.run({"TYPE", "str"}) == Reply::simple("set"));
}

TEST_CASE("intset becomes hashtable past set-max-intset-entries or on a non-integer member",
          "[set][cmd]") {
  CommandRunner r;
  for (int i = 0; i < 512; ++i) r.run({"SADD", "ints", std::to_string(i * 3 - 700)});
  CHECK(r.run({"SCARD", "ints"}) == integer(512));
  CHECK(encoding(r, "ints") == "intset");
  CHECK(r.run({"SADD", "ints", "100000"}) == integer(1));
  CHECK(encoding(r, "ints") == "hashtable");
  CHECK(r.run({"SISMEMBER", "ints", "-700"}) == integer(1));
  CHECK(r.run({"SCARD", "ints"}) == integer(513));

  CHECK(r.run({"SADD", "mixed", "1", "-9223372036854775808", "9223372036854775807"}) == integer(3));
  CHECK(encoding(r, "mixed") == "intset");
  // Not canonical integers: strings, so the set converts.
  CHECK(r.run({"SADD", "mixed", "01"}) == integer(1));
  CHECK(encoding(r, "mixed") == "hashtable");
  CHECK(r.run({"SISMEMBER", "mixed", "1"}) == integer(1));
  CHECK(r.run({"SISMEMBER", "mixed", "01"}) == integer(1));
  // A set never goes back to intset by shrinking.
  CHECK(r.run({"SREM", "mixed", "01"}) == integer(1));
  CHECK(encoding(r, "mixed") == "hashtable");

  CHECK(r.run({"SADD", "strs", "a"}) == integer(1));
  CHECK(encoding(r, "strs") == "hashtable");
  CHECK(r.run({"SADD", "big", "9223372036854775808"}) == integer(1));
  CHECK(encoding(r, "big") == "hashtable");

  // The threshold follows the shard's limits (CONFIG SET set-max-intset-entries).
  eddy::kv::EncodingLimits limits;
  limits.set_max_intset_entries = 2;
  r.shard().set_encoding_limits(&limits);
  CHECK(r.run({"SADD", "small", "1", "2"}) == integer(2));
  CHECK(encoding(r, "small") == "intset");
  CHECK(r.run({"SADD", "small", "3"}) == integer(1));
  CHECK(encoding(r, "small") == "hashtable");
  // *STORE results start as an intset too and convert by the same rule.
  r.run({"SADD", "src", "1", "2"});
  CHECK(r.run({"SUNIONSTORE", "dst", "src"}) == integer(2));
  CHECK(encoding(r, "dst") == "intset");
  CHECK(r.run({"SINTERSTORE", "dst", "ints", "ints"}) == integer(513));
  CHECK(encoding(r, "dst") == "hashtable");
  r.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
}

TEST_CASE("SPOP and SRANDMEMBER", "[set][cmd]") {
  CommandRunner r;
  CHECK(r.run({"SPOP", "nokey"}) == Reply::null());
  CHECK(r.run({"SPOP", "nokey", "3"}) == empty_array());
  CHECK(r.run({"SPOP", "nokey", "-1"}) == err("ERR value is out of range, must be positive"));
  CHECK(r.run({"SPOP", "nokey", "abc"}) == err("ERR value is out of range, must be positive"));
  CHECK(r.run({"SRANDMEMBER", "nokey"}) == Reply::null());
  CHECK(r.run({"SRANDMEMBER", "nokey", "5"}) == empty_array());
  CHECK(r.run({"SRANDMEMBER", "nokey", "-5"}) == empty_array());
  CHECK(r.run({"SRANDMEMBER", "nokey", "x"}) == kNotInteger);
  CHECK(r.run({"SRANDMEMBER", "nokey", "-9223372036854775808"}) ==
        err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));

  for (const std::string first : {"1", "a"}) {  // intset and hashtable
    INFO(first);
    r.run({"DEL", "s"});
    Args sadd = {"SADD", "s", first};
    for (int i = 2; i <= 50; ++i) sadd.push_back(std::to_string(i));
    r.run(sadd);
    std::multiset<std::string> all = members(r.run({"SMEMBERS", "s"}));
    REQUIRE(all.size() == 50);
    CHECK(r.run({"SPOP", "s", "1", "2"}) == kSyntax);
    CHECK(r.run({"SRANDMEMBER", "s", "1", "2"}) == kSyntax);
    CHECK(r.run({"SPOP", "s", "0"}) == empty_array());
    CHECK(r.run({"SRANDMEMBER", "s", "0"}) == empty_array());

    const Reply one = r.run({"SRANDMEMBER", "s"});
    REQUIRE(one.kind == Reply::Kind::kBulk);
    CHECK(all.count(one.text) == 1);
    // Positive counts: distinct members, at most the whole set.
    for (const char* count : {"1", "5", "20", "40", "50", "1000"}) {
      const std::multiset<std::string> got = members(r.run({"SRANDMEMBER", "s", count}));
      CHECK(got.size() == std::min<std::size_t>(50, std::stoul(count)));
      CHECK(std::set<std::string>(got.begin(), got.end()).size() == got.size());
      for (const std::string& m : got) CHECK(all.count(m) == 1);
    }
    // Negative counts: exactly that many, repeats allowed.
    const std::multiset<std::string> repeated = members(r.run({"SRANDMEMBER", "s", "-200"}));
    CHECK(repeated.size() == 200);
    for (const std::string& m : repeated) CHECK(all.count(m) == 1);
    CHECK(r.run({"SCARD", "s"}) == integer(50));
    CHECK(r.run({"SRANDMEMBER", "s", "-100000000"}).is_error());

    // SPOP takes distinct members out.
    const Reply popped = r.run({"SPOP", "s"});
    REQUIRE(popped.kind == Reply::Kind::kBulk);
    CHECK(r.run({"SISMEMBER", "s", popped.text}) == integer(0));
    std::multiset<std::string> taken = members(r.run({"SPOP", "s", "5"}));  // few: one by one
    CHECK(taken.size() == 5);
    std::multiset<std::string> more = members(r.run({"SPOP", "s", "40"}));  // most: rebuilds
    CHECK(more.size() == 40);
    taken.insert(more.begin(), more.end());
    taken.insert(popped.text);
    CHECK(std::set<std::string>(taken.begin(), taken.end()).size() == 46);
    const std::multiset<std::string> rest = members(r.run({"SMEMBERS", "s"}));
    CHECK(rest.size() == 4);
    for (const std::string& m : rest) CHECK(taken.count(m) == 0);
    // All that is left: the key goes.
    CHECK(members(r.run({"SPOP", "s", "10"})) == rest);
    CHECK(r.run({"EXISTS", "s"}) == integer(0));
  }
  r.run({"SADD", "one", "x"});
  CHECK(r.run({"SPOP", "one"}) == bulk("x"));
  CHECK(r.run({"EXISTS", "one"}) == integer(0));
}

TEST_CASE("SPOP's large-count path rebuilds the rest in the small encoding", "[set][cmd]") {
  CommandRunner r;
  Args sadd = {"SADD", "s", "a"};
  for (int i = 0; i < 10; ++i) sadd.push_back(std::to_string(i));
  r.run(sadd);
  REQUIRE(encoding(r, "s") == "hashtable");
  // 10 of 11 taken: the one kept member starts a new set (intset when it is an integer).
  const std::multiset<std::string> taken = members(r.run({"SPOP", "s", "10"}));
  CHECK(taken.size() == 10);
  const std::multiset<std::string> rest = members(r.run({"SMEMBERS", "s"}));
  REQUIRE(rest.size() == 1);
  CHECK(encoding(r, "s") == (*rest.begin() == "a" ? "hashtable" : "intset"));
}

TEST_CASE("SPOP and SRANDMEMBER draw every member", "[set][cmd]") {
  CommandRunner r;
  r.run({"SADD", "s", "a", "b", "c", "d", "e"});
  std::map<std::string, int> seen;
  for (int i = 0; i < 500; ++i) ++seen[r.run({"SRANDMEMBER", "s"}).text];
  CHECK(seen.size() == 5);
  for (const auto& [m, n] : seen) CHECK(n > 50);
  std::set<std::string> first_popped;
  for (int i = 0; i < 200; ++i) {
    first_popped.insert(r.run({"SPOP", "s"}).text);
    r.run({"SADD", "s", "a", "b", "c", "d", "e"});
  }
  CHECK(first_popped.size() == 5);
}

TEST_CASE("SMOVE", "[set][cmd]") {
  CommandRunner r;
  r.run({"SADD", "src", "1", "2", "a"});
  r.run({"SADD", "dst", "3"});
  CHECK(r.run({"SMOVE", "nokey", "dst", "1"}) == integer(0));
  CHECK(r.run({"SMOVE", "src", "dst", "zz"}) == integer(0));
  CHECK(r.run({"SMOVE", "src", "src", "a"}) == integer(1));
  CHECK(r.run({"SMOVE", "src", "src", "zz"}) == integer(0));
  CHECK(r.run({"SMOVE", "src", "dst", "1"}) == integer(1));
  CHECK(members(r.run({"SMEMBERS", "dst"})) == sorted({"1", "3"}));
  CHECK(encoding(r, "dst") == "intset");
  CHECK(r.run({"SMOVE", "src", "dst", "a"}) == integer(1));
  CHECK(encoding(r, "dst") == "hashtable");
  // Already in the destination: still moved out of the source.
  r.run({"SADD", "dst", "2"});
  CHECK(r.run({"SMOVE", "src", "dst", "2"}) == integer(1));
  CHECK(r.run({"EXISTS", "src"}) == integer(0));
  // A new destination takes the member's encoding.
  CHECK(r.run({"SMOVE", "dst", "fresh", "3"}) == integer(1));
  CHECK(encoding(r, "fresh") == "intset");
  CHECK(r.run({"SMOVE", "dst", "fresh2", "a"}) == integer(1));
  CHECK(encoding(r, "fresh2") == "hashtable");
  CHECK(members(r.run({"SMEMBERS", "dst"})) == sorted({"1", "2"}));
}

TEST_CASE("SINTER SUNION SDIFF and their STORE forms", "[set][cmd]") {
  CommandRunner r;
  r.run({"SADD", "a", "1", "2", "3", "4", "x"});
  r.run({"SADD", "b", "2", "3", "5", "x", "y"});
  r.run({"SADD", "c", "3", "x", "z"});
  CHECK(members(r.run({"SINTER", "a", "b", "c"})) == sorted({"3", "x"}));
  CHECK(members(r.run({"SINTER", "a", "a"})) == members(r.run({"SMEMBERS", "a"})));
  CHECK(r.run({"SINTER", "a", "nokey"}) == empty_array());
  CHECK(members(r.run({"SUNION", "a", "nokey", "c"})) == sorted({"1", "2", "3", "4", "x", "z"}));
  CHECK(members(r.run({"SDIFF", "a", "b"})) == sorted({"1", "4"}));
  CHECK(members(r.run({"SDIFF", "a", "nokey"})) == members(r.run({"SMEMBERS", "a"})));
  CHECK(members(r.run({"SDIFF", "a", "b", "c"})) == sorted({"1", "4"}));
  CHECK(r.run({"SDIFF", "a", "a"}) == empty_array());
  CHECK(r.run({"SDIFF", "nokey", "a"}) == empty_array());
  // The second algorithm (walking every set) when the first set is large against the rest.
  Args big = {"SADD", "big"};
  for (int i = 0; i < 300; ++i) big.push_back(std::to_string(i));
  r.run(big);
  CHECK(members(r.run({"SDIFF", "big", "a", "b", "c", "a", "b", "c"})).size() == 295);

  r.run({"SET", "d", "old"});
  r.run({"PEXPIRE", "d", "100000"});
  CHECK(r.run({"SINTERSTORE", "d", "a", "b"}) == integer(3));
  CHECK(members(r.run({"SMEMBERS", "d"})) == sorted({"2", "3", "x"}));
  CHECK(r.run({"PTTL", "d"}) == integer(-1));  // stored as a new key: no TTL
  CHECK(r.run({"SUNIONSTORE", "d", "c", "nokey"}) == integer(3));
  CHECK(members(r.run({"SMEMBERS", "d"})) == sorted({"3", "x", "z"}));
  CHECK(r.run({"SDIFFSTORE", "d", "a", "b"}) == integer(2));
  CHECK(encoding(r, "d") == "intset");
  // The destination may be a source.
  CHECK(r.run({"SUNIONSTORE", "d", "d", "c"}) == integer(5));
  // An empty result deletes the destination.
  CHECK(r.run({"SINTERSTORE", "d", "a", "nokey"}) == integer(0));
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  r.run({"SADD", "d", "q"});
  CHECK(r.run({"SDIFFSTORE", "d", "a", "a"}) == integer(0));
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  CHECK(r.run({"SUNIONSTORE", "d", "nokey"}) == integer(0));
  CHECK(r.run({"SINTERSTORE", "d"}) ==
        err("ERR wrong number of arguments for 'sinterstore' command"));
}

TEST_CASE("SINTERCARD", "[set][cmd]") {
  CommandRunner r;
  r.run({"SADD", "a", "1", "2", "3", "4", "x"});
  r.run({"SADD", "b", "2", "3", "4", "x", "y"});
  CHECK(r.run({"SINTERCARD", "2", "a", "b"}) == integer(4));
  CHECK(r.run({"SINTERCARD", "2", "a", "b", "LIMIT", "0"}) == integer(4));
  CHECK(r.run({"SINTERCARD", "2", "a", "b", "limit", "2"}) == integer(2));
  CHECK(r.run({"SINTERCARD", "2", "a", "b", "LIMIT", "10"}) == integer(4));
  CHECK(r.run({"SINTERCARD", "1", "a"}) == integer(5));
  CHECK(r.run({"SINTERCARD", "2", "a", "nokey"}) == integer(0));
  CHECK(r.run({"SINTERCARD", "0", "a"}) == err("ERR numkeys should be greater than 0"));
  CHECK(r.run({"SINTERCARD", "abc", "a"}) == err("ERR numkeys should be greater than 0"));
  CHECK(r.run({"SINTERCARD", "3", "a"}) ==
        err("ERR Number of keys can't be greater than number of args"));
  CHECK(r.run({"SINTERCARD", "1", "a", "LIMIT", "-1"}) == err("ERR LIMIT can't be negative"));
  CHECK(r.run({"SINTERCARD", "1", "a", "LIMIT", "x"}) == err("ERR LIMIT can't be negative"));
  CHECK(r.run({"SINTERCARD", "1", "a", "LIMIT"}) == kSyntax);
  CHECK(r.run({"SINTERCARD", "1", "a", "foo"}) == kSyntax);
}

TEST_CASE("SSCAN", "[set][cmd]") {
  CommandRunner r;
  const Reply empty_scan = Reply::array({bulk("0"), empty_array()});
  CHECK(r.run({"SSCAN", "nokey", "0"}) == empty_scan);
  CHECK(r.run({"SSCAN", "nokey", "abc"}) == err("ERR invalid cursor"));
  CHECK(r.run({"SSCAN", "nokey", "0", "COUNT", "0"}) == empty_scan);
  r.run({"SADD", "ints", "1", "2", "3", "10", "11"});
  CHECK(r.run({"SSCAN", "ints", "0", "COUNT", "0"}) == kSyntax);
  CHECK(r.run({"SSCAN", "ints", "0", "COUNT", "x"}) == kNotInteger);
  CHECK(r.run({"SSCAN", "ints", "0", "MATCH"}) == kSyntax);
  CHECK(r.run({"SSCAN", "ints", "0", "TYPE", "string"}) == kSyntax);
  CHECK(r.run({"SSCAN", "ints", " 1"}) == err("ERR invalid cursor"));
  CHECK(r.run({"SSCAN", "ints", "18446744073709551616"}) == err("ERR invalid cursor"));
  // An intset comes back whole in one call, whatever the cursor and count.
  CHECK(r.run({"SSCAN", "ints", "0", "COUNT", "1"}) ==
        Reply::array(
            {bulk("0"), Reply::array({bulk("1"), bulk("2"), bulk("3"), bulk("10"), bulk("11")})}));
  CHECK(r.run({"SSCAN", "ints", "", "MATCH", "1*"}) ==
        Reply::array({bulk("0"), Reply::array({bulk("1"), bulk("10"), bulk("11")})}));

  Args sadd = {"SADD", "s"};
  std::multiset<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    sadd.push_back("m:" + std::to_string(i));
    all.insert(sadd.back());
  }
  r.run(sadd);
  REQUIRE(encoding(r, "s") == "hashtable");
  CHECK(sscan_all(r, "s") == all);
  CHECK(sscan_all(r, "s", {"COUNT", "1"}) == all);
  CHECK(sscan_all(r, "s", {"COUNT", "100000"}) == all);
  CHECK(sscan_all(r, "s", {"MATCH", "m:1?", "COUNT", "7"}) ==
        sorted({"m:10", "m:11", "m:12", "m:13", "m:14", "m:15", "m:16", "m:17", "m:18", "m:19"}));
  // The default COUNT returns about ten at a time.
  const Reply first = r.run({"SSCAN", "s", "0"});
  CHECK(first.elements[0].text != "0");
  CHECK(first.elements[1].elements.size() >= 10);
  CHECK(first.elements[1].elements.size() < 40);
}

TEST_CASE("set replies are RESP3 sets where Redis sends sets", "[set][cmd]") {
  CommandRunner r;
  r.set_protocol(3);
  r.run({"SADD", "s", "a", "b"});
  CHECK(r.run({"SMEMBERS", "s"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SMEMBERS", "nokey"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SINTER", "s", "s"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SINTER", "s", "nokey"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SUNION", "s"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SDIFF", "s"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SPOP", "nokey", "2"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SPOP", "s", "0"}).kind == Reply::Kind::kSet);
  CHECK(r.run({"SRANDMEMBER", "s", "2"}).kind == Reply::Kind::kArray);
  CHECK(r.run({"SRANDMEMBER", "nokey", "2"}).kind == Reply::Kind::kArray);
  CHECK(r.run({"SPOP", "nokey"}) == Reply::null());
  CHECK(r.run({"SPOP", "s", "1"}).kind == Reply::Kind::kSet);
}

// ---------------------------------------------------------------------------------------------
// Effects: what a replica or a log receives.

TEST_CASE("set effects: SPOP is SREM of the chosen members, DEL when it takes all", "[set][cmd]") {
  ReplayHarness h;
  auto effects = [&] {
    std::vector<Args> out;
    for (const auto& batch : h.last_effects()) {
      for (const auto& [db, args] : batch.effects) out.push_back(args);
    }
    return out;
  };
  h.run({"SADD", "s", "1", "2", "3", "a", "b", "c", "d"});
  CHECK(effects() == std::vector<Args>{{"SADD", "s", "1", "2", "3", "a", "b", "c", "d"}});
  // Nothing added or removed: nothing propagates.
  h.run({"SADD", "s", "1", "a"});
  CHECK(effects().empty());
  h.run({"SREM", "s", "zz"});
  CHECK(effects().empty());
  h.run({"SMOVE", "s", "t", "zz"});
  CHECK(effects().empty());

  const Reply popped = h.run({"SPOP", "s"});
  CHECK(effects() == std::vector<Args>{{"SREM", "s", popped.text}});
  const Reply two = h.run({"SPOP", "s", "2"});
  auto e = effects();
  REQUIRE(e.size() == 1);
  REQUIRE(e[0].size() == 4);
  CHECK(e[0][0] == "SREM");
  CHECK(std::multiset<std::string>(e[0].begin() + 2, e[0].end()) == members(two));
  const Reply most = h.run({"SPOP", "s", "3"});  // 3 of 4: the rebuilding path
  e = effects();
  REQUIRE(e.size() == 1);
  CHECK(std::multiset<std::string>(e[0].begin() + 2, e[0].end()) == members(most));
  h.run({"SPOP", "s", "5"});
  CHECK(effects() == std::vector<Args>{{"DEL", "s"}});
  h.run({"SADD", "s", "x"});
  const Reply last = h.run({"SPOP", "s"});
  CHECK(effects() == std::vector<Args>{{"SREM", "s", "x"}});
  CHECK(h.primary().run({"EXISTS", "s"}) == integer(0));
  CHECK(h.replica().run({"EXISTS", "s"}) == integer(0));
  // Reads propagate nothing.
  h.run({"SADD", "s", "x", "y"});
  h.run({"SRANDMEMBER", "s", "-5"});
  CHECK(effects().empty());
  h.run({"SPOP", "s", "0"});
  CHECK(effects().empty());
}

// ---------------------------------------------------------------------------------------------
// The replay property over random streams of set commands.

namespace {

rc::Gen<Args> set_command() {
  const auto key = rc::gen::element<std::string>("a", "b", "c", "s");
  // Integers (intset), strings (hashtable), and a few that look like integers but are not.
  const auto member = rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange(-20, 40), [](int i) { return std::to_string(i); }),
      rc::gen::element<std::string>("x", "y", "hello", "", "01", "-0", "+1", "9223372036854775807",
                                    std::string(30, 'z')));
  const auto count =
      rc::gen::element<std::string>("0", "1", "2", "3", "5", "10", "40", "-1", "-3", "-20");
  const auto members = rc::gen::container<std::vector<std::string>>(member);
  return rc::gen::oneOf(
      rc::gen::apply(
          [](std::string k, std::string m, std::vector<std::string> ms) {
            Args args = {"SADD", k, m};
            args.insert(args.end(), ms.begin(), ms.end());
            return args;
          },
          key, member, members),
      rc::gen::apply(
          [](std::string k, int from, int n) {
            // Runs of integers: large sets that cross the intset limit.
            Args args = {"SADD", k};
            for (int i = 0; i < n; ++i) args.push_back(std::to_string(from + i));
            return args;
          },
          key, rc::gen::inRange(-100, 100), rc::gen::inRange(1, 300)),
      rc::gen::apply(
          [](std::string k, std::string m, std::vector<std::string> ms) {
            Args args = {"SREM", k, m};
            args.insert(args.end(), ms.begin(), ms.end());
            return args;
          },
          key, member, members),
      rc::gen::apply(
          [](std::string k) {
            return Args{"SPOP", k};
          },
          key),
      rc::gen::apply(
          [](std::string k, std::string c) {
            return Args{"SPOP", k, c.substr(c[0] == '-')};
          },
          key, count),
      rc::gen::apply(
          [](std::string k, std::string c) {
            return Args{"SRANDMEMBER", k, c};
          },
          key, count),
      rc::gen::apply(
          [](std::string k) {
            return Args{"SRANDMEMBER", k};
          },
          key),
      rc::gen::apply(
          [](std::string k, std::string j, std::string m) {
            return Args{"SMOVE", k, j, m};
          },
          key, key, member),
      rc::gen::apply(
          [](std::string d, std::string k, std::string j) {
            return Args{"SINTERSTORE", d, k, j};
          },
          key, key, key),
      rc::gen::apply(
          [](std::string d, std::string k, std::string j) {
            return Args{"SUNIONSTORE", d, k, j};
          },
          key, key, key),
      rc::gen::apply(
          [](std::string d, std::string k, std::string j) {
            return Args{"SDIFFSTORE", d, k, j};
          },
          key, key, key),
      rc::gen::apply(
          [](std::string k, std::string j) {
            return Args{"SINTER", k, j};
          },
          key, key),
      rc::gen::apply(
          [](std::string k, std::string j) { return Args{"SINTERCARD", "2", k, j, "LIMIT", "3"}; },
          key, key),
      rc::gen::apply(
          [](std::string k, std::string j) {
            return Args{"SDIFF", k, j};
          },
          key, key),
      rc::gen::apply(
          [](std::string k) {
            return Args{"SSCAN", k, "0", "COUNT", "3"};
          },
          key),
      rc::gen::apply(
          [](std::string k, std::string m) {
            return Args{"SISMEMBER", k, m};
          },
          key, member),
      rc::gen::apply(
          [](std::string k) {
            return Args{"PEXPIRE", k, "5"};
          },
          key),
      rc::gen::apply(
          [](std::string k) {
            return Args{"SET", k, "v"};
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
      rc::gen::just(Args{"(advance)"}));
}

// The set at `key` on `r`'s shard, checked structurally; members compared across shards.
std::multiset<std::string> set_members(CommandRunner& r, const std::string& key) {
  const eddy::kv::Entry* entry = r.db().peek(key);
  if (entry == nullptr || entry->value.type() != eddy::kv::Type::kSet) return {};
  const auto& set = entry->value.as<eddy::kv::SetValue>();
  set.check_invariants();
  RC_ASSERT(!set.empty());
  std::multiset<std::string> out;
  set.for_each([&](std::string_view m) { out.emplace(m); });
  return out;
}

}  // namespace

TEST_CASE("replaying the effects of set commands reproduces the keyspace", "[set][property]") {
  rc::prop("replica equals primary after every set command", [] {
    ReplayHarness h;
    // Half the runs convert intsets early, so conversions happen on small sets too.
    static eddy::kv::EncodingLimits small_limits;
    small_limits.set_max_intset_entries = 4;
    if (*rc::gen::arbitrary<bool>()) {
      h.primary().shard().set_encoding_limits(&small_limits);
      h.replica().shard().set_encoding_limits(&small_limits);
    }
    const auto commands = *rc::gen::container<std::vector<Args>>(set_command());
    for (const Args& args : commands) {
      if (args[0] == "(advance)") {
        h.advance_ms(3);
        continue;
      }
      h.run(args);  // throws when the replica diverges or memory accounting drifts
      for (const std::string key : {"a", "b", "c", "s"}) {
        RC_ASSERT(set_members(h.primary(), key) == set_members(h.replica(), key));
      }
    }
    h.primary().shard().active_expire_cycle(1'000'000'000);
    h.sync({"(active expiry)"});
  });
}

// ---------------------------------------------------------------------------------------------
// Across shards: the multi-key commands run through the cross-shard fallback (a scratch shard
// with copies of the keys, then the changed keys written back), on a real two-shard server.

TEST_CASE("multi-key set commands across shards", "[set][runtime][server]") {
  eddy::testing::TestServer server(2);
  eddy::testing::BlockingClient c(server.port());
  // Keys on the two shards (slots 0-8191 and 8192-16383).
  auto on_shard = [](int shard, const std::string& prefix) {
    for (int i = 0;; ++i) {
      std::string key = prefix + std::to_string(i);
      if ((eddy::key_slot(key) >= 8192) == (shard == 1)) return key;
    }
  };
  const std::string a = on_shard(0, "a");
  const std::string b = on_shard(1, "b");
  const std::string d = on_shard(1, "d");
  const std::string str = on_shard(0, "str");
  REQUIRE(c.call({"SADD", a, "1", "2", "3", "x"}) == integer(4));
  REQUIRE(c.call({"SADD", b, "2", "3", "4"}) == integer(3));
  REQUIRE(c.call({"SET", str, "v"}) == Reply::ok());

  CHECK(members(c.call({"SINTER", a, b})) == sorted({"2", "3"}));
  CHECK(members(c.call({"SUNION", a, b})) == sorted({"1", "2", "3", "4", "x"}));
  CHECK(members(c.call({"SDIFF", a, b})) == sorted({"1", "x"}));
  CHECK(c.call({"SINTERCARD", "2", a, b, "LIMIT", "1"}) == integer(1));
  CHECK(c.call({"SINTER", b, str}) == kWrongType);

  CHECK(c.call({"SINTERSTORE", d, a, b}) == integer(2));
  CHECK(members(c.call({"SMEMBERS", d})) == sorted({"2", "3"}));
  CHECK(c.call({"OBJECT", "ENCODING", d}) == bulk("intset"));
  CHECK(c.call({"SUNIONSTORE", str, a, b}) == integer(5));  // overwrites the string
  CHECK(c.call({"OBJECT", "ENCODING", str}) == bulk("hashtable"));
  CHECK(c.call({"SDIFFSTORE", d, a, a}) == integer(0));  // empty: the destination goes
  CHECK(c.call({"EXISTS", d}) == integer(0));

  CHECK(c.call({"SMOVE", a, b, "x"}) == integer(1));
  CHECK(c.call({"SISMEMBER", a, "x"}) == integer(0));
  CHECK(c.call({"SISMEMBER", b, "x"}) == integer(1));
  CHECK(c.call({"SMOVE", a, b, "nope"}) == integer(0));
  CHECK(c.call({"SMOVE", a, d, "1"}) == integer(1));
  CHECK(members(c.call({"SMEMBERS", d})) == sorted({"1"}));
  CHECK(c.call({"SMOVE", a, d, "2"}) == integer(1));
  CHECK(c.call({"SMOVE", a, d, "3"}) == integer(1));  // the last member: the source goes
  CHECK(c.call({"EXISTS", a}) == integer(0));
  CHECK(members(c.call({"SMEMBERS", d})) == sorted({"1", "2", "3"}));
}

TEST_CASE("random draws with repeats are refused before their reply could pass 512 MB",
          "[set][hash][cmd]") {
  CommandRunner r;
  const std::string big(1 << 20, 'x');  // 1 MiB members: 600 draws are ~600 MiB
  r.run({"SADD", "s", big});
  r.run({"HSET", "h", "f", big});
  const Reply set_reply = r.run({"SRANDMEMBER", "s", "-600"});
  REQUIRE(set_reply.is_error());
  CHECK(set_reply.text.find("would exceed") != std::string::npos);
  const Reply hash_reply = r.run({"HRANDFIELD", "h", "-600", "WITHVALUES"});
  REQUIRE(hash_reply.is_error());
  CHECK(hash_reply.text.find("would exceed") != std::string::npos);
  // Below the bound the draws are made (and fields alone are small).
  CHECK(r.run({"SRANDMEMBER", "s", "-3"}).elements.size() == 3);
  CHECK(r.run({"HRANDFIELD", "h", "-600"}).elements.size() == 600);
}
