#include "sim/check/counter_bounds.h"

#include <algorithm>
#include <iterator>

namespace eddy::sim {

namespace {

// A set of integers in [base, base + size) as bits.
class SumSet {
 public:
  SumSet(std::int64_t base, std::uint64_t size) : base_(base), words_((size + 63) / 64, 0) {}

  void set(std::uint64_t offset) { words_[offset / 64] |= std::uint64_t{1} << (offset % 64); }
  bool test(std::uint64_t offset) const {
    return offset / 64 < words_.size() && ((words_[offset / 64] >> (offset % 64)) & 1) != 0;
  }

  // this |= this shifted up by `shift` bits.
  void or_shifted_up(std::uint64_t shift) {
    const std::uint64_t word_shift = shift / 64;
    const unsigned bit_shift = static_cast<unsigned>(shift % 64);
    for (std::size_t i = words_.size(); i-- > word_shift;) {
      const std::size_t from = i - word_shift;
      std::uint64_t moved = words_[from] << bit_shift;
      if (bit_shift != 0 && from > 0) moved |= words_[from - 1] >> (64 - bit_shift);
      words_[i] |= moved;
    }
  }
  // this |= this shifted down by `shift` bits.
  void or_shifted_down(std::uint64_t shift) {
    const std::uint64_t word_shift = shift / 64;
    const unsigned bit_shift = static_cast<unsigned>(shift % 64);
    for (std::size_t i = 0; i + word_shift < words_.size(); ++i) {
      const std::size_t from = i + word_shift;
      std::uint64_t moved = words_[from] >> bit_shift;
      if (bit_shift != 0 && from + 1 < words_.size()) moved |= words_[from + 1] << (64 - bit_shift);
      words_[i] |= moved;
    }
  }

  std::int64_t base() const { return base_; }
  std::uint64_t bits() const { return words_.size() * 64; }

 private:
  std::int64_t base_;
  std::vector<std::uint64_t> words_;
};

}  // namespace

std::string describe_ranges(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges,
                            std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (i == limit) {
      out += " ... (" + std::to_string(ranges.size()) + " ranges)";
      break;
    }
    if (i > 0) out += ' ';
    const auto [lo, hi] = ranges[i];
    out += "[" + std::to_string(lo);
    if (hi != lo) out += ".." + std::to_string(hi);
    out += "]";
  }
  return out.empty() ? std::string("(empty)") : out;
}

CounterBoundsResult check_counter_bounds(const std::vector<CounterAdd>& adds,
                                         const std::vector<CounterRead>& final_reads) {
  CounterBoundsResult result;
  std::int64_t low = 0;    // lowest subset sum of the unknown deltas
  std::int64_t high = 0;   // highest
  std::uint64_t span = 0;  // sum of their absolute values
  std::vector<std::int64_t> unknown;
  for (const CounterAdd& add : adds) {
    switch (add.outcome) {
      case OpOutcome::kOk:
        result.definite_sum += add.delta;
        ++result.ok_adds;
        break;
      case OpOutcome::kUnknown:
        ++result.unknown_adds;
        if (add.delta == 0) break;  // either way the same sums
        unknown.push_back(add.delta);
        (add.delta < 0 ? low : high) += add.delta;
        span += add.delta < 0 ? static_cast<std::uint64_t>(-add.delta)
                              : static_cast<std::uint64_t>(add.delta);
        break;
      case OpOutcome::kFailed:
        break;
    }
  }

  std::vector<std::pair<std::int64_t, std::int64_t>>& ranges = result.acceptable;
  if (span >= CounterBoundsResult::kExactSpanLimit) {
    result.approximate = true;
    ranges.emplace_back(result.definite_sum + low, result.definite_sum + high);
  } else {
    // Offsets from `low`: the empty subset sits at -low.
    SumSet sums(low, span + 1);
    sums.set(static_cast<std::uint64_t>(-low));
    for (const std::int64_t delta : unknown) {
      if (delta > 0) {
        sums.or_shifted_up(static_cast<std::uint64_t>(delta));
      } else {
        sums.or_shifted_down(static_cast<std::uint64_t>(-delta));
      }
    }
    for (std::uint64_t offset = 0; offset <= span; ++offset) {
      if (!sums.test(offset)) continue;
      const std::int64_t value = result.definite_sum + sums.base() + static_cast<std::int64_t>(offset);
      if (!ranges.empty() && ranges.back().second + 1 == value) {
        ranges.back().second = value;
      } else {
        ranges.emplace_back(value, value);
      }
    }
  }

  for (const CounterRead& read : final_reads) {
    ++result.reads_checked;
    const auto it = std::upper_bound(
        ranges.begin(), ranges.end(), read.value,
        [](std::int64_t v, const std::pair<std::int64_t, std::int64_t>& r) { return v < r.first; });
    const bool inside = it != ranges.begin() && read.value <= std::prev(it)->second;
    if (!inside) result.errors.push_back(read);
  }
  result.ok = result.errors.empty();

  std::string& out = result.explanation;
  out = std::to_string(result.ok_adds) + " acknowledged adds summing to " +
        std::to_string(result.definite_sum) + ", " + std::to_string(result.unknown_adds) +
        " adds of unknown outcome; acceptable final values: " + describe_ranges(ranges) +
        (result.approximate ? " (widened to an interval)" : "") + "\n";
  out += std::to_string(result.reads_checked) + " final reads checked, " +
         std::to_string(result.errors.size()) + " outside the acceptable set";
  for (std::size_t i = 0; i < result.errors.size() && i < 8; ++i) {
    out += (i == 0 ? ": " : ", ") + std::to_string(result.errors[i].value) + " (process " +
           std::to_string(result.errors[i].process) + ")";
  }
  out += "\n";
  return result;
}

}  // namespace eddy::sim
