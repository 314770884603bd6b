// Example-based tests of the bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
// BITFIELD_RO). Every expected reply below was obtained from a real redis-server 7.0.15 with the
// same commands in the same order, so these pin Redis's replies, error texts and error
// precedence, quirks included.

#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/opaque_list.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::put_opaque_list;
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
Reply ints(std::initializer_list<std::int64_t> values) {
  std::vector<Reply> replies;
  for (std::int64_t v : values) replies.push_back(integer(v));
  return Reply::array(std::move(replies));
}
Reply array(std::vector<Reply> replies) {
  return Reply::array(std::move(replies));
}

const Reply kSyntax = err("ERR syntax error");
const Reply kNotInteger = err("ERR value is not an integer or out of range");
const Reply kWrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value");
const Reply kBadOffset = err("ERR bit offset is not an integer or out of range");
const Reply kBadBit = err("ERR bit is not an integer or out of range");
const Reply kBadType =
    err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
        "i64 is.");

}  // namespace

TEST_CASE("bitmap command specs match Redis 7.0 COMMAND INFO", "[bitmap]") {
  CommandRunner r;
  auto spec = [&](std::string_view name) -> const eddy::CommandSpec& { return r.spec(name); };
  CHECK(spec("setbit").arity == 4);
  CHECK(spec("setbit").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom));
  CHECK(spec("setbit").acl_categories == "@write @bitmap @slow");
  CHECK(spec("getbit").flags == (eddy::kCmdReadonly | eddy::kCmdFast));
  CHECK(spec("bitcount").arity == -2);
  CHECK(spec("bitpos").arity == -3);
  CHECK(spec("bitop").arity == -4);
  CHECK(spec("bitop").first_key == 2);
  CHECK(spec("bitop").last_key == -1);
  CHECK(spec("bitfield").flags == (eddy::kCmdWrite | eddy::kCmdDenyOom));
  CHECK(spec("bitfield_ro").flags == (eddy::kCmdReadonly | eddy::kCmdFast));
  CHECK(spec("bitfield_ro").acl_categories == "@read @bitmap @fast");
  CHECK(spec("bitpos").since == "2.8.7");
  CHECK(spec("bitcount").group == "bitmap");
}

TEST_CASE("SETBIT and GETBIT", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SETBIT", "b", "7", "1"}) == integer(0));
  CHECK(r.run({"GET", "b"}) == bulk("\x01"));
  CHECK(r.run({"SETBIT", "b", "7", "1"}) == integer(1));
  CHECK(r.run({"SETBIT", "b", "7", "0"}) == integer(1));
  CHECK(r.run({"GET", "b"}) == bulk(std::string(1, '\0')));
  CHECK(r.run({"SETBIT", "b", "-1", "1"}) == kBadOffset);
  CHECK(r.run({"SETBIT", "b", "4294967296", "1"}) == kBadOffset);
  // The offset is checked before the value.
  CHECK(r.run({"SETBIT", "b", "abc", "x"}) == kBadOffset);
  CHECK(r.run({"SETBIT", "b", "4294967295", "1x"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "0", "2"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "0", "-1"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "0", "abc"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "0", "+1"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "0", "01"}) == kBadBit);
  CHECK(r.run({"SETBIT", "b", "+5", "1"}) == kBadOffset);
  CHECK(r.run({"SETBIT", "b", "05", "1"}) == kBadOffset);
  CHECK(r.run({"SETBIT", "b", " 5", "1"}) == kBadOffset);
  // Growth zero-fills; SETBIT past the end of a string grows it to the bit.
  CHECK(r.run({"SETBIT", "b", "100", "1"}) == integer(0));
  CHECK(r.run({"STRLEN", "b"}) == integer(13));
  CHECK(r.run({"GETBIT", "b", "100"}) == integer(1));
  CHECK(r.run({"GETBIT", "b", "99"}) == integer(0));
  CHECK(r.run({"GETBIT", "b", "4294967295"}) == integer(0));
  CHECK(r.run({"GETBIT", "nokey", "0"}) == integer(0));
  CHECK(r.run({"GETBIT", "nokey", "-1"}) == kBadOffset);
  CHECK(r.run({"GETBIT", "nokey", "4294967296"}) == kBadOffset);
  // An int-encoded string reads as its decimal text ('1' = 0x31, '2' = 0x32, '3' = 0x33).
  CHECK(r.run({"SET", "n", "123"}) == kOk);
  CHECK(r.run({"GETBIT", "n", "2"}) == integer(1));
  CHECK(r.run({"GETBIT", "n", "3"}) == integer(1));
  CHECK(r.run({"GETBIT", "n", "4"}) == integer(0));
  CHECK(r.run({"SETBIT", "n", "7", "0"}) == integer(1));
  CHECK(r.run({"GET", "n"}) == bulk("023"));
  put_opaque_list(r, "l");
  CHECK(r.run({"SETBIT", "l", "0", "1"}) == kWrongType);
  CHECK(r.run({"GETBIT", "l", "0"}) == kWrongType);
  CHECK(r.run({"GETBIT", "l", "x"}) == kBadOffset);
  CHECK(r.run({"SETBIT", "b"}) == err("ERR wrong number of arguments for 'setbit' command"));
}

