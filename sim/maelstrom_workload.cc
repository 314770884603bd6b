#include "sim/maelstrom_workload.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "maelstrom/message.h"
#include "sim/check/linearizability.h"

namespace eddy::sim {

using Json = nlohmann::json;

OpOutcome MaelstromWorkload::as_op_outcome(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return OpOutcome::kOk;
    case Outcome::kFailed:
      return OpOutcome::kFailed;
    case Outcome::kUnknown:
      break;
  }
  return OpOutcome::kUnknown;
}

MaelstromWorkload::MaelstromWorkload(World* world, SimNode* client_node, MaelstromCluster* cluster,
                                     MaelstromWorkloadConfig config)
    : world_(world), node_(client_node), cluster_(cluster), config_(std::move(config)) {
  ASSERT_GE(config_.concurrency, 1u);
  ASSERT_GT(config_.rate, 0.0);
  clients_.resize(config_.concurrency);
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    // c0 is the harness's own id (init); workers are c1, c2, ...
    clients_[i].id = "c" + std::to_string(i + 1);
    clients_[i].node = i % cluster_->size();
  }
}

Nanos MaelstromWorkload::timeout() const {
  // Maelstrom's: 1 s for lin-kv (no latency option here), 5 s for the others.
  return config_.workload == "lin-kv" ? kNanosPerSecond : 5 * kNanosPerSecond;
}

void MaelstromWorkload::deliver(const std::string& line) {
  const Json message = Json::parse(line, nullptr, false);
  if (!message.is_object() || !message.contains("dest") || !message["dest"].is_string() ||
      !message.contains("body") || !message["body"].is_object()) {
    violations_.push_back({"protocol", "unparseable line to a client: " + line.substr(0, 200)});
    return;
  }
  const std::string dest = message["dest"].get<std::string>();
  const std::size_t index = std::strtoull(dest.c_str() + 1, nullptr, 10);
  if (index == 0 || index > clients_.size()) {
    violations_.push_back({"protocol", "reply to an unknown client: " + line.substr(0, 200)});
    return;
  }
  Client& client = clients_[index - 1];
  const Json& body = message["body"];
  if (!body.contains("in_reply_to") || !body["in_reply_to"].is_number_integer()) {
    violations_.push_back({"protocol", "a client reply without in_reply_to: " + line});
    return;
  }
  const std::int64_t in_reply_to = body["in_reply_to"].get<std::int64_t>();
  if (in_reply_to != client.waiting_for) return;  // late: the request timed out already
  client.reply = body;
  if (client.fiber != nullptr) node_->scheduler_of(0).wake(client.fiber);
}

MaelstromWorkload::Reply MaelstromWorkload::call(std::size_t index, Json body) {
  Client& client = clients_[index];
  const std::int64_t msg_id = client.next_msg_id++;
  body["msg_id"] = msg_id;
  client.waiting_for = msg_id;
  client.reply.reset();
  client.timed_out = false;
  const Json message = {
      {"src", client.id}, {"dest", cluster_->node_ids()[client.node]}, {"body", std::move(body)}};
  cluster_->send_to_node(client.node, message.dump());
  world_->schedule(timeout(), node_, 0, [this, index, msg_id] {
    Client& waiting = clients_[index];
    if (waiting.waiting_for != msg_id || waiting.reply) return;
    waiting.timed_out = true;
    if (waiting.fiber != nullptr) node_->scheduler_of(0).wake(waiting.fiber);
  });
  fiber::Scheduler& scheduler = node_->scheduler_of(0);
  while (!client.reply && !client.timed_out && !node_->stopping()) {
    client.fiber = scheduler.current();
    scheduler.suspend();
    client.fiber = nullptr;
  }
  client.waiting_for = 0;
  Reply reply;
  if (!client.reply) return reply;  // timeout: unknown
  reply.body = std::move(*client.reply);
  const std::string type = reply.body.value("type", "");
  if (type == "error") {
    reply.outcome = maelstrom::is_definite_error(reply.body.value("code", std::int64_t{13}))
                        ? Outcome::kFailed
                        : Outcome::kUnknown;
  } else {
    reply.outcome = Outcome::kOk;
  }
  return reply;
}

void MaelstromWorkload::start() {
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    node_->scheduler_of(0).spawn("maelstrom-client", [this, i] { client_main(i); });
  }
  node_->scheduler_of(0).spawn("maelstrom-controller", [this] { controller_main(); });
}

