// CONFIG parameters that take effect: bound integers, ranges, aliases, all-or-nothing SET.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/config.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/test_server.h"

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
  // The alias reads the parameter's value, not a value of its own (it was "").
  CHECK(config.get_one("hash-max-ziplist-entries") == "9");
  CHECK(config.get_one("LIST-MAX-ZIPLIST-SIZE") == "-2");
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

// A parameter whose feature eddy does not build shows its true value and takes only that value:
// a client restoring what it read still works, and nothing else claims to take effect.
TEST_CASE("fixed parameters accept only their value and say why they refuse", "[config]") {
  eddy::ServerConfig config;
  std::string error;
  CHECK(config.set("appendonly", "no", &error));
  CHECK(config.set("APPENDONLY", "NO", &error));
  CHECK(config.set("hz", "10", &error));
  CHECK_FALSE(config.set("appendonly", "yes", &error));
  CHECK(error ==
        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - appendonly is set "
        "at start-up only (--appendonly or the config file): switching the log at run time "
        "needs a base snapshot, not built yet (docs/config.md)");
  // Set at start-up to yes, it refuses no the same way.
  config.set_initial("appendonly", "yes");
  CHECK(config.set("appendonly", "yes", &error));
  CHECK_FALSE(config.set("appendonly", "no", &error));
  config.set_initial("appendonly", "no");
  CHECK_FALSE(config.set("maxmemory", "100mb", &error));
  CHECK(config.get_one("maxmemory") == "0");
  // All or nothing: a refused fixed value undoes the bound one set before it.
  CHECK_FALSE(config.set_all({{"hash-max-listpack-entries", "3"}, {"appendonly", "yes"}}, &error));
  CHECK(config.get_one("hash-max-listpack-entries") == "512");
}

// Redis parses a plain integer parameter with string2ll and only memory parameters with units.
TEST_CASE("integer parameters take plain integers only; memory parameters take units", "[config]") {
  eddy::ServerConfig config;
  std::string error;
  for (const char* bad : {"1k", "1kb", "+5", " 5", "5 ", "007", "-0", "", "-",
                          "99999999999999999999", "9223372036854775808", "1.5", "0x10"}) {
    INFO(bad);
    CHECK_FALSE(config.set("acllog-max-len", bad, &error));
    CHECK(error ==
          "ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - argument "
          "couldn't be parsed into an integer");
  }
  CHECK(config.get_one("acllog-max-len") == "128");
  CHECK(config.set("acllog-max-len", "0", &error));
  CHECK(config.set("acllog-max-len", "9223372036854775807", &error));
  CHECK_FALSE(config.set("list-max-listpack-size", "-9223372036854775809", &error));
  // The listpack value bounds and hll-sparse-max-bytes are memory values in Redis.
  CHECK(config.set("hash-max-listpack-value", "1kb", &error));
  CHECK(config.get_one("hash-max-listpack-value") == "1024");
  CHECK(config.set("hash-max-ziplist-value", "2k", &error));
  CHECK(config.get_one("hash-max-listpack-value") == "2000");
  CHECK(config.set("hll-sparse-max-bytes", "3kb", &error));
  CHECK(config.get_one("hll-sparse-max-bytes") == "3072");
  CHECK_FALSE(config.set("zset-max-listpack-value", "lots", &error));
  CHECK(error ==
        "ERR CONFIG SET failed (possibly related to argument 'zset-max-listpack-value') - "
        "argument must be a memory value");
}

// docs/config.md is the user's list of what each parameter does: it must name every one.
TEST_CASE("docs/config.md names every parameter CONFIG GET * lists", "[config]") {
  std::ifstream file(std::string(EDDY_SOURCE_DIR) + "/docs/config.md");
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  eddy::ServerConfig config;
  const auto all = config.get("*");
  REQUIRE(all.size() > 30);
  for (const auto& [name, value] : all) {
    INFO(name);
    CHECK(doc.find("`" + name + "`") != std::string::npos);
  }
}

TEST_CASE("CONFIG RESETSTAT zeroes what INFO counts and keeps the gauges", "[config]") {
  eddy::testing::TestServer server(2);
  eddy::testing::BlockingClient c(server.port());
  using eddy::testing::Reply;
  auto field = [&](const std::string& name) {
    const Reply info = c.call({"INFO", "all"});
    const std::string& text = info.text;
    const auto at = text.find("\r\n" + name + ":");
    REQUIRE(at != std::string::npos);
    const auto start = at + 2 + name.size() + 1;
    return text.substr(start, text.find("\r\n", start) - start);
  };
  CHECK(c.call({"SET", "k", "v"}) == Reply::ok());
  CHECK(c.call({"GET", "k"}) == Reply::bulk("v"));
  CHECK(c.call({"GET", "missing"}) == Reply::null());
  CHECK(field("keyspace_hits") != "0");
  CHECK(field("keyspace_misses") != "0");
  CHECK(field("total_connections_received") != "0");
  CHECK(c.call({"CONFIG", "RESETSTAT"}) == Reply::ok());
  CHECK(field("keyspace_hits") == "0");
  CHECK(field("keyspace_misses") == "0");
  CHECK(field("total_connections_received") == "0");
  CHECK(field("db0") == "keys=1,expires=0,avg_ttl=0");
  CHECK(c.call({"CONFIG", "RESETSTAT", "x"}) ==
        Reply::error("ERR wrong number of arguments for 'config|resetstat' command"));
}

