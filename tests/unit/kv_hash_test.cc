// FieldTable and HashValue against a std::map model: contents, exact memory, structure through
// incremental rehashes, the scan guarantee, encoding conversion, digest, clone and rebuild.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/kv/field_table.h"
#include "engine/kv/hash_value.h"
#include "engine/rng.h"

namespace {

using eddy::Rng;
using eddy::kv::Encoding;
using eddy::kv::FieldTable;
using eddy::kv::HashValue;
using Model = std::map<std::string, std::string>;

Model contents(const FieldTable& table) {
  Model out;
  table.for_each([&](std::string_view f, std::string_view v) {
    const bool fresh = out.emplace(std::string(f), std::string(v)).second;
    REQUIRE(fresh);
  });
  return out;
}

Model contents(const HashValue& hash) {
  Model out;
  hash.for_each([&](std::string_view f, std::string_view v) {
    const bool fresh = out.emplace(std::string(f), std::string(v)).second;
    REQUIRE(fresh);
  });
  return out;
}

std::string field_name(int i) {
  return "field:" + std::to_string(i);
}

const HashValue::Limits kDefaultLimits{128, 64};

}  // namespace

TEST_CASE("FieldTable matches a map model, with exact memory, through rehashes", "[kv][hash]") {
  rc::prop("random inserts, overwrites and erases", [] {
    FieldTable table;
    Model model;
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(0, 300), rc::gen::inRange(0, 40)));
    for (const auto& [op, key, length] : ops) {
      const std::string field = field_name(key);
      if (op < 2) {
        const std::string value(static_cast<std::size_t>(length),
                                static_cast<char>('a' + key % 26));
        RC_ASSERT(table.set(field, value) == (model.count(field) == 0));
        model[field] = value;
      } else {
        RC_ASSERT(table.erase(field) == (model.erase(field) == 1));
      }
      RC_ASSERT(table.size() == model.size());
      RC_ASSERT(table.heap_bytes() == table.walk_heap_bytes());
      RC_ASSERT(table.structure_valid());
    }
    RC_ASSERT(contents(table) == model);
    for (const auto& [field, value] : model) {
      std::string_view found;
      RC_ASSERT(table.find(field, &found));
      RC_ASSERT(found == value);
    }
    std::string_view unused;
    RC_ASSERT(!table.find("absent", &unused));
  });
}

TEST_CASE("FieldTable grows and shrinks incrementally and frees everything when emptied",
          "[kv][hash]") {
  FieldTable table;
  CHECK(table.heap_bytes() == 0);
  bool saw_rehash = false;
  for (int i = 0; i < 5000; ++i) {
    table.set(field_name(i), "v");
    saw_rehash = saw_rehash || table.rehashing();
    REQUIRE(table.structure_valid());
  }
  CHECK(saw_rehash);
  CHECK(table.size() == 5000);
  CHECK(table.heap_bytes() == table.walk_heap_bytes());
  const std::size_t full = table.heap_bytes();
  for (int i = 0; i < 4990; ++i) {
    REQUIRE(table.erase(field_name(i)));
    REQUIRE(table.structure_valid());
    REQUIRE(table.heap_bytes() == table.walk_heap_bytes());
  }
  // Shrunk: the bucket arrays follow the entries down.
  CHECK(table.heap_bytes() < full / 100);
  for (int i = 4990; i < 5000; ++i) REQUIRE(table.erase(field_name(i)));
  CHECK(table.empty());
  CHECK(table.heap_bytes() == 0);
}

