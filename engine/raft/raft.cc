#include "engine/raft/raft.h"

#include <algorithm>

#include "engine/base/assert.h"
#include "engine/base/fault.h"

namespace eddy::raft {

namespace {

std::string encode_round(std::uint64_t round) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((round >> (8 * i)) & 0xff);
  return out;
}

std::optional<std::uint64_t> decode_round(const std::string& context) {
  if (context.size() != 8) return std::nullopt;
  std::uint64_t round = 0;
  for (int i = 0; i < 8; ++i) {
    round |= std::uint64_t{static_cast<unsigned char>(context[i])} << (8 * i);
  }
  return round;
}

// What a peer may claim: half the encoding's bound, so that this node's own terms and indexes
// (an election, an entry, a snapshot after the peer's) always stay within it. 2^61 is out of an
// honest group's reach; a hostile peer's claim beyond it is dropped.
constexpr std::uint64_t kPeerTermIndexMax = kTermIndexMax / 2;

bool within_peer_bounds(const Message& m) {
  for (const std::uint64_t value : {m.term, m.log_term, m.index, m.commit, m.hint_index,
                                    m.hint_term, m.snapshot.index, m.snapshot.term}) {
    if (value > kPeerTermIndexMax) return false;
  }
  return m.entries.empty() || m.entries.back().index <= kPeerTermIndexMax;
}

bool is_vote_request(MessageType type) {
  return type == MessageType::kPreVote || type == MessageType::kVote;
}

bool is_from_leader(MessageType type) {
  return type == MessageType::kAppend || type == MessageType::kHeartbeat ||
         type == MessageType::kInstallSnapshot;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

Raft::Raft(const Config& config, Rng& rng, const Restored& restored) : config_(config), rng_(&rng) {
  ASSERT_NE(config_.id, kNoNode);
  ASSERT_GE(config_.election_ticks, 2);
  ASSERT_GE(config_.heartbeat_ticks, 1);
  ASSERT_LT(config_.heartbeat_ticks, config_.election_ticks);
  ASSERT_GE(config_.inflight_messages_max, 1u);
  ASSERT_GE(config_.append_entries_max, 1u);
  ASSERT_LE(config_.append_entries_max, kMessageEntriesMax);
  // Every message this node builds must pass its own decoder's bounds (well_formed, and the
  // encoded size): one first entry of up to proposal_bytes_max plus append_bytes_max more.
  ASSERT_LE(config_.proposal_bytes_max, kEntryPayloadBytesMax);
  ASSERT_LE(config_.append_bytes_max, kEncodedMessageBytesMax / 2);
  ASSERT_GE(config_.pending_reads_max, 1u);
  std::sort(config_.voters.begin(), config_.voters.end());
  ASSERT(std::adjacent_find(config_.voters.begin(), config_.voters.end()) == config_.voters.end());
  ASSERT(std::binary_search(config_.voters.begin(), config_.voters.end(), config_.id));
  ASSERT_NE(config_.voters.front(), kNoNode);

  snapshot_ = restored.snapshot;
  Term previous_term = snapshot_.term;
  Index expected = snapshot_.index;
  for (const Entry& entry : restored.entries) {
    ASSERT_EQ(entry.index, expected + 1);
    ASSERT_GE(entry.term, previous_term);
    expected = entry.index;
    previous_term = entry.term;
    log_.push_back(entry);
  }
  term_ = restored.hard_state.term;
  vote_ = restored.hard_state.vote;
  ASSERT_GE(term_, previous_term);
  // Storage writes entries before the hard state that commits them, so a recovered commit
  // never points past the recovered log.
  commit_ = std::max(restored.hard_state.commit, snapshot_.index);
  ASSERT_LE(commit_, last_index());
  applied_ = snapshot_.index;
  persisted_ = last_index();
  unstable_from_ = last_index() + 1;
  persisted_hard_state_ = restored.hard_state;
  reset_election_timer();
  check_invariants();
}

std::optional<Term> Raft::term_at(Index index) const {
  if (index == snapshot_.index) return snapshot_.term;
  if (index < snapshot_.index || index > last_index()) return std::nullopt;
  return log_[index - snapshot_.index - 1].term;
}

const Entry& Raft::entry_at(Index index) const {
  ASSERT_GT(index, snapshot_.index);
  ASSERT_LE(index, last_index());
  return log_[index - snapshot_.index - 1];
}

Term Raft::last_term() const {
  return log_.empty() ? snapshot_.term : log_.back().term;
}

bool Raft::matches(Index index, Term term) const {
  const auto t = term_at(index);
  return t.has_value() && *t == term;
}

// §5.4.1: a voter refuses a candidate whose log is less up to date than its own.
bool Raft::is_up_to_date(Index index, Term term) const {
  return term > last_term() || (term == last_term() && index >= last_index());
}

Index Raft::find_conflict_by_term(Index index, Term term) const {
  index = std::min(index, last_index());
  while (index > snapshot_.index) {
    if (entry_at(index).term <= term) return index;
    --index;
  }
  return index;
}

void Raft::reset_election_timer() {
  election_elapsed_ = 0;
  randomized_election_ticks_ =
      config_.election_ticks +
      static_cast<int>(rng_->below(static_cast<std::uint64_t>(config_.election_ticks)));
}

void Raft::reset(Term term) {
  if (term != term_) {
    ASSERT_GT(term, term_);
    term_ = term;
    vote_ = kNoNode;
    vote_unpersisted_ = false;
  }
  leader_ = kNoNode;
  heartbeat_elapsed_ = 0;
  reset_election_timer();
  votes_granted_.clear();
  votes_refused_.clear();
  progress_.clear();
  pending_reads_.clear();
  refuse_forwarded_reads();
  read_round_acked_.clear();
  read_round_ = 0;
  read_round_pending_ = false;
  broadcast_pending_ = false;
}

void Raft::become_follower(Term term, NodeId leader) {
  if (role_ == Role::kLeader) refuse_pending_reads();
  reset(term);
  role_ = Role::kFollower;
  if (leader != kNoNode) note_leader(leader);
}

void Raft::note_leader(NodeId leader) {
  leader_ = leader;
  const auto [it, inserted] = leader_of_term_.emplace(term_, leader);
  ASSERT_MSG(it->second == leader, "two leaders in one term");
  (void)inserted;
  // Only recent terms matter; the map stays small.
  while (leader_of_term_.size() > 64) leader_of_term_.erase(leader_of_term_.begin());
}

void Raft::become_pre_candidate() {
  ASSERT_NE(role_, Role::kLeader);
  // No term change and no vote: a pre-vote round that fails leaves nobody disturbed.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  refuse_forwarded_reads();
  votes_granted_ = {config_.id};
  votes_refused_.clear();
  reset_election_timer();
}

void Raft::become_candidate() {
  ASSERT_NE(role_, Role::kLeader);
  reset(term_ + 1);
  role_ = Role::kCandidate;
  vote_ = config_.id;
  votes_granted_ = {config_.id};
}

void Raft::become_leader() {
  ASSERT_EQ(role_, Role::kCandidate);
  reset(term_);
  role_ = Role::kLeader;
  note_leader(config_.id);
  // Entries of earlier terms above the commit index are not counted (as etcd): the bound is
  // on what this leader adds.
  uncommitted_bytes_ = 0;
  for (NodeId peer : config_.voters) {
    if (peer == config_.id) continue;
    Progress& progress = progress_[peer];
    progress.next = last_index() + 1;
    progress.recent_active = true;
  }
  // Thesis §6.4: the no-op commits every entry of earlier terms (Figure 8 forbids counting
  // them directly) and lets read-index know the commit index is current.
  if (!PLANTED(PlantedBug::kRaftNoNoop)) {
    log_.push_back(Entry{term_, last_index() + 1, EntryKind::kNoop, {}});
  }
  broadcast_append();
  maybe_commit();
}

void Raft::start_election(bool pre_vote) {
  if (pre_vote) {
    become_pre_candidate();
  } else {
    become_candidate();
  }
  const Term term = pre_vote ? term_ + 1 : term_;
  if (votes_granted_.size() >= quorum()) {
    // A single voter wins at once.
    if (pre_vote) {
      start_election(false);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId peer : config_.voters) {
    if (peer == config_.id) continue;
    Message m;
    m.type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
    m.to = peer;
    m.term = term;
    m.index = last_index();
    m.log_term = last_term();
    send(std::move(m));
  }
}

void Raft::campaign() {
  ASSERT(!ready_outstanding_);
  if (role_ == Role::kLeader) return;
  start_election(config_.pre_vote);
  check_invariants();
}

void Raft::tick() {
  ASSERT(!ready_outstanding_);
  ++election_elapsed_;
  if (role_ == Role::kLeader) {
    for (auto& [peer, progress] : progress_) {
      if (progress.snapshot_wait_ticks > 0) --progress.snapshot_wait_ticks;
    }
    if (election_elapsed_ >= config_.election_ticks) {
      election_elapsed_ = 0;
      if (config_.check_quorum) {
        // Thesis §6.2: a leader that cannot reach a quorum for an election timeout steps
        // down, so it stops answering reads and clients look elsewhere.
        std::size_t active = 1;
        for (auto& [peer, progress] : progress_) {
          if (progress.recent_active) ++active;
          progress.recent_active = false;
        }
        if (active < quorum()) {
          become_follower(term_, kNoNode);
          check_invariants();
          return;
        }
      }
    }
    if (++heartbeat_elapsed_ >= config_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      broadcast_heartbeat();
    }
  } else if (election_elapsed_ >= randomized_election_ticks_) {
    start_election(config_.pre_vote);
  }
  check_invariants();
}

void Raft::step(const Message& m) {
  ASSERT(!ready_outstanding_);
  if (!well_formed(m) || !within_peer_bounds(m) || m.to != config_.id ||
      !std::binary_search(config_.voters.begin(), config_.voters.end(), m.from)) {
    ++dropped_messages_;
    return;
  }
  if (m.term > term_) {
    // A node that heard from a live leader within the election timeout ignores a candidate:
    // with check-quorum that leader is still in charge (thesis §4.2.3's disruption rule).
    const bool in_lease =
        config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
    if (is_vote_request(m.type) && in_lease) return;
    if (m.type == MessageType::kPreVote) {
      // Answered at our own term below; a pre-vote never moves anyone's term.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // A granted pre-vote carries the term we would campaign at.
    } else {
      become_follower(m.term, is_from_leader(m.type) ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if (PLANTED(PlantedBug::kRaftStaleTermResetsTimer)) election_elapsed_ = 0;
    if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat) {
      // A deposed leader learns the new term from this and steps down (with pre-vote and
      // check-quorum it might otherwise never hear a higher term).
      Message reply;
      reply.type = MessageType::kAppendResponse;
      reply.to = m.from;
      reply.term = term_;
      send(std::move(reply));
    } else if (m.type == MessageType::kPreVote) {
      Message reply;
      reply.type = MessageType::kPreVoteResponse;
      reply.to = m.from;
      reply.term = term_;
      reply.reject = true;
      send(std::move(reply));
    }
    check_invariants();
    return;
  }

  if (is_from_leader(m.type)) {
    // Election safety (§5.2): one leader per term. A second one claiming this term (this node
    // included, if it led or leads it) is broken or hostile: refuse it rather than follow it.
    const auto known = leader_of_term_.find(term_);
    if (known != leader_of_term_.end() && known->second != m.from) {
      ++dropped_messages_;
      check_invariants();
      return;
    }
  }
  if (is_vote_request(m.type)) {
    handle_vote_request(m);
  } else {
    switch (role_) {
      case Role::kLeader:
        step_leader(m);
        break;
      case Role::kPreCandidate:
      case Role::kCandidate:
        step_candidate(m);
        break;
      case Role::kFollower:
        step_follower(m);
        break;
    }
  }
  check_invariants();
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  Message reply;
  reply.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  reply.to = m.from;
  if (can_vote && is_up_to_date(m.index, m.log_term)) {
    reply.term = m.term;
    if (!pre) {
      ASSERT_EQ(m.term, term_);
      reset_election_timer();
      vote_ = m.from;
      if (PLANTED(PlantedBug::kRaftVoteNotPersisted)) vote_unpersisted_ = true;
    }
  } else {
    reply.term = term_;
    reply.reject = true;
  }
  send(std::move(reply));
}

void Raft::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(term_, m.from);
      handle_append(m);
      return;
    case MessageType::kHeartbeat:
      become_follower(term_, m.from);
      handle_heartbeat(m);
      return;
    case MessageType::kInstallSnapshot:
      become_follower(term_, m.from);
      handle_snapshot(m);
      return;
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse: {
      const bool mine = (m.type == MessageType::kPreVoteResponse) == (role_ == Role::kPreCandidate);
      if (!mine) return;
      if (m.reject) {
        votes_refused_.insert(m.from);
      } else {
        votes_granted_.insert(m.from);
      }
      if (votes_granted_.size() >= quorum()) {
        if (role_ == Role::kPreCandidate) {
          start_election(false);
        } else {
          become_leader();
        }
      } else if (votes_refused_.size() >= quorum()) {
        become_follower(term_, kNoNode);
      }
      return;
    }
    default:
      return;  // no leader to serve reads; stale responses
  }
}

void Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      note_leader(m.from);
      handle_append(m);
      return;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      note_leader(m.from);
      handle_heartbeat(m);
      return;
    case MessageType::kInstallSnapshot:
      election_elapsed_ = 0;
      note_leader(m.from);
      handle_snapshot(m);
      return;
    case MessageType::kReadIndexResponse: {
      // Only the leader asked, and only for a read still awaited; anything else (a duplicate,
      // a stale or forged reply) would queue a ReadState nobody waits for.
      const auto awaited = forwarded_reads_.find(m.context);
      if (m.from != leader_ || awaited == forwarded_reads_.end() ||
          (!m.reject && m.index > kTermIndexMax)) {
        ++dropped_messages_;
        return;
      }
      forwarded_reads_.erase(awaited);
      read_states_.push_back(ReadState{m.reject ? 0 : m.index, m.context, m.reject});
      return;
    }
    default:
      return;
  }
}

