#pragma once
// A real server for tests: EpollRuntime with `workers` cores (one shard per core unless told
// otherwise) serving RESP sessions on a free port from a background thread. Clients connect
// with BlockingClient (blocking_client.h).

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "engine/base/assert.h"
#include "engine/engine.h"
#include "net/epoll/epoll_runtime.h"
#include "net/session.h"
#include "tests/unit/support/blocking_client.h"

namespace eddy::testing {

class TestServer {
 public:
  // `aclfile`: ACL LOAD and ACL SAVE's file (not loaded at start: eddy-server's main does that).
  explicit TestServer(std::uint32_t workers, std::uint32_t shards = 0, std::string aclfile = "")
      : runtime_(EpollRuntime::Options{workers, false, "."}), port_(free_port()) {
    EngineOptions options;
    options.aclfile = std::move(aclfile);
    options.shard_count = shards == 0 ? workers : shards;
    options.port = port_;
    engine_ = std::make_unique<Engine>(&runtime_, options);
    thread_ = std::thread([this] {
      runtime_.run([this](std::uint32_t) {
        engine_->start_core_services();
        engine_->start_client_cron();
        std::string error;
        auto listener = runtime_.listen("127.0.0.1", port_, &error);
        // Catch's macros are not thread-safe: a core thread fails the process instead.
        ASSERT_MSG(listener != nullptr, error);
        while (auto stream = listener->accept()) Session::spawn(engine_.get(), std::move(stream));
      });
    });
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void stop() {
    if (thread_.joinable()) {
      runtime_.stop();
      thread_.join();
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  EpollRuntime runtime_;
  std::uint16_t port_;
  std::unique_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace eddy::testing
