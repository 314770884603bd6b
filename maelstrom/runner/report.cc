#include "maelstrom/runner/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

namespace eddy::maelstrom::runner {

namespace {

using json = nlohmann::json;

struct OpCounts {
  std::uint64_t invoke = 0;
  std::uint64_t ok = 0;
  std::uint64_t fail = 0;
  std::uint64_t info = 0;
};

// Nearest-rank percentile of sorted values, as Jepsen's frequency-distribution.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto n = sorted.size();
  const auto index = std::min(n - 1, static_cast<std::size_t>(std::floor(static_cast<double>(n) * p)));
  return sorted[index];
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

json counts_json(const NetCounts& c, std::uint64_t ops, bool per_op) {
  json j = {{"send_count", c.send_count}, {"recv_count", c.recv_count}, {"msg_count", c.msg_count}};
  if (per_op && ops > 0) j["msgs_per_op"] = static_cast<double>(c.msg_count) / static_cast<double>(ops);
  return j;
}

}  // namespace

FinalVerdict final_verdict(const RunData& run) {
  FinalVerdict v;
  if (!run.crashed.empty()) {
    v.verdict = Verdict::kInvalid;
    v.reason = "node " + run.crashed.front().substr(0, run.crashed.front().find(' ')) +
               " crashed: " + run.crashed.front().substr(run.crashed.front().find(' ') + 1);
    return v;
  }
  if (run.aborted) {
    v.verdict = run.abort_verdict;
    v.reason = run.abort_reason;
    if (run.checked && run.check.verdict == Verdict::kInvalid) {
      v.verdict = Verdict::kInvalid;
      v.reason += "; and " + run.check.reason;
    }
    return v;
  }
  v.verdict = run.checked ? run.check.verdict : Verdict::kUnknown;
  v.reason = run.checked ? run.check.reason : std::string("not checked");
  return v;
}

std::string write_results(const RunData& run, std::string* error) {
  const Options& o = run.options;
  const std::string dir = o.results_dir;

  // history.txt
  {
    std::ofstream out(dir + "/history.txt");
    for (const Event& e : run.history.events) out << event_to_edn(e) << '\n';
    if (!out) *error = "cannot write " + dir + "/history.txt";
  }

  // Counts and latencies.
  std::map<std::string, OpCounts> by_f;
  OpCounts total;
  std::vector<double> latencies_ms;
  std::map<std::uint64_t, const Event*> invokes;
  for (const Event& e : run.history.events) {
    if (e.nemesis) continue;
    std::string f = e.f + (e.final_read ? " (final)" : "");
    OpCounts& c = by_f[f];
    switch (e.type) {
      case EventType::kInvoke:
        ++c.invoke;
        ++total.invoke;
        invokes[e.index] = &e;
        break;
      case EventType::kOk: {
        ++c.ok;
        ++total.ok;
        const auto it = invokes.find(static_cast<std::uint64_t>(e.invoke_index));
        if (it != invokes.end()) {
          latencies_ms.push_back(static_cast<double>(e.time_ns - it->second->time_ns) / 1e6);
        }
        break;
      }
      case EventType::kFail:
        ++c.fail;
        ++total.fail;
        break;
      case EventType::kInfo:
        ++c.info;
        ++total.info;
        break;
    }
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double p50 = percentile(latencies_ms, 0.5);
  const double p95 = percentile(latencies_ms, 0.95);
  const double p99 = percentile(latencies_ms, 0.99);
  const double max = latencies_ms.empty() ? 0 : latencies_ms.back();
  const std::uint64_t ops = total.invoke;

  const FinalVerdict verdict = final_verdict(run);

  // results.json
  json results;
  results["workload"] = std::string(workload_name(o.workload));
  results["seed"] = o.seed;
  results["valid"] = std::string(verdict_name(verdict.verdict));
  results["reason"] = verdict.reason;
  results["nodes"] = run.nodes;
  results["options"] = {{"node_count", o.node_count},
                        {"concurrency", o.concurrency},
                        {"time_limit", o.time_limit_s},
                        {"rate", o.rate},
                        {"nemesis", o.nemesis_partition ? json("partition") : json()},
                        {"nemesis_interval", o.nemesis_interval_s},
                        {"latency", o.latency_ms},
                        {"latency_dist", std::string(latency_dist_name(o.latency_dist))},
                        {"topology", o.topology},
                        {"recovery_time", o.recovery_time_s},
                        {"bin", o.bin_path},
                        {"bin_args", o.bin_args}};
  json stats_by_f = json::object();
  for (const auto& [f, c] : by_f) {
    stats_by_f[f] = {{"count", c.invoke}, {"ok", c.ok}, {"fail", c.fail}, {"info", c.info}};
  }
  results["stats"] = {{"count", total.invoke}, {"ok", total.ok}, {"fail", total.fail},
                      {"info", total.info},    {"by_f", stats_by_f}};
  results["latency_ms"] = {{"p50", p50}, {"p95", p95}, {"p99", p99}, {"max", max},
                           {"ok_ops", latencies_ms.size()}};
  results["net"] = {{"all", counts_json(run.net.all, ops, true)},
                    {"clients", counts_json(run.net.clients, ops, false)},
                    {"servers", counts_json(run.net.servers, ops, true)},
                    {"dropped_by_partitions", run.net.dropped}};
  results["nemesis"] = run.nemesis_lines;
  results["exceptions"] = run.exceptions;
  results["crashed"] = run.crashed;
  if (run.aborted) results["aborted"] = run.abort_reason;
  if (run.checked) {
    results["checker"] = run.check.details;
    results["checker"]["valid"] = std::string(verdict_name(run.check.verdict));
    results["checker"]["reason"] = run.check.reason;
  }
  results["wall_seconds"] = run.wall_seconds;
  results["replay"] = replay_command(o);
  {
    std::ofstream out(dir + "/results.json");
    out << results.dump(2) << '\n';
    if (!out) *error = "cannot write " + dir + "/results.json";
  }

  // summary.txt
  std::string s;
  s += "workload     " + std::string(workload_name(o.workload)) + " on " +
       std::to_string(o.node_count) + (o.node_count == 1 ? " node" : " nodes") + ", " +
       std::to_string(o.concurrency) + " client threads, " + fixed(o.time_limit_s, 1) + " s at " +
       fixed(o.rate, 1) + " req/s";
  if (o.nemesis_partition) s += ", partitions every ~" + fixed(o.nemesis_interval_s, 1) + " s";
  if (o.latency_ms > 0) {
    s += ", latency " + fixed(o.latency_ms, 0) + " ms " + std::string(latency_dist_name(o.latency_dist));
  }
  s += "\n";
  s += "seed         " + std::to_string(o.seed) + "\n";
  s += "results      " + dir + "\n";
  s += "ops          " + std::to_string(total.invoke) + " (ok " + std::to_string(total.ok) +
       ", fail " + std::to_string(total.fail) + ", info " + std::to_string(total.info) + ")\n";
  for (const auto& [f, c] : by_f) {
    s += "  " + f + std::string(f.size() < 14 ? 14 - f.size() : 1, ' ') +
         std::to_string(c.invoke) + " (ok " + std::to_string(c.ok) + ", fail " +
         std::to_string(c.fail) + ", info " + std::to_string(c.info) + ")";
    if (c.invoke > 0 && c.ok == 0) s += "  <- no ok op";
    s += "\n";
  }
  s += "latency ms   p50 " + fixed(p50, 1) + "  p95 " + fixed(p95, 1) + "  p99 " + fixed(p99, 1) +
       "  max " + fixed(max, 1) + "  (ok ops)\n";
  auto per_op = [&](const NetCounts& c) {
    return ops == 0 ? std::string("-")
                    : fixed(static_cast<double>(c.msg_count) / static_cast<double>(ops), 2);
  };
  s += "messages     servers " + std::to_string(run.net.servers.msg_count) + " (" +
       per_op(run.net.servers) + "/op), all " + std::to_string(run.net.all.msg_count) + " (" +
       per_op(run.net.all) + "/op), dropped by partitions " + std::to_string(run.net.dropped) +
       "\n";
  s += "nemesis      " + (run.nemesis_lines.empty() ? std::string("none") : std::to_string(run.nemesis_lines.size()) + " events") + "\n";
  for (const std::string& line : run.nemesis_lines) s += "  " + line + "\n";
  if (!run.exceptions.empty()) {
    s += "exceptions   " + std::to_string(run.exceptions.size()) + "\n";
    for (std::size_t i = 0; i < run.exceptions.size() && i < 5; ++i) {
      s += "  " + run.exceptions[i] + "\n";
    }
  }
  for (const std::string& c : run.crashed) s += "crashed      " + c + "\n";
  if (run.aborted) s += "aborted      " + run.abort_reason + "\n";
  if (run.checked) {
    s += "checker      " + std::string(verdict_name(run.check.verdict)) + ": " + run.check.reason +
         "\n";
    std::string explanation = run.check.explanation;
    std::size_t start = 0;
    int lines = 0;
    while (start < explanation.size() && lines < 60) {
      std::size_t end = explanation.find('\n', start);
      if (end == std::string::npos) end = explanation.size();
      s += "  " + explanation.substr(start, end - start) + "\n";
      start = end + 1;
      ++lines;
    }
  }
  s += "verdict      " + std::string(verdict_name(verdict.verdict)) + ": " + verdict.reason + "\n";
  s += "replay       " + replay_command(o) + "\n";
  {
    std::ofstream out(dir + "/summary.txt");
    out << s;
    if (!out) *error = "cannot write " + dir + "/summary.txt";
  }
  return s;
}

}  // namespace eddy::maelstrom::runner
