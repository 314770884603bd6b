#include "maelstrom/runner/runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/rng.h"
#include "maelstrom/runner/checks.h"
#include "maelstrom/runner/history_log.h"
#include "maelstrom/runner/node_process.h"
#include "maelstrom/runner/partition.h"
#include "maelstrom/runner/report.h"
#include "maelstrom/runner/topology.h"
#include "maelstrom/runner/workload.h"

namespace eddy::maelstrom::runner {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kInitTimeoutNs = 10 * kNsPerSecond;   // Maelstrom's init rpc timeout
constexpr std::int64_t kSetupTimeoutNs = 5 * kNsPerSecond;   // client rpc default timeout
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

std::string clip(const std::string& text, std::size_t limit = 200) {
  if (text.size() <= limit) return text;
  return text.substr(0, limit) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string seconds_text(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f s", static_cast<double>(ns) / 1e9);
  return buffer;
}

enum class Phase { kInit, kSetup, kMain, kDrain, kRecovery, kFinal, kDone };

struct Request {
  OpRequest op;
  std::int64_t msg_id = 0;
  std::uint64_t invoke_index = 0;
  std::uint64_t serial = 0;  // matches its timeout timer
};

struct Thread {
  int index = 0;
  std::size_t node = 0;
  std::uint32_t process = 0;
  std::string client_id;
  bool client_open = false;
  std::int64_t next_msg_id = 0;
  std::optional<Request> current;
  bool final_done = false;
  std::int64_t setup_msg_id = -1;  // broadcast: the topology rpc
  bool setup_done = false;
};

// Who a client id belongs to.
struct Endpoint {
  bool init_client = false;  // else a worker thread's client
  std::size_t index = 0;     // node (init clients) or thread
};

enum class TimerKind : std::uint8_t { kDeliver, kRequestTimeout };

struct Timer {
  std::int64_t at = 0;  // runner clock, ns
  std::uint64_t seq = 0;
  TimerKind kind = TimerKind::kDeliver;
  std::uint64_t ref = 0;  // message id or request serial
  bool operator>(const Timer& other) const {
    return at != other.at ? at > other.at : seq > other.seq;
  }
};

struct InFlight {
  std::size_t src = 0;
  std::size_t dest = 0;
  std::string line;
};

class Runner {
 public:
  explicit Runner(const Options& options)
      : options_(options),
        start_(Clock::now()),
        rng_(options.seed),
        generator_rng_(rng_.split()),
        net_rng_(rng_.split()),
        nemesis_rng_(rng_.split()),
        pick_rng_(rng_.split()),
        generator_(options, generator_rng_.split()) {
    run_.options = options;
  }

  int run();

 private:
  // Clocks: `now()` is the runner clock since start; history times count from the workload's
  // start and strictly increase.
  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  std::int64_t workload_time() const { return now() - main_start_; }
  std::int64_t stamp() {
    last_stamp_ = std::max(last_stamp_ + 1, workload_time());
    return last_stamp_;
  }

  bool setup_results(std::string* error);
  bool spawn_nodes(std::string* error);
  void loop();
  void advance();
  std::int64_t next_wake() const;
  void run_due_timers();
  void service_nodes(const std::vector<pollfd>& fds, const std::vector<std::size_t>& owners);
  void flush_nodes();

  // Network.
  void on_node_line(std::size_t node, const std::string& line);
  void send_to_node(std::size_t dest, const std::string& src, const json& body,
                    std::uint64_t id);
  void deliver(std::uint64_t id);
  std::int64_t draw_latency();
  void log_net(const char* event, const std::string& line);
  void count(NetCounts& c, bool send, bool recv, bool new_message);
  void count_message(bool client, bool send, bool recv, bool new_message);

  // Clients.
  std::string new_client_id() { return "c" + std::to_string(next_client_id_++); }
  void open_client(Thread& thread);
  void retire_client(Thread& thread);
  void client_send(Thread& thread, json body, std::int64_t* msg_id);
  void on_client_message(const Endpoint& endpoint, const std::string& dest, const json& body);
  void issue(Thread& thread, OpRequest op);
  void complete(Thread& thread, const Outcome& outcome);
  bool any_busy() const;

  // Phases.
  void send_inits();
  void start_setup();
  void start_main();
  void nemesis_step(std::int64_t scheduled);
  void heal(const char* why);
  void abort_run(Verdict verdict, const std::string& reason);
  void node_gone(std::size_t node, const std::string& how);

  void teardown();

  Options options_;
  Clock::time_point start_;
  Rng rng_;
  Rng generator_rng_;
  Rng net_rng_;
  Rng nemesis_rng_;
  Rng pick_rng_;
  OpGenerator generator_;
  RunData run_;

  std::vector<std::string> node_ids_;
  std::unordered_map<std::string, std::size_t> node_index_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<bool> node_dead_;
  std::vector<bool> init_done_;
  std::unordered_map<std::string, Endpoint> clients_;
  std::vector<Thread> threads_;
  std::int64_t next_client_id_ = 0;

  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::uint64_t timer_seq_ = 0;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::uint64_t next_message_id_ = 0;
  std::uint64_t next_request_serial_ = 0;
  Grudge grudge_;
  std::ofstream net_log_;

  Phase phase_ = Phase::kInit;
  std::int64_t phase_deadline_ = kNever;  // runner clock: init and setup time limits
  bool main_started_ = false;
  std::int64_t main_start_ = 0;           // runner clock
  std::int64_t last_stamp_ = -1;
  std::int64_t time_limit_ns_ = 0;  // workload clock
  std::int64_t next_op_ns_ = 0;     // workload clock: the stagger's next op time
  std::int64_t free_since_ns_ = 0;  // workload clock: when a thread last became free after none was
  std::size_t free_threads_ = 0;
  std::int64_t next_nemesis_ns_ = kNever;
  bool nemesis_partitioned_ = false;
  std::int64_t recovery_end_ns_ = 0;  // workload clock
  std::int64_t timeout_ns_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Setup

bool Runner::setup_results(std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(options_.results_dir + "/node-logs", ec);
  if (ec) {
    *error = "cannot create " + options_.results_dir + ": " + ec.message();
    return false;
  }
  if (!options_.results_given) {
    // store/<workload>/latest -> this run
    const std::filesystem::path dir(options_.results_dir);
    const std::filesystem::path latest = dir.parent_path() / "latest";
    std::filesystem::remove(latest, ec);
    std::filesystem::create_directory_symlink(dir.filename(), latest, ec);
  }
  if (options_.log_net) {
    net_log_.open(options_.results_dir + "/net.jsonl");
    if (!net_log_) {
      *error = "cannot write " + options_.results_dir + "/net.jsonl";
      return false;
    }
  }
  return true;
}

bool Runner::spawn_nodes(std::string* error) {
  for (int i = 0; i < options_.node_count; ++i) {
    node_ids_.push_back("n" + std::to_string(i));
    node_index_[node_ids_.back()] = static_cast<std::size_t>(i);
  }
  run_.nodes = node_ids_;
  node_dead_.assign(node_ids_.size(), false);
  init_done_.assign(node_ids_.size(), false);
  for (const std::string& id : node_ids_) {
    auto process = std::make_unique<NodeProcess>();
    if (!process->start(options_.bin_path, options_.bin_args, "/tmp",
                        options_.results_dir + "/node-logs/" + id + ".log", error)) {
      *error = "cannot start " + id + ": " + *error;
      return false;
    }
    nodes_.push_back(std::move(process));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Network

void Runner::count(NetCounts& c, bool send, bool recv, bool new_message) {
  if (send) ++c.send_count;
  if (recv) ++c.recv_count;
  if (new_message) ++c.msg_count;
}

void Runner::count_message(bool client, bool send, bool recv, bool new_message) {
  count(run_.net.all, send, recv, new_message);
  count(client ? run_.net.clients : run_.net.servers, send, recv, new_message);
}

void Runner::log_net(const char* event, const std::string& line) {
  if (!net_log_.is_open()) return;
  net_log_ << "{\"time\":" << now() << ",\"event\":\"" << event << "\",\"message\":" << line
           << "}\n";
}

std::int64_t Runner::draw_latency() {
  const double mean_ns = options_.latency_ms * 1e6;
  if (mean_ns <= 0) return 0;
  switch (options_.latency_dist) {
    case LatencyDist::kConstant:
      return static_cast<std::int64_t>(mean_ns);
    case LatencyDist::kUniform:
      return static_cast<std::int64_t>(net_rng_.unit() * 2 * mean_ns);
    case LatencyDist::kExponential:
      return static_cast<std::int64_t>(-mean_ns * std::log(1.0 - net_rng_.unit()));
  }
  return 0;
}

// An envelope as Maelstrom delivers it: with its own integer id.
std::string envelope(std::uint64_t id, const std::string& src, const std::string& dest,
                     const json& body) {
  json message = {{"id", id}, {"src", src}, {"dest", dest}, {"body", body}};
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Runner::send_to_node(std::size_t dest, const std::string& src, const json& body,
                          std::uint64_t id) {
  const std::string line = envelope(id, src, node_ids_[dest], body);
  log_net("send", line);
  log_net("recv", line);
  count_message(true, true, true, true);
  nodes_[dest]->send_line(line);
}

void Runner::on_node_line(std::size_t from, const std::string& line) {
  if (phase_ == Phase::kDone) return;
  const std::string& who = node_ids_[from];
  json message = json::parse(line, nullptr, false);
  if (message.is_discarded()) {
    abort_run(Verdict::kInvalid, "node " + who + " printed a line that is not JSON: " + clip(line));
    return;
  }
  if (!message.is_object() || !message.contains("src") || !message["src"].is_string() ||
      !message.contains("dest") || !message["dest"].is_string() || !message.contains("body")) {
    abort_run(Verdict::kInvalid,
              "node " + who + " printed a message without string src and dest and a body: " +
                  clip(line));
    return;
  }
  const std::string src = message["src"].get<std::string>();
  const std::string dest = message["dest"].get<std::string>();
  const auto src_node = node_index_.find(src);
  if (src_node == node_index_.end()) {
    abort_run(Verdict::kInvalid, "node " + who + " sent a message with unknown src \"" + src +
                                     "\": " + clip(line));
    return;
  }
  const std::uint64_t id = next_message_id_++;
  if (const auto to_node = node_index_.find(dest); to_node != node_index_.end()) {
    const std::string text = envelope(id, src, dest, message["body"]);
    log_net("send", text);
    count_message(false, true, false, true);
    in_flight_[id] = InFlight{src_node->second, to_node->second, text};
    timers_.push(Timer{now() + draw_latency(), timer_seq_++, TimerKind::kDeliver, id});
    return;
  }
  const auto client = clients_.find(dest);
  if (client == clients_.end()) {
    abort_run(Verdict::kInvalid, "node " + who + " sent a message to unknown dest \"" + dest +
                                     "\" (no such node or open client): " + clip(line));
    return;
  }
  if (net_log_.is_open()) {
    const std::string text = envelope(id, src, dest, message["body"]);
    log_net("send", text);
    log_net("recv", text);
  }
  count_message(true, true, true, true);
  const Endpoint endpoint = client->second;
  on_client_message(endpoint, dest, message["body"]);
}

void Runner::deliver(std::uint64_t id) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  if (phase_ == Phase::kDone || node_dead_[flight.dest]) return;
  // The receiver drops messages from senders it holds a grudge against, at dequeue.
  if (grudge_.dropping(flight.dest, flight.src)) {
    ++run_.net.dropped;
    log_net("drop", flight.line);
    return;
  }
  log_net("recv", flight.line);
  count_message(false, false, true, false);
  nodes_[flight.dest]->send_line(flight.line);
}

// ---------------------------------------------------------------------------------------------
// Clients

void Runner::open_client(Thread& thread) {
  thread.client_id = new_client_id();
  thread.client_open = true;
  thread.next_msg_id = 0;
  clients_[thread.client_id] = Endpoint{false, static_cast<std::size_t>(thread.index)};
}

void Runner::retire_client(Thread& thread) {
  clients_.erase(thread.client_id);
  thread.client_open = false;
}

void Runner::client_send(Thread& thread, json body, std::int64_t* msg_id) {
  *msg_id = ++thread.next_msg_id;
  body["msg_id"] = *msg_id;
  send_to_node(thread.node, thread.client_id, body, next_message_id_++);
}

bool Runner::any_busy() const {
  return std::any_of(threads_.begin(), threads_.end(),
                     [](const Thread& t) { return t.current.has_value(); });
}

void Runner::issue(Thread& thread, OpRequest op) {
  if (!thread.client_open) open_client(thread);
  Event invoke;
  invoke.index = run_.history.events.size();
  invoke.time_ns = stamp();
  invoke.type = EventType::kInvoke;
  invoke.process = thread.process;
  invoke.thread = static_cast<std::uint32_t>(thread.index);
  invoke.f = op.f;
  invoke.value = op.value;
  invoke.final_read = op.final_read;
  run_.history.events.push_back(invoke);

  Request request;
  request.invoke_index = invoke.index;
  request.serial = next_request_serial_++;
  client_send(thread, op.body, &request.msg_id);
  request.op = std::move(op);
  timers_.push(Timer{now() + timeout_ns_, timer_seq_++, TimerKind::kRequestTimeout,
                     request.serial});
  thread.current = std::move(request);
  --free_threads_;
}

void Runner::complete(Thread& thread, const Outcome& outcome) {
  const Request& request = *thread.current;
  Event done;
  done.index = run_.history.events.size();
  done.time_ns = stamp();
  done.type = outcome.type;
  done.process = thread.process;
  done.thread = static_cast<std::uint32_t>(thread.index);
  done.f = request.op.f;
  done.value = outcome.value;
  done.error = outcome.error;
  done.final_read = request.op.final_read;
  done.invoke_index = static_cast<std::int64_t>(request.invoke_index);
  run_.history.events.push_back(done);
  if (outcome.malformed) {
    run_.exceptions.push_back("process " + std::to_string(thread.process) + " " + request.op.f +
                              ": " + outcome.error.dump());
  }
  if (request.op.final_read) thread.final_done = true;
  if (outcome.type == EventType::kInfo) {
    // The process crashed: the thread continues as a new process, and a client that cannot
    // be reused is closed (its id leaves the network).
    thread.process += static_cast<std::uint32_t>(options_.concurrency);
    if (!client_reusable(options_.workload)) retire_client(thread);
  }
  thread.current.reset();
  if (free_threads_++ == 0 && phase_ == Phase::kMain) free_since_ns_ = workload_time();
}

void Runner::on_client_message(const Endpoint& endpoint, const std::string& dest,
                               const json& body) {
  if (!body.is_object()) return;
  const auto reply_to = body.find("in_reply_to");
  if (reply_to == body.end() || !reply_to->is_number_integer()) return;  // clients only take replies
  const std::int64_t in_reply_to = reply_to->get<std::int64_t>();
  if (endpoint.init_client) {
    const std::size_t node = endpoint.index;
    if (in_reply_to != 1 || init_done_[node]) return;
    if (body.value("type", json()) != "init_ok") {
      abort_run(Verdict::kUnknown,
                "node " + node_ids_[node] + " answered init with " + clip(body.dump()));
      return;
    }
    init_done_[node] = true;
    clients_.erase(dest);  // the init client is closed once answered
    return;
  }
  Thread& thread = threads_[endpoint.index];
  if (phase_ == Phase::kSetup && !thread.setup_done && in_reply_to == thread.setup_msg_id) {
    const std::string problem = check_simple_reply(body, "topology_ok");
    if (!problem.empty()) {
      abort_run(Verdict::kUnknown, "node " + node_ids_[thread.node] +
                                       " answered topology with a bad reply (" + problem +
                                       "): " + clip(body.dump()));
      return;
    }
    thread.setup_done = true;
    return;
  }
  if (!thread.current || in_reply_to != thread.current->msg_id) return;  // late: discarded
  complete(thread, interpret_reply(options_.workload, thread.current->op, body));
}

// ---------------------------------------------------------------------------------------------
// Phases

void Runner::send_inits() {
  json ids = node_ids_;
  for (std::size_t i = 0; i < node_ids_.size(); ++i) {
    const std::string client = new_client_id();
    clients_[client] = Endpoint{true, i};
    const json body = {{"type", "init"}, {"msg_id", 1}, {"node_id", node_ids_[i]}, {"node_ids", ids}};
    send_to_node(i, client, body, next_message_id_++);
  }
  phase_ = Phase::kInit;
  phase_deadline_ = now() + kInitTimeoutNs;
}

void Runner::start_setup() {
  threads_.resize(static_cast<std::size_t>(options_.concurrency));
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    Thread& t = threads_[i];
    t.index = static_cast<int>(i);
    t.node = i % node_ids_.size();
    t.process = static_cast<std::uint32_t>(i);
    open_client(t);
  }
  free_threads_ = threads_.size();
  if (options_.workload != Workload::kBroadcast) {
    start_main();
    return;
  }
  // Each worker's client sends the topology to its node (Maelstrom's client setup!).
  json topology = json::object();
  for (const auto& [node, neighbours] : make_topology(options_.topology, node_ids_)) {
    topology[node] = neighbours;
  }
  for (Thread& t : threads_) {
    client_send(t, {{"type", "topology"}, {"topology", topology}}, &t.setup_msg_id);
  }
  phase_ = Phase::kSetup;
  phase_deadline_ = now() + kSetupTimeoutNs;
}

void Runner::start_main() {
  phase_ = Phase::kMain;
  phase_deadline_ = kNever;
  main_started_ = true;
  main_start_ = now();
  last_stamp_ = -1;
  time_limit_ns_ = static_cast<std::int64_t>(options_.time_limit_s * 1e9);
  next_op_ns_ = 0;
  free_since_ns_ = 0;
  next_nemesis_ns_ = options_.nemesis_partition ? 0 : kNever;
  std::fprintf(stderr, "eddy-maelstrom-runner: running %s for %.1f s\n",
               std::string(workload_name(options_.workload)).c_str(), options_.time_limit_s);
}

void Runner::nemesis_step(std::int64_t scheduled) {
  Event invoke;
  invoke.nemesis = true;
  invoke.type = EventType::kInfo;
  invoke.index = run_.history.events.size();
  invoke.time_ns = stamp();
  if (!nemesis_partitioned_) {
    const PartitionKind kind = kPartitionKinds[nemesis_rng_.below(std::size(kPartitionKinds))];
    grudge_ = make_grudge(kind, node_ids_.size(), nemesis_rng_);
    nemesis_partitioned_ = true;
    invoke.f = "start-partition";
    invoke.value = ":" + std::string(partition_kind_name(kind));
    run_.history.events.push_back(invoke);
    Event done = invoke;
    done.index = run_.history.events.size();
    done.time_ns = stamp();
    done.value = "[:isolated " + json_to_edn(json::parse(grudge_.to_json(node_ids_))) + "]";
    run_.history.events.push_back(done);
    run_.nemesis_lines.push_back(seconds_text(invoke.time_ns) + " start-partition " +
                                 std::string(partition_kind_name(kind)) + ": " +
                                 grudge_.describe(node_ids_));
  } else {
    heal(nullptr);
  }
  next_nemesis_ns_ = scheduled + static_cast<std::int64_t>(
                                     nemesis_rng_.unit() * 2 * options_.nemesis_interval_s * 1e9);
}

void Runner::heal(const char* why) {
  Event invoke;
  invoke.nemesis = true;
  invoke.type = EventType::kInfo;
  invoke.index = run_.history.events.size();
  invoke.time_ns = stamp();
  invoke.f = "stop-partition";
  invoke.value = "nil";
  run_.history.events.push_back(invoke);
  Event done = invoke;
  done.index = run_.history.events.size();
  done.time_ns = stamp();
  done.value = ":network-healed";
  run_.history.events.push_back(done);
  grudge_ = Grudge{};
  nemesis_partitioned_ = false;
  run_.nemesis_lines.push_back(seconds_text(invoke.time_ns) + " stop-partition" +
                               (why != nullptr ? std::string(" (") + why + ")" : std::string()));
}

void Runner::abort_run(Verdict verdict, const std::string& reason) {
  if (run_.aborted) return;
  run_.aborted = true;
  run_.abort_verdict = verdict;
  run_.abort_reason = reason;
  phase_ = Phase::kDone;
  std::fprintf(stderr, "eddy-maelstrom-runner: %s\n", reason.c_str());
}

void Runner::node_gone(std::size_t node, const std::string& how) {
  if (node_dead_[node]) return;
  node_dead_[node] = true;
  if (phase_ == Phase::kDone) return;
  std::string detail = how;
  std::string status;
  for (int i = 0; i < 20 && !nodes_[node]->poll_exit(&status); ++i) ::usleep(5000);
  if (!status.empty()) detail += " (" + status + ")";
  run_.crashed.push_back(node_ids_[node] + " " + detail);
  abort_run(Verdict::kInvalid, "node " + node_ids_[node] + " crashed: " + detail);
}

// Decides what happens next given the time; issues operations.
void Runner::advance() {
  switch (phase_) {
    case Phase::kInit:
      if (std::all_of(init_done_.begin(), init_done_.end(), [](bool b) { return b; })) {
        start_setup();
      } else if (now() >= phase_deadline_) {
        std::string missing;
        for (std::size_t i = 0; i < init_done_.size(); ++i) {
          if (!init_done_[i]) missing += (missing.empty() ? "" : ", ") + node_ids_[i];
        }
        abort_run(Verdict::kUnknown, "no init_ok within 10 s from " + missing);
      }
      return;
    case Phase::kSetup:
      if (std::all_of(threads_.begin(), threads_.end(),
                      [](const Thread& t) { return t.setup_done; })) {
        start_main();
      } else if (now() >= phase_deadline_) {
        abort_run(Verdict::kUnknown, "no topology_ok within 5 s");
      }
      return;
    case Phase::kMain: {
      const std::int64_t t = workload_time();
      while (next_nemesis_ns_ <= t && next_nemesis_ns_ < time_limit_ns_) {
        nemesis_step(next_nemesis_ns_);
      }
      if (t >= time_limit_ns_) {
        phase_ = Phase::kDrain;
        advance();
        return;
      }
      if (options_.rate <= 0) return;
      // Jepsen's stagger over the whole generator: op times are spaced uniformly in
      // 0..2/rate apart, and an op waits for a free thread.
      while (free_threads_ > 0 && next_op_ns_ <= t && next_op_ns_ < time_limit_ns_) {
        const std::int64_t scheduled = std::max(next_op_ns_, free_since_ns_);
        std::size_t pick = pick_rng_.below(free_threads_);
        for (Thread& th : threads_) {
          if (th.current) continue;
          if (pick-- == 0) {
            if (!th.client_open) open_client(th);
            issue(th, generator_.next(th.index, th.process));
            break;
          }
        }
        next_op_ns_ =
            scheduled + static_cast<std::int64_t>(pick_rng_.unit() * 2.0 / options_.rate * 1e9);
        if (phase_ != Phase::kMain) return;
      }
      return;
    }
    case Phase::kDrain:
      if (any_busy()) return;
      if (!has_final_reads(options_.workload)) {
        phase_ = Phase::kDone;
        return;
      }
      if (options_.nemesis_partition) heal("final");
      std::fprintf(stderr, "eddy-maelstrom-runner: Waiting for recovery... (%.1f s)\n",
                   options_.recovery_time_s);
      recovery_end_ns_ = workload_time() + static_cast<std::int64_t>(options_.recovery_time_s * 1e9);
      phase_ = Phase::kRecovery;
      return;
    case Phase::kRecovery:
      if (workload_time() < recovery_end_ns_) return;
      phase_ = Phase::kFinal;
      for (Thread& th : threads_) issue(th, generator_.final_read());
      return;
    case Phase::kFinal:
      if (std::all_of(threads_.begin(), threads_.end(),
                      [](const Thread& th) { return th.final_done; })) {
        phase_ = Phase::kDone;
      }
      return;
    case Phase::kDone:
      return;
  }
}

// Runner-clock time of the next thing that will happen without input.
std::int64_t Runner::next_wake() const {
  std::int64_t wake = timers_.empty() ? kNever : timers_.top().at;
  switch (phase_) {
    case Phase::kInit:
    case Phase::kSetup:
      wake = std::min(wake, phase_deadline_);
      break;
    case Phase::kMain: {
      std::int64_t next = time_limit_ns_;
      if (next_nemesis_ns_ < next) next = next_nemesis_ns_;
      if (options_.rate > 0 && free_threads_ > 0 && next_op_ns_ < next) next = next_op_ns_;
      wake = std::min(wake, main_start_ + next);
      break;
    }
    case Phase::kRecovery:
      wake = std::min(wake, main_start_ + recovery_end_ns_);
      break;
    default:
      break;
  }
  return wake;
}

void Runner::run_due_timers() {
  const std::int64_t t = now();
  while (!timers_.empty() && timers_.top().at <= t && phase_ != Phase::kDone) {
    const Timer timer = timers_.top();
    timers_.pop();
    if (timer.kind == TimerKind::kDeliver) {
      deliver(timer.ref);
      continue;
    }
    for (Thread& th : threads_) {
      if (th.current && th.current->serial == timer.ref) {
        complete(th, interpret_timeout(options_.workload, th.current->op));
        break;
      }
    }
  }
}

void Runner::service_nodes(const std::vector<pollfd>& fds, const std::vector<std::size_t>& owners) {
  for (std::size_t k = 0; k < fds.size() && phase_ != Phase::kDone; ++k) {
    const std::size_t node = owners[k];
    NodeProcess& process = *nodes_[node];
    if (fds[k].fd == process.stdout_fd() && (fds[k].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::vector<std::string> lines;
      const NodeProcess::ReadStatus status = process.read_lines(&lines);
      for (const std::string& line : lines) {
        on_node_line(node, line);
        if (phase_ == Phase::kDone) return;
      }
      if (status != NodeProcess::ReadStatus::kOk) node_gone(node, "closed its stdout");
    }
  }
}

void Runner::flush_nodes() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (node_dead_[i] || !nodes_[i]->wants_write()) continue;
    if (!nodes_[i]->flush()) node_gone(i, "closed its stdin");
  }
}

void Runner::loop() {
  std::vector<pollfd> fds;
  std::vector<std::size_t> owners;
  while (phase_ != Phase::kDone) {
    if (g_interrupted != 0) {
      abort_run(Verdict::kUnknown, "interrupted");
      break;
    }
    run_due_timers();
    advance();
    flush_nodes();
    if (phase_ == Phase::kDone) break;

    fds.clear();
    owners.clear();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (node_dead_[i]) continue;
      if (nodes_[i]->stdout_fd() >= 0) {
        fds.push_back(pollfd{nodes_[i]->stdout_fd(), POLLIN, 0});
        owners.push_back(i);
      }
      if (nodes_[i]->wants_write()) {
        fds.push_back(pollfd{nodes_[i]->stdin_fd(), POLLOUT, 0});
        owners.push_back(i);
      }
    }
    const std::int64_t wake = next_wake();
    const std::int64_t wait_ns = std::clamp<std::int64_t>(wake - now(), 0, 100'000'000);
    timespec timeout{static_cast<time_t>(wait_ns / kNsPerSecond),
                     static_cast<long>(wait_ns % kNsPerSecond)};
    const int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (ready > 0) service_nodes(fds, owners);
  }
}

void Runner::teardown() {
  // Nodes that ended on their own before teardown crashed.
  if (!run_.aborted) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      std::string how;
      if (!node_dead_[i] && nodes_[i]->poll_exit(&how)) {
        node_dead_[i] = true;
        run_.crashed.push_back(node_ids_[i] + " " + how);
      }
    }
  }
  for (auto& node : nodes_) node->kill_and_reap();
  // Operations still waiting when the run stopped early never completed: info.
  for (Thread& th : threads_) {
    if (!th.current) continue;
    Outcome o;
    o.type = EventType::kInfo;
    o.value = th.current->op.value;
    o.error = "aborted";
    complete(th, o);
  }
}

