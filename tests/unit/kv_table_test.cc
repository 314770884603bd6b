// Table against a std::map model, plus the SCAN / walk / random_entry contracts.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <xxhash.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/engine.h"
#include "engine/kv/hash_seed.h"
#include "engine/kv/hash_value.h"
#include "engine/kv/table.h"
#include "tests/unit/support/fake_runtime.h"

namespace {

using eddy::kv::Entry;
using eddy::kv::Table;
using eddy::kv::Value;

std::uint64_t position_of(const std::string& key) {
  return XXH3_64bits(key.data(), key.size()) >> 16;
}

std::string value_text(const Entry& entry) {
  char scratch[Value::kIntScratchBytes];
  return std::string(entry.value.view(scratch));
}

// Keys from a tiny alphabet: few distinct keys, so the same ones are inserted, erased and
// re-inserted over and over (tombstones, slot reuse). Some are long (heap-allocated keys).
std::string small_key(int i) {
  std::string key;
  for (int n = i + 2; n > 1; n /= 2) key += static_cast<char>('a' + n % 2);
  if (i % 7 == 3) key += std::string(20, 'L');
  return key;
}

std::string large_key(int i) {
  std::string key = "key:" + std::to_string(i);
  if (i % 5 == 0) key += ":a-longer-suffix-that-spills-to-the-heap";
  return key;
}

std::string value_for(int v) {
  switch (v % 4) {
    case 0:
      return std::to_string(v * 7919 - 50000);  // int-encoded
    case 1:
      return "v" + std::to_string(v);
    case 2:
      return std::string(256, static_cast<char>('a' + v % 26));
    default:
      return std::string(static_cast<std::size_t>(v % 40), 'x');
  }
}

std::map<std::string, std::string> contents_by_scan(const Table& table, std::size_t count) {
  std::map<std::string, std::string> seen;
  std::uint64_t cursor = 0;
  do {
    cursor = table.scan(cursor, count, [&](const Entry& entry) {
      const bool fresh = seen.emplace(std::string(entry.key.view()), value_text(entry)).second;
      REQUIRE(fresh);
    });
  } while (cursor != 0);
  return seen;
}

// Applies op (kind, key, value) to both the table and the model; returns false on mismatch.
void apply_op(Table& table, std::map<std::string, std::string>& model, int kind,
              const std::string& key, int v) {
  switch (kind) {
    case 0:
    case 1:
    case 2: {  // SET
      auto [entry, inserted] = table.find_or_insert(key);
      RC_ASSERT(inserted == (model.count(key) == 0));
      if (inserted) {
        RC_ASSERT(entry->value.string_length() == 0u);
        RC_ASSERT(entry->expire_at_ms() == 0);
      }
      RC_ASSERT(entry->key.view() == key);
      entry->value.set_string(value_for(v));
      model[key] = value_for(v);
      break;
    }
    case 3: {  // DEL by key
      RC_ASSERT(table.erase(key) == (model.erase(key) == 1));
      break;
    }
    case 4: {  // DEL through the entry
      Entry* entry = table.find(key);
      RC_ASSERT((entry != nullptr) == (model.count(key) == 1));
      if (entry != nullptr) {
        table.erase(entry);
        model.erase(key);
      }
      break;
    }
    case 5: {  // APPEND
      auto [entry, inserted] = table.find_or_insert(key);
      (void)inserted;
      entry->value.mutable_string().append("+");
      model[key] += "+";
      break;
    }
    case 6: {  // clear, rarely
      if (v % 16 == 0) {
        table.clear();
        model.clear();
      }
      break;
    }
    default: {  // GET
      const Entry* entry = static_cast<const Table&>(table).find(key);
      auto it = model.find(key);
      RC_ASSERT((entry != nullptr) == (it != model.end()));
      if (entry != nullptr) RC_ASSERT(value_text(*entry) == it->second);
      break;
    }
  }
  RC_ASSERT(table.size() == model.size());
}

// Everything observable about a table's layout: scan and walk order and cursors, structure.
std::vector<std::string> trace(Table& table, std::size_t count) {
  std::vector<std::string> out;
  std::uint64_t cursor = 0;
  do {
    cursor = table.scan(cursor, count, [&](const Entry& e) { out.emplace_back(e.key.view()); });
    out.push_back("scan cursor " + std::to_string(cursor));
  } while (cursor != 0);
  do {
    cursor = table.walk(cursor, count, [&](Entry& e) {
      out.emplace_back(e.key.view());
      return false;
    });
    out.push_back("walk cursor " + std::to_string(cursor));
  } while (cursor != 0);
  for (std::uint64_t random = 0; random < 20; ++random) {
    const Entry* entry = table.random_entry(random);
    out.emplace_back(entry == nullptr ? "none" : entry->key.view());
  }
  out.push_back("segments " + std::to_string(table.segment_count()) + " depth " +
                std::to_string(table.global_depth()) + " memory " +
                std::to_string(table.memory_bytes()));
  return out;
}

}  // namespace

