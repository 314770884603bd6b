// HyperLogLog commands (PFADD PFCOUNT PFMERGE PFDEBUG) against figures obtained by hand from a
// real redis-server 7.0.15 (Debian's 7.0.15-1~deb12u10, which carries the CVE-2025-32023 fix
// for corrupt sparse forms): every count, reply and error below is Redis's answer to the same
// commands, and every byte figure is a 64-bit FNV-1a of the string Redis held (GET) right after
// the write, before any PFCOUNT could refresh its cache. Equal bytes mean a HyperLogLog moves
// between Redis and eddy as a plain string and counts the same on either side.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kv/encoding_limits.h"
#include "engine/kv/hyperloglog.h"
#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/opaque_list.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::Reply;

const Reply kOk = Reply::ok();
Reply bulk(std::string_view text) {
  return Reply::bulk(text);
}
Reply integer(std::int64_t n) {
  return Reply::integer(n);
}
Reply err(std::string_view text) {
  return Reply::error(text);
}
const Reply kNotHll = err("WRONGTYPE Key is not a valid HyperLogLog string value.");
const Reply kCorrupt = err("INVALIDOBJ Corrupted HLL object detected");
const Reply kWrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value");

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string value_of(CommandRunner& r, std::string_view key) {
  const Reply reply = r.run({"GET", key});
  REQUIRE(reply.kind == Reply::Kind::kBulk);
  return reply.text;
}

// Adds "first".."last" (decimal) in PFADDs of at most 1000 elements each, as the figures were
// made.
void add_range(CommandRunner& r, std::string_view key, int first, int last) {
  for (int start = first; start <= last; start += 1000) {
    std::vector<std::string> args{"PFADD", std::string(key)};
    for (int i = start; i <= last && i < start + 1000; ++i) args.push_back(std::to_string(i));
    r.run(args);
  }
}

// Hand-made representations (hostile ones included), as in Redis's format.
const std::string kSparseHeader = std::string("HYLL\x01\0\0\0", 8) + std::string(7, '\0') + "\x80";
const std::string kDenseHeader = std::string("HYLL\0\0\0\0", 8) + std::string(7, '\0') + "\x80";
std::string xzero(int run) {
  return {static_cast<char>(0x40 | ((run - 1) >> 8)), static_cast<char>((run - 1) & 0xFF)};
}
std::string zero(int run) {
  return std::string(1, static_cast<char>(run - 1));
}
std::string val(int value, int run) {
  return std::string(1, static_cast<char>(0x80 | ((value - 1) << 2) | (run - 1)));
}
std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
template <typename F>
std::string dense(F register_value) {
  std::string r(12288, '\0');
  for (int i = 0; i < 16384; ++i) {
    const int v = register_value(i);
    const int bit = i * 6;
    const int byte = bit / 8;
    const int shift = bit % 8;
    r[static_cast<std::size_t>(byte)] =
        static_cast<char>(r[static_cast<std::size_t>(byte)] | ((v << shift) & 0xFF));
    if (shift > 2)
      r[static_cast<std::size_t>(byte + 1)] =
          static_cast<char>(r[static_cast<std::size_t>(byte + 1)] | (v >> (8 - shift)));
  }
  return kDenseHeader + r;
}
std::string cached(std::uint64_t card) {
  std::string h("HYLL\x01\0\0\0", 8);
  for (int i = 0; i < 8; ++i) h.push_back(static_cast<char>((card >> (8 * i)) & 0xFF));
  return h + xzero(16384);
}

}  // namespace

TEST_CASE("hyperloglog command specs match Redis 7.0 COMMAND INFO", "[hll]") {
  CommandRunner r;
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& { return r.spec(name); };
  CHECK(spec("pfadd").arity == -2);
  CHECK(spec("pfadd").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom | eddy::kCmdFast));
  CHECK(spec("pfadd").acl_categories == "@write @hyperloglog @fast");
  CHECK(spec("pfcount").flags == (eddy::kCmdReadonly | eddy::kCmdMayReplicate));
  CHECK(spec("pfcount").last_key == -1);
  CHECK(spec("pfmerge").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom));
  CHECK(spec("pfmerge").last_key == -1);
  CHECK(spec("pfdebug").arity == 3);
  CHECK(spec("pfdebug").first_key == 2);
  CHECK(spec("pfdebug").acl_categories == "@write @hyperloglog @admin @slow @dangerous");
  CHECK(spec("pfcount").group == "hyperloglog");
}

