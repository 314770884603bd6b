#include "maelstrom/stdio/stdio_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>

#include "engine/base/assert.h"
#include "net/epoll/posix_disk.h"

namespace eddy::maelstrom {

// stdin, non-blocking; a reader parks until poll() says there is something to read.
class StdioRuntime::StdinStream final : public Stream {
 public:
  explicit StdinStream(StdioRuntime* runtime) : runtime_(runtime) {
    const int flags = ::fcntl(STDIN_FILENO, F_GETFL);
    if (flags >= 0) ::fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
  }

  std::size_t read(std::span<char> buffer) override {
    for (;;) {
      if (closed_ || runtime_->stopping()) return 0;
      const ssize_t got = ::read(STDIN_FILENO, buffer.data(), buffer.size());
      if (got > 0) return static_cast<std::size_t>(got);
      if (got == 0) {
        closed_ = true;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        closed_ = true;
        return 0;
      }
      reader_ = runtime_->scheduler().current();
      runtime_->scheduler().suspend();
      reader_ = nullptr;
    }
  }
  bool write(std::span<const std::string_view>) override { return false; }
  void close() override { closed_ = true; }
  std::string peer_address() const override { return "stdin"; }
  std::string local_address() const override { return "stdin"; }

  fiber::Fiber* reader() const { return reader_; }

 private:
  StdioRuntime* runtime_;
  fiber::Fiber* reader_ = nullptr;
  bool closed_ = false;
};

// stdout, blocking: Maelstrom reads it continuously, and a message must leave whole and in
// order. One writev per batch of messages.
class StdioRuntime::StdoutStream final : public Stream {
 public:
  std::size_t read(std::span<char>) override { return 0; }
  bool write(std::span<const std::string_view> pieces) override {
    if (broken_) return false;
    std::vector<iovec> vectors;
    vectors.reserve(pieces.size());
    for (std::string_view piece : pieces) {
      if (!piece.empty()) vectors.push_back({const_cast<char*>(piece.data()), piece.size()});
    }
    std::size_t first = 0;
    while (first < vectors.size()) {
      const int count = static_cast<int>(std::min<std::size_t>(vectors.size() - first, IOV_MAX));
      const ssize_t wrote = ::writev(STDOUT_FILENO, &vectors[first], count);
      if (wrote < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          // stdout shares a non-blocking open file with stdin (a tty or a socket): wait for
          // room rather than lose the message.
          pollfd out{STDOUT_FILENO, POLLOUT, 0};
          ::poll(&out, 1, -1);
          continue;
        }
        broken_ = true;
        return false;
      }
      std::size_t left = static_cast<std::size_t>(wrote);
      while (left > 0) {
        iovec& head = vectors[first];
        if (left >= head.iov_len) {
          left -= head.iov_len;
          ++first;
        } else {
          head.iov_base = static_cast<char*>(head.iov_base) + left;
          head.iov_len -= left;
          left = 0;
        }
      }
    }
    return true;
  }
  void close() override { broken_ = true; }
  std::string peer_address() const override { return "stdout"; }
  std::string local_address() const override { return "stdout"; }

 private:
  bool broken_ = false;
};

StdioRuntime::StdioRuntime(Options options)
    : options_(std::move(options)),
      scheduler_(options_.fiber_stack_bytes),
      rng_(options_.seed != 0 ? options_.seed
                              : std::random_device{}() * 0x9E3779B97F4A7C15ull ^
                                    static_cast<std::uint64_t>(::getpid())),
      hash_seed_(rng_.next()),
      disk_(std::make_unique<PosixDisk>(options_.data_directory)),
      stdin_stream_(std::make_unique<StdinStream>(this)),
      stdout_stream_(std::make_unique<StdoutStream>()) {}

StdioRuntime::~StdioRuntime() = default;

Stream& StdioRuntime::standard_input() {
  return *stdin_stream_;
}
Stream& StdioRuntime::standard_output() {
  return *stdout_stream_;
}

