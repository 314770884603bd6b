// ListValue against a std::deque<std::string> model: any sequence of pushes, pops, range
// erases, replaces, inserts, removals and rotations, under small node bounds (so elements
// spread over many nodes and nodes split, spill and empty), keeps the model's contents, the
// structure's invariants (no empty node, no node past the bound, memory count exact) and the
// encoding Redis 7.2 would report.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <tuple>
#include <vector>

#include "engine/kv/list_value.h"

namespace {

using eddy::kv::Encoding;
using eddy::kv::ListValue;
using End = ListValue::End;

std::vector<std::string> contents(const ListValue& list) {
  std::vector<std::string> out;
  if (list.empty()) return out;
  ListValue::Cursor at = list.first();
  do {
    out.emplace_back(list.get(at));
  } while (list.next(at));
  return out;
}

std::vector<std::string> contents_backwards(const ListValue& list) {
  std::vector<std::string> out;
  if (list.empty()) return out;
  ListValue::Cursor at = list.last();
  do {
    out.emplace_back(list.get(at));
  } while (list.prev(at));
  return {out.rbegin(), out.rend()};
}

std::vector<std::string> rebuilt(const ListValue& list) {
  std::vector<std::string> out;
  list.rebuild("k", [&](std::span<const std::string_view> args) {
    REQUIRE(args.size() >= 3);
    REQUIRE(args.size() <= ListValue::kRebuildBatch + 2);
    REQUIRE(args[0] == "RPUSH");
    REQUIRE(args[1] == "k");
    out.insert(out.end(), args.begin() + 2, args.end());
  });
  return out;
}

}  // namespace

TEST_CASE("list value: pushes fill nodes up to the bound, then new nodes", "[list]") {
  ListValue list;
  const std::vector<std::string_view> abc = {"a", "b", "c"};
  list.push(End::kTail, abc, 2);
  // Three entries exceed a bound of two: the list is a quicklist of two nodes.
  CHECK(list.encoding() == Encoding::kQuicklist);
  CHECK_FALSE(list.compact());
  CHECK(list.node_count() == 2);
  CHECK(list.check_invariants(2));
  CHECK(contents(list) == std::vector<std::string>{"a", "b", "c"});

  ListValue small;
  small.push(End::kHead, abc, 3);
  CHECK(small.compact());
  CHECK(small.node_count() == 1);
  CHECK(contents(small) == std::vector<std::string>{"c", "b", "a"});
  // A fourth entry crosses the bound; popping back to half the bound (1) returns to listpack.
  small.push(End::kTail, "d", 3);
  CHECK_FALSE(small.compact());
  small.pop(End::kHead, 3);
  CHECK_FALSE(small.compact());  // 3 entries in two nodes
  small.pop(End::kHead, 3);
  CHECK_FALSE(small.compact());  // 2 entries: above half the bound
  small.pop(End::kHead, 3);
  CHECK(small.compact());
  CHECK(contents(small) == std::vector<std::string>{"d"});
  CHECK(small.check_invariants(3));
}

TEST_CASE("list value: byte bounds (-1 = 4 KiB per node), and a large element alone", "[list]") {
  ListValue list;
  const std::string kb(1000, 'x');
  for (int i = 0; i < 4; ++i) list.push(End::kTail, kb, -1);
  CHECK(list.compact());
  list.push(End::kTail, kb, -1);  // 5 x ~1 KB > 4 KiB
  CHECK(list.encoding() == Encoding::kQuicklist);
  CHECK_FALSE(list.compact());
  CHECK(list.node_count() == 2);
  const std::string big(10000, 'y');
  list.push(End::kHead, big, -1);
  CHECK(list.node_count() == 3);
  CHECK(list.front() == big);
  CHECK(list.check_invariants(-1));
  // Replacing a small element by a big one in a full node splits it.
  list.replace(2, big, -1);
  CHECK(list.check_invariants(-1));
  CHECK(list.get(list.seek(2)) == big);
  CHECK(list.size() == 6);
}

TEST_CASE("list value: digest depends on elements and order, not on nodes", "[list]") {
  ListValue one_node;
  ListValue many_nodes;
  const std::vector<std::string_view> items = {"a", "b", "c", "d", "e"};
  one_node.push(End::kTail, items, 128);
  many_nodes.push(End::kTail, items, 1);
  CHECK(many_nodes.node_count() == 5);
  CHECK(one_node.digest() == many_nodes.digest());
  ListValue joined;
  joined.push(End::kTail, std::vector<std::string_view>{"ab", "c", "d", "e"}, 128);
  CHECK(joined.digest() != one_node.digest());
  ListValue reversed;
  reversed.push(End::kHead, items, 128);
  CHECK(reversed.digest() != one_node.digest());
  auto copy = many_nodes.clone();
  CHECK(copy->digest() == many_nodes.digest());
  CHECK(copy->memory_bytes() <= many_nodes.memory_bytes());
}