TEST_CASE("SETBIT may grow a string to proto-max-bulk-len and not past it", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SETBIT", "big", "4294967295", "1"}) == integer(0));
  CHECK(r.run({"STRLEN", "big"}) == integer(536870912));
  CHECK(r.run({"GETBIT", "big", "4294967295"}) == integer(1));
  CHECK(r.run({"SETBIT", "big", "4294967296", "1"}) == kBadOffset);
  CHECK(r.run({"DEL", "big"}) == integer(1));
}

TEST_CASE("SETBIT that changes nothing is not a write", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SETBIT", "b", "3", "1"}) == integer(0));
  const std::uint64_t before = r.shard().writes().modifications();
  CHECK(r.run({"SETBIT", "b", "3", "1"}) == integer(1));
  CHECK(r.run({"SETBIT", "b", "2", "0"}) == integer(0));
  CHECK(r.shard().writes().modifications() == before);
  CHECK(r.run({"SETBIT", "b", "8", "0"}) == integer(0));  // grows: a write
  CHECK(r.shard().writes().modifications() > before);
  CHECK(r.run({"GET", "b"}) == bulk(std::string("\x10\x00", 2)));
}

TEST_CASE("BITCOUNT", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "foobar"}) == kOk);
  put_opaque_list(r, "l");
  CHECK(r.run({"SET", "e", ""}) == kOk);
  CHECK(r.run({"BITCOUNT", "s"}) == integer(26));
  CHECK(r.run({"BITCOUNT", "s", "0", "0"}) == integer(4));
  CHECK(r.run({"BITCOUNT", "s", "1", "1"}) == integer(6));
  CHECK(r.run({"BITCOUNT", "s", "1", "1", "byte"}) == integer(6));
  CHECK(r.run({"BITCOUNT", "s", "5", "30", "bit"}) == integer(17));
  CHECK(r.run({"BITCOUNT", "s", "-1", "-2"}) == integer(0));
  // The empty negative range answers before the unit is looked at.
  CHECK(r.run({"BITCOUNT", "s", "-1", "-2", "foo"}) == integer(0));
  CHECK(r.run({"BITCOUNT", "s", "0"}) == kSyntax);
  CHECK(r.run({"BITCOUNT", "s", "0", "1", "bit", "x"}) == kSyntax);
  CHECK(r.run({"BITCOUNT", "s", "a", "1"}) == kNotInteger);
  CHECK(r.run({"BITCOUNT", "s", "0", "a"}) == kNotInteger);
  CHECK(r.run({"BITCOUNT", "s", "0", "-1", "foo"}) == kSyntax);
  CHECK(r.run({"BITCOUNT", "s", "0", "-1", "BIT"}) == integer(26));
  CHECK(r.run({"BITCOUNT", "s", "-100", "-1", "bit"}) == integer(26));
  CHECK(r.run({"BITCOUNT", "s", "2", "1"}) == integer(0));
  CHECK(r.run({"BITCOUNT", "s", "0", "9223372036854775807", "bit"}) == integer(26));
  CHECK(r.run({"BITCOUNT", "s", "-9223372036854775808", "-1", "bit"}) == integer(26));
  // The key is looked up first: a missing key is 0 whatever else is wrong.
  CHECK(r.run({"BITCOUNT", "nokey", "0"}) == integer(0));
  CHECK(r.run({"BITCOUNT", "nokey", "a", "b", "c", "d"}) == integer(0));
  CHECK(r.run({"BITCOUNT", "l"}) == kWrongType);
  CHECK(r.run({"BITCOUNT", "l", "0"}) == kWrongType);
  CHECK(r.run({"BITCOUNT", "e"}) == integer(0));
  CHECK(r.run({"BITCOUNT", "e", "0", "-1", "bit"}) == integer(0));
  // "255" = 0x32 0x35 0x35: 3 + 4 + 4 bits.
  CHECK(r.run({"SET", "n", "255"}) == kOk);
  CHECK(r.run({"BITCOUNT", "n"}) == integer(11));
}