// maxclients counts and checks in one atomic step: a burst of connections landing on both cores
// at once admits exactly the room left, and a place comes back when its client leaves.
TEST_CASE("maxclients admits exactly its number of clients, also in a burst", "[config]") {
  using eddy::testing::BlockingClient;
  using eddy::testing::Reply;
  eddy::testing::TestServer server(2);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CONFIG", "SET", "maxclients", "5"}) == Reply::ok());
  constexpr int kBurst = 16;
  std::vector<std::unique_ptr<BlockingClient>> clients;
  for (int i = 0; i < kBurst; ++i)
    clients.push_back(std::make_unique<BlockingClient>(server.port()));
  // A refused connection gets the error unasked; an admitted one answers a PING. (Nothing is
  // sent to a refused one: it is closed.)
  int admitted = 0;
  int refused = 0;
  for (auto& c : clients) {
    if (c->readable(200)) {
      CHECK(c->read_reply() == Reply::error("ERR max number of clients reached"));
      ++refused;
    } else {
      CHECK(c->call({"PING"}) == Reply::simple("PONG"));
      ++admitted;
    }
  }
  CHECK(admitted == 4);  // the admin is the fifth
  CHECK(refused == kBurst - 4);
  clients.clear();
  // The places come back: a new client gets in once the others have gone.
  bool got_in = false;
  for (int attempt = 0; attempt < 100 && !got_in; ++attempt) {
    BlockingClient late(server.port());
    got_in = late.call({"PING"}) == Reply::simple("PONG");
    if (!got_in) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(got_in);
  const Reply info = admin.call({"INFO", "stats"});
  CHECK(info.text.find("rejected_connections:" + std::to_string(kBurst - 4)) != std::string::npos);
}

TEST_CASE("CLIENT KILL by id, address and the old form; an idle client times out", "[config]") {
  using eddy::testing::BlockingClient;
  using eddy::testing::Reply;
  eddy::testing::TestServer server(2);
  BlockingClient admin(server.port());
  BlockingClient victim(server.port());
  BlockingClient blocked(server.port());
  const std::int64_t victim_id = victim.call({"CLIENT", "ID"}).number;
  const std::int64_t blocked_id = blocked.call({"CLIENT", "ID"}).number;
  CHECK(admin.call({"CLIENT", "KILL", "ID", "0"}) ==
        Reply::error("ERR client-id should be greater than 0"));
  CHECK(admin.call({"CLIENT", "KILL", "ID", "1", "TYPE", "bogus"}) ==
        Reply::error("ERR Unknown client type 'bogus'"));
  CHECK(admin.call({"CLIENT", "KILL", "ID", "1", "SKIPME"}) == Reply::error("ERR syntax error"));
  CHECK(admin.call({"CLIENT", "KILL", "1.2.3.4:5"}) == Reply::error("ERR No such client"));
  CHECK(admin.call({"CLIENT", "KILL", "ID", std::to_string(victim_id)}) == Reply::integer(1));
  CHECK_THROWS(victim.call({"PING"}));
  // A client blocked in BLPOP is killed too (its wait ends, nothing is popped for it).
  blocked.send({"BLPOP", "never-pushed", "0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(admin.call({"CLIENT", "KILL", "ID", std::to_string(blocked_id)}) == Reply::integer(1));
  CHECK_THROWS(blocked.read_reply());
  // SKIPME yes by default: the caller survives a filter that matches it ...
  const std::int64_t admin_id = admin.call({"CLIENT", "ID"}).number;
  CHECK(admin.call({"CLIENT", "KILL", "ID", std::to_string(admin_id)}) == Reply::integer(0));
  // ... and with SKIPME no it gets its reply, then the connection closes.
  CHECK(admin.call({"CLIENT", "KILL", "ID", std::to_string(admin_id), "SKIPME", "no"}) ==
        Reply::integer(1));
  CHECK_THROWS(admin.call({"PING"}));

  // timeout: an idle client goes, a busy one stays.
  BlockingClient busy(server.port());
  BlockingClient idle(server.port());
  CHECK(busy.call({"CONFIG", "SET", "timeout", "1"}) == Reply::ok());
  CHECK(idle.call({"PING"}) == Reply::simple("PONG"));
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(busy.call({"PING"}) == Reply::simple("PONG"));
  }
  CHECK_THROWS(idle.call({"PING"}));
  CHECK(busy.call({"CONFIG", "SET", "timeout", "0"}) == Reply::ok());
}