Nanos StdioRuntime::monotonic_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t StdioRuntime::unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void StdioRuntime::sleep_for(Nanos duration) {
  ASSERT(scheduler_.in_fiber());
  if (stopping_) {
    scheduler_.yield();
    return;
  }
  const Nanos deadline = monotonic_now() + std::max<Nanos>(duration, 0);
  sleepers_.push({deadline, sleeper_sequence_++, scheduler_.current()});
  while (monotonic_now() < deadline && !stopping_) scheduler_.suspend();
}

void StdioRuntime::post(Hop* hop) {
  // One core: the hop's target is this core, so it runs from the loop, outside any fiber, as
  // the Hop contract says.
  ASSERT_EQ(hop->target_core, 0u);
  hops_to_run_.push_back(hop);
}

void StdioRuntime::send_home(Hop* hop) {
  hops_home_.push_back(hop);
}

void StdioRuntime::run_hops() {
  while (!hops_to_run_.empty() || !hops_home_.empty()) {
    std::vector<Hop*> to_run;
    to_run.swap(hops_to_run_);
    for (Hop* hop : to_run) {
      if (hop->run_at_target()) hops_home_.push_back(hop);
    }
    std::vector<Hop*> home;
    home.swap(hops_home_);
    for (Hop* hop : home) hop->run_at_origin();
  }
}

void StdioRuntime::wake_all_sleepers() {
  while (!sleepers_.empty()) {
    scheduler_.wake(sleepers_.top().fiber);
    sleepers_.pop();
  }
}

void StdioRuntime::stop() {
  if (stopping_) return;
  stopping_ = true;
  wake_all_sleepers();
  if (stdin_stream_->reader() != nullptr) scheduler_.wake(stdin_stream_->reader());
}

void StdioRuntime::run(std::function<void()> main) {
  scheduler_.spawn("maelstrom-main", [this, main = std::move(main)] {
    main();
    stop();
  });
  for (;;) {
    scheduler_.run_ready();
    run_hops();
    if (scheduler_.has_ready()) continue;
    if (scheduler_.live_count() == 0) return;
    // Wait for stdin (if someone reads it) or the next timer.
    int timeout_ms = -1;
    if (!sleepers_.empty()) {
      const Nanos wait = sleepers_.top().deadline - monotonic_now();
      timeout_ms = wait <= 0 ? 0 : static_cast<int>((wait + kNanosPerMilli - 1) / kNanosPerMilli);
    }
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const bool want_input = stdin_stream_->reader() != nullptr;
    if (!want_input && timeout_ms < 0) {
      // Nothing can wake any fiber: a bug, not a state to wait in forever.
      ASSERT_MSG(false, "eddy-maelstrom: fibers are alive but none can ever wake");
    }
    const int ready = ::poll(want_input ? &input : nullptr, want_input ? 1 : 0, timeout_ms);
    if (ready > 0 && want_input) scheduler_.wake(stdin_stream_->reader());
    const Nanos now = monotonic_now();
    while (!sleepers_.empty() && sleepers_.top().deadline <= now) {
      scheduler_.wake(sleepers_.top().fiber);
      sleepers_.pop();
    }
  }
}

std::unique_ptr<Listener> StdioRuntime::listen(const std::string&, std::uint16_t,
                                               std::string* error) {
  *error = "the Maelstrom runtime has no sockets: Maelstrom is the network";
  return nullptr;
}

std::unique_ptr<Stream> StdioRuntime::connect(const std::string&, std::uint16_t,
                                              std::string* error) {
  *error = "the Maelstrom runtime has no sockets: Maelstrom is the network";
  return nullptr;
}

bool StdioRuntime::send_to_peer(const std::string&, std::string) {
  return false;
}

std::optional<PeerMessage> StdioRuntime::receive_from_peer() {
  return std::nullopt;
}

}  // namespace eddy::maelstrom
