#pragma once
// The Jepsen-style history a run records: each client operation is an invoke followed by its
// completion (ok, fail or info) on the same process; nemesis operations are info pairs on the
// process :nemesis. Written to history.txt one EDN map per line.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace eddy::maelstrom::runner {

enum class EventType : std::uint8_t { kInvoke, kOk, kFail, kInfo };

std::string_view event_type_name(EventType type);

struct Event {
  std::uint64_t index = 0;
  std::int64_t time_ns = 0;  // since the workload started
  EventType type = EventType::kInvoke;
  bool nemesis = false;
  std::uint32_t process = 0;  // client ops only
  std::string f;              // read, write, cas, add, broadcast, echo, start-partition, ...
  nlohmann::json value;       // null prints as nil
  nlohmann::json error;       // null: none
  bool final_read = false;
  std::int64_t invoke_index = -1;  // completions of client ops: the index of their invoke
  std::uint32_t thread = 0;        // client ops: the worker thread
};

struct HistoryLog {
  std::vector<Event> events;
};

// JSON as EDN: null -> nil, arrays -> vectors, objects -> maps with string keys.
std::string json_to_edn(const nlohmann::json& value);

// {:index 3, :time 1234, :type :invoke, :process 0, :f :cas, :value [0 [1 4]]}
std::string event_to_edn(const Event& event);

}  // namespace eddy::maelstrom::runner
