#pragma once
// A Jepsen-style history of single-key Redis operations as the simulated clients saw them: when
// each request was sent, when (and whether) its reply arrived, and what the reply said. The
// linearizability checker (sim/check/linearizability.h) judges it against a sequential model of
// one key.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::sim {

enum class OpKind : std::uint8_t { kGet, kSet, kDel, kIncr, kAppend, kSetNx, kGetDel, kGetSet };

enum class OpOutcome : std::uint8_t {
  kOk,       // the client got a reply: the op took effect exactly once, with the recorded result
  kFailed,   // definitely did not take effect (e.g. an error reply that means nothing changed)
  kUnknown,  // the connection broke before the reply: it may or may not have taken effect
};

struct Op {
  std::uint64_t id = 0;  // unique in the history
  std::uint32_t client = 0;
  std::int64_t invoke_ns = 0;    // virtual time the request was sent
  std::int64_t complete_ns = 0;  // virtual time the reply arrived; ignored when outcome is kUnknown
  OpKind kind = OpKind::kGet;
  std::string key;
  // SET/APPEND/SETNX/GETSET: the value. INCR: the increment as decimal text ("1").
  std::string argument;
  // Compare-and-set (Maelstrom lin-kv's `cas`): a kSet with `expected` present writes `argument`
  // only if the key's current value equals *expected (nil equals nothing), else leaves the key
  // alone. A kOk CAS succeeded, so it found *expected; a CAS that was refused is kFailed (it took
  // no effect); a kUnknown one may have taken effect or not. CAS is a kSet variant rather than an
  // OpKind of its own so that switches over OpKind elsewhere stay exhaustive.
  std::optional<std::string> expected;
  OpOutcome outcome = OpOutcome::kOk;
  // Observed result (for kOk):
  //   GET/GETDEL/GETSET: the value, or nullopt for nil.
  //   DEL/SETNX: 0/1 in `integer`.
  //   INCR: the new value in `integer`, or `error` = true for "ERR value is not an integer or out
  //         of range" (the model gives the same verdict for a result that would overflow).
  //   APPEND: the new length in `integer`.
  //   SET (and CAS): nothing.
  std::optional<std::string> value;
  std::int64_t integer = 0;
  bool error = false;
};

struct History {
  std::vector<Op> ops;
};

std::string_view op_kind_name(OpKind kind);

// One line, e.g. `c3 #17 [1000,2000] SET k "v" -> OK`. An unknown op shows `[1000,?] ... -> ?`.
// A compare-and-set shows as `CAS k "from" "to"`.
// Long values are shortened to their head and tail so a line stays readable.
std::string describe(const Op& op);

// A value as it appears in describe(): quoted with C escapes, shortened when long; nil for none.
std::string describe_value(const std::optional<std::string>& value);

}  // namespace eddy::sim