int Runner::run() {
  std::string error;
  timeout_ns_ = request_timeout_ns(options_);
  if (!setup_results(&error)) {
    std::fprintf(stderr, "eddy-maelstrom-runner: %s\n", error.c_str());
    return 2;
  }
  std::fprintf(stderr, "eddy-maelstrom-runner: %s, %d nodes, seed %llu, results in %s\n",
               std::string(workload_name(options_.workload)).c_str(), options_.node_count,
               static_cast<unsigned long long>(options_.seed), options_.results_dir.c_str());

  struct sigaction action{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (!spawn_nodes(&error)) {
    abort_run(Verdict::kUnknown, error);
  } else {
    send_inits();
    loop();
  }
  teardown();
  run_.wall_seconds = static_cast<double>(now()) / 1e9;

  // Judge what happened, unless the workload never started.
  if (main_started_) {
    run_.check = check_history(options_, run_.history);
    run_.checked = true;
  }
  const std::string summary = write_results(run_, &error);
  if (!error.empty()) std::fprintf(stderr, "eddy-maelstrom-runner: %s\n", error.c_str());
  std::fputs(summary.c_str(), stdout);
  std::fflush(stdout);
  switch (final_verdict(run_).verdict) {
    case Verdict::kValid:
      return 0;
    case Verdict::kInvalid:
      return 1;
    case Verdict::kUnknown:
      return 2;
  }
  return 2;
}

}  // namespace

int run_test(const Options& options) {
  Runner runner(options);
  return runner.run();
}

}  // namespace eddy::maelstrom::runner
