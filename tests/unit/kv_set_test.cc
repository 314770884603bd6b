// The set value and its two forms against std::set models: Intset (sorted integers at 2, 4 or 8
// bytes), StringHashSet (Robin Hood hash set with hash-ordered SSCAN cursors) and SetValue
// (intset -> hashtable conversion, digest, clone, rebuild).

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/kv/hash_seed.h"
#include "engine/kv/intset.h"
#include "engine/kv/set_value.h"
#include "engine/kv/string_hash_set.h"
#include "engine/rng.h"

namespace {

using eddy::Rng;
using eddy::kv::Intset;
using eddy::kv::SetValue;
using eddy::kv::StringHashSet;

std::set<std::string> members_of(const StringHashSet& s) {
  std::set<std::string> out;
  s.for_each([&](std::string_view m) { out.emplace(m); });
  return out;
}

std::set<std::string> members_of(const SetValue& s) {
  std::set<std::string> out;
  s.for_each([&](std::string_view m) { out.emplace(m); });
  return out;
}

// Every member, by SSCAN calls of `count` until the cursor comes back to 0.
std::multiset<std::string> scan_all(const StringHashSet& s, std::size_t count) {
  std::multiset<std::string> out;
  std::uint64_t cursor = 0;
  std::size_t calls = 0;
  do {
    cursor = s.scan(cursor, count, [&](std::string_view m) { out.emplace(m); });
    ++calls;
    REQUIRE(calls < 1'000'000);
  } while (cursor != 0);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Intset

TEST_CASE("intset: widths grow 2 -> 4 -> 8 bytes and never narrow", "[set]") {
  Intset s;
  CHECK(s.width() == 2);
  CHECK(s.insert(5));
  CHECK(s.insert(-32768));
  CHECK_FALSE(s.insert(5));
  CHECK(s.width() == 2);
  CHECK(s.insert(32768));
  CHECK(s.width() == 4);
  CHECK(s.insert(std::numeric_limits<std::int64_t>::min()));
  CHECK(s.width() == 8);
  CHECK(s.at(0) == std::numeric_limits<std::int64_t>::min());
  CHECK(s.at(1) == -32768);
  CHECK(s.at(2) == 5);
  CHECK(s.at(3) == 32768);
  CHECK(s.contains(32768));
  CHECK_FALSE(s.contains(std::numeric_limits<std::int64_t>::max()));
  CHECK(s.erase(std::numeric_limits<std::int64_t>::min()));
  CHECK(s.width() == 8);
  CHECK(s.heap_bytes() % 8 == 0);
  s.check_invariants();
  Intset copy = s.clone();
  CHECK(copy.size() == 3);
  CHECK(copy.width() == 8);
  CHECK(copy.heap_bytes() == 3 * 8);
}

TEST_CASE("intset: any sequence of inserts and erases matches a std::set", "[set][property]") {
  rc::prop("intset vs std::set", [] {
    const auto values = rc::gen::oneOf(
        rc::gen::inRange<std::int64_t>(-40, 40),
        rc::gen::element<std::int64_t>(32767, 32768, -32769, 2147483647, 2147483648LL,
                                       -2147483649LL, std::numeric_limits<std::int64_t>::max(),
                                       std::numeric_limits<std::int64_t>::min()));
    const auto ops = *rc::gen::container<std::vector<std::tuple<bool, std::int64_t>>>(
        rc::gen::tuple(rc::gen::arbitrary<bool>(), values));
    Intset s;
    std::set<std::int64_t> model;
    for (const auto& [insert, v] : ops) {
      if (insert) {
        RC_ASSERT(s.insert(v) == model.insert(v).second);
      } else {
        RC_ASSERT(s.erase(v) == (model.erase(v) == 1));
      }
      s.check_invariants();
      RC_ASSERT(s.size() == model.size());
      RC_ASSERT(s.heap_bytes() >= s.size() * s.width());
    }
    std::size_t i = 0;
    for (std::int64_t v : model) {
      RC_ASSERT(s.at(i++) == v);
      RC_ASSERT(s.contains(v));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// StringHashSet

TEST_CASE("string hash set: grows and shrinks, exact heap bytes, every member findable", "[set]") {
  StringHashSet s;
  CHECK(s.heap_bytes() == 0);
  const std::string long_prefix(40, 'x');
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(s.insert((i % 3 == 0 ? long_prefix : std::string()) + std::to_string(i)));
  }
  s.check_invariants();
  CHECK(s.size() == 5000);
  CHECK(s.capacity() >= 5000);
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(s.contains((i % 3 == 0 ? long_prefix : std::string()) + std::to_string(i)));
  }
  CHECK_FALSE(s.contains("nope"));
  for (int i = 0; i < 4990; ++i) {
    REQUIRE(s.erase((i % 3 == 0 ? long_prefix : std::string()) + std::to_string(i)));
  }
  s.check_invariants();
  CHECK(s.size() == 10);
  CHECK(s.capacity() <= 64);
  StringHashSet copy = s.clone();
  copy.check_invariants();
  CHECK(members_of(copy) == members_of(s));
  CHECK(copy.heap_bytes() == s.heap_bytes());
  for (int i = 4990; i < 5000; ++i) {
    REQUIRE(s.erase((i % 3 == 0 ? long_prefix : std::string()) + std::to_string(i)));
  }
  CHECK(s.size() == 0);
  CHECK(s.heap_bytes() == 0);
}

TEST_CASE("string hash set: operations match a std::set model", "[set][property]") {
  rc::prop("hash set vs std::set", [] {
    const auto member = rc::gen::oneOf(
        rc::gen::map(rc::gen::inRange(0, 300), [](int i) { return std::to_string(i); }),
        rc::gen::map(rc::gen::inRange(0, 50),
                     [](int i) { return std::string(30, 'm') + std::to_string(i); }),
        rc::gen::just(std::string()));
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, std::string>>>(
        rc::gen::tuple(rc::gen::inRange(0, 3), member));
    StringHashSet s;
    std::set<std::string> model;
    Rng rng(7);
    for (const auto& [op, m] : ops) {
      if (op == 0) {
        RC_ASSERT(s.insert(m) == model.insert(m).second);
      } else if (op == 1) {
        RC_ASSERT(s.erase(m) == (model.erase(m) == 1));
      } else {
        RC_ASSERT(s.contains(m) == (model.count(m) == 1));
        if (!model.empty()) RC_ASSERT(model.count(std::string(s.random_member(rng))) == 1);
      }
      RC_ASSERT(s.size() == model.size());
    }
    s.check_invariants();
    RC_ASSERT(members_of(s) == model);
    // A scan with no changes in between visits each member exactly once, whatever the count.
    for (std::size_t count : {1, 3, 10, 1000}) {
      const std::multiset<std::string> scanned = scan_all(s, count);
      RC_ASSERT(scanned == std::multiset<std::string>(model.begin(), model.end()));
    }
  });
}

TEST_CASE("string hash set: a scan sees every member present throughout, across resizes",
          "[set][property]") {
  rc::prop("scan guarantee", [] {
    const int stable_count = *rc::gen::inRange(0, 200);
    const auto churn = *rc::gen::container<std::vector<std::tuple<bool, int>>>(
        rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 2000)));
    const std::size_t count = *rc::gen::inRange<std::size_t>(1, 20);
    StringHashSet s;
    std::set<std::string> stable;
    for (int i = 0; i < stable_count; ++i) {
      stable.insert("s" + std::to_string(i));
      s.insert("s" + std::to_string(i));
    }
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    std::size_t step = 0;
    do {
      cursor = s.scan(cursor, count, [&](std::string_view m) { seen.emplace(m); });
      // Between calls, other members come and go, growing and shrinking the table.
      for (int k = 0; k < 20 && step < churn.size(); ++k, ++step) {
        const auto& [add, i] = churn[step];
        const std::string m = "c" + std::to_string(i);
        if (add) {
          s.insert(m);
        } else {
          s.erase(m);
        }
      }
    } while (cursor != 0);
    for (const std::string& m : stable) RC_ASSERT(seen.count(m) == 1);
  });
}

TEST_CASE("string hash set: random members are roughly uniform", "[set]") {
  StringHashSet s;
  for (int i = 0; i < 10; ++i) s.insert(std::to_string(i));
  Rng rng(42);
  std::map<std::string, int> counts;
  for (int i = 0; i < 10000; ++i) ++counts[std::string(s.random_member(rng))];
  CHECK(counts.size() == 10);
  for (const auto& [m, n] : counts) {
    CHECK(n > 800);
    CHECK(n < 1200);
  }
}

// ---------------------------------------------------------------------------------------------
// SetValue

TEST_CASE("set value: intset until a non-integer member or the entry limit", "[set]") {
  auto s = SetValue::for_first_member("1");
  CHECK(s->is_intset());
  CHECK(s->add("1", 4));
  CHECK(s->add("-2", 4));
  CHECK_FALSE(s->add("1", 4));
  // Not canonical integers: these are strings.
  CHECK_FALSE(s->contains("01"));
  CHECK_FALSE(s->contains("+1"));
  CHECK(s->contains("-2"));
  CHECK(s->add("3", 4));
  CHECK(s->add("4", 4));
  CHECK(s->is_intset());
  CHECK(s->encoding() == eddy::kv::Encoding::kIntset);
  CHECK(s->add("5", 4));  // five members > 4
  CHECK(s->encoding() == eddy::kv::Encoding::kHashtable);
  CHECK(members_of(*s) == std::set<std::string>{"-2", "1", "3", "4", "5"});
  // Never back, even when it would fit again.
  CHECK(s->remove("5"));
  CHECK_FALSE(s->is_intset());
  s->check_invariants();

  auto t = SetValue::for_first_member("a");
  CHECK_FALSE(t->is_intset());
  auto u = SetValue::for_first_member("7");
  CHECK(u->add("7", 512));
  CHECK(u->add("x", 512));
  CHECK_FALSE(u->is_intset());
  CHECK(members_of(*u) == std::set<std::string>{"7", "x"});
  CHECK(u->contains("7"));
  CHECK_FALSE(u->remove("8"));

  // set-max-intset-entries 0: the first integer already converts.
  auto z = SetValue::for_first_member("1");
  CHECK(z->add("1", 0));
  CHECK_FALSE(z->is_intset());
}

TEST_CASE("set value: digest depends on members only; clone and rebuild reproduce them", "[set]") {
  auto small = SetValue::for_first_member("1");
  auto large = SetValue::for_first_member("1");
  for (int i = 0; i < 100; ++i) {
    small->add(std::to_string(i * 7 - 300), 512);
    large->add(std::to_string(i * 7 - 300), 10);
  }
  REQUIRE(small->is_intset());
  REQUIRE_FALSE(large->is_intset());
  CHECK(small->digest() == large->digest());
  auto other = SetValue::for_first_member("1");
  for (int i = 0; i < 99; ++i) other->add(std::to_string(i * 7 - 300), 512);
  CHECK(other->digest() != small->digest());

  for (const SetValue* s : {small.get(), large.get()}) {
    auto copy = s->clone();
    CHECK(copy->encoding() == s->encoding());
    CHECK(copy->memory_bytes() <= s->memory_bytes());  // a cloned intset is sized to fit
    CHECK(copy->digest() == s->digest());
    // Rebuild: bounded SADD batches that together hold every member.
    std::set<std::string> rebuilt;
    std::size_t batches = 0;
    s->rebuild("k", [&](std::span<const std::string_view> args) {
      REQUIRE(args.size() >= 3);
      CHECK(args[0] == "SADD");
      CHECK(args[1] == "k");
      CHECK(args.size() <= 130);
      for (std::size_t i = 2; i < args.size(); ++i) rebuilt.emplace(args[i]);
      ++batches;
    });
    CHECK(batches == 1);
    CHECK(rebuilt == members_of(*s));
  }

  auto big = SetValue::for_first_member("a");
  for (int i = 0; i < 1000; ++i) big->add("m" + std::to_string(i), 512);
  std::size_t members = 0;
  std::size_t batches = 0;
  big->rebuild("k", [&](std::span<const std::string_view> args) {
    members += args.size() - 2;
    ++batches;
  });
  CHECK(members == 1000);
  CHECK(batches == 8);
}

TEST_CASE("set value: memory grows and shrinks with the members", "[set]") {
  auto s = SetValue::for_first_member("1");
  const std::size_t empty = s->memory_bytes();
  s->add("1", 512);
  CHECK(s->memory_bytes() > empty);
  s->remove("1");
  CHECK(s->memory_bytes() == empty);
  s->add("a", 512);
  s->add(std::string(100, 'b'), 512);
  CHECK(s->memory_bytes() >= empty + 100);
  s->remove(std::string(100, 'b'));
  s->remove("a");
  CHECK(s->memory_bytes() == empty);
}

TEST_CASE("StringHashSet keeps the seed it was made with when the process seed changes",
          "[kv][set]") {
  eddy::kv::set_collection_hash_seed(11);
  StringHashSet set;
  for (int i = 0; i < 500; ++i) REQUIRE(set.insert("m" + std::to_string(i)));
  eddy::kv::set_collection_hash_seed(12);  // a second engine in the same process
  StringHashSet moved = std::move(set);
  StringHashSet copy = moved.clone();
  for (int i = 0; i < 500; ++i) {
    CHECK(moved.contains("m" + std::to_string(i)));
    CHECK(copy.contains("m" + std::to_string(i)));
  }
  for (int i = 500; i < 1000; ++i) CHECK(moved.insert("m" + std::to_string(i)));
  for (int i = 0; i < 1000; i += 2) CHECK(moved.erase("m" + std::to_string(i)));
  CHECK(moved.size() == 500);
  moved.check_invariants();
  copy.check_invariants();
  eddy::kv::set_collection_hash_seed(0);
}
