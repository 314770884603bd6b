#pragma once
// The sequential model of a hash, list, set or sorted set under the simulator's collection ops
// (HSET HDEL HGET HGETALL, LPUSH RPOP LRANGE, SADD SREM SMEMBERS, ZADD [GT] CH ZSCORE ZRANGE),
// as the linearizability checker uses it for keys that hold collections.
//
// A model value is one string, so the checker can intern states and memoise them as it does
// for strings: a type byte, then the elements as length-prefixed strings in a canonical order
// (hash: field/value pairs by field; list: head to tail; set: by member; sorted set:
// member/score pairs by member, each score as Redis prints it). An empty collection is no key
// at all (nil), as in Redis.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/check/history.h"

namespace eddy::sim {

bool is_collection_op(OpKind kind);
// Collection ops that change nothing (an unknown one is dropped: it told nothing).
bool is_collection_read(OpKind kind);

struct CollectionStep {
  bool legal = false;               // the recorded reply is what the model gives
  bool changed = false;             // the value changed (else `next` equals the current one)
  std::optional<std::string> next;  // the value after the op; nullopt: the key is gone
};

// Applies a collection op to the key's model value (nullopt: no key). With `any` (the reply
// was never seen) every effect is legal; otherwise the recorded reply must match the model's.
// A value of another type makes the op an error (WRONGTYPE), which the workload never expects:
// illegal.
CollectionStep apply_collection_op(const Op& op, const std::optional<std::string>& current,
                                   bool any);

// What the model would reply (for explanations).
std::string collection_expected_reply(const Op& op, const std::optional<std::string>& current);

// A model value as explanations show it: "hash{f=v, ...}", "list[a, b]" ...
std::string describe_collection(const std::string& value);
// True when `value` is a collection model value (strings never start with its type bytes).
bool is_collection_value(const std::string& value);

}  // namespace eddy::sim