TEST_CASE("Table: empty tables allocate nothing", "[kv]") {
  STATIC_REQUIRE(sizeof(Entry) == 48);
  Table table;
  REQUIRE(table.size() == 0);
  REQUIRE(table.memory_bytes() == 0);
  REQUIRE(table.segment_count() == 0);
  REQUIRE(table.find("x") == nullptr);
  REQUIRE_FALSE(table.erase("x"));
  REQUIRE(table.random_entry(42) == nullptr);
  REQUIRE(table.scan(0, 10, [](const Entry&) { FAIL("visited"); }) == 0);
  REQUIRE(table.walk(0, 10, [](Entry&) -> bool {
    FAIL("visited");
    return false;
  }) == 0);
  table.check_invariants();

  auto [entry, inserted] = table.find_or_insert("x");
  REQUIRE(inserted);
  REQUIRE(table.segment_count() == 1);
  REQUIRE(table.memory_bytes() > 0);
  REQUIRE(table.memory_bytes() < 2048);  // one 16-slot segment
  REQUIRE(table.find("x") == entry);
  table.clear();
  REQUIRE(table.memory_bytes() == 0);
  REQUIRE(table.find("x") == nullptr);
  table.check_invariants();
}

TEST_CASE("Table: model check with a tiny key space", "[kv]") {
  rc::prop("insert/erase/find/overwrite/clear", [] {
    Table table;
    std::map<std::string, std::string> model;
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        rc::gen::tuple(rc::gen::inRange(0, 8), rc::gen::inRange(0, 40), rc::gen::inRange(0, 1000)));
    for (const auto& [kind, k, v] : ops) {
      apply_op(table, model, kind, small_key(k), v);
      table.check_invariants();
    }
    RC_ASSERT(contents_by_scan(table, 3) == model);
  });
}

TEST_CASE("Table: model check with many keys (splits and merges)", "[kv]") {
  rc::prop("long random sequences", [] {
    Table table;
    std::map<std::string, std::string> model;
    const int key_space = *rc::gen::element(500, 5000, 50000);
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        *rc::gen::inRange<std::size_t>(0, 6000),
        rc::gen::tuple(
            rc::gen::weightedOneOf<int>(
                {{6, rc::gen::just(0)}, {3, rc::gen::inRange(3, 5)}, {2, rc::gen::inRange(5, 8)}}),
            rc::gen::inRange(0, key_space), rc::gen::inRange(0, 1000)));
    std::size_t step = 0;
    for (const auto& [kind, k, v] : ops) {
      apply_op(table, model, kind, large_key(k), v);
      if (++step % 512 == 0) table.check_invariants();
    }
    table.check_invariants();
    RC_ASSERT(contents_by_scan(table, 100) == model);
    // Erase everything: merges all the way back down to one small segment.
    for (const auto& [key, value] : model) RC_ASSERT(table.erase(key));
    table.check_invariants();
    RC_ASSERT(table.size() == 0u);
    RC_ASSERT(table.segment_count() <= 1u);
    RC_ASSERT(table.global_depth() == 0u);
  });
}

