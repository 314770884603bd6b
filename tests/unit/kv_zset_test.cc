// ZSetValue and ZSkiplist on their own: a model-based property over both forms and their
// conversions, and the skiplist's member index under incremental resizing (ZSCAN's guarantee).

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/kv/encoding_limits.h"
#include "engine/kv/zset_skiplist.h"
#include "engine/kv/zset_value.h"
#include "engine/rng.h"

namespace kv = eddy::kv;

// ---------------------------------------------------------------------------------------------
// ZSetValue against a model: contents, order, ranks and range searches, in both forms and
// across conversions.

namespace {

using Args = std::vector<std::string>;

struct ModelSet {
  std::map<std::string, double> scores;

  std::vector<std::pair<double, std::string>> ordered() const {
    std::vector<std::pair<double, std::string>> out;
    for (const auto& [member, score] : scores) out.emplace_back(score, member);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return a.second < b.second;
    });
    return out;
  }
};

const std::vector<std::string>& value_members() {
  static const std::vector<std::string> members{"",  "a", "b", "ba", "c",          "d",
                                                "e", "f", "g", "h",  "0123456789", "zz"};
  return members;
}
const std::vector<double>& value_scores() {
  static const std::vector<double> scores{0, -0.0, 1, -1, 2.5, 1e300, -INFINITY, INFINITY, 3, 4};
  return scores;
}

// The lexicographic searches' definition (zset_value.h): binary searches over ranks.
std::pair<bool, std::size_t> model_first_in(const std::vector<std::pair<double, std::string>>& o,
                                            const kv::LexRange& range) {
  if (range.empty() || o.empty()) return {false, 0};
  std::size_t lo = 0;
  std::size_t hi = o.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (range.above_min(o[mid].second)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo == o.size() || !range.below_max(o[lo].second)) return {false, 0};
  return {true, lo};
}

void check_against_model(const kv::ZSetValue& z, const ModelSet& model, eddy::Rng& pick) {
  z.check_invariants();
  const auto ordered = model.ordered();
  RC_ASSERT(z.size() == ordered.size());
  std::size_t i = 0;
  if (z.size() > 0) {
    for (kv::ZSetValue::Cursor c = z.at(0); c.valid(); c.next(), ++i) {
      RC_ASSERT(c.member() == ordered[i].second);
      // The listpack keeps -0 as 0, the skiplist as it came: the same score either way.
      RC_ASSERT(c.score() == ordered[i].first);
    }
  }
  RC_ASSERT(i == ordered.size());
  for (std::size_t r = 0; r < ordered.size(); ++r) {
    std::size_t rank = 0;
    RC_ASSERT(z.rank(ordered[r].second, &rank));
    RC_ASSERT(rank == r);
    RC_ASSERT(z.at(r).member() == ordered[r].second);
  }
  for (const std::string& m : value_members()) {
    double score = 0;
    RC_ASSERT(z.score(m, &score) == (model.scores.count(m) == 1));
  }
  // Score ranges against a linear walk of the model.
  const auto& scores = value_scores();
  for (int q = 0; q < 4; ++q) {
    kv::ScoreRange range;
    range.min = scores[pick.below(scores.size())];
    range.max = scores[pick.below(scores.size())];
    range.min_exclusive = pick.chance(0.5);
    range.max_exclusive = pick.chance(0.5);
    std::size_t first = ordered.size();
    std::size_t last = ordered.size();
    std::size_t inside = 0;
    for (std::size_t r = 0; r < ordered.size(); ++r) {
      if (range.above_min(ordered[r].first) && range.below_max(ordered[r].first)) {
        if (first == ordered.size()) first = r;
        last = r;
        ++inside;
      }
    }
    const kv::ZSetValue::Found low = z.first_in(range);
    const kv::ZSetValue::Found high = z.last_in(range);
    RC_ASSERT(low.cursor.valid() == (inside > 0));
    RC_ASSERT(high.cursor.valid() == (inside > 0));
    if (inside > 0) {
      RC_ASSERT(low.rank == first);
      RC_ASSERT(high.rank == last);
      RC_ASSERT(low.cursor.member() == ordered[first].second);
    }
    RC_ASSERT(z.count_in(range) == inside);
  }
  // Lexicographic ranges against the definition.
  const auto& members = value_members();
  for (int q = 0; q < 4; ++q) {
    auto bound = [&]() {
      kv::LexBound b;
      switch (pick.below(4)) {
        case 0:
          b.kind = kv::LexBound::Kind::kMinusInfinity;
          break;
        case 1:
          b.kind = kv::LexBound::Kind::kPlusInfinity;
          break;
        default:
          b.kind = kv::LexBound::Kind::kBytes;
          b.exclusive = pick.chance(0.5);
          b.bytes = members[pick.below(members.size())];
      }
      return b;
    };
    const kv::LexRange range{bound(), bound()};
    const auto [found, rank] = model_first_in(ordered, range);
    const kv::ZSetValue::Found low = z.first_in(range);
    RC_ASSERT(low.cursor.valid() == found);
    if (found) RC_ASSERT(low.rank == rank);
  }
  // Encoding-independent digest, clone and rebuild.
  const auto copy = z.clone();
  RC_ASSERT(copy->digest() == z.digest());
  RC_ASSERT(copy->encoding() == z.encoding());
  static_cast<const kv::ZSetValue&>(*copy).check_invariants();
  std::size_t rebuilt = 0;
  z.rebuild("k", [&](std::span<const std::string_view> args) {
    RC_ASSERT(args[0] == "ZADD");
    RC_ASSERT(args.size() % 2 == 0);
    RC_ASSERT(args.size() <= 2 + 2 * kv::ZSetValue::kRebuildPairs);
    rebuilt += (args.size() - 2) / 2;
  });
  RC_ASSERT(rebuilt == z.size());
}

}  // namespace

