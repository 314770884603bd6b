// glob_match against Redis 7.0.15: answers recorded from a real redis-server, a property
// against a recursive model of Redis's stringmatchlen, and hostile patterns that made the old
// backtracking matcher hang a core.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/glob.h"

namespace {

using eddy::glob_match;
using eddy::glob_match_traced;

// A model of Redis 7.0's stringmatchlen, kept deliberately close to its control flow: one
// recursion per star position, cut 1000 levels deep as the CVE-2024-31228 fix does, the set
// walk that steps back when a set runs off the end of the pattern, and reads of the byte just
// past the pattern (in Redis the string's NUL terminator).
// `cut_longer` is Redis's skipLongerMatches shortcut; with it off this is the plain exponential
// search, so comparing the two checks that the shortcut (and with it the greedy argument in
// glob.cc) never changes an answer.
class RedisModel {
 public:
  RedisModel(std::string_view pattern, std::string_view text, bool nocase, bool cut_longer)
      : pattern_(pattern), text_(text), nocase_(nocase), cut_longer_(cut_longer) {}

  bool run() { return match(0, 0, 0); }

 private:
  char at(std::size_t i) const { return i < pattern_.size() ? pattern_[i] : '\0'; }
  // tolower() in the "C" locale on a (signed) char.
  static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
  static int value(char c) { return static_cast<signed char>(c); }
  bool same(char a, char b) const { return nocase_ ? lower(value(a)) == lower(value(b)) : a == b; }

  bool match(std::size_t p, std::size_t s, int depth) {
    if (depth > 1000) return false;
    const std::size_t end = pattern_.size();
    while (p < end && s < text_.size()) {
      switch (pattern_[p]) {
        case '*': {
          while (at(p + 1) == '*') ++p;
          if (p + 1 == end) return true;
          for (; s < text_.size(); ++s) {
            if (match(p + 1, s, depth + 1)) return true;
            if (cut_longer_ && gave_up_) return false;
          }
          gave_up_ = true;
          return false;
        }
        case '?':
          ++s;
          break;
        case '[': {
          ++p;
          const bool negated = at(p) == '^';
          if (negated) ++p;
          bool hit = false;
          for (;;) {
            if (at(p) == '\\' && end - p >= 2) {
              ++p;
              if (pattern_[p] == text_[s]) hit = true;
            } else if (at(p) == ']') {
              break;
            } else if (p == end) {
              --p;
              break;
            } else if (end - p >= 3 && pattern_[p + 1] == '-') {
              int low = value(pattern_[p]);
              int high = value(pattern_[p + 2]);
              int c = value(text_[s]);
              if (low > high) std::swap(low, high);
              if (nocase_) {
                low = lower(low);
                high = lower(high);
                c = lower(c);
              }
              p += 2;
              if (c >= low && c <= high) hit = true;
            } else if (same(pattern_[p], text_[s])) {
              hit = true;
            }
            ++p;
          }
          if (negated) hit = !hit;
          if (!hit) return false;
          ++s;
          break;
        }
        case '\\':
          if (end - p >= 2) ++p;
          [[fallthrough]];
        default:
          if (!same(pattern_[p], text_[s])) return false;
          ++s;
          break;
      }
      ++p;
      if (s == text_.size()) {
        while (at(p) == '*') ++p;
        break;
      }
    }
    return p == end && s == text_.size();
  }

