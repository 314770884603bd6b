#include "maelstrom/crdt_service.h"

#include "engine/base/assert.h"
#include "engine/base/fault.h"

namespace eddy::maelstrom {

namespace {

const char* workload_name(CrdtService::Workload workload) {
  switch (workload) {
    case CrdtService::Workload::kSet:
      return "set";
    case CrdtService::Workload::kBroadcast:
      return "broadcast";
    case CrdtService::Workload::kCounter:
      return "counter";
    case CrdtService::Workload::kUnknown:
      break;
  }
  return "unknown";
}

CrdtService::Workload workload_from_name(std::string_view name) {
  if (name == "set") return CrdtService::Workload::kSet;
  if (name == "broadcast") return CrdtService::Workload::kBroadcast;
  if (name == "counter") return CrdtService::Workload::kCounter;
  return CrdtService::Workload::kUnknown;
}

bool is_set_like(CrdtService::Workload workload) {
  return workload == CrdtService::Workload::kSet || workload == CrdtService::Workload::kBroadcast;
}

}  // namespace

CrdtService::CrdtService(Node* node, CrdtOptions options) : node_(node), options_(options) {
  recovered_ = !options_.persist;
  workload_ = workload_of_maelstrom_name(options_.workload);
}

CrdtService::Workload CrdtService::workload_of_maelstrom_name(std::string_view name) {
  if (name == "g-set") return Workload::kSet;
  if (name == "broadcast") return Workload::kBroadcast;
  if (name == "g-counter" || name == "pn-counter") return Workload::kCounter;
  return Workload::kUnknown;
}

CrdtService::~CrdtService() {
  ASSERT_MSG(persister_done_ == nullptr, "stop() was not called");
}

void CrdtService::start() {
  if (!options_.persist) return;
  fiber::Scheduler& scheduler = node_->runtime().scheduler();
  persister_done_ = new fiber::WaitGroup(&scheduler);
  persister_done_->add(1);
  scheduler.spawn("crdt-persister", [this] {
    persist_loop();
    persister_done_->done();
  });
}

void CrdtService::stop() {
  if (persister_done_ == nullptr) return;
  stopping_ = true;
  if (persister_ != nullptr) node_->runtime().scheduler().wake(persister_);
  persister_done_->wait();
  delete persister_done_;
  persister_done_ = nullptr;
}

bool CrdtService::learn_workload(Workload seen) {
  if (seen == Workload::kUnknown) return false;
  if (workload_ == Workload::kUnknown) {
    workload_ = seen;
    log_line(std::string("serving the ") + workload_name(seen) + " workload");
    return true;
  }
  // g-set and broadcast share the set machinery; anything else is a second workload, which
  // one node does not serve.
  return workload_ == seen || (is_set_like(workload_) && is_set_like(seen));
}

bool CrdtService::handle(const Message& message) {
  const std::string_view type = message.type();
  if (!Node::is_client(message.src)) note_heard_from(message.src);
  if (type == "add") {
    const Workload kind = message.body.contains("element") ? Workload::kSet
                          : message.body.contains("delta") ? Workload::kCounter
                                                           : Workload::kUnknown;
    if (kind == Workload::kUnknown) {
      node_->reply_error(message, ErrorCode::kMalformedRequest, "add needs element or delta");
    } else {
      handle_add(message, kind);
    }
    return true;
  }
  if (type == "broadcast") {
    if (!message.body.contains("message")) {
      node_->reply_error(message, ErrorCode::kMalformedRequest, "broadcast needs a message");
    } else {
      handle_add(message, Workload::kBroadcast);
    }
    return true;
  }
  if (type == "read") {
    handle_read(message);
    return true;
  }
  if (type == "topology") {
    // Gossip reaches every node directly or through anti-entropy, so the suggested topology
    // is not needed; it does tell us the workload.
    learn_workload(Workload::kBroadcast);
    node_->reply(message, Json{{"type", "topology_ok"}});
    return true;
  }
  if (type == "crdt_push") {
    handle_push(message);
    return true;
  }
  if (type == "crdt_digest" || type == "crdt_counter") {
    handle_digest(message);
    return true;
  }
  return false;
}

void CrdtService::handle_add(const Message& message, Workload kind) {
  if (!learn_workload(kind)) {
    node_->reply_error(
        message, ErrorCode::kNotSupported,
        std::string("this node serves the ") + workload_name(workload_) + " workload");
    return;
  }
  PendingUpdate update;
  update.request = message;
  if (kind == Workload::kCounter) {
    const Json& delta = message.body["delta"];
    if (!delta.is_number_integer()) {
      node_->reply_error(message, ErrorCode::kMalformedRequest, "delta must be an integer");
      return;
    }
    update.delta = delta.get<std::int64_t>();
    if (PLANTED(PlantedBug::kCounterDropsIncrements) && ++adds_seen_ % 5 == 0) {
      node_->reply(message, Json{{"type", "add_ok"}});  // acknowledged, never applied
      return;
    }
  } else {
    update.element = message.body[kind == Workload::kBroadcast ? "message" : "element"].dump();
    if (update.element.size() > options_.max_element_bytes) {
      // Bounded so its record always fits the log; refused before anything is written.
      node_->reply_error(message, ErrorCode::kMalformedRequest, "element too large");
      return;
    }
  }
  if (!options_.persist) {
    apply_and_ack(update, /*logged_seq=*/0);
    return;
  }
  if (pending_.size() >= options_.max_pending_updates ||
      (recovered_ && (log_ == nullptr || log_->broken() || storage_failed_))) {
    // Nothing was written for this request, so refusing it is definite.
    node_->reply_error(message, ErrorCode::kTemporarilyUnavailable, "storage is backed up");
    return;
  }
  pending_.push_back(std::move(update));
  if (persister_ != nullptr) node_->runtime().scheduler().wake(persister_);
}

void CrdtService::apply_and_ack(PendingUpdate& update, std::uint64_t logged_seq) {
  const std::string_view type = update.request.type();
  if (workload_ == Workload::kCounter) {
    counter_.add(node_->id(), update.delta);
    counter_dirty_ = true;
  } else if (logged_seq != 0) {
    // The log fixed this element's sequence number: apply exactly that dot.
    const crdt::GrowOnlySet::Delta delta{node_->id(), logged_seq, update.element};
    ASSERT_EQ(set_.merge(std::span(&delta, 1)), 1u);
  } else {
    // No log, or the element was already present (then this changes nothing).
    set_.add_local(node_->id(), update.element);
  }
  node_->reply(update.request, Json{{"type", type == "broadcast" ? "broadcast_ok" : "add_ok"}});
}

void CrdtService::handle_read(const Message& message) {
  if (workload_ == Workload::kUnknown || !recovered_) {
    // Nothing happens on a read, so this refusal is definite.
    node_->reply_error(
        message, ErrorCode::kTemporarilyUnavailable,
        workload_ == Workload::kUnknown ? "workload not known yet" : "recovering from the log");
    return;
  }
  if (workload_ == Workload::kCounter) {
    node_->reply(message, Json{{"type", "read_ok"}, {"value", counter_.value()}});
    return;
  }
  Json elements = Json::array();
  for (const std::string& element : set_.elements()) {
    if (!forgotten_.empty() && forgotten_.contains(element)) continue;
    elements.push_back(Json::parse(element, nullptr, false));
  }
  const char* field = workload_ == Workload::kBroadcast ? "messages" : "value";
  node_->reply(message, Json{{"type", "read_ok"}, {field, std::move(elements)}});
}

void CrdtService::handle_push(const Message& message) {
  if (!learn_workload(workload_from_name(message.body.value("workload", ""))) || !recovered_ ||
      !is_set_like(workload_)) {
    return;  // not ours, or not ready: the sender's anti-entropy will offer it again
  }
  const auto entries = message.body.find("entries");
  if (entries == message.body.end() || !entries->is_array()) return;
  std::vector<crdt::GrowOnlySet::Delta> deltas;
  deltas.reserve(entries->size());
  for (const Json& entry : *entries) {
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_string() ||
        !entry[1].is_number_unsigned() || !entry[2].is_string()) {
      log_line("malformed crdt_push entry from " + message.src);
      return;
    }
    deltas.push_back(
        {entry[0].get<std::string>(), entry[1].get<std::uint64_t>(), entry[2].get<std::string>()});
  }
  set_.merge(deltas);
}

