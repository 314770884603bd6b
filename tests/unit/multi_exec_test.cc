// MULTI/EXEC/DISCARD/WATCH/UNWATCH through a real server (sessions, routing, shards on two
// cores). Replies and error texts were checked against redis-server 7.0.15 with the same
// command sequences.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/slot.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/test_server.h"

namespace {

using eddy::testing::BlockingClient;
using eddy::testing::Reply;
using eddy::testing::TestServer;

// A key on shard `shard` of a two-shard server (slots 0-8191 and 8192-16383).
std::string key_on(int shard, const std::string& prefix) {
  for (int i = 0;; ++i) {
    std::string key = prefix + std::to_string(i);
    if ((eddy::key_slot(key) >= 8192) == (shard == 1)) return key;
  }
}

const Reply kQueued = Reply::simple("QUEUED");

}  // namespace

TEST_CASE("MULTI/EXEC runs the queue and answers each command in order", "[multi]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient c(server.port());
  const std::string a = key_on(0, "a");
  const std::string b = key_on(1, "b");

  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"SET", a, "1"}) == kQueued);
  CHECK(c.call({"INCR", a}) == kQueued);
  CHECK(c.call({"RPUSH", b, "x", "y"}) == kQueued);
  CHECK(c.call({"PING"}) == kQueued);
  CHECK(c.call({"MSET", a, "10", b + "s", "20"}) == kQueued);
  CHECK(c.call({"GET", a}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::ok(), Reply::integer(2), Reply::integer(2),
                                          Reply::simple("PONG"), Reply::ok(), Reply::bulk("10")}));
  CHECK(c.call({"LRANGE", b, "0", "-1"}) == Reply::array({Reply::bulk("x"), Reply::bulk("y")}));

  // A command that fails at run time fails alone; the rest still run (as Redis).
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"INCR", b}) == kQueued);
  CHECK(c.call({"INCR", a}) == kQueued);
  CHECK(c.call({"EXEC"}) ==
        Reply::array(
            {Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
             Reply::integer(11)}));

  // SELECT inside the queue moves the later commands, and the connection, to that database.
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"SELECT", "3"}) == kQueued);
  CHECK(c.call({"SET", a, "in3"}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::ok(), Reply::ok()}));
  CHECK(c.call({"GET", a}) == Reply::bulk("in3"));
  CHECK(c.call({"SELECT", "0"}) == Reply::ok());
  CHECK(c.call({"GET", a}) == Reply::bulk("11"));

  // A fan-out in the queue (the sequential plan).
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"DBSIZE"}) == kQueued);
  CHECK(c.call({"DEL", a}) == kQueued);
  CHECK(c.call({"DBSIZE"}) == kQueued);
  CHECK(c.call({"EXEC"}) ==
        Reply::array({Reply::integer(3), Reply::integer(1), Reply::integer(2)}));

  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::array({}));
}

TEST_CASE("MULTI errors: nesting, refused commands, EXEC and DISCARD alone", "[multi]") {
  TestServer server(2);
  BlockingClient c(server.port());
  CHECK(c.call({"EXEC"}) == Reply::error("ERR EXEC without MULTI"));
  CHECK(c.call({"DISCARD"}) == Reply::error("ERR DISCARD without MULTI"));

  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::error("ERR MULTI calls can not be nested"));
  CHECK(c.call({"WATCH", "k"}) == Reply::error("ERR WATCH inside MULTI is not allowed"));
  CHECK(c.call({"SET", "k", "v"}) == kQueued);
  CHECK(c.call({"DISCARD"}) == Reply::ok());
  CHECK(c.call({"EXISTS", "k"}) == Reply::integer(0));

  // An unknown command or a wrong arity while queueing dooms the transaction.
  for (const std::vector<std::string>& refused :
       {std::vector<std::string>{"NOSUCHCOMMAND"}, std::vector<std::string>{"SET", "k"}}) {
    CHECK(c.call({"MULTI"}) == Reply::ok());
    CHECK(c.call({"SET", "k", "v"}) == kQueued);
    CHECK(c.call(refused).kind == Reply::Kind::kError);
    CHECK(c.call({"SET", "k2", "v"}) == kQueued);
    CHECK(c.call({"EXEC"}) ==
          Reply::error("EXECABORT Transaction discarded because of previous errors."));
    CHECK(c.call({"EXISTS", "k", "k2"}) == Reply::integer(0));
  }
  CHECK(c.call({"EXEC"}) == Reply::error("ERR EXEC without MULTI"));
}

