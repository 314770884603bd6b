#pragma once
// Linearizability of a History of single-key operations, key by key.
//
// Each key is checked on its own (a history is linearizable iff every key's sub-history is, as
// Porcupine uses: P-compositionality) by the Wing & Gong search with Lowe's memoisation: a
// depth-first search over "which pending operation takes effect next", pruned by a cache of the
// configurations already explored, each being (set of linearized ops, model state). The model
// of a key is nil or a string with Redis's semantics for each OpKind, plus compare-and-set (a
// SET with Op::expected, as Maelstrom's lin-kv `cas`: applies only where the value equals the
// expected one; nil equals nothing).
//
// A string may also carry a TTL bound: the duration the last EXPIRE that applied gave it. EXPIRE
// on a missing key answers 0 and changes nothing; on an existing one it answers 1 and sets the
// bound (a duration of zero or less deletes the key instead). SET, GETSET and CAS clear the
// bound; INCR, APPEND and a SETNX that finds the key keep it; DEL, GETDEL and the deleting
// EXPIRE take it with the key. PERSIST answers 1 and clears it if there was one, else 0. TTL
// answers -2 for a missing key, -1 for one without a bound, and else what is left, rounded as
// Redis does ((ms + 500) / 1000; PTTL in ms): anything from the bound less how far the server's
// wall clock may have moved forward (History::wall_clock; by default any distance, so from 0)
// up to the bound plus how far it may have gone back. TTLs never run out in the model: the
// histories it judges use TTLs longer than they last. The memo's model state includes the bound.
//
// Real time: A must be linearized before B when A's reply arrived before B was sent
// (A.complete_ns < B.invoke_ns; equal times count as concurrent). Failed ops took no effect
// and are dropped. Unknown ops never completed: each may take effect at any point after its
// invoke, or never.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/check/history.h"

namespace eddy::sim {

struct LinearizabilityResult {
  bool ok = true;
  // Gave up on some key: its state budget ran out (not a proof either way). When another key
  // then fails, ok is false, `key` names the failing key and exhausted stays true.
  bool exhausted = false;
  // The first key (in sorted key order) that failed; if none failed, the first that exhausted.
  std::string key;
  // Ids of the longest linearizable prefix found for that key, in linearization order.
  std::vector<std::uint64_t> longest_prefix;
  // Human-readable: the end of that prefix, the model state after it, and the operations that
  // could have come next with what the model expected of them (at most ~40 lines).
  std::string explanation;
  // Memoised configurations over all keys checked.
  std::uint64_t states_explored = 0;
};

// Checks that the history is linearizable for each key independently; keys are visited in
// sorted order and the check stops at the first key that fails. `state_budget` bounds the
// search per key (memoised configurations); exceeding it yields ok=true, exhausted=true for
// that key. Every key starts as nil. Op ids must be unique.
LinearizabilityResult check_linearizable(const History& history,
                                         std::uint64_t state_budget = 5'000'000);

}  // namespace eddy::sim
