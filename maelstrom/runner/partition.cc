#include "maelstrom/runner/partition.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace eddy::maelstrom::runner {

namespace {

template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[rng.below(i)]);
  }
}

std::vector<std::size_t> shuffled_nodes(std::size_t n, Rng& rng) {
  std::vector<std::size_t> nodes(n);
  std::iota(nodes.begin(), nodes.end(), 0);
  shuffle(nodes, rng);
  return nodes;
}

// No node talks to anyone outside its own component.
Grudge complete_grudge(const std::vector<std::vector<std::size_t>>& components, std::size_t n) {
  Grudge g;
  g.drops.assign(n, std::vector<bool>(n, false));
  std::vector<std::size_t> component_of(n, 0);
  for (std::size_t c = 0; c < components.size(); ++c) {
    for (const std::size_t node : components[c]) component_of[node] = c;
  }
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) g.drops[a][b] = component_of[a] != component_of[b];
  }
  return g;
}

Grudge split_at(const std::vector<std::size_t>& order, std::size_t k, std::size_t n) {
  std::vector<std::vector<std::size_t>> components(2);
  for (std::size_t i = 0; i < order.size(); ++i) components[i < k ? 0 : 1].push_back(order[i]);
  return complete_grudge(components, n);
}

std::size_t majority(std::size_t n) { return n / 2 + 1; }

// Jepsen's majorities-ring-perfect: a shuffled ring; each window of m consecutive nodes is the
// majority its middle node keeps.
Grudge ring_perfect(std::size_t n, Rng& rng) {
  const std::vector<std::size_t> ring = shuffled_nodes(n, rng);
  const std::size_t m = majority(n);
  Grudge g;
  g.drops.assign(n, std::vector<bool>(n, true));
  for (std::size_t start = 0; start < n; ++start) {
    const std::size_t middle = ring[(start + m / 2) % n];
    for (std::size_t k = 0; k < m; ++k) g.drops[middle][ring[(start + k) % n]] = false;
  }
  return g;
}

// Jepsen's majorities-ring-stochastic: repeatedly link a least-connected node to another
// least-connected node it is not yet linked to, until every node sees a majority.
Grudge ring_stochastic(std::size_t n, Rng& rng) {
  const std::size_t m = majority(n);
  std::vector<std::set<std::size_t>> conns(n);
  for (std::size_t i = 0; i < n; ++i) conns[i].insert(i);
  std::map<std::size_t, std::set<std::size_t>> by_degree;
  for (std::size_t i = 0; i < n; ++i) by_degree[1].insert(i);
  for (;;) {
    std::vector<std::pair<std::size_t, std::size_t>> dns;  // (degree, node), shuffled per degree
    for (const auto& [degree, nodes] : by_degree) {
      std::vector<std::size_t> list(nodes.begin(), nodes.end());
      shuffle(list, rng);
      for (const std::size_t node : list) dns.emplace_back(degree, node);
    }
    const auto [a_degree, a] = dns.front();
    if (m <= a_degree) break;
    std::size_t b_degree = 0;
    std::size_t b = 0;
    for (const auto& [degree, node] : dns) {
      if (conns[a].count(node) == 0) {
        b_degree = degree;
        b = node;
        break;
      }
    }
    conns[a].insert(b);
    conns[b].insert(a);
    by_degree[a_degree].erase(a);
    by_degree[b_degree].erase(b);
    by_degree[a_degree + 1].insert(a);
    by_degree[b_degree + 1].insert(b);
    for (auto it = by_degree.begin(); it != by_degree.end();) {
      it = it->second.empty() ? by_degree.erase(it) : std::next(it);
    }
  }
  Grudge g;
  g.drops.assign(n, std::vector<bool>(n, false));
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) g.drops[a][b] = conns[a].count(b) == 0;
  }
  return g;
}

}  // namespace

std::string_view partition_kind_name(PartitionKind kind) {
  switch (kind) {
    case PartitionKind::kOne:
      return "one";
    case PartitionKind::kMinorityThird:
      return "minority-third";
    case PartitionKind::kMajority:
      return "majority";
    case PartitionKind::kMajoritiesRing:
      return "majorities-ring";
  }
  return "?";
}

bool Grudge::empty() const {
  for (const auto& row : drops) {
    for (const bool d : row) {
      if (d) return false;
    }
  }
  return true;
}

std::string Grudge::to_json(const std::vector<std::string>& nodes) const {
  std::string out = "{";
  bool first = true;
  for (std::size_t a = 0; a < drops.size(); ++a) {
    std::string list;
    for (std::size_t b = 0; b < drops[a].size(); ++b) {
      if (!drops[a][b]) continue;
      if (!list.empty()) list += ",";
      list += "\"" + nodes[b] + "\"";
    }
    if (list.empty()) continue;
    out += std::string(first ? "" : ",") + "\"" + nodes[a] + "\":[" + list + "]";
    first = false;
  }
  return out + "}";
}

std::string Grudge::describe(const std::vector<std::string>& nodes) const {
  const std::size_t n = drops.size();
  if (n == 0 || empty()) return "no links cut";
  // Components, if "talks to" is an equivalence (symmetric, and transitive within groups).
  std::vector<int> component(n, -1);
  std::vector<std::vector<std::size_t>> groups;
  bool clean = true;
  for (std::size_t a = 0; a < n && clean; ++a) {
    if (component[a] >= 0) continue;
    component[a] = static_cast<int>(groups.size());
    groups.push_back({a});
    for (std::size_t b = a + 1; b < n; ++b) {
      if (!drops[a][b] && !drops[b][a]) {
        if (component[b] >= 0) clean = false;
        component[b] = component[a];
        groups.back().push_back(b);
      }
    }
  }
  for (std::size_t a = 0; a < n && clean; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      if (drops[a][b] != (component[a] != component[b])) clean = false;
    }
  }
  std::string out;
  if (clean) {
    for (const auto& group : groups) {
      if (!out.empty()) out += " | ";
      for (std::size_t i = 0; i < group.size(); ++i) out += (i ? " " : "") + nodes[group[i]];
    }
    return out;
  }
  for (std::size_t a = 0; a < n; ++a) {
    std::string list;
    for (std::size_t b = 0; b < n; ++b) {
      if (drops[a][b]) list += (list.empty() ? "" : ",") + nodes[b];
    }
    if (list.empty()) continue;
    out += (out.empty() ? "" : "; ") + nodes[a] + " drops " + list;
  }
  return out;
}

Grudge make_grudge(PartitionKind kind, std::size_t n, Rng& rng) {
  switch (kind) {
    case PartitionKind::kOne: {
      const std::size_t loner = rng.below(n);
      std::vector<std::size_t> order = {loner};
      for (std::size_t i = 0; i < n; ++i) {
        if (i != loner) order.push_back(i);
      }
      return split_at(order, 1, n);
    }
    case PartitionKind::kMinorityThird:
      return split_at(shuffled_nodes(n, rng), n == 0 ? 0 : (n - 1) / 3, n);
    case PartitionKind::kMajority:
      return split_at(shuffled_nodes(n, rng), n / 2, n);
    case PartitionKind::kMajoritiesRing:
      return n <= 5 ? ring_perfect(n, rng) : ring_stochastic(n, rng);
  }
  return Grudge{};
}

}  // namespace eddy::maelstrom::runner