void Raft::step_leader(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kInstallSnapshot:
      // Election safety (§5.2): nobody else leads this term. A peer claiming to is broken or
      // hostile; refuse it rather than follow it.
      ++dropped_messages_;
      return;
    case MessageType::kAppendResponse:
      handle_append_response(m);
      return;
    case MessageType::kHeartbeatResponse:
      handle_heartbeat_response(m);
      return;
    case MessageType::kReadIndex:
      handle_read_index(m);
      return;
    default:
      return;
  }
}

void Raft::handle_append(const Message& m) {
  ASSERT_EQ(role_, Role::kFollower);
  Message reply;
  reply.type = MessageType::kAppendResponse;
  reply.to = m.from;
  reply.term = term_;
  if (m.index < commit_) {
    // Everything through the commit index is settled; tell the leader where we are.
    reply.index = commit_;
    send(std::move(reply));
    return;
  }
  const bool prev_matches = matches(m.index, m.log_term);
  const bool accept =
      prev_matches || (PLANTED(PlantedBug::kRaftAcceptMismatchedAppend) && m.index <= last_index());
  if (!accept) {
    // Fast back-off: the leader skips every index of our log whose term is above its prev
    // term, one round trip per term instead of per entry.
    reply.reject = true;
    reply.index = m.index;
    reply.hint_index = find_conflict_by_term(std::min(m.index, last_index()), m.log_term);
    reply.hint_term = term_at(reply.hint_index).value_or(0);
    send(std::move(reply));
    return;
  }
  std::size_t first_new = m.entries.size();
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    const Entry& entry = m.entries[i];
    if (entry.index > last_index()) {
      first_new = i;
      break;
    }
    if (!matches(entry.index, entry.term)) {
      // §5.3: a conflicting suffix is deleted; it can never hold a committed entry. A leader
      // that contradicts a committed one is broken or hostile: refuse the whole append.
      if (entry.index <= commit_) {
        ++dropped_messages_;
        return;
      }
      truncate_after(entry.index - 1);
      first_new = i;
      break;
    }
  }
  for (std::size_t i = first_new; i < m.entries.size(); ++i) {
    ASSERT_EQ(m.entries[i].index, last_index() + 1);
    // Terms never decrease along a log (the planted bug can break this; its checker says so).
    ASSERT(PLANTED(PlantedBug::kRaftAcceptMismatchedAppend) || m.entries[i].term >= last_term());
    log_.push_back(m.entries[i]);
  }
  const Index last_new = m.index + m.entries.size();
  // Log matching (§5.3): after the append, our log holds the leader's prev entry and every
  // entry it sent.
  ASSERT(PLANTED(PlantedBug::kRaftAcceptMismatchedAppend) || matches(m.index, m.log_term));
  ASSERT(m.entries.empty() || matches(last_new, m.entries.back().term));
  commit_to(std::min(m.commit, last_new));
  reply.index = last_new;
  send(std::move(reply));
}