TEST_CASE("list value behaves as a deque of strings", "[list][property]") {
  rc::prop("operations under small node bounds", [] {
    const std::int64_t fill = *rc::gen::element<std::int64_t>(1, 2, 3, 5, 0, -1, -6);
    ListValue list;
    std::deque<std::string> model;
    using Op = std::tuple<int, int, int, int>;
    const auto ops = *rc::gen::container<std::vector<Op>>(
        rc::gen::tuple(rc::gen::inRange(0, 11), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 6),
                       rc::gen::inRange(0, 3)));
    for (const auto& [op, where, letter, length_class] : ops) {
      // Mostly short elements, some of ~300 bytes and a few past the 4 KiB bound.
      const std::size_t length = length_class == 0 ? 1 : length_class == 1 ? 300 : 5000;
      const std::string text(length_class == 2 && where % 4 != 0 ? 1 : length,
                             static_cast<char>('a' + letter));
      const std::size_t n = model.size();
      const std::size_t index = n == 0 ? 0 : static_cast<std::size_t>(where) % n;
      switch (op) {
        case 0:
          list.push(End::kHead, text, fill);
          model.push_front(text);
          break;
        case 1: {
          const std::vector<std::string_view> batch(1 + static_cast<std::size_t>(where) % 4, text);
          list.push(End::kTail, batch, fill);
          model.insert(model.end(), batch.begin(), batch.end());
          break;
        }
        case 2:
          if (n > 0) {
            const std::size_t count =
                std::min<std::size_t>(1 + static_cast<std::size_t>(letter), n - index);
            list.erase(index, count, fill);
            model.erase(model.begin() + static_cast<std::ptrdiff_t>(index),
                        model.begin() + static_cast<std::ptrdiff_t>(index + count));
          }
          break;
        case 3:
          if (n > 0) {
            list.pop(where % 2 == 0 ? End::kHead : End::kTail, fill);
            if (where % 2 == 0) {
              model.pop_front();
            } else {
              model.pop_back();
            }
          }
          break;
        case 4:
          if (n > 0) {
            list.replace(index, text, fill);
            model[index] = text;
          }
          break;
        case 5:
        case 6: {
          // LINSERT at the first element equal to a letter's one-byte text.
          const std::string pivot(1, static_cast<char>('a' + where % 6));
          ListValue::Cursor at;
          const bool found = list.find_first(pivot, &at);
          auto it = std::find(model.begin(), model.end(), pivot);
          RC_ASSERT(found == (it != model.end()));
          if (found) {
            RC_ASSERT(list.get(at) == pivot);
            const bool after = op == 6;
            list.insert(at, after, text, fill);
            model.insert(after ? it + 1 : it, text);
          }
          break;
        }
        case 7: {
          const std::size_t limit = static_cast<std::size_t>(where) % 3;
          const bool from_tail = where % 2 == 1;
          const std::size_t removed = list.remove(text, limit, from_tail, fill);
          std::size_t expected = 0;
          if (!from_tail) {
            for (auto it = model.begin(); it != model.end() && (limit == 0 || expected < limit);) {
              if (*it == text) {
                it = model.erase(it);
                ++expected;
              } else {
                ++it;
              }
            }
          } else {
            for (std::size_t i = model.size(); i > 0 && (limit == 0 || expected < limit); --i) {
              if (model[i - 1] == text) {
                model.erase(model.begin() + static_cast<std::ptrdiff_t>(i - 1));
                ++expected;
              }
            }
          }
          RC_ASSERT(removed == expected);
          break;
        }
        case 8:
          if (n > 0) {
            const End from = where % 2 == 0 ? End::kHead : End::kTail;
            const End to = letter % 2 == 0 ? End::kHead : End::kTail;
            list.rotate(from, to, fill);
            std::string moved = from == End::kHead ? model.front() : model.back();
            if (from == End::kHead) {
              model.pop_front();
            } else {
              model.pop_back();
            }
            if (to == End::kHead) {
              model.push_front(moved);
            } else {
              model.push_back(moved);
            }
          }
          break;
        case 9: {
          auto copy = list.clone();
          RC_ASSERT(copy->digest() == list.digest());
          RC_ASSERT(copy->size() == list.size());
          RC_ASSERT(copy->encoding() == list.encoding());
          RC_ASSERT(static_cast<ListValue&>(*copy).check_invariants(fill));
          break;
        }
        default:
          if (n > 0) RC_ASSERT(list.get(list.seek(index)) == model[index]);
          break;
      }
      const std::vector<std::string> expected(model.begin(), model.end());
      RC_ASSERT(list.size() == model.size());
      RC_ASSERT(list.check_invariants(fill));
      RC_ASSERT(contents(list) == expected);
      RC_ASSERT(contents_backwards(list) == expected);
      // "listpack" only while one node holds everything.
      if (list.compact()) RC_ASSERT(list.node_count() <= 1);
    }
    RC_ASSERT(rebuilt(list) == contents(list));
  });
}

TEST_CASE("list value: one-entry nodes pushed and popped at either end, at scale", "[list]") {
  // Quadratic node shuffling would take minutes here; amortised O(1) takes milliseconds.
  ListValue list;
  constexpr int kPushes = 200'000;
  for (int i = 0; i < kPushes; ++i) list.push(i % 3 == 0 ? End::kHead : End::kTail, "e", 1);
  CHECK(list.node_count() == static_cast<std::size_t>(kPushes));
  CHECK(list.check_invariants(1));
  const std::size_t full = list.memory_bytes();
  for (int i = 0; i < kPushes - 10; ++i) list.pop(i % 2 == 0 ? End::kHead : End::kTail, 1);
  CHECK(list.size() == 10);
  CHECK(list.check_invariants(1));
  // The node array shrank with the list.
  CHECK(list.memory_bytes() * 100 < full);
  for (int i = 0; i < kPushes; ++i) list.push(End::kTail, "f", 1);
  CHECK(list.check_invariants(1));
  CHECK(list.back() == "f");
}