TEST_CASE("MurmurHash64A and the register pattern are Redis's", "[hll]") {
  // PFADD q a b sets register 12711 to 2 and register 15780 to 1 (PFDEBUG GETREG in Redis).
  const auto a = eddy::kv::hll::pattern_of("a");
  const auto b = eddy::kv::hll::pattern_of("b");
  CHECK(((a.index == 12711 && a.count == 2) || (b.index == 12711 && b.count == 2)));
  CHECK(((a.index == 15780 && a.count == 1) || (b.index == 15780 && b.count == 1)));
}

TEST_CASE("PFADD and PFCOUNT", "[hll]") {
  CommandRunner r;
  CHECK(r.run({"PFADD", "h", "a", "b", "c"}) == integer(1));
  CHECK(value_of(r, "h") == from_hex("48594c4c01000000000000000000008060f38050b1844bfb80425a"));
  CHECK(r.run({"PFCOUNT", "h"}) == integer(3));
  // The estimate is stored in the header (little endian, stale bit clear), as Redis does.
  CHECK(value_of(r, "h") == from_hex("48594c4c01000000030000000000000060f38050b1844bfb80425a"));
  CHECK(r.run({"PFADD", "h", "a", "b"}) == integer(0));
  CHECK(r.run({"PFADD", "e"}) == integer(1));
  CHECK(value_of(r, "e") == from_hex("48594c4c0100000000000000000000807fff"));
  CHECK(r.run({"PFADD", "e"}) == integer(0));
  CHECK(r.run({"PFADD", "e", "a"}) == integer(1));
  CHECK(r.run({"PFADD", "e", "a"}) == integer(0));
  CHECK(r.run({"PFCOUNT", "nokey"}) == integer(0));
  CHECK(r.run({"PFADD", "q", "a", "b"}) == integer(1));
  CHECK(r.run({"PFDEBUG", "DECODE", "q"}) == bulk("Z:12711 v:2,1 Z:3068 v:1,1 Z:603"));
  CHECK(value_of(r, "q") == from_hex("48594c4c01000000000000000000008071a6844bfb80425a"));
  // Empty, long and binary elements hash like Redis's.
  CHECK(r.run({"PFADD", "odd", "", std::string(7, 'a'), std::string(8, 'b'), std::string(9, 'c'),
               std::string("\0\xff", 2), std::string(1000, 'x')}) == integer(1));
  CHECK(value_of(r, "odd") ==
        from_hex("48594c4c0100000000000000000000804f608041848446498453ca8040fa8043d480502e"));
  CHECK(r.run({"PFCOUNT", "odd"}) == integer(6));
  CHECK(r.run({"PFADD"}) == err("ERR wrong number of arguments for 'pfadd' command"));
}

TEST_CASE("PFADD that raises no register is not a write", "[hll]") {
  CommandRunner r;
  CHECK(r.run({"PFADD", "h", "a", "b", "c"}) == integer(1));
  const std::uint64_t before = r.shard().writes().modifications();
  CHECK(r.run({"PFADD", "h", "c", "b", "a", "a"}) == integer(0));
  CHECK(r.shard().writes().modifications() == before);
  // PFCOUNT stores the stale estimate once (a write, as in Redis), then reads the cache.
  CHECK(r.run({"PFCOUNT", "h"}) == integer(3));
  CHECK(r.shard().writes().modifications() == before + 1);
  CHECK(r.run({"PFCOUNT", "h"}) == integer(3));
  CHECK(r.shard().writes().modifications() == before + 1);
}

