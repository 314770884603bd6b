// DUMP and RESTORE through the real dispatch path: payloads captured from redis-server 7.0.15
// restore (and eddy writes the same bytes back where the encoding matches); every type and
// encoding round-trips; the older object types Redis 7.0 still loads (ziplists, zipmap, plain
// lists and text scores) load; hostile payloads (wrong checksum or version, truncations and
// lying lengths with a correct checksum, duplicates, NaN, empty collections, bad LZF) answer
// Redis's errors; random mutations of valid payloads never crash and either restore a
// consistent value or answer an error; options, TTLs and their effects; and the replay property
// over random streams that restore payloads.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/crc64.h"
#include "engine/cmd/command.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/list_value.h"
#include "engine/kv/lzf.h"
#include "engine/kv/set_value.h"
#include "engine/kv/zset_value.h"
#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/replay_harness.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::effect_lines;
using eddy::testing::ReplayHarness;
using eddy::testing::Reply;
using Args = std::vector<std::string>;

const Reply kOk = Reply::ok();
const Reply kBadData = Reply::error("ERR Bad data format");
const Reply kBadFooter = Reply::error("ERR DUMP payload version or checksum are wrong");
const Reply kBusy = Reply::error("BUSYKEY Target key name already exists.");
const Reply kSyntax = Reply::error("ERR syntax error");

template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// A payload around `body` (type byte and object): RDB version, then the CRC-64 of all before.
std::string frame(const std::string& body, std::uint16_t version = 10) {
  std::string payload = body;
  payload.push_back(static_cast<char>(version & 0xff));
  payload.push_back(static_cast<char>(version >> 8));
  const std::uint64_t crc = eddy::crc64_jones(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return payload;
}
std::string body_of(const std::string& payload) {
  return payload.substr(0, payload.size() - 10);
}

std::string dump(CommandRunner& r, std::string_view key) {
  const Reply reply = r.run({"DUMP", key});
  REQUIRE(reply.kind == Reply::Kind::kBulk);
  return reply.text;
}
Reply restore(CommandRunner& r, std::string_view key, const std::string& payload,
              std::vector<std::string> options = {}) {
  Args args{"RESTORE", std::string(key), "0", payload};
  for (std::string& o : options) args.push_back(std::move(o));
  return r.run(args);
}
std::string encoding(CommandRunner& r, std::string_view key) {
  return r.run({"OBJECT", "ENCODING", key}).text;
}
std::uint64_t digest(CommandRunner& r, std::string_view key) {
  const eddy::kv::Entry* entry = r.db().peek(key);
  REQUIRE(entry != nullptr);
  return entry->value.digest();
}

// A test-side encoder of RDB lengths and strings (as rdbSaveLen / a raw string).
std::string rdb_length(std::uint64_t n) {
  std::string out;
  if (n < 64) {
    out.push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out.push_back(static_cast<char>(0x40 | (n >> 8)));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80));
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((n >> s) & 0xff));
  }
  return out;
}
std::string rdb_string(std::string_view s) {
  return rdb_length(s.size()) + std::string(s);
}

// A test-side ziplist encoder: strings below 64 bytes, integers 0..12 as immediates and other
// small integers as int16.
std::string ziplist(const std::vector<std::string>& elements) {
  std::string entries;
  std::size_t previous = 0;
  std::size_t tail = 10;
  for (const std::string& e : elements) {
    tail = 10 + entries.size();
    std::string entry;
    entry.push_back(static_cast<char>(previous));
    std::int64_t n;
    if (eddy::kv::Value::parse_canonical_int(e, &n) && n >= -32768 && n <= 32767) {
      if (n >= 0 && n <= 12) {
        entry.push_back(static_cast<char>(0xF1 + n));
      } else {
        entry.push_back(static_cast<char>(0xC0));
        entry.push_back(static_cast<char>(n & 0xff));
        entry.push_back(static_cast<char>((n >> 8) & 0xff));
      }
    } else {
      REQUIRE(e.size() < 64);
      entry.push_back(static_cast<char>(e.size()));
      entry += e;
    }
    previous = entry.size();
    REQUIRE(previous < 254);
    entries += entry;
  }
  const std::size_t total = 10 + entries.size() + 1;
  std::string out;
  auto u32 = [&](std::size_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  u32(total);
  u32(tail);
  out.push_back(static_cast<char>(elements.size() & 0xff));
  out.push_back(static_cast<char>(elements.size() >> 8));
  out += entries;
  out.push_back(static_cast<char>(0xFF));
  return out;
}

// Payloads captured from redis-server 7.0.15 (DUMP of the values named).
const std::string kRedisString =
    bytes("\x00\x03\x62\x61\x72\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17");
const std::string kRedisInt = bytes("\x00\xc1\x39\x30\x0a\x00\x9d\x94\xea\x27\x93\xfc\x08\xb9");
const std::string kRedisLzf = bytes(
    "\x00\xc3\x09\x40\x64\x01\x78\x78\xe0\x57\x00\x01\x78\x78\x0a\x00\x5d\xb7\xf6\x63\xbb\x08\x62"
    "\x5f");
const std::string kRedisBigInt = bytes(
    "\x00\x0d\x31\x30\x39\x39\x35\x31\x31\x36\x32\x37\x37\x37\x36\x0a\x00\xdc\xd5\xc1\xfe\xb9\x5f"
    "\x4c\x57");
const std::string kRedisHashListpack = bytes(
    "\x10\x16\x16\x00\x00\x00\x04\x00\x81\x61\x02\x01\x01\x81\x62\x02\x85\x68\x65\x6c\x6c\x6f\x06"
    "\xff\x0a\x00\xe8\xc5\xfe\x99\xee\x07\x95\x5d");
const std::string kRedisZSetListpack = bytes(
    "\x11\x14\x14\x00\x00\x00\x04\x00\x81\x61\x02\x01\x01\x81\x62\x02\x83\x32\x2e\x35\x04\xff\x0a"
    "\x00\xd4\x4c\x6e\xa4\xf6\x44\xd9\xd7");
const std::string kRedisIntset = bytes(
    "\x0b\x14\x04\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x70\x11\x01\x00\x0a"
    "\x00\x85\xd5\xc1\x06\x5b\x1d\xd0\x55");
const std::string kRedisList = bytes(
    "\x12\x01\x02\x13\x13\x00\x00\x00\x03\x00\x81\x61\x02\x01\x01\x85\x68\x65\x6c\x6c\x6f\x06\xff"
    "\x0a\x00\xa2\x10\x38\xa5\x16\xcf\x7d\x51");
const std::string kRedisSet =
    bytes("\x02\x02\x01\x78\x01\x79\x0a\x00\xac\x3a\x8d\x68\x11\x84\xaa\x31");
const std::string kRedisZSetSkiplist = bytes(
    "\x05\x02\x01\x61\x00\x00\x00\x00\x00\x00\xf0\x3f\x01\x62\x00\x00\x00\x00\x00\x00\x04\xc0\x0a"
    "\x00\xe3\x1d\x80\x06\xbc\xb1\x11\x3c");
const std::string kRedisHash =
    bytes("\x04\x01\x01\x66\x01\x76\x0a\x00\xad\xf2\x43\x56\xb1\x86\x0e\xfc");

}  // namespace

