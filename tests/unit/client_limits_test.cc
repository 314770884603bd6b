// The per-client bounds CONFIG sets: client-output-buffer-limit, maxmemory-clients,
// proto-max-bulk-len, client-query-buffer-limit, tcp-keepalive (Redis 7.0's syntax, ranges and
// errors), and what a real server does with them.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/client_limits.h"
#include "engine/cmd/reply_builder.h"
#include "engine/config.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/test_server.h"

using eddy::testing::BlockingClient;
using eddy::testing::Reply;

namespace {

std::string set_error(const std::string& name, const std::string& reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason;
}

// A field of the CLIENT LIST line whose name= is `name`.
std::string client_field(BlockingClient& admin, const std::string& name, const std::string& key) {
  const Reply list = admin.call({"CLIENT", "LIST"});
  const std::string& text = list.text;
  const auto at = text.find(" name=" + name + " ");
  if (at == std::string::npos) return "";
  const auto line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  const auto line_end = text.find('\n', at);
  const std::string line = text.substr(line_start, line_end - line_start);
  const auto field = line.find(" " + key + "=");
  if (field == std::string::npos) return "";
  const auto value = field + key.size() + 2;
  return line.substr(value, line.find(' ', value) - value);
}

}  // namespace

TEST_CASE("memory values follow Redis's notation", "[client-limits]") {
  std::uint64_t bytes = 0;
  CHECK(eddy::parse_memory_bytes("0", &bytes));
  CHECK(bytes == 0);
  CHECK(eddy::parse_memory_bytes("64k", &bytes));
  CHECK(bytes == 64000);
  CHECK(eddy::parse_memory_bytes("64KB", &bytes));
  CHECK(bytes == 65536);
  CHECK(eddy::parse_memory_bytes("1mb", &bytes));
  CHECK(bytes == 1048576);
  CHECK(eddy::parse_memory_bytes("2g", &bytes));
  CHECK(bytes == 2000000000ULL);
  CHECK(eddy::parse_memory_bytes("7b", &bytes));
  CHECK(bytes == 7);
  CHECK_FALSE(eddy::parse_memory_bytes("-1", &bytes));
  CHECK_FALSE(eddy::parse_memory_bytes("1tb", &bytes));
  CHECK_FALSE(eddy::parse_memory_bytes("mb", &bytes));
  CHECK_FALSE(eddy::parse_memory_bytes("", &bytes));
  CHECK_FALSE(eddy::parse_memory_bytes("99999999999999999999", &bytes));
  CHECK_FALSE(eddy::parse_memory_bytes("99999999999gb", &bytes));
}