void MaelstromWorkload::wait_for_cluster() {
  while (!cluster_->all_initialised() && !node_->stopping()) node_->sleep_for(kNanosPerMilli);
}

void MaelstromWorkload::controller_main() {
  wait_for_cluster();
  const Nanos end = world_->now() + config_.duration_ns;
  if (config_.nemesis) world_->network().start_nemesis();
  Rng& rng = world_->rng(World::Stream::kWorkload);
  while (world_->now() < end && !node_->stopping()) {
    if (config_.crash_interval_ns == 0) {
      node_->sleep_for(end - world_->now());
      break;
    }
    node_->sleep_for(rng.between(0, 2 * config_.crash_interval_ns));
    if (world_->now() >= end) break;
    // One node, or several at once (a majority, with crash_max_nodes high enough): their
    // processes all die at the same instant and come back one by one.
    const std::size_t count =
        1 + rng.below(std::min<std::size_t>(std::max<std::uint32_t>(config_.crash_max_nodes, 1),
                                            cluster_->size()));
    std::vector<std::size_t> victims;
    while (victims.size() < count) {
      const std::size_t victim = rng.below(cluster_->size());
      if (std::find(victims.begin(), victims.end(), victim) == victims.end()) {
        victims.push_back(victim);
      }
    }
    for (const std::size_t victim : victims) cluster_->crash(victim);
    for (const std::size_t victim : victims) {
      node_->sleep_for(rng.between(config_.downtime_min_ns, config_.downtime_max_ns) /
                       static_cast<Nanos>(victims.size()));
      cluster_->restart(victim);
    }
  }
  while (main_phase_done_ < config_.concurrency && !node_->stopping()) {
    node_->sleep_for(10 * kNanosPerMilli);
  }
  // Heal: no partitions, every process up; then give gossip time to converge.
  if (config_.nemesis) world_->network().stop_nemesis();
  world_->network().heal();
  for (std::size_t i = 0; i < cluster_->size(); ++i) cluster_->restart(i);
  wait_for_cluster();
  world_->trace(node_, 0, "healed; waiting for recovery");
  node_->sleep_for(config_.recovery_ns);
  final_reads_open_ = true;
}

void MaelstromWorkload::client_main(std::size_t index) {
  wait_for_cluster();
  const Nanos end = world_->now() + config_.duration_ns;
  Rng& rng = world_->rng(World::Stream::kWorkload);
  // Each client waits uniform(0, 2 * concurrency / rate) between requests, so all together
  // send `rate` per second on average, as Maelstrom's staggered generator does.
  const auto mean_gap = static_cast<Nanos>(static_cast<double>(config_.concurrency) / config_.rate *
                                           static_cast<double>(kNanosPerSecond));
  while (!node_->stopping()) {
    node_->sleep_for(rng.between(0, 2 * mean_gap));
    if (world_->now() >= end) break;
    one_operation(index);
  }
  ++main_phase_done_;
  while (!final_reads_open_ && !node_->stopping()) node_->sleep_for(10 * kNanosPerMilli);
  if (!node_->stopping()) final_read(index);
  ++clients_done_;
}

