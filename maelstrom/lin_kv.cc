#include "maelstrom/lin_kv.h"

#include "engine/base/fault.h"

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
  Json result;
  coordinator_.run_on(engine_->shard_of_key(key), [&](Shard& shard) {
    shard.refresh_clock();
    Db& db = shard.db(0);
    char scratch[kv::Value::kIntScratchBytes];
    if (type == "read") {
      kv::Entry* entry = db.find(key, shard.now_ms());
      if (entry == nullptr) {
        result = error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
        return;
      }
      result = {{"type", "read_ok"},
                {"value", Json::parse(entry->value.view(scratch), nullptr, false)}};
      return;
    }
    if (type == "write") {
      if (!request.contains("value")) {
        result = error_reply(ErrorCode::kMalformedRequest, "write needs a value");
        return;
      }
      auto [entry, inserted] = db.find_or_insert(key, shard.now_ms());
      (void)inserted;
      entry->value.set_string(request["value"].dump());
      result = {{"type", "write_ok"}};
      return;
    }
    ASSERT(type == "cas");
    if (!request.contains("from") || !request.contains("to")) {
      result = error_reply(ErrorCode::kMalformedRequest, "cas needs from and to");
      return;
    }
    kv::Entry* entry = db.find(key, shard.now_ms());
    if (entry == nullptr) {
      if (!create_if_missing) {
        result = error_reply(ErrorCode::kKeyDoesNotExist, "key does not exist");
        return;
      }
      entry = db.find_or_insert(key, shard.now_ms()).first;
    } else if (entry->value.view(scratch) != request["from"].dump()) {
      result = error_reply(ErrorCode::kPreconditionFailed,
                           "expected " + request["from"].dump() + ", found " +
                               std::string(entry->value.view(scratch)));
      return;
    }
    entry->value.set_string(request["to"].dump());
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
