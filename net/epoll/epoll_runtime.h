#pragma once
// The production runtime: one pinned OS thread per core, each an epoll reactor running its own
// fiber scheduler. Cores talk only through bounded single-producer rings (one per ordered pair
// of cores) and wake a sleeping core with its eventfd; a core that is busy is never woken by a
// syscall. This is the only code on the data path that makes syscalls.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/runtime.h"

namespace eddy {

struct EpollCore;

class EpollRuntime final : public Runtime {
 public:
  struct Options {
    std::uint32_t workers = 1;
    bool pin_threads = true;
    std::string data_directory = ".";
  };

  explicit EpollRuntime(Options options);
  ~EpollRuntime() override;

  // Starts one thread per core; each runs `on_start(core)` in a fiber on that core, then
  // serves until stop() and until every fiber on every core has finished. Blocks until then.
  void run(std::function<void(std::uint32_t core)> on_start);
  // Begins a clean shutdown: listeners close, idle connections end, in-flight batches finish
  // and flush. Safe to call from any thread (not from a signal handler).
  void stop();

  std::uint32_t core_count() const override;
  std::uint32_t current_core() const override;
  Nanos monotonic_now() override;
  std::int64_t unix_now_us() override;
  fiber::Scheduler& scheduler() override;
  void sleep_for(Nanos duration) override;
  Rng& rng() override;
  std::uint64_t hash_seed() const override { return hash_seed_; }
  void post(Hop* hop) override;
  void send_home(Hop* hop) override;
  std::unique_ptr<Listener> listen(const std::string& host, std::uint16_t port,
                                   std::string* error) override;
  std::unique_ptr<Stream> connect(const std::string& host, std::uint16_t port,
                                  std::string* error) override;
  std::unique_ptr<Listener> listen_unix(const std::string& path, unsigned permissions,
                                        std::string* error) override;
  void log(std::string_view line) override;
  Disk& disk() override;
  bool stopping() const override { return stopping_.load(std::memory_order_acquire); }
  // eddy-server is a single node today: it has no peers (replication comes later).
  const std::string& node_name() const override { return node_name_; }
  bool send_to_peer(const std::string& peer, std::string bytes) override;
  std::optional<PeerMessage> receive_from_peer() override;

 private:
  friend struct EpollCore;
  void core_main(EpollCore& core, const std::function<void(std::uint32_t)>& on_start);
  // False when the ring is full.
  bool push_to(std::uint32_t from, std::uint32_t to, Hop* hop);
  void send_home_from(EpollCore& core, Hop* hop);
  void flush_overflow(EpollCore& core);
  void wake_core(EpollCore& core);

 public:
  // From a core's I/O thread (net/epoll's OffloadDisk): a disk call finished.
  void wake_core_from_io(EpollCore& core);
  // A listening socket the cores share (see listen()); released when its last core's
  // listener closes.
  void release_listen_socket(const std::string& host, std::uint16_t port);

 private:
  struct SharedListenSocket {
    int fd = -1;
    std::uint16_t port = 0;
    std::uint32_t users = 0;
    std::string unix_path;  // a unix socket's file, removed with the socket
  };
  // Touched when cores open or close listeners (start-up, shutdown), never per request.
  std::mutex listen_mutex_;
  std::map<std::pair<std::string, std::uint16_t>, SharedListenSocket> listen_sockets_;

  Options options_;
  const std::uint64_t hash_seed_;  // OS entropy (getrandom), once per process
  std::vector<std::unique_ptr<EpollCore>> cores_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint32_t> cores_idle_{0};
  std::unique_ptr<Disk> disk_;
  std::string node_name_ = "eddy";
};

}  // namespace eddy