TEST_CASE("sparse and dense forms are byte for byte Redis's", "[hll]") {
  struct Figure {
    int n;
    std::size_t length;
    std::uint64_t fnv;
    const char* encoding;
    std::int64_t count;
  };
  // PFADD of 1..n in batches of 1000, then GET, PFDEBUG ENCODING, PFCOUNT on Redis.
  const Figure figures[] = {
      {1000, 1922, 0xabdeac6c99b1409dULL, "sparse", 1001},
      {2000, 12304, 0xa733cc3d93c45ddbULL, "dense", 2006},
      {3000, 12304, 0x992b43a674224822ULL, "dense", 3005},
      {10000, 12304, 0x3a3f10e0e48d0f9bULL, "dense", 9988},
      {100000, 12304, 0x1dd51ecdcaaba319ULL, "dense", 99562},
  };
  CommandRunner r;
  for (const Figure& f : figures) {
    CAPTURE(f.n);
    const std::string key = "seq" + std::to_string(f.n);
    add_range(r, key, 1, f.n);
    const std::string bytes = value_of(r, key);
    CHECK(bytes.size() == f.length);
    CHECK(fnv1a(bytes) == f.fnv);
    CHECK(r.run({"PFDEBUG", "ENCODING", key}) == Reply::simple(f.encoding));
    CHECK(r.run({"PFCOUNT", key}) == integer(f.count));
  }
}

TEST_CASE("an HLL written by Redis counts and grows the same here", "[hll]") {
  CommandRunner r;
  // Redis's bytes after PFADD a 0 .. PFADD a 99 (one element per call).
  const std::string redis_a = from_hex(
      "48594c4c01000000000000000000008041768c407684409a9040c9804100801c8c40418840e688405f803f80"
      "41688040419840708408804120804059842080078040f48042108841368040e2800a8040b08c378833804076"
      "80404680408580405f803380404d8840549040da80415b80228040e2804058804094803780248041718040"
      "658442119440aa8040799040db8040ac904147881a84414280158440bf8440d28c4115844081940b8c40b380"
      "318c28802d803c80404780446e8040928041e6881588408d80410a80404884412484405a8440a580406d8441"
      "3e84298040da80078c1b80405880068042f4804059801d8840aa8c40ed80404880404a942c80388c308040b2"
      "8840f28c40b880158418883a8040d994408a80407b8040e8");
  REQUIRE(redis_a.size() == 287);
  for (int i = 0; i < 100; ++i) r.run({"PFADD", "a", std::to_string(i)});
  CHECK(value_of(r, "a") == redis_a);
  CHECK(r.run({"SET", "copy", redis_a}) == kOk);
  CHECK(r.run({"PFCOUNT", "copy"}) == integer(100));
  for (int i = 50; i < 200; ++i) r.run({"PFADD", "b", std::to_string(i)});
  CHECK(r.run({"PFCOUNT", "copy", "b"}) == integer(201));
  CHECK(r.run({"PFCOUNT", "b"}) == integer(151));
  // A valid cache is trusted, as Redis trusts it.
  CHECK(r.run({"SET", "c", cached(12345)}) == kOk);
  CHECK(r.run({"PFCOUNT", "c"}) == integer(12345));
  CHECK(r.run({"PFCOUNT", "c", "nokey"}) == integer(0));
  CHECK(r.run({"SET", "c", cached(0x7fffffffffffffffULL)}) == kOk);
  CHECK(r.run({"PFCOUNT", "c"}) == integer(INT64_MAX));
}

