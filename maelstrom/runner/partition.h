#pragma once
// The partition nemesis's grudges, as Jepsen's partition package builds them: each start picks
// one of `one` (isolate a random node), `minority-third` (split off floor((n-1)/3) random
// nodes), `majority` (shuffle, cut into floor(n/2) versus the rest) and `majorities-ring`
// (every node keeps a majority, no two the same: an exact ring for n <= 5, where n = 3 cuts
// links one way only; Jepsen's stochastic construction above that).
//
// A grudge says, per receiving node, which senders it drops: the network drops a message when
// it is due for delivery and its receiver holds a grudge against its sender.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rng.h"

namespace eddy::maelstrom::runner {

enum class PartitionKind : std::uint8_t { kOne, kMinorityThird, kMajority, kMajoritiesRing };

constexpr PartitionKind kPartitionKinds[] = {PartitionKind::kOne, PartitionKind::kMinorityThird,
                                             PartitionKind::kMajority,
                                             PartitionKind::kMajoritiesRing};

std::string_view partition_kind_name(PartitionKind kind);

struct Grudge {
  // drops[receiver][sender]: receiver drops messages from sender. Empty: no grudge.
  std::vector<std::vector<bool>> drops;

  bool dropping(std::size_t receiver, std::size_t sender) const {
    return !drops.empty() && drops[receiver][sender];
  }
  bool empty() const;
  // {"n0": ["n3", "n4"], ...}: each receiver with the senders it drops, as JSON text.
  std::string to_json(const std::vector<std::string>& nodes) const;
  // Compact, for summaries: "n0 n1 | n2 n3 n4" when the grudge splits the nodes into
  // components, else "n0 drops n2; n1 drops n0; ...".
  std::string describe(const std::vector<std::string>& nodes) const;
};

Grudge make_grudge(PartitionKind kind, std::size_t node_count, Rng& rng);

}  // namespace eddy::maelstrom::runner
