// SmallString and Value against std::string / std::to_string models.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/kv/small_string.h"
#include "engine/kv/value.h"

namespace {

using eddy::kv::SmallString;
using eddy::kv::Value;

// Lengths cluster around the 22-byte inline limit and the heap-reuse thresholds.
rc::Gen<std::string> interesting_string() {
  return rc::gen::mapcat(
      rc::gen::weightedOneOf<std::size_t>({{3, rc::gen::inRange<std::size_t>(0, 30)},
                                           {1, rc::gen::inRange<std::size_t>(30, 300)},
                                           {1, rc::gen::element<std::size_t>(21, 22, 23, 256)}}),
      [](std::size_t n) {
        return rc::gen::map(rc::gen::inRange(0, 26), [n](int c) {
          // Vary the contents a little so copies are distinguishable from stale bytes.
          std::string s(n, static_cast<char>('a' + c));
          for (std::size_t i = 0; i < n; i += 7) s[i] = static_cast<char>('A' + (i + c) % 26);
          return s;
        });
      });
}

void check_matches(const SmallString& s, const std::string& model) {
  RC_ASSERT(std::string(s.view()) == model);
  RC_ASSERT(s.size() == model.size());
  RC_ASSERT(s.empty() == model.empty());
  if (model.size() <= SmallString::kInlineCapacity) {
    RC_ASSERT(s.heap_bytes() == 0u);
  } else {
    RC_ASSERT(s.heap_bytes() >= model.size());
  }
}

}  // namespace

TEST_CASE("SmallString layout", "[kv]") {
  STATIC_REQUIRE(sizeof(SmallString) == 24);
  SmallString empty;
  REQUIRE(empty.empty());
  REQUIRE(empty.view().empty());
  REQUIRE(empty.heap_bytes() == 0);
  SmallString inline22(std::string(22, 'x'));
  REQUIRE(inline22.heap_bytes() == 0);
  REQUIRE(inline22.view() == std::string(22, 'x'));
  SmallString heap23(std::string(23, 'y'));
  REQUIRE(heap23.heap_bytes() >= 23);
  REQUIRE(heap23.view() == std::string(23, 'y'));
}

TEST_CASE("SmallString matches a std::string model", "[kv]") {
  rc::prop("random assign/append/resize/clone/move sequences", [] {
    SmallString s;
    std::string model;
    const std::uint8_t user = *rc::gen::arbitrary<std::uint8_t>();
    s.set_user_byte(user);
    const auto ops =
        *rc::gen::container<std::vector<std::tuple<int, std::string, std::size_t>>>(rc::gen::tuple(
            rc::gen::inRange(0, 8), interesting_string(), rc::gen::inRange<std::size_t>(0, 300)));
    for (const auto& [op, text, n] : ops) {
      switch (op) {
        case 0:
          s.assign(text);
          model = text;
          break;
        case 1:
          s.append(text);
          model += text;
          break;
        case 2: {
          char* bytes = s.resize(n);
          model.resize(n, '\0');
          RC_ASSERT(bytes == s.data());
          // Writing through the returned pointer is what SETRANGE does.
          if (n > 0) {
            bytes[n / 2] = 'Z';
            model[n / 2] = 'Z';
          }
          break;
        }
        case 3: {
          // Source inside the string itself.
          const std::size_t from = model.empty() ? 0 : n % model.size();
          const std::string piece = model.substr(from, n / 3);
          s.assign(s.view().substr(from, n / 3));
          model = piece;
          break;
        }
        case 4: {
          const std::size_t from = model.empty() ? 0 : n % model.size();
          const std::string piece = model.substr(from, n / 2);
          s.append(s.view().substr(from, n / 2));
          model += piece;
          break;
        }
        case 5: {
          SmallString copy = s.clone();
          RC_ASSERT(copy.view() == s.view());
          RC_ASSERT(copy.user_byte() == user);
          if (!model.empty()) RC_ASSERT(copy.data() != s.data());
          break;
        }
        case 6: {
          SmallString moved(std::move(s));
          RC_ASSERT(s.empty());  // NOLINT: moved-from is defined: empty
          s = std::move(moved);
          break;
        }
        default: {
          SmallString other(text);
          other = std::move(s);
          s = std::move(other);
          break;
        }
      }
      check_matches(s, model);
      RC_ASSERT(s.user_byte() == user);
    }
  });
}

TEST_CASE("SmallString assign reuses a fitting heap buffer", "[kv]") {
  SmallString s(std::string(256, 'a'));
  const char* buffer = s.data();
  const std::size_t heap = s.heap_bytes();
  s.assign(std::string(256, 'b'));
  REQUIRE(s.data() == buffer);
  REQUIRE(s.heap_bytes() == heap);
  REQUIRE(s.view() == std::string(256, 'b'));
  s.assign(std::string(128, 'c'));  // half the capacity: still reused
  REQUIRE(s.data() == buffer);
  REQUIRE(s.view() == std::string(128, 'c'));
  s.assign(std::string(100, 'd'));  // more than 2x too big: reallocated to fit
  REQUIRE(s.heap_bytes() == 100);
  REQUIRE(s.view() == std::string(100, 'd'));
  s.assign("short");
  REQUIRE(s.heap_bytes() == 0);
  REQUIRE(s.view() == "short");
}

TEST_CASE("SmallString append grows geometrically", "[kv]") {
  SmallString s;
  std::string model;
  std::set<std::size_t> capacities;
  for (int i = 0; i < 100000; ++i) {
    s.append("x");
    model += 'x';
    capacities.insert(s.heap_bytes());
  }
  REQUIRE(s.view() == model);
  REQUIRE(capacities.size() < 20);
}

