// requirepass, AUTH, HELLO AUTH, NOAUTH, WRONGPASS and protected mode's loopback rule through
// a real server (sessions, dispatch, one and two cores). Replies and error texts were
// checked against redis-server 7.0.15 with the same command sequences.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "net/session.h"
#include "tests/unit/support/blocking_client.h"
#include "tests/unit/support/test_server.h"

namespace {

using eddy::testing::BlockingClient;
using eddy::testing::Reply;
using eddy::testing::TestServer;

const Reply kNoAuth = Reply::error("NOAUTH Authentication required.");
const Reply kWrongPass =
    Reply::error("WRONGPASS invalid username-password pair or user is disabled.");

}  // namespace

TEST_CASE("AUTH without a password configured is Redis's error", "[auth]") {
  TestServer server(1);
  BlockingClient c(server.port());
  CHECK(c.call({"AUTH", "x"}) ==
        Reply::error("ERR AUTH <password> called without any password configured for the "
                     "default user. Are you sure your configuration is correct?"));
  // The two-argument form checks the pair: default is nopass, so any password is good.
  CHECK(c.call({"AUTH", "default", "whatever"}) == Reply::ok());
  CHECK(c.call({"AUTH", "nobody", "x"}) == kWrongPass);
  CHECK(c.call({"AUTH", "a", "b", "c"}) == Reply::error("ERR syntax error"));
  CHECK(c.call({"ACL", "WHOAMI"}) == Reply::bulk("default"));
}

TEST_CASE("requirepass: NOAUTH before AUTH, WRONGPASS, then commands run", "[auth]") {
  const auto workers = GENERATE(1u, 2u);
  TestServer server(workers);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CONFIG", "SET", "requirepass", "s3cret"}) == Reply::ok());
  // The connection that set it stays authenticated, as in Redis.
  CHECK(admin.call({"SET", "k", "v"}) == Reply::ok());
  CHECK(admin.call({"CONFIG", "GET", "requirepass"}) ==
        Reply::array({Reply::bulk("requirepass"), Reply::bulk("s3cret")}));

  // Several connections, so that with two cores both cores' copies of the users are seen.
  std::vector<std::unique_ptr<BlockingClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<BlockingClient>(server.port()));
  for (auto& c : clients) {
    CHECK(c->call({"GET", "k"}) == kNoAuth);
    // Unknown commands and bad arity come first, as in Redis.
    CHECK(c->call({"NOSUCH"}) ==
          Reply::error("ERR unknown command 'NOSUCH', with args beginning with: "));
    CHECK(c->call({"GET"}) == Reply::error("ERR wrong number of arguments for 'get' command"));
    CHECK(c->call({"PING"}) == kNoAuth);
    CHECK(c->call({"AUTH", "wrong"}) == kWrongPass);
    CHECK(c->call({"AUTH", "default", "wrong"}) == kWrongPass);
    CHECK(c->call({"GET", "k"}) == kNoAuth);
    CHECK(c->call({"AUTH", "s3cret"}) == Reply::ok());
    CHECK(c->call({"GET", "k"}) == Reply::bulk("v"));
    CHECK(c->call({"ACL", "WHOAMI"}) == Reply::bulk("default"));
  }

  // HELLO: without AUTH it is refused, with AUTH it logs in and switches protocol.
  BlockingClient h(server.port());
  CHECK(h.call({"HELLO", "3"}) ==
        Reply::error("NOAUTH HELLO must be called with the client already authenticated, "
                     "otherwise the HELLO AUTH <user> <pass> option can be used to "
                     "authenticate the client and select the RESP protocol version at the "
                     "same time"));
  CHECK(h.call({"HELLO", "3", "AUTH", "default", "nope"}) == kWrongPass);
  const Reply hello = h.call({"HELLO", "3", "AUTH", "default", "s3cret"});
  CHECK(hello.kind == Reply::Kind::kMap);
  CHECK(h.call({"GET", "k"}) == Reply::bulk("v"));

  // QUIT needs no AUTH.
  BlockingClient q(server.port());
  CHECK(q.call({"QUIT"}) == Reply::ok());

  // Clearing requirepass: new connections need nothing, AUTH <pass> is the no-password error.
  CHECK(admin.call({"CONFIG", "SET", "requirepass", ""}) == Reply::ok());
  BlockingClient fresh(server.port());
  CHECK(fresh.call({"GET", "k"}) == Reply::bulk("v"));
}

