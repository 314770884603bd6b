#pragma once
// A Maelstrom node: the part that is the same under every runtime. It reads newline-delimited
// JSON messages from one Stream (stdin under Maelstrom, a simulated link in eddy-sim), hands
// each to the service that owns its type, and writes what the services send to another Stream
// (stdout), one line per message, batched per write.
//
// Three fibers, all on the runtime's current core: the reader (which dispatches; handlers never
// block it), the writer (which drains the outbox), and a ticker (which drives the services'
// timers: forwarding deadlines, gossip, flushes). Handlers run to completion without
// suspending, so the node needs no locks; work that must wait (a disk sync, a reply from a
// peer) is queued and finished from a tick or a helper fiber of the service.
//
// Protocol duties handled here: init/init_ok (remembering node_id and node_ids; peer messages
// that arrive before init are held, bounded, and replayed after it), echo, and the reply
// envelope (`in_reply_to`, error bodies).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fiber/scheduler.h"
#include "engine/runtime.h"
#include "maelstrom/message.h"

namespace eddy::maelstrom {

class Node;

// A group of request types (lin-kv, the CRDT workloads). Handlers must not suspend.
class Service {
 public:
  virtual ~Service() = default;
  // Handles `message` and returns true when it belongs to this service.
  virtual bool handle(const Message& message) = 0;
  // Called once, right after init.
  virtual void on_init() {}
  // Called every NodeOptions::tick.
  virtual void tick() {}
};

struct NodeOptions {
  Nanos tick = 20 * kNanosPerMilli;
  // Bounds: a longer line is a protocol violation; more held pre-init messages are dropped
  // (peers retry through gossip); a fuller outbox drops peer traffic, never client replies.
  std::size_t max_line_bytes = 64u << 20;
  std::size_t max_held_before_init = 10'000;
  std::size_t max_outbox_messages = 100'000;
};

class Node {
 public:
  Node(Runtime* runtime, Stream* input, Stream* output, NodeOptions options = {});
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void add_service(Service* service) { services_.push_back(service); }

  // From a fiber: serves until the input ends or the runtime stops, then winds down the
  // node's fibers and returns.
  void run();

  Runtime& runtime() { return *runtime_; }
  bool initialised() const { return !id_.empty(); }
  const std::string& id() const { return id_; }
  const std::vector<std::string>& node_ids() const { return node_ids_; }
  // This node's position in node_ids.
  std::size_t index() const { return index_; }
  bool stopped() const { return stopped_; }
  static bool is_client(std::string_view id) { return !id.empty() && id[0] == 'c'; }

  // Queues a message. Peer traffic may be dropped when the outbox is full (peers must cope
  // with loss anyway); client traffic never is.
  void send(const std::string& dest, Json body);
  // A reply to `request` with `in_reply_to` filled in.
  void reply(const Message& request, Json body);
  void reply_error(const Message& request, ErrorCode code, std::string_view text);

  // Statistics, for logs and tests.
  std::uint64_t messages_received() const { return messages_received_; }
  std::uint64_t messages_sent() const { return messages_sent_; }
  std::uint64_t messages_dropped() const { return messages_dropped_; }

 private:
  void send_from(const std::string& src, const std::string& dest, Json body);
  void read_loop();
  void write_loop();
  void tick_loop();
  void dispatch(const Message& message);
  void handle_init(const Message& message);

  Runtime* runtime_;
  Stream* input_;
  Stream* output_;
  NodeOptions options_;
  std::vector<Service*> services_;
  std::string id_;
  std::vector<std::string> node_ids_;
  std::size_t index_ = 0;
  std::deque<Message> held_before_init_;
  std::deque<std::string> outbox_;
  fiber::Fiber* writer_ = nullptr;  // parked writer, if any
  bool stopped_ = false;
  bool output_broken_ = false;
  std::uint64_t messages_received_ = 0;
  std::uint64_t messages_sent_ = 0;
  std::uint64_t messages_dropped_ = 0;
};

// Logs a line on stderr (Maelstrom keeps it in the node's log; stdout is for messages only),
// or to the sink set below.
void log_line(std::string_view text);
// Redirects log_line (the simulator sends node logs to its trace); nullptr restores stderr.
// Set from the one thread that runs nodes, before they run.
void set_log_sink(std::function<void(std::string_view)>* sink);

}  // namespace eddy::maelstrom
