#include "maelstrom/lin_kv.h"

#include <optional>
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

}  // namespace

LinKvService::LinKvService(Node* node, Engine* engine, LinKvOptions options)
    : node_(node), engine_(engine), coordinator_(engine), options_(options) {
  // Tells this run's forwards apart from those of an earlier run of the same node id.
  incarnation_ = node_->runtime().rng().next();
}

bool LinKvService::is_owner() const {
  return node_->node_ids().size() == 1 || node_->index() == 0 ||
         PLANTED(PlantedBug::kLinKvLocalRead);
}

bool LinKvService::handle(const Message& message) {
  const std::string_view type = message.type();
  if (type == "kv_forward") {
    handle_forward(message);
    return true;
  }
  if (type == "kv_forward_ok") {
    handle_forward_reply(message);
    return true;
  }
  if (!is_lin_kv_request(message)) return false;
  if (!is_owner()) {
    forward(message);
    return true;
  }
  // Node::reply fills in in_reply_to, error bodies included.
  node_->reply(message, apply(message.body));
  return true;
}

Json LinKvService::apply(const Json& request) {
  const std::string type = request.value("type", "");
  const auto key_field = request.find("key");
  if (key_field == request.end()) return error_reply(ErrorCode::kMalformedRequest, "missing key");
  const std::string key = key_field->dump();
  // Validated here, outside the shard step, so nothing can throw inside it.
  bool create_if_missing = false;
  if (const auto flag = request.find("create_if_not_exists"); flag != request.end()) {
    if (!flag->is_boolean()) {
      return error_reply(ErrorCode::kMalformedRequest, "create_if_not_exists must be a boolean");
    }
    create_if_missing = flag->get<bool>();
  }
  const std::string from = request.contains("from") ? request["from"].dump() : std::string();
  const std::string to = request.contains("to") ? request["to"].dump() : std::string();
  const std::string value = request.contains("value") ? request["value"].dump() : std::string();
  Json result;
  coordinator_.run_on(engine_->shard_of_key(key), [&](Shard& shard) {
    shard.refresh_clock();
    // Every operation is a Redis command through the shard's write path, so lin-kv's keyspace
    // changes are effects like any client's (a log or a replica sees them).
    std::string out;
    auto run = [&](std::initializer_list<std::string_view> args) {
      out.clear();
      ReplyBuilder reply(&out, 2);
      const CommandSpec* spec = engine_->commands().find(*args.begin());
      ASSERT(spec != nullptr && spec->handler != nullptr);
      shard.writes().apply(*spec, 0, std::span<const std::string_view>(args.begin(), args.size()),
                           reply, shard.now_ms());
    };
    // GET's reply: "$-1\r\n" (missing) or "$<len>\r\n<bytes>\r\n".
    auto read_value = [&](std::optional<std::string>* found) {
      run({"GET", key});
      ASSERT(!out.empty() && out[0] == '$');
      if (out.compare(0, 3, "$-1") == 0) {
        found->reset();
        return;
      }
      const std::size_t header_end = out.find("\r\n");
      ASSERT(header_end != std::string::npos);
      found->emplace(out.substr(header_end + 2, out.size() - header_end - 4));
    };
    if (type == "read") {
      std::optional<std::string> current;
      read_value(&current);
      if (!current) {
        result = error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
        return;
      }
      result = {{"type", "read_ok"}, {"value", Json::parse(*current, nullptr, false)}};
      return;
    }
    if (type == "write") {
      if (!request.contains("value")) {
        result = error_reply(ErrorCode::kMalformedRequest, "write needs a value");
        return;
      }
      run({"SET", key, value});
      result = {{"type", "write_ok"}};
      return;
    }
    ASSERT(type == "cas");
    if (!request.contains("from") || !request.contains("to")) {
      result = error_reply(ErrorCode::kMalformedRequest, "cas needs from and to");
      return;
    }
    // GET then SET in one shard step: nothing else runs on the shard in between.
    std::optional<std::string> current;
    read_value(&current);
    if (!current) {
      if (!create_if_missing) {
        result = error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
        return;
      }
    } else if (*current != from) {
      result = error_reply(ErrorCode::kPreconditionFailed,
                           "expected " + from + ", found " + *current);
      return;
    }
    run({"SET", key, to});
    result = {{"type", "cas_ok"}};
  });
  return result;
}

void LinKvService::forward(const Message& request) {
  if (pending_.size() >= options_.max_pending_forwards) {
    // Nothing was sent, so nothing can happen: a definite refusal is honest.
    node_->reply_error(request, ErrorCode::kTemporarilyUnavailable, "too many forwards pending");
    return;
  }
  const std::int64_t id = next_forward_id_++;
  pending_.emplace(
      id, PendingForward{request, node_->runtime().monotonic_now() + options_.forward_timeout});
  Json body = {{"type", "kv_forward"},
               {"forward_id", id},
               {"incarnation", incarnation_},
               {"request", request.body}};
  node_->send(node_->node_ids().front(), std::move(body));
}

void LinKvService::handle_forward(const Message& message) {
  const Json& body = message.body;
  if (!body.contains("forward_id") || !body.contains("incarnation") || !body.contains("request") ||
      !body["request"].is_object()) {
    log_line("malformed kv_forward from " + message.src);
    return;
  }
  const std::int64_t id = body["forward_id"].get<std::int64_t>();
  AppliedForwards& applied = applied_[{message.src, body["incarnation"].get<std::uint64_t>()}];
  Json reply_body;
  if (id <= applied.floor) {
    // Too old to know whether it was applied: drop it. The origin has long answered its
    // client with a timeout (indefinite), so not applying is allowed, and applying twice is not.
    return;
  }
  if (auto it = applied.replies.find(id); it != applied.replies.end()) {
    reply_body = it->second;  // a duplicate: answer again, apply once
  } else {
    reply_body = apply(body["request"]);
    applied.replies.emplace(id, reply_body);
    while (applied.replies.size() > options_.dedupe_window) {
      applied.floor = applied.replies.begin()->first;
      applied.replies.erase(applied.replies.begin());
    }
  }
  node_->send(message.src, Json{{"type", "kv_forward_ok"},
                                {"forward_id", id},
                                {"incarnation", body["incarnation"]},
                                {"reply", reply_body}});
}

void LinKvService::handle_forward_reply(const Message& message) {
  const Json& body = message.body;
  if (!body.contains("forward_id") || !body.contains("reply") || !body["reply"].is_object()) {
    return;
  }
  // A late answer to a forward of this node's previous run must not complete this run's
  // forward that happens to have the same id.
  if (!body.contains("incarnation") || body["incarnation"] != incarnation_) return;
  auto it = pending_.find(body["forward_id"].get<std::int64_t>());
  if (it == pending_.end()) return;  // answered already (timeout or duplicate)
  Json reply_body = body["reply"];
  const Message request = std::move(it->second.request);
  pending_.erase(it);
  node_->reply(request, std::move(reply_body));
}

void LinKvService::tick() {
  const Nanos now = node_->runtime().monotonic_now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    // The forward may still arrive and apply: the outcome is unknown, so the code must be
    // indefinite.
    node_->reply_error(it->second.request, ErrorCode::kTimeout, "owner did not answer in time");
    it = pending_.erase(it);
  }
}

}  // namespace eddy::maelstrom