void Raft::handle_heartbeat(const Message& m) {
  ASSERT_EQ(role_, Role::kFollower);
  // The leader never sends a commit index beyond what it knows we hold; the clamp keeps a
  // hostile one from pointing past our log.
  commit_to(std::min(m.commit, last_index()));
  Message reply;
  reply.type = MessageType::kHeartbeatResponse;
  reply.to = m.from;
  reply.term = term_;
  reply.context = m.context;
  send(std::move(reply));
}

void Raft::handle_snapshot(const Message& m) {
  ASSERT_EQ(role_, Role::kFollower);
  const Snapshot& incoming = m.snapshot;
  Message reply;
  reply.type = MessageType::kAppendResponse;
  reply.to = m.from;
  reply.term = term_;
  if (incoming.index <= commit_) {
    reply.index = commit_;
  } else if (matches(incoming.index, incoming.term)) {
    // Our log already holds the snapshot's last entry: keep the log and move commit forward.
    commit_to(incoming.index);
    reply.index = incoming.index;
  } else {
    // The snapshot replaces the whole log (thesis §5.1); it is persisted and installed by
    // the next Ready before the reply leaves.
    log_.clear();
    snapshot_ = incoming;
    commit_ = incoming.index;
    persisted_ = std::min(persisted_, incoming.index);
    unstable_from_ = incoming.index + 1;
    pending_install_ = incoming;
    // A local compaction not yet persisted is older than this snapshot; it must not
    // overwrite it.
    pending_compaction_.reset();
    reply.index = incoming.index;
  }
  send(std::move(reply));
}

