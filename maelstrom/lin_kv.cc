#include "maelstrom/lin_kv.h"

#include <algorithm>
#include <charconv>
#include <span>

#include "engine/base/fault.h"
#include "engine/cmd/command.h"
#include "engine/cmd/reply_builder.h"
#include "engine/shard.h"

namespace eddy::maelstrom {

namespace {

bool is_lin_kv_request(const Message& message) {
  const std::string_view type = message.type();
  if (type == "write" || type == "cas") return true;
  // g-set, counters and broadcast also have a `read`; lin-kv's is the one with a key.
  return type == "read" && message.body.contains("key");
}

Json error_reply(ErrorCode code, std::string_view text) {
  return error_body(0, code, text);
}

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0xf]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool from_hex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

}  // namespace

LinKvService::LinKvService(Node* node, Engine* engine, LinKvOptions options)
    : node_(node), engine_(engine), coordinator_(engine), options_(std::move(options)) {}

LinKvService::~LinKvService() {
  ASSERT_MSG(driver_done_ == nullptr, "stop() was not called");
}

Disk& LinKvService::disk() {
  if (!options_.persist) {
    if (memory_disk_ == nullptr) memory_disk_ = std::make_unique<MemoryDisk>();
    return *memory_disk_;
  }
  return options_.disk != nullptr ? *options_.disk : node_->runtime().disk();
}

std::string LinKvService::directory() const {
  return options_.directory_prefix + node_->id();
}

void LinKvService::start() {
  fiber::Scheduler& scheduler = node_->runtime().scheduler();
  driver_done_ = new fiber::WaitGroup(&scheduler);
  driver_done_->add(1);
  scheduler.spawn("lin-kv-raft", [this] {
    drive();
    driver_done_->done();
  });
}

void LinKvService::stop() {
  if (driver_done_ == nullptr) return;
  stopping_ = true;
  wake_driver();
  driver_done_->wait();
  delete driver_done_;
  driver_done_ = nullptr;
}

void LinKvService::wake_driver() {
  if (driver_ != nullptr) node_->runtime().scheduler().wake(driver_);
}

void LinKvService::on_init() {
  windows_.assign(node_->node_ids().size(), OriginWindow{});
  wake_driver();
}

bool LinKvService::handle(const Message& message) {
  const std::string_view type = message.type();
  if (type == "raft") {
    handle_raft_message(message);
    return true;
  }
  if (type == "lin_kv_propose") {
    handle_forwarded_proposal(message);
    return true;
  }
  if (!is_lin_kv_request(message)) return false;
  if (!running()) {
    // Nothing was proposed or sent: a definite refusal is honest.
    node_->reply_error(message, ErrorCode::kTemporarilyUnavailable, "replication not running");
    return true;
  }
  if (type == "read") {
    handle_client_read(message);
  } else {
    handle_client_write(message);
  }
  return true;
}

void LinKvService::handle_client_write(const Message& message) {
  if (pending_writes_.size() >= options_.max_pending_writes) {
    node_->reply_error(message, ErrorCode::kTemporarilyUnavailable, "too many writes pending");
    return;
  }
  const std::int64_t seq = next_write_seq_++;
  // The entry: who asked (origin index and incarnation, sequence number) and what.
  Json body = message.body;
  body.erase("msg_id");
  const Json entry = {{"o", node_->index()}, {"i", incarnation_}, {"s", seq}, {"b", body}};
  const Nanos now = node_->runtime().monotonic_now();
  PendingWrite pending{
      message, entry.dump(), now, now + options_.request_timeout, now + options_.resend_interval,
      false};
  queued_proposals_.push_back({pending.payload, seq});
  pending_writes_.emplace(seq, std::move(pending));
  wake_driver();
}

void LinKvService::handle_client_read(const Message& message) {
  if (pending_reads_.size() >= options_.max_pending_reads) {
    node_->reply_error(message, ErrorCode::kTemporarilyUnavailable, "too many reads pending");
    return;
  }
  const std::int64_t id = next_read_id_++;
  const Nanos now = node_->runtime().monotonic_now();
  pending_reads_.emplace(id, PendingRead{message, now, now + options_.read_timeout, false});
  queued_reads_.push_back(id);
  wake_driver();
}