TEST_CASE("PFMERGE", "[hll]") {
  CommandRunner r;
  for (int i = 0; i < 100; ++i) r.run({"PFADD", "a", std::to_string(i)});
  for (int i = 50; i < 200; ++i) r.run({"PFADD", "b", std::to_string(i)});
  CHECK(r.run({"PFCOUNT", "a", "b"}) == integer(201));
  CHECK(r.run({"PFCOUNT", "a"}) == integer(100));
  CHECK(r.run({"PFMERGE", "m", "a", "b"}) == kOk);
  std::string bytes = value_of(r, "m");
  CHECK(bytes.size() == 507);
  CHECK(fnv1a(bytes) == 0x02b0dacc41d4dc15ULL);
  CHECK(r.run({"PFCOUNT", "m"}) == integer(201));
  // The destination is a source too.
  CHECK(r.run({"SET", "a2", value_of(r, "a")}) == kOk);
  CHECK(r.run({"PFMERGE", "a2", "b"}) == kOk);
  // The same registers; the header keeps a2's old cached count, marked stale (as Redis does).
  CHECK(value_of(r, "a2").substr(16) == bytes.substr(16));
  // One dense input: a dense result.
  std::vector<std::string> big{"PFADD", "big"};
  for (int i = 0; i < 5000; ++i) big.push_back(std::to_string(i));
  CHECK(r.run(big) == integer(1));
  CHECK(r.run({"PFMERGE", "m2", "a", "big"}) == kOk);
  bytes = value_of(r, "m2");
  CHECK(bytes.size() == 12304);
  CHECK(fnv1a(bytes) == 0x19232e3f33a15078ULL);
  CHECK(r.run({"PFDEBUG", "ENCODING", "m2"}) == Reply::simple("dense"));
  CHECK(r.run({"PFCOUNT", "m2"}) == integer(4985));
  CHECK(r.run({"PFCOUNT", "a", "big"}) == integer(4985));
  // Nothing to merge: an empty HLL.
  CHECK(r.run({"PFMERGE", "d"}) == kOk);
  CHECK(value_of(r, "d") == from_hex("48594c4c0100000000000000000000807fff"));
  CHECK(r.run({"PFMERGE", "d2", "nokey"}) == kOk);
  CHECK(value_of(r, "d2") == from_hex("48594c4c0100000000000000000000807fff"));
}

TEST_CASE("HLL commands refuse what is not an HLL", "[hll]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "hello"}) == kOk);
  CHECK(r.run({"SET", "i", "12345"}) == kOk);
  CHECK(r.run({"SET", "x", "HYLL"}) == kOk);
  eddy::testing::put_opaque_list(r, "l");
  CHECK(r.run({"PFADD", "h"}) == integer(1));
  CHECK(r.run({"PFADD", "s", "a"}) == kNotHll);
  CHECK(r.run({"PFADD", "l", "a"}) == kWrongType);
  CHECK(r.run({"PFCOUNT", "s"}) == kNotHll);
  CHECK(r.run({"PFCOUNT", "l"}) == kWrongType);
  CHECK(r.run({"PFCOUNT", "h", "s"}) == kNotHll);
  CHECK(r.run({"PFCOUNT", "h", "l"}) == kWrongType);
  CHECK(r.run({"PFMERGE", "d", "s"}) == kNotHll);
  CHECK(r.run({"PFMERGE", "d", "h", "l"}) == kWrongType);
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  CHECK(r.run({"PFCOUNT", "i"}) == kNotHll);
  CHECK(r.run({"PFADD", "i", "x"}) == kNotHll);
  CHECK(r.run({"PFCOUNT", "x"}) == kNotHll);
  CHECK(r.run({"PFADD", "x", "a"}) == kNotHll);
  CHECK(r.run({"PFDEBUG", "ENCODING", "nokey"}) == err("ERR The specified key does not exist"));
  CHECK(r.run({"PFDEBUG", "foo", "h"}) == err("ERR Unknown PFDEBUG subcommand 'foo'"));
  CHECK(r.run({"PFDEBUG", "ENCODING", "s"}) == kNotHll);
  CHECK(r.run({"PFDEBUG", "ENCODING", "l"}) == kWrongType);
}