void Raft::handle_append_response(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& progress = it->second;
  progress.recent_active = true;
  if (m.reject) {
    if (progress.state == Progress::State::kReplicate && m.index <= progress.match) return;
    if (progress.state == Progress::State::kProbe && m.index + 1 != progress.next) return;
    if (progress.state == Progress::State::kSnapshot) return;
    Index probe = m.hint_index;
    if (m.hint_term > 0) probe = find_conflict_by_term(m.hint_index, m.hint_term);
    const Index next =
        std::min(std::max(std::min(m.index, probe + 1), progress.match + 1), last_index() + 1);
    ASSERT_GE(next, 1u);
    progress.next = next;
    progress.state = Progress::State::kProbe;
    progress.probe_sent = false;
    progress.inflight.clear();
    progress.inflight_bytes = 0;
    send_append(m.from, true);
    return;
  }
  if (m.index > last_index()) {
    // Claims entries we never sent: broken or hostile.
    ++dropped_messages_;
    return;
  }
  if (m.index <= progress.match) {
    if (progress.state == Progress::State::kProbe) progress.probe_sent = false;
    return;
  }
  progress.match = m.index;
  progress.next = std::max(progress.next, m.index + 1);
  switch (progress.state) {
    case Progress::State::kProbe:
    case Progress::State::kSnapshot:
      progress.state = Progress::State::kReplicate;
      progress.next = progress.match + 1;
      progress.inflight.clear();
      progress.inflight_bytes = 0;
      break;
    case Progress::State::kReplicate:
      while (!progress.inflight.empty() && progress.inflight.front().first <= m.index) {
        progress.inflight_bytes -= progress.inflight.front().second;
        progress.inflight.pop_front();
      }
      break;
  }
  progress.probe_sent = false;
  maybe_commit();
  for (std::size_t i = 0; i < config_.inflight_messages_max; ++i) {
    if (!send_append(m.from, false)) break;
  }
}