void LinKvService::handle_raft_message(const Message& message) {
  if (!running()) return;  // peers resend what matters
  const auto field = message.body.find("m");
  if (field == message.body.end() || !field->is_string()) return;
  std::string bytes;
  raft::Message decoded;
  if (!from_hex(field->get_ref<const std::string&>(), &bytes) ||
      !raft::decode_message(bytes, &decoded)) {
    log_line("dropping an undecodable raft message from " + message.src);
    return;
  }
  // The sender must be who the envelope says: Raft ids are node_ids positions plus one.
  const auto& ids = node_->node_ids();
  if (decoded.from == raft::kNoNode || decoded.from > ids.size() ||
      ids[decoded.from - 1] != message.src || decoded.to != node_->index() + 1) {
    return;
  }
  if (queued_messages_.size() >= options_.max_queued_messages) return;  // as if lost
  queued_messages_.push_back(std::move(decoded));
  wake_driver();
}

namespace {

// The shape every replica requires of a write entry: {o: origin index, i: incarnation, s: seq,
// b: {type: "write" | "cas", ...}}. Deterministic, so every node skips a malformed entry alike.
bool well_shaped_entry(const Json& parsed) {
  if (!parsed.is_object()) return false;
  const auto o = parsed.find("o");
  const auto i = parsed.find("i");
  const auto s = parsed.find("s");
  const auto b = parsed.find("b");
  if (o == parsed.end() || !o->is_number_unsigned() || i == parsed.end() ||
      !i->is_number_unsigned() || s == parsed.end() || !s->is_number_integer() ||
      b == parsed.end() || !b->is_object()) {
    return false;
  }
  const auto type = b->find("type");
  return type != b->end() && type->is_string() &&
         (type->get_ref<const std::string&>() == "write" ||
          type->get_ref<const std::string&>() == "cas");
}

}  // namespace

void LinKvService::handle_forwarded_proposal(const Message& message) {
  if (!running()) return;
  // Only a member proposes through the leader, and only its own entries: a client (or anyone)
  // sending lin_kv_propose would otherwise put any bytes in every replica's log.
  const std::vector<std::string>& ids = node_->node_ids();
  const auto sender = std::find(ids.begin(), ids.end(), message.src);
  if (sender == ids.end() || message.src == node_->id()) return;
  const auto field = message.body.find("entry");
  if (field == message.body.end() || !field->is_string()) return;
  const Json parsed = Json::parse(field->get_ref<const std::string&>(), nullptr, false);
  if (!well_shaped_entry(parsed) ||
      parsed["o"].get<std::uint64_t>() != static_cast<std::uint64_t>(sender - ids.begin())) {
    return;
  }
  if (queued_proposals_.size() >= options_.max_pending_writes) return;  // as if lost
  queued_proposals_.push_back({field->get<std::string>(), 0});
  wake_driver();
}

void LinKvService::tick() {
  if (!running()) return;
  queued_ticks_ = std::min(queued_ticks_ + 1, 1000);
  const Nanos now = node_->runtime().monotonic_now();
  for (auto it = pending_writes_.begin(); it != pending_writes_.end();) {
    PendingWrite& write = it->second;
    if (write.deadline <= now) {
      // The entry may be in some log and commit later: the outcome is unknown, so the answer
      // must be indefinite (unless it was never sent anywhere).
      if (!write.sent || PLANTED(PlantedBug::kLinKvDefiniteErrorAfterPropose)) {
        node_->reply_error(write.request, ErrorCode::kTemporarilyUnavailable, "gave up");
      } else {
        node_->reply_error(write.request, ErrorCode::kTimeout, "not committed in time");
      }
      it = pending_writes_.erase(it);
      continue;
    }
    if (write.next_resend <= now) {
      write.next_resend = now + options_.resend_interval;
      queued_proposals_.push_back({write.payload, it->first});
    }
    ++it;
  }
  for (auto it = pending_reads_.begin(); it != pending_reads_.end();) {
    if (it->second.deadline > now) {
      if (it->second.retry) {
        it->second.retry = false;
        queued_reads_.push_back(it->first);
      }
      ++it;
      continue;
    }
    // A read changes nothing, so a definite refusal is honest whatever happened to it.
    node_->reply_error(it->second.request, ErrorCode::kTemporarilyUnavailable,
                       "read not confirmed in time");
    it = pending_reads_.erase(it);
  }
  wake_driver();
}

// ---- The driver ----