TEST_CASE("PFDEBUG", "[hll]") {
  CommandRunner r;
  CHECK(r.run({"PFADD", "e"}) == integer(1));
  CHECK(r.run({"PFDEBUG", "DECODE", "e"}) == bulk("Z:16384"));
  CHECK(r.run({"PFADD", "q", "a", "b"}) == integer(1));
  CHECK(r.run({"PFDEBUG", "ENCODING", "q"}) == Reply::simple("sparse"));
  const Reply registers = r.run({"PFDEBUG", "GETREG", "q"});
  REQUIRE(registers.elements.size() == 16384);
  for (std::size_t i = 0; i < registers.elements.size(); ++i) {
    const std::int64_t expected = i == 12711 ? 2 : i == 15780 ? 1 : 0;
    if (registers.elements[i] != integer(expected)) FAIL("register " << i);
  }
  // GETREG left it dense, as in Redis.
  CHECK(r.run({"PFDEBUG", "ENCODING", "q"}) == Reply::simple("dense"));
  CHECK(fnv1a(value_of(r, "q")) == 0x2204b2275553e625ULL);
  CHECK(r.run({"PFDEBUG", "DECODE", "q"}) == err("ERR HLL encoding is not sparse"));
  CHECK(r.run({"PFDEBUG", "TODENSE", "q"}) == integer(0));
  CHECK(r.run({"PFDEBUG", "TODENSE", "e"}) == integer(1));
  CHECK(r.run({"PFDEBUG", "ENCODING", "e"}) == Reply::simple("dense"));
  CHECK(r.run({"PFCOUNT", "e"}) == integer(0));
}

TEST_CASE("hll-sparse-max-bytes decides when the sparse form becomes dense", "[hll]") {
  CommandRunner r;
  eddy::kv::EncodingLimits limits;
  limits.hll_sparse_max_bytes = 100;
  r.shard().set_encoding_limits(&limits);
  for (int i = 0; i < 60; ++i) r.run({"PFADD", "small", std::to_string(i)});
  const std::string bytes = value_of(r, "small");
  CHECK(bytes.size() == 12304);
  CHECK(fnv1a(bytes) == 0x9965a812c273032bULL);
  CHECK(r.run({"PFDEBUG", "ENCODING", "small"}) == Reply::simple("dense"));
  r.shard().set_encoding_limits(&eddy::kv::EncodingLimits::defaults());
}

