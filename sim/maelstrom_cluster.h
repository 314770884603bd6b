#pragma once
// Maelstrom nodes inside the simulator: the very node logic eddy-maelstrom runs (maelstrom/),
// each node a process on its own SimNode, its stdin and stdout simulated lines. The harness
// plays Maelstrom's part: it sends init, carries client requests to nodes and replies back
// with no delay, and routes node-to-node messages over the simulated network (seeded latency,
// loss, duplication, reordering, partitions).
//
// Processes can crash and restart. A crash is instant: the process's memory is gone (its
// input is cut, nothing it prints escapes, its view of the disk goes dead) and the node's
// SimDisk keeps what the fault model leaves (synced writes, maybe a torn tail). A restart
// starts a fresh process on the same disk and sends it init again, as a supervisor would.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "maelstrom/node_assembly.h"
#include "sim/node.h"
#include "sim/world.h"

namespace eddy::sim {

struct MaelstromClusterConfig {
  std::uint32_t nodes = 3;
  maelstrom::NodeAssemblyOptions node;
};

class MaelstromCluster {
 public:
  // Lines nodes address to clients (ids starting with 'c') go to `to_client`, called from a
  // World event on `client_node`'s core 0.
  MaelstromCluster(World* world, SimNode* client_node, MaelstromClusterConfig config,
                   std::function<void(std::string line)> to_client);
  ~MaelstromCluster();

  // Starts every node's process and sends each its init.
  void start();
  std::size_t size() const { return nodes_.size(); }
  const std::vector<std::string>& node_ids() const { return node_ids_; }
  SimNode& sim_node(std::size_t index) { return *nodes_[index]->sim; }

  // Delivers a client's line to a node's stdin now (Maelstrom's client links have no latency
  // and are never partitioned). Dropped while the node's process is down.
  void send_to_node(std::size_t index, std::string line);

  bool up(std::size_t index) const { return nodes_[index]->process != nullptr; }
  bool initialised(std::size_t index) const;
  bool all_initialised() const;
  void crash(std::size_t index);
  void restart(std::size_t index);
  // Ends every process (input closed) and stops the SimNodes.
  void stop();

  std::uint64_t peer_messages() const { return peer_messages_; }
  std::uint64_t crashes() const { return crashes_; }

 private:
  class InputPipe;
  class OutputSink;
  class ProcessDisk;
  struct Process;
  struct Node {
    SimNode* sim = nullptr;
    std::string id;
    std::shared_ptr<Process> process;  // nullptr while down
    std::uint64_t incarnation = 0;
  };

  void start_process(std::size_t index);
  void route_line(std::size_t from, std::string line);

  World* world_;
  SimNode* client_node_;
  MaelstromClusterConfig config_;
  std::function<void(std::string)> to_client_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::string> node_ids_;
  std::uint64_t peer_messages_ = 0;
  std::uint64_t crashes_ = 0;
  bool stopped_ = false;
};

}  // namespace eddy::sim
