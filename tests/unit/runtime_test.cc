// The fiber core, the cross-core ring, and the real epoll runtime serving RESP end to end.
// Tagged [runtime]: CI runs these under ThreadSanitizer too.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/base/assert.h"
#include "engine/engine.h"
#include "engine/fiber/scheduler.h"
#include "net/epoll/epoll_runtime.h"
#include "net/epoll/spsc_ring.h"
#include "net/session.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/test_server.h"

using namespace eddy;
using eddy::testing::BlockingClient;
using eddy::testing::Reply;
using eddy::testing::TestServer;

TEST_CASE("fibers run in FIFO order and resume after yield", "[runtime][fiber]") {
  fiber::Scheduler scheduler(64 * 1024);
  std::vector<int> trace;
  scheduler.spawn("a", [&] {
    trace.push_back(1);
    scheduler.yield();
    trace.push_back(3);
  });
  scheduler.spawn("b", [&] {
    trace.push_back(2);
    scheduler.yield();
    trace.push_back(4);
  });
  while (scheduler.live_count() > 0) scheduler.run_ready();
  REQUIRE(trace == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("a suspended fiber runs again only when woken", "[runtime][fiber]") {
  fiber::Scheduler scheduler(64 * 1024);
  fiber::Fiber* sleeper = nullptr;
  int stage = 0;
  scheduler.spawn("sleeper", [&] {
    sleeper = scheduler.current();
    stage = 1;
    scheduler.suspend();
    stage = 2;
  });
  scheduler.run_ready();
  REQUIRE(stage == 1);
  REQUIRE(scheduler.run_ready() == 0);  // nothing ready: it stays parked
  REQUIRE(stage == 1);
  scheduler.wake(sleeper);
  scheduler.wake(sleeper);  // a second wake before it runs is harmless
  scheduler.run_ready();
  REQUIRE(stage == 2);
  REQUIRE(scheduler.live_count() == 0);
}

// A scheduler destroyed with fibers still parked, ready or never started releases them all:
// each started one is unwound from where it waits (its locals are destroyed, nothing after the
// suspension runs) and the code around a suspension cannot swallow the cancellation by catching
// std::exception. Under the ASan build, LeakSanitizer checks that no Fiber or stack is left.
TEST_CASE("a scheduler destroyed with parked fibers unwinds them", "[runtime][fiber]") {
  struct Guard {
    int* destroyed;
    ~Guard() { ++*destroyed; }
  };
  int destroyed = 0;
  int ran_past_suspension = 0;
  {
    fiber::Scheduler scheduler(64 * 1024);
    scheduler.spawn("parked", [&] {
      Guard guard{&destroyed};
      try {
        scheduler.suspend();
      } catch (const std::exception&) {
        ++ran_past_suspension;
      }
      ++ran_past_suspension;
    });
    scheduler.spawn("yielded", [&] {
      Guard guard{&destroyed};
      scheduler.yield();
      scheduler.yield();
      ++ran_past_suspension;
    });
    scheduler.run_ready();
    scheduler.spawn("never started", [&] { ++ran_past_suspension; });
    REQUIRE(scheduler.live_count() == 3);
  }
  CHECK(destroyed == 2);
  CHECK(ran_past_suspension == 0);
}

TEST_CASE("a wait group wakes its waiter when the count reaches zero", "[runtime][fiber]") {
  fiber::Scheduler scheduler(64 * 1024);
  fiber::WaitGroup group(&scheduler);
  bool finished = false;
  group.add(3);
  scheduler.spawn("waiter", [&] {
    group.wait();
    finished = true;
  });
  scheduler.run_ready();
  group.done();
  group.done();
  scheduler.run_ready();
  REQUIRE_FALSE(finished);
  group.done();
  scheduler.run_ready();
  REQUIRE(finished);
}

TEST_CASE("the picker chooses which ready fiber runs next", "[runtime][fiber]") {
  fiber::Scheduler scheduler(64 * 1024);
  std::vector<int> trace;
  for (int i = 0; i < 4; ++i) scheduler.spawn("f", [&trace, i] { trace.push_back(i); });
  scheduler.set_picker([](std::size_t ready) { return ready - 1; });  // always the last
  scheduler.run_ready();
  REQUIRE(trace == std::vector<int>{3, 2, 1, 0});
}

TEST_CASE("deep recursion in a fiber has its own stack", "[runtime][fiber]") {
  // 1 MiB: sanitizer builds at -O0 use several hundred bytes per frame here.
  fiber::Scheduler scheduler(1024 * 1024);
  std::function<int(int)> depth = [&](int n) { return n == 0 ? 0 : 1 + depth(n - 1); };
  int result = 0;
  scheduler.spawn("deep", [&] { result = depth(1000); });
  scheduler.run_ready();
  REQUIRE(result == 1000);
}

TEST_CASE("the SPSC ring passes every item in order between threads", "[runtime][ring]") {
  SpscRing<std::uint64_t> ring(1024);
  constexpr std::uint64_t kCount = 200000;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kCount; ++i) {
      while (!ring.push(i)) std::this_thread::yield();
    }
  });
  std::uint64_t expected = 1;
  while (expected <= kCount) {
    std::uint64_t value = 0;
    if (ring.pop(&value)) {
      REQUIRE(value == expected);
      ++expected;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  std::uint64_t leftover;
  REQUIRE_FALSE(ring.pop(&leftover));
}

TEST_CASE("a full ring refuses more until the consumer pops", "[runtime][ring]") {
  SpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) REQUIRE(ring.push(i));
  REQUIRE_FALSE(ring.push(99));
  int value = -1;
  REQUIRE(ring.pop(&value));
  REQUIRE(value == 0);
  REQUIRE(ring.push(4));
}

