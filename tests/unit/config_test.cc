// CONFIG parameters that take effect: bound integers, ranges, aliases, all-or-nothing SET.

#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "engine/config.h"

TEST_CASE("a bound parameter takes effect, through its alias too, and rolls back with its batch",
          "[config]") {
  eddy::ServerConfig config;
  std::atomic<std::int64_t> target{0};
  config.bind_integer("hash-max-listpack-entries", &target, 0, INT64_MAX);
  CHECK(target.load() == 512);
  std::string error;
  REQUIRE(config.set("hash-max-listpack-entries", "7", &error));
  CHECK(target.load() == 7);
  REQUIRE(config.set("hash-max-ziplist-entries", "9", &error));
  CHECK(target.load() == 9);
  CHECK(config.get_one("hash-max-listpack-entries") == "9");
  const auto both = config.get("hash-max-*-entries");
  REQUIRE(both.size() == 2);
  CHECK(both[0].second == "9");
  CHECK(both[1].second == "9");

  CHECK_FALSE(config.set("hash-max-listpack-entries", "-1", &error));
  CHECK(target.load() == 9);
  // All or nothing: the first setting is undone when the second is refused.
  CHECK_FALSE(config.set_all({{"hash-max-listpack-entries", "3"}, {"no-such-thing", "1"}}, &error));
  CHECK(target.load() == 9);
  CHECK(config.get_one("hash-max-listpack-entries") == "9");
}

TEST_CASE("a bound parameter with a signed range takes negative values", "[config]") {
  eddy::ServerConfig config;
  std::atomic<std::int64_t> target{0};
  config.bind_integer("list-max-listpack-size", &target, INT32_MIN, INT32_MAX);
  CHECK(target.load() == -2);
  std::string error;
  REQUIRE(config.set("list-max-ziplist-size", "-5", &error));
  CHECK(target.load() == -5);
  REQUIRE(config.set("list-max-listpack-size", "128", &error));
  CHECK(target.load() == 128);
  CHECK_FALSE(config.set("list-max-listpack-size", "99999999999", &error));
  CHECK(error.find("between") != std::string::npos);
}

// The defaults are Redis 7.0.15's (its config.c), so a fresh eddy converts collections where a
// fresh Redis does; set-max-listpack-* are Redis 7.2's, which 7.0 lacks.
TEST_CASE("encoding thresholds default to Redis 7.0's", "[config]") {
  eddy::ServerConfig config;
  const std::pair<const char*, const char*> expected[] = {
      {"hash-max-listpack-entries", "512"}, {"hash-max-listpack-value", "64"},
      {"set-max-intset-entries", "512"},    {"set-max-listpack-entries", "128"},
      {"set-max-listpack-value", "64"},     {"zset-max-listpack-entries", "128"},
      {"zset-max-listpack-value", "64"},    {"list-max-listpack-size", "-2"},
      {"list-compress-depth", "0"},         {"hll-sparse-max-bytes", "3000"},
  };
  for (const auto& [name, value] : expected) {
    INFO(name);
    CHECK(config.get_one(name) == value);
  }
}