void Raft::handle_heartbeat_response(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& progress = it->second;
  progress.recent_active = true;
  progress.probe_sent = false;
  if (progress.state == Progress::State::kSnapshot && progress.snapshot_wait_ticks == 0) {
    // The snapshot was lost or is still being installed: probe again, which resends it if
    // the follower still lags behind the log's start.
    progress.state = Progress::State::kProbe;
    progress.next = progress.match + 1;
  }
  if (progress.state == Progress::State::kReplicate && !progress.inflight.empty() &&
      (progress.inflight.size() >= config_.inflight_messages_max ||
       progress.inflight_bytes >= config_.inflight_bytes_max)) {
    // Appends may have been lost with the window full (by count or by bytes, as send_append
    // judges it): free one slot so an append goes out; a gap it reveals is rejected and sends
    // the follower back to probing.
    progress.inflight_bytes -= progress.inflight.front().second;
    progress.inflight.pop_front();
  }
  if (progress.match < last_index()) send_append(m.from, true);
  // A round never sent is a lie (it would confirm reads no quorum has vouched for).
  if (const auto round = decode_round(m.context); round && *round > 0 && *round <= read_round_) {
    auto& acked = read_round_acked_[m.from];
    acked = std::max(acked, *round);
    confirm_reads();
  }
}

void Raft::handle_read_index(const Message& m) {
  if (PLANTED(PlantedBug::kRaftReadWithoutReadIndex)) {
    serve_read(m.from, commit_, m.context);
    return;
  }
  if (!committed_entry_in_current_term() || pending_reads_.size() >= config_.pending_reads_max) {
    Message reply;
    reply.type = MessageType::kReadIndexResponse;
    reply.to = m.from;
    reply.term = term_;
    reply.context = m.context;
    reply.reject = true;
    send(std::move(reply));
    return;
  }
  queue_read(m.from, m.context);
}

