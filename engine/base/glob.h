#pragma once
// Redis's glob matching (stringmatchlen of Redis 7.0), in O(|pattern| x |text|) time, O(1)
// memory and without recursion. Patterns are client input (KEYS, SCAN MATCH, CONFIG GET), so
// the matcher must not backtrack exponentially nor recurse per star the way Redis's own code
// does (the CVE-2022-36021 class: KEYS a*a*a*...*b over a long key).
//
// The syntax, with Redis's exact edge cases:
//   *        any run of bytes, empty included
//   ?        any one byte
//   [set]    one byte in the set; [^set] one byte not in it. Inside, \x is the byte x (matched
//            case-sensitively even under nocase), a-z a range (either order; under nocase both
//            ends are lowered *after* ordering them, so [Z-m] matches nothing), anything else a
//            literal. "[]" matches nothing and "[^]" any byte. A set that never closes runs
//            to the end of the pattern ("[abc" is [abc]); a range may swallow the ']' ("[a-]"
//            is the range ']'..'a', left open).
//   \x       the byte x; a trailing \ is a literal backslash.
//   nocase   folds ASCII letters only (Redis runs with LC_CTYPE "C").
// Bytes compare as signed char (Redis on x86), which only shows in ranges: [\x01-\x80] is the
// range -128..1, so it holds \x90 and not 'a'.
//
// Like every Redis release patched for CVE-2024-31228 (Debian's 7.0.15 among them), a pattern with
// more than 1000 runs of stars before its last token matches nothing.
//
// An empty text matches only the empty pattern: not even "*" matches "" (Redis's loop never
// runs on an empty text). KEYS and SCAN MATCH treat a lone "*" as "everything" before they
// match, and so must their callers here.

#include <cstdint>
#include <string_view>

namespace eddy {

bool glob_match(std::string_view pattern, std::string_view text, bool nocase = false);

// The same answer, plus the number of steps the matcher took (a token tried against a byte, a
// run of stars crossed, or a retry from the last star). Steps never exceed
// (|text| + 1) * (|pattern| + 1); tests use the count to bound the work on hostile patterns.
struct GlobTrace {
  bool matched = false;
  std::uint64_t steps = 0;
};
GlobTrace glob_match_traced(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace eddy