TEST_CASE("BITPOS", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SET", "s", "foobar"}) == kOk);
  put_opaque_list(r, "l");
  CHECK(r.run({"BITPOS", "s", "1"}) == integer(1));
  CHECK(r.run({"BITPOS", "s", "0"}) == integer(0));
  CHECK(r.run({"BITPOS", "s", "2"}) == err("ERR The bit argument must be 1 or 0."));
  CHECK(r.run({"BITPOS", "s", "a"}) == kNotInteger);
  CHECK(r.run({"BITPOS", "nokey", "1"}) == integer(-1));
  CHECK(r.run({"BITPOS", "nokey", "0"}) == integer(0));
  CHECK(r.run({"BITPOS", "nokey", "2"}) == err("ERR The bit argument must be 1 or 0."));
  CHECK(r.run({"BITPOS", "l", "1"}) == kWrongType);
  CHECK(r.run({"BITPOS", "s", "1", "2"}) == integer(17));
  CHECK(r.run({"BITPOS", "s", "1", "2", "-1"}) == integer(17));
  CHECK(r.run({"BITPOS", "s", "1", "7", "15", "bit"}) == integer(9));
  CHECK(r.run({"BITPOS", "s", "0", "7", "15", "bit"}) == integer(7));
  CHECK(r.run({"BITPOS", "s", "1", "0", "-1", "foo"}) == kSyntax);
  CHECK(r.run({"BITPOS", "s", "1", "a", "foo", "foo"}) == kNotInteger);
  // The unit is read before the end.
  CHECK(r.run({"BITPOS", "s", "1", "0", "a", "foo"}) == kSyntax);
  CHECK(r.run({"BITPOS", "s", "1", "0", "a"}) == kNotInteger);
  CHECK(r.run({"BITPOS", "s", "1", "0", "1", "bit", "x"}) == kSyntax);

  CHECK(r.run({"SET", "e", ""}) == kOk);
  CHECK(r.run({"BITPOS", "e", "0"}) == integer(-1));
  CHECK(r.run({"BITPOS", "e", "1"}) == integer(-1));
  CHECK(r.run({"BITPOS", "e", "0", "0"}) == integer(-1));
  CHECK(r.run({"BITPOS", "e", "0", "0", "-1"}) == integer(-1));

  CHECK(r.run({"SET", "s", std::string("\xff\xf0\x00", 3)}) == kOk);
  CHECK(r.run({"BITPOS", "s", "0"}) == integer(12));
  CHECK(r.run({"BITPOS", "s", "0", "0"}) == integer(12));
  CHECK(r.run({"BITPOS", "s", "0", "0", "-1"}) == integer(12));
  CHECK(r.run({"BITPOS", "s", "1", "2"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "0", "0", "1"}) == integer(12));
  CHECK(r.run({"BITPOS", "s", "1", "16", "23", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "0", "0", "7", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "0", "0", "11", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "0", "0", "12", "bit"}) == integer(12));
  CHECK(r.run({"BITPOS", "s", "0", "3", "11", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "1", "12", "100", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "1", "-5", "-1", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "0", "-100", "-90", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "s", "1", "5", "3", "bit"}) == integer(-1));

  // All ones: a 0 is found past the end only when no end was given.
  CHECK(r.run({"SET", "ff", std::string("\xff\xff", 2)}) == kOk);
  CHECK(r.run({"BITPOS", "ff", "0"}) == integer(16));
  CHECK(r.run({"BITPOS", "ff", "0", "0"}) == integer(16));
  CHECK(r.run({"BITPOS", "ff", "0", "0", "-1"}) == integer(-1));
  CHECK(r.run({"BITPOS", "ff", "0", "0", "1", "bit"}) == integer(-1));
  CHECK(r.run({"BITPOS", "ff", "0", "1"}) == integer(16));
  CHECK(r.run({"BITPOS", "ff", "0", "2"}) == integer(-1));
  CHECK(r.run({"BITPOS", "ff", "1", "2"}) == integer(-1));
  CHECK(r.run({"SET", "n", "255"}) == kOk);
  CHECK(r.run({"BITPOS", "n", "1"}) == integer(2));
}