TEST_CASE("ZSetValue matches a model through adds, removals and conversions", "[zset][property]") {
  rc::prop("random operations", [] {
    const std::int64_t entries = *rc::gen::element<std::int64_t>(0, 3, 8, 128);
    const std::int64_t value = *rc::gen::element<std::int64_t>(1, 64);
    kv::EncodingLimits limits;
    limits.zset_max_listpack_entries = entries;
    limits.zset_max_listpack_value = value;
    eddy::Rng rng(*rc::gen::arbitrary<std::uint64_t>());
    eddy::Rng pick(*rc::gen::arbitrary<std::uint64_t>());
    kv::ZSetValue z;
    ModelSet model;
    const int steps = *rc::gen::inRange(1, 120);
    const auto& members = value_members();
    const auto& scores = value_scores();
    for (int step = 0; step < steps; ++step) {
      const std::string& member = members[pick.below(members.size())];
      switch (pick.below(6)) {
        case 0:
        case 1:
        case 2: {
          unsigned flags = 0;
          const unsigned choice = static_cast<unsigned>(pick.below(6));
          if (choice == 1) flags = kv::ZSetValue::kAddNx;
          if (choice == 2) flags = kv::ZSetValue::kAddXx;
          if (choice == 3) flags = kv::ZSetValue::kAddGt;
          if (choice == 4) flags = kv::ZSetValue::kAddLt | kv::ZSetValue::kAddXx;
          if (choice == 5) flags = kv::ZSetValue::kAddIncr;
          const double score = scores[pick.below(scores.size())];
          // The model: Redis's zsetAdd.
          const auto it = model.scores.find(member);
          double expected = score;
          auto expected_result = kv::ZSetValue::AddResult::kAdded;
          if (it == model.scores.end()) {
            if ((flags & kv::ZSetValue::kAddXx) != 0) {
              expected_result = kv::ZSetValue::AddResult::kSkipped;
            }
          } else if ((flags & kv::ZSetValue::kAddNx) != 0) {
            expected_result = kv::ZSetValue::AddResult::kSkipped;
          } else {
            if ((flags & kv::ZSetValue::kAddIncr) != 0) expected += it->second;
            if (std::isnan(expected)) {
              expected_result = kv::ZSetValue::AddResult::kNan;
            } else if (((flags & kv::ZSetValue::kAddLt) != 0 && expected >= it->second) ||
                       ((flags & kv::ZSetValue::kAddGt) != 0 && expected <= it->second)) {
              expected_result = kv::ZSetValue::AddResult::kSkipped;
            } else {
              expected_result = expected != it->second ? kv::ZSetValue::AddResult::kUpdated
                                                       : kv::ZSetValue::AddResult::kUnchanged;
            }
          }
          double planned = 0;
          RC_ASSERT(z.plan_add(score, member, flags, &planned) == expected_result);
          double result = 0;
          RC_ASSERT(z.add(score, member, flags, limits, rng, &result) == expected_result);
          if (expected_result == kv::ZSetValue::AddResult::kAdded ||
              expected_result == kv::ZSetValue::AddResult::kUpdated) {
            model.scores[member] = expected;
            RC_ASSERT(result == expected);
          }
          break;
        }
        case 3:
          RC_ASSERT(z.remove(member) == (model.scores.erase(member) == 1));
          break;
        case 4: {
          if (z.size() == 0) break;
          const std::size_t first = pick.below(z.size());
          const std::size_t count = pick.below(std::min<std::size_t>(z.size() - first, 4) + 1);
          const auto ordered = model.ordered();
          for (std::size_t r = first; r < first + count; ++r) model.scores.erase(ordered[r].second);
          z.remove_ranks(first, count);
          break;
        }
        case 5:
          if (pick.chance(0.1)) {
            // A larger set now and then, to exercise many levels and index resizes.
            for (int i = 0; i < 300; ++i) {
              const std::string m = "bulk" + std::to_string(pick.below(1000));
              const double s = static_cast<double>(pick.below(50));
              double unused;
              if (z.add(s, m, 0, limits, rng, &unused) == kv::ZSetValue::AddResult::kAdded ||
                  model.scores.count(m) == 1) {
                model.scores[m] = s;
              }
            }
          }
          break;
      }
      check_against_model(z, model, pick);
    }
    // Large enough sets convert; small ones may stay flat.
    if (static_cast<std::int64_t>(z.size()) > entries) {
      RC_ASSERT(z.encoding() == kv::Encoding::kSkiplist);
    }
  });
}