namespace {

std::string key_for_shard(int i) {
  return "key:" + std::to_string(i);
}

}  // namespace

TEST_CASE("the epoll runtime serves a pipeline across shards in order", "[runtime][server]") {
  TestServer server(2);
  BlockingClient client(server.port());
  std::string pipeline;
  constexpr int kCommands = 500;
  for (int i = 0; i < kCommands; ++i) {
    pipeline += BlockingClient::encode({"SET", key_for_shard(i), std::to_string(i)});
    pipeline += BlockingClient::encode({"GET", key_for_shard(i)});
    pipeline += BlockingClient::encode({"PING"});
  }
  client.send_raw(pipeline);
  for (int i = 0; i < kCommands; ++i) {
    REQUIRE(client.read_reply() == Reply::ok());
    REQUIRE(client.read_reply() == Reply::bulk(std::to_string(i)));
    REQUIRE(client.read_reply() == Reply::simple("PONG"));
  }
  REQUIRE(client.call({"DBSIZE"}) == Reply::integer(kCommands));
}

TEST_CASE("cross-shard MSET is never seen half done", "[runtime][server]") {
  TestServer server(2);
  const std::vector<std::string> keys = {"a", "b", "c", "d", "e", "f", "g", "h"};
  {
    BlockingClient setup(server.port());
    std::vector<std::string> mset = {"MSET"};
    for (const auto& k : keys) {
      mset.push_back(k);
      mset.push_back("0");
    }
    REQUIRE(setup.call(mset) == Reply::ok());
  }
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread writer([&] {
    BlockingClient client(server.port());
    for (int round = 1; round <= 300; ++round) {
      std::vector<std::string> mset = {"MSET"};
      for (const auto& k : keys) {
        mset.push_back(k);
        mset.push_back(std::to_string(round));
      }
      if (!(client.call(mset) == Reply::ok())) torn.fetch_add(1000);
    }
    done = true;
  });
  std::thread reader([&] {
    BlockingClient client(server.port());
    std::vector<std::string> mget = {"MGET"};
    for (const auto& k : keys) mget.push_back(k);
    while (!done) {
      Reply reply = client.call(mget);
      for (const auto& element : reply.elements) {
        if (element.text != reply.elements[0].text) {
          torn.fetch_add(1);
          break;
        }
      }
    }
  });
  writer.join();
  reader.join();
  REQUIRE(torn.load() == 0);
}

TEST_CASE("RENAME across shards never shows both or neither key", "[runtime][server]") {
  TestServer server(2);
  // Find two keys on different shards (2 shards: slots 0-8191 and 8192-16383).
  std::string x = "x";
  std::string y;
  for (int i = 0; y.empty(); ++i) {
    std::string candidate = "y" + std::to_string(i);
    if ((key_slot(candidate) < 8192) != (key_slot(x) < 8192)) y = candidate;
  }
  BlockingClient setup(server.port());
  REQUIRE(setup.call({"SET", x, "v"}) == Reply::ok());
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::thread renamer([&] {
    BlockingClient client(server.port());
    for (int i = 0; i < 300; ++i) {
      client.call({"RENAME", x, y});
      client.call({"RENAME", y, x});
    }
    done = true;
  });
  std::thread reader([&] {
    BlockingClient client(server.port());
    while (!done) {
      if (!(client.call({"EXISTS", x, y}) == Reply::integer(1))) wrong.fetch_add(1);
    }
  });
  renamer.join();
  reader.join();
  REQUIRE(wrong.load() == 0);
  REQUIRE(setup.call({"GET", x}) == Reply::bulk("v"));
}

TEST_CASE("a protocol error is answered and closes only that connection", "[runtime][server]") {
  TestServer server(2);
  BlockingClient bad(server.port());
  bad.send_raw("*1\r\n$1073741824\r\n");
  REQUIRE(bad.read_reply() == Reply::error("ERR Protocol error: invalid bulk length"));
  REQUIRE(bad.closed_by_peer());
  BlockingClient good(server.port());
  REQUIRE(good.call({"PING"}) == Reply::simple("PONG"));
}