TEST_CASE("a refused command inside MULTI aborts EXEC", "[auth]") {
  TestServer server(1);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CONFIG", "SET", "requirepass", "pw"}) == Reply::ok());
  BlockingClient c(server.port());
  CHECK(c.call({"MULTI"}) == kNoAuth);
  CHECK(c.call({"AUTH", "pw"}) == Reply::ok());
  CHECK(c.call({"MULTI"}) == Reply::ok());
  CHECK(c.call({"SET", "a", "1"}) == Reply::simple("QUEUED"));
  CHECK(c.call({"EXEC"}) == Reply::array({Reply::ok()}));
}

TEST_CASE("protected mode counts only 127.0.0.1 and ::1 as loopback", "[auth]") {
  CHECK(eddy::is_local_peer("127.0.0.1:5000"));
  CHECK(eddy::is_local_peer("[::1]:5000"));
  CHECK_FALSE(eddy::is_local_peer("127.0.0.2:5000"));
  CHECK_FALSE(eddy::is_local_peer("10.1.2.3:6379"));
  CHECK_FALSE(eddy::is_local_peer("[fe80::1]:6379"));
  // Streams that are no socket (the simulator's, stdin) are local, as a unix socket is.
  CHECK(eddy::is_local_peer("harness"));
}

namespace {

// A raw connection from 127.0.0.2 (on the loopback device, but not the address Redis's
// protected mode lets through): sends `request`, returns everything read until the server
// closes, or what came within the socket timeout.
std::string talk_from_127_0_0_2(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(0x7f000002);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0);
  std::string sent = request;
  (void)::send(fd, sent.data(), sent.size(), MSG_NOSIGNAL);
  std::string got;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    got.append(chunk, static_cast<std::size_t>(n));
    // A reply other than DENIED is one line; DENIED is followed by the server closing.
    if (got.find("\r\n") != std::string::npos && got.rfind("-DENIED", 0) != 0) break;
  }
  ::close(fd);
  return got;
}

}  // namespace

TEST_CASE("protected mode turns non-loopback clients away until a password is set", "[auth]") {
  TestServer server(1);
  BlockingClient admin(server.port());
  const std::string denied = talk_from_127_0_0_2(server.port(), "PING\r\n");
  CHECK(denied.rfind("-DENIED Redis is running in protected mode because protected mode is "
                     "enabled and no password is set for the default user.",
                     0) == 0);
  CHECK(denied.size() > 2);
  CHECK(denied.substr(denied.size() - 2) == "\r\n");
  CHECK(denied.find("'--protected-mode no'") != std::string::npos);

  // With a password the client may connect (and must AUTH).
  CHECK(admin.call({"CONFIG", "SET", "requirepass", "pw"}) == Reply::ok());
  CHECK(talk_from_127_0_0_2(server.port(), "PING\r\n") == "-NOAUTH Authentication required.\r\n");
  // Or with protected mode off.
  CHECK(admin.call({"CONFIG", "SET", "requirepass", ""}) == Reply::ok());
  CHECK(admin.call({"CONFIG", "SET", "protected-mode", "no"}) == Reply::ok());
  CHECK(talk_from_127_0_0_2(server.port(), "PING\r\n") == "+PONG\r\n");
}

TEST_CASE("before AUTH only small commands are read, as in Redis", "[auth]") {
  TestServer server(1);
  BlockingClient admin(server.port());
  CHECK(admin.call({"CONFIG", "SET", "requirepass", "pw"}) == Reply::ok());
  {
    BlockingClient c(server.port());
    c.send_raw("*100\r\n");
    CHECK(c.read_reply() == Reply::error("ERR Protocol error: unauthenticated multibulk length"));
    CHECK(c.closed_by_peer());
  }
  {
    BlockingClient c(server.port());
    c.send_raw("*1\r\n$100000000\r\n");
    CHECK(c.read_reply() == Reply::error("ERR Protocol error: unauthenticated bulk length"));
    CHECK(c.closed_by_peer());
  }
  // AUTH pipelined with a large command: the limits lift right after AUTH, as in Redis.
  BlockingClient c(server.port());
  const std::string big(100000, 'x');
  c.send_raw(BlockingClient::encode({"AUTH", "pw"}) + BlockingClient::encode({"SET", "k", big}) +
             BlockingClient::encode({"STRLEN", "k"}));
  CHECK(c.read_reply() == Reply::ok());
  CHECK(c.read_reply() == Reply::ok());
  CHECK(c.read_reply() == Reply::integer(100000));
  CHECK(admin.call({"CONFIG", "SET", "requirepass", ""}) == Reply::ok());
}