void CrdtService::handle_digest(const Message& message) {
  const Workload kind = workload_from_name(message.body.value("workload", ""));
  if (!learn_workload(kind) || !recovered_) return;
  const bool is_reply = message.body.value("reply", false);
  if (workload_ == Workload::kCounter) {
    const auto counts = message.body.find("counts");
    if (counts == message.body.end() || !counts->is_object()) return;
    crdt::PnCounter theirs;
    for (const auto& [replica, pair] : counts->items()) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() ||
          !pair[1].is_number_unsigned()) {
        return;
      }
      crdt::PnCounter::Entry entry{pair[0].get<std::uint64_t>(), pair[1].get<std::uint64_t>()};
      theirs.merge_entry(replica, entry);
      counter_.merge_entry(replica, entry);
    }
    // Now ours >= theirs everywhere; if we know more, tell them (once: replies get no reply).
    if (!is_reply && !(counter_ == theirs)) {
      node_->send(message.src, counter_body("crdt_counter", /*reply=*/true));
    }
    return;
  }
  if (!is_set_like(workload_)) return;
  const auto vv = message.body.find("vv");
  if (vv == message.body.end() || !vv->is_object()) return;
  crdt::VersionVector theirs;
  for (const auto& [origin, seq] : vv->items()) {
    if (!seq.is_number_unsigned()) return;
    theirs.advance(origin, seq.get<std::uint64_t>());
  }
  std::vector<crdt::GrowOnlySet::Delta> missing =
      set_.missing_for(theirs, options_.max_entries_per_message);
  if (!missing.empty()) {
    Json entries = Json::array();
    for (const auto& delta : missing) entries.push_back({delta.origin, delta.seq, delta.element});
    node_->send(message.src, Json{{"type", "crdt_push"},
                                  {"workload", workload_name(workload_)},
                                  {"entries", std::move(entries)}});
  }
  if (!is_reply && !set_.version_vector().dominates(theirs)) {
    node_->send(message.src, set_digest_body(/*reply=*/true));
  }
}

