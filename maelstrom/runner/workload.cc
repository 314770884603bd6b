#include "maelstrom/runner/workload.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "maelstrom/message.h"

namespace eddy::maelstrom::runner {

namespace {

using json = nlohmann::json;

constexpr std::size_t kProcessesPerKey = 20;  // Jepsen's linearizable-register per-key-limit

// Maelstrom's definite error codes (protocol doc §4), as the node itself defines them.
bool definite_code(const json& code) {
  return code.is_number_integer() && maelstrom::is_definite_error(code.get<std::int64_t>());
}

using FieldCheck = std::function<bool(const json&)>;

bool any_value(const json&) {
  return true;
}
bool is_array(const json& v) {
  return v.is_array();
}
bool is_int(const json& v) {
  return v.is_number_integer();
}

// Empty if `body` is exactly {type, in_reply_to, [msg_id], fields...}, else what is wrong.
std::string check_schema(const json& body, const std::string& type,
                         const std::map<std::string, FieldCheck>& fields) {
  if (!body.is_object()) return "the body is not an object";
  const auto t = body.find("type");
  if (t == body.end() || !t->is_string() || t->get<std::string>() != type) {
    return "expected type \"" + type + "\"";
  }
  const auto reply_to = body.find("in_reply_to");
  if (reply_to == body.end() || !reply_to->is_number_integer()) {
    return "in_reply_to must be an integer";
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "type" || key == "in_reply_to") continue;
    if (key == "msg_id") {
      if (!value.is_number_integer()) return "msg_id must be an integer";
      continue;
    }
    const auto check = fields.find(key);
    if (check == fields.end()) return "unexpected key \"" + key + "\"";
    if (!check->second(value)) return "wrong type for \"" + key + "\"";
  }
  for (const auto& [key, check] : fields) {
    if (!body.contains(key)) return "missing key \"" + key + "\"";
  }
  return "";
}

Outcome malformed(const OpRequest& request, const std::string& why) {
  Outcome o;
  o.type = EventType::kInfo;
  o.value = request.value;
  o.error = json::array({"malformed-rpc-response", why});
  o.malformed = true;
  return o;
}

// The workload's expected ok reply for a request.
std::string expected_ok(const OpRequest& request, std::map<std::string, FieldCheck>* fields,
                        Workload workload) {
  const std::string type = request.body["type"].get<std::string>();
  if (type == "echo") {
    (*fields)["echo"] = any_value;
  } else if (type == "read") {
    if (workload == Workload::kLinKv) {
      (*fields)["value"] = any_value;
    } else if (workload == Workload::kBroadcast) {
      (*fields)["messages"] = is_array;
    } else if (workload == Workload::kGSet) {
      (*fields)["value"] = is_array;
    } else {
      (*fields)["value"] = is_int;
    }
  }
  return type + "_ok";
}

// Read-only requests fail on any error or timeout (lin-kv and broadcast reads).
bool read_only(Workload workload, const OpRequest& request) {
  return (workload == Workload::kLinKv || workload == Workload::kBroadcast) && request.f == "read";
}

// Clients that interpret errors at all (lin-kv, broadcast); the others make everything info.
bool interprets_errors(Workload workload) {
  return workload == Workload::kLinKv || workload == Workload::kBroadcast;
}

}  // namespace

OpGenerator::OpGenerator(const Options& options, Rng rng) : options_(options), rng_(rng) {
  if (options_.workload == Workload::kLinKv) {
    const int group_size = 2 * options_.node_count;
    const int count = options_.concurrency / group_size;
    for (int g = 0; g < count; ++g) {
      KeyGroup group;
      group.key = next_key_++;
      groups_.push_back(group);
    }
  }
}

OpRequest OpGenerator::next(int thread, std::uint32_t process) {
  OpRequest op;
  const bool add = rng_.below(2) == 0;  // gen/mix of two generators
  switch (options_.workload) {
    case Workload::kEcho: {
      const std::string payload = "Please echo " + std::to_string(rng_.below(128));
      op.f = "echo";
      op.value = payload;
      op.body = {{"type", "echo"}, {"echo", payload}};
      return op;
    }
    case Workload::kLinKv:
      return next_lin_kv(thread, process);
    case Workload::kGSet:
    case Workload::kBroadcast:
      if (add) {
        const std::int64_t element = next_element_++;
        op.value = element;
        if (options_.workload == Workload::kGSet) {
          op.f = "add";
          op.body = {{"type", "add"}, {"element", element}};
        } else {
          op.f = "broadcast";
          op.body = {{"type", "broadcast"}, {"message", element}};
        }
        return op;
      }
      op.f = "read";
      op.body = {{"type", "read"}};
      return op;
    case Workload::kGCounter:
    case Workload::kPnCounter:
      if (add) {
        const std::int64_t delta = options_.workload == Workload::kGCounter
                                       ? static_cast<std::int64_t>(rng_.below(5))
                                       : static_cast<std::int64_t>(rng_.below(10)) - 5;
        op.f = "add";
        op.value = delta;
        op.body = {{"type", "add"}, {"delta", delta}};
        return op;
      }
      op.f = "read";
      op.body = {{"type", "read"}};
      return op;
  }
  return op;
}