  std::string_view pattern_;
  std::string_view text_;
  bool nocase_;
  bool cut_longer_;
  bool gave_up_ = false;
};

bool model_match(std::string_view pattern, std::string_view text, bool nocase = false,
                 bool cut_longer = true) {
  return RedisModel(pattern, text, nocase, cut_longer).run();
}

struct Case {
  std::string pattern;
  std::string text;
  bool matches;
};

// Recorded from redis-server 7.0.15: SET <text>, then KEYS <pattern> and SCAN 0 MATCH
// <pattern> (both agreed on every row). Only the first row differs from glob_match: KEYS and
// SCAN take a lone "*" as "all keys" without matching, so the empty key shows up; "**" shows
// that the matcher itself refuses an empty text.
const std::vector<Case>& redis_cases() {
  static const std::vector<Case> cases = {
      {"**", "", false},
      {"", "", true},
      {"?", "", false},
      {"*?*", "", false},
      {"a*", "a", true},
      {"*a", "a", true},
      {"a*b", "ab", true},
      {"a*b", "acb", true},
      {"a*b", "acbd", false},
      {"*?", "a", true},
      {"?*", "a", true},
      // Sets left open run to the end of the pattern.
      {"[abc", "b", true},
      {"[abc", "d", false},
      {"[abc]", "b", true},
      {"[", "[", false},
      {"[", "a", false},
      {"[^", "x", true},
      {"[^", "", false},
      {"[^", "xy", false},
      {"[a-", "a", true},
      {"[a-", "-", true},
      {"[a-", "b", false},
      {"[a-b", "b", true},
      // Empty sets, and ']' right after '[' closing it.
      {"[]", "]", false},
      {"[]a]", "]a", false},
      {"[]a]", "a", false},
      {"[^]", "x", true},
      {"[^]", "]", true},
      // A range swallows a ']' as its upper bound, which leaves the set open.
      {"[a-]", "]", true},
      {"[a-]", "_", true},
      {"[a-]", "-", false},
      {"[a-]", "a", true},
      {"[a-]x", "x", true},
      {"[a-]x", "]x", false},
      {"[a-]x", "a", true},
      {"[]-a]", "-", false},
      // Reversed ranges; '-' at an edge is a literal.
      {"[z-a]", "m", true},
      {"[z-a]", "-", false},
      {"[a-z]", "-", false},
      {"[-a]", "-", true},
      {"[--0]", "/", true},
      {"[^a-c]", "b", false},
      {"[^a-c]", "d", true},
      {"[a^]", "^", true},
      {"[!a]", "b", false},
      {"[!a]", "!", true},
      {"[*]", "*", true},
      {"[*]", "a", false},
      {"[?]", "a", false},
      {"[[]", "[", true},
      // Escapes inside sets, and a range ending in a backslash.
      {"[\\]", "]", true},
      {"[\\]", "\\", false},
      {"[\\]]", "]", true},
      {"[\\\\]", "\\", true},
      {"[\\-]", "-", true},
      {"[a\\-z]", "b", false},
      {"[a\\-z]", "-", true},
      {"[a-\\]", "b", false},
      {"[a-\\]", "\\", true},
      {"[a-\\]", "]", true},
      {"[a-\\]", "Z", false},
      {"[\\", "\\", true},
      {"[a\\", "\\", true},
      {"[a\\", "a", true},
      // Escapes outside sets; a trailing backslash is itself.
      {"\\", "\\", true},
      {"a\\", "a\\", true},
      {"x\\", "x\\", true},
      {"x\\", "x", false},
      {"*\\", "ab\\", true},
      {"\\*", "*", true},
      {"\\*", "a", false},
      {"\\a", "a", true},
      // Bytes compare as signed char in ranges.
      {"[a-\xff]", std::string(1, '\0'), true},
      {"[a-\xff]", "b", false},
      {"[a-\xff]", "\xfe", false},
      {"[\x80-\xff]", "\x90", true},
      {"[\x80-\xff]", "a", false},
      {"[\x01-\x80]", "a", false},
      {"[\x01-\x80]", "\x90", true},
      // Redis's "pattern matching long nested loops" regression test.
      {"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", std::string(40, 'a'), false},
  };
  return cases;
}

// Recorded from redis-server 7.0.15 with CONFIG GET <pattern> (nocase matching against the
// parameter names): which patterns returned "maxmemory".
const std::vector<Case>& redis_nocase_cases() {
  static const std::vector<Case> cases = {
      {"[Z-m]axmemory", "maxmemory", false},  // ends folded after ordering: z..m is empty
      {"[m-Z]axmemory", "maxmemory", false},
      {"[A-z]axmemory", "maxmemory", true},
      {"[L-N]axmemory", "maxmemory", true},
      {"[l-n]AXMEMORY", "maxmemory", true},
      {"[\\M]axmemory", "maxmemory", false},  // an escaped set member ignores nocase
      {"[\\m]axmemory", "maxmemory", true},
      {"\\Maxmemor?", "maxmemory", true},  // an escape outside a set honours it
      {"[M]axmemory", "maxmemory", true},
      {"[^M]axmemory", "maxmemory", false},
  };
  return cases;
}

// RapidCheck scales its generators with a size that grows over a run from 0; these draws use
// the full range from the first test on (small alphabets and lengths keep them cheap).
constexpr int kFullSize = 100;

int pick(int low, int high_exclusive) {
  return *rc::gen::resize(kFullSize, rc::gen::inRange(low, high_exclusive));
}

char pick_of(const std::string& alphabet) {
  return alphabet[static_cast<std::size_t>(pick(0, static_cast<int>(alphabet.size())))];
}

// Strings over a small alphabet, so that sets, ranges, escapes and stars collide often.
std::string small_string(const std::string& alphabet, int max_size) {
  std::string out;
  const int size = pick(0, max_size + 1);
  for (int i = 0; i < size; ++i) out += pick_of(alphabet);
  return out;
}

char swap_case(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 'A');
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c;
}