Json CrdtService::set_digest_body(bool reply) const {
  Json vv = Json::object();
  for (const auto& [origin, seq] : set_.version_vector().entries()) vv[origin] = seq;
  return Json{{"type", "crdt_digest"},
              {"workload", workload_name(workload_)},
              {"vv", std::move(vv)},
              {"reply", reply}};
}

Json CrdtService::counter_body(const char* type, bool reply) const {
  Json counts = Json::object();
  for (const auto& [replica, entry] : counter_.entries()) {
    counts[replica] = Json::array({entry.increments, entry.decrements});
  }
  return Json{
      {"type", type}, {"workload", "counter"}, {"counts", std::move(counts)}, {"reply", reply}};
}

void CrdtService::tick() {
  if (workload_ == Workload::kUnknown || !recovered_) return;
  const Nanos now = node_->runtime().monotonic_now();
  if (now >= next_push_) {
    push_new_entries();
    next_push_ = now + options_.push_interval;
  }
  if (now >= next_gossip_) {
    gossip();
    next_gossip_ = now + options_.gossip_interval;
  }
  if (PLANTED(PlantedBug::kSetForgetsAfterPartition)) forget_silent_peers();
}

void CrdtService::push_new_entries() {
  if (node_->node_ids().size() < 2) return;
  if (workload_ == Workload::kCounter) {
    if (!counter_dirty_) return;
    counter_dirty_ = false;
    const Json body = counter_body("crdt_counter", /*reply=*/true);
    for (const std::string& peer : node_->node_ids()) {
      if (peer != node_->id()) node_->send(peer, body);
    }
    return;
  }
  const std::uint64_t own = set_.version_vector().get(node_->id());
  if (own <= pushed_through_) return;
  // Our entries past pushed_through_: ask the set what a replica holding everything else
  // would lack.
  crdt::VersionVector all_but_new;
  for (const auto& [origin, seq] : set_.version_vector().entries()) {
    all_but_new.advance(origin, origin == node_->id() ? pushed_through_ : seq);
  }
  const std::vector<crdt::GrowOnlySet::Delta> fresh =
      set_.missing_for(all_but_new, options_.max_entries_per_message);
  if (fresh.empty()) return;
  Json entries = Json::array();
  for (const auto& delta : fresh) {
    ASSERT_EQ(delta.origin, node_->id());
    entries.push_back({delta.origin, delta.seq, delta.element});
    pushed_through_ = delta.seq;
  }
  const Json body = {{"type", "crdt_push"},
                     {"workload", workload_name(workload_)},
                     {"entries", std::move(entries)}};
  for (const std::string& peer : node_->node_ids()) {
    if (peer != node_->id()) node_->send(peer, body);
  }
}

