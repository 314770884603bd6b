#pragma once
// What the server knows about one client connection (CLIENT LIST fields, SELECTed database,
// protocol version). Owned by the connection's session; registered with its core so CLIENT
// LIST can visit every client, core by core.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/client_limits.h"

namespace eddy {

namespace fiber {
class Fiber;
}
namespace acl {
class User;
}
class Stream;

// A client waiting in a blocking command (BLPOP ...): how its wait ends other than by an
// element arriving. Set from the client's own core only.
struct BlockedWait {
  enum class End : std::uint8_t {
    kNone,
    kTimeout,
    kUnblockTimeout,
    kUnblockError,
    kShutdown,
    kHungUp,  // the client left: nothing is popped for it
  };
  fiber::Fiber* fiber = nullptr;
  End end = End::kNone;
};

struct ClientState {
  std::uint64_t id = 0;
  std::uint32_t core = 0;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string addr;
  std::string laddr;
  int db = 0;
  int protocol = 2;
  std::int64_t created_ms = 0;
  std::int64_t last_active_ms = 0;
  std::string_view last_command = "NULL";  // a command table name: no copy per command
  std::uint64_t commands = 0;
  std::size_t query_buffer_bytes = 0;  // received, not yet parsed (CLIENT LIST's qbuf)
  std::size_t input_buffer_bytes = 0;  // the read buffer's size (qbuf + qbuf-free)
  // The replies handed to the write under way (0 when none is), and the stream's
  // bytes_written() when it began: pending_output_bytes() is what the kernel has not taken.
  std::size_t output_bytes = 0;
  std::uint64_t output_written_base = 0;
  // When the pending output first reached its class's soft limit (Redis's
  // obuf_soft_limit_reached_time), in Unix ms; 0 while below it.
  std::int64_t output_soft_limit_since_ms = 0;
  // What the connection's buffers hold (query buffer, output buffer), as counted in its
  // core's ClientRegistry::memory_bytes(); CLIENT LIST's tot-mem.
  std::size_t memory_bytes = 0;
  bool close_after_reply = false;  // QUIT, protocol errors, CLIENT KILL
  // An output buffer limit or maxmemory-clients: the client is closed and nothing more is
  // sent to it (Redis's CLIENT_CLOSE_ASAP).
  bool close_asap = false;
  // A write (or EXEC) ran since the replies were last sent: under appendfsync always they wait
  // for the log (engine/storage/aof.h) before they leave.
  bool wrote_since_reply = false;
  bool no_evict = false;           // CLIENT NO-EVICT on
  bool unix_socket = false;        // connected through the unix socket
  bool kill_requested = false;     // set by CLIENT KILL from the client's own core
  BlockedWait* blocked = nullptr;  // while in a blocking command (CLIENT UNBLOCK ends it)
  bool deny_blocking = false;      // inside EXEC: blocking commands answer at once
  // The ACL user the connection runs as, from its core's user directory (engine/acl): set
  // when the session starts, replaced by AUTH and when the directory changes. Never null
  // while the session runs.
  std::shared_ptr<const acl::User> user;
  // Redis's c->authenticated: false until AUTH succeeds, unless the default user needs no
  // password when the connection starts.
  bool authenticated = false;
  // The connection, for CLIENT KILL, the idle timeout and a deleted user: closing it from
  // another fiber of the same core ends the session (its reads see the end, its writes fail).
  // Null where there is no connection.
  Stream* stream = nullptr;

  // The class whose output buffer limits apply (Redis's getClientType). eddy has no replicas
  // and no pub/sub yet, so every client is normal; a subscribed client will be kPubsub.
  ClientClass output_class() const { return ClientClass::kNormal; }
  // The output built and not yet taken by the kernel: the rest of the write under way.
  std::size_t pending_output_bytes() const;

  // Intrusive list of the clients on one core.
  ClientState* prev = nullptr;
  ClientState* next = nullptr;
};

// CLIENT LIST's line for one client (engine/cmd/server_commands.cc); ACL LOG shows it too.
std::string client_info_line(const ClientState& c, std::int64_t now_ms);

// Redis's checkClientOutputBufferLimits: whether `pending` bytes of output reached the hard
// limit, or have stayed at or above the soft limit for more than its seconds. Keeps the
// client's soft-limit clock (started the first time the soft limit is seen, reset below it).
bool output_limit_reached(ClientState& client, std::size_t pending, const OutputBufferLimit& limit,
                          std::int64_t now_ms);

// The clients of one core. Touched only from that core, except memory_bytes(), which any core
// may read (maxmemory-clients sums the cores).
class ClientRegistry {
 public:
  void add(ClientState* client) {
    client->prev = nullptr;
    client->next = head_;
    if (head_ != nullptr) head_->prev = client;
    head_ = client;
    ++count_;
  }
  void remove(ClientState* client) {
    if (client->prev != nullptr) client->prev->next = client->next;
    if (client->next != nullptr) client->next->prev = client->prev;
    if (head_ == client) head_ = client->next;
    client->prev = client->next = nullptr;
    --count_;
    set_memory(client, 0);
  }
  // The client's buffers now hold `bytes`. Only the owning core writes the sum, so a plain
  // load and store keep it (no read-modify-write on the data path).
  void set_memory(ClientState* client, std::size_t bytes) {
    const std::uint64_t sum = memory_bytes_.load(std::memory_order_relaxed);
    memory_bytes_.store(sum - client->memory_bytes + bytes, std::memory_order_relaxed);
    client->memory_bytes = bytes;
  }
  std::uint64_t memory_bytes() const { return memory_bytes_.load(std::memory_order_relaxed); }
  template <typename F>
  void for_each(F&& visit) const {
    // `visit` may close a client's stream: the session goes away later, on its own fiber.
    for (ClientState* c = head_; c != nullptr; c = c->next) visit(*c);
  }
  std::size_t count() const { return count_; }

 private:
  ClientState* head_ = nullptr;
  std::size_t count_ = 0;
  alignas(64) std::atomic<std::uint64_t> memory_bytes_{0};
};

}  // namespace eddy
