#pragma once
// What the clients of each workload send and how they read the replies, as Maelstrom's
// workload clients and Jepsen generators do (protocol doc §4, §5, §8):
//   echo        "Please echo N" payloads
//   lin-kv      keys 0, 1, 2, ... worked on by groups of 2 x node-count threads: the first
//               node-count threads of a group read, the others write (1/3) or cas (2/3) with
//               values 0..4; a group takes the next key once 20 distinct processes touched its
//               key
//   g-set       50% add of 0, 1, 2, ... / 50% read
//   g-counter   50% add of 0..4 / 50% read;  pn-counter: adds of -5..4
//   broadcast   50% broadcast of 0, 1, 2, ... / 50% read
// Replies are schema-checked: exactly the documented fields plus in_reply_to and an optional
// integer msg_id; a malformed reply makes the operation info.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/rng.h"
#include "maelstrom/runner/history_log.h"
#include "maelstrom/runner/options.h"

namespace eddy::maelstrom::runner {

struct OpRequest {
  std::string f;          // history :f
  nlohmann::json value;   // history :value of the invoke
  nlohmann::json body;    // request body, without msg_id
  bool final_read = false;
};

struct Outcome {
  EventType type = EventType::kOk;
  nlohmann::json value;  // completion :value
  nlohmann::json error;  // completion :error, null if none
  bool malformed = false;  // the reply broke the schema (an "exception" in Maelstrom's terms)
};

class OpGenerator {
 public:
  OpGenerator(const Options& options, Rng rng);

  // The next operation for worker thread `thread` (0-based) running as `process`.
  OpRequest next(int thread, std::uint32_t process);
  // A final read (:final? true) for the workloads that have them.
  OpRequest final_read() const;

 private:
  struct KeyGroup {
    std::int64_t key = 0;
    std::set<std::uint32_t> processes;
  };

  OpRequest next_lin_kv(int thread, std::uint32_t process);

  Options options_;
  Rng rng_;
  std::int64_t next_element_ = 0;  // g-set adds and broadcasts: 0, 1, 2, ...
  std::vector<KeyGroup> groups_;   // lin-kv
  std::int64_t next_key_ = 0;
};

// Request timeouts: lin-kv max(1000 ms, 10 x latency); everything else 5000 ms.
std::int64_t request_timeout_ns(const Options& options);

// Whether the workload's client survives an info result (else it is closed and the thread
// continues under a fresh client id).
bool client_reusable(Workload workload);

// How a reply body (already matched to the request by in_reply_to) becomes a completion.
Outcome interpret_reply(Workload workload, const OpRequest& request, const nlohmann::json& body);

// A request that got no reply in time.
Outcome interpret_timeout(Workload workload, const OpRequest& request);

// Schema of replies outside the workload proper (init_ok, topology_ok): empty if fine, else why.
std::string check_simple_reply(const nlohmann::json& body, const std::string& type);

}  // namespace eddy::maelstrom::runner