void CrdtService::gossip() {
  const std::vector<std::string> peers = random_peers(options_.gossip_fanout);
  if (peers.empty()) return;
  const Json body = workload_ == Workload::kCounter ? counter_body("crdt_counter", false)
                                                    : set_digest_body(false);
  for (const std::string& peer : peers) node_->send(peer, body);
}

std::vector<std::string> CrdtService::random_peers(std::size_t count) {
  std::vector<std::string> peers;
  for (const std::string& id : node_->node_ids()) {
    if (id != node_->id()) peers.push_back(id);
  }
  // A partial Fisher-Yates shuffle with the runtime's generator (seeded in the simulator).
  Rng& rng = node_->runtime().rng();
  const std::size_t take = std::min(count, peers.size());
  for (std::size_t i = 0; i < take; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(peers.size() - i));
    std::swap(peers[i], peers[j]);
  }
  peers.resize(take);
  return peers;
}

void CrdtService::note_heard_from(const std::string& peer) {
  if (PLANTED(PlantedBug::kSetForgetsAfterPartition)) {
    last_heard_[peer] = node_->runtime().monotonic_now();
  }
}

void CrdtService::forget_silent_peers() {
  // The planted bug: elements that came from a peer that has gone quiet are dropped from reads,
  // while the version vector still claims them, so anti-entropy never brings them back.
  if (!is_set_like(workload_)) return;
  const Nanos now = node_->runtime().monotonic_now();
  for (auto& [peer, heard] : last_heard_) {
    if (now - heard < options_.silence_presumed_partition) continue;
    heard = now;  // forget once per silence
    const std::vector<crdt::GrowOnlySet::Delta> theirs =
        set_.missing_for(crdt::VersionVector{}, SIZE_MAX);
    for (const auto& delta : theirs) {
      if (delta.origin != node_->id()) forgotten_.insert(delta.element);
    }
    log_line("planted bug: forgetting what peers taught us, after silence from " + peer);
  }
}

