#include "maelstrom/runner/topology.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>

namespace eddy::maelstrom::runner {

namespace {

using Neighbours = std::map<std::size_t, std::vector<std::size_t>>;

Neighbours grid(std::size_t n) {
  const auto side = static_cast<std::ptrdiff_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  // The node at row i, column j, or -1.
  auto node = [&](std::ptrdiff_t i, std::ptrdiff_t j) -> std::ptrdiff_t {
    if (i < 0 || j < 0 || j >= side) return -1;
    const std::ptrdiff_t index = i * side + j;
    return index < static_cast<std::ptrdiff_t>(n) ? index : -1;
  };
  Neighbours out;
  for (std::ptrdiff_t i = 0; i < side; ++i) {
    for (std::ptrdiff_t j = 0; j < side; ++j) {
      const std::ptrdiff_t me = node(i, j);
      if (me < 0) continue;
      std::vector<std::size_t>& list = out[static_cast<std::size_t>(me)];
      for (const std::ptrdiff_t other :
           {node(i + 1, j), node(i - 1, j), node(i, j + 1), node(i, j - 1)}) {
        if (other >= 0) list.push_back(static_cast<std::size_t>(other));
      }
    }
  }
  return out;
}

Neighbours line(std::size_t n) {
  Neighbours out;
  if (n < 2) return out;
  out[0] = {1};
  out[n - 1] = {n - 2};
  for (std::size_t i = 1; i + 1 < n; ++i) out[i] = {i - 1, i + 1};
  return out;
}

Neighbours total(std::size_t n) {
  Neighbours out;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t>& list = out[i];
    for (std::size_t j = 0; j < n; ++j) {
      if (j != i) list.push_back(j);
    }
  }
  return out;
}

// Tiers of 1, b, b^2, ... nodes in order; the k-th node of a tier has as children the k-th
// chunk of b nodes of the next tier.
Neighbours tree(std::size_t n, std::size_t b) {
  Neighbours out;
  if (n == 0) return out;
  std::vector<std::pair<std::size_t, std::size_t>> tiers;  // [first, end)
  for (std::size_t first = 0, size = 1; first < n; first += size, size *= b) {
    tiers.emplace_back(first, std::min(n, first + size));
  }
  std::vector<std::ptrdiff_t> parent(n, -1);
  std::vector<std::vector<std::size_t>> children(n);
  for (std::size_t t = 0; t + 1 < tiers.size(); ++t) {
    const auto [first, end] = tiers[t];
    const auto [child_first, child_end] = tiers[t + 1];
    for (std::size_t c = child_first; c < child_end; ++c) {
      const std::size_t p = first + (c - child_first) / b;
      if (p >= end) break;
      parent[c] = static_cast<std::ptrdiff_t>(p);
      children[p].push_back(c);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t>& list = out[i];
    if (parent[i] >= 0) list.push_back(static_cast<std::size_t>(parent[i]));
    list.insert(list.end(), children[i].begin(), children[i].end());
  }
  return out;
}

}  // namespace

bool is_topology_name(std::string_view name) {
  return name == "grid" || name == "line" || name == "total" || name == "tree" ||
         name == "tree2" || name == "tree3" || name == "tree4";
}

std::vector<std::pair<std::string, std::vector<std::string>>> make_topology(
    std::string_view name, const std::vector<std::string>& nodes) {
  const std::size_t n = nodes.size();
  Neighbours neighbours;
  if (name == "line") {
    neighbours = line(n);
  } else if (name == "total") {
    neighbours = total(n);
  } else if (name == "tree" || name == "tree2") {
    neighbours = tree(n, 2);
  } else if (name == "tree3") {
    neighbours = tree(n, 3);
  } else if (name == "tree4") {
    neighbours = tree(n, 4);
  } else {
    neighbours = grid(n);
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& [node, list] : neighbours) {
    std::vector<std::string> ids;
    for (const std::size_t other : list) ids.push_back(nodes[other]);
    out.emplace_back(nodes[node], std::move(ids));
  }
  return out;
}

}  // namespace eddy::maelstrom::runner