// Inside a property: a byte for the text that a pattern byte `c` should (nearly) match: itself,
// its other case, or any byte.
char near_byte(char c, const std::string& alphabet) {
  switch (pick(0, 4)) {
    case 0:
      return swap_case(c);
    case 1:
      return pick_of(alphabet);
    default:
      return c;
  }
}

// Inside a property: a pattern built token by token (literals, escapes, ?, *, sets with
// members, escaped members and ranges, closed or not) with a text built alongside that each
// token nearly matches, so matches and near misses are common.
std::pair<std::string, std::string> draw_tokens(const std::string& alphabet) {
  std::string pattern;
  std::string text;
  const int tokens = pick(0, 5);
  for (int t = 0; t < tokens; ++t) {
    const char c = pick_of(alphabet);
    switch (pick(0, 6)) {
      case 0:
        pattern += c;
        text += near_byte(c, alphabet);
        break;
      case 1:
        pattern += '\\';
        pattern += c;
        text += near_byte(c, alphabet);
        break;
      case 2:
        pattern += '?';
        text += pick_of(alphabet);
        break;
      case 3:
        pattern += '*';
        text += small_string(alphabet, 3);
        break;
      default: {
        pattern += '[';
        if (pick(0, 3) == 0) pattern += '^';
        std::string members;
        const int count = pick(0, 4);
        for (int m = 0; m < count; ++m) {
          const char member = pick_of(alphabet);
          members += member;
          switch (pick(0, 3)) {
            case 0:
              pattern += '\\';
              pattern += member;
              break;
            case 1: {
              const char high = pick_of(alphabet);
              pattern += member;
              pattern += '-';
              pattern += high;
              members += high;
              break;
            }
            default:
              pattern += member;
              break;
          }
        }
        if (pick(0, 4) != 0) pattern += ']';
        text += members.empty() ? pick_of(alphabet) : near_byte(pick_of(members), alphabet);
        break;
      }
    }
  }
  return {std::move(pattern), std::move(text)};
}

// Inside a property: a pattern over `alphabet` and a text that is independent of it, or the
// pattern itself with a few bytes swapped, dropped or doubled, or one built token by token
// (independent texts rarely match, and the edge cases only show on texts that nearly do).
std::pair<std::string, std::string> draw_pair(const std::string& alphabet) {
  const int mode = pick(0, 3);
  if (mode == 2) return draw_tokens(alphabet);
  std::string pattern = small_string(alphabet, 10);
  if (mode == 0) return {std::move(pattern), small_string(alphabet, 9)};
  std::string text;
  for (char c : pattern) {
    switch (pick(0, 8)) {
      case 0:
        text += pick_of(alphabet);
        break;
      case 1:
        break;
      case 2:
        text += c;
        text += pick_of(alphabet);
        break;
      default:
        text += c;
        break;
    }
  }
  return {std::move(pattern), std::move(text)};
}