TEST_CASE("WATCH: a change by another client, or an expiry, makes EXEC answer null", "[multi]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient c(server.port());
  BlockingClient other(server.port());
  const std::string a = key_on(0, "a");
  const std::string b = key_on(1, "b");

  // Untouched: runs.
  CHECK(c.call({"SET", a, "1"}) == Reply::ok());
  CHECK(c.call({"WATCH", a, b}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"INCR", a}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::integer(2)}));

  // Touched by another client, on the same shard as the queue or on another one.
  for (const std::string& touched : {a, b}) {
    CHECK(c.call({"WATCH", a, b}) == Reply::ok());
    CHECK(other.call({"SET", touched, "x"}) == Reply::ok());
    CHECK(c.call({"MULTI"}) == Reply::ok());
    CHECK(c.call({"SET", a, "never"}) == kQueued);
    CHECK(c.call({"EXEC"}) == Reply::null_array());
    CHECK_FALSE(c.call({"GET", a}) == Reply::bulk("never"));
  }

  // A write that changes nothing is no change; a write by the client itself is.
  CHECK(c.call({"DEL", b}) == Reply::integer(1));
  CHECK(c.call({"WATCH", b}) == Reply::ok());
  CHECK(other.call({"DEL", b}) == Reply::integer(0));
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"PING"}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::simple("PONG")}));
  CHECK(c.call({"WATCH", b}) == Reply::ok());
  CHECK(c.call({"SET", b, "mine"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::null_array());

  // UNWATCH forgets; FLUSHALL touches every watched key that exists.
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(other.call({"SET", a, "y"}) == Reply::ok());
  CHECK(c.call({"UNWATCH"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::array({}));
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(other.call({"FLUSHALL"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::null_array());
  // ... and leaves a watched key alone that was not there (Redis's touchAllWatchedKeysInDb),
  // through FLUSHALL, FLUSHDB and a SWAPDB that brings no such key in.
  for (const char* flush : {"FLUSHALL", "FLUSHDB", "SWAPDB"}) {
    CHECK(c.call({"WATCH", a}) == Reply::ok());
    if (std::string_view(flush) == "SWAPDB") {
      CHECK(other.call({"SWAPDB", "0", "1"}) == Reply::ok());
    } else {
      CHECK(other.call({flush}) == Reply::ok());
    }
    CHECK(c.call({"MULTI"}) == Reply::ok());
    CHECK(c.call({"PING"}) == kQueued);
    CHECK(c.call({"EXEC"}) == Reply::array({Reply::simple("PONG")}));
  }
  // A SWAPDB that brings the watched key in touches it.
  CHECK(other.call({"SELECT", "1"}) == Reply::ok());
  CHECK(other.call({"SET", a, "from-db1"}) == Reply::ok());
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(other.call({"SWAPDB", "0", "1"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::null_array());
  CHECK(c.call({"GET", a}) == Reply::bulk("from-db1"));
  CHECK(c.call({"FLUSHALL"}) == Reply::ok());

  // A key that expires between WATCH and EXEC is a change; one already expired at WATCH is not.
  CHECK(c.call({"SET", a, "v", "PX", "60"}) == Reply::ok());
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::null_array());
  CHECK(c.call({"SET", a, "v", "PX", "1"}) == Reply::ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"GET", a}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::null()}));
}

TEST_CASE("EXEC across shards is atomic: no reader sees half a transaction", "[multi]") {
  TestServer server(2);
  const std::string a = key_on(0, "a");
  const std::string b = key_on(1, "b");
  {
    BlockingClient c(server.port());
    REQUIRE(c.call({"MSET", a, "0", b, "0"}) == Reply::ok());
  }
  constexpr int kRounds = 300;
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < 2; ++writer) {
    threads.emplace_back([&] {
      BlockingClient c(server.port());
      for (int i = 0; i < kRounds; ++i) {
        c.call({"MULTI"});
        c.call({"INCR", a});
        c.call({"INCR", b});
        if (c.call({"EXEC"}).kind != Reply::Kind::kArray) torn = true;
      }
    });
  }
  threads.emplace_back([&] {
    BlockingClient c(server.port());
    for (int i = 0; i < kRounds; ++i) {
      // Both a single-shard-looking read pair and MGET must see a == b.
      c.call({"MULTI"});
      c.call({"GET", a});
      c.call({"GET", b});
      const Reply r = c.call({"EXEC"});
      if (r.kind != Reply::Kind::kArray || r.elements.size() != 2 ||
          !(r.elements[0] == r.elements[1])) {
        torn = true;
      }
      const Reply m = c.call({"MGET", a, b});
      if (m.elements.size() != 2 || !(m.elements[0] == m.elements[1])) torn = true;
    }
  });
  for (auto& t : threads) t.join();
  CHECK_FALSE(torn.load());
  BlockingClient c(server.port());
  CHECK(c.call({"MGET", a, b}) == Reply::array({Reply::bulk(std::to_string(2 * kRounds)),
                                                Reply::bulk(std::to_string(2 * kRounds))}));
}

TEST_CASE("WATCH of a key that another client then writes inside its own EXEC", "[multi]") {
  TestServer server(2);
  BlockingClient c(server.port());
  BlockingClient other(server.port());
  const std::string a = key_on(0, "a");
  const std::string b = key_on(1, "b");
  CHECK(c.call({"WATCH", b}) == Reply::ok());
  CHECK(other.call({"MULTI"}) == Reply::ok());
  CHECK(other.call({"SET", a, "1"}) == kQueued);
  CHECK(other.call({"SET", b, "1"}) == kQueued);
  CHECK(other.call({"EXEC"}) == Reply::array({Reply::ok(), Reply::ok()}));
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"GET", b}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::null_array());
}

