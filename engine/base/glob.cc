#include "engine/base/glob.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/base/assert.h"

// Why a greedy scan with one retry point gives exactly Redis's answers.
//
// Every token but '*' consumes exactly one byte of text, and whether it accepts a byte depends
// on that token and byte alone: where a [set] ends is fixed by the pattern, never by the text.
// So a pattern is S0 * S1 * ... * Sk, each Si a fixed-length run of one-byte tests, and Redis's
// recursive search (with its skipLongerMatches cut, which is sound for the same reason) answers
// "can S0 be placed at the start, Sk flush with the end, and S1..Sk-1 in order between them
// without overlap?". Placing each middle segment at its leftmost fit is never worse than a later
// fit: the text left after a later fit is a suffix of the text left after the leftmost one, so
// whatever fits after the later fit also fits after the leftmost. The loop below finds that
// leftmost fit by sliding the current segment's start one byte at a time from the last star
// (the only retry point it keeps); once the segment is placed and the next star is reached,
// earlier stars never need to move again. Each retry moves the retry point right by one byte
// and between retries the pattern position only moves forward, hence at most
// (|text| + 1) * (|pattern| + 1) steps and no memory beyond a few indices.

namespace eddy {

namespace {

// Redis compares bytes as char, which is signed on the platforms it is built for; that shows
// in range bounds. Case folding is ASCII-only, as tolower() in the "C" locale.
int byte_value(char c) {
  return static_cast<signed char>(c);
}
int fold(int value) {
  return value >= 'A' && value <= 'Z' ? value - 'A' + 'a' : value;
}

class GlobPattern {
 public:
  GlobPattern(std::string_view text, bool nocase) : text_(text), nocase_(nocase) {}

  std::size_t size() const { return text_.size(); }
  bool is_star(std::size_t at) const { return text_[at] == '*'; }

  // Tries the one-byte token that starts at `at` (anything but '*') against `byte`. Returns
  // where the next token starts; *accepted says whether the token took the byte.
  std::size_t match_one(std::size_t at, char byte, bool* accepted) const {
    DEBUG_ASSERT(at < size() && !is_star(at));
    const char token = text_[at];
    if (token == '?') {
      *accepted = true;
      return at + 1;
    }
    if (token == '[') return match_set(at + 1, byte, accepted);
    if (token == '\\' && at + 1 < size()) {
      *accepted = same(text_[at + 1], byte);
      return at + 2;
    }
    // A backslash that ends the pattern stands for itself.
    *accepted = same(token, byte);
    return at + 1;
  }

 private:
  bool same(char a, char b) const {
    return nocase_ ? fold(byte_value(a)) == fold(byte_value(b)) : a == b;
  }

  // `at` is just past the '['. The whole set is walked even once the byte is found, because
  // its end is where the next token starts.
  std::size_t match_set(std::size_t at, char byte, bool* accepted) const {
    const bool negated = at < size() && text_[at] == '^';
    if (negated) ++at;
    bool found = false;
    while (at < size()) {
      const char member = text_[at];
      if (member == '\\' && at + 1 < size()) {
        // Redis matches an escaped member exactly, ignoring nocase.
        found = found || text_[at + 1] == byte;
        at += 2;
      } else if (member == ']') {
        ++at;
        break;
      } else if (at + 2 < size() && text_[at + 1] == '-') {
        // The upper bound is taken verbatim, even a ']' or a '\\'.
        int low = byte_value(member);
        int high = byte_value(text_[at + 2]);
        if (low > high) std::swap(low, high);
        int value = byte_value(byte);
        if (nocase_) {
          // Folded after ordering, as Redis does: [Z-m] becomes the empty range z..m.
          low = fold(low);
          high = fold(high);
          value = fold(value);
        }
        found = found || (low <= value && value <= high);
        at += 3;
      } else {
        found = found || same(member, byte);
        ++at;
      }
    }
    // A set left open simply ends with the pattern.
    *accepted = found != negated;
    return at;
  }

  std::string_view text_;
  bool nocase_;
};

// Redis's fix for CVE-2024-31228 (in 6.2.16, 7.2.6, 7.4.1 and the 7.0.15 that distributions
// ship) stops its recursion 1000 stars deep and answers "no match" there. One level is one run
// of stars that is not the pattern's last token, and every match crosses every such run, so
// the cut amounts to: a pattern with more of them than this matches nothing.
constexpr std::size_t kMaxInnerStarRuns = 1000;

template <bool kTrace>
bool match(std::string_view pattern_text, std::string_view text, bool nocase,
           std::uint64_t* steps) {
  // Redis never enters its loop for an empty text, so only an empty pattern matches it.
  if (text.empty()) return pattern_text.empty();
  const GlobPattern pattern(pattern_text, nocase);
  const std::size_t pattern_size = pattern.size();
  constexpr std::size_t kNoStar = SIZE_MAX;
  std::size_t p = 0;
  std::size_t s = 0;
  // The segment after the last star crossed, and the text position it is being tried from.
  std::size_t retry_p = kNoStar;
  std::size_t retry_s = 0;
  // Each star run is crossed once: a retry restarts after the last one, never before it.
  std::size_t star_runs = 0;
  while (s < text.size()) {
    if constexpr (kTrace) ++*steps;
    if (p < pattern_size && pattern.is_star(p)) {
      while (p < pattern_size && pattern.is_star(p)) ++p;
      if (p == pattern_size) return true;  // a final star takes the rest
      if (++star_runs > kMaxInnerStarRuns) return false;
      retry_p = p;
      retry_s = s;
      continue;
    }
    if (p < pattern_size) {
      bool accepted = false;
      const std::size_t next = pattern.match_one(p, text[s], &accepted);
      if (accepted) {
        p = next;
        ++s;
        continue;
      }
    }
    if (retry_p == kNoStar) return false;
    // Slide the segment after the last star one byte right and try it again.
    ASSERT_LT(retry_s, text.size());
    p = retry_p;
    s = ++retry_s;
  }
  // The text is used up: what is left of the pattern must be stars only.
  while (p < pattern_size && pattern.is_star(p)) ++p;
  return p == pattern_size;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool nocase) {
  return match<false>(pattern, text, nocase, nullptr);
}

GlobTrace glob_match_traced(std::string_view pattern, std::string_view text, bool nocase) {
  GlobTrace trace;
  trace.matched = match<true>(pattern, text, nocase, &trace.steps);
  return trace;
}

}  // namespace eddy
