// Listpack against a std::vector<std::string> model: any sequence of inserts, erases and
// replaces, walked forwards and backwards, gives the model's contents.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "engine/kv/listpack.h"

namespace {

using eddy::kv::Listpack;

void expect_same(const Listpack& lp, const std::vector<std::string>& model) {
  RC_ASSERT(lp.size() == model.size());
  std::vector<std::string> forward;
  for (Listpack::Pos p = lp.begin(); p != lp.end(); p = lp.next(p)) forward.emplace_back(lp.get(p));
  RC_ASSERT(forward == model);
  std::vector<std::string> backward;
  for (Listpack::Pos p = lp.end(); p != lp.begin();) {
    p = lp.prev(p);
    backward.emplace_back(lp.get(p));
  }
  RC_ASSERT(std::vector<std::string>(backward.rbegin(), backward.rend()) == model);
  for (std::size_t i = 0; i < model.size(); ++i) RC_ASSERT(lp.get(lp.seek(i)) == model[i]);
}

}  // namespace

TEST_CASE("listpack: entries of 0 to 300 bytes cross the 1- and 2-byte length forms", "[listpack]") {
  Listpack lp;
  std::vector<std::string> model;
  for (std::size_t n : {0, 1, 127, 128, 300, 16383, 16384}) {
    lp.push_back(std::string(n, 'x'));
    model.emplace_back(n, 'x');
  }
  REQUIRE(lp.size() == model.size());
  std::size_t i = 0;
  for (Listpack::Pos p = lp.begin(); p != lp.end(); p = lp.next(p)) REQUIRE(lp.get(p) == model[i++]);
  REQUIRE(lp.get(lp.last()) == model.back());
  REQUIRE(lp.find(std::string(300, 'x')) == lp.seek(4));
  REQUIRE(lp.find("nope") == lp.end());
  REQUIRE(lp.used_bytes() <= lp.heap_bytes());
}

TEST_CASE("listpack: find with a step looks at every step-th entry only", "[listpack]") {
  Listpack lp;
  for (const char* s : {"f1", "v", "v", "f2", "f3", "v"}) lp.push_back(s);
  REQUIRE(lp.find("v", lp.begin(), 2) == lp.seek(2));
  REQUIRE(lp.find("f2", lp.begin(), 2) == lp.end());  // f2 is at an odd index: a value slot
  REQUIRE(lp.find("f3", lp.begin(), 2) == lp.seek(4));
}

TEST_CASE("listpack behaves as a vector of strings", "[listpack]") {
  rc::prop("insert/erase/replace/clone", [] {
    Listpack lp;
    std::vector<std::string> model;
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        rc::gen::tuple(rc::gen::inRange(0, 5), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 200)));
    for (const auto& [op, where, length] : ops) {
      const std::string text(static_cast<std::size_t>(length), static_cast<char>('a' + where % 26));
      const std::size_t index = model.empty() ? 0 : static_cast<std::size_t>(where) % (model.size() + 1);
      switch (op) {
        case 0:
        case 1: {
          const Listpack::Pos pos = index == model.size() ? lp.end() : lp.seek(index);
          lp.insert(pos, text);
          model.insert(model.begin() + static_cast<std::ptrdiff_t>(index), text);
          break;
        }
        case 2:
          if (index < model.size()) {
            const std::size_t count = std::min<std::size_t>(1 + length % 3, model.size() - index);
            lp.erase(lp.seek(index), count);
            model.erase(model.begin() + static_cast<std::ptrdiff_t>(index),
                        model.begin() + static_cast<std::ptrdiff_t>(index + count));
          }
          break;
        case 3:
          if (index < model.size()) {
            lp.replace(lp.seek(index), text);
            model[index] = text;
          }
          break;
        default: {
          Listpack copy = lp.clone();
          lp = std::move(copy);
          break;
        }
      }
      expect_same(lp, model);
    }
  });
}