OpRequest OpGenerator::next_lin_kv(int thread, std::uint32_t process) {
  const int n = options_.node_count;
  KeyGroup& group = groups_[static_cast<std::size_t>(thread / (2 * n))];
  // process-limit: a 21st distinct process ends this key's generator; the group moves on.
  if (group.processes.count(process) == 0 && group.processes.size() >= kProcessesPerKey) {
    group.key = next_key_++;
    group.processes.clear();
  }
  group.processes.insert(process);
  const std::int64_t key = group.key;
  OpRequest op;
  const bool reader = thread % (2 * n) < n;  // gen/reserve n readers, the rest write/cas
  if (reader) {
    op.f = "read";
    op.value = json::array({key, nullptr});
    op.body = {{"type", "read"}, {"key", key}};
    return op;
  }
  if (rng_.below(3) == 0) {
    const auto v = static_cast<std::int64_t>(rng_.below(5));
    op.f = "write";
    op.value = json::array({key, v});
    op.body = {{"type", "write"}, {"key", key}, {"value", v}};
    return op;
  }
  const auto from = static_cast<std::int64_t>(rng_.below(5));
  const auto to = static_cast<std::int64_t>(rng_.below(5));
  op.f = "cas";
  op.value = json::array({key, json::array({from, to})});
  op.body = {{"type", "cas"}, {"key", key}, {"from", from}, {"to", to}};
  return op;
}

OpRequest OpGenerator::final_read() const {
  OpRequest op;
  op.f = "read";
  op.body = {{"type", "read"}};
  op.final_read = true;
  return op;
}

std::int64_t request_timeout_ns(const Options& options) {
  if (options.workload == Workload::kLinKv) {
    const double ms = std::max(1000.0, 10.0 * options.latency_ms);
    return static_cast<std::int64_t>(ms * 1e6);
  }
  return 5'000'000'000;
}

bool client_reusable(Workload workload) {
  switch (workload) {
    case Workload::kGSet:
    case Workload::kGCounter:
    case Workload::kPnCounter:
    case Workload::kBroadcast:
      return false;
    case Workload::kEcho:
    case Workload::kLinKv:
      return true;
  }
  return true;
}

Outcome interpret_reply(Workload workload, const OpRequest& request, const json& body) {
  if (body.is_object() && body.value("type", json()) == "error") {
    const json code = body.value("code", json());
    Outcome o;
    o.value = request.value;
    o.error = json::array({code, body.value("text", json())});
    if (interprets_errors(workload) && (read_only(workload, request) || definite_code(code))) {
      o.type = EventType::kFail;
    } else {
      o.type = EventType::kInfo;
    }
    return o;
  }
  std::map<std::string, FieldCheck> fields;
  const std::string type = expected_ok(request, &fields, workload);
  const std::string problem = check_schema(body, type, fields);
  if (!problem.empty()) return malformed(request, problem + ": " + body.dump());

  Outcome o;
  o.type = EventType::kOk;
  if (request.f == "echo") {
    o.value = body["echo"];
  } else if (request.f == "read") {
    if (workload == Workload::kLinKv) {
      o.value = json::array({request.value[0], body["value"]});
    } else if (workload == Workload::kBroadcast) {
      o.value = body["messages"];
    } else {
      o.value = body["value"];
    }
  } else {
    o.value = request.value;
  }
  return o;
}

Outcome interpret_timeout(Workload workload, const OpRequest& request) {
  Outcome o;
  o.value = request.value;
  o.error = "net-timeout";
  o.type = read_only(workload, request) ? EventType::kFail : EventType::kInfo;
  return o;
}

std::string check_simple_reply(const json& body, const std::string& type) {
  return check_schema(body, type, {});
}

}  // namespace eddy::maelstrom::runner
