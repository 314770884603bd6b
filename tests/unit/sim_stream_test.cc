// Simulated client connections (sim/stream.h) keep the Stream contract of engine/runtime.h.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "sim/node.h"
#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;

TEST_CASE("a read waiting on a stopping node's stream returns 0", "[sim][stream]") {
  // The epoll runtime ends a waiting read at shutdown; the simulator used to leave it waiting
  // until the peer hung up, so a server stopped with idle clients never wound down.
  World world(3, WorldFaults{});
  SimNode& server = world.add_node("server", 1);
  SimNode& clients = world.add_node("clients", 1);
  bool read_returned = false;
  std::size_t read_bytes = 1;
  server.scheduler_of(0).spawn("accept", [&] {
    std::string error;
    auto listener = server.listen("server", 7000, &error);
    REQUIRE(listener != nullptr);
    auto stream = listener->accept();
    REQUIRE(stream != nullptr);
    char buffer[16];
    read_bytes = stream->read(std::span<char>(buffer, sizeof buffer));
    read_returned = true;
  });
  std::unique_ptr<Stream> client;
  clients.scheduler_of(0).spawn("connect", [&] {
    clients.sleep_for(kNanosPerMilli);  // after the server listens
    std::string error;
    client = clients.connect("server", 7000, &error);
    REQUIRE(client != nullptr);
  });
  world.run_until(10 * kNanosPerMilli);
  REQUIRE_FALSE(read_returned);  // connected, idle: the read waits

  server.stop();
  world.run_until(world.now() + 10 * kNanosPerMilli);
  CHECK(read_returned);
  CHECK(read_bytes == 0);
  CHECK(server.live_fibers() == 0);
  client->close();
  client.reset();
}
