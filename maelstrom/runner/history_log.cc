#include "maelstrom/runner/history_log.h"

namespace eddy::maelstrom::runner {

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kInvoke:
      return "invoke";
    case EventType::kOk:
      return "ok";
    case EventType::kFail:
      return "fail";
    case EventType::kInfo:
      return "info";
  }
  return "?";
}

std::string json_to_edn(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return "nil";
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ' ';
        out += json_to_edn(item);
        first = false;
      }
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        out += nlohmann::json(key).dump() + " " + json_to_edn(item);
        first = false;
      }
      return out + "}";
    }
    default:
      return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

std::string event_to_edn(const Event& e) {
  std::string out = "{:index " + std::to_string(e.index) + ", :time " + std::to_string(e.time_ns) +
                    ", :type :" + std::string(event_type_name(e.type)) + ", :process ";
  out += e.nemesis ? std::string(":nemesis") : std::to_string(e.process);
  out += ", :f :" + e.f + ", :value ";
  // Nemesis values are keywords (:majority) or already EDN text.
  if (e.nemesis && e.value.is_string()) {
    out += e.value.get<std::string>();
  } else {
    out += json_to_edn(e.value);
  }
  if (!e.error.is_null()) out += ", :error " + json_to_edn(e.error);
  if (e.final_read) out += ", :final? true";
  return out + "}";
}

}  // namespace eddy::maelstrom::runner
