#pragma once
// Simulated byte streams (client connections). Writes arrive after a seeded latency, often cut
// into several pieces at random byte boundaries; reads are sometimes short; a connection can be
// reset at random. Unread bytes are bounded: a writer whose peer does not read blocks, as on a
// real socket, so the server's back-pressure paths run here too.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "engine/runtime.h"
#include "sim/world.h"

namespace eddy::sim {

class SimNode;

struct SimConnection {
  struct Direction {
    std::string buffer;        // delivered bytes not yet read
    std::size_t read_pos = 0;
    std::size_t in_flight = 0; // written, not yet delivered
    Nanos last_delivery = 0;
    bool fin = false;          // the writer closed and everything it wrote was delivered
    bool reader_gone = false;  // the reading side closed: writes are discarded
    fiber::Fiber* reader = nullptr;
    fiber::Fiber* writer = nullptr;
  };
  World* world = nullptr;
  std::uint64_t id = 0;
  bool reset = false;
  Direction direction[2];     // [0]: client -> server, [1]: server -> client
  SimNode* node[2] = {nullptr, nullptr};  // owner of each end (0 client, 1 server)
  std::uint32_t core[2] = {0, 0};
};

class SimStream final : public Stream {
 public:
  SimStream(std::shared_ptr<SimConnection> connection, int side);
  ~SimStream() override;

  std::size_t read(std::span<char> buffer) override;
  bool write(std::span<const std::string_view> pieces) override;
  void close() override;
  std::string peer_address() const override;
  std::string local_address() const override;

  // Fault: breaks the connection for both ends now.
  void reset_connection();
  // The owning node is stopping: a read waiting for bytes returns 0.
  void end_waiting_read();

 private:
  void wake(fiber::Fiber*& fiber, int side);

  std::shared_ptr<SimConnection> connection_;
  int side_;  // 0 client, 1 server
  bool closed_ = false;
};

class SimListener final : public Listener {
 public:
  SimListener(SimNode* node, std::uint32_t core, std::uint16_t port);
  ~SimListener() override;

  std::unique_ptr<Stream> accept() override;
  void close() override;
  std::uint16_t port() const override { return port_; }

  // Called from a World event on this listener's core.
  void deliver(std::unique_ptr<Stream> stream);
  SimNode* node() const { return node_; }
  std::uint32_t core() const { return core_; }

 private:
  SimNode* node_;
  std::uint32_t core_;
  std::uint16_t port_;
  bool closed_ = false;
  std::deque<std::unique_ptr<Stream>> pending_;
  fiber::Fiber* waiter_ = nullptr;
};

// Connects a client on (node, core) to a listener on `port`; nullptr if none listens.
std::unique_ptr<Stream> sim_connect(World& world, SimNode* node, std::uint32_t core,
                                    std::uint16_t port, std::string* error);

}  // namespace eddy::sim