ReadIndexResult Raft::read_index(std::string context) {
  ASSERT(!ready_outstanding_);
  ASSERT_LE(context.size(), kReadContextBytesMax);
  if (role_ == Role::kLeader) {
    if (PLANTED(PlantedBug::kRaftReadWithoutReadIndex)) {
      // The planted bug: the leader trusts that it still leads.
      read_states_.push_back(ReadState{commit_, std::move(context), false});
      return ReadIndexResult::kQueued;
    }
    if (!committed_entry_in_current_term()) return ReadIndexResult::kNotReady;
    if (pending_reads_.size() >= config_.pending_reads_max) return ReadIndexResult::kQueueFull;
    queue_read(config_.id, std::move(context));
    return ReadIndexResult::kQueued;
  }
  if (leader_ == kNoNode) return ReadIndexResult::kNoLeader;
  if (forwarded_reads_.size() >= config_.pending_reads_max) return ReadIndexResult::kQueueFull;
  forwarded_reads_.insert(context);
  Message m;
  m.type = MessageType::kReadIndex;
  m.to = leader_;
  m.term = term_;
  m.context = std::move(context);
  send(std::move(m));
  return ReadIndexResult::kQueued;
}

void Raft::queue_read(NodeId requester, std::string context) {
  ASSERT_EQ(role_, Role::kLeader);
  ASSERT(committed_entry_in_current_term());
  if (config_.voters.size() == 1) {
    serve_read(requester, commit_, std::move(context));
    return;
  }
  // Reads that arrive before the next Ready share one heartbeat round (batched read-index).
  pending_reads_.push_back(PendingRead{read_round_ + 1, commit_, requester, std::move(context)});
  read_round_pending_ = true;
}

void Raft::confirm_reads() {
  // The highest round a quorum (this leader included) has echoed: every read queued at or
  // before it was issued while this node still led.
  std::vector<std::uint64_t> acked{read_round_};
  for (NodeId peer : config_.voters) {
    if (peer == config_.id) continue;
    const auto it = read_round_acked_.find(peer);
    acked.push_back(it == read_round_acked_.end() ? 0 : it->second);
  }
  std::sort(acked.begin(), acked.end(), std::greater<>());
  const std::uint64_t confirmed = acked[quorum() - 1];
  while (!pending_reads_.empty() && pending_reads_.front().round <= confirmed) {
    PendingRead read = std::move(pending_reads_.front());
    pending_reads_.pop_front();
    serve_read(read.requester, read.index, std::move(read.context));
  }
}

void Raft::serve_read(NodeId requester, Index index, std::string context) {
  if (requester == config_.id) {
    read_states_.push_back(ReadState{index, std::move(context), false});
    return;
  }
  Message reply;
  reply.type = MessageType::kReadIndexResponse;
  reply.to = requester;
  reply.term = term_;
  reply.index = index;
  reply.context = std::move(context);
  send(std::move(reply));
}

void Raft::refuse_pending_reads() {
  for (PendingRead& read : pending_reads_) {
    if (read.requester == config_.id) {
      read_states_.push_back(ReadState{0, std::move(read.context), true});
    } else {
      Message reply;
      reply.type = MessageType::kReadIndexResponse;
      reply.to = read.requester;
      reply.term = term_;
      reply.reject = true;
      reply.context = std::move(read.context);
      send(std::move(reply));
    }
  }
  pending_reads_.clear();
}

void Raft::refuse_forwarded_reads() {
  for (const std::string& context : forwarded_reads_) {
    read_states_.push_back(ReadState{0, context, true});
  }
  forwarded_reads_.clear();
}

bool Raft::committed_entry_in_current_term() const {
  const auto term = term_at(commit_);
  return term.has_value() && *term == term_;
}

ProposeResult Raft::propose(std::string payload) {
  ASSERT(!ready_outstanding_);
  ProposeResult result;
  if (role_ != Role::kLeader) return result;
  if (payload.size() > config_.proposal_bytes_max) {
    result.error = ProposeError::kTooLarge;
    return result;
  }
  if (uncommitted_bytes_ > 0 &&
      uncommitted_bytes_ + payload.size() > config_.uncommitted_bytes_max) {
    result.error = ProposeError::kBusy;
    return result;
  }
  uncommitted_bytes_ += payload.size();
  log_.push_back(Entry{term_, last_index() + 1, EntryKind::kNormal, std::move(payload)});
  // Proposals made before the next Ready go out together (batched append).
  broadcast_pending_ = true;
  result.ok = true;
  result.index = last_index();
  check_invariants();
  return result;
}

