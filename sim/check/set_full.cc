#include "sim/check/set_full.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace eddy::sim {

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

std::string element_list(const std::vector<SetElementDetail>& details) {
  std::string out;
  for (const SetElementDetail& d : details) {
    if (!out.empty()) out += ", ";
    out += std::to_string(d.element);
  }
  return out;
}

// Milliseconds with three decimals: reads in one final round start microseconds apart.
std::string ms_text(std::int64_t ns) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.3f ms", static_cast<double>(ns) / kNsPerMs);
  return buffer;
}

std::string detail_line(const SetElementDetail& d) {
  std::string out = "  " + std::to_string(d.element) + ": known at " + ms_text(d.known_ns);
  if (d.last_present_ns >= 0) {
    out += ", last seen by a read invoked at " + ms_text(d.last_present_ns);
  } else {
    out += ", never seen";
  }
  if (d.last_absent_ns >= 0) out += ", missed by a read invoked at " + ms_text(d.last_absent_ns);
  return out + "\n";
}

}  // namespace

std::string_view set_verdict_name(SetVerdict verdict) {
  switch (verdict) {
    case SetVerdict::kValid:
      return "valid";
    case SetVerdict::kInvalid:
      return "invalid";
    case SetVerdict::kUnknown:
      return "unknown";
  }
  return "?";
}