void MaelstromWorkload::one_operation(std::size_t index) {
  Rng& rng = world_->rng(World::Stream::kWorkload);
  const std::string& workload = config_.workload;
  ++operations_;
  const Nanos invoke = world_->now();
  if (workload == "echo") {
    const std::string payload = "hello " + std::to_string(rng.below(1'000'000));
    Reply reply = call(index, {{"type", "echo"}, {"echo", payload}});
    if (reply.outcome == Outcome::kOk &&
        (reply.body.value("type", "") != "echo_ok" || reply.body.value("echo", "") != payload)) {
      violations_.push_back({"echo", "echo_ok did not return the payload: " + reply.body.dump()});
    }
    return;
  }
  if (workload == "lin-kv") {
    const std::int64_t key = static_cast<std::int64_t>(rng.below(config_.key_count));
    const std::uint64_t dice = rng.below(6);
    const std::int64_t a = static_cast<std::int64_t>(rng.below(5));
    const std::int64_t b = static_cast<std::int64_t>(rng.below(5));
    lin_kv_operation(index,
                     dice < 3   ? LinKvKind::kRead
                     : dice < 4 ? LinKvKind::kWrite
                                : LinKvKind::kCas,
                     key, a, b);
    return;
  }
  const bool is_set = workload == "g-set" || workload == "broadcast";
  if (rng.chance(0.5)) {
    if (is_set) {
      const std::int64_t element = next_element_++;
      Reply reply = workload == "broadcast"
                        ? call(index, {{"type", "broadcast"}, {"message", element}})
                        : call(index, {{"type", "add"}, {"element", element}});
      SetAdd add;
      add.element = element;
      add.invoke_ns = invoke;
      add.complete_ns = world_->now();
      add.outcome = as_op_outcome(reply.outcome);
      set_history_.adds.push_back(add);
    } else {
      const std::int64_t delta = workload == "g-counter" ? rng.between(0, 4) : rng.between(-5, 4);
      Reply reply = call(index, {{"type", "add"}, {"delta", delta}});
      counter_adds_.push_back({delta, as_op_outcome(reply.outcome)});
    }
    return;
  }
  Reply reply = call(index, {{"type", "read"}});
  if (reply.outcome != Outcome::kOk || !is_set) return;  // counter reads are judged at the end
  set_history_.reads.push_back(set_read(reply, invoke));
}

bool MaelstromWorkload::lin_kv_operation(std::size_t index, LinKvKind kind, std::int64_t key,
                                         std::int64_t a, std::int64_t b) {
  Op op;
  op.id = next_op_id_++;
  op.client = static_cast<std::uint32_t>(index);
  op.invoke_ns = world_->now();
  op.key = Json(key).dump();
  Json body;
  if (kind == LinKvKind::kRead) {
    op.kind = OpKind::kGet;
    body = {{"type", "read"}, {"key", key}};
  } else if (kind == LinKvKind::kWrite) {
    op.kind = OpKind::kSet;
    op.argument = Json(a).dump();
    body = {{"type", "write"}, {"key", key}, {"value", a}};
  } else {
    op.kind = OpKind::kSet;  // with `expected`: a compare-and-set
    op.expected = Json(a).dump();
    op.argument = Json(b).dump();
    body = {{"type", "cas"}, {"key", key}, {"from", a}, {"to", b}};
  }
  Reply reply = call(index, std::move(body));
  op.complete_ns = world_->now();
  bool answered = reply.outcome == Outcome::kOk;
  if (op.kind == OpKind::kGet) {
    // A read never changes anything, so an unanswered one is simply failed. A read of a
    // missing key (error 20) observed nil, which the model checks too.
    if (reply.outcome == Outcome::kOk) {
      op.outcome = OpOutcome::kOk;
      op.value = reply.body["value"].dump();
    } else if (reply.outcome == Outcome::kFailed && reply.body.value("code", 0) == 20) {
      op.outcome = OpOutcome::kOk;
      answered = true;
    } else {
      op.outcome = OpOutcome::kFailed;
    }
  } else {
    op.outcome = as_op_outcome(reply.outcome);
    // A cas refused by its precondition (22) or a missing key (20) was served too.
    if (reply.outcome == Outcome::kFailed) {
      const std::int64_t code = reply.body.value("code", std::int64_t{-1});
      if (code == 20 || code == 22) answered = true;
    }
  }
  if (answered) {
    ++lin_kv_served_;
  } else if (reply.outcome == Outcome::kUnknown) {
    ++lin_kv_indefinite_;
  } else {
    ++lin_kv_refused_;
  }
  lin_kv_history_.ops.push_back(std::move(op));
  return answered;
}

void MaelstromWorkload::lin_kv_liveness(std::size_t index) {
  // After the heal every process is up and a majority connected: a leader must exist, and a
  // write and a read from each client must be served within the bound.
  const Nanos deadline = world_->now() + kLinKvLivenessBoundNs;
  const std::int64_t key = static_cast<std::int64_t>(index % config_.key_count);
  bool wrote = false;
  bool read = false;
  while (!(wrote && read) && world_->now() < deadline && !node_->stopping()) {
    if (!wrote) {
      wrote =
          lin_kv_operation(index, LinKvKind::kWrite, key, static_cast<std::int64_t>(index % 5), 0);
    } else {
      read = lin_kv_operation(index, LinKvKind::kRead, key, 0, 0);
    }
    if (!(wrote && read)) node_->sleep_for(50 * kNanosPerMilli);
  }
  if (!(wrote && read)) {
    violations_.push_back({"liveness", "client " + clients_[index].id + " got no " +
                                           (wrote ? "read" : "write") + " served by " +
                                           cluster_->node_ids()[clients_[index].node] + " within " +
                                           std::to_string(kLinKvLivenessBoundNs / kNanosPerMilli) +
                                           " ms after the heal"});
  }
}