void check_against_model(const std::string& alphabet, bool nocase) {
  for (int i = 0; i < 100; ++i) {
    const auto [pattern, text] = draw_pair(alphabet);
    const bool expected = model_match(pattern, text, nocase);
    RC_ASSERT(model_match(pattern, text, nocase, false) == expected);
    const auto trace = glob_match_traced(pattern, text, nocase);
    RC_ASSERT(trace.matched == expected);
    RC_ASSERT(glob_match(pattern, text, nocase) == expected);
    RC_ASSERT(trace.steps <= (text.size() + 1) * (pattern.size() + 1));
  }
}

std::string repeat(std::string_view piece, std::size_t times, std::string_view tail = {}) {
  std::string out;
  out.reserve(piece.size() * times + tail.size());
  for (std::size_t i = 0; i < times; ++i) out += piece;
  out += tail;
  return out;
}

}  // namespace

TEST_CASE("glob: Redis 7.0.15's answers on the edge cases", "[glob]") {
  for (const Case& c : redis_cases()) {
    INFO("pattern '" << c.pattern << "' text '" << c.text << "'");
    CHECK(glob_match(c.pattern, c.text) == c.matches);
    CHECK(model_match(c.pattern, c.text) == c.matches);
  }
  for (const Case& c : redis_nocase_cases()) {
    INFO("nocase pattern '" << c.pattern << "' text '" << c.text << "'");
    CHECK(glob_match(c.pattern, c.text, true) == c.matches);
    CHECK(model_match(c.pattern, c.text, true) == c.matches);
  }
}

TEST_CASE("glob: the plain forms", "[glob]") {
  CHECK(glob_match("h?llo", "hello"));
  CHECK(glob_match("h*llo", "hllo"));
  CHECK(glob_match("h*llo", "heeeello"));
  CHECK(glob_match("h[ae]llo", "hallo"));
  CHECK_FALSE(glob_match("h[ae]llo", "hillo"));
  CHECK(glob_match("h[^e]llo", "hallo"));
  CHECK_FALSE(glob_match("h[^e]llo", "hello"));
  CHECK(glob_match("h[a-b]llo", "hbllo"));
  CHECK(glob_match("user:*", "user:1000"));
  CHECK_FALSE(glob_match("user:*", "users"));
  CHECK(glob_match("*", "x"));
  CHECK_FALSE(glob_match("*", ""));  // see glob.h: callers special-case a lone "*"
  CHECK(glob_match("***", "anything"));
  CHECK(glob_match("*:*:*", "a:b:c"));
  CHECK_FALSE(glob_match("*:*:*", "a:b"));
  CHECK(glob_match("HEL*", "hello", true));
  CHECK_FALSE(glob_match("HEL*", "hello"));
  CHECK(glob_match("maxmemory*", "maxmemory-policy", true));
  // A NUL is an ordinary byte on both sides.
  CHECK(glob_match(std::string_view("a\0*", 3), std::string_view("a\0bc", 4)));
  CHECK_FALSE(glob_match(std::string_view("a\0", 2), "a"));
}

TEST_CASE("glob: agrees with a model of Redis's stringmatchlen", "[glob]") {
  rc::prop("glob syntax characters", [] { check_against_model("ab[]^-\\*?", false); });
  rc::prop("letters in both cases under nocase", [] {
    check_against_model("aAbZm_[]^-\\*?", true);
    check_against_model("aAbZm_[]^-\\*?", false);
  });
  rc::prop("bytes above 0x7f and below 'a' in ranges",
           [] { check_against_model(std::string("a\x01\x80\xff[]^-\\*", 10), pick(0, 2) == 1); });
  rc::prop("patterns made of segments that occur in the text", [] {
    // Long texts over two letters, patterns of stars between short literal runs: the shapes
    // where a greedy matcher would go wrong if it let go of a star too early.
    for (int i = 0; i < 20; ++i) {
      const auto text = small_string("ab", 24);
      const auto pattern = small_string("ab*?", 12);
      RC_ASSERT(glob_match(pattern, text) == model_match(pattern, text));
    }
  });
}