void CrdtService::persist_loop() {
  fiber::Scheduler& scheduler = node_->runtime().scheduler();
  // Recovery needs the node's id (its log is named after it and its entries carry it).
  while (!node_->initialised() && !stopping_) node_->runtime().sleep_for(5 * kNanosPerMilli);
  if (stopping_) return;
  recover();
  std::vector<PendingUpdate> batch;
  for (;;) {
    while (pending_.empty() && !stopping_) {
      persister_ = scheduler.current();
      scheduler.suspend();
      persister_ = nullptr;
    }
    if (pending_.empty()) return;
    batch.clear();
    while (!pending_.empty()) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    // One record per update that changes state, then one sync for the whole batch (group
    // commit). A set element's sequence number is fixed here, before it can be gossiped, so a
    // restart replays the very same dots.
    std::uint64_t next_seq = set_.version_vector().get(node_->id()) + 1;
    std::set<std::string, std::less<>> in_batch;
    std::vector<std::uint64_t> seqs(batch.size(), 0);
    bool written = log_ != nullptr;
    for (std::size_t i = 0; i < batch.size() && written; ++i) {
      Json record;
      if (workload_ == Workload::kCounter) {
        record = {{"d", batch[i].delta}};
      } else {
        if (set_.contains(batch[i].element) || in_batch.contains(batch[i].element)) continue;
        in_batch.insert(batch[i].element);
        seqs[i] = next_seq++;
        // The workload rides along so a restarted node knows what it serves before any
        // request or gossip says so (g-set and broadcast share these records).
        record = {{"s", seqs[i]}, {"e", batch[i].element}, {"w", workload_name(workload_)}};
      }
      written = log_->append(record.dump());
    }
    written = written && log_->sync();
    const bool nothing_written = log_ == nullptr;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      PendingUpdate& update = batch[i];
      if (nothing_written) {
        node_->reply_error(update.request, ErrorCode::kTemporarilyUnavailable, "no storage");
        continue;
      }
      if (!written) {
        // The record may or may not be on disk (and would be replayed on restart): unknown.
        node_->reply_error(update.request, ErrorCode::kCrash, "storage write failed");
        continue;
      }
      apply_and_ack(update, seqs[i]);
    }
    // A batch that was not written whole may have left records behind whose sequence numbers
    // the set never took: handing those numbers out again would give one dot two elements.
    // So no more updates in this run; a restart replays whatever reached the disk.
    if (!written) storage_failed_ = true;
    if (!written && !nothing_written) {
      log_line("crdt log write failed; refusing updates from now on");
    }
  }
}

void CrdtService::recover() {
  const std::string path = options_.log_path + "." + node_->id();
  Disk& disk = options_.disk != nullptr ? *options_.disk : node_->runtime().disk();
  // Until the whole log is replayed the node must not serve from what it has: an update it
  // acknowledged may sit only in the unread part. So a failed open (a read error, say) starts
  // over from an empty state after a pause, as often as it takes; meanwhile reads are refused
  // and peers' gossip is ignored.
  Nanos pause = 10 * kNanosPerMilli;
  for (std::uint64_t attempt = 1; !stopping_; ++attempt) {
    set_ = crdt::GrowOnlySet{};
    counter_ = crdt::PnCounter{};
    std::string error;
    std::uint64_t replayed = 0;
    log_ = storage::RecordLog::open(
        disk, path,
        [&](std::string_view payload) {
          // The checksum passed, so a record we cannot read is a bug, not damage: stop.
          const Json record = Json::parse(payload, nullptr, false);
          const bool counter_record =
              record.is_object() && record.contains("d") && record["d"].is_number_integer();
          const bool set_record = record.is_object() && record.contains("s") &&
                                  record["s"].is_number_unsigned() && record.contains("e") &&
                                  record["e"].is_string();
          ASSERT_MSG(counter_record || set_record, "unreadable record in the crdt log");
          if (counter_record) {
            learn_workload(Workload::kCounter);
            counter_.add(node_->id(), record["d"].get<std::int64_t>());
          } else {
            if (const auto w = record.find("w"); w != record.end() && w->is_string()) {
              learn_workload(workload_from_name(w->get<std::string>()));
            }
            const crdt::GrowOnlySet::Delta delta{node_->id(), record["s"].get<std::uint64_t>(),
                                                 record["e"].get<std::string>()};
            ASSERT_MSG(set_.merge(std::span(&delta, 1)) == 1,
                       "crdt log entries are not this node's next sequence numbers");
          }
          ++replayed;
        },
        &error);
    if (log_ != nullptr) {
      log_line("recovered " + std::to_string(replayed) + " updates from " + path);
      recovered_ = true;
      return;
    }
    log_line("cannot open the crdt log " + path + " (attempt " + std::to_string(attempt) +
             "): " + error + "; retrying");
    node_->runtime().sleep_for(pause);
    pause = std::min<Nanos>(pause * 2, kNanosPerSecond);
  }
}

}  // namespace eddy::maelstrom