// A key gains and loses its deadline by moving between the two entry forms (Entry and
// VolatileEntry): the key, the value (strings and collections alike) and every other entry
// stay as they were, the volatile count follows, and the O(1) structure bytes agree with a walk.
TEST_CASE("Table: deadlines move entries between forms and lose nothing", "[kv]") {
  rc::prop("insert/set_deadline/erase/clear against a model", [] {
    Table table;
    struct Modelled {
      std::string value;
      std::int64_t deadline = 0;
    };
    std::map<std::string, Modelled> model;
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        *rc::gen::inRange<std::size_t>(0, 3000),
        rc::gen::tuple(rc::gen::inRange(0, 6), rc::gen::inRange(0, 400),
                       rc::gen::inRange(0, 1000)));
    for (const auto& [kind, k, v] : ops) {
      const std::string key = large_key(k);
      if (kind <= 1) {  // write a value (keeping any deadline, as KEEPTTL does)
        Entry* entry = table.find_or_insert(key).first;
        entry->value.set_string(value_for(v));
        model[key].value = value_for(v);
      } else if (kind <= 3) {  // set or clear the deadline of an existing key
        Entry* entry = table.find(key);
        RC_ASSERT((entry != nullptr) == (model.count(key) == 1));
        if (entry == nullptr) continue;
        const std::int64_t at = v % 3 == 0 ? 0 : 1'700'000'000'000 + v;
        Entry* moved = table.set_deadline(entry, at);
        RC_ASSERT(moved->key.view() == key);
        RC_ASSERT(moved->expire_at_ms() == at);
        RC_ASSERT(moved->has_deadline() == (at != 0));
        RC_ASSERT(table.find(key) == moved);
        model[key].deadline = at;
      } else if (kind == 4) {
        RC_ASSERT(table.erase(key) == (model.erase(key) == 1));
      } else if (v % 64 == 0) {
        table.clear();
        model.clear();
      }
    }
    table.check_invariants();
    RC_ASSERT(table.size() == model.size());
    std::size_t volatile_keys = 0;
    std::size_t heap_bytes = 0;
    for (const auto& [key, modelled] : model) {
      const Entry* entry = static_cast<const Table&>(table).find(key);
      RC_ASSERT(entry != nullptr);
      RC_ASSERT(value_text(*entry) == modelled.value);
      RC_ASSERT(entry->expire_at_ms() == modelled.deadline);
      if (modelled.deadline != 0) ++volatile_keys;
      heap_bytes += entry->key.heap_bytes() + entry->value.memory_bytes();
    }
    RC_ASSERT(table.volatile_size() == volatile_keys);
    RC_ASSERT(table.memory_bytes() == table.structure_bytes() + heap_bytes);
  });
}

TEST_CASE("Table: a collection value survives its entry changing form", "[kv]") {
  Table table;
  Entry* entry = table.find_or_insert("h").first;
  entry->value = Value::of(std::make_unique<eddy::kv::HashValue>());
  entry->value.as<eddy::kv::HashValue>().set("f", "v", eddy::kv::HashValue::Limits{128, 64});
  const std::size_t before = table.memory_bytes();
  entry = table.set_deadline(entry, 42);
  REQUIRE(table.memory_bytes() == before + sizeof(eddy::kv::VolatileEntry) - sizeof(Entry));
  entry = table.set_deadline(entry, 0);
  REQUIRE(table.memory_bytes() == before);
  REQUIRE(entry->value.type() == eddy::kv::Type::kHash);
  REQUIRE(entry->value.as<eddy::kv::HashValue>().size() == 1);
  REQUIRE(table.volatile_size() == 0);
  entry = table.set_deadline(entry, 7);
  REQUIRE(entry->has_deadline());
  table.clear();  // frees the volatile form (ASan checks the sized delete)
  REQUIRE(table.volatile_size() == 0);
}