TEST_CASE("FieldTable scan returns every field present throughout, across resizes", "[kv][hash]") {
  rc::prop("fields present for the whole scan are returned", [] {
    // Fields come from a bounded pool, so the table (and the scan) stays bounded while it
    // grows, shrinks or churns between the calls of one scan.
    constexpr int kPool = 2000;
    FieldTable table;
    const int initial = *rc::gen::inRange(0, kPool);
    for (int i = 0; i < initial; ++i) table.set(field_name(i), "x");
    // Between calls: bursts of inserts only, erases only, or both.
    const int mode = *rc::gen::inRange(0, 3);
    std::set<std::string> erased;
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    int steps = 0;
    do {
      cursor = table.scan(cursor, [&](std::string_view f, std::string_view) { seen.emplace(f); });
      const int burst = *rc::gen::inRange(0, 40);
      for (int i = 0; i < burst; ++i) {
        const std::string field = field_name(*rc::gen::inRange(0, kPool));
        const bool insert = mode == 0 || (mode == 2 && *rc::gen::arbitrary<bool>());
        if (insert) {
          table.set(field, "y");
        } else if (table.erase(field)) {
          erased.insert(field);
        }
      }
      RC_ASSERT(table.structure_valid());
      RC_ASSERT(++steps < 100'000);
    } while (cursor != 0);
    for (int i = 0; i < initial; ++i) {
      const std::string field = field_name(i);
      if (erased.count(field) == 0) RC_ASSERT(seen.count(field) == 1u);
    }
  });
}

TEST_CASE("FieldTable random reaches every field", "[kv][hash]") {
  FieldTable table;
  for (int i = 0; i < 50; ++i) table.set(field_name(i), std::to_string(i));
  Rng rng(7);
  std::set<std::string> picked;
  for (int i = 0; i < 5000; ++i) {
    const auto [field, value] = table.random(rng);
    std::string_view stored;
    REQUIRE(table.find(field, &stored));
    REQUIRE(stored == value);
    picked.emplace(field);
  }
  CHECK(picked.size() == 50);
}

TEST_CASE("HashValue converts to a hashtable at the thresholds, never back", "[kv][hash]") {
  SECTION("by entries") {
    HashValue hash;
    for (int i = 0; i < 128; ++i) CHECK(hash.set(field_name(i), "v", kDefaultLimits));
    CHECK(hash.encoding() == Encoding::kListpack);
    CHECK(hash.set("one more", "v", kDefaultLimits));
    CHECK(hash.encoding() == Encoding::kHashtable);
    CHECK(hash.size() == 129);
    for (int i = 0; i < 128; ++i) CHECK(hash.erase(field_name(i)));
    CHECK(hash.encoding() == Encoding::kHashtable);
    CHECK(hash.size() == 1);
  }
  SECTION("by a long field or value") {
    HashValue by_value;
    by_value.set("f", std::string(64, 'x'), kDefaultLimits);
    CHECK(by_value.encoding() == Encoding::kListpack);
    by_value.set("g", std::string(65, 'x'), kDefaultLimits);
    CHECK(by_value.encoding() == Encoding::kHashtable);
    HashValue by_field;
    by_field.set(std::string(65, 'f'), "v", kDefaultLimits);
    CHECK(by_field.encoding() == Encoding::kHashtable);
    CHECK(contents(by_field) == Model{{std::string(65, 'f'), "v"}});
  }
  SECTION("zero limits") {
    HashValue hash;
    hash.set("f", "v", HashValue::Limits{0, 64});
    CHECK(hash.encoding() == Encoding::kHashtable);
  }
}

TEST_CASE("HashValue matches a map model in both encodings", "[kv][hash]") {
  rc::prop("operations, memory, digest, clone and rebuild", [] {
    const HashValue::Limits limits{*rc::gen::inRange<std::size_t>(0, 20),
                                   *rc::gen::inRange<std::size_t>(0, 12)};
    HashValue hash;
    Model model;
    const auto ops = *rc::gen::container<std::vector<std::tuple<bool, int, int>>>(rc::gen::tuple(
        rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 40), rc::gen::inRange(0, 16)));
    for (const auto& [insert, key, length] : ops) {
      const std::string field = "f" + std::to_string(key);
      if (insert) {
        const std::string value(static_cast<std::size_t>(length), 'v');
        RC_ASSERT(hash.set(field, value, limits) == (model.count(field) == 0));
        model[field] = value;
      } else {
        RC_ASSERT(hash.erase(field) == (model.erase(field) == 1));
      }
      RC_ASSERT(hash.size() == model.size());
      if (hash.is_listpack()) {
        RC_ASSERT(hash.size() <= limits.max_entries);
      }
    }
    RC_ASSERT(contents(hash) == model);

    // The digest depends on contents only: a hash built in another order, in the other
    // encoding, digests the same.
    HashValue reversed;
    const HashValue::Limits opposite =
        hash.is_listpack() ? HashValue::Limits{0, 0} : HashValue::Limits{1000, 1000};
    for (auto it = model.rbegin(); it != model.rend(); ++it)
      reversed.set(it->first, it->second, opposite);
    if (!model.empty()) RC_ASSERT(reversed.encoding() != hash.encoding());
    RC_ASSERT(reversed.digest() == hash.digest());

    auto copy = hash.clone();
    const auto& cloned = static_cast<const HashValue&>(*copy);
    RC_ASSERT(cloned.encoding() == hash.encoding());
    RC_ASSERT(contents(cloned) == model);
    RC_ASSERT(cloned.digest() == hash.digest());

    Model rebuilt;
    std::size_t commands = 0;
    hash.rebuild("key", [&](std::span<const std::string_view> args) {
      ++commands;
      RC_ASSERT(args.size() >= 4u);
      RC_ASSERT(args.size() % 2 == 0);
      RC_ASSERT(args.size() <= 2 + 2 * HashValue::kRebuildPairs);
      RC_ASSERT(args[0] == "HSET");
      RC_ASSERT(args[1] == "key");
      for (std::size_t i = 2; i < args.size(); i += 2) rebuilt[std::string(args[i])] = args[i + 1];
    });
    RC_ASSERT(rebuilt == model);
    RC_ASSERT(commands == (model.size() + HashValue::kRebuildPairs - 1) / HashValue::kRebuildPairs);
  });
}

