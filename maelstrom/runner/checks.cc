#include "maelstrom/runner/checks.h"

#include <algorithm>
#include <map>
#include <vector>

#include "sim/check/counter_bounds.h"
#include "sim/check/history.h"
#include "sim/check/linearizability.h"
#include "sim/check/set_full.h"

namespace eddy::maelstrom::runner {

namespace {

using json = nlohmann::json;

struct Pair {
  const Event* invoke = nullptr;
  const Event* complete = nullptr;  // null: never completed
};

// Client operations as invoke/completion pairs, in invoke order.
std::vector<Pair> client_pairs(const HistoryLog& history) {
  std::vector<Pair> pairs;
  std::map<std::int64_t, std::size_t> by_invoke;
  for (const Event& e : history.events) {
    if (e.nemesis) continue;
    if (e.type == EventType::kInvoke) {
      by_invoke[static_cast<std::int64_t>(e.index)] = pairs.size();
      pairs.push_back(Pair{&e, nullptr});
    } else {
      const auto it = by_invoke.find(e.invoke_index);
      if (it != by_invoke.end()) pairs[it->second].complete = &e;
    }
  }
  return pairs;
}

eddy::sim::OpOutcome outcome_of(const Pair& p) {
  if (p.complete == nullptr || p.complete->type == EventType::kInfo) {
    return eddy::sim::OpOutcome::kUnknown;
  }
  return p.complete->type == EventType::kOk ? eddy::sim::OpOutcome::kOk
                                            : eddy::sim::OpOutcome::kFailed;
}

CheckResult check_echo(const HistoryLog& history) {
  CheckResult r;
  std::size_t ok = 0;
  std::vector<std::string> errors;
  for (const Pair& p : client_pairs(history)) {
    if (p.complete == nullptr || p.complete->type != EventType::kOk) continue;
    ++ok;
    if (p.complete->value != p.invoke->value) {
      errors.push_back("process " + std::to_string(p.invoke->process) + " sent " +
                       p.invoke->value.dump() + " and got " + p.complete->value.dump());
    }
  }
  r.details = {{"ok_count", ok}, {"error_count", errors.size()}};
  if (!errors.empty()) {
    r.verdict = Verdict::kInvalid;
    r.reason = std::to_string(errors.size()) + " echo replies did not echo the request";
    for (std::size_t i = 0; i < errors.size() && i < 8; ++i) r.explanation += errors[i] + "\n";
    r.details["errors"] = std::vector<std::string>(
        errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                             errors.size(), 8)));
    return r;
  }
  r.verdict = Verdict::kValid;
  r.reason = "every one of " + std::to_string(ok) + " ok replies echoed its request";
  return r;
}