TEST_CASE("ZSkiplist: ZSCAN returns each member present throughout once, across resizes",
          "[zset]") {
  eddy::Rng rng(42);
  kv::ZSkiplist list(rng.next());
  auto name = [](int i) { return "member:" + std::to_string(i); };
  for (int i = 0; i < 3000; ++i) list.insert(static_cast<double>(i % 97), name(i), rng);
  list.check_invariants();
  for (const std::size_t count : {std::size_t{1}, std::size_t{10}, std::size_t{1000}}) {
    // Phase by phase: grow past several doublings, then shrink to a fraction, while scanning.
    std::map<std::string, int> seen;
    std::set<std::string> removed;
    std::uint64_t cursor = 0;
    int step = 0;
    int next_new = 100000;
    do {
      cursor = list.scan(cursor, count, [&](const kv::ZSkiplist::Node& node) {
        ++seen[std::string(node.member())];
      });
      if (step % 3 == 0 && step < 300) {
        for (int i = 0; i < 50; ++i) list.insert(1000, name(next_new++), rng);
      }
      if (step == 300) {
        // Erase most members (those added during the scan and the second half of the first).
        std::vector<const kv::ZSkiplist::Node*> doomed;
        for (const kv::ZSkiplist::Node* n = list.first(); n != nullptr;
             n = kv::ZSkiplist::next(n)) {
          const std::string member(n->member());
          if (member.size() > 12 || std::stoi(member.substr(7)) >= 1500) doomed.push_back(n);
        }
        for (const kv::ZSkiplist::Node* n : doomed) {
          removed.insert(std::string(n->member()));
          list.erase(n);
        }
      }
      if (step % 7 == 0) list.check_invariants();
      ++step;
    } while (cursor != 0);
    list.check_invariants();
    for (int i = 0; i < 1500; ++i) {
      INFO(name(i));
      CHECK(seen[name(i)] == 1);
    }
    for (const auto& [member, times] : seen) CHECK(times == 1);
    // Put the set back as it was for the next round.
    for (const std::string& member : removed) {
      if (member.size() <= 12) list.insert(0, member, rng);
    }
    while (list.size() > 3000) list.erase(list.last());
  }
  // Rank queries and erase_ranks agree with the order, whatever the index is doing.
  list.erase_ranks(10, 2000);
  list.check_invariants();
  std::size_t rank = 0;
  for (const kv::ZSkiplist::Node* n = list.first(); n != nullptr; n = kv::ZSkiplist::next(n)) {
    CHECK(list.rank(n) == rank);
    CHECK(list.at(rank) == n);
    ++rank;
  }
  const auto copy = list.clone();
  copy->check_invariants();
  CHECK(copy->size() == list.size());
}