TEST_CASE("Table: 100k keys", "[kv]") {
  constexpr int kKeys = 100000;
  Table table;
  std::map<std::string, std::string> model;
  for (int i = 0; i < kKeys; ++i) {
    auto [entry, inserted] = table.find_or_insert(large_key(i));
    REQUIRE(inserted);
    entry->value.set_string(value_for(i));
    model[large_key(i)] = value_for(i);
  }
  table.check_invariants();
  REQUIRE(table.size() == kKeys);
  REQUIRE(table.segment_count() > 64);
  INFO("segments " << table.segment_count() << " depth " << table.global_depth());
  // The directory stays within a small factor of the segment count.
  REQUIRE((std::size_t{1} << table.global_depth()) <= 8 * table.segment_count());
  for (int i = 0; i < kKeys; ++i) {
    const Entry* entry = table.find(large_key(i));
    REQUIRE(entry != nullptr);
    REQUIRE(value_text(*entry) == model[large_key(i)]);
  }
  REQUIRE(table.find("key:-1") == nullptr);
  // Overwrite a third, erase half.
  for (int i = 0; i < kKeys; i += 3) {
    table.find_or_insert(large_key(i)).first->value.set_string("over");
    model[large_key(i)] = "over";
  }
  for (int i = 0; i < kKeys; i += 2) {
    REQUIRE(table.erase(large_key(i)));
    model.erase(large_key(i));
  }
  table.check_invariants();
  REQUIRE(contents_by_scan(table, 1000) == model);
  const std::size_t half_memory = table.memory_bytes();
  // Erase down to 100 keys: segments merge, memory shrinks.
  int left = 0;
  for (int i = 1; i < kKeys; i += 2) {
    if (++left <= 100) continue;
    REQUIRE(table.erase(large_key(i)));
    model.erase(large_key(i));
  }
  table.check_invariants();
  REQUIRE(table.size() == 100);
  REQUIRE(contents_by_scan(table, 7) == model);
  REQUIRE(table.segment_count() <= 4);
  REQUIRE(table.memory_bytes() < half_memory / 50);
  table.clear();
  REQUIRE(table.memory_bytes() == 0);
}

TEST_CASE("Table: SCAN visits each stable key exactly once under growth and shrink", "[kv]") {
  rc::prop("interleaved scan and mutations", [] {
    Table table;
    std::set<std::string> present;
    int next_key = 0;
    const int initial = *rc::gen::inRange(0, 4000);
    for (; next_key < initial; ++next_key) {
      table.find_or_insert(large_key(next_key));
      present.insert(large_key(next_key));
    }
    const std::set<std::string> at_start = present;
    std::set<std::string> ever_present = present;
    std::set<std::string> erased;  // erased at some point during the scan
    std::map<std::string, int> visits;

    std::mt19937_64 rng(*rc::gen::arbitrary<std::uint64_t>());
    std::uint64_t cursor = 0;
    std::size_t calls = 0;
    do {
      const std::size_t count = 1 + rng() % 60;
      std::vector<std::uint64_t> positions;
      const std::uint64_t next = table.scan(cursor, count, [&](const Entry& entry) {
        const std::string key(entry.key.view());
        ++visits[key];
        positions.push_back(position_of(key));
      });
      // Visited positions are in [cursor, next) and ascending.
      RC_ASSERT(std::is_sorted(positions.begin(), positions.end()));
      for (std::uint64_t p : positions) {
        RC_ASSERT(p >= cursor);
        if (next != 0) RC_ASSERT(p < next);
      }
      if (next != 0) RC_ASSERT(next > cursor);
      cursor = next;
      ++calls;
      // Mutate: bursts of inserts (splits, directory doubling) or erases (merges, halving).
      const int mode = static_cast<int>(rng() % 4);
      const int amount = static_cast<int>(rng() % (mode == 0 ? 2000 : 50));
      for (int i = 0; i < amount; ++i) {
        if (mode == 0 || mode == 1) {
          const std::string key = large_key(next_key++);
          table.find_or_insert(key);
          present.insert(key);
          ever_present.insert(key);
        } else if (!present.empty()) {
          auto it = present.begin();
          std::advance(it, static_cast<long>(rng() % std::min<std::size_t>(present.size(), 64)));
          if (mode == 3) it = std::prev(present.end());
          RC_ASSERT(table.erase(*it));
          erased.insert(*it);
          present.erase(it);
        }
      }
      if (mode == 2 && rng() % 8 == 0) {
        // Mass erase: most keys go, forcing merges across the table.
        for (auto it = present.begin(); it != present.end();) {
          if (rng() % 10 != 0) {
            RC_ASSERT(table.erase(*it));
            erased.insert(*it);
            it = present.erase(it);
          } else {
            ++it;
          }
        }
      }
      RC_ASSERT(calls < 100000u);
    } while (cursor != 0);
    table.check_invariants();
    for (const auto& [key, n] : visits) {
      RC_ASSERT(n == 1);  // nothing is ever visited twice
      RC_ASSERT(ever_present.count(key) == 1u);
    }
    for (const std::string& key : at_start) {
      if (erased.count(key) == 0) RC_ASSERT(visits.count(key) == 1u);
    }
  });
}