bool LinKvService::open_storage() {
  Disk& d = disk();
  const std::string dir = directory();
  if (!d.make_directory(dir)) {
    log_line("lin-kv: cannot create " + dir);
    return false;
  }
  // The incarnation: this node's starts, counted on its disk, so entries of a later run are
  // told from an earlier run's.
  std::string text;
  std::string reason;
  const std::string incarnation_path = dir + "/incarnation";
  std::uint64_t previous = 0;
  switch (d.read_file(incarnation_path, 64, &text, &reason)) {
    case Disk::ReadStatus::kRead: {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), previous);
      if (ec != std::errc() || end != text.data() + text.size()) {
        log_line("lin-kv: unreadable incarnation file");
        return false;
      }
      break;
    }
    case Disk::ReadStatus::kMissing:
      break;
    case Disk::ReadStatus::kFailed:
      log_line("lin-kv: cannot read the incarnation file: " + reason);
      return false;
  }
  incarnation_ = previous + 1;
  if (!d.replace_file(incarnation_path, std::to_string(incarnation_), &reason)) {
    log_line("lin-kv: cannot write the incarnation file: " + reason);
    return false;
  }
  raft::Restored restored;
  std::string error;
  storage_ = raft::Storage::open(d, dir, &restored, &error);
  if (storage_ == nullptr) {
    log_line("lin-kv: cannot open raft storage: " + error);
    return false;
  }
  raft::Config config;
  config.id = node_->index() + 1;
  for (std::size_t i = 0; i < node_->node_ids().size(); ++i) config.voters.push_back(i + 1);
  config.election_ticks = options_.election_ticks;
  config.heartbeat_ticks = options_.heartbeat_ticks;
  raft_rng_ = std::make_unique<Rng>(node_->runtime().rng().next());
  // The keyspace starts empty in every process: the snapshot, then the committed log (handed
  // out by the first Readys) rebuild it.
  windows_.assign(node_->node_ids().size(), OriginWindow{});
  keys_.clear();
  if (!restored.snapshot.empty() && !install_state(restored.snapshot.data)) {
    log_line("lin-kv: the stored snapshot does not decode");
    return false;
  }
  raft_ = std::make_unique<raft::Raft>(config, *raft_rng_, restored);
  if (config.voters.size() == 1) raft_->campaign();
  log_line("lin-kv: raft member " + std::to_string(config.id) + " of " +
           std::to_string(config.voters.size()) + ", incarnation " + std::to_string(incarnation_) +
           ", term " + std::to_string(raft_->term()) + ", log " +
           std::to_string(raft_->first_index()) + ".." + std::to_string(raft_->last_index()));
  return true;
}

void LinKvService::drive() {
  fiber::Scheduler& scheduler = node_->runtime().scheduler();
  while (!node_->initialised() && !stopping_) {
    driver_ = scheduler.current();
    scheduler.suspend();
    driver_ = nullptr;
  }
  // A read error at start (the simulator injects them) must not leave the node serving a
  // partial state: start over after a pause, as often as it takes.
  Nanos pause = 10 * kNanosPerMilli;
  while (!stopping_ && !open_storage()) {
    storage_.reset();
    node_->runtime().sleep_for(pause);
    pause = std::min<Nanos>(pause * 2, 500 * kNanosPerMilli);
  }
  while (!stopping_ && !failed_) {
    const bool idle = queued_messages_.empty() && queued_ticks_ == 0 && queued_proposals_.empty() &&
                      queued_reads_.empty() && !raft_->has_ready();
    if (idle) {
      driver_ = scheduler.current();
      scheduler.suspend();
      driver_ = nullptr;
      continue;
    }
    feed_raft();
    while (!failed_ && !stopping_ && raft_->has_ready()) handle_ready();
    if (!failed_ && !stopping_) maybe_compact();
  }
}

void LinKvService::feed_raft() {
  // Bounded per round, so a flood of one kind cannot starve Readys.
  for (std::size_t n = 0; n < 1024 && !queued_messages_.empty(); ++n) {
    raft_->step(queued_messages_.front());
    queued_messages_.pop_front();
  }
  for (; queued_ticks_ > 0; --queued_ticks_) raft_->tick();
  for (std::size_t n = 0; n < 1024 && !queued_proposals_.empty(); ++n) {
    Proposal proposal = std::move(queued_proposals_.front());
    queued_proposals_.pop_front();
    submit(std::move(proposal));
  }
  for (std::size_t n = 0; n < 1024 && !queued_reads_.empty(); ++n) {
    const std::int64_t id = queued_reads_.front();
    queued_reads_.pop_front();
    auto it = pending_reads_.find(id);
    if (it == pending_reads_.end()) continue;  // answered already (timed out)
    if (PLANTED(PlantedBug::kLinKvLocalRead)) {
      // Planted: served from this node's copy, without asking the leader.
      node_->reply(it->second.request, apply(it->second.request.body));
      pending_reads_.erase(it);
      continue;
    }
    // The incarnation makes the context unique across this node's runs: a leader's late answer
    // to an earlier run's read must not serve this run's read with the same number.
    const raft::ReadIndexResult result =
        raft_->read_index(std::to_string(incarnation_) + ":" + std::to_string(id));
    if (result == raft::ReadIndexResult::kQueued) continue;
    refuse_or_retry_read(it, result == raft::ReadIndexResult::kNoLeader
                                 ? "no leader known"
                                 : "leader not ready for reads");
  }
}

