#include "sim/stream.h"

#include <algorithm>
#include <cstring>

#include "engine/base/assert.h"
#include "sim/node.h"

namespace eddy::sim {

SimStream::SimStream(std::shared_ptr<SimConnection> connection, int side)
    : connection_(std::move(connection)), side_(side) {
  connection_->node[side_]->streams_.push_back(this);
}

SimStream::~SimStream() {
  close();
  auto& streams = connection_->node[side_]->streams_;
  streams.erase(std::remove(streams.begin(), streams.end(), this), streams.end());
}

void SimStream::end_waiting_read() {
  wake(connection_->direction[1 - side_].reader, side_);
}

void SimStream::wake(fiber::Fiber*& fiber, int side) {
  if (fiber == nullptr) return;
  connection_->node[side]->scheduler_of(connection_->core[side]).wake(fiber);
  fiber = nullptr;
}

std::size_t SimStream::read(std::span<char> buffer) {
  SimConnection& c = *connection_;
  SimConnection::Direction& in = c.direction[1 - side_];
  World& world = *c.world;
  for (;;) {
    if (closed_ || c.reset) return 0;
    const std::size_t available = in.buffer.size() - in.read_pos;
    if (available > 0) {
      std::size_t n = std::min(available, buffer.size());
      Rng& rng = world.rng(World::Stream::kStreams);
      if (n > 1 && rng.chance(world.faults().stream_short_read_probability)) {
        n = 1 + rng.below(n);
      }
      std::memcpy(buffer.data(), in.buffer.data() + in.read_pos, n);
      in.read_pos += n;
      if (in.read_pos == in.buffer.size()) {
        in.buffer.clear();
        in.read_pos = 0;
      }
      // Room again: a writer blocked on this direction may go on.
      wake(in.writer, 1 - side_);
      return n;
    }
    if (in.fin) return 0;
    if (c.node[side_]->stopping()) return 0;
    in.reader = c.node[side_]->scheduler_of(c.core[side_]).current();
    c.node[side_]->scheduler_of(c.core[side_]).suspend();
  }
}

bool SimStream::write(std::span<const std::string_view> pieces) {
  SimConnection& c = *connection_;
  SimConnection::Direction& out = c.direction[side_];
  World& world = *c.world;
  const WorldFaults& faults = world.faults();
  std::string bytes;
  for (auto piece : pieces) bytes.append(piece);
  if (bytes.empty()) return !closed_ && !c.reset;
  for (;;) {
    if (closed_ || c.reset) return false;
    if (out.reader_gone) return true;  // like a socket whose peer closed: bytes are dropped
    const std::size_t unread = out.buffer.size() - out.read_pos + out.in_flight;
    if (unread < faults.stream_buffer_bytes) break;
    out.writer = c.node[side_]->scheduler_of(c.core[side_]).current();
    c.node[side_]->scheduler_of(c.core[side_]).suspend();
  }
  Rng& rng = world.rng(World::Stream::kStreams);
  if (faults.stream_reset_probability > 0 && rng.chance(faults.stream_reset_probability)) {
    // The connection breaks some time after this write is sent; part of it may arrive.
    world.trace(c.node[side_], c.core[side_], "stream " + std::to_string(c.id) + " will reset");
    std::weak_ptr<SimConnection> weak = connection_;
    world.schedule(rng.between(0, faults.stream_latency_max_ns), c.node[side_], c.core[side_],
                   [weak] {
                     if (auto conn = weak.lock()) {
                       conn->reset = true;
                       for (int s = 0; s < 2; ++s) {
                         for (fiber::Fiber** f :
                              {&conn->direction[s].reader, &conn->direction[s].writer}) {
                           if (*f == nullptr) continue;
                           // The reader of direction s is on side 1 - s; its writer on side s.
                           const int owner = f == &conn->direction[s].reader ? 1 - s : s;
                           conn->node[owner]->scheduler_of(conn->core[owner]).wake(*f);
                           *f = nullptr;
                         }
                       }
                     }
                   });
  }
  // Cut into pieces at random byte boundaries, delivered in order at increasing times.
  std::size_t count = 1;
  if (bytes.size() > 1 && rng.chance(faults.stream_split_probability)) {
    count = 2 + rng.below(std::min(faults.stream_pieces_max, bytes.size()) - 1);
  }
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < count; ++i) cuts.push_back(1 + rng.below(bytes.size() - 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  cuts.push_back(bytes.size());
  out.in_flight += bytes.size();
  std::size_t begin = 0;
  const int reader_side = 1 - side_;
  for (std::size_t cut : cuts) {
    const Nanos at = std::max(
        world.now() + rng.between(faults.stream_latency_min_ns, faults.stream_latency_max_ns),
        out.last_delivery + 1);
    out.last_delivery = at;
    std::string chunk = bytes.substr(begin, cut - begin);
    begin = cut;
    std::weak_ptr<SimConnection> weak = connection_;
    const int direction = side_;
    world.schedule(at - world.now(), c.node[reader_side], c.core[reader_side],
                   [weak, direction, reader_side, chunk = std::move(chunk)] {
                     auto conn = weak.lock();
                     if (!conn) return;
                     SimConnection::Direction& d = conn->direction[direction];
                     d.in_flight -= chunk.size();
                     if (conn->reset || d.reader_gone) return;
                     conn->world->trace(conn->node[reader_side], conn->core[reader_side],
                                        "stream " + std::to_string(conn->id) + " +" +
                                            std::to_string(chunk.size()) + "B");
                     d.buffer.append(chunk);
                     if (d.reader != nullptr) {
                       conn->node[reader_side]->scheduler_of(conn->core[reader_side]).wake(d.reader);
                       d.reader = nullptr;
                     }
                   });
  }
  return true;
}

void SimStream::close() {
  if (closed_) return;
  closed_ = true;
  SimConnection& c = *connection_;
  World& world = *c.world;
  // Our reads are over: whatever the peer still sends is dropped.
  c.direction[1 - side_].reader_gone = true;
  wake(c.direction[1 - side_].writer, 1 - side_);
  // The peer sees end-of-stream after the last byte we wrote has arrived.
  SimConnection::Direction& out = c.direction[side_];
  const int reader_side = 1 - side_;
  const Nanos at = std::max(world.now(), out.last_delivery + 1);
  std::weak_ptr<SimConnection> weak = connection_;
  const int direction = side_;
  world.schedule(at - world.now(), c.node[reader_side], c.core[reader_side],
                 [weak, direction, reader_side] {
                   auto conn = weak.lock();
                   if (!conn) return;
                   SimConnection::Direction& d = conn->direction[direction];
                   d.fin = true;
                   if (d.reader != nullptr) {
                     conn->node[reader_side]->scheduler_of(conn->core[reader_side]).wake(d.reader);
                     d.reader = nullptr;
                   }
                 });
}

void SimStream::reset_connection() {
  SimConnection& c = *connection_;
  c.reset = true;
  for (int s = 0; s < 2; ++s) {
    wake(c.direction[s].reader, 1 - s);
    wake(c.direction[s].writer, s);
  }
}

std::string SimStream::peer_address() const {
  return side_ == 1 ? "sim-client:" + std::to_string(connection_->id) : "sim-server:6379";
}

std::string SimStream::local_address() const {
  return side_ == 1 ? "sim-server:6379" : "sim-client:" + std::to_string(connection_->id);
}

SimListener::SimListener(SimNode* node, std::uint32_t core, std::uint16_t port)
    : node_(node), core_(core), port_(port) {
  node_->world().register_listener(port_, this);
}

SimListener::~SimListener() {
  close();
  auto& list = node_->listeners_;
  list.erase(std::remove(list.begin(), list.end(), this), list.end());
}

std::unique_ptr<Stream> SimListener::accept() {
  for (;;) {
    if (!pending_.empty()) {
      auto stream = std::move(pending_.front());
      pending_.pop_front();
      return stream;
    }
    if (closed_) return nullptr;
    waiter_ = node_->scheduler_of(core_).current();
    node_->scheduler_of(core_).suspend();
    waiter_ = nullptr;
  }
}

void SimListener::close() {
  if (closed_) return;
  closed_ = true;
  node_->world().unregister_listener(port_, this);
  if (waiter_ != nullptr) node_->scheduler_of(core_).wake(waiter_);
}

void SimListener::deliver(std::unique_ptr<Stream> stream) {
  if (closed_) return;  // refused: the stream is dropped, its client sees end-of-stream
  pending_.push_back(std::move(stream));
  if (waiter_ != nullptr) node_->scheduler_of(core_).wake(waiter_);
}

std::unique_ptr<Stream> sim_connect(World& world, SimNode* node, std::uint32_t core,
                                    std::uint16_t port, std::string* error) {
  SimListener* listener = world.pick_listener(port);
  if (listener == nullptr) {
    if (error != nullptr) *error = "connection refused";
    return nullptr;
  }
  auto connection = std::make_shared<SimConnection>();
  connection->world = &world;
  connection->id = world.new_id();
  connection->node[0] = node;
  connection->core[0] = core;
  connection->node[1] = listener->node();
  connection->core[1] = listener->core();
  auto server_end = std::make_unique<SimStream>(connection, 1);
  world.trace(node, core, "connect " + std::to_string(connection->id));
  const Nanos latency = world.rng(World::Stream::kStreams)
                            .between(world.faults().stream_latency_min_ns,
                                     world.faults().stream_latency_max_ns);
  auto* raw = server_end.release();
  SimNode* server_node = listener->node();
  const std::uint16_t listen_port = port;
  World* w = &world;
  world.schedule(latency, server_node, listener->core(), [w, raw, listen_port, listener] {
    std::unique_ptr<Stream> stream(raw);
    // The listener may have closed meanwhile: then the connection is refused.
    if (w->is_listening(listen_port, listener)) listener->deliver(std::move(stream));
  });
  return std::make_unique<SimStream>(connection, 0);
}

}  // namespace eddy::sim