TEST_CASE("Table: SCAN count is respected", "[kv]") {
  Table table;
  for (int i = 0; i < 20000; ++i) table.find_or_insert(large_key(i));
  for (std::size_t count : {1u, 10u, 100u, 5000u}) {
    std::size_t calls = 0;
    std::size_t total = 0;
    std::uint64_t cursor = 0;
    do {
      std::size_t visited = 0;
      cursor = table.scan(cursor, count, [&](const Entry&) { ++visited; });
      // Ties at the last position may add a few; 48-bit positions practically never tie.
      REQUIRE(visited <= count + 2);
      total += visited;
      ++calls;
    } while (cursor != 0);
    REQUIRE(total == 20000);
    REQUIRE(calls <= 20000 / count + 2);
  }
}

TEST_CASE("Table: walk visits every entry at least once per pass, also while growing", "[kv]") {
  rc::prop("walk with inserts and expiry between calls", [] {
    Table table;
    std::set<std::string> present;
    int next_key = 0;
    const int initial = *rc::gen::inRange(0, 5000);
    for (; next_key < initial; ++next_key) {
      table.find_or_insert(large_key(next_key));
      present.insert(large_key(next_key));
    }
    std::mt19937_64 rng(*rc::gen::arbitrary<std::uint64_t>());
    // Keys whose number is divisible by 3 "expire" when the walk sees them.
    const auto expires = [](const std::string& key) { return std::stoi(key.substr(4)) % 3 == 0; };
    std::set<std::string> stable = present;  // present for the whole pass (until expired)
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    std::size_t calls = 0;
    do {
      const std::size_t slots_max = 1 + rng() % 300;
      cursor = table.walk(cursor, slots_max, [&](Entry& entry) {
        const std::string key(entry.key.view());
        RC_ASSERT(present.count(key) == 1u);
        seen.insert(key);
        if (expires(key)) {
          present.erase(key);
          return true;
        }
        return false;
      });
      ++calls;
      const int amount = static_cast<int>(rng() % 200);
      for (int i = 0; i < amount; ++i) {
        if (rng() % 4 != 0) {
          const std::string key = large_key(next_key++);
          table.find_or_insert(key);
          present.insert(key);
        } else if (!present.empty()) {
          auto it = present.begin();
          std::advance(it, static_cast<long>(rng() % std::min<std::size_t>(present.size(), 100)));
          RC_ASSERT(table.erase(*it));
          stable.erase(*it);
          present.erase(it);
        }
      }
      RC_ASSERT(calls < 1000000u);
    } while (cursor != 0);
    table.check_invariants();
    RC_ASSERT(table.size() == present.size());
    for (const std::string& key : stable) RC_ASSERT(seen.count(key) == 1u);
    for (const std::string& key : present) {
      if (stable.count(key) == 1) RC_ASSERT(!expires(key));
    }
  });
}

TEST_CASE("Table: walk erasing everything empties the table", "[kv]") {
  Table table;
  for (int i = 0; i < 30000; ++i) table.find_or_insert(large_key(i));
  std::size_t visited = 0;
  std::uint64_t cursor = 0;
  do {
    cursor = table.walk(cursor, 100, [&](Entry&) {
      ++visited;
      return true;
    });
  } while (cursor != 0);
  REQUIRE(visited == 30000);
  REQUIRE(table.size() == 0);
  table.check_invariants();
  REQUIRE(table.segment_count() <= 2);
}

