#pragma once
// Fault points and planted bugs: the simulator's levers inside production code.
//
// BUGGIFY("site") is false outside the simulator (one predictable branch on a null pointer).
// In a simulation, the injector decides once per run and per site, from the seed, whether the
// site is enabled, and an enabled site then fires with the run's probability, as
// FoundationDB's BUGGIFY does. Code uses it to make rare paths common: tiny reads, late
// expiry cycles, early flushes.
//
// PLANTED("name") switches on a deliberately wrong variant of a piece of logic, so tests can
// prove that the simulator's checkers catch real bugs. Off unless a simulation names it.

#include <cstdint>

namespace eddy {

class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  virtual bool fire(const char* site) = 0;
};

namespace detail {
// Set only by the simulator (one thread) or by eddy-maelstrom's --plant before it starts;
// eddy-server never writes them.
inline FaultInjector* g_fault_injector = nullptr;
inline std::uint32_t g_planted_bugs = 0;
}  // namespace detail

inline void set_fault_injector(FaultInjector* injector) { detail::g_fault_injector = injector; }

// The planted bugs, one bit each. `eddy-sim plants` lists them by name.
enum class PlantedBug : std::uint32_t {
  kMsetNotAtomic = 1u << 0,         // cross-shard MSET applied shard by shard, without locks
  kCrossShardReplyMixup = 1u << 1,  // stitched replies of two shards swapped
  kStaleExpiryClock = 1u << 2,      // a shard batch checks expiry with a clock never refreshed
  kPipelineReorder = 1u << 3,       // the last two replies of a stitched batch swapped
  kPartialReadParser = 1u << 4,     // the parser forgets progress when a bulk is split
  // Maelstrom node plants, for proving the runner's and the simulator's checkers.
  kLinKvLocalRead = 1u << 5,          // lin-kv reads served locally, without read index
  kCounterDropsIncrements = 1u << 6,  // some counter adds are acknowledged, never applied
  kSetForgetsAfterPartition = 1u << 7,  // a set forgets what peers taught it after a silence
  kZaddGtInverted = 1u << 8,  // ZADD GT keeps an existing member's score only when it would grow
  // A snapshot plant (engine/storage/shard_snapshot.h), caught in tests/unit/snapshot_test.cc.
  kSnapshotSkipsWriteHook = 1u << 24,  // a write meets a pending segment and does not save it
  // Raft plants (engine/raft), each caught by a named checker in tests/unit/raft_test.cc.
  kRaftCommitPrevTermByCount = 1u << 9,    // an earlier term's entry commits by counting replicas
  kRaftVoteNotPersisted = 1u << 10,        // a vote goes out before (without) reaching the disk
  kRaftReadWithoutReadIndex = 1u << 11,    // a leader serves reads with no quorum round
  kRaftNoNoop = 1u << 12,                  // a new leader appends no no-op entry
  kRaftAcceptMismatchedAppend = 1u << 13,  // a follower ignores the prev entry's term
  kRaftStaleTermResetsTimer = 1u << 14,    // a stale-term message resets the election timer
  // lin-kv on Raft (maelstrom/lin_kv.cc), caught by the linearizability checker in eddy-sim.
  kLinKvForwardAppliedTwice = 1u << 15,        // the state machine's dedup of entries is off
  kLinKvDefiniteErrorAfterPropose = 1u << 16,  // a write given up on is answered error 11
};

inline void set_planted_bugs(std::uint32_t mask) { detail::g_planted_bugs = mask; }
inline bool planted(PlantedBug bug) {
  return (detail::g_planted_bugs & static_cast<std::uint32_t>(bug)) != 0;
}

}  // namespace eddy

#define BUGGIFY(site)                                        \
  (__builtin_expect(::eddy::detail::g_fault_injector != nullptr, 0) && \
   ::eddy::detail::g_fault_injector->fire(site))

#define PLANTED(bug) \
  (__builtin_expect(::eddy::detail::g_planted_bugs != 0, 0) && ::eddy::planted(bug))