TEST_CASE("BITPOS agrees with a bit-by-bit scan", "[bitmap]") {
  CommandRunner r;
  // A bitmap with runs that cross word and byte boundaries.
  std::string bytes(37, '\0');
  for (int bit : {3, 64, 65, 130, 200, 201, 202, 290}) {
    bytes[static_cast<std::size_t>(bit / 8)] |= static_cast<char>(0x80 >> (bit % 8));
  }
  for (std::size_t i = 20; i < 30; ++i) bytes[i] = '\xff';
  CHECK(r.run({"SET", "k", bytes}) == kOk);
  const auto bit_at = [&](std::int64_t i) {
    return (static_cast<unsigned char>(bytes[static_cast<std::size_t>(i / 8)]) >> (7 - i % 8)) & 1;
  };
  const std::int64_t total = static_cast<std::int64_t>(bytes.size()) * 8;
  for (int want = 0; want <= 1; ++want) {
    for (std::int64_t start = 0; start < total; start += 7) {
      for (std::int64_t end = start; end < total; end += 11) {
        std::int64_t expected = -1;
        for (std::int64_t i = start; i <= end; ++i) {
          if (bit_at(i) == want) {
            expected = i;
            break;
          }
        }
        CAPTURE(want, start, end);
        CHECK(r.run({"BITPOS", "k", std::to_string(want), std::to_string(start),
                     std::to_string(end), "BIT"}) == integer(expected));
        std::int64_t ones = 0;
        for (std::int64_t i = start; i <= end; ++i) ones += bit_at(i);
        if (want == 1) {
          CHECK(r.run({"BITCOUNT", "k", std::to_string(start), std::to_string(end), "BIT"}) ==
                integer(ones));
        }
      }
    }
  }
}