TEST_CASE("many concurrent clients each see their own writes", "[runtime][server]") {
  TestServer server(2);
  constexpr int kClients = 16;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      BlockingClient client(server.port());
      for (int i = 0; i < 100; ++i) {
        const std::string key = "c" + std::to_string(c) + ":" + std::to_string(i);
        if (!(client.call({"SET", key, key}) == Reply::ok())) failures++;
        if (!(client.call({"GET", key}) == Reply::bulk(key))) failures++;
        if (!(client.call({"INCR", "shared"}).kind == Reply::Kind::kInteger)) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(failures.load() == 0);
  BlockingClient client(server.port());
  REQUIRE(client.call({"GET", "shared"}) == Reply::bulk(std::to_string(kClients * 100)));
}

TEST_CASE("stop() ends the runtime with clients still connected", "[runtime][server]") {
  auto server = std::make_unique<TestServer>(2);
  BlockingClient idle(server->port());
  REQUIRE(idle.call({"PING"}) == Reply::simple("PONG"));
  server->stop();  // must return: the idle session ends, every core drains
  REQUIRE(idle.closed_by_peer());
}

TEST_CASE("cross-shard RENAME survives concurrent FLUSHALL and expiring sources",
          "[runtime][server]") {
  // A locked RENAME source once vanished under FLUSHALL or lazy expiry between the check and
  // the move, and the server asserted.
  TestServer server(2);
  std::string source = "b";
  std::string target;
  for (int i = 0; target.empty(); ++i) {
    std::string candidate = "t" + std::to_string(i);
    if ((key_slot(candidate) < 8192) != (key_slot(source) < 8192)) target = candidate;
  }
  std::atomic<int> bad_replies{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      BlockingClient client(server.port());
      for (int i = 0; i < 300; ++i) {
        client.call({"SET", source, "v", "PX", "1"});
        Reply reply = client.call({"RENAME", source, target});
        if (!(reply == Reply::ok()) && !(reply == Reply::error("ERR no such key"))) bad_replies++;
      }
    });
    threads.emplace_back([&] {
      BlockingClient client(server.port());
      for (int i = 0; i < 300; ++i) {
        if (!(client.call({"FLUSHALL"}) == Reply::ok())) bad_replies++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(bad_replies.load() == 0);
  BlockingClient client(server.port());
  REQUIRE(client.call({"PING"}) == Reply::simple("PONG"));
}

TEST_CASE("BITOP, PFMERGE, PFCOUNT and LCS mean the same across shards",
          "[runtime][server][bitmap][hll]") {
  TestServer server(2);
  // "a" and "{a}..." share a slot; `far` and `far2` live on the other shard.
  const auto other_shard = [](const std::string& near, const std::string& prefix) {
    for (int i = 0;; ++i) {
      std::string candidate = prefix + std::to_string(i);
      if ((key_slot(candidate) < 8192) != (key_slot(near) < 8192)) return candidate;
    }
  };
  const std::string far = other_shard("a", "f");
  const std::string far2 = other_shard("a", "g");
  BlockingClient client(server.port());
  for (const std::string& key : {std::string("a"), std::string("{a}2"), far}) {
    REQUIRE(client.call({"SET", key, "\x0f\xf0" + key}) == Reply::ok());
  }
  // Same operation, same-shard and across shards: same reply, same bytes.
  REQUIRE(client.call({"BITOP", "XOR", "{a}d", "a", "{a}2"}) == Reply::integer(6));
  REQUIRE(client.call({"SET", far2, "\x0f\xf0{a}2"}) == Reply::ok());
  REQUIRE(client.call({"BITOP", "XOR", far, "a", far2}) == Reply::integer(6));
  REQUIRE(client.call({"GET", far}) == client.call({"GET", "{a}d"}));
  REQUIRE(client.call({"LCS", "a", far2}) == client.call({"LCS", "a", "{a}2"}));

  std::vector<std::string> add_near{"PFADD", "{a}h"};
  std::vector<std::string> add_far{"PFADD", far};
  for (int i = 0; i < 3000; ++i) {
    (i % 2 == 0 ? add_near : add_far).push_back(std::to_string(i));
  }
  REQUIRE(client.call({"DEL", far, far2}) == Reply::integer(2));
  REQUIRE(client.call(add_near) == Reply::integer(1));
  REQUIRE(client.call(add_far) == Reply::integer(1));
  const Reply union_count = client.call({"PFCOUNT", "{a}h", far});
  REQUIRE(union_count.kind == Reply::Kind::kInteger);
  REQUIRE(client.call({"PFMERGE", far2, "{a}h", far}) == Reply::ok());
  REQUIRE(client.call({"PFCOUNT", far2}) == union_count);
  REQUIRE(client.call({"PFDEBUG", "ENCODING", far2}) == Reply::simple("dense"));
  // Redis 7.0.15's figure for the same two PFADDs, PFCOUNT of both and of their PFMERGE.
  REQUIRE(union_count == Reply::integer(3004));
}