TEST_CASE("Table: random_entry", "[kv]") {
  std::mt19937_64 rng(7);
  Table table;
  for (int i = 0; i < 10; ++i) table.find_or_insert(small_key(i));
  std::set<std::string> hit;
  for (int draw = 0; draw < 2000; ++draw) {
    Entry* entry = table.random_entry(rng());
    REQUIRE(entry != nullptr);
    REQUIRE(table.find(entry->key.view()) == entry);
    hit.insert(std::string(entry->key.view()));
  }
  REQUIRE(hit.size() == 10);

  // A large table, then erased down to a few keys scattered over what is left.
  for (int i = 0; i < 50000; ++i) table.find_or_insert(large_key(i));
  std::unordered_map<std::string, int> counts;
  for (int draw = 0; draw < 100000; ++draw) {
    Entry* entry = table.random_entry(rng());
    REQUIRE(entry != nullptr);
    ++counts[std::string(entry->key.view())];
  }
  // Roughly uniform: no key is drawn far more often than average (2 per key).
  int most = 0;
  for (const auto& [key, n] : counts) most = std::max(most, n);
  REQUIRE(most < 40);
  REQUIRE(counts.size() > 25000);
  for (int i = 0; i < 50000; ++i) {
    if (i % 5000 != 0) table.erase(large_key(i));
  }
  for (int i = 0; i < 10; ++i) table.erase(small_key(i));
  REQUIRE(table.size() == 10);
  hit.clear();
  for (int draw = 0; draw < 5000; ++draw) {
    Entry* entry = table.random_entry(rng());
    REQUIRE(entry != nullptr);
    hit.insert(std::string(entry->key.view()));
  }
  REQUIRE(hit.size() == 10);
}

TEST_CASE("Table: layout and order depend only on the operations", "[kv]") {
  rc::prop("two tables fed the same operations scan and walk identically", [] {
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        *rc::gen::inRange<std::size_t>(0, 5000),
        rc::gen::tuple(rc::gen::inRange(0, 5), rc::gen::inRange(0, 3000),
                       rc::gen::inRange(0, 1000)));
    Table a;
    Table b;
    std::map<std::string, std::string> model_a;
    std::map<std::string, std::string> model_b;
    for (const auto& [kind, k, v] : ops) {
      apply_op(a, model_a, kind, large_key(k), v);
      apply_op(b, model_b, kind, large_key(k), v);
    }
    const std::size_t count = *rc::gen::inRange<std::size_t>(1, 50);
    RC_ASSERT(trace(a, count) == trace(b, count));
  });
}

TEST_CASE("Table: scan order depends only on the set of keys", "[kv]") {
  Table forward;
  Table backward;
  for (int i = 0; i < 3000; ++i) forward.find_or_insert(large_key(i));
  for (int i = 2999; i >= 0; --i) backward.find_or_insert(large_key(i));
  std::vector<std::string> order_forward;
  std::vector<std::string> order_backward;
  std::uint64_t cursor = 0;
  do {
    cursor = forward.scan(
        cursor, 10, [&](const Entry& e) { order_forward.push_back(std::string(e.key.view())); });
  } while (cursor != 0);
  do {
    cursor = backward.scan(
        cursor, 10, [&](const Entry& e) { order_backward.push_back(std::string(e.key.view())); });
  } while (cursor != 0);
  REQUIRE(order_forward.size() == 3000);
  REQUIRE(order_forward == order_backward);
}

TEST_CASE("Table: overwriting a 256-byte value does not allocate", "[kv]") {
  Table table;
  for (int i = 0; i < 1000; ++i) {
    table.find_or_insert(large_key(i)).first->value.set_string(std::string(256, 'a'));
  }
  const std::size_t memory = table.memory_bytes();
  std::vector<const char*> buffers;
  char scratch[Value::kIntScratchBytes];
  for (int i = 0; i < 1000; ++i)
    buffers.push_back(table.find(large_key(i))->value.view(scratch).data());
  // The SET path: look up (short keys: no allocation), overwrite with an equal-size value.
  const std::string replacement(256, 'b');
  for (int i = 0; i < 1000; ++i) {
    auto [entry, inserted] = table.find_or_insert(large_key(i));
    REQUIRE_FALSE(inserted);
    entry->value.set_string(replacement);
  }
  for (int i = 0; i < 1000; ++i) {
    const Entry* entry = table.find(large_key(i));
    // Same buffer: assign reused it (a fresh malloc happens before the old buffer is freed,
    // so it could not have returned the same address).
    REQUIRE(entry->value.view(scratch).data() == buffers[static_cast<std::size_t>(i)]);
    REQUIRE(entry->value.view(scratch) == replacement);
  }
  REQUIRE(table.memory_bytes() == memory);
}

