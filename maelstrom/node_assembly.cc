#include "maelstrom/node_assembly.h"

#include "engine/base/fault.h"

namespace eddy::maelstrom {

NodeAssembly::NodeAssembly(Runtime* runtime, Stream* input, Stream* output,
                           NodeAssemblyOptions options) {
  EngineOptions engine_options;
  engine_options.shard_count = options.shard_count;
  // No active-expiry fibers: lin-kv sets no TTLs, and lazy expiry covers any that appear.
  engine_ = std::make_unique<Engine>(runtime, engine_options);
  node_ = std::make_unique<Node>(runtime, input, output, options.node);
  options.lin_kv.persist = options.persist;
  lin_kv_ = std::make_unique<LinKvService>(node_.get(), engine_.get(), options.lin_kv);
  options.crdt.persist = options.persist;
  crdt_ = std::make_unique<CrdtService>(node_.get(), options.crdt);
  node_->add_service(lin_kv_.get());
  node_->add_service(crdt_.get());
}

NodeAssembly::~NodeAssembly() = default;

void NodeAssembly::run() {
  crdt_->start();
  lin_kv_->start();
  node_->run();
  lin_kv_->stop();
  crdt_->stop();
}

const std::vector<NodePlant>& node_plant_catalog() {
  static const std::vector<NodePlant> catalog = {
      {"lin-kv-local-read", static_cast<std::uint32_t>(PlantedBug::kLinKvLocalRead),
       "lin-kv reads served from the node's own copy, without Raft's read index", "lin-kv"},
      {"lin-kv-forward-applied-twice",
       static_cast<std::uint32_t>(PlantedBug::kLinKvForwardAppliedTwice),
       "lin-kv's state machine applies a resent or duplicated entry again (no dedup)", "lin-kv"},
      {"lin-kv-definite-error-after-propose",
       static_cast<std::uint32_t>(PlantedBug::kLinKvDefiniteErrorAfterPropose),
       "a lin-kv write given up on after it was proposed is answered error 11 (definite)",
       "lin-kv"},
      {"counter-drops-increments", static_cast<std::uint32_t>(PlantedBug::kCounterDropsIncrements),
       "every fifth counter add is acknowledged but never applied", "g-counter"},
      {"set-forgets-after-partition",
       static_cast<std::uint32_t>(PlantedBug::kSetForgetsAfterPartition),
       "after hearing from no peer for a while, a node forgets the elements peers taught it",
       "g-set"},
  };
  return catalog;
}

}  // namespace eddy::maelstrom
