#include "maelstrom/message.h"

namespace eddy::maelstrom {

std::string_view Message::type() const {
  const auto it = body.find("type");
  if (it == body.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

namespace {
std::optional<std::int64_t> integer_field(const Json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}
}  // namespace

std::optional<std::int64_t> Message::msg_id() const {
  return integer_field(body, "msg_id");
}
std::optional<std::int64_t> Message::in_reply_to() const {
  return integer_field(body, "in_reply_to");
}

std::optional<Message> parse_message(std::string_view line, std::string* error) {
  Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    *error = "not valid JSON";
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    *error = "a message must be a JSON object";
    return std::nullopt;
  }
  const auto src = parsed.find("src");
  const auto dest = parsed.find("dest");
  const auto body = parsed.find("body");
  if (src == parsed.end() || !src->is_string() || dest == parsed.end() || !dest->is_string()) {
    *error = "src and dest must be strings";
    return std::nullopt;
  }
  if (body == parsed.end() || !body->is_object()) {
    *error = "body must be an object";
    return std::nullopt;
  }
  const auto type = body->find("type");
  if (type == body->end() || !type->is_string()) {
    *error = "body.type must be a string";
    return std::nullopt;
  }
  Message message;
  message.src = src->get<std::string>();
  message.dest = dest->get<std::string>();
  message.body = std::move(*body);
  return message;
}

std::string encode_message(std::string_view src, std::string_view dest, const Json& body) {
  Json envelope = Json::object();
  envelope["src"] = src;
  envelope["dest"] = dest;
  envelope["body"] = body;
  // Invalid UTF-8 in a string a client sent would make dump() throw; replace it instead, so a
  // bad payload can never take the node down.
  return envelope.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool is_definite_error(std::int64_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::kNodeNotFound:
    case ErrorCode::kNotSupported:
    case ErrorCode::kTemporarilyUnavailable:
    case ErrorCode::kMalformedRequest:
    case ErrorCode::kAbort:
    case ErrorCode::kKeyDoesNotExist:
    case ErrorCode::kKeyAlreadyExists:
    case ErrorCode::kPreconditionFailed:
    case ErrorCode::kTxnConflict:
      return true;
    case ErrorCode::kTimeout:
    case ErrorCode::kCrash:
      break;
  }
  return false;
}

Json error_body(std::int64_t request_msg_id, ErrorCode code, std::string_view text) {
  Json body = Json::object();
  body["type"] = "error";
  body["in_reply_to"] = request_msg_id;
  body["code"] = static_cast<int>(code);
  if (!text.empty()) body["text"] = text;
  return body;
}

}  // namespace eddy::maelstrom