TEST_CASE("CRC-64 Jones has Redis's check values", "[dump]") {
  CHECK(eddy::crc64_jones(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  const std::string lorem =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
      "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation "
      "ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in "
      "reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur "
      "sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id "
      "est laborum.";
  // Redis's test sums the terminating NUL too.
  CHECK(eddy::crc64_jones(0, std::string_view(lorem.c_str(), lorem.size() + 1)) ==
        0xc7794709e69683b3ULL);
  // Continuing a CRC equals one pass.
  CHECK(eddy::crc64_jones(eddy::crc64_jones(0, "12345"), "6789") == 0xe9c6d914c4b8d9caULL);
}

TEST_CASE("LZF streams decode to what was compressed", "[dump][property]") {
  rc::prop("compress then decompress is the identity", [] {
    // Small alphabets and repeated chunks, so matches of every length and distance occur.
    const int alphabet = *rc::gen::inRange(1, 256);
    const std::size_t length = *rc::gen::inRange<std::size_t>(0, 20000);
    std::string text;
    while (text.size() < length) {
      if (!text.empty() && *rc::gen::inRange(0, 4) == 0) {
        const std::size_t from = *rc::gen::inRange<std::size_t>(0, text.size());
        const std::size_t count = *rc::gen::inRange<std::size_t>(1, 600);
        text += text.substr(from, count);
      } else {
        text.push_back(static_cast<char>(*rc::gen::inRange(0, alphabet)));
      }
    }
    text.resize(length);
    std::string compressed = "prefix";
    if (!eddy::kv::lzf_compress(text, text.size() + 64, &compressed)) RC_FAIL("did not fit");
    RC_ASSERT(compressed.substr(0, 6) == "prefix");
    std::string back(text.size(), '\0');
    RC_ASSERT(
        eddy::kv::lzf_decompress(std::string_view(compressed).substr(6), back.data(), back.size()));
    RC_ASSERT(back == text);
    // A bound the stream cannot meet leaves the output as it was.
    std::string bounded = "x";
    if (text.size() > 40 && !eddy::kv::lzf_compress(text, 1, &bounded)) RC_ASSERT(bounded == "x");
  });
  CommandRunner r;
  std::string long_value(10000, 'a');
  long_value.push_back('b');
  r.run({"SET", "k", long_value});
  const std::string payload = dump(r, "k");
  CHECK(payload.size() < 200);
  CHECK(payload[1] == '\xc3');  // an LZF string
  CHECK(restore(r, "k2", payload) == kOk);
  CHECK(digest(r, "k2") == digest(r, "k"));
}

TEST_CASE("DUMP and RESTORE specs match Redis 7.0 COMMAND INFO", "[dump]") {
  CommandRunner r;
  CHECK(r.spec("dump").arity == 2);
  CHECK(r.spec("dump").flags == eddy::kCmdReadonly);
  CHECK(r.spec("restore").arity == -4);
  CHECK(r.spec("restore").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom));
  CHECK(r.spec("restore").first_key == 1);
  CHECK(r.spec("restore").last_key == 1);
  CHECK(r.run({"RESTORE", "k", "0"}) ==
        Reply::error("ERR wrong number of arguments for 'restore' command"));
  CHECK(r.run({"DUMP", "nokey"}) == Reply::null());
}

TEST_CASE("payloads written by redis-server restore, and eddy writes the same bytes", "[dump]") {
  CommandRunner r;
  struct Case {
    const std::string* payload;
    std::string encoding;
    bool same_bytes;  // eddy's DUMP of the restored value is byte-identical
  };
  const Case cases[] = {
      {&kRedisString, "embstr", true},
      {&kRedisInt, "int", true},
      {&kRedisLzf, "raw", false},
      {&kRedisBigInt, "int", true},
      {&kRedisHashListpack, "listpack", true},
      {&kRedisZSetListpack, "listpack", true},
      {&kRedisIntset, "intset", true},
      {&kRedisList, "quicklist", true},
      {&kRedisSet, "hashtable", false},
      {&kRedisZSetSkiplist, "listpack", false},
      {&kRedisHash, "listpack", false},
  };
  for (const Case& c : cases) {
    INFO("payload type byte " << int(static_cast<unsigned char>((*c.payload)[0])));
    r.run({"DEL", "k"});
    REQUIRE(restore(r, "k", *c.payload) == kOk);
    CHECK(encoding(r, "k") == c.encoding);
    if (c.same_bytes) CHECK(dump(r, "k") == *c.payload);
  }
  r.run({"DEL", "k"});
  restore(r, "k", kRedisLzf);
  CHECK(r.run({"GET", "k"}) == Reply::bulk(std::string(100, 'x')));
  r.run({"DEL", "k"});
  restore(r, "k", kRedisHashListpack);
  CHECK(r.run({"HGET", "k", "a"}) == Reply::bulk("1"));
  CHECK(r.run({"HGET", "k", "b"}) == Reply::bulk("hello"));
  r.run({"DEL", "k"});
  restore(r, "k", kRedisZSetSkiplist);
  CHECK(r.run({"ZSCORE", "k", "b"}) == Reply::bulk("-2.5"));
  CHECK(r.run({"ZRANGE", "k", "0", "-1"}) == Reply::array({Reply::bulk("b"), Reply::bulk("a")}));
  r.run({"DEL", "k"});
  restore(r, "k", kRedisIntset);
  CHECK(r.run({"SISMEMBER", "k", "70000"}) == Reply::integer(1));
  r.run({"DEL", "k"});
  restore(r, "k", kRedisList);
  CHECK(r.run({"LRANGE", "k", "0", "-1"}) ==
        Reply::array({Reply::bulk("a"), Reply::bulk("1"), Reply::bulk("hello")}));
}

namespace {

// Builds `key` with every type and encoding eddy has, through commands.
struct Sample {
  std::string key;
  std::string encoding;
};

std::vector<Sample> build_samples(CommandRunner& r) {
  std::vector<Sample> out;
  auto add = [&](const std::string& key, const std::string& enc) { out.push_back({key, enc}); };
  r.run({"SET", "s:embstr", "hello"});
  add("s:embstr", "embstr");
  r.run({"SET", "s:int", "-9223372036854775808"});
  add("s:int", "int");
  r.run({"SET", "s:small", "-129"});
  add("s:small", "int");
  r.run({"SET", "s:raw", std::string(5000, 'q') + "tail"});
  add("s:raw", "raw");
  r.run({"SET", "s:binary", std::string("\x00\xff\x80 bytes", 9)});
  add("s:binary", "embstr");
  r.run({"SET", "s:float", "3.14"});
  r.run({"INCRBYFLOAT", "s:float", "1"});
  add("s:float", "embstr");
  Args hll{"PFADD", "s:hll"};
  for (int i = 0; i < 50; ++i) hll.push_back("e" + std::to_string(i));
  r.run(hll);
  add("s:hll", "raw");

  // Elements that use every Redis listpack entry encoding: 7-bit, 13-bit, 16/24/32/64-bit ints,
  // 6-bit, 12-bit and 32-bit length strings.
  const Args varied{"0",
                    "127",
                    "128",
                    "-1",
                    "-4096",
                    "4095",
                    "-4097",
                    "32767",
                    "-32768",
                    "8388607",
                    "-8388608",
                    "2147483647",
                    "-2147483648",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "",
                    "x",
                    std::string(63, 'a'),
                    std::string(64, 'b'),
                    std::string(4095, 'c'),
                    std::string(4096, 'd'),
                    "01",
                    "+5",
                    " 7",
                    "1.5"};
  Args rpush{"RPUSH", "l:small"};
  for (const std::string& v : varied) rpush.push_back(v);
  r.run(rpush);
  add("l:small", "quicklist");
  Args many{"RPUSH", "l:many"};
  for (int i = 0; i < 3000; ++i)
    many.push_back(i % 7 == 0 ? std::to_string(std::int64_t{i} * 1000003)
                              : "v" + std::to_string(i));
  r.run(many);
  add("l:many", "quicklist");

  r.run({"SADD", "set:int16", "1", "-5", "300"});
  add("set:int16", "intset");
  r.run({"SADD", "set:int32", "1", "70000", "-70000"});
  add("set:int32", "intset");
  r.run({"SADD", "set:int64", "1", "9223372036854775807", "-9223372036854775808"});
  add("set:int64", "intset");
  r.run({"SADD", "set:strings", "a", "b", "12", std::string(100, 'z')});
  add("set:strings", "hashtable");
  Args big_set{"SADD", "set:bigints"};
  for (int i = 0; i < 600; ++i) big_set.push_back(std::to_string(i * 3));
  r.run(big_set);
  add("set:bigints", "hashtable");

  Args zadd{"ZADD", "z:lp"};
  const Args scores{
      "1", "-2.5", "inf", "-inf", "0", "-0", "1e300", "0.1", "4611686018427387904", "123456789012",
      "-7"};
  for (std::size_t i = 0; i < scores.size(); ++i) {
    zadd.push_back(scores[i]);
    zadd.push_back(i < varied.size() ? varied[i] : "m" + std::to_string(i));
  }
  r.run(zadd);
  add("z:lp", "listpack");
  Args zbig{"ZADD", "z:skiplist"};
  for (int i = 0; i < 200; ++i) {
    zbig.push_back(std::to_string(i * 0.25 - 10));
    zbig.push_back("member" + std::to_string(i));
  }
  zbig.push_back("-0");
  zbig.push_back("negzero");
  r.run(zbig);
  add("z:skiplist", "skiplist");

  Args hset{"HSET", "h:lp"};
  for (std::size_t i = 0; i + 1 < varied.size(); i += 2) {
    if (varied[i].size() > 64 || varied[i + 1].size() > 64) continue;
    hset.push_back(varied[i]);
    hset.push_back(varied[i + 1]);
  }
  r.run(hset);
  add("h:lp", "listpack");
  r.run({"HSET", "h:table", "f", std::string(100, 'v'), "g", "1"});
  add("h:table", "hashtable");
  return out;
}

}  // namespace

TEST_CASE("every type and encoding round-trips through DUMP and RESTORE", "[dump]") {
  CommandRunner r;
  const std::vector<Sample> samples = build_samples(r);
  for (const Sample& s : samples) {
    INFO(s.key);
    REQUIRE(encoding(r, s.key) == s.encoding);
    const std::string payload = dump(r, s.key);
    const std::string copy = s.key + ":copy";
    REQUIRE(restore(r, copy, payload) == kOk);
    CHECK(digest(r, copy) == digest(r, s.key));
    CHECK(encoding(r, copy) == s.encoding);
    CHECK(r.run({"TYPE", copy}) == r.run({"TYPE", s.key}));
    // The copy dumps to a payload that restores to the same value again.
    REQUIRE(restore(r, copy, dump(r, copy), {"REPLACE"}) == kOk);
    CHECK(digest(r, copy) == digest(r, s.key));
  }
  CHECK(eddy::testing::memory_accounting_exact(r.shard()));
  // The sorted set's -0 and scores survive as Redis's listpack writes them.
  CHECK(r.run({"ZSCORE", "z:lp:copy", "4095"}) == Reply::bulk("0"));
  CHECK(r.run({"ZSCORE", "z:skiplist:copy", "negzero"}) == Reply::bulk("-0"));
  CHECK(r.run({"ZSCORE", "z:lp:copy", "127"}) == Reply::bulk("-2.5"));
}

TEST_CASE("a restored value takes the encoding eddy's thresholds call for", "[dump]") {
  CommandRunner r;
  r.run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  r.run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  r.run({"SADD", "s", "1", "2", "3"});
  const std::string hash = dump(r, "h");
  const std::string zset = dump(r, "z");
  const std::string set = dump(r, "s");
  eddy::kv::EncodingLimits limits;
  limits.hash_max_listpack_entries = 2;
  limits.zset_max_listpack_entries = 2;
  limits.set_max_intset_entries = 2;
  r.shard().set_encoding_limits(&limits);
  CHECK(restore(r, "h2", hash) == kOk);
  CHECK(restore(r, "z2", zset) == kOk);
  CHECK(restore(r, "s2", set) == kOk);
  CHECK(encoding(r, "h2") == "hashtable");
  CHECK(encoding(r, "z2") == "skiplist");
  CHECK(encoding(r, "s2") == "hashtable");
  CHECK(digest(r, "h2") == digest(r, "h"));
  CHECK(digest(r, "z2") == digest(r, "z"));
  CHECK(digest(r, "s2") == digest(r, "s"));
  // And the large forms dump as Redis's HASH / ZSET_2 / SET types.
  CHECK(dump(r, "h2")[0] == '\x04');
  CHECK(dump(r, "z2")[0] == '\x05');
  CHECK(dump(r, "s2")[0] == '\x02');
  CHECK(eddy::testing::memory_accounting_exact(r.shard()));
  r.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
}

TEST_CASE("the older object types Redis 7.0 still loads", "[dump]") {
  CommandRunner r;
  auto load = [&](const std::string& body) {
    r.run({"DEL", "k"});
    return restore(r, "k", frame(body));
  };
  // RDB_TYPE_LIST: count, then strings (one of them an RDB integer encoding).
  CHECK(load("\x01" + rdb_length(3) + rdb_string("a") + bytes("\xc0\x05") + rdb_string("c")) ==
        kOk);
  CHECK(r.run({"LRANGE", "k", "0", "-1"}) ==
        Reply::array({Reply::bulk("a"), Reply::bulk("5"), Reply::bulk("c")}));
  // RDB_TYPE_ZSET: scores as text, with Redis's 253/254/255 for nan/inf/-inf.
  CHECK(load("\x03" + rdb_length(3) + rdb_string("a") + "\x03" + "1.5" + rdb_string("b") + "\xfe" +
             rdb_string("c") + "\xff") == kOk);
  CHECK(r.run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}) ==
        Reply::array({Reply::bulk("c"), Reply::bulk("-inf"), Reply::bulk("a"), Reply::bulk("1.5"),
                      Reply::bulk("b"), Reply::bulk("inf")}));
  CHECK(load("\x03" + rdb_length(1) + rdb_string("a") + "\xfd") == kBadData);  // NaN
  // RDB_TYPE_LIST_ZIPLIST and RDB_TYPE_LIST_QUICKLIST (ziplist nodes, an empty one skipped).
  CHECK(load("\x0a" + rdb_string(ziplist({"a", "7", "300", "zz"}))) == kOk);
  CHECK(r.run({"LRANGE", "k", "0", "-1"}) ==
        Reply::array({Reply::bulk("a"), Reply::bulk("7"), Reply::bulk("300"), Reply::bulk("zz")}));
  CHECK(load("\x0e" + rdb_length(3) + rdb_string(ziplist({"a", "-2"})) + rdb_string(ziplist({})) +
             rdb_string(ziplist({"12"}))) == kOk);
  CHECK(r.run({"LRANGE", "k", "0", "-1"}) ==
        Reply::array({Reply::bulk("a"), Reply::bulk("-2"), Reply::bulk("12")}));
  CHECK(load("\x0e" + rdb_length(1) + rdb_string(ziplist({}))) == kBadData);  // nothing left
  // RDB_TYPE_HASH_ZIPLIST and RDB_TYPE_ZSET_ZIPLIST.
  CHECK(load("\x0d" + rdb_string(ziplist({"f", "v", "n", "11"}))) == kOk);
  CHECK(r.run({"HGET", "k", "n"}) == Reply::bulk("11"));
  CHECK(encoding(r, "k") == "listpack");
  CHECK(load("\x0d" + rdb_string(ziplist({"f", "v", "f", "w"}))) == kBadData);  // duplicate
  CHECK(load("\x0d" + rdb_string(ziplist({"f", "v", "g"}))) == kBadData);       // odd count
  CHECK(load("\x0c" + rdb_string(ziplist({"a", "2", "b", "1.5"}))) == kOk);
  CHECK(r.run({"ZRANGE", "k", "0", "-1", "WITHSCORES"}) ==
        Reply::array({Reply::bulk("b"), Reply::bulk("1.5"), Reply::bulk("a"), Reply::bulk("2")}));
  CHECK(load("\x0c" + rdb_string(ziplist({"a", "x"}))) == kBadData);  // not a score
  // RDB_TYPE_HASH_ZIPMAP (Redis 2.4): count, then len field len free value [free bytes].
  CHECK(load("\x09" + rdb_string(bytes("\x02\x03"
                                       "foo"
                                       "\x03\x00"
                                       "bar"
                                       "\x05"
                                       "hello"
                                       "\x05\x02"
                                       "world"
                                       "\x00\x00\xff"))) == kOk);
  CHECK(r.run({"HGET", "k", "hello"}) == Reply::bulk("world"));
  CHECK(r.run({"HLEN", "k"}) == Reply::integer(2));
  CHECK(load("\x09" + rdb_string(bytes("\x03\x03"
                                       "foo"
                                       "\x03\x00"
                                       "bar\xff"))) == kBadData);
  // RDB_TYPE_LIST_QUICKLIST_2 with a PLAIN node (the element itself) between packed ones.
  CHECK(load("\x12" + rdb_length(2) + rdb_length(1) + rdb_string("plain element") + rdb_length(2) +
             body_of(kRedisList).substr(3)) == kOk);
  CHECK(r.run({"LRANGE", "k", "0", "-1"}) ==
        Reply::array({Reply::bulk("plain element"), Reply::bulk("a"), Reply::bulk("1"),
                      Reply::bulk("hello")}));
  CHECK(load("\x12" + rdb_length(1) + rdb_length(3) + rdb_string("x")) == kBadData);  // container
  CHECK(load("\x12" + rdb_length(1) + rdb_length(1) + rdb_string("")) == kBadData);   // empty node
}

