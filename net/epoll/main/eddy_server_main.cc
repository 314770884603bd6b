// eddy-server: the production RESP server on the epoll runtime.

#include <pthread.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <thread>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "engine/acl/acl_file.h"
#include "engine/engine.h"
#include "engine/storage/aof.h"
#include "engine/storage/snapshotter.h"
#include "net/epoll/epoll_runtime.h"
#include "net/epoll/server_options.h"
#include "net/session.h"

namespace {

// Reads the aclfile (relative paths are under --dir, as ACL LOAD and ACL SAVE see them) and
// makes its users every core's before any core runs.
bool load_acl_file_at_start(eddy::Engine& engine, const eddy::ServerOptions& options,
                            std::string* errors) {
  const std::string path = !options.aclfile.empty() && options.aclfile.front() == '/'
                               ? options.aclfile
                               : options.dir + "/" + options.aclfile;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *errors = "Error loading ACLs, opening file '" + options.aclfile + "': " + std::strerror(errno);
    return false;
  }
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > eddy::acl::kAclFileBytesMax) {
      *errors = "the aclfile '" + options.aclfile + "' is larger than 64 MB";
      return false;
    }
  }
  if (!eddy::acl::load_users(engine.acl(), text, options.aclfile, errors)) return false;
  engine.acl().install_everywhere_before_start();
  return true;
}