bool Raft::send_append(NodeId to, bool send_if_empty) {
  Progress& progress = progress_.at(to);
  if (progress.state == Progress::State::kSnapshot) return false;
  if (progress.state == Progress::State::kProbe && progress.probe_sent) return false;
  if (progress.state == Progress::State::kReplicate &&
      (progress.inflight.size() >= config_.inflight_messages_max ||
       progress.inflight_bytes >= config_.inflight_bytes_max)) {
    return false;
  }
  ASSERT_GE(progress.next, 1u);
  ASSERT_LE(progress.next, last_index() + 1);
  const Index prev = progress.next - 1;
  const auto prev_term = term_at(prev);
  if (!prev_term.has_value()) {
    send_snapshot(to, progress);
    return false;
  }
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.term = term_;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = commit_;
  std::size_t bytes = 0;
  for (Index i = progress.next; i <= last_index() && m.entries.size() < config_.append_entries_max;
       ++i) {
    const Entry& entry = entry_at(i);
    if (!m.entries.empty() && bytes + entry.payload.size() > config_.append_bytes_max) break;
    bytes += entry.payload.size();
    m.entries.push_back(entry);
  }
  if (m.entries.empty() && !send_if_empty) return false;
  if (progress.state == Progress::State::kReplicate && !m.entries.empty()) {
    // Pipelining: assume the append lands and send the next one right behind it.
    progress.next = m.entries.back().index + 1;
    progress.inflight.emplace_back(m.entries.back().index, bytes);
    progress.inflight_bytes += bytes;
  } else if (progress.state == Progress::State::kProbe) {
    progress.probe_sent = true;
  }
  send(std::move(m));
  return true;
}

void Raft::send_snapshot(NodeId to, Progress& progress) {
  ASSERT(!snapshot_.empty());
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.to = to;
  m.term = term_;
  m.snapshot = snapshot_;
  progress.state = Progress::State::kSnapshot;
  progress.snapshot_wait_ticks = config_.election_ticks;
  progress.inflight.clear();
  progress.inflight_bytes = 0;
  send(std::move(m));
}

void Raft::broadcast_append() {
  broadcast_pending_ = false;
  for (auto& [peer, progress] : progress_) send_append(peer, true);
}

void Raft::broadcast_heartbeat() {
  const std::string context = read_round_ > 0 ? encode_round(read_round_) : std::string();
  for (auto& [peer, progress] : progress_) {
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = peer;
    m.term = term_;
    // Never more than the follower is known to hold, so it can commit without checking.
    m.commit = std::min(progress.match, commit_);
    m.context = context;
    send(std::move(m));
  }
}

bool Raft::maybe_commit() {
  ASSERT_EQ(role_, Role::kLeader);
  std::vector<Index> matched{persisted_};
  for (const auto& [peer, progress] : progress_) matched.push_back(progress.match);
  std::sort(matched.begin(), matched.end(), std::greater<>());
  const Index candidate = matched[quorum() - 1];
  if (candidate <= commit_) return false;
  // §5.4.2 (Figure 8): an entry of an earlier term is never committed by counting replicas;
  // it commits when an entry of the current term above it does.
  if (term_at(candidate) != term_ && !PLANTED(PlantedBug::kRaftCommitPrevTermByCount)) {
    return false;
  }
  commit_to(candidate);
  return true;
}

void Raft::commit_to(Index index) {
  if (index <= commit_) return;
  ASSERT_LE(index, last_index());
  if (role_ == Role::kLeader) {
    for (Index i = std::max(commit_, snapshot_.index) + 1; i <= index; ++i) {
      const Entry& entry = entry_at(i);
      if (entry.term != term_) continue;  // not counted when proposed (become_leader)
      uncommitted_bytes_ -= std::min<std::uint64_t>(uncommitted_bytes_, entry.payload.size());
    }
  }
  commit_ = index;
}

void Raft::truncate_after(Index index) {
  ASSERT_GE(index, commit_);
  ASSERT_GE(index, snapshot_.index);
  while (last_index() > index) log_.pop_back();
  unstable_from_ = std::min(unstable_from_, index + 1);
  persisted_ = std::min(persisted_, index);
}