TEST_CASE("HashValue memory is exact", "[kv][hash]") {
  HashValue hash;
  CHECK(hash.memory_bytes() == sizeof(HashValue));
  hash.set("f", "v", kDefaultLimits);
  CHECK(hash.memory_bytes() > sizeof(HashValue));
  for (int i = 0; i < 300; ++i)
    hash.set(field_name(i), std::string(static_cast<std::size_t>(i % 50), 'v'), kDefaultLimits);
  REQUIRE(hash.encoding() == Encoding::kHashtable);
  // The table's part is checked against a walk in the FieldTable tests; here, the sum.
  std::size_t nodes = 0;
  hash.for_each([&](std::string_view f, std::string_view v) {
    nodes += FieldTable::node_bytes(f.size(), v.size());
  });
  CHECK(hash.memory_bytes() > sizeof(HashValue) + sizeof(FieldTable) + nodes);
}

TEST_CASE("HashValue random draws", "[kv][hash]") {
  for (const HashValue::Limits limits : {kDefaultLimits, HashValue::Limits{0, 0}}) {
    HashValue hash;
    for (int i = 0; i < 30; ++i) hash.set(field_name(i), std::to_string(i), limits);
    Rng rng(11);
    std::set<std::string> picked;
    hash.random_pairs(3000, rng, [&](std::string_view f, std::string_view v) {
      REQUIRE(f == field_name(std::stoi(std::string(v))));
      picked.emplace(f);
    });
    CHECK(picked.size() == 30);
    for (std::size_t count : {1u, 5u, 9u, 10u, 11u, 29u}) {
      std::set<std::string> distinct;
      std::size_t emitted = 0;
      hash.random_distinct_pairs(count, rng, [&](std::string_view f, std::string_view) {
        distinct.emplace(f);
        ++emitted;
      });
      CHECK(emitted == count);
      CHECK(distinct.size() == count);
    }
  }
}
