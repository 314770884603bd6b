#pragma once
// What the server knows about one client connection (CLIENT LIST fields, SELECTed database,
// protocol version). Owned by the connection's session; registered with its core so CLIENT
// LIST can visit every client, core by core.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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
  std::size_t query_buffer_bytes = 0;
  std::size_t output_bytes = 0;
  bool close_after_reply = false;  // QUIT, protocol errors, CLIENT KILL
  bool kill_requested = false;     // set by CLIENT KILL from the client's own core
  BlockedWait* blocked = nullptr;  // while in a blocking command (CLIENT UNBLOCK ends it)
  bool deny_blocking = false;  // inside EXEC: blocking commands answer at once
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

  // Intrusive list of the clients on one core.
  ClientState* prev = nullptr;
  ClientState* next = nullptr;
};

// CLIENT LIST's line for one client (engine/cmd/server_commands.cc); ACL LOG shows it too.
std::string client_info_line(const ClientState& c, std::int64_t now_ms);

// The clients of one core. Touched only from that core.
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
  }
  template <typename F>
  void for_each(F&& visit) const {
    // `visit` may close a client's stream: the session goes away later, on its own fiber.
    for (ClientState* c = head_; c != nullptr; c = c->next) visit(*c);
  }
  std::size_t count() const { return count_; }

 private:
  ClientState* head_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace eddy