SetFullResult check_set_full(const SetHistory& history) {
  SetFullResult result;

  // The add that counts for each element: the latest invoked (ties: the later in the input).
  std::map<std::int64_t, const SetAdd*> adds;
  for (const SetAdd& add : history.adds) {
    auto [it, inserted] = adds.try_emplace(add.element, &add);
    if (!inserted && it->second->invoke_ns <= add.invoke_ns) it->second = &add;
  }
  result.attempt_count = adds.size();

  // Reads ranked by invocation (ties: input order), with the latest completion among each
  // rank and all lower ones, so a scan down the ranks can stop once no read there completed
  // after an add's invocation.
  const std::vector<SetRead>& reads = history.reads;
  std::vector<std::size_t> by_rank(reads.size());
  std::iota(by_rank.begin(), by_rank.end(), 0);
  std::stable_sort(by_rank.begin(), by_rank.end(), [&](std::size_t a, std::size_t b) {
    return reads[a].invoke_ns < reads[b].invoke_ns;
  });
  std::vector<std::int64_t> completed_by(reads.size());
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    completed_by[r] = std::max(reads[by_rank[r]].complete_ns, r > 0 ? completed_by[r - 1]
                                                                     : reads[by_rank[r]].complete_ns);
  }

  // Which ranks saw each element (distinct, ascending), and the duplicates and strangers.
  std::unordered_map<std::int64_t, std::vector<std::size_t>> seen_by;
  std::unordered_set<std::int64_t> unexpected;
  std::unordered_set<std::int64_t> duplicated;
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    std::vector<std::int64_t> elements = reads[by_rank[r]].elements;
    std::sort(elements.begin(), elements.end());
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (i > 0 && elements[i] == elements[i - 1]) {
        duplicated.insert(elements[i]);
        continue;
      }
      if (adds.count(elements[i]) == 0) {
        unexpected.insert(elements[i]);
        continue;
      }
      seen_by[elements[i]].push_back(r);
    }
  }
  result.unexpected_count = unexpected.size();
  result.duplicated_count = duplicated.size();

  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  for (const auto& [element, add] : adds) {
    const std::int64_t added_at = add->invoke_ns;
    // A read counts for this element only if it completed after the add was invoked.
    auto counts = [&](std::size_t rank) { return reads[by_rank[rank]].complete_ns > added_at; };

    static const std::vector<std::size_t> kNoReads;
    const auto seen_it = seen_by.find(element);
    const std::vector<std::size_t>& present = seen_it == seen_by.end() ? kNoReads : seen_it->second;

    bool known = add->outcome == OpOutcome::kOk;
    std::int64_t known_ns = known ? add->complete_ns : 0;
    std::size_t last_present = kNone;
    for (const std::size_t rank : present) {
      if (!counts(rank)) continue;
      last_present = rank;
      const std::int64_t done = reads[by_rank[rank]].complete_ns;
      if (!known || done < known_ns) known_ns = done;
      known = true;
    }

    // The latest-invoked counting read that missed it: walk down the ranks, skipping the ones
    // that saw it, until no lower rank completed after the add.
    std::size_t last_absent = kNone;
    std::size_t next_present = present.size();
    for (std::size_t r = reads.size(); r-- > 0;) {
      if (completed_by[r] <= added_at) break;
      while (next_present > 0 && present[next_present - 1] > r) --next_present;
      if (next_present > 0 && present[next_present - 1] == r) continue;
      if (!counts(r)) continue;
      last_absent = r;
      break;
    }

    auto invoked = [&](std::size_t rank) {
      return rank == kNone ? std::int64_t{-1} : reads[by_rank[rank]].invoke_ns;
    };
    SetElementDetail detail;
    detail.element = element;
    detail.known_ns = known_ns;
    detail.last_present_ns = invoked(last_present);
    detail.last_absent_ns = invoked(last_absent);

    const bool stable = last_present != kNone && (last_absent == kNone || last_absent < last_present);
    const bool lost = known && last_absent != kNone &&
                      (last_present == kNone || last_present < last_absent) &&
                      known_ns < reads[by_rank[last_absent]].invoke_ns;
    if (stable) {
      ++result.stable_count;
      const std::int64_t stable_ns = last_absent == kNone ? 0 : detail.last_absent_ns + 1;
      detail.latency_ms = std::max<std::int64_t>(0, stable_ns - known_ns) / kNsPerMs;
      if (detail.latency_ms > 0) {
        ++result.stale_count;
        result.worst_stale.push_back(detail);
      }
    } else if (lost) {
      ++result.lost_count;
      const std::int64_t lost_ns = last_present == kNone ? 0 : detail.last_present_ns + 1;
      detail.latency_ms = std::max<std::int64_t>(0, lost_ns - known_ns) / kNsPerMs;
      if (result.lost.size() < SetFullResult::kDetailLimit) result.lost.push_back(detail);
    } else {
      ++result.never_read_count;
      if (result.never_read.size() < SetFullResult::kDetailLimit) {
        result.never_read.push_back(element);
      }
    }
  }
  std::stable_sort(result.worst_stale.begin(), result.worst_stale.end(),
                   [](const SetElementDetail& a, const SetElementDetail& b) {
                     return a.latency_ms > b.latency_ms;
                   });
  if (result.worst_stale.size() > SetFullResult::kDetailLimit) {
    result.worst_stale.resize(SetFullResult::kDetailLimit);
  }

  if (result.lost_count > 0) {
    result.verdict = SetVerdict::kInvalid;
  } else if (result.stable_count == 0) {
    result.verdict = SetVerdict::kUnknown;
  } else {
    result.verdict = SetVerdict::kValid;
  }

  std::string& out = result.explanation;
  out = std::to_string(result.attempt_count) + " elements added: " +
        std::to_string(result.stable_count) + " stable (" + std::to_string(result.stale_count) +
        " stale), " + std::to_string(result.lost_count) + " lost, " +
        std::to_string(result.never_read_count) + " never read";
  if (result.unexpected_count > 0) {
    out += ", " + std::to_string(result.unexpected_count) + " read but never added";
  }
  if (result.duplicated_count > 0) {
    out += ", " + std::to_string(result.duplicated_count) + " duplicated in a read";
  }
  out += "\n";
  if (!result.lost.empty()) {
    out += "lost (first " + std::to_string(result.lost.size()) +
           "): " + element_list(result.lost) + "\n";
    for (const SetElementDetail& d : result.lost) out += detail_line(d);
  }
  if (result.verdict == SetVerdict::kUnknown) {
    out += "no element was read back after it was added, so nothing was shown either way\n";
  }
  return result;
}

}  // namespace eddy::sim
