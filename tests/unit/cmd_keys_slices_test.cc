// KEYS over a large keyspace gives its core back between slices: another fiber on the same
// core runs while the walk is under way, and the answer is still every matching key once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/engine.h"
#include "engine/session_context.h"
#include "engine/tx/coordinator.h"
#include "tests/unit/support/fake_runtime.h"
#include "tests/unit/support/reply_reader.h"

namespace {

using eddy::testing::parse_replies;
using eddy::testing::Reply;

}  // namespace

TEST_CASE("KEYS walks a large keyspace in slices, letting other fibers run", "[glob][keys]") {
  eddy::testing::FakeRuntime runtime;
  eddy::EngineOptions options;
  options.shard_count = 2;  // both on the fake runtime's only core: every hop runs inline
  eddy::Engine engine(&runtime, options);

  constexpr int kKeys = 40000;
  std::set<std::string> expected;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "key:" + std::to_string(i);
    if (key.starts_with("key:1")) expected.insert(key);
    eddy::Shard& shard = engine.shard(engine.shard_of_key(key));
    shard.refresh_clock();
    const std::int64_t now = shard.now_ms();
    shard.writes().run_unit(now, 0, 1, [&] { shard.db(0).put(key, eddy::kv::Value(), 0, now); });
  }

  const eddy::CommandSpec* spec = engine.commands().find("keys");
  REQUIRE(spec != nullptr);
  REQUIRE(spec->session_handler != nullptr);
  eddy::Coordinator coordinator(&engine);
  eddy::ClientState client;
  std::string out;
  eddy::ReplyBuilder reply(&out, 2);
  const std::vector<std::string_view> args = {"KEYS", "key:1*"};

  bool keys_done = false;
  int turns_while_keys_ran = 0;
  eddy::fiber::Scheduler& scheduler = runtime.scheduler();
  scheduler.spawn("keys", [&] {
    eddy::SessionContext ctx{engine, client, *spec, eddy::Args(args), reply, coordinator};
    spec->session_handler(ctx);
    keys_done = true;
  });
  scheduler.spawn("neighbour", [&] {
    while (!keys_done) {
      ++turns_while_keys_ran;
      scheduler.yield();
    }
  });
  while (scheduler.live_count() > 0) scheduler.run_ready();

  // 20000 keys a shard in slices of 4096 entries: the neighbour ran between every two.
  CHECK(turns_while_keys_ran >= kKeys / 2 / 4096);
  const std::vector<Reply> replies = parse_replies(out);
  REQUIRE(replies.size() == 1);
  REQUIRE(replies[0].kind == Reply::Kind::kArray);
  std::vector<std::string> got;
  for (const Reply& element : replies[0].elements) got.push_back(element.text);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>(expected.begin(), expected.end()));
}
