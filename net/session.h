#pragma once
// One client connection: a fiber that reads, parses every complete command in what it read,
// runs them as one batch (engine/batch.h), and writes all the replies with one write. Written
// once against the Runtime's Stream, so the real server, the simulator and tests all run this
// very code.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/batch.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/runtime.h"
#include "net/resp/request_parser.h"

namespace eddy {

// Whether a peer address ("ip:port", "[ipv6]:port") is the loopback interface as Redis's
// protected mode counts it (127.0.0.1 or ::1 only). Non-socket streams count as local.
bool is_local_peer(std::string_view address);

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The connection's whole life; returns when the client leaves, errs, or the server stops.
  void run();

  const ClientState& client() const { return client_; }

  // Admits the client against maxclients (or answers Redis's error and closes the stream) and
  // spawns a fiber on the current core that serves `stream` until it ends.
  static void spawn(Engine* engine, std::unique_ptr<Stream> stream);

 private:
  // Only spawn() makes sessions: it has taken the client's place, which ~Session gives back.
  Session(Engine* engine, std::unique_ptr<Stream> stream);

  // Protected mode turned the client away (after telling it why).
  bool denied_by_protected_mode();
  // The read-run-write loop of run().
  void serve();
  // Reads more bytes; false at end of stream.
  bool fill();
  // Writes pending replies; false if the stream broke or the client must close (an output
  // buffer limit, eviction).
  bool flush();
  // The output passed the client's output buffer limit: logged, dropped, closing.
  void close_for_output_limit();
  // Publishes what the buffers hold (CLIENT LIST, maxmemory-clients).
  void account_memory();
  void compact();

  Engine* engine_;
  std::unique_ptr<Stream> stream_;
  ClientState client_;
  BatchExecutor executor_;
  resp::RequestParser parser_;

  std::vector<char> input_;
  std::size_t input_begin_ = 0;  // first unconsumed byte
  std::size_t input_end_ = 0;    // one past the last byte read
  std::string output_;
  std::vector<std::string_view> args_;
  std::vector<CommandRef> commands_;
};

}  // namespace eddy