// `path` made absolute against the working directory; "" stays "".
std::string absolute_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace eddy;
  ServerOptions options;
  std::string error;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!parse_server_options(args, &options, &error)) {
    std::fprintf(stderr, "eddy-server: %s\n", error.c_str());
    return 2;
  }
  if (options.show_help) {
    std::fputs(server_usage().c_str(), stdout);
    return 0;
  }
  if (options.show_version) {
    std::printf("eddy-server 0.1.0 (Redis 7.0 compatible)\n");
    return 0;
  }
  if (options.workers == 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
  if (options.shards == 0) options.shards = options.workers;

  // Signals go to one waiting thread, never to a core in the middle of its loop.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EpollRuntime runtime(EpollRuntime::Options{options.workers, options.pin_threads, options.dir});
  EngineOptions engine_options;
  engine_options.shard_count = options.shards;
  engine_options.bind = options.bind;
  engine_options.port = options.port;
  engine_options.maxclients = options.maxclients;
  engine_options.process_id = ::getpid();
  engine_options.executable = argv[0];
  // Absolute, as Redis keeps it: INFO shows it, and CONFIG REWRITE finds it through the disk
  // (whose relative paths are under --dir).
  engine_options.config_file = absolute_path(options.config_file);
  engine_options.config_file_only_keys = config_file_only_keys();
  engine_options.config_file_aliases = config_file_aliases();
  engine_options.requirepass = options.requirepass;
  engine_options.protected_mode = options.protected_mode;
  engine_options.aclfile = options.aclfile;
  Engine engine(&runtime, engine_options);
  // Without a setting, eddy-server runs one worker per core: what CONFIG REWRITE takes as
  // io-threads' default, so a file never pins the core count of the machine it was written on.
  engine.config().set_default("io-threads",
                              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!options.unixsocket.empty()) {
    char perm[8];
    std::snprintf(perm, sizeof perm, "%o", options.unixsocketperm);
    engine.config().set_initial("unixsocket", options.unixsocket);
    engine.config().set_initial("unixsocketperm", perm);
  }
  engine.config().set_initial("dir", absolute_path(options.dir));
  engine.config().set_initial("appendonly", options.appendonly ? "yes" : "no");
  engine.config().set_initial("appendfilename", options.appendfilename);
  engine.config().set_initial("appenddirname", options.appenddirname);
  engine.config().set_initial("dbfilename", options.dbfilename);
  for (const auto& [name, value] : options.config_settings) {
    std::string config_error;
    if (!engine.config().set(name, value, &config_error)) {
      std::fprintf(stderr, "eddy-server: %s\n", config_error.c_str());
      return 2;
    }
  }
  // The write-ahead log: recovered here, before any core runs, so no client can see a keyspace
  // that is still loading (Redis answers -LOADING meanwhile; eddy does not listen yet).
  std::vector<Shard*> shards;
  for (std::uint32_t s = 0; s < engine.shard_count(); ++s) shards.push_back(&engine.shard(s));
  storage::AppendOnlyLog aof(&runtime, &engine.commands(), shards);
  if (options.appendonly) {
    storage::AofOptions aof_options;
    aof_options.directory = options.appenddirname;
    aof_options.file_prefix = options.appendfilename;
    aof_options.fsync = static_cast<storage::FsyncPolicy>(engine.appendfsync());
    aof_options.load_truncated = engine.config().get_one("aof-load-truncated") == "yes";
    aof_options.load_damaged_prefix = engine.config().get_one("aof-load-damaged-prefix") == "yes";
    const Nanos started = runtime.monotonic_now();
    storage::RecoveryReport report;
    std::string aof_error;
    if (!aof.open(aof_options, &report, &aof_error)) {
      std::fprintf(stderr, "eddy-server: Aborting start-up: %s\n", aof_error.c_str());
      return 1;
    }
    engine.advance_tx_ids_past(report.max_tx_id);
    engine.set_aof(&aof);
    std::fprintf(stderr,
                 "eddy-server: append-only log loaded from %s/%s: %llu records applied, %llu "
                 "parts of %llu incomplete transactions dropped, %llu torn bytes cut, %.3f s\n",
                 options.dir.c_str(), options.appenddirname.c_str(),
                 static_cast<unsigned long long>(report.batches_applied),
                 static_cast<unsigned long long>(report.batches_dropped),
                 static_cast<unsigned long long>(report.transactions_dropped),
                 static_cast<unsigned long long>(report.torn_bytes),
                 static_cast<double>(runtime.monotonic_now() - started) / kNanosPerSecond);
  }
  // Snapshots: with the log off, the newest snapshot is loaded here, before any core runs and
  // so before eddy-server listens (no client sees a half-loaded keyspace, so none is answered
  // -LOADING). With the log on, the log is what recovery reads, as in Redis.
  storage::Snapshotter snapshotter(&runtime, shards, options.dbfilename);
  if (!options.appendonly) {
    const Nanos started = runtime.monotonic_now();
    storage::SnapshotLoadReport report;
    std::string load_error;
    if (!snapshotter.load([&](std::string_view key) { return engine.shard_of_key(key); }, &report,
                          &load_error)) {
      std::fprintf(stderr, "eddy-server: Aborting start-up: %s\n", load_error.c_str());
      return 1;
    }
    if (report.found) {
      std::fprintf(stderr,
                   "eddy-server: snapshot loaded from %s/%s (generation %llu): %llu keys, %llu "
                   "expired keys skipped, %llu bytes, %.3f s\n",
                   options.dir.c_str(), options.dbfilename.c_str(),
                   static_cast<unsigned long long>(report.generation),
                   static_cast<unsigned long long>(report.keys_loaded),
                   static_cast<unsigned long long>(report.keys_expired),
                   static_cast<unsigned long long>(report.bytes),
                   static_cast<double>(runtime.monotonic_now() - started) / kNanosPerSecond);
    }
  }
  engine.set_snapshotter(&snapshotter);
  // SHUTDOWN stops the node as SIGTERM does (the signal thread wakes on it and stops the runtime).
  snapshotter.set_stop([] { ::kill(::getpid(), SIGTERM); });
  if (!options.aclfile.empty()) {
    // As Redis: a bad aclfile stops the start, naming the file and the line.
    std::string errors;
    if (!load_acl_file_at_start(engine, options, &errors)) {
      std::fprintf(stderr, "eddy-server: Aborting start-up because of ACL errors: %s\n",
                   errors.c_str());
      return 1;
    }
  }

  std::atomic<std::uint32_t> listening{0};
  std::atomic<bool> failed{false};
  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    if (signal_number != 0) {
      std::fprintf(stderr, "eddy-server: %s received, shutting down\n",
                   signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    }
    runtime.stop();
  });

  runtime.run([&](std::uint32_t core) {
    engine.start_core_services();
    engine.start_client_cron();
    engine.start_save_rules();
    std::string listen_error;
    auto listener = runtime.listen(options.bind, options.port, &listen_error);
    if (!listener) {
      if (!failed.exchange(true)) {
        std::fprintf(stderr, "eddy-server: cannot listen: %s\n", listen_error.c_str());
        // Wake the signal thread so the process ends.
        ::kill(::getpid(), SIGTERM);
      }
      return;
    }
    if (!options.unixsocket.empty()) {
      auto unix_listener =
          runtime.listen_unix(options.unixsocket, options.unixsocketperm, &listen_error);
      if (!unix_listener) {
        if (!failed.exchange(true)) {
          std::fprintf(stderr, "eddy-server: cannot listen: %s\n", listen_error.c_str());
          ::kill(::getpid(), SIGTERM);
        }
        return;
      }
      // Its own fiber accepts on it; the listener lives as long as that fiber.
      runtime.scheduler().spawn("accept-unix", [&engine, listener = unix_listener.release()] {
        std::unique_ptr<Listener> owned(listener);
        while (auto stream = owned->accept()) Session::spawn(&engine, std::move(stream));
      });
    }
    if (listening.fetch_add(1) + 1 == options.workers) {
      std::printf("eddy-server listening on %s:%u%s%s with %u workers, %u shards\n",
                  options.bind.c_str(), static_cast<unsigned>(listener->port()),
                  options.unixsocket.empty() ? "" : " and ", options.unixsocket.c_str(),
                  options.workers, options.shards);
      std::fflush(stdout);
    }
    (void)core;
    // Session::spawn admits the client against maxclients, or refuses it with Redis's error.
    while (auto stream = listener->accept()) Session::spawn(&engine, std::move(stream));
  });
  signal_waiter.join();
  // As Redis at shutdown: with save rules, a final snapshot (every core has stopped, so this
  // thread owns the shards and the disk calls run here).
  std::vector<storage::SaveRule> rules;
  const auto shutdown_save = snapshotter.shutdown_save();
  const bool by_rules =
      storage::parse_save_rules(engine.config().get_one("save"), &rules) && !rules.empty();
  if (!failed && shutdown_save != storage::Snapshotter::ShutdownSave::kNoSave &&
      (by_rules || shutdown_save == storage::Snapshotter::ShutdownSave::kSave)) {
    const Nanos started = runtime.monotonic_now();
    std::string save_error;
    if (!snapshotter.save_blocking(&save_error)) {
      std::fprintf(stderr, "eddy-server: Error trying to save the DB, can't exit: %s\n",
                   save_error.c_str());
      return 1;
    }
    std::fprintf(stderr, "eddy-server: DB saved on disk (%llu keys, %.3f s)\n",
                 static_cast<unsigned long long>(snapshotter.last_entries()),
                 static_cast<double>(runtime.monotonic_now() - started) / kNanosPerSecond);
  }
  return failed ? 1 : 0;
}