TEST_CASE("hostile payloads answer Redis's errors", "[dump]") {
  CommandRunner r;
  // Footer: too short, wrong checksum, a newer RDB version; older versions are fine.
  CHECK(restore(r, "k", "") == kBadFooter);
  CHECK(restore(r, "k", "123456789") == kBadFooter);
  std::string flipped = kRedisString;
  flipped[2] ^= 1;
  CHECK(restore(r, "k", flipped) == kBadFooter);
  flipped = kRedisString;
  flipped.back() ^= 0x80;
  CHECK(restore(r, "k", flipped) == kBadFooter);
  CHECK(restore(r, "k", frame(body_of(kRedisString), 11)) == kBadFooter);
  CHECK(restore(r, "k", frame(body_of(kRedisString), 9)) == kOk);
  r.run({"DEL", "k"});
  // A footer alone (no type byte) and object types eddy does not load.
  CHECK(restore(r, "k", frame("")) == kBadData);
  for (const char type : {'\x06', '\x07', '\x08', '\x0f', '\x13', '\x14', '\x15', '\x7f'}) {
    CHECK(restore(r, "k", frame(std::string(1, type) + rdb_length(1) + rdb_string("x"))) ==
          kBadData);
  }

  // Every truncation of every valid payload, re-checksummed so the parser sees it.
  for (const std::string* p :
       {&kRedisString, &kRedisInt, &kRedisLzf, &kRedisHashListpack, &kRedisZSetListpack,
        &kRedisIntset, &kRedisList, &kRedisSet, &kRedisZSetSkiplist, &kRedisHash}) {
    const std::string body = body_of(*p);
    for (std::size_t n = 0; n < body.size(); ++n) {
      INFO("type " << int(static_cast<unsigned char>(body[0])) << " cut at " << n);
      CHECK(restore(r, "k", frame(body.substr(0, n))) == kBadData);
    }
  }
  // Bytes after the object and before the footer are ignored, as in Redis.
  CHECK(restore(r, "k", frame(body_of(kRedisString) + "junk")) == kOk);
  CHECK(r.run({"GET", "k"}) == Reply::bulk("bar"));
  r.run({"DEL", "k"});

  // Lying lengths.
  CHECK(restore(r, "k", frame(bytes("\x00") + rdb_length(50) + "short")) == kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\x80\xff\xff\xff\xff") + "x")) == kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff") + "x")) ==
        kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\x82\x00"))) == kBadData);  // no such length prefix
  CHECK(restore(r, "k", frame(bytes("\x00\xc4\x00"))) == kBadData);  // no such string encoding
  CHECK(restore(r, "k", frame("\x02" + rdb_length(1000000000) + rdb_string("a"))) == kBadData);
  CHECK(restore(r, "k", frame("\x04" + rdb_length(2) + rdb_string("f") + rdb_string("v"))) ==
        kBadData);
  // LZF: a promise LZF cannot keep, a back reference before the start, a short stream.
  CHECK(restore(r, "k", frame(bytes("\x00\xc3\x02\x80\x7f\xff\xff\xff\x00\x61"))) == kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\xc3\x02\x05\x20\x05"))) == kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\xc3\x02\x05\x01\x61\x62"))) == kBadData);
  CHECK(restore(r, "k", frame(bytes("\x00\xc3\x03\x02\x01\x61\x62"))) == kOk);  // a valid one
  CHECK(r.run({"GET", "k"}) == Reply::bulk("ab"));
  r.run({"DEL", "k"});

  // Listpacks: header total, header count, terminator, back length, an unknown encoding.
  const std::string lp = body_of(kRedisHashListpack).substr(2);  // the blob itself
  auto hash_lp = [&](std::string blob) { return frame("\x10" + rdb_string(blob)); };
  CHECK(restore(r, "k", hash_lp(lp)) == kOk);
  r.run({"DEL", "k"});
  std::string bad = lp;
  bad[0] ^= 1;
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[4] = 3;
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[4] = '\xff';
  bad[5] = '\xff';  // "unknown" count: fine
  CHECK(restore(r, "k", hash_lp(bad)) == kOk);
  r.run({"DEL", "k"});
  bad = lp;
  bad.back() = 0;
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[8] = 3;  // the first entry's back length
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[6] = '\xf7';
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[6] = '\xbf';  // a 63-byte string running past the end
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);
  bad = lp;
  bad[6] = '\xff';  // a terminator where an entry should be
  CHECK(restore(r, "k", hash_lp(bad)) == kBadData);

  // Duplicates, NaN and empty collections are bad data.
  auto listpack_of = [&](const std::string& key, Args fields) {
    r.run({"DEL", key});
    Args cmd{"RPUSH", key};
    for (auto& f : fields) cmd.push_back(f);
    r.run(cmd);
    return body_of(dump(r, key)).substr(3);  // after type, count 1, container 2: the node blob
  };
  const std::string dup_lp = listpack_of("tmp", {"f", "v", "f", "w"});
  CHECK(restore(r, "k", frame("\x10" + dup_lp)) == kBadData);
  CHECK(restore(r, "k", frame("\x11" + listpack_of("tmp", {"m", "1", "m", "2"}))) == kBadData);
  CHECK(restore(r, "k", frame("\x11" + listpack_of("tmp", {"m", "nan"}))) == kBadData);
  CHECK(restore(r, "k", frame("\x11" + listpack_of("tmp", {"m", "1x"}))) == kBadData);
  CHECK(restore(r, "k", frame("\x11" + listpack_of("tmp", {"m", "1", "n"}))) == kBadData);
  CHECK(restore(r, "k", frame("\x10" + listpack_of("tmp", {"f", "v", "g"}))) == kBadData);
  CHECK(restore(r, "k",
                frame("\x04" + rdb_length(2) + rdb_string("f") + rdb_string("v") + rdb_string("f") +
                      rdb_string("w"))) == kBadData);
  CHECK(restore(r, "k", frame("\x02" + rdb_length(2) + rdb_string("7") + rdb_string("7"))) ==
        kBadData);
  CHECK(restore(r, "k", frame("\x02" + rdb_length(2) + rdb_string("a") + rdb_string("a"))) ==
        kBadData);
  std::string nan_score(8, '\0');
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(nan_score.data(), &nan, 8);
  CHECK(restore(r, "k", frame("\x05" + rdb_length(1) + rdb_string("m") + nan_score)) == kBadData);
  CHECK(restore(r, "k",
                frame("\x05" + rdb_length(2) + rdb_string("m") + std::string(8, '\0') +
                      rdb_string("m") + std::string(8, '\0'))) == kBadData);
  for (const char type : {'\x01', '\x02', '\x03', '\x04', '\x05', '\x0e', '\x12'}) {
    CHECK(restore(r, "k", frame(std::string(1, type) + rdb_length(0))) == kBadData);
  }
  CHECK(restore(r, "k", frame("\x10" + rdb_string(bytes("\x07\x00\x00\x00\x00\x00\xff")))) ==
        kBadData);
  CHECK(restore(r, "k", frame("\x11" + rdb_string(bytes("\x07\x00\x00\x00\x00\x00\xff")))) ==
        kBadData);

  // Intsets: width, size, order, emptiness.
  const std::string is = body_of(kRedisIntset).substr(2);
  auto intset = [&](std::string blob) { return frame("\x0b" + rdb_string(blob)); };
  bad = is;
  bad[0] = 3;
  CHECK(restore(r, "k", intset(bad)) == kBadData);
  bad = is;
  bad[4] = 4;
  CHECK(restore(r, "k", intset(bad)) == kBadData);
  bad = is;
  std::swap(bad[8], bad[12]);  // 2 before 1
  CHECK(restore(r, "k", intset(bad)) == kBadData);
  bad = is;
  bad[12] = 1;  // 1, 1, 70000
  CHECK(restore(r, "k", intset(bad)) == kBadData);
  CHECK(restore(r, "k", intset(bytes("\x04\x00\x00\x00\x00\x00\x00\x00"))) == kBadData);

  // Ziplists: header total, tail offset, previous-entry length, count.
  const std::string zl = ziplist({"a", "b"});
  auto zlist = [&](std::string blob) { return frame("\x0a" + rdb_string(blob)); };
  CHECK(restore(r, "k", zlist(zl)) == kOk);
  r.run({"DEL", "k"});
  bad = zl;
  bad[0] ^= 2;
  CHECK(restore(r, "k", zlist(bad)) == kBadData);
  bad = zl;
  bad[4] = 10;
  CHECK(restore(r, "k", zlist(bad)) == kBadData);
  bad = zl;
  bad[13] = 1;  // the second entry's previous length
  CHECK(restore(r, "k", zlist(bad)) == kBadData);
  bad = zl;
  bad[8] = 3;
  CHECK(restore(r, "k", zlist(bad)) == kBadData);
  bad = zl;
  bad[11] = '\xc1';  // no such encoding
  CHECK(restore(r, "k", zlist(bad)) == kBadData);
  CHECK(r.run({"EXISTS", "k"}) == Reply::integer(0));
  CHECK(eddy::testing::memory_accounting_exact(r.shard()));
}

