// The write-path replay property over bitmap and HyperLogLog commands: random streams of
// SETBIT, BITOP, BITFIELD, PFADD, PFMERGE (and the reads and key commands around them) run on a
// primary; their effects, replayed on an empty replica, must rebuild the same keyspace with
// exact memory after every command. Streams include hostile HLL strings, so that a PFADD that
// stops on a corrupt sparse form after changing some registers leaves the replica identical too.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/unit/support/replay_harness.h"

namespace {

using eddy::testing::effect_lines;
using eddy::testing::ReplayHarness;
using Args = std::vector<std::string>;

const std::string kSparseHeader = std::string("HYLL\x01\0\0\0", 8) + std::string(7, '\0') + "\x80";

// Strings that pass the HLL header check but whose sparse runs are wrong (short, or too many
// registers after a valid prefix).
std::vector<std::string> hostile_hlls() {
  return {
      kSparseHeader + std::string("\x7e\x7f", 2),      // XZERO 16000: short
      kSparseHeader + std::string("\x7f\xff\x88", 3),  // XZERO 16384 then a VAL
      kSparseHeader + std::string("\x7f\xff", 2),      // valid and empty
      kSparseHeader + std::string("\x7f\xfd\x85", 3),  // XZERO 16382, VAL 2 x2: valid
  };
}

rc::Gen<Args> bitmap_or_hll_command() {
  const auto key = rc::gen::element<std::string>("a", "b", "h", "g");
  const auto offset = rc::gen::element<std::string>("0", "1", "7", "8", "63", "100", "1000");
  const auto bit = rc::gen::element<std::string>("0", "1");
  const auto element = rc::gen::element<std::string>("x", "y", "z", "1", "2", "hello", "");
  const auto type = rc::gen::element<std::string>("u1", "u8", "i8", "u16", "i32", "i64", "u63");
  const auto field_offset = rc::gen::element<std::string>("0", "3", "#1", "13", "#40");
  const auto number = rc::gen::element<std::string>("0", "1", "-1", "127", "300",
                                                    "-9223372036854775808", "9223372036854775807");
  const auto overflow = rc::gen::element<std::string>("WRAP", "SAT", "FAIL");
  const auto op = rc::gen::element<std::string>("AND", "OR", "XOR");
  const auto hostile = rc::gen::elementOf(hostile_hlls());
  return rc::gen::oneOf(
      rc::gen::apply(
          [](std::string k, std::string o, std::string v) {
            return Args{"SETBIT", k, o, v};
          },
          key, offset, bit),
      rc::gen::apply(
          [](std::string k, std::string o) {
            return Args{"GETBIT", k, o};
          },
          key, offset),
      rc::gen::apply(
          [](std::string o, std::string d, std::string x, std::string y) {
            return Args{"BITOP", o, d, x, y};
          },
          op, key, key, key),
      rc::gen::apply(
          [](std::string d, std::string x) {
            return Args{"BITOP", "NOT", d, x};
          },
          key, key),
      rc::gen::apply(
          [](std::string k, std::string w, std::string t, std::string o, std::string n,
             std::string t2, std::string o2) {
            return Args{"BITFIELD", k, "OVERFLOW", w, "INCRBY", t, o, n, "GET", t2, o2};
          },
          key, overflow, type, field_offset, number, type, field_offset),
      rc::gen::apply([](std::string k, std::string t, std::string o,
                        std::string n) { return Args{"BITFIELD", k, "SET", t, o, n}; },
                     key, type, field_offset, number),
      rc::gen::apply(
          [](std::string k) {
            return Args{"BITCOUNT", k};
          },
          key),
      rc::gen::apply(
          [](std::string k, std::string e1, std::string e2) {
            return Args{"PFADD", k, e1, e2};
          },
          key, element, element),
      rc::gen::apply(
          [](std::string k, int base) {
            // Enough distinct elements to outgrow the sparse form now and then.
            Args args{"PFADD", k};
            for (int i = 0; i < 400; ++i) args.push_back(std::to_string(base * 1000 + i));
            return args;
          },
          key, rc::gen::inRange(0, 5)),
      rc::gen::apply(
          [](std::string d, std::string x, std::string y) {
            return Args{"PFMERGE", d, x, y};
          },
          key, key, key),
      rc::gen::apply(
          [](std::string k) {
            return Args{"PFCOUNT", k};
          },
          key),
      rc::gen::apply(
          [](std::string k) {
            return Args{"PFDEBUG", "TODENSE", k};
          },
          key),
      rc::gen::apply(
          [](std::string k, std::string bytes) {
            return Args{"SET", k, bytes};
          },
          key, hostile),
      rc::gen::apply(
          [](std::string k, std::string v) {
            return Args{"APPEND", k, v};
          },
          key, element),
      rc::gen::apply(
          [](std::string k) {
            return Args{"PEXPIRE", k, "5"};
          },
          key),
      rc::gen::apply(
          [](std::string k) {
            return Args{"DEL", k};
          },
          key),
      rc::gen::just(Args{"(advance)"}));
}

}  // namespace

TEST_CASE("replaying the effects of bitmap and HLL commands reproduces the keyspace",
          "[bitmap][hll][property]") {
  rc::prop("replica equals primary after every command", [] {
    ReplayHarness h;
    const auto commands = *rc::gen::container<std::vector<Args>>(bitmap_or_hll_command());
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

TEST_CASE("bitmap and HLL writes that change nothing have no effect", "[bitmap][hll]") {
  ReplayHarness h;
  h.run({"SETBIT", "b", "9", "1"});
  CHECK(effect_lines(h) == std::vector<std::string>{"SETBIT b 9 1"});
  h.run({"SETBIT", "b", "9", "1"});
  CHECK(effect_lines(h).empty());
  h.run({"BITFIELD", "b", "SET", "u8", "0", "0", "GET", "u4", "4"});
  CHECK(effect_lines(h).empty());
  h.run({"BITFIELD", "b", "INCRBY", "u8", "0", "1"});
  CHECK(effect_lines(h) == std::vector<std::string>{"BITFIELD b INCRBY u8 0 1"});
  h.run({"BITOP", "AND", "d", "nokey"});
  CHECK(effect_lines(h).empty());
  h.run({"BITOP", "OR", "d", "b"});
  CHECK(effect_lines(h) == std::vector<std::string>{"BITOP OR d b"});
  h.run({"PFADD", "h", "a", "b"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PFADD h a b"});
  h.run({"PFADD", "h", "b", "a"});
  CHECK(effect_lines(h).empty());
  h.run({"PFCOUNT", "h"});  // stores the estimate in the header: propagated as itself
  CHECK(effect_lines(h) == std::vector<std::string>{"PFCOUNT h"});
  h.run({"PFCOUNT", "h"});  // the cache is current: nothing changes
  CHECK(effect_lines(h).empty());
  h.run({"PFMERGE", "h2", "h"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PFMERGE h2 h"});
  h.run({"PFDEBUG", "TODENSE", "h2"});
  CHECK(effect_lines(h) == std::vector<std::string>{"PFDEBUG TODENSE h2"});
  h.run({"PFDEBUG", "TODENSE", "h2"});
  CHECK(effect_lines(h).empty());
}