TEST_CASE("client-output-buffer-limit has Redis 7.0's syntax, defaults and errors",
          "[client-limits]") {
  eddy::OutputBufferLimits limits = eddy::default_output_buffer_limits();
  CHECK(eddy::format_output_buffer_limits(limits) ==
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  std::string reason;
  // A group replaces its class; the others keep theirs. "replica" is "slave".
  REQUIRE(
      eddy::parse_output_buffer_limits("normal 1mb 512kb 10  replica 1gb 0 0", &limits, &reason));
  CHECK(eddy::format_output_buffer_limits(limits) ==
        "normal 1048576 524288 10 slave 1073741824 0 0 pubsub 33554432 8388608 60");
  const eddy::OutputBufferLimits before = limits;
  CHECK_FALSE(eddy::parse_output_buffer_limits("normal 1 2", &limits, &reason));
  CHECK(reason == "Wrong number of arguments in buffer limit configuration.");
  CHECK_FALSE(eddy::parse_output_buffer_limits("master 0 0 0", &limits, &reason));
  CHECK(reason == "Invalid client class specified in buffer limit configuration.");
  CHECK_FALSE(eddy::parse_output_buffer_limits("normal 1 1 -1", &limits, &reason));
  CHECK(reason == "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  // All of the text or none of it: a bad second group leaves the first unapplied.
  CHECK_FALSE(eddy::parse_output_buffer_limits("pubsub 1 1 1 normal x 0 0", &limits, &reason));
  CHECK(reason == "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  CHECK(limits == before);
}

TEST_CASE("maxmemory-clients takes bytes or a percentage of maxmemory", "[client-limits]") {
  std::int64_t value = 0;
  std::string reason;
  REQUIRE(eddy::parse_maxmemory_clients("10%", &value, &reason));
  CHECK(value == -10);
  CHECK(eddy::format_maxmemory_clients(value) == "10%");
  REQUIRE(eddy::parse_maxmemory_clients("1mb", &value, &reason));
  CHECK(eddy::format_maxmemory_clients(value) == "1048576");
  CHECK_FALSE(eddy::parse_maxmemory_clients("101%", &value, &reason));
  CHECK(reason == "percentage argument must be less or equal to 100");
  CHECK_FALSE(eddy::parse_maxmemory_clients("lots", &value, &reason));
  CHECK(reason == "argument must be a memory or percent value");
  // Redis's getClientEvictionLimit: at least 128 KiB; a percentage of no maxmemory is none.
  CHECK(eddy::client_eviction_limit_bytes(0, 0) == 0);
  CHECK(eddy::client_eviction_limit_bytes(1000, 0) == 128 * 1024);
  CHECK(eddy::client_eviction_limit_bytes(4 << 20, 0) == 4 << 20);
  CHECK(eddy::client_eviction_limit_bytes(-10, 0) == 0);
  CHECK(eddy::client_eviction_limit_bytes(-10, 100 << 20) == 10 << 20);
}

TEST_CASE("the soft output limit needs its seconds, the hard one none", "[client-limits]") {
  eddy::ClientState client;
  const eddy::OutputBufferLimit limit{1000, 100, 2};
  CHECK_FALSE(eddy::output_limit_reached(client, 99, limit, 10'000));
  CHECK_FALSE(eddy::output_limit_reached(client, 100, limit, 10'000));  // the clock starts
  CHECK_FALSE(eddy::output_limit_reached(client, 500, limit, 12'000));  // 2 s: not more than
  CHECK(eddy::output_limit_reached(client, 500, limit, 12'001));
  // Below the soft limit the clock stops; it starts afresh next time.
  CHECK_FALSE(eddy::output_limit_reached(client, 10, limit, 12'002));
  CHECK_FALSE(eddy::output_limit_reached(client, 500, limit, 20'000));
  CHECK_FALSE(eddy::output_limit_reached(client, 500, limit, 21'000));
  eddy::ClientState fresh;
  CHECK(eddy::output_limit_reached(fresh, 1000, limit, 10'000));
  CHECK_FALSE(eddy::output_limit_reached(fresh, 5000, eddy::OutputBufferLimit{0, 0, 0}, 99'000));
}

TEST_CASE("soft_seconds past INT_MAX are refused and never overflow the soft clock",
          "[client-limits]") {
  // Redis keeps soft_seconds in an int: a value past INT_MAX is refused here (Redis's
  // truncated value is negative or meaningless) with Redis's error.
  eddy::OutputBufferLimits limits = eddy::default_output_buffer_limits();
  std::string reason;
  CHECK_FALSE(eddy::parse_output_buffer_limits("normal 0 1 9223372036854775807", &limits, &reason));
  CHECK(reason == "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  CHECK_FALSE(eddy::parse_output_buffer_limits("normal 0 1 2147483648", &limits, &reason));
  REQUIRE(eddy::parse_output_buffer_limits("normal 0 1 2147483647", &limits, &reason));
  CHECK(limits[0].soft_seconds == 2147483647);
  // However many seconds it is given, the soft clock does not wrap into "reached".
  eddy::ClientState client;
  const eddy::OutputBufferLimit forever{0, 100, INT64_MAX};
  CHECK_FALSE(eddy::output_limit_reached(client, 500, forever, 10'000));
  CHECK_FALSE(eddy::output_limit_reached(client, 500, forever, 10'001));
  CHECK_FALSE(eddy::output_limit_reached(client, 500, forever, INT64_MAX));
}

TEST_CASE("a reply builder stops growing its output at the limit", "[client-limits]") {
  std::string out;
  bool reached = false;
  eddy::ReplyBuilder reply(&out);
  reply.limit_output(1000, &reached);
  reply.array(100000);
  for (int i = 0; i < 100000; ++i) reply.bulk("0123456789");
  CHECK(reached);
  CHECK(reply.dropping());
  CHECK(out.size() < 1000);
  // A single bulk larger than the limit is never copied in.
  std::string second;
  bool second_reached = false;
  eddy::ReplyBuilder big(&second);
  big.limit_output(4096, &second_reached);
  big.bulk(std::string(1 << 20, 'x'));
  CHECK(second_reached);
  CHECK(second.empty());
  // A builder for what still runs after the cut (EXEC's later commands) writes where the cut
  // one drops, and keeps that small bound, whatever its own limit.
  bool nested_reached = true;
  eddy::ReplyBuilder nested(reply.out());
  nested.limit_output(std::size_t{1} << 30, &nested_reached);
  for (int i = 0; i < 1000; ++i) nested.bulk(std::string(2000, 'y'));
  CHECK(nested.dropping());
  CHECK(nested.out()->size() < 4096);
  // room() and cut(): a part built elsewhere under the room left, then found too large.
  std::string third;
  bool third_reached = false;
  eddy::ReplyBuilder part(&third);
  part.limit_output(100, &third_reached);
  part.bulk("abc");
  CHECK(part.room() == 100 - third.size());
  part.cut();
  CHECK(third_reached);
  CHECK(part.dropping());
  CHECK(part.room() == 1);
  // Without a limit nothing is dropped.
  std::string free_out;
  eddy::ReplyBuilder unlimited(&free_out);
  unlimited.bulk(std::string(1 << 20, 'x'));
  CHECK(free_out.size() == (1 << 20) + 12);  // "$1048576\r\n" ... "\r\n"
  CHECK_FALSE(unlimited.dropping());
}

TEST_CASE("the client limits are CONFIG parameters with Redis's ranges", "[client-limits]") {
  eddy::testing::TestServer server(1);
  BlockingClient c(server.port());
  CHECK(c.call({"CONFIG", "GET", "tcp-keepalive"}) ==
        Reply::array({Reply::bulk("tcp-keepalive"), Reply::bulk("300")}));
  CHECK(c.call({"CONFIG", "SET", "proto-max-bulk-len", "1000"}) ==
        Reply::error(set_error("proto-max-bulk-len",
                               "argument must be between 1048576 and 9223372036854775807 "
                               "inclusive")));
  CHECK(c.call({"CONFIG", "SET", "client-query-buffer-limit", "1x"}) ==
        Reply::error(set_error("client-query-buffer-limit", "argument must be a memory value")));
  CHECK(c.call({"CONFIG", "SET", "client-query-buffer-limit", "2mb"}) == Reply::ok());
  CHECK(c.call({"CONFIG", "GET", "client-query-buffer-limit"}) ==
        Reply::array({Reply::bulk("client-query-buffer-limit"), Reply::bulk("2097152")}));
  CHECK(c.call({"CONFIG", "SET", "client-output-buffer-limit", "normal 1"}) ==
        Reply::error(set_error("client-output-buffer-limit",
                               "Wrong number of arguments in buffer limit configuration.")));
  CHECK(c.call({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 1kb 5"}) == Reply::ok());
  CHECK(c.call({"CONFIG", "GET", "client-output-buffer-limit"}) ==
        Reply::array({Reply::bulk("client-output-buffer-limit"),
                      Reply::bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 "
                                  "1024 5")}));
  CHECK(c.call({"CONFIG", "SET", "maxmemory-clients", "5%"}) == Reply::ok());
  CHECK(c.call({"CONFIG", "GET", "maxmemory-clients"}) ==
        Reply::array({Reply::bulk("maxmemory-clients"), Reply::bulk("5%")}));
  CHECK(c.call({"CONFIG", "SET", "unixsocket", "/tmp/x"}) ==
        Reply::error(set_error("unixsocket", "can't set immutable config")));
  // All or nothing across the special parameters too.
  CHECK(c.call({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0",
                "maxmemory-clients", "200%"}) ==
        Reply::error(
            set_error("maxmemory-clients", "percentage argument must be less or equal to 100")));
  CHECK(c.call({"CONFIG", "GET", "client-output-buffer-limit"}).elements.at(1) ==
        Reply::bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 5"));
}

TEST_CASE("proto-max-bulk-len and client-query-buffer-limit take effect at once",
          "[client-limits]") {
  eddy::testing::TestServer server(2);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}) == Reply::ok());
  {
    BlockingClient c(server.port());
    c.send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    CHECK(c.read_reply() == Reply::error("ERR Protocol error: invalid bulk length"));
    CHECK(c.closed_by_peer());
  }
  {
    // Exactly the bound is accepted.
    BlockingClient c(server.port());
    CHECK(c.call({"SET", "k", std::string(1048576, 'v')}) == Reply::ok());
  }
  CHECK(admin.call({"CONFIG", "SET", "proto-max-bulk-len", "512mb"}) == Reply::ok());
  CHECK(admin.call({"CONFIG", "SET", "client-query-buffer-limit", "1mb"}) == Reply::ok());
  {
    // A command that needs more than the query buffer may hold: closed, nothing answered.
    BlockingClient c(server.port());
    c.send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + std::string(1200000, 'v'));
    // Closed with bytes still unread, so the end may come as a reset: either way no reply,
    // and well before the client's 10 s read timeout.
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS(c.read_reply());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  {
    BlockingClient c(server.port());
    CHECK(c.call({"SET", "k", std::string(900000, 'v')}) == Reply::ok());
  }
}

TEST_CASE("a reply past the hard output limit closes its client and sends nothing",
          "[client-limits]") {
  eddy::testing::TestServer server(2);
  BlockingClient admin(server.port());
  // A list of 200,000 elements: its LRANGE reply is about 2.6 MB.
  std::vector<std::string> push = {"RPUSH", "list"};
  for (int i = 0; i < 1000; ++i) push.push_back("element-" + std::to_string(i));
  for (int i = 0; i < 200; ++i) admin.call(push);
  CHECK(admin.call({"LLEN", "list"}) == Reply::integer(200000));
  CHECK(admin.call({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"}) ==
        Reply::ok());
  for (const char* command : {"LRANGE", "KEYS"}) {
    INFO(command);
    BlockingClient c(server.port());
    if (std::string(command) == "LRANGE") {
      c.send({"LRANGE", "list", "0", "-1"});
    } else {
      for (int i = 0; i < 100; ++i) {
        admin.call(
            {"SET", "key-with-a-longish-name-" + std::to_string(i) + std::string(20000, 'k'), "v"});
      }
      c.send({"KEYS", "*"});
    }
    CHECK(c.closed_by_peer());
  }
  // Smaller replies pass; the limit is the class's, set at run time.
  BlockingClient c(server.port());
  CHECK(c.call({"LRANGE", "list", "0", "9"}).elements.size() == 10);
  CHECK(admin.call({"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"}) == Reply::ok());
  CHECK(c.call({"LRANGE", "list", "0", "-1"}).elements.size() == 200000);
}

TEST_CASE("CLIENT NO-EVICT shows as flag e; maxmemory-clients evicts the largest first",
          "[client-limits]") {
  eddy::testing::TestServer server(2);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CLIENT", "SETNAME", "admin"}) == Reply::ok());
  CHECK(admin.call({"CLIENT", "NO-EVICT", "on"}) == Reply::ok());
  CHECK(client_field(admin, "admin", "flags") == "e");
  CHECK(admin.call({"CLIENT", "NO-EVICT", "maybe"}) == Reply::error("ERR syntax error"));
  // Three clients holding big partial commands: 3 MB (spared), 2 MB and 1 MB.
  auto holder = [&](const std::string& name, std::size_t bytes, bool spared) {
    auto c = std::make_unique<BlockingClient>(server.port());
    CHECK(c->call({"CLIENT", "SETNAME", name}) == Reply::ok());
    if (spared) CHECK(c->call({"CLIENT", "NO-EVICT", "on"}) == Reply::ok());
    c->send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n" + std::string(bytes, 'v'));
    return c;
  };
  auto spared = holder("spared", 3 << 20, true);
  auto large = holder("large", 2 << 20, false);
  auto small = holder("small", 1 << 20, false);
  // Wait until the server holds what they sent.
  for (int i = 0; i < 200 && std::stoull("0" + client_field(admin, "small", "qbuf")) < (1 << 20);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::uint64_t spared_bytes = std::stoull(client_field(admin, "spared", "tot-mem"));
  const std::uint64_t large_bytes = std::stoull(client_field(admin, "large", "tot-mem"));
  CHECK(large_bytes >= (2u << 20));
  // Room for the spared client and the small one, not for the large one too.
  const std::uint64_t limit = spared_bytes + large_bytes;
  CHECK(admin.call({"CONFIG", "SET", "maxmemory-clients", std::to_string(limit)}) == Reply::ok());
  CHECK(large->closed_by_peer());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(client_field(admin, "spared", "name") == "spared");
  CHECK(client_field(admin, "small", "name") == "small");
  CHECK(client_field(admin, "large", "name").empty());
  CHECK(admin.call({"INFO", "stats"}).text.find("evicted_clients:1\r\n") != std::string::npos);
  const std::string memory = admin.call({"INFO", "memory"}).text;
  CHECK(memory.find("mem_clients_normal:") != std::string::npos);
}