TEST_CASE("hostile HLL bytes get Redis's answers and never a crash", "[hll]") {
  const std::string kCorruptText(kCorrupt.text);
  const std::string kNotHllText(kNotHll.text);
  struct Case {
    const char* name;
    std::string bytes;
    // PFCOUNT k; PFCOUNT k nokey (text of an error, or the number).
    std::string count;
    std::string union_count;
    // PFADD k a: reply, then the bytes.
    std::string add_one;
    std::size_t add_one_length;
    std::uint64_t add_one_fnv;
    // PFADD k 0 .. 199 (on the original bytes): reply, then the bytes.
    std::string add_many;
    std::size_t add_many_length;
    std::uint64_t add_many_fnv;
    // PFMERGE d k: reply and PFCOUNT d ("" when d was not created). PFDEBUG TODENSE k.
    std::string merge;
    std::string merged_count;
    std::string todense;
  };
  const std::string E = kCorruptText;
  const std::string W = kNotHllText;
  const std::string N = "-9223372036854775808";
  const std::vector<Case> cases = {
      {"sparse_extra_val", kSparseHeader + xzero(16384) + val(3, 1), E, E, "1", 22,
       0x555f11015aa21de9ULL, "1", 508, 0x67606613dcb2dec7ULL, E, "", E},
      {"sparse_short", kSparseHeader + xzero(16000), E, E, "1", 21, 0x18c499d0ec2c700dULL, E, 80,
       0xedfe60a338b3951cULL, E, "", E},
      {"sparse_long_zero", kSparseHeader + xzero(16384) + xzero(16384), E, E, "1", 23,
       0xaf7afb4cfec5bba9ULL, "1", 509, 0x5affabc0035e9653ULL, E, "", E},
      {"sparse_val_overflow", kSparseHeader + xzero(16383) + val(5, 4), E, E, "1", 22,
       0x555ac6015a9db5a1ULL, "1", 508, 0x6762d713dcb421a1ULL, E, "", E},
      {"sparse_only_header", kSparseHeader, E, E, E, 16, 0x569a686d7b492fcbULL, E, 16,
       0x569a686d7b492fcbULL, E, "", E},
      {"sparse_all_val32", kSparseHeader + repeat(val(32, 4), 4096), "50760319129350",
       "50760319129350", "0", 4112, 0xe0bcd62cc12d7fcbULL, "0", 4112, 0xe0bcd62cc12d7fcbULL, "OK",
       "50760319129350", "1"},
      {"sparse_zero_then_short", kSparseHeader + repeat(zero(64), 10), E, E, E, 26,
       0x39fb498455a05b11ULL, E, 26, 0x39fb498455a05b11ULL, E, "", E},
      {"xz_then_zero", kSparseHeader + xzero(16384) + zero(1), E, E, "1", 22, 0x555e99015aa15201ULL,
       "1", 508, 0x675fde13dcb1f7afULL, E, "", E},
      {"val_after_full", kSparseHeader + xzero(16383) + val(1, 1) + val(1, 1), E, E, "1", 22,
       0x555ab4015a9d970bULL, "1", 508, 0x6762c513dcb4030bULL, E, "", E},
      {"xz_overflow", kSparseHeader + xzero(16000) + xzero(16000), E, E, "1", 23,
       0x85a93b3a1bb96e62ULL, "1", 508, 0x3f0a62df0a29d359ULL, E, "", E},
      {"val_cross", kSparseHeader + xzero(16382) + val(2, 4), E, E, "1", 22, 0x5564ea015aa64752ULL,
       "1", 508, 0x67672b13dcb89934ULL, E, "", E},
      {"ok_two", kSparseHeader + xzero(16382) + val(2, 2), "2", "2", "1", 22, 0x5564e8015aa643ecULL,
       "1", 508, 0x67672d13dcb89c9aULL, "OK", "2", "1"},
      {"zero_cross", kSparseHeader + xzero(16382) + zero(3), E, E, "1", 22, 0x556567015aa71bb9ULL,
       "1", 508, 0x6766a813dcb7ba9bULL, E, "", E},
      {"xzero_run1", kSparseHeader + repeat(xzero(1), 16384), "0", "0", "1", 32783,
       0x2e2127838b29fc95ULL, "1", 32584, 0x5147ceecb5efb33bULL, "OK", "0", "1"},
      {"dense_short", kDenseHeader + std::string(12287, '\0'), W, W, W, 12303,
       0x0b80c65dcf615a7eULL, W, 12303, 0x0b80c65dcf615a7eULL, W, "", W},
      {"dense_long", kDenseHeader + std::string(12289, '\0'), W, W, W, 12305, 0x6dc8c6ac3ed1382eULL,
       W, 12305, 0x6dc8c6ac3ed1382eULL, W, "", W},
      {"enc2", std::string("HYLL\x02\0\0\0", 8) + std::string(8, '\0') + xzero(16384), W, W, W, 18,
       0xf9bb52fb05d10ceeULL, W, 18, 0xf9bb52fb05d10ceeULL, W, "", W},
      {"badmagic", std::string("HYLX\x01\0\0\0", 8) + std::string(8, '\0') + xzero(16384), W, W, W,
       18, 0x593e9fe2d687525dULL, W, 18, 0x593e9fe2d687525dULL, W, "", W},
      {"header_short", std::string("HYLL\x01\0\0\0", 8) + std::string(7, '\0'), W, W, W, 15,
       0xcb341358870d1d09ULL, W, 15, 0xcb341358870d1d09ULL, W, "", W},
      {"dense_all63", dense([](int) { return 63; }), N, N, "0", 12304, 0x8d95a60fca2b941aULL, "0",
       12304, 0x8d95a60fca2b941aULL, "OK", N, "0"},
      {"dense_all51", dense([](int) { return 51; }), N, N, "0", 12304, 0x86202a256dd5c41aULL, "0",
       12304, 0x86202a256dd5c41aULL, "OK", N, "0"},
      {"dense_all50", dense([](int) { return 50; }), N, N, "0", 12304, 0xe07bbe031148741aULL, "0",
       12304, 0xe07bbe031148741aULL, "OK", N, "0"},
      {"dense_all1", dense([](int) { return 1; }), "23637", "23637", "1", 12304,
       0x98a01f7e553f853eULL, "1", 12304, 0x2fbcf8da5d23dd1cULL, "OK", "23637", "0"},
      {"dense_zero", dense([](int) { return 0; }), "0", "0", "1", 12304, 0x6a3d5bb838d906c2ULL, "1",
       12304, 0x5275ce1388244211ULL, "OK", "0", "0"},
      {"dense_mixed", dense([](int i) { return (i * 7) % 64; }), "375261", "375261", "0", 12304,
       0xc6963e3e9c8c2c1aULL, "1", 12304, 0xfd7bc06890552138ULL, "OK", "375261", "0"},
      {"cache_valid", cached(12345), "12345", "0", "1", 21, 0xb8c468323d499728ULL, "1", 507,
       0x67276bf2bec11236ULL, "OK", "0", "1"},
      {"cache_valid_big", cached(0x7fffffffffffffffULL), "9223372036854775807", "0", "1", 21,
       0x28d3734c082da833ULL, "1", 507, 0x3e5cd8a7d588304dULL, "OK", "0", "1"},
      {"notused_nonzero",
       std::string("HYLL\x01\xff\xff\xff", 8) + std::string(7, '\0') + "\x80" + xzero(16384), "0",
       "0", "1", 21, 0x0f9bcd10a1f363deULL, "1", 507, 0xe8b757821a683e08ULL, "OK", "0", "1"},
      {"sparse_nonminimal", kSparseHeader + repeat(zero(1), 16384), "0", "0", "1", 16400,
       0xe107266bd9cd1097ULL, "1", 16400, 0x9a895ed19dab63f3ULL, "OK", "0", "1"},
      {"sparse_vals", kSparseHeader + repeat(val(1, 4), 4096), "23637", "23637", "1", 12304,
       0x98a01f7e553f853eULL, "1", 12304, 0x2fbcf8da5d23dd1cULL, "OK", "23637", "1"},
  };
  const auto expect = [](const std::string& text) {
    if (text == "OK") return Reply::ok();
    if (text.starts_with("WRONGTYPE") || text.starts_with("INVALIDOBJ")) return err(text);
    return integer(std::stoll(text));
  };
  CommandRunner r;
  std::vector<std::string> many{"PFADD", "k"};
  for (int i = 0; i < 200; ++i) many.push_back(std::to_string(i));
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(r.run({"SET", "k", c.bytes}) == kOk);
    CHECK(r.run({"PFCOUNT", "k"}) == expect(c.count));
    CHECK(r.run({"PFCOUNT", "k", "nokey"}) == expect(c.union_count));

    CHECK(r.run({"SET", "k", c.bytes}) == kOk);
    CHECK(r.run({"PFADD", "k", "a"}) == expect(c.add_one));
    std::string after = value_of(r, "k");
    CHECK(after.size() == c.add_one_length);
    CHECK(fnv1a(after) == c.add_one_fnv);

    CHECK(r.run({"SET", "k", c.bytes}) == kOk);
    CHECK(r.run(many) == expect(c.add_many));
    after = value_of(r, "k");
    CHECK(after.size() == c.add_many_length);
    CHECK(fnv1a(after) == c.add_many_fnv);

    CHECK(r.run({"DEL", "d"}).kind == Reply::Kind::kInteger);
    CHECK(r.run({"SET", "k", c.bytes}) == kOk);
    CHECK(r.run({"PFMERGE", "d", "k"}) == expect(c.merge));
    if (c.merged_count.empty()) {
      CHECK(r.run({"EXISTS", "d"}) == integer(0));
    } else {
      CHECK(r.run({"PFCOUNT", "d"}) == expect(c.merged_count));
    }
    CHECK(r.run({"SET", "k", c.bytes}) == kOk);
    CHECK(r.run({"PFDEBUG", "TODENSE", "k"}) == expect(c.todense));
  }
}

