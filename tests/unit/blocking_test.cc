// Blocking list and sorted-set commands through a real server: clients wait, are served in
// arrival order by the command that made their key ready, time out, are unblocked. Replies were
// checked against redis-server 7.0.15 with the same sequences.

#include <catch2/catch.hpp>

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

std::string key_on(int shard, const std::string& prefix) {
  for (int i = 0;; ++i) {
    std::string key = prefix + std::to_string(i);
    if ((eddy::key_slot(key) >= 8192) == (shard == 1)) return key;
  }
}

// Sends a command without reading its reply (the client blocks).
void send(BlockingClient& c, const std::vector<std::string>& args) {
  c.send_raw(BlockingClient::encode(args));
}

// Waits until INFO reports `count` blocked clients.
void wait_blocked(BlockingClient& c, int count) {
  const std::string line = "blocked_clients:" + std::to_string(count) + "\r\n";
  for (int attempt = 0; attempt < 500; ++attempt) {
    const Reply info = c.call({"INFO", "clients"});
    if (info.text.find(line) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("never saw " << line);
}

Reply pair(const std::string& key, const std::string& value) {
  return Reply::array({Reply::bulk(key), Reply::bulk(value)});
}

}  // namespace

TEST_CASE("BLPOP waits for a push; the pusher's next command sees the element gone", "[blocking]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient r(server.port());
  BlockingClient waiter(server.port());
  const std::string k = key_on(1, "list");

  // Something there: answered at once, like LPOP.
  CHECK(r.call({"RPUSH", k, "a"}) == Reply::integer(1));
  CHECK(waiter.call({"BLPOP", k, "0"}) == pair(k, "a"));
  CHECK(r.call({"EXISTS", k}) == Reply::integer(0));

  send(waiter, {"BLPOP", "nothing-here", k, "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"RPUSH", k, "x", "y"}) == Reply::integer(2));
  // Served before the pusher's reply: the list already lost its head.
  CHECK(r.call({"LRANGE", k, "0", "-1"}) == Reply::array({Reply::bulk("y")}));
  CHECK(waiter.read_reply() == pair(k, "x"));
  wait_blocked(r, 0);
}

TEST_CASE("blocked clients are served first come, first served", "[blocking]") {
  TestServer server(2);
  BlockingClient r(server.port());
  BlockingClient first(server.port());
  BlockingClient second(server.port());
  const std::string k = key_on(0, "fifo");
  send(first, {"BRPOP", k, "0"});
  wait_blocked(r, 1);
  send(second, {"BRPOP", k, "0"});
  wait_blocked(r, 2);
  CHECK(r.call({"LPUSH", k, "one"}) == Reply::integer(1));
  CHECK(first.read_reply() == pair(k, "one"));
  wait_blocked(r, 1);
  CHECK(r.call({"LPUSH", k, "two"}) == Reply::integer(1));
  CHECK(second.read_reply() == pair(k, "two"));
}

TEST_CASE("timeouts, CLIENT UNBLOCK, and blocking commands inside MULTI", "[blocking]") {
  TestServer server(2);
  BlockingClient r(server.port());
  BlockingClient waiter(server.port());

  const auto start = std::chrono::steady_clock::now();
  CHECK(waiter.call({"BLPOP", "empty", "0.2"}) == Reply::null_array());
  CHECK(waiter.call({"BLMOVE", "empty", "dst", "LEFT", "RIGHT", "0.05"}) == Reply::null());
  CHECK(waiter.call({"BZPOPMIN", "empty", "0.05"}) == Reply::null_array());
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(290));
  CHECK(waited < std::chrono::seconds(2));

  CHECK(waiter.call({"BLPOP", "k", "-1"}) == Reply::error("ERR timeout is negative"));
  CHECK(waiter.call({"BLPOP", "k", "abc"}) ==
        Reply::error("ERR timeout is not a float or out of range"));
  CHECK(r.call({"SET", "str", "v"}) == Reply::ok());
  CHECK(waiter.call({"BLPOP", "str", "0"}) ==
        Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"));

  const Reply id = waiter.call({"CLIENT", "ID"});
  send(waiter, {"BLPOP", "empty", "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"CLIENT", "UNBLOCK", std::to_string(id.number), "TIMEOUT"}) == Reply::integer(1));
  CHECK(waiter.read_reply() == Reply::null_array());
  send(waiter, {"BRPOPLPUSH", "empty", "dst", "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"CLIENT", "UNBLOCK", std::to_string(id.number), "ERROR"}) == Reply::integer(1));
  CHECK(waiter.read_reply() == Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  CHECK(r.call({"CLIENT", "UNBLOCK", std::to_string(id.number)}) == Reply::integer(0));

  // Inside MULTI nothing blocks: an empty key answers as a timeout would.
  CHECK(waiter.call({"MULTI"}) == Reply::ok());
  CHECK(waiter.call({"BLPOP", "empty", "0"}) == Reply::simple("QUEUED"));
  CHECK(waiter.call({"BZPOPMAX", "empty", "0"}) == Reply::simple("QUEUED"));
  CHECK(waiter.call({"EXEC"}) == Reply::array({Reply::null_array(), Reply::null_array()}));
}

TEST_CASE("a push inside MULTI/EXEC serves the blocked client after the whole EXEC", "[blocking]") {
  TestServer server(2);
  BlockingClient r(server.port());
  BlockingClient waiter(server.port());
  send(waiter, {"BLPOP", "list{t}", "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"MULTI"}) == Reply::ok());
  CHECK(r.call({"LPUSH", "list{t}", "a"}) == Reply::simple("QUEUED"));
  CHECK(r.call({"LPUSH", "list{t}", "b"}) == Reply::simple("QUEUED"));
  CHECK(r.call({"LPUSH", "list{t}", "c"}) == Reply::simple("QUEUED"));
  CHECK(r.call({"EXEC"}) ==
        Reply::array({Reply::integer(1), Reply::integer(2), Reply::integer(3)}));
  CHECK(waiter.read_reply() == pair("list{t}", "c"));

  // A push and a delete in one EXEC leave nothing: the client stays blocked.
  CHECK(r.call({"DEL", "list{t}"}) == Reply::integer(1));
  send(waiter, {"BLPOP", "list{t}", "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"MULTI"}) == Reply::ok());
  CHECK(r.call({"LPUSH", "list{t}", "gone"}) == Reply::simple("QUEUED"));
  CHECK(r.call({"DEL", "list{t}"}) == Reply::simple("QUEUED"));
  CHECK(r.call({"EXEC"}) == Reply::array({Reply::integer(1), Reply::integer(1)}));
  wait_blocked(r, 1);
  CHECK(r.call({"RPUSH", "list{t}", "later"}) == Reply::integer(1));
  CHECK(waiter.read_reply() == pair("list{t}", "later"));
}

TEST_CASE("linked BLMOVEs complete within the push that starts them", "[blocking]") {
  TestServer server(2);
  BlockingClient r(server.port());
  BlockingClient one(server.port());
  BlockingClient two(server.port());
  send(one, {"BLMOVE", "l1{t}", "l2{t}", "RIGHT", "LEFT", "0"});
  wait_blocked(r, 1);
  send(two, {"BLMOVE", "l2{t}", "l3{t}", "LEFT", "RIGHT", "0"});
  wait_blocked(r, 2);
  CHECK(r.call({"RPUSH", "l1{t}", "foo"}) == Reply::integer(1));
  CHECK(r.call({"LRANGE", "l1{t}", "0", "-1"}) == Reply::array({}));
  CHECK(r.call({"LRANGE", "l2{t}", "0", "-1"}) == Reply::array({}));
  CHECK(r.call({"LRANGE", "l3{t}", "0", "-1"}) == Reply::array({Reply::bulk("foo")}));
  CHECK(one.read_reply() == Reply::bulk("foo"));
  CHECK(two.read_reply() == Reply::bulk("foo"));

  // A destination of the wrong type: the blocked client gets the error, the element stays.
  CHECK(r.call({"SET", "target{t}", "string"}) == Reply::ok());
  send(one, {"BRPOPLPUSH", "src{t}", "target{t}", "0"});
  wait_blocked(r, 1);
  CHECK(r.call({"RPUSH", "src{t}", "kept"}) == Reply::integer(1));
  CHECK(one.read_reply() ==
        Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"));
  CHECK(r.call({"LRANGE", "src{t}", "0", "-1"}) == Reply::array({Reply::bulk("kept")}));
}

TEST_CASE("a client blocked on keys of two shards is served from either", "[blocking]") {
  TestServer server(2);
  BlockingClient r(server.port());
  BlockingClient waiter(server.port());
  const std::string a = key_on(0, "za");
  const std::string b = key_on(1, "zb");
  for (const std::string& pushed : {b, a}) {
    send(waiter, {"BZPOPMIN", a, b, "0"});
    wait_blocked(r, 1);
    CHECK(r.call({"ZADD", pushed, "2", "two", "1", "one"}) == Reply::integer(2));
    CHECK(waiter.read_reply() ==
          Reply::array({Reply::bulk(pushed), Reply::bulk("one"), Reply::bulk("1")}));
    CHECK(r.call({"ZRANGE", pushed, "0", "-1"}) == Reply::array({Reply::bulk("two")}));
    CHECK(r.call({"DEL", pushed}) == Reply::integer(1));
  }
  // BLMPOP across shards with a count.
  send(waiter, {"BLMPOP", "0", "2", a, b, "LEFT", "COUNT", "5"});
  wait_blocked(r, 1);
  CHECK(r.call({"RPUSH", a, "1", "2"}) == Reply::integer(2));
  CHECK(waiter.read_reply() ==
        Reply::array({Reply::bulk(a), Reply::array({Reply::bulk("1"), Reply::bulk("2")})}));
  // A timeout across shards.
  CHECK(waiter.call({"BLPOP", a, b, "0.05"}) == Reply::null_array());
  wait_blocked(r, 0);
}

TEST_CASE("a client that leaves while blocked takes nothing with it", "[blocking]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient r(server.port());
  const std::string a = key_on(0, "gone");
  const std::string b = key_on(1, "gone");
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"BLPOP", a, "0"}, std::vector<std::string>{"BLPOP", a, b, "0"}}) {
    {
      BlockingClient leaver(server.port());
      send(leaver, command);
      wait_blocked(r, 1);
    }  // the connection closes here
    wait_blocked(r, 0);
    CHECK(r.call({"RPUSH", a, "kept"}) == Reply::integer(1));
    CHECK(r.call({"LRANGE", a, "0", "-1"}) == Reply::array({Reply::bulk("kept")}));
    CHECK(r.call({"DEL", a}) == Reply::integer(1));
  }
}