TEST_CASE("BITOP", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SET", "a", std::string("\x0f\xf0", 2)}) == kOk);
  CHECK(r.run({"SET", "b", "\xff"}) == kOk);
  CHECK(r.run({"BITOP", "and", "d", "a", "b"}) == integer(2));
  CHECK(r.run({"GET", "d"}) == bulk(std::string("\x0f\x00", 2)));
  CHECK(r.run({"BITOP", "or", "d", "a", "b"}) == integer(2));
  CHECK(r.run({"GET", "d"}) == bulk("\xff\xf0"));
  CHECK(r.run({"BITOP", "xor", "d", "a", "b"}) == integer(2));
  CHECK(r.run({"GET", "d"}) == bulk("\xf0\xf0"));
  CHECK(r.run({"BITOP", "not", "d", "a"}) == integer(2));
  CHECK(r.run({"GET", "d"}) == bulk("\xf0\x0f"));
  CHECK(r.run({"BITOP", "not", "d", "a", "b"}) ==
        err("ERR BITOP NOT must be called with a single source key."));
  CHECK(r.run({"BITOP", "foo", "d", "a"}) == kSyntax);
  // All sources empty: the destination is deleted.
  CHECK(r.run({"BITOP", "not", "d", "nokey"}) == integer(0));
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  // The result replaces the destination and its TTL, whatever it held.
  CHECK(r.run({"SET", "d", "x"}) == kOk);
  CHECK(r.run({"PEXPIRE", "d", "100000"}) == integer(1));
  CHECK(r.run({"BITOP", "and", "d", "a", "b"}) == integer(2));
  CHECK(r.run({"PTTL", "d"}) == integer(-1));
  CHECK(r.run({"SET", "d", "x"}) == kOk);
  CHECK(r.run({"BITOP", "or", "d", "nokey1", "nokey2"}) == integer(0));
  CHECK(r.run({"EXISTS", "d"}) == integer(0));
  put_opaque_list(r, "l");
  CHECK(r.run({"BITOP", "and", "d", "a", "l"}) == kWrongType);
  CHECK(r.run({"BITOP", "foo", "d", "l"}) == kSyntax);
  CHECK(r.run({"BITOP", "not", "d", "l"}) == kWrongType);
  CHECK(r.run({"BITOP", "and", "d", "nokey"}) == integer(0));
  // The destination may be a source.
  CHECK(r.run({"BITOP", "and", "a", "a"}) == integer(2));
  CHECK(r.run({"GET", "a"}) == bulk(std::string("\x0f\xf0", 2)));
  CHECK(r.run({"SET", "i", "12"}) == kOk);
  CHECK(r.run({"BITOP", "or", "d", "i"}) == integer(2));
  CHECK(r.run({"GET", "d"}) == bulk("12"));
  CHECK(r.run({"BITOP", "AnD", "d", "a", "b"}) == integer(2));
  CHECK(r.run({"BITOP", "not", "d", "b"}) == integer(1));
  CHECK(r.run({"GET", "d"}) == bulk(std::string(1, '\0')));
  // Over a list destination: replaced.
  CHECK(r.run({"BITOP", "or", "l", "b"}) == integer(1));
  CHECK(r.run({"GET", "l"}) == bulk("\xff"));
  CHECK(r.run({"BITOP", "and", "d"}) == err("ERR wrong number of arguments for 'bitop' command"));
}

TEST_CASE("BITOP agrees with a byte-by-byte model on long inputs", "[bitmap]") {
  CommandRunner r;
  std::vector<std::string> inputs;
  for (int k = 0; k < 4; ++k) {
    std::string bytes;
    for (int i = 0; i < 40 + 13 * k; ++i)
      bytes.push_back(static_cast<char>((i * 37 + k * 101) & 0xFF));
    inputs.push_back(bytes);
    CHECK(r.run({"SET", "in" + std::to_string(k), bytes}) == kOk);
  }
  const auto model = [&](char op) {
    std::size_t maxlen = 0;
    for (const auto& in : inputs) maxlen = std::max(maxlen, in.size());
    std::string out(maxlen, '\0');
    for (std::size_t j = 0; j < maxlen; ++j) {
      auto at = [&](std::size_t k) -> unsigned {
        return j < inputs[k].size() ? static_cast<unsigned char>(inputs[k][j]) : 0u;
      };
      unsigned v = at(0);
      for (std::size_t k = 1; k < inputs.size(); ++k)
        v = op == '&' ? (v & at(k)) : op == '|' ? (v | at(k)) : (v ^ at(k));
      out[j] = static_cast<char>(v);
    }
    return out;
  };
  for (const auto& [name, op] :
       {std::pair{"AND", '&'}, std::pair{"OR", '|'}, std::pair{"XOR", '^'}}) {
    CAPTURE(name);
    CHECK(r.run({"BITOP", name, "out", "in0", "in1", "in2", "in3"}) == integer(79));
    CHECK(r.run({"GET", "out"}) == bulk(model(op)));
    // In place, the destination being the longest source.
    CHECK(r.run({"SET", "in3", inputs[3]}) == kOk);
    CHECK(r.run({"BITOP", name, "in3", "in0", "in1", "in2", "in3"}) == integer(79));
    CHECK(r.run({"GET", "in3"}) == bulk(model(op)));
    CHECK(r.run({"SET", "in3", inputs[3]}) == kOk);
  }
  std::string inverted = inputs[3];
  for (char& c : inverted) c = static_cast<char>(~c);
  CHECK(r.run({"BITOP", "NOT", "in3", "in3"}) == integer(79));
  CHECK(r.run({"GET", "in3"}) == bulk(inverted));
}