TEST_CASE("glob: past 1000 inner star runs nothing matches, as in patched Redis", "[glob]") {
  // Recorded from redis-server 7.0.15 (Debian, with the CVE-2024-31228 fix) on a key of 3000
  // 'a's: the cut counts runs of stars before the pattern's last token.
  const std::string text(3000, 'a');
  const std::vector<std::pair<std::string, bool>> cases = {
      {repeat("a*", 1000, "a"), true},   // 1000 inner runs
      {repeat("a*", 1001, "a"), false},  // 1001
      {repeat("a*", 1001), true},        // 1000 inner runs and a final one
      {repeat("a*", 1002), false},
      {repeat("a**", 1001, "a"), false},  // a run of stars counts once
      {repeat("a*", 1001, std::string(5000, 'a')), false},
  };
  for (const auto& [pattern, matches] : cases) {
    INFO(pattern.size() << " pattern bytes");
    CHECK(glob_match(pattern, text) == matches);
    CHECK(model_match(pattern, text) == matches);
  }
  // Escaped and bracketed stars are not star runs.
  CHECK(glob_match(repeat("\\*", 1200), std::string(1200, '*')));
  CHECK(glob_match(repeat("[*]", 1200), std::string(1200, '*')));
}

TEST_CASE("glob: hostile patterns take steps bounded by pattern x text", "[glob]") {
  const std::string text(64 * 1024, 'a');
  SECTION("Redis's nested-loops regression at scale: 10000 stars over 64 KiB") {
    const std::string pattern = repeat("a*", 10000, "b");
    const auto trace = glob_match_traced(pattern, text);
    CHECK_FALSE(trace.matched);
    CHECK(trace.steps <= 2 * (pattern.size() + text.size()));
    CHECK_FALSE(glob_match(pattern, text + "b"));  // over the star-run limit
    CHECK_FALSE(model_match(pattern, text + "b"));
  }
  SECTION("1000 stars, as many as Redis follows, over 64 KiB") {
    const std::string pattern = repeat("a*", 1000, "b");
    const auto trace = glob_match_traced(pattern, text);
    CHECK_FALSE(trace.matched);
    // Linear, not just pattern x text: every segment is one byte long.
    CHECK(trace.steps <= 2 * (pattern.size() + text.size()));
    const auto found = glob_match_traced(pattern, text + "b");
    CHECK(found.matched);
    CHECK(found.steps <= 2 * (pattern.size() + text.size()));
    CHECK(model_match(pattern, text + "b"));
  }
  SECTION("stars and question marks") {
    CHECK(glob_match(repeat("*?", 1000), text));
    CHECK_FALSE(glob_match(repeat("*?", 1000), std::string(999, 'a')));
    CHECK_FALSE(glob_match(repeat("*?", 40000), text));
    CHECK(glob_match(std::string(64 * 1024, '*'), text));
    CHECK(glob_match(std::string(64 * 1024, '*') + "a", text));
    CHECK(glob_match("a" + std::string(64 * 1024, '*') + "?", text));
  }
  SECTION("a long segment after a star: the pattern x text worst case, and no more") {
    const std::string pattern = "*" + std::string(256, 'a') + "b";
    const auto trace = glob_match_traced(pattern, text);
    CHECK_FALSE(trace.matched);
    CHECK(trace.steps <= (text.size() + 1) * (pattern.size() + 1));
    CHECK(trace.steps >= text.size() * 200);  // it really is the quadratic shape
  }
  SECTION("sets, open sets and escapes in bulk") {
    CHECK(glob_match(repeat("*[a-b]", 1000), text));
    CHECK_FALSE(glob_match(repeat("*[^a]", 1000), text));
    CHECK(glob_match(repeat("*\\a", 1000), text));
    // One set that never closes: a thousand members, walked once per byte.
    const auto open = glob_match_traced("*" + repeat("[", 1000), text);
    CHECK_FALSE(open.matched);
    CHECK(open.steps <= 2 * (text.size() + 1));
  }
}