SetRead MaelstromWorkload::set_read(const Reply& reply, Nanos invoke) const {
  const Json& elements = reply.body[config_.workload == "broadcast" ? "messages" : "value"];
  SetRead read;
  read.invoke_ns = invoke;
  read.complete_ns = world_->now();
  for (const Json& element : elements) read.elements.push_back(element.get<std::int64_t>());
  std::sort(read.elements.begin(), read.elements.end());
  return read;
}

void MaelstromWorkload::final_read(std::size_t index) {
  const std::string& workload = config_.workload;
  if (workload == "echo") return;  // no final phase, as in Maelstrom
  if (workload == "lin-kv") {
    lin_kv_liveness(index);
    return;
  }
  // A few attempts: the convergence check needs an answer from every node.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Nanos invoke = world_->now();
    if (attempt > 0) node_->sleep_for(200 * kNanosPerMilli);
    Reply reply = call(index, {{"type", "read"}});
    if (reply.outcome != Outcome::kOk) continue;
    const bool is_set = workload == "g-set" || workload == "broadcast";
    if (is_set) {
      SetRead read = set_read(reply, invoke);
      final_reads_.emplace_back(clients_[index].node, Json(read.elements).dump());
      set_history_.reads.push_back(std::move(read));
    } else {
      const std::int64_t value = reply.body["value"].get<std::int64_t>();
      counter_final_reads_.push_back(
          {value, static_cast<std::uint32_t>(index), invoke, world_->now()});
      final_reads_.emplace_back(clients_[index].node, std::to_string(value));
    }
    return;
  }
  violations_.push_back({"liveness", "client " + clients_[index].id + " got no final read from " +
                                         cluster_->node_ids()[clients_[index].node]});
}

std::string MaelstromWorkload::summary() const {
  if (config_.workload != "lin-kv") return "";
  const std::uint64_t ops = lin_kv_served_ + lin_kv_refused_ + lin_kv_indefinite_;
  char per_op[32];
  std::snprintf(
      per_op, sizeof per_op, "%.1f",
      ops == 0 ? 0.0 : static_cast<double>(cluster_->peer_messages()) / static_cast<double>(ops));
  return "served=" + std::to_string(lin_kv_served_) +
         " refused=" + std::to_string(lin_kv_refused_) +
         " indefinite=" + std::to_string(lin_kv_indefinite_) + " messages_per_op=" + per_op;
}

std::vector<Violation> MaelstromWorkload::check() const {
  std::vector<Violation> violations = violations_;
  const std::string& workload = config_.workload;
  if (workload == "lin-kv") {
    const LinearizabilityResult result = check_linearizable(lin_kv_history_);
    linearizability_inconclusive_ = result.exhausted;
    if (result.ok && result.exhausted) {
      // Out of budget: unknown, which is no pass.
      violations.push_back(
          {"linearizability-unknown", "inconclusive: the search ran out of budget"});
    } else if (!result.ok) {
      violations.push_back({"linearizability", "key " + result.key + ":\n" + result.explanation});
    }
  } else if (workload == "g-set" || workload == "broadcast") {
    const SetFullResult result = check_set_full(set_history_);
    if (result.verdict == SetVerdict::kInvalid) {
      violations.push_back({"set-full", result.explanation});
    }
  } else if (workload == "g-counter" || workload == "pn-counter") {
    const CounterBoundsResult result = check_counter_bounds(counter_adds_, counter_final_reads_);
    if (!result.ok) violations.push_back({"counter", result.explanation});
  }
  // Convergence: after the heal and the wait, all final reads agree.
  for (const auto& [node, value] : final_reads_) {
    if (value != final_reads_.front().second) {
      violations.push_back(
          {"convergence", cluster_->node_ids()[final_reads_.front().first] + " read " +
                              final_reads_.front().second.substr(0, 300) + " but " +
                              cluster_->node_ids()[node] + " read " + value.substr(0, 300)});
      break;
    }
  }
  return violations;
}

}  // namespace eddy::sim