TEST_CASE("BITFIELD", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"BITFIELD", "k"}) == array({}));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "0"}) == ints({0}));
  CHECK(r.run({"EXISTS", "k"}) == integer(0));
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "0", "255", "get", "u8", "0"}) == ints({0, 255}));
  CHECK(r.run({"BITFIELD", "k", "incrby", "u8", "0", "1"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "u8", "0", "300"}) == ints({255}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "fail", "incrby", "u8", "0", "1"}) == array({kNil}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "fail", "incrby", "u8", "0", "-1"}) == ints({254}));
  CHECK(r.run({"BITFIELD", "k", "set", "i8", "8", "-128", "get", "i8", "8", "incrby", "i8", "8",
               "-1"}) == ints({0, -128, 127}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "i8", "8", "-100"}) == ints({27}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "fail", "set", "i8", "8", "200"}) == array({kNil}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i8", "8", "200"}) == ints({27}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "set", "i8", "8", "200"}) == ints({127}));
  CHECK(r.run({"BITFIELD", "k", "set", "u63", "0", "1"}) == ints({9179461940487913472}));
  CHECK(r.run({"BITFIELD", "k", "get", "u64", "0"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "i64", "0"}) == ints({2}));
  CHECK(r.run({"BITFIELD", "k", "get", "i65", "0"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "u0", "0"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "x8", "0"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "u", "0"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "-1"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "#1"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "#-1"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "a"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "0"}) == kSyntax);
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "0", "a"}) == kNotInteger);
  CHECK(r.run({"BITFIELD", "k", "foo"}) == kSyntax);
  CHECK(r.run({"BITFIELD", "k", "get", "u8"}) == kSyntax);
  CHECK(r.run({"BITFIELD", "k", "overflow"}) == kSyntax);
  CHECK(r.run({"BITFIELD", "k", "overflow", "foo"}) == err("ERR Invalid OVERFLOW type specified"));
  CHECK(r.run({"BITFIELD", "k", "overflow", "foo", "get", "x", "0"}) ==
        err("ERR Invalid OVERFLOW type specified"));
  CHECK(r.run({"BITFIELD", "k", "get", "x", "0", "overflow", "foo"}) == kBadType);
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "4294967288"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "4294967295"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "4294967296"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "#536870911"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "#536870912"}) == kBadOffset);
  // "#n" * bits wraps modulo 2^64 as in Redis: 2^58+1 fields of 64 bits start at bit 64.
  CHECK(r.run({"BITFIELD", "k", "get", "i64", "#288230376151711745"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "i64", "#144115188075855872"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "get", "u1", "+1"}) == kBadOffset);
  CHECK(r.run({"BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "7", "INCRBY", "u8", "0", "1",
               "OVERFLOW", "WRAP"}) == ints({0, 0, 8}));
  CHECK(r.run({"BITFIELD", "k", "set", "i64", "0", "-1", "incrby", "i64", "0",
               "-9223372036854775807"}) == ints({576460752303423490, INT64_MIN}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i64", "0", "9223372036854775807",
               "incrby", "i64", "0", "1"}) == ints({INT64_MIN, INT64_MAX}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "i64", "0", "-9223372036854775808"}) ==
        ints({-1}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "incrby", "i64", "0", "9223372036854775807"}) ==
        ints({9223372036854775806}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "u63", "0", "9223372036854775807"}) ==
        ints({9223372036854775807}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "incrby", "u63", "0", "9223372036854775807"}) ==
        ints({9223372036854775806}));
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "100", "5"}) == ints({0}));
  CHECK(r.run({"STRLEN", "k"}) == integer(14));
  CHECK(r.run({"BITFIELD", "k", "incrby", "u8", "100", "0"}) == ints({5}));

  put_opaque_list(r, "l");
  CHECK(r.run({"BITFIELD", "l", "get", "u8", "0"}) == kWrongType);
  CHECK(r.run({"BITFIELD", "l", "set", "u8", "0", "1"}) == kWrongType);
  CHECK(r.run({"BITFIELD", "l", "set", "x", "0", "1"}) == kBadType);
  // A write that fails on overflow still creates the key, as in Redis.
  CHECK(r.run({"BITFIELD", "nk", "overflow", "fail", "incrby", "u2", "0", "10"}) == array({kNil}));
  CHECK(r.run({"EXISTS", "nk"}) == integer(1));
  CHECK(r.run({"GET", "nk"}) == bulk(std::string(1, '\0')));
}