TEST_CASE("random mutations of valid payloads restore consistently or answer an error",
          "[dump][property]") {
  // Valid payloads of every type, from redis-server and from eddy.
  std::vector<std::string> seeds = {kRedisString,       kRedisInt,          kRedisLzf,
                                    kRedisBigInt,       kRedisHashListpack, kRedisZSetListpack,
                                    kRedisIntset,       kRedisList,         kRedisSet,
                                    kRedisZSetSkiplist, kRedisHash};
  {
    CommandRunner source;
    eddy::kv::EncodingLimits small;
    small.hash_max_listpack_entries = 4;
    small.zset_max_listpack_entries = 4;
    small.set_max_intset_entries = 4;
    small.list_max_listpack_size = 3;
    source.shard().set_encoding_limits(&small);
    for (const Sample& s : build_samples(source)) {
      const std::string payload = dump(source, s.key);
      if (payload.size() < 600) seeds.push_back(payload);
    }
    source.run({"RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"});
    seeds.push_back(dump(source, "l"));
    source.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
  }
  seeds.push_back(frame("\x0d" + rdb_string(ziplist({"f", "v", "n", "11"}))));
  seeds.push_back(frame("\x0c" + rdb_string(ziplist({"a", "2", "b", "-3"}))));
  seeds.push_back(frame("\x0e" + rdb_length(2) + rdb_string(ziplist({"a", "1"})) +
                        rdb_string(ziplist({"12", "b"}))));
  seeds.push_back(frame("\x09" + rdb_string(bytes("\x01\x01"
                                                  "f"
                                                  "\x01\x00"
                                                  "v\xff"))));
  seeds.push_back(frame("\x03" + rdb_length(1) + rdb_string("a") + "\x03" + "1.5"));

  rc::prop("mutated payloads (checksum fixed) never crash RESTORE", [&] {
    const std::string& seed = *rc::gen::elementOf(seeds);
    std::string body = body_of(seed);
    const int edits = *rc::gen::inRange(1, 6);
    for (int e = 0; e < edits; ++e) {
      const int kind = *rc::gen::inRange(0, 5);
      const std::size_t at = body.empty() ? 0 : *rc::gen::inRange<std::size_t>(0, body.size());
      const auto byte = static_cast<char>(*rc::gen::inRange(0, 256));
      if (kind == 0 && !body.empty()) {
        body[at] = byte;  // overwrite
      } else if (kind == 1 && !body.empty()) {
        body[at] = static_cast<char>(body[at] ^ (1 << *rc::gen::inRange(0, 8)));  // flip a bit
      } else if (kind == 2) {
        body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), byte);
      } else if (kind == 3 && !body.empty()) {
        body.erase(at, 1);
      } else if (!body.empty()) {
        body.resize(at);  // truncate
      }
    }
    CommandRunner r;
    const Reply reply = restore(r, "k", frame(body));
    RC_ASSERT(reply == kOk || reply == kBadData);
    if (reply == kOk) {
      // A consistent value: its structure holds, memory is counted exactly, and its own
      // payload restores to the same value.
      const eddy::kv::Entry* entry = r.db().peek("k");
      RC_ASSERT(entry != nullptr);
      const eddy::kv::Value& value = entry->value;
      if (value.type() == eddy::kv::Type::kList) {
        RC_ASSERT(value.as<eddy::kv::ListValue>().check_invariants(-2));
      } else if (value.type() == eddy::kv::Type::kSet) {
        value.as<eddy::kv::SetValue>().check_invariants();
      } else if (value.type() == eddy::kv::Type::kZSet) {
        value.as<eddy::kv::ZSetValue>().check_invariants();
      }
      const bool non_empty =
          value.type() == eddy::kv::Type::kString || value.collection().size() > 0;
      RC_ASSERT(non_empty);
      RC_ASSERT(eddy::testing::memory_accounting_exact(r.shard()));
      const std::string again = dump(r, "k");
      RC_ASSERT(restore(r, "k2", again) == kOk);
      RC_ASSERT(digest(r, "k2") == digest(r, "k"));
    } else {
      RC_ASSERT(r.db().size() == 0u);
    }
  });
}

