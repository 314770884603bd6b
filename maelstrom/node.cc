#include "maelstrom/node.h"

#include <cstdio>

#include "engine/base/assert.h"

namespace eddy::maelstrom {

namespace {
std::function<void(std::string_view)>* g_log_sink = nullptr;
}  // namespace

void set_log_sink(std::function<void(std::string_view)>* sink) {
  g_log_sink = sink;
}

void log_line(std::string_view text) {
  if (g_log_sink != nullptr) {
    (*g_log_sink)(text);
    return;
  }
  std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
}

Node::Node(Runtime* runtime, Stream* input, Stream* output, NodeOptions options)
    : runtime_(runtime), input_(input), output_(output), options_(options) {}

void Node::run() {
  fiber::Scheduler& scheduler = runtime_->scheduler();
  fiber::WaitGroup helpers(&scheduler);
  helpers.add(2);
  scheduler.spawn("maelstrom-writer", [this, &helpers] {
    write_loop();
    helpers.done();
  });
  scheduler.spawn("maelstrom-ticker", [this, &helpers] {
    tick_loop();
    helpers.done();
  });
  read_loop();
  stopped_ = true;
  if (writer_ != nullptr) scheduler.wake(writer_);
  helpers.wait();
}

void Node::read_loop() {
  std::string buffer;
  std::size_t scanned = 0;  // bytes of `buffer` known to hold no newline
  std::vector<char> chunk(64 * 1024);
  while (!runtime_->stopping()) {
    const std::size_t got = input_->read(chunk);
    if (got == 0) return;  // end of input: Maelstrom is done with us
    buffer.append(chunk.data(), got);
    std::size_t start = 0;
    for (;;) {
      const std::size_t newline = buffer.find('\n', std::max(start, scanned));
      if (newline == std::string::npos) break;
      std::string_view line(buffer.data() + start, newline - start);
      start = newline + 1;
      if (line.empty()) continue;
      std::string error;
      std::optional<Message> message = parse_message(line, &error);
      if (!message) {
        // Maelstrom never sends such a line; say so and carry on rather than die mid-test.
        log_line("ignoring input line (" + error + "): " + std::string(line.substr(0, 200)));
        continue;
      }
      ++messages_received_;
      dispatch(*message);
    }
    buffer.erase(0, start);
    scanned = buffer.size();
    if (buffer.size() > options_.max_line_bytes) {
      log_line("input line longer than the limit; dropping it");
      buffer.clear();
      scanned = 0;
    }
  }
}

void Node::write_loop() {
  std::vector<std::string> batch;
  std::vector<std::string_view> pieces;
  for (;;) {
    while (outbox_.empty() && !stopped_) {
      writer_ = runtime_->scheduler().current();
      runtime_->scheduler().suspend();
      writer_ = nullptr;
    }
    if (outbox_.empty()) return;  // stopped, and everything queued was written
    batch.clear();
    pieces.clear();
    while (!outbox_.empty()) {
      batch.push_back(std::move(outbox_.front()));
      outbox_.pop_front();
    }
    // One write per batch; each message is its line and its newline.
    for (const std::string& line : batch) {
      pieces.push_back(line);
      pieces.emplace_back("\n", 1);
    }
    if (!output_->write(pieces)) {
      output_broken_ = true;  // output gone: nobody is listening any more
      outbox_.clear();
      return;
    }
  }
}

void Node::tick_loop() {
  while (!stopped_ && !runtime_->stopping()) {
    runtime_->sleep_for(options_.tick);
    if (stopped_ || !initialised()) continue;
    for (Service* service : services_) service->tick();
  }
}

void Node::send(const std::string& dest, Json body) {
  send_from(id_, dest, std::move(body));
}

void Node::send_from(const std::string& src, const std::string& dest, Json body) {
  if (output_broken_ || (!is_client(dest) && outbox_.size() >= options_.max_outbox_messages)) {
    ++messages_dropped_;
    return;
  }
  outbox_.push_back(encode_message(src, dest, body));
  ++messages_sent_;
  if (writer_ != nullptr) runtime_->scheduler().wake(writer_);
}

// Before init the node has no id of its own yet; it answers as the id the request was sent
// to, so the reply never carries an empty src (which Maelstrom treats as fatal).
void Node::reply(const Message& request, Json body) {
  const std::optional<std::int64_t> msg_id = request.msg_id();
  if (!msg_id) return;  // nothing to reply to: the sender expects no answer
  body["in_reply_to"] = *msg_id;
  send_from(initialised() ? id_ : request.dest, request.src, std::move(body));
}

void Node::reply_error(const Message& request, ErrorCode code, std::string_view text) {
  const std::optional<std::int64_t> msg_id = request.msg_id();
  if (!msg_id) return;
  send_from(initialised() ? id_ : request.dest, request.src, error_body(*msg_id, code, text));
}

void Node::dispatch(const Message& message) {
  const std::string_view type = message.type();
  if (type == "init") {
    handle_init(message);
    return;
  }
  if (!initialised()) {
    if (is_client(message.src)) {
      reply_error(message, ErrorCode::kTemporarilyUnavailable, "node not initialised yet");
    } else if (held_before_init_.size() < options_.max_held_before_init) {
      held_before_init_.push_back(message);
    }
    return;
  }
  if (type == "echo") {
    Json body = {{"type", "echo_ok"}, {"echo", message.body.value("echo", Json())}};
    reply(message, std::move(body));
    return;
  }
  try {
    for (Service* service : services_) {
      if (service->handle(message)) return;
    }
  } catch (const Json::exception& e) {
    // A field of the wrong JSON type (handlers read fields with get<T>()): the request could
    // not be understood, and a handler throws before it changes anything.
    log_line("malformed " + std::string(type) + " from " + message.src + ": " + e.what());
    reply_error(message, ErrorCode::kMalformedRequest, "malformed request");
    return;
  }
  // Replies and errors addressed to us that nobody waits for any more are dropped quietly;
  // an unknown request gets a definite "not supported".
  if (message.in_reply_to() || type == "error") return;
  reply_error(message, ErrorCode::kNotSupported, "unsupported request type: " + std::string(type));
}

void Node::handle_init(const Message& message) {
  const Json& body = message.body;
  const auto node_id = body.find("node_id");
  const auto node_ids = body.find("node_ids");
  if (node_id == body.end() || !node_id->is_string() || node_ids == body.end() ||
      !node_ids->is_array()) {
    reply_error(message, ErrorCode::kMalformedRequest, "init needs node_id and node_ids");
    return;
  }
  std::vector<std::string> ids;
  for (const Json& id : *node_ids) {
    if (!id.is_string()) {
      reply_error(message, ErrorCode::kMalformedRequest, "node_ids must be strings");
      return;
    }
    ids.push_back(id.get<std::string>());
  }
  const std::string self = node_id->get<std::string>();
  std::size_t index = ids.size();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == self) index = i;
  }
  if (index == ids.size()) {
    reply_error(message, ErrorCode::kMalformedRequest, "node_ids must include node_id");
    return;
  }
  if (initialised()) {
    // A repeated init must describe the same cluster; answer it again so the sender proceeds.
    if (self != id_ || ids != node_ids_) {
      reply_error(message, ErrorCode::kMalformedRequest, "already initialised differently");
      return;
    }
    reply(message, Json{{"type", "init_ok"}});
    return;
  }
  id_ = self;
  node_ids_ = std::move(ids);
  index_ = index;
  for (Service* service : services_) service->on_init();
  reply(message, Json{{"type", "init_ok"}});
  log_line("initialised as " + id_ + " of " + std::to_string(node_ids_.size()) + " nodes");
  std::deque<Message> held;
  held.swap(held_before_init_);
  for (const Message& early : held) dispatch(early);
}

}  // namespace eddy::maelstrom
