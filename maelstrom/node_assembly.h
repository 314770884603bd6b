#pragma once
// A whole Maelstrom node, assembled: the engine (whose keyspace serves lin-kv), the node's
// transport, and its services. eddy-maelstrom builds one on the stdio runtime; eddy-sim builds
// them on simulated nodes, so the same logic is tested under faults and replayed from seeds.

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "maelstrom/crdt_service.h"
#include "maelstrom/lin_kv.h"
#include "maelstrom/node.h"

namespace eddy::maelstrom {

// Fiber stacks of a Maelstrom node's runtime: the node builds its engine and prints nested JSON
// on fibers, which needs more than eddy-server's per-connection stacks (sanitizer builds most).
inline constexpr std::size_t kNodeFiberStackBytes = 1u << 20;

struct NodeAssemblyOptions {
  std::uint32_t shard_count = 1;
  // Make CRDT updates durable (RecordLog on the runtime's Disk) before acknowledging them,
  // and keep lin-kv's Raft state across restarts (without it, wiped at start).
  bool persist = false;
  NodeOptions node;
  LinKvOptions lin_kv;
  CrdtOptions crdt;
};

class NodeAssembly {
 public:
  NodeAssembly(Runtime* runtime, Stream* input, Stream* output, NodeAssemblyOptions options);
  ~NodeAssembly();

  // From a fiber: serves until the input ends or the runtime stops.
  void run();

  Node& node() { return *node_; }
  CrdtService& crdt() { return *crdt_; }
  LinKvService& lin_kv() { return *lin_kv_; }

 private:
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<LinKvService> lin_kv_;
  std::unique_ptr<CrdtService> crdt_;
};

struct NodePlant {
  const char* name;
  std::uint32_t mask;
  const char* description;
  const char* workload;  // the Maelstrom workload whose checker catches it
};
// The planted bugs of the Maelstrom node, by name (eddy-maelstrom --plant, eddy-sim --plant).
const std::vector<NodePlant>& node_plant_catalog();

}  // namespace eddy::maelstrom