void LinKvService::submit(Proposal proposal) {
  PendingWrite* pending = nullptr;
  if (proposal.local_seq != 0) {
    auto it = pending_writes_.find(proposal.local_seq);
    if (it == pending_writes_.end()) return;  // answered already: applied or given up
    pending = &it->second;
  }
  if (raft_->role() == raft::Role::kLeader) {
    const raft::ProposeResult result = raft_->propose(proposal.payload);
    if (result.ok) {
      if (pending != nullptr) pending->sent = true;
      return;
    }
    if (result.error == raft::ProposeError::kTooLarge) {
      // Refused before entering any log: definite.
      if (pending != nullptr) {
        node_->reply_error(pending->request, ErrorCode::kMalformedRequest, "request too large");
        pending_writes_.erase(proposal.local_seq);
      }
      return;
    }
  }
  if (pending == nullptr) return;  // a peer's forward and we do not lead: drop (it resends)
  const raft::NodeId leader = raft_->leader();
  if (leader != raft::kNoNode && leader != raft_->id()) {
    node_->send(node_->node_ids()[leader - 1],
                Json{{"type", "lin_kv_propose"}, {"entry", proposal.payload}});
    pending->sent = true;
    return;
  }
  if (pending->sent) return;  // it may be in some log; the next resend tries again
  const Nanos now = node_->runtime().monotonic_now();
  if (now < pending->created + options_.leader_wait) {
    // An election may be under way: try again at the next tick.
    pending->next_resend = now;
    return;
  }
  // No leader known and nothing ever sent: the request cannot take effect.
  node_->reply_error(pending->request, ErrorCode::kTemporarilyUnavailable, "no leader known");
  pending_writes_.erase(proposal.local_seq);
}

void LinKvService::handle_ready() {
  raft::Ready ready = raft_->ready();
  // 1. Persist (one sync).
  if (!storage_->save(ready)) {
    // What reached the disk is unknown until a restart recovers it: stop here, sending and
    // applying nothing (fail-stop). Clients get no answer: indefinite.
    log_line("lin-kv: raft storage failed; this node stops replicating");
    failed_ = true;
    return;
  }
  // 2. Send what the disk now backs.
  for (const raft::Message& message : ready.messages) send_raft(message);
  // 3. Install, then apply.
  if (ready.snapshot) {
    if (!install_state(ready.snapshot->data)) {
      log_line("lin-kv: a snapshot from the leader does not decode; this node stops");
      failed_ = true;
      return;
    }
    log_line("lin-kv: installed the leader's snapshot through index " +
             std::to_string(ready.snapshot->index));
  }
  for (const raft::Entry& entry : ready.committed_entries) apply_entry(entry);
  // 4. Reads, now that the state machine has applied through their index.
  for (const raft::ReadState& state : ready.read_states) serve_read(state);
  raft_->advance();
}

void LinKvService::send_raft(const raft::Message& message) {
  const auto& ids = node_->node_ids();
  ASSERT(message.to != raft::kNoNode && message.to <= ids.size());
  node_->send(ids[message.to - 1],
              Json{{"type", "raft"}, {"m", to_hex(raft::encode_message(message))}});
}

void LinKvService::apply_entry(const raft::Entry& entry) {
  if (entry.kind != raft::EntryKind::kNormal) return;
  // The entry passed through a peer: check its shape. Every node decides the same way, so a
  // malformed entry is skipped everywhere.
  const Json parsed = Json::parse(entry.payload, nullptr, false);
  if (!well_shaped_entry(parsed)) return;
  const auto origin = parsed["o"].get<std::uint64_t>();
  const auto incarnation = parsed["i"].get<std::uint64_t>();
  const auto seq = parsed["s"].get<std::int64_t>();
  if (origin >= windows_.size() || seq <= 0) return;
  if (!admit(origin, incarnation, seq)) return;  // a duplicate, or too old to judge
  const Json& body = parsed["b"];
  Json result;
  try {
    result = apply(body);
  } catch (const Json::exception&) {
    result = error_reply(ErrorCode::kMalformedRequest, "malformed request");
  }
  const std::string result_type = result.value("type", "");
  if (result_type == "write_ok" || result_type == "cas_ok") keys_.insert(body["key"].dump());
  if (origin == node_->index() && incarnation == incarnation_) {
    auto it = pending_writes_.find(seq);
    if (it != pending_writes_.end()) {
      node_->reply(it->second.request, std::move(result));
      pending_writes_.erase(it);
    }
  }
}

