#pragma once
// The lin-kv workload (read, write, cas) on the engine's keyspace.
//
// One node: the engine answers directly, and since every request is applied whole on the
// key's shard before the reply is sent, each takes effect at one instant between request and
// reply: linearizable. Several nodes (until Raft replication lands): the first node in
// node_ids owns the keyspace and the others forward to it, so there is still one copy and one
// order. A forward that gets no answer in time is answered with a timeout, which clients treat
// as indefinite — the forward may still arrive and apply, which linearizability allows for an
// operation whose outcome is unknown. The owner remembers which forwards it applied (per
// origin incarnation, in a bounded window) so a duplicated forward is never applied twice,
// and refuses ones too old to judge.
//
// Keys and values are arbitrary JSON; the keyspace stores their canonical text.

#include <cstdint>
#include <map>
#include <string>

#include "engine/engine.h"
#include "engine/tx/coordinator.h"
#include "maelstrom/node.h"

namespace eddy::maelstrom {

struct LinKvOptions {
  Nanos forward_timeout = 800 * kNanosPerMilli;
  std::size_t max_pending_forwards = 10'000;
  std::size_t dedupe_window = 4096;  // forwards remembered per origin incarnation
};

class LinKvService final : public Service {
 public:
  LinKvService(Node* node, Engine* engine, LinKvOptions options = {});

  bool handle(const Message& message) override;
  void tick() override;

  // Applies a read/write/cas body to the local keyspace; returns the reply body without
  // in_reply_to (an error body carries in_reply_to 0, replaced by the caller).
  Json apply(const Json& request);

 private:
  bool is_owner() const;
  void forward(const Message& request);
  void handle_forward(const Message& message);
  void handle_forward_reply(const Message& message);

  struct PendingForward {
    Message request;
    Nanos deadline;
  };
  struct AppliedForwards {
    std::int64_t floor = 0;  // ids at or below are too old to judge
    std::map<std::int64_t, Json> replies;
  };

  Node* node_;
  Engine* engine_;
  Coordinator coordinator_;
  LinKvOptions options_;
  std::uint64_t incarnation_ = 0;
  std::int64_t next_forward_id_ = 1;
  std::map<std::int64_t, PendingForward> pending_;
  // Keyed by origin node and its incarnation.
  std::map<std::pair<std::string, std::uint64_t>, AppliedForwards> applied_;
};

}  // namespace eddy::maelstrom