CheckResult check_lin_kv(const HistoryLog& history) {
  using eddy::sim::Op;
  using eddy::sim::OpKind;
  using eddy::sim::OpOutcome;
  CheckResult r;
  eddy::sim::History h;
  std::size_t null_reads = 0;
  for (const Pair& p : client_pairs(history)) {
    const Event& invoke = *p.invoke;
    if (!invoke.value.is_array() || invoke.value.size() != 2) continue;
    Op op;
    op.id = invoke.index;
    op.client = invoke.process;
    op.invoke_ns = invoke.time_ns;
    op.outcome = outcome_of(p);
    op.complete_ns = op.outcome == OpOutcome::kUnknown ? 0 : p.complete->time_ns;
    op.key = invoke.value[0].dump();
    const json& argument = invoke.value[1];
    if (invoke.f == "read") {
      // Failed and unknown reads tell nothing; a read of null matches any state in Knossos's
      // cas-register, so it constrains nothing either.
      if (op.outcome != OpOutcome::kOk) continue;
      const json& seen = p.complete->value.is_array() && p.complete->value.size() == 2
                             ? p.complete->value[1]
                             : json();
      if (seen.is_null()) {
        ++null_reads;
        continue;
      }
      op.kind = OpKind::kGet;
      op.value = seen.dump();
    } else if (invoke.f == "write") {
      op.kind = OpKind::kSet;
      op.argument = argument.dump();
    } else if (invoke.f == "cas") {
      if (!argument.is_array() || argument.size() != 2) continue;
      op.kind = OpKind::kSet;
      op.expected = argument[0].dump();
      op.argument = argument[1].dump();
    } else {
      continue;
    }
    h.ops.push_back(std::move(op));
  }
  std::map<std::string, std::size_t> keys;
  for (const Op& op : h.ops) ++keys[op.key];
  const eddy::sim::LinearizabilityResult lin = eddy::sim::check_linearizable(h);
  r.details = {{"ops_checked", h.ops.size()},
               {"keys", keys.size()},
               {"null_reads", null_reads},
               {"states_explored", lin.states_explored},
               {"linearizable", lin.ok && !lin.exhausted}};
  // The checker speaks Redis: GET/SET/CAS are read/write/cas, `cN` is process N, `#i` the
  // invoke's :index in history.txt, [a,b] its invoke and completion times in ns.
  const std::string legend =
      "(GET/SET/CAS = read/write/cas; cN = process N; #i = :index of the invoke; [invoke ns, "
      "completion ns])\n";
  if (!lin.ok) {
    r.verdict = Verdict::kInvalid;
    r.reason = "key " + lin.key + " is not linearizable";
    r.explanation = legend + lin.explanation;
    r.details["failing_key"] = lin.key;
    r.details["explanation"] = lin.explanation;
    return r;
  }
  if (lin.exhausted) {
    r.verdict = Verdict::kUnknown;
    r.reason = "the linearizability search gave up on key " + lin.key;
    r.explanation = legend + lin.explanation;
    return r;
  }
  r.verdict = Verdict::kValid;
  r.reason = std::to_string(h.ops.size()) + " ops on " + std::to_string(keys.size()) +
             " keys are linearizable";
  return r;
}

CheckResult check_set(const HistoryLog& history) {
  CheckResult r;
  eddy::sim::SetHistory h;
  std::size_t non_integers = 0;
  for (const Pair& p : client_pairs(history)) {
    const Event& invoke = *p.invoke;
    if (invoke.f == "add" || invoke.f == "broadcast") {
      if (!invoke.value.is_number_integer()) continue;
      eddy::sim::SetAdd add;
      add.element = invoke.value.get<std::int64_t>();
      add.invoke_ns = invoke.time_ns;
      add.outcome = outcome_of(p);
      add.complete_ns = add.outcome == eddy::sim::OpOutcome::kOk ? p.complete->time_ns : 0;
      h.adds.push_back(add);
    } else if (invoke.f == "read") {
      if (outcome_of(p) != eddy::sim::OpOutcome::kOk || !p.complete->value.is_array()) continue;
      eddy::sim::SetRead read;
      read.invoke_ns = invoke.time_ns;
      read.complete_ns = p.complete->time_ns;
      for (const json& element : p.complete->value) {
        if (element.is_number_integer()) {
          read.elements.push_back(element.get<std::int64_t>());
        } else {
          ++non_integers;
        }
      }
      h.reads.push_back(std::move(read));
    }
  }
  const eddy::sim::SetFullResult s = eddy::sim::check_set_full(h);
  json lost = json::array();
  for (const auto& d : s.lost) lost.push_back(d.element);
  json stale = json::array();
  for (const auto& d : s.worst_stale) {
    stale.push_back({{"element", d.element}, {"stable_latency_ms", d.latency_ms}});
  }
  r.details = {{"attempt_count", s.attempt_count},
               {"stable_count", s.stable_count},
               {"lost_count", s.lost_count},
               {"never_read_count", s.never_read_count},
               {"stale_count", s.stale_count},
               {"unexpected_count", s.unexpected_count},
               {"duplicated_count", s.duplicated_count},
               {"non_integer_elements", non_integers},
               {"lost", lost},
               {"never_read", s.never_read},
               {"worst_stale", stale}};
  r.explanation = s.explanation;
  switch (s.verdict) {
    case eddy::sim::SetVerdict::kInvalid:
      r.verdict = Verdict::kInvalid;
      r.reason = std::to_string(s.lost_count) + " acknowledged elements were lost";
      break;
    case eddy::sim::SetVerdict::kUnknown:
      r.verdict = Verdict::kUnknown;
      r.reason = "no element was read back after its add";
      break;
    case eddy::sim::SetVerdict::kValid:
      r.verdict = Verdict::kValid;
      r.reason = std::to_string(s.stable_count) + " of " + std::to_string(s.attempt_count) +
                 " elements stable, none lost";
      break;
  }
  return r;
}