bool LinKvService::admit(std::size_t origin, std::uint64_t incarnation, std::int64_t seq) {
  if (PLANTED(PlantedBug::kLinKvForwardAppliedTwice)) return true;
  OriginWindow& window = windows_[origin];
  // An earlier run of the origin: its clients were never answered (indefinite), so leaving
  // the entry unapplied is allowed, and it cannot be judged against a window that is gone.
  if (incarnation < window.incarnation) return false;
  if (incarnation > window.incarnation) window = OriginWindow{incarnation, 0, {}};
  if (seq <= window.floor || window.applied.contains(seq)) return false;
  window.applied.insert(seq);
  while (window.applied.size() > options_.dedupe_window) {
    window.floor = *window.applied.begin();
    window.applied.erase(window.applied.begin());
  }
  return true;
}

void LinKvService::serve_read(const raft::ReadState& state) {
  const std::string prefix = std::to_string(incarnation_) + ":";
  if (state.context.compare(0, prefix.size(), prefix) != 0) return;  // another run's read
  std::int64_t id = 0;
  const char* first = state.context.data() + prefix.size();
  const char* last = state.context.data() + state.context.size();
  const auto [end, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || end != last) return;
  auto it = pending_reads_.find(id);
  if (it == pending_reads_.end()) return;  // answered already, or a duplicate
  if (state.refused) {
    refuse_or_retry_read(it, "the leader could not confirm the read");
    return;
  }
  ASSERT_GE(raft_->applied_index(), state.index);
  node_->reply(it->second.request, apply(it->second.request.body));
  pending_reads_.erase(it);
}

void LinKvService::refuse_or_retry_read(std::map<std::int64_t, PendingRead>::iterator it,
                                        const char* why) {
  if (node_->runtime().monotonic_now() < it->second.created + options_.leader_wait) {
    it->second.retry = true;  // an election may be under way: ask again at the next tick
    return;
  }
  // A read changes nothing: a definite refusal is honest.
  node_->reply_error(it->second.request, ErrorCode::kTemporarilyUnavailable, why);
  pending_reads_.erase(it);
}

void LinKvService::maybe_compact() {
  const raft::Index applied = raft_->applied_index();
  // The simulator compacts often, so snapshots and their install on a lagging follower (after
  // a restart, a partition) are common paths, not the rare ones they are in a short run.
  const raft::Index every = BUGGIFY("lin-kv-compact-often") ? 4 : options_.compact_every;
  if (applied < raft_->snapshot().index + every) return;
  if (compact_refused_at_ != 0 && applied < compact_refused_at_ + every) return;
  if (raft_->compact(applied, state_image())) {
    compact_refused_at_ = 0;
  } else {
    // Larger than a snapshot may be (raft::kSnapshotBytesMax; chunked snapshots are not
    // built): the log is kept and grows until the keyspace shrinks again.
    compact_refused_at_ = applied;
  }
}

// ---- The state machine ----

std::string LinKvService::state_image() {
  Json kv = Json::array();
  for (const std::string& key : keys_) {
    std::optional<std::string> value = get_value(key);
    if (value) kv.push_back(Json::array({key, *value}));
  }
  Json windows = Json::array();
  for (const OriginWindow& window : windows_) {
    windows.push_back(
        Json{{"i", window.incarnation},
             {"f", window.floor},
             {"a", Json(std::vector<std::int64_t>(window.applied.begin(), window.applied.end()))}});
  }
  return Json{{"kv", std::move(kv)}, {"w", std::move(windows)}}.dump();
}

