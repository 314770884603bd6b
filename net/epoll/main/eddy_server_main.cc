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
  for (const auto& [name, value] : options.config_settings) {
    std::string config_error;
    if (!engine.config().set(name, value, &config_error)) {
      std::fprintf(stderr, "eddy-server: %s\n", config_error.c_str());
      return 2;
    }
  }
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
  return failed ? 1 : 0;
}