TEST_CASE("Table: swap and move", "[kv]") {
  Table a;
  Table b;
  for (int i = 0; i < 3000; ++i) a.find_or_insert(large_key(i));
  b.find_or_insert("only");
  a.swap(b);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 3000);
  REQUIRE(a.find("only") != nullptr);
  REQUIRE(b.find(large_key(17)) != nullptr);
  Table c(std::move(b));
  REQUIRE(c.size() == 3000);
  REQUIRE(b.size() == 0);  // NOLINT: moved-from is empty
  a = std::move(c);
  REQUIRE(a.size() == 3000);
  a.check_invariants();
  b.check_invariants();
}

TEST_CASE("Table: keys sharing a long hash prefix grow their segment, not the directory", "[kv]") {
  // Brute-force keys whose hashes share their top 12 bits: every split of their segment is
  // lopsided, which is what crafted keys would do to a fixed-seed hash.
  constexpr int kCollidingKeys = 1500;
  std::vector<std::string> colliding;
  for (std::uint64_t i = 0; colliding.size() < kCollidingKeys; ++i) {
    std::string key = "c" + std::to_string(i);
    if (XXH3_64bits(key.data(), key.size()) >> 52 == 0xABC) colliding.push_back(std::move(key));
  }
  Table table;
  for (int i = 0; i < 200; ++i) table.find_or_insert(large_key(i));
  for (const std::string& key : colliding) REQUIRE(table.find_or_insert(key).second);
  table.check_invariants();
  INFO("segments " << table.segment_count() << " depth " << table.global_depth());
  // Without the directory bound this would be depth >= 12 and 4096 directory slots; the
  // bound (64 slots per segment) is checked before a doubling, so at most twice that.
  REQUIRE(table.global_depth() < 12);
  REQUIRE((std::size_t{1} << table.global_depth()) <= 128 * table.segment_count());
  for (const std::string& key : colliding) REQUIRE(table.find(key) != nullptr);
  std::set<std::string> seen;
  std::uint64_t cursor = 0;
  do {
    cursor =
        table.scan(cursor, 50, [&](const Entry& e) { REQUIRE(seen.emplace(e.key.view()).second); });
  } while (cursor != 0);
  REQUIRE(seen.size() == table.size());
  std::size_t walked = 0;
  do {
    cursor = table.walk(cursor, 64, [&](Entry&) {
      ++walked;
      return false;
    });
  } while (cursor != 0);
  REQUIRE(walked == table.size());
  for (const std::string& key : colliding) REQUIRE(table.erase(key));
  table.check_invariants();
  REQUIRE(table.size() == 200);
}

TEST_CASE("Table: the hash seed decides the layout, and a table keeps working under any seed",
          "[kv]") {
  // Per-process seeds keep precomputed collisions out (engine/kv/table.h). The same seed gives
  // the same layout (the simulator replays); another seed gives another.
  auto positions = [](std::uint64_t seed) {
    Table table;
    table.set_hash_seed(seed);
    std::vector<std::uint64_t> hashes;
    for (int i = 0; i < 64; ++i) {
      const std::string key = "key:" + std::to_string(i);
      table.find_or_insert(key);
      hashes.push_back(table.hash_of(key));
    }
    table.check_invariants();
    for (int i = 0; i < 64; ++i) CHECK(table.find("key:" + std::to_string(i)) != nullptr);
    return hashes;
  };
  CHECK(positions(7) == positions(7));
  CHECK(positions(7) != positions(8));
  Table other;
  other.set_hash_seed(8);
  CHECK(other.hash_of("k") == XXH3_64bits_withSeed("k", 1, 8));
}

TEST_CASE("An engine hashes its keyspace and its values' tables with its runtime's seed", "[kv]") {
  eddy::testing::FakeRuntime runtime;
  runtime.set_hash_seed(0xabcdef);
  eddy::EngineOptions options;
  eddy::Engine engine(&runtime, options);
  CHECK(engine.shard(0).db(0).table().hash_of("k") == XXH3_64bits_withSeed("k", 1, 0xabcdef));
  CHECK(engine.shard(0).db(15).table().hash_of("k") == XXH3_64bits_withSeed("k", 1, 0xabcdef));
  const std::uint64_t collection_seed = eddy::kv::collection_hash_seed();
  eddy::testing::FakeRuntime other_runtime;
  other_runtime.set_hash_seed(0x123456);
  eddy::Engine other(&other_runtime, options);
  CHECK(eddy::kv::collection_hash_seed() != collection_seed);
}