bool LinKvService::install_state(const std::string& data) {
  const Json image = Json::parse(data, nullptr, false);
  if (!image.is_object() || !image.contains("kv") || !image["kv"].is_array() ||
      !image.contains("w") || !image["w"].is_array() || image["w"].size() != windows_.size()) {
    return false;
  }
  std::vector<OriginWindow> windows;
  for (const Json& w : image["w"]) {
    if (!w.is_object() || !w.contains("i") || !w["i"].is_number_unsigned() || !w.contains("f") ||
        !w["f"].is_number_integer() || !w.contains("a") || !w["a"].is_array() ||
        w["a"].size() > options_.dedupe_window) {
      return false;
    }
    OriginWindow window;
    window.incarnation = w["i"].get<std::uint64_t>();
    window.floor = w["f"].get<std::int64_t>();
    for (const Json& seq : w["a"]) {
      if (!seq.is_number_integer()) return false;
      window.applied.insert(seq.get<std::int64_t>());
    }
    windows.push_back(std::move(window));
  }
  for (const Json& pair : image["kv"]) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return false;
    }
  }
  // Valid: replace the keyspace through the command path.
  std::string out;
  for (const std::string& key : keys_) run_command(key, {"DEL", key}, &out);
  keys_.clear();
  for (const Json& pair : image["kv"]) {
    const std::string& key = pair[0].get_ref<const std::string&>();
    run_command(key, {"SET", key, pair[1].get_ref<const std::string&>()}, &out);
    keys_.insert(key);
  }
  windows_ = std::move(windows);
  return true;
}

void LinKvService::run_command(const std::string& key, std::initializer_list<std::string_view> args,
                               std::string* out) {
  coordinator_.run_on(engine_->shard_of_key(key), [&](Shard& shard) {
    shard.refresh_clock();
    out->clear();
    ReplyBuilder reply(out, 2);
    const CommandSpec* spec = engine_->commands().find(*args.begin());
    ASSERT(spec != nullptr && spec->handler != nullptr);
    shard.writes().apply(*spec, 0, std::span<const std::string_view>(args.begin(), args.size()),
                         reply, shard.now_ms());
  });
}

std::optional<std::string> LinKvService::get_value(const std::string& key) {
  std::string out;
  run_command(key, {"GET", key}, &out);
  // GET's reply: "$-1\r\n" (missing) or "$<len>\r\n<bytes>\r\n".
  ASSERT(!out.empty() && out[0] == '$');
  if (out.compare(0, 3, "$-1") == 0) return std::nullopt;
  const std::size_t header_end = out.find("\r\n");
  ASSERT(header_end != std::string::npos);
  return out.substr(header_end + 2, out.size() - header_end - 4);
}

Json LinKvService::apply(const Json& request) {
  const std::string type = request.value("type", "");
  const auto key_field = request.find("key");
  if (key_field == request.end()) return error_reply(ErrorCode::kMalformedRequest, "missing key");
  const std::string key = key_field->dump();
  // Validated here, before any command runs, so nothing throws half-way.
  bool create_if_missing = false;
  if (const auto flag = request.find("create_if_not_exists"); flag != request.end()) {
    if (!flag->is_boolean()) {
      return error_reply(ErrorCode::kMalformedRequest, "create_if_not_exists must be a boolean");
    }
    create_if_missing = flag->get<bool>();
  }
  std::string out;
  if (type == "read") {
    const std::optional<std::string> current = get_value(key);
    if (!current) return error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
    return {{"type", "read_ok"}, {"value", Json::parse(*current, nullptr, false)}};
  }
  if (type == "write") {
    if (!request.contains("value")) {
      return error_reply(ErrorCode::kMalformedRequest, "write needs a value");
    }
    // Every operation is a Redis command through the shard's write path, so lin-kv's keyspace
    // changes are effects like any client's (a log or a replica sees them).
    run_command(key, {"SET", key, request["value"].dump()}, &out);
    return {{"type", "write_ok"}};
  }
  if (type != "cas") return error_reply(ErrorCode::kNotSupported, "not a lin-kv request");
  if (!request.contains("from") || !request.contains("to")) {
    return error_reply(ErrorCode::kMalformedRequest, "cas needs from and to");
  }
  const std::string from = request["from"].dump();
  // The driver fiber is the only writer of the keyspace, and it applies one entry at a time,
  // so nothing runs between this GET and the SET.
  const std::optional<std::string> current = get_value(key);
  if (!current) {
    if (!create_if_missing) return error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
  } else if (*current != from) {
    return error_reply(ErrorCode::kPreconditionFailed, "expected " + from + ", found " + *current);
  }
  run_command(key, {"SET", key, request["to"].dump()}, &out);
  return {{"type", "cas_ok"}};
}

}  // namespace eddy::maelstrom