TEST_CASE("RESTORE options, TTLs and error precedence", "[dump]") {
  CommandRunner r;
  const std::string payload = kRedisString;
  // Options come first, then the existing key, then the TTL, then the payload.
  CHECK(r.run({"RESTORE", "k", "0", payload, "bogus"}) == kSyntax);
  CHECK(r.run({"RESTORE", "k", "0", payload, "IDLETIME"}) == kSyntax);
  CHECK(r.run({"RESTORE", "k", "0", payload, "IDLETIME", "5", "FREQ", "5"}) == kSyntax);
  CHECK(r.run({"RESTORE", "k", "0", payload, "FREQ", "5", "IDLETIME", "5"}) == kSyntax);
  CHECK(r.run({"RESTORE", "k", "0", payload, "IDLETIME", "x"}) ==
        Reply::error("ERR value is not an integer or out of range"));
  CHECK(r.run({"RESTORE", "k", "0", payload, "IDLETIME", "-1"}) ==
        Reply::error("ERR Invalid IDLETIME value, must be >= 0"));
  CHECK(r.run({"RESTORE", "k", "0", payload, "FREQ", "256"}) ==
        Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
  CHECK(r.run({"RESTORE", "k", "0", payload, "FREQ", "-1"}) ==
        Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
  CHECK(r.run({"RESTORE", "k", "x", "junk", "bogus"}) == kSyntax);
  r.run({"SET", "k", "old"});
  CHECK(r.run({"RESTORE", "k", "x", "junk"}) == kBusy);
  CHECK(r.run({"RESTORE", "k", "x", "junk", "REPLACE"}) ==
        Reply::error("ERR value is not an integer or out of range"));
  CHECK(r.run({"RESTORE", "k", "-1", "junk", "REPLACE"}) ==
        Reply::error("ERR Invalid TTL value, must be >= 0"));
  CHECK(r.run({"RESTORE", "k", "0", "junk", "REPLACE"}) == kBadFooter);
  CHECK(r.run({"RESTORE", "k", "0", frame("\x0f"), "REPLACE"}) == kBadData);
  CHECK(r.run({"GET", "k"}) == Reply::bulk("old"));  // nothing changed on an error

  // REPLACE, IDLETIME and FREQ accepted (the last two change nothing visible), case-insensitive.
  CHECK(r.run({"RESTORE", "k", "0", payload, "rePlace", "idletime", "100"}) == kOk);
  CHECK(r.run({"GET", "k"}) == Reply::bulk("bar"));
  CHECK(r.run({"TTL", "k"}) == Reply::integer(-1));
  CHECK(r.run({"RESTORE", "k", "0", payload, "REPLACE", "FREQ", "255", "ABSTTL"}) == kOk);

  // A relative TTL, an absolute one, one past (creates nothing).
  CHECK(r.run({"RESTORE", "t1", "5000", payload}) == kOk);
  CHECK(r.run({"PTTL", "t1"}) == Reply::integer(5000));
  const std::string at = std::to_string(r.now_ms() + 7000);
  CHECK(r.run({"RESTORE", "t2", at, payload, "ABSTTL"}) == kOk);
  CHECK(r.run({"PEXPIRETIME", "t2"}) == Reply::integer(r.now_ms() + 7000));
  CHECK(r.run({"RESTORE", "t3", std::to_string(r.now_ms() - 1), payload, "ABSTTL"}) == kOk);
  CHECK(r.run({"EXISTS", "t3"}) == Reply::integer(0));
  CHECK(r.run({"RESTORE", "t3", std::to_string(r.now_ms()), payload, "ABSTTL"}) == kOk);
  CHECK(r.run({"EXISTS", "t3"}) == Reply::integer(0));  // a deadline of now has passed
  CHECK(r.run({"RESTORE", "t3", "9223372036854775807", payload}) == kOk);
  CHECK(r.run({"EXISTS", "t3"}) == Reply::integer(0));  // the deadline overflows
  CHECK(r.run({"RESTORE", "t1", std::to_string(r.now_ms() - 1), payload, "ABSTTL", "REPLACE"}) ==
        kOk);
  CHECK(r.run({"EXISTS", "t1"}) == Reply::integer(0));  // replaced by nothing: deleted
  // An expired key does not block RESTORE.
  r.run({"SET", "gone", "x", "PX", "10"});
  r.advance_ms(20);
  CHECK(r.run({"RESTORE", "gone", "0", payload}) == kOk);
  CHECK(r.run({"GET", "gone"}) == Reply::bulk("bar"));
  // RESTORE's TTL replaces the old key's.
  r.run({"SET", "ttl", "x", "EX", "100"});
  CHECK(r.run({"RESTORE", "ttl", "0", payload, "REPLACE"}) == kOk);
  CHECK(r.run({"TTL", "ttl"}) == Reply::integer(-1));
  CHECK(eddy::testing::memory_accounting_exact(r.shard()));
}

TEST_CASE("RESTORE's effects name absolute deadlines", "[dump]") {
  ReplayHarness h;
  const std::string payload = kRedisHashListpack;
  h.run({"RESTORE", "a", "0", payload});
  CHECK(effect_lines(h).size() == 1);
  CHECK(h.last_effects()[0].effects[0].second ==
        std::vector<std::string>{"RESTORE", "a", "0", payload});
  h.run(std::vector<std::string>{"RESTORE", "b", "1500", payload, "IDLETIME", "3"});
  const std::string at = std::to_string(h.primary().now_ms() + 1500);
  CHECK(h.last_effects()[0].effects[0].second ==
        std::vector<std::string>{"RESTORE", "b", at, payload, "IDLETIME", "3", "ABSTTL"});
  h.run({"RESTORE", "c", at, payload, "ABSTTL"});
  CHECK(h.last_effects()[0].effects[0].second ==
        std::vector<std::string>{"RESTORE", "c", at, payload, "ABSTTL"});
  // A deadline already past: DEL when REPLACE removed a key, nothing otherwise.
  const std::string past = std::to_string(h.primary().now_ms() - 5);
  h.run({"RESTORE", "a", past, payload, "ABSTTL", "REPLACE"});
  CHECK(effect_lines(h) == std::vector<std::string>{"DEL a"});
  h.run({"RESTORE", "a", past, payload, "ABSTTL", "REPLACE"});
  CHECK(effect_lines(h).empty());
  h.run({"RESTORE", "b", "0", payload});  // BUSYKEY: no effect
  CHECK(effect_lines(h).empty());
  h.advance_ms(2000);  // b expires; its lazy expiry is a DEL
  h.run({"RESTORE", "b", "0", payload});
  REQUIRE(effect_lines(h).size() == 2);
  CHECK(effect_lines(h)[0] == "DEL b");
  CHECK(h.last_effects()[0].effects[1].second ==
        std::vector<std::string>{"RESTORE", "b", "0", payload});
}

// The replay property over random streams of RESTOREs (of payloads of every type, with every
// TTL form) mixed with the writes that change and expire what they made.
TEST_CASE("replaying the effects of RESTORE reproduces the keyspace", "[dump][property]") {
  std::vector<std::string> payloads;
  {
    CommandRunner source;
    for (const Sample& s : build_samples(source)) payloads.push_back(dump(source, s.key));
  }
  rc::prop("random RESTORE streams", [&] {
    ReplayHarness h;
    const auto key = rc::gen::element<std::string>("a", "b", "c");
    const int steps = *rc::gen::inRange(1, 40);
    for (int i = 0; i < steps; ++i) {
      const std::string k = *key;
      switch (*rc::gen::inRange(0, 7)) {
        case 0:
        case 1: {
          Args cmd{"RESTORE", k, *rc::gen::element<std::string>("0", "5", "100", "100000"),
                   *rc::gen::elementOf(payloads)};
          if (*rc::gen::arbitrary<bool>()) cmd.push_back("REPLACE");
          if (*rc::gen::arbitrary<bool>()) cmd.push_back("IDLETIME"), cmd.push_back("7");
          h.run(cmd);
          break;
        }
        case 2: {
          const std::int64_t offset = *rc::gen::inRange<std::int64_t>(-20, 200);
          h.run({"RESTORE", k, std::to_string(h.primary().now_ms() + offset),
                 *rc::gen::elementOf(payloads), "ABSTTL", "REPLACE"});
          break;
        }
        case 3:
          h.run({"DEL", k});
          break;
        case 4:
          h.run({"PEXPIRE", k, "3"});
          break;
        case 5: {
          // A value made here travels through DUMP to another key.
          const Reply payload = h.primary().run({"DUMP", k});
          if (payload.kind == Reply::Kind::kBulk) {
            h.run(Args{"RESTORE", *key, "0", payload.text, "REPLACE"});
          }
          break;
        }
        default:
          h.advance_ms(*rc::gen::inRange(1, 50));
          break;
      }
    }
    h.primary().shard().active_expire_cycle(1'000'000'000);
    h.sync({"(active expiry)"});
  });
}