bool Raft::compact(Index index, std::string data) {
  ASSERT(!ready_outstanding_);
  if (data.size() > kSnapshotBytesMax) return false;
  if (index <= snapshot_.index) return true;
  ASSERT_LE(index, applied_);
  ASSERT_LE(index, persisted_);
  const Term term = *term_at(index);
  while (!log_.empty() && log_.front().index <= index) log_.pop_front();
  snapshot_ = Snapshot{index, term, std::move(data)};
  pending_compaction_ = snapshot_;
  check_invariants();
  return true;
}

void Raft::send(Message m) {
  m.from = config_.id;
  ASSERT(well_formed(m));
  outbox_.push_back(std::move(m));
}

HardState Raft::hard_state_to_persist() const {
  HardState state{term_, vote_, commit_};
  // The planted bug: the vote goes out but the disk never learns of it, so a restart may vote
  // again in the same term.
  if (vote_unpersisted_) state.vote = kNoNode;
  return state;
}

bool Raft::read_state_ready(const ReadState& state) const {
  return state.refused || state.index <= commit_;
}

bool Raft::has_ready() const {
  if (ready_outstanding_) return false;
  if (!outbox_.empty() || broadcast_pending_ || read_round_pending_) return true;
  if (hard_state_to_persist() != persisted_hard_state_) return true;
  if (unstable_from_ <= last_index() || pending_install_ || pending_compaction_) return true;
  if (applied_ < commit_) return true;
  return std::any_of(read_states_.begin(), read_states_.end(),
                     [this](const ReadState& s) { return read_state_ready(s); });
}

Ready Raft::ready() {
  ASSERT(!ready_outstanding_);
  if (role_ == Role::kLeader) {
    if (broadcast_pending_) broadcast_append();
    if (read_round_pending_) {
      read_round_pending_ = false;
      ++read_round_;
      broadcast_heartbeat();
    }
  }
  broadcast_pending_ = false;
  read_round_pending_ = false;
  Ready rd;
  const HardState state = hard_state_to_persist();
  if (state != persisted_hard_state_) rd.hard_state = state;
  ready_hard_state_ = state;
  if (pending_install_) {
    ASSERT_GT(pending_install_->index, applied_);
    applied_ = pending_install_->index;
    rd.snapshot = std::move(pending_install_);
    pending_install_.reset();
  }
  ASSERT_GT(unstable_from_, snapshot_.index);
  for (Index i = unstable_from_; i <= last_index(); ++i) rd.entries.push_back(entry_at(i));
  unstable_from_ = last_index() + 1;
  ready_last_entry_ = last_index();
  if (pending_compaction_) {
    rd.compaction = std::move(pending_compaction_);
    pending_compaction_.reset();
  }
  for (Index i = applied_ + 1; i <= commit_; ++i) rd.committed_entries.push_back(entry_at(i));
  applied_ = std::max(applied_, commit_);
  std::vector<ReadState> waiting;
  for (ReadState& state_to_serve : read_states_) {
    if (read_state_ready(state_to_serve)) {
      rd.read_states.push_back(std::move(state_to_serve));
    } else {
      waiting.push_back(std::move(state_to_serve));
    }
  }
  read_states_ = std::move(waiting);
  rd.messages = std::move(outbox_);
  outbox_.clear();
  ready_outstanding_ = true;
  return rd;
}

void Raft::advance() {
  ASSERT(ready_outstanding_);
  ready_outstanding_ = false;
  persisted_ = std::max(persisted_, ready_last_entry_);
  ASSERT_LE(persisted_, last_index());
  persisted_hard_state_ = ready_hard_state_;
  // The leader counts itself only for what its own disk holds.
  if (role_ == Role::kLeader) maybe_commit();
  check_invariants();
}

void Raft::check_invariants() const {
  ASSERT_LE(commit_, last_index());
  ASSERT_GE(commit_, snapshot_.index);
  ASSERT_LE(applied_, commit_);
  ASSERT_LE(persisted_, last_index());
  ASSERT(log_.empty() || log_.front().index == snapshot_.index + 1);
  ASSERT(log_.empty() || log_.front().term >= snapshot_.term);
  ASSERT_LE(last_term(), term_);
  ASSERT_EQ(role_ == Role::kLeader, leader_ == config_.id);
  ASSERT(role_ != Role::kLeader || vote_ == config_.id);
  ASSERT(role_ != Role::kCandidate || vote_ == config_.id);
  ASSERT(role_ == Role::kLeader || pending_reads_.empty());
  ASSERT_LE(pending_reads_.size(), config_.pending_reads_max);
  // Commit never moves back: the hard state last handed to storage bounds it from below.
  ASSERT_GE(commit_, persisted_hard_state_.commit);
}

}  // namespace eddy::raft