TEST_CASE("UNWATCH inside MULTI is queued; RESET ends a transaction and the watches", "[multi]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient c(server.port());
  BlockingClient other(server.port());
  const std::string a = key_on(0, "a");
  const std::string b = key_on(1, "b");

  // Queued, as in Redis: the WATCH still guards this EXEC, and the reply is UNWATCH's OK.
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"UNWATCH"}) == kQueued);
  CHECK(other.call({"SET", a, "changed"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::null_array());
  CHECK(c.call({"WATCH", a, b}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"SET", b, "1"}) == kQueued);
  CHECK(c.call({"UNWATCH"}) == kQueued);
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::ok(), Reply::ok()}));

  // RESET inside MULTI runs at once and discards the queue.
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"SET", a, "never"}) == kQueued);
  CHECK(c.call({"RESET"}) == Reply::simple("RESET"));
  CHECK(c.call({"EXEC"}) == Reply::error("ERR EXEC without MULTI"));
  CHECK(c.call({"GET", a}) == Reply::bulk("changed"));
  // ... forgets the watches ...
  CHECK(c.call({"WATCH", a}) == Reply::ok());
  CHECK(c.call({"RESET"}) == Reply::simple("RESET"));
  CHECK(other.call({"SET", a, "again"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"EXEC"}) == Reply::array({}));
  // ... and the database, the protocol and the name.
  CHECK(c.call({"SELECT", "3"}) == Reply::ok());
  CHECK(c.call({"CLIENT", "SETNAME", "before"}) == Reply::ok());
  CHECK(c.call({"HELLO", "3"}).kind == Reply::Kind::kMap);
  CHECK(c.call({"RESET"}) == Reply::simple("RESET"));
  CHECK(c.call({"GET", a}) == Reply::bulk("again"));
  CHECK(c.call({"CLIENT", "GETNAME"}) == Reply::null());
  CHECK(c.call({"HGETALL", "no-such-hash"}) == Reply::array({}));  // RESP2: an array, no map
  // ... and the user: back to the default one (RESET clears authenticated state).
  CHECK(c.call({"ACL", "SETUSER", "resetter", "on", ">pw", "+@all", "~*"}) == Reply::ok());
  CHECK(c.call({"AUTH", "resetter", "pw"}) == Reply::ok());
  CHECK(c.call({"ACL", "WHOAMI"}) == Reply::bulk("resetter"));
  CHECK(other.call({"CLIENT", "KILL", "USER", "nobody"}) ==
        Reply::error("ERR No such user 'nobody'"));
  CHECK(c.call({"RESET"}) == Reply::simple("RESET"));
  CHECK(c.call({"ACL", "WHOAMI"}) == Reply::bulk("default"));
  CHECK(c.call({"AUTH", "resetter", "pw"}) == Reply::ok());
  CHECK(other.call({"CLIENT", "KILL", "USER", "resetter"}) == Reply::integer(1));
  CHECK_THROWS(c.call({"PING"}));
  BlockingClient again(server.port());
  CHECK(again.call({"RESET", "extra"}) ==
        Reply::error("ERR wrong number of arguments for 'reset' command"));
}
