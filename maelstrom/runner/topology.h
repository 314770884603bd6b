#pragma once
// The broadcast workload's topologies, computed as Maelstrom's maelstrom.workload.broadcast
// does: grid (default; a roughly square grid, neighbours below, above, right, left), line,
// total, and trees with branch factor 2, 3 or 4 (tiers of 1, b, b^2, ... nodes in order; each
// node's neighbours are its parent, then its children).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::maelstrom::runner {

bool is_topology_name(std::string_view name);

// Node i's neighbours, for every node that has an entry (a one-node line has none), in node
// order. `nodes` are the node ids in order; `name` must pass is_topology_name.
std::vector<std::pair<std::string, std::vector<std::string>>> make_topology(
    std::string_view name, const std::vector<std::string>& nodes);

}  // namespace eddy::maelstrom::runner
