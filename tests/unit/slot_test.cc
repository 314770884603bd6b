#include <catch2/catch.hpp>

#include "engine/slot.h"

using namespace eddy;

TEST_CASE("CRC16 matches the Redis Cluster reference vector", "[slot]") {
  // The cluster specification's check value for CRC16/XMODEM.
  REQUIRE(crc16_xmodem("123456789") == 0x31C3);
  REQUIRE(crc16_xmodem("") == 0);
}

TEST_CASE("key slots agree with Redis Cluster", "[slot]") {
  // Values from the CLUSTER KEYSLOT documentation and Redis's cluster tests.
  REQUIRE(key_slot("somekey") == 11058);
  REQUIRE(key_slot("foo{hash_tag}") == 2515);
  REQUIRE(key_slot("foo") == 12182);
  REQUIRE(key_slot("bar") == 5061);
}

TEST_CASE("hashtags co-locate keys", "[slot]") {
  REQUIRE(hashtag("{user1000}.following") == "user1000");
  REQUIRE(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  // Only the first {...} counts, and an empty {} means no hashtag.
  REQUIRE(hashtag("foo{}{bar}") == "foo{}{bar}");
  REQUIRE(hashtag("foo{{bar}}zap") == "{bar");
  REQUIRE(hashtag("foo{bar}{zap}") == "bar");
  REQUIRE(hashtag("{}") == "{}");
  REQUIRE(hashtag("nobraces") == "nobraces");
  REQUIRE(hashtag("open{only") == "open{only");
}