TEST_CASE("BITFIELD overflow edges follow Redis's arithmetic", "[bitmap]") {
  CommandRunner r;
  // SAT picks its side from Redis's wrapping limits: INT64_MIN into an i8 saturates to +127.
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i8", "0", "-9223372036854775808"}) ==
        ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i8", "0", "-9223372036854775807"}) ==
        ints({127}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i8", "0", "-200"}) == ints({127}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "set", "i8", "0", "-9223372036854775808"}) ==
        ints({-128}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "u8", "0", "-1"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "set", "u8", "0", "-1"}) == ints({255}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "u8", "0", "-9223372036854775808"}) ==
        ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i64", "0", "-9223372036854775808"}) ==
        ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "incrby", "i64", "0", "-1"}) ==
        ints({INT64_MIN}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "fail", "incrby", "i64", "0", "-1"}) == array({kNil}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i63", "0", "-9223372036854775808"}) ==
        ints({-4611686018427387904}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i1", "0", "1"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "sat", "set", "i1", "0", "-1"}) == ints({0}));
  CHECK(r.run({"BITFIELD", "k", "get", "i1", "0"}) == ints({-1}));
  CHECK(r.run({"BITFIELD", "k", "overflow", "wrap", "incrby", "i7", "3", "1000"}) == ints({-25}));
  CHECK(r.run({"GET", "k"}) == bulk("\xf9\xff\xff\xff\xff\xff\xff\xfe"));
}

TEST_CASE("BITFIELD that changes nothing is not a write", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "8", "9"}) == ints({0}));
  const std::uint64_t before = r.shard().writes().modifications();
  CHECK(r.run({"BITFIELD", "k", "set", "u8", "8", "9", "incrby", "u4", "0", "0", "overflow", "fail",
               "incrby", "u8", "8", "255", "get", "u16", "0"}) ==
        array({integer(9), integer(0), kNil, integer(9)}));
  CHECK(r.shard().writes().modifications() == before);
  // The first changing operation turns the rest into writes; earlier replies stand.
  CHECK(r.run({"BITFIELD", "k", "get", "u8", "8", "incrby", "u8", "8", "1", "get", "u8", "8"}) ==
        ints({9, 10, 10}));
  CHECK(r.shard().writes().modifications() > before);
}

TEST_CASE("BITFIELD_RO", "[bitmap]") {
  CommandRunner r;
  CHECK(r.run({"SET", "k", "\x80"}) == kOk);
  CHECK(r.run({"BITFIELD_RO", "k", "get", "u8", "0", "set", "u8", "0", "1"}) ==
        err("ERR BITFIELD_RO only supports the GET subcommand"));
  CHECK(r.run({"BITFIELD_RO", "k", "set", "u8", "0", "1"}) ==
        err("ERR BITFIELD_RO only supports the GET subcommand"));
  CHECK(r.run({"BITFIELD_RO", "k", "get", "u8", "0", "get", "i4", "#0"}) == ints({128, -8}));
  CHECK(r.run({"BITFIELD_RO", "k"}) == array({}));
  CHECK(r.run({"BITFIELD_RO", "k", "foo"}) == kSyntax);
  put_opaque_list(r, "l");
  CHECK(r.run({"BITFIELD_RO", "l", "get", "u8", "0"}) == kWrongType);
}