CheckResult check_counter(const HistoryLog& history) {
  CheckResult r;
  std::vector<eddy::sim::CounterAdd> adds;
  std::vector<eddy::sim::CounterRead> reads;
  std::size_t finals = 0;
  for (const Pair& p : client_pairs(history)) {
    const Event& invoke = *p.invoke;
    if (invoke.f == "add") {
      if (!invoke.value.is_number_integer()) continue;
      adds.push_back({invoke.value.get<std::int64_t>(), outcome_of(p)});
    } else if (invoke.f == "read" && invoke.final_read) {
      ++finals;
      if (outcome_of(p) != eddy::sim::OpOutcome::kOk || !p.complete->value.is_number_integer()) {
        continue;
      }
      eddy::sim::CounterRead read;
      read.value = p.complete->value.get<std::int64_t>();
      read.process = invoke.process;
      read.invoke_ns = invoke.time_ns;
      read.complete_ns = p.complete->time_ns;
      reads.push_back(read);
    }
  }
  const eddy::sim::CounterBoundsResult c = eddy::sim::check_counter_bounds(adds, reads);
  json acceptable = json::array();
  for (const auto& [lo, hi] : c.acceptable) acceptable.push_back(json::array({lo, hi}));
  json errors = json::array();
  for (const auto& e : c.errors) errors.push_back({{"process", e.process}, {"value", e.value}});
  r.details = {{"definite_sum", c.definite_sum}, {"ok_adds", c.ok_adds},
               {"info_adds", c.unknown_adds},    {"final_reads", finals},
               {"final_reads_ok", c.reads_checked}, {"acceptable", acceptable},
               {"approximate", c.approximate},   {"errors", errors}};
  r.explanation = c.explanation;
  if (!c.ok) {
    r.verdict = Verdict::kInvalid;
    r.reason = std::to_string(c.errors.size()) + " final reads outside the acceptable values " +
               eddy::sim::describe_ranges(c.acceptable, 4);
    return r;
  }
  r.verdict = Verdict::kValid;
  r.reason = std::to_string(c.reads_checked) + " final reads within " +
             eddy::sim::describe_ranges(c.acceptable, 4);
  return r;
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

Verdict merge_verdicts(Verdict a, Verdict b) {
  if (a == Verdict::kInvalid || b == Verdict::kInvalid) return Verdict::kInvalid;
  if (a == Verdict::kUnknown || b == Verdict::kUnknown) return Verdict::kUnknown;
  return Verdict::kValid;
}

CheckResult check_history(const Options& options, const HistoryLog& history) {
  switch (options.workload) {
    case Workload::kEcho:
      return check_echo(history);
    case Workload::kLinKv:
      return check_lin_kv(history);
    case Workload::kGSet:
    case Workload::kBroadcast:
      return check_set(history);
    case Workload::kGCounter:
    case Workload::kPnCounter:
      return check_counter(history);
  }
  return CheckResult{};
}

}  // namespace eddy::maelstrom::runner