TEST_CASE("Value::parse_canonical_int", "[kv]") {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"0", true},
      {"1", true},
      {"-1", true},
      {"42", true},
      {"9223372036854775807", true},
      {"-9223372036854775808", true},
      {"9223372036854775808", false},
      {"-9223372036854775809", false},
      {"18446744073709551616", false},
      {"99999999999999999999", false},
      {"100000000000000000000", false},
      {"", false},
      {"-", false},
      {"-0", false},
      {"00", false},
      {"01", false},
      {"+1", false},
      {" 1", false},
      {"1 ", false},
      {"1a", false},
      {"1.0", false},
      {"0x10", false},
  };
  for (const auto& [text, canonical] : cases) {
    INFO(text);
    std::int64_t number = 12345;
    REQUIRE(Value::parse_canonical_int(text, &number) == canonical);
    if (canonical) REQUIRE(std::to_string(number) == text);
  }
  std::int64_t number = 0;
  REQUIRE(Value::parse_canonical_int("-9223372036854775808", &number));
  REQUIRE(number == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("Value::parse_canonical_int agrees with std::to_string", "[kv]") {
  rc::prop("every int64 round-trips", [](std::int64_t v) {
    std::int64_t parsed = 0;
    RC_ASSERT(Value::parse_canonical_int(std::to_string(v), &parsed));
    RC_ASSERT(parsed == v);
  });
  rc::prop("digit strings are canonical iff they print back the same", [] {
    const std::string text =
        *rc::gen::container<std::string>(rc::gen::element('0', '1', '5', '9', '-', '+', ' '));
    std::int64_t parsed = 0;
    const bool canonical = Value::parse_canonical_int(text, &parsed);
    if (canonical) RC_ASSERT(std::to_string(parsed) == text);
    // The model: a canonical form is whatever a valid int64 prints as.
    bool model = false;
    try {
      std::size_t used = 0;
      const long long v = std::stoll(text, &used);
      model = used == text.size() && std::to_string(v) == text;
    } catch (const std::exception&) {
      model = false;
    }
    RC_ASSERT(canonical == model);
  });
}

TEST_CASE("Value matches a std::string model", "[kv]") {
  STATIC_REQUIRE(sizeof(Value) <= 24);
  rc::prop("set_string/set_int/mutable_string sequences", [] {
    Value value;
    std::string model;
    const auto ops =
        *rc::gen::container<std::vector<std::tuple<int, std::string, std::int64_t>>>(rc::gen::tuple(
            rc::gen::inRange(0, 6),
            rc::gen::oneOf(interesting_string(),
                           rc::gen::map(rc::gen::arbitrary<std::int64_t>(),
                                        [](std::int64_t v) { return std::to_string(v); })),
            rc::gen::arbitrary<std::int64_t>()));
    for (const auto& [op, text, number] : ops) {
      switch (op) {
        case 0:
        case 1:
          value.set_string(text);
          model = text;
          break;
        case 2:
          value.set_int(number);
          model = std::to_string(number);
          break;
        case 3:
          value.mutable_string().append(text);
          model += text;
          RC_ASSERT(!value.is_int());
          break;
        case 4: {
          SmallString& bytes = value.mutable_string();
          RC_ASSERT(!value.is_int());
          if (!model.empty()) {
            bytes.resize(model.size())[0] = 'q';
            model[0] = 'q';
          }
          break;
        }
        default: {
          Value copy = value.clone();
          value = std::move(copy);
          break;
        }
      }
      char scratch[Value::kIntScratchBytes];
      RC_ASSERT(value.type() == Value::Type::kString);
      RC_ASSERT(std::string(value.view(scratch)) == model);
      RC_ASSERT(value.string_length() == model.size());
      if (op <= 2) {
        std::int64_t parsed;
        const bool canonical = Value::parse_canonical_int(model, &parsed);
        RC_ASSERT(value.is_int() == canonical);
        if (canonical) RC_ASSERT(value.as_int() == parsed);
      }
      if (value.is_int()) RC_ASSERT(value.memory_bytes() == 0u);
    }
  });
}

TEST_CASE("Value encodings", "[kv]") {
  Value value;
  char scratch[Value::kIntScratchBytes];
  REQUIRE(value.view(scratch).empty());
  REQUIRE_FALSE(value.is_int());
  value.set_string("12345");
  REQUIRE(value.is_int());
  REQUIRE(value.as_int() == 12345);
  REQUIRE(value.view(scratch) == "12345");
  REQUIRE(value.string_length() == 5);
  value.set_string("012345");
  REQUIRE_FALSE(value.is_int());
  value.set_int(std::numeric_limits<std::int64_t>::min());
  REQUIRE(value.view(scratch) == "-9223372036854775808");
  REQUIRE(value.string_length() == 20);
  value.set_int(7);
  value.mutable_string().append("0");  // APPEND to an int: becomes bytes "70"
  REQUIRE_FALSE(value.is_int());
  REQUIRE(value.view(scratch) == "70");
  // A 256-byte overwrite of a 256-byte value reuses the buffer (SET hot path).
  value.set_string(std::string(256, 'a'));
  const char* buffer = value.view(scratch).data();
  value.set_string(std::string(256, 'b'));
  REQUIRE(value.view(scratch).data() == buffer);
  REQUIRE(value.view(scratch) == std::string(256, 'b'));
  value.set_int(1);  // int encoding is inline: the buffer is released
  REQUIRE(value.memory_bytes() == 0);
}
