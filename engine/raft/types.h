#pragma once
// The vocabulary of eddy's Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm", 2014, and Ongaro's thesis, 2014): terms, log indexes, entries, the messages peers
// exchange, the hard state a node persists, and a compact binary encoding of messages and
// entries. Every decoded byte comes from a peer or a disk, so decoding checks every bound and
// refuses (returns false) rather than trusting a length, an enum or an index.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::raft {

using Term = std::uint64_t;
using Index = std::uint64_t;
// Nodes are numbered from 1; 0 is "nobody" (no vote, no known leader).
using NodeId = std::uint64_t;
inline constexpr NodeId kNoNode = 0;

// Bounds on what a decoded message or entry may hold. A peer that sends more is refused.
inline constexpr std::size_t kEntryPayloadBytesMax = 1u << 20;
inline constexpr std::size_t kMessageEntriesMax = 4096;
inline constexpr std::size_t kSnapshotBytesMax = 8u << 20;
inline constexpr std::size_t kReadContextBytesMax = 4096;
inline constexpr std::size_t kEncodedMessageBytesMax = 24u << 20;
static_assert(kEntryPayloadBytesMax * 4 <= kEncodedMessageBytesMax);
// Terms and indexes above this are refused: an honest group never gets near it (2^62 elections
// or entries), and a peer's UINT64_MAX would otherwise make term + 1 or index + 1 wrap.
inline constexpr std::uint64_t kTermIndexMax = 1ull << 62;

enum class EntryKind : std::uint8_t {
  kNormal = 0,  // a proposal: the payload goes to the state machine
  kNoop = 1,    // the empty entry a new leader appends to commit its predecessors' entries
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryKind kind = EntryKind::kNormal;
  std::string payload;
  friend bool operator==(const Entry&, const Entry&) = default;
};

// The state machine's image through `index`, whose entry had term `term`.
struct Snapshot {
  Index index = 0;
  Term term = 0;
  std::string data;
  bool empty() const { return index == 0; }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// What must reach the disk before any message that depends on it leaves the node.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;
  friend bool operator==(const HardState&, const HardState&) = default;
};

enum class MessageType : std::uint8_t {
  kPreVote = 1,  // thesis 9.6: "would you vote for me?", without bumping anyone's term
  kPreVoteResponse = 2,
  kVote = 3,
  kVoteResponse = 4,
  kAppend = 5,
  kAppendResponse = 6,
  kHeartbeat = 7,
  kHeartbeatResponse = 8,
  kInstallSnapshot = 9,  // answered by a kAppendResponse for the snapshot's index
  kReadIndex = 10,       // a follower forwards a read to the leader (thesis 6.4)
  kReadIndexResponse = 11,
};
inline constexpr std::uint8_t kMessageTypeLast = 11;

// One message. Which fields mean something depends on the type:
// - kPreVote/kVote: log_term/index are the candidate's last entry.
// - k*VoteResponse: reject says whether the vote was refused.
// - kAppend: index/log_term are the entry before `entries` (which follow it contiguously);
//   commit is the leader's commit index.
// - kAppendResponse: index is the follower's last matching index on success; on reject,
//   index echoes the append's prev index and hint_index/hint_term say where the follower's log
//   may next match (fast back-off, thesis 5.3's optimisation as etcd does it).
// - kHeartbeat: commit as kAppend (never beyond what the follower is known to hold); context
//   carries the leader's read round, echoed by kHeartbeatResponse.
// - kInstallSnapshot: snapshot.
// - kReadIndex: context is the requester's; kReadIndexResponse: index is the read index,
//   reject says the leader could not serve it.
struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Term log_term = 0;
  Index index = 0;
  Index commit = 0;
  bool reject = false;
  Index hint_index = 0;
  Term hint_term = 0;
  std::string context;
  std::vector<Entry> entries;
  Snapshot snapshot;
  friend bool operator==(const Message&, const Message&) = default;
};

const char* message_type_name(MessageType type);

// Structural checks every message must pass before a node acts on it: a known type, entries
// that follow `index` contiguously with terms that never decrease and never exceed the
// message's term, bounded sizes. False means "refuse": Raft::step drops such a message.
bool well_formed(const Message& message);

// Encodings (little-endian varints for integers, a length before each byte string):
//   entry   = varint term | varint index | u8 kind | bytes payload
//   message = u8 version(1) | u8 type | varint from, to, term, log_term, index, commit |
//             u8 reject | varint hint_index, hint_term | bytes context |
//             varint entry count | per entry: varint term | u8 kind | bytes payload
//             (the index is implied: message.index + 1 + position) |
//             varint snapshot index, snapshot term | bytes snapshot data
// Decoding refuses trailing bytes, overlong varints, unknown types or kinds, booleans other
// than 0/1, sizes beyond the bounds above and messages that are not well_formed().
void encode_entry(const Entry& entry, std::string* out);
bool decode_entry(std::string_view bytes, Entry* entry);
std::string encode_message(const Message& message);
bool decode_message(std::string_view bytes, Message* message);

}  // namespace eddy::raft