TEST_CASE("a sparse form longer than any valid one is refused before any edit", "[hll]") {
  // Redis gives the same answers here (this edit would grow the form past hll-sparse-max-bytes,
  // and converting it to dense finds it corrupt); eddy refuses every edit of such a string,
  // also those that Redis would make in place by moving the whole tail. No valid HLL is this
  // long.
  CommandRunner r;
  const std::string huge = kSparseHeader + xzero(16384) + std::string(40000, '\0');
  CHECK(r.run({"SET", "k", huge}) == kOk);
  CHECK(r.run({"PFADD", "k", "a"}) == kCorrupt);
  CHECK(value_of(r, "k") == huge);
  CHECK(r.run({"PFCOUNT", "k"}) == kCorrupt);
  CHECK(r.run({"PFCOUNT", "k", "k"}) == kCorrupt);
  CHECK(r.run({"PFMERGE", "d", "k"}) == kCorrupt);
  // The longest valid form (every register its own XZERO) is still accepted.
  CHECK(r.run({"SET", "k", kSparseHeader + repeat(xzero(1), 16384)}) == kOk);
  CHECK(r.run({"PFADD", "k", "a"}) == integer(1));
}

TEST_CASE("a final XZERO missing its second byte reads as in Redis and is never split", "[hll]") {
  CommandRunner r;
  // ZERO 64, 64, 64, 63, then XZERO 0x7f with its second byte missing: Redis reads the NUL after
  // the string there (16129 registers), so the runs cover 16384 and the HLL is valid and empty.
  const std::string valid = kSparseHeader + "\x3f\x3f\x3f\x3e\x7f";
  CHECK(r.run({"SET", "k", valid}) == kOk);
  CHECK(r.run({"PFCOUNT", "k"}) == integer(0));
  CHECK(r.run({"PFCOUNT", "k", "nokey"}) == integer(0));
  CHECK(r.run({"PFMERGE", "d", "k"}) == kOk);
  CHECK(r.run({"PFCOUNT", "d"}) == integer(0));
  CHECK(r.run({"PFDEBUG", "TODENSE", "k"}) == integer(1));
  CHECK(r.run({"PFDEBUG", "ENCODING", "k"}) == Reply::simple("dense"));
  // Splitting it is refused (Redis answers 1 here and leaves the split's last byte past the
  // end of the string, where its next edit reads it back): the value stays as it was.
  CHECK(r.run({"SET", "k", valid}) == kOk);
  CHECK(r.run({"PFADD", "k", "a"}) == kCorrupt);
  CHECK(value_of(r, "k") == valid);
  // Registers before it are written as Redis writes them ("e45" raises register 117 to 1).
  CHECK(r.run({"PFADD", "k", "e45"}) == integer(1));
  CHECK(value_of(r, "k") == from_hex("48594c4c0100000000000000000000803f3480093f3e7f"));
  CHECK(r.run({"PFCOUNT", "k"}) == integer(1));
  // Runs that end short of 16384 registers: corrupt for every reader, as in Redis, and not
  // split by a writer either.
  const std::string short_one = kSparseHeader + xzero(16128).substr(0, 1);
  CHECK(r.run({"SET", "k", short_one}) == kOk);
  CHECK(r.run({"PFCOUNT", "k"}) == kCorrupt);
  CHECK(r.run({"PFCOUNT", "k", "nokey"}) == kCorrupt);
  CHECK(r.run({"PFADD", "k", "a"}) == kCorrupt);
  CHECK(value_of(r, "k") == short_one);
  CHECK(r.run({"PFMERGE", "d2", "k"}) == kCorrupt);
  CHECK(r.run({"EXISTS", "d2"}) == integer(0));
  CHECK(r.run({"PFDEBUG", "TODENSE", "k"}) == kCorrupt);
}
