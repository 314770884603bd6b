#include "net/epoll/epoll_runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <queue>

#include "engine/base/assert.h"
#include "engine/limits.h"
#include "net/epoll/posix_disk.h"
#include "net/epoll/spsc_ring.h"

namespace eddy {

namespace {

// Something registered with a core's epoll set.
class Pollable {
 public:
  virtual ~Pollable() = default;
  virtual void on_events(std::uint32_t events) = 0;
};

std::uint64_t os_random_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    seed = static_cast<std::uint64_t>(ts.tv_nsec) ^ (static_cast<std::uint64_t>(::getpid()) << 32);
  }
  return seed;
}

std::string format_address(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {0};
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

std::string peer_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  return format_address(address);
}

std::string local_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  return format_address(address);
}

bool resolve(const std::string& host, std::uint16_t port, sockaddr_storage* out,
             socklen_t* length) {
  std::memset(out, 0, sizeof *out);
  std::string name = host == "localhost" ? "127.0.0.1" : host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(out);
  if (::inet_pton(AF_INET, name.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    *length = sizeof(sockaddr_in);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  if (::inet_pton(AF_INET6, name.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

class EpollStream;
class EpollListener;

// A disk call that a core's fiber hands to the core's I/O thread (see OffloadDisk). Lives on
// the waiting fiber's stack.
struct IoRequest {
  enum class Op : std::uint8_t { kAppend, kWriteAt, kSync, kTruncate, kReplaceFile };
  Op op = Op::kSync;
  Disk::FileId file = -1;
  std::uint64_t offset = 0;  // kWriteAt: where; kTruncate: the new size
  std::string_view bytes;
  const std::string* path = nullptr;  // kReplaceFile
  std::string* reason = nullptr;      // kReplaceFile: why it failed
  bool result = false;
  int error = 0;           // errno of a failed call, read on the I/O thread
  bool completed = false;  // set on the core, when it takes the completion
  fiber::Fiber* fiber = nullptr;
  IoRequest* next_done = nullptr;
};

// One per core, started on the core's first offloaded call: runs the blocking syscalls (write,
// fdatasync) so that the core's loop never waits for the disk. Requests come in under a mutex
// (a few per group commit, never per command); completions go back through a lock-free stack
// and the core's eventfd.
struct IoThread {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<IoRequest*> queue;
  bool stop = false;
  std::thread thread;
};

struct EpollCore {
  EpollCore(EpollRuntime* owner, std::uint32_t core_index, std::uint32_t cores)
      : runtime(owner),
        index(core_index),
        scheduler(limits::fiber_stack_bytes),
        rng(os_random_seed()),
        overflow(cores) {
    for (std::uint32_t i = 0; i < cores; ++i) {
      inbound.push_back(std::make_unique<SpscRing<Hop*>>(limits::mailbox_ring_entries));
    }
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    ASSERT_MSG(epoll_fd >= 0, "epoll_create1 failed");
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_MSG(wake_fd >= 0, "eventfd failed");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;  // the wake-up fd
    ASSERT_EQ(::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event), 0);
  }
  ~EpollCore() {
    if (io != nullptr) {
      {
        std::lock_guard<std::mutex> lock(io->mutex);
        io->stop = true;
      }
      io->wake.notify_one();
      io->thread.join();
    }
    ::close(wake_fd);
    ::close(epoll_fd);
  }

  struct Sleeper {
    Nanos deadline;
    std::uint64_t sequence;
    fiber::Fiber* fiber;
    bool operator>(const Sleeper& other) const {
      return deadline != other.deadline ? deadline > other.deadline : sequence > other.sequence;
    }
  };

  EpollRuntime* runtime;
  std::uint32_t index;
  int epoll_fd = -1;
  int wake_fd = -1;
  alignas(64) std::atomic<bool> sleeping{false};
  fiber::Scheduler scheduler;
  Rng rng;
  std::vector<std::unique_ptr<SpscRing<Hop*>>> inbound;  // by source core
  // Hops going home to a core whose ring was full, by target core, oldest first (intrusive
  // through Hop::next_parked: no allocation).
  struct Overflow {
    Hop* head = nullptr;
    Hop* tail = nullptr;
  };
  std::vector<Overflow> overflow;
  std::priority_queue<Sleeper, std::vector<Sleeper>, std::greater<>> sleepers;
  std::uint64_t sleeper_sequence = 0;
  std::vector<EpollStream*> streams;  // open streams, for shutdown
  std::vector<EpollListener*> listeners;
  bool shutdown_started = false;
  Nanos cancel_deadline = 0;  // after this, streams still blocked are cancelled
  bool counted_idle = false;
  std::thread thread;
  std::unique_ptr<IoThread> io;
  // Completed disk calls, pushed by the I/O thread, taken by the core's loop.
  std::atomic<IoRequest*> io_done{nullptr};
};

namespace {
thread_local EpollCore* t_core = nullptr;

EpollCore& this_core() {
  ASSERT_MSG(t_core != nullptr, "runtime call from a thread that is not a core");
  return *t_core;
}

Nanos monotonic_nanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

void remove_from(std::vector<EpollStream*>& streams, EpollStream* stream) {
  auto it = std::find(streams.begin(), streams.end(), stream);
  if (it != streams.end()) {
    *it = streams.back();
    streams.pop_back();
  }
}
}  // namespace

// The Disk of eddy-server: PosixDisk, with the calls that may block for long (append, pwrite,
// fdatasync, ftruncate) performed on the calling core's I/O thread while the calling fiber is
// suspended, so a slow disk stalls only the fibers that wait for it. Calls from outside a core's
// fiber (recovery at start-up, before the cores run) go straight to PosixDisk.
class OffloadDisk final : public Disk {
 public:
  OffloadDisk(EpollRuntime* runtime, std::string directory)
      : runtime_(runtime), posix_(std::move(directory)) {}

  FileId open(const std::string& path, bool create, std::string* error) override {
    return posix_.open(path, create, error);
  }
  bool append(FileId file, std::string_view bytes) override {
    return offload(IoRequest::Op::kAppend, file, 0, bytes);
  }
  bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) override {
    return offload(IoRequest::Op::kWriteAt, file, offset, bytes);
  }
  bool sync(FileId file) override { return offload(IoRequest::Op::kSync, file, 0, {}); }
  std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) override {
    return posix_.read_at(file, offset, buffer);
  }
  std::int64_t size(FileId file) override { return posix_.size(file); }
  bool truncate(FileId file, std::uint64_t size) override {
    return offload(IoRequest::Op::kTruncate, file, size, {});
  }
  void close(FileId file) override { posix_.close(file); }
  bool rename(const std::string& from, const std::string& to) override {
    return posix_.rename(from, to);
  }
  bool remove(const std::string& path) override { return posix_.remove(path); }
  std::vector<std::string> list(const std::string& directory) override {
    return posix_.list(directory);
  }
  ReadStatus read_file(const std::string& path, std::size_t limit, std::string* text,
                       std::string* reason) override {
    return posix_.read_file(path, limit, text, reason);
  }
  // Writes, syncs and renames (with the directory's fsync): all blocking, so off the core too
  // (a snapshot's manifest, CONFIG REWRITE's file).
  bool replace_file(const std::string& path, std::string_view bytes, std::string* reason) override {
    return offload(IoRequest::Op::kReplaceFile, -1, 0, bytes, &path, reason);
  }
  bool make_directory(const std::string& directory) override {
    return posix_.make_directory(directory);
  }
  std::string last_error() const override { return posix_.last_error(); }

  // On the I/O thread.
  void perform(IoRequest& request) {
    switch (request.op) {
      case IoRequest::Op::kAppend:
        request.result = posix_.append(request.file, request.bytes);
        return;
      case IoRequest::Op::kWriteAt:
        request.result = posix_.write_at(request.file, request.offset, request.bytes);
        return;
      case IoRequest::Op::kSync:
        request.result = posix_.sync(request.file);
        return;
      case IoRequest::Op::kTruncate:
        request.result = posix_.truncate(request.file, request.offset);
        return;
      case IoRequest::Op::kReplaceFile:
        request.result = posix_.replace_file(*request.path, request.bytes, request.reason);
        return;
    }
  }

 private:
  bool offload(IoRequest::Op op, FileId file, std::uint64_t offset, std::string_view bytes,
               const std::string* path = nullptr, std::string* reason = nullptr);
  void io_thread_main(EpollCore& core);

  EpollRuntime* runtime_;
  PosixDisk posix_;
};

bool OffloadDisk::offload(IoRequest::Op op, FileId file, std::uint64_t offset,
                          std::string_view bytes, const std::string* path, std::string* reason) {
  IoRequest request;
  request.op = op;
  request.file = file;
  request.offset = offset;
  request.bytes = bytes;
  request.path = path;
  request.reason = reason;
  EpollCore* core = t_core;
  if (core == nullptr || !core->scheduler.in_fiber()) {
    perform(request);
    return request.result;
  }
  if (core->io == nullptr) {
    core->io = std::make_unique<IoThread>();
    core->io->thread = std::thread([this, core] { io_thread_main(*core); });
  }
  request.fiber = core->scheduler.current();
  {
    std::lock_guard<std::mutex> lock(core->io->mutex);
    core->io->queue.push_back(&request);
  }
  core->io->wake.notify_one();
  while (!request.completed) core->scheduler.suspend();
  if (!request.result) PosixDisk::set_thread_errno(request.error);  // for last_error()
  return request.result;
}

void OffloadDisk::io_thread_main(EpollCore& core) {
  IoThread& io = *core.io;
  for (;;) {
    IoRequest* request = nullptr;
    {
      std::unique_lock<std::mutex> lock(io.mutex);
      io.wake.wait(lock, [&] { return io.stop || !io.queue.empty(); });
      if (io.queue.empty()) return;  // stopping, and nothing left
      request = io.queue.front();
      io.queue.pop_front();
    }
    perform(*request);
    request->error = request->result ? 0 : PosixDisk::thread_errno();
    // Publish (seq_cst, paired with the core's "sleeping" store as push_to is), then wake the
    // core if it sleeps.
    IoRequest* head = core.io_done.load(std::memory_order_relaxed);
    do {
      request->next_done = head;
    } while (!core.io_done.compare_exchange_weak(head, request, std::memory_order_seq_cst,
                                                 std::memory_order_relaxed));
    if (core.sleeping.load(std::memory_order_seq_cst) &&
        core.sleeping.exchange(false, std::memory_order_acq_rel)) {
      runtime_->wake_core_from_io(core);
    }
  }
}

// A TCP or unix-socket connection owned by one core. Edge-triggered: a fiber suspends only
// after the kernel said EAGAIN, and the readiness event wakes it.
class EpollStream final : public Stream, public Pollable {
 public:
  // `unix_path`: the unix socket it came through (empty for TCP); both its addresses are then
  // "<path>:0", as Redis shows them.
  EpollStream(EpollCore* core, int fd, const std::string& unix_path = {})
      : core_(core), fd_(fd), unix_(!unix_path.empty()) {
    if (unix_) {
      peer_ = local_ = unix_path + ":0";
    } else {
      peer_ = peer_of(fd);
      local_ = local_of(fd);
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = static_cast<Pollable*>(this);
    ASSERT_EQ(::epoll_ctl(core_->epoll_fd, EPOLL_CTL_ADD, fd_, &event), 0);
    core_->streams.push_back(this);
  }
  ~EpollStream() override { close(); }

  std::size_t read(std::span<char> buffer) override {
    ASSERT(!buffer.empty());
    for (;;) {
      if (fd_ < 0 || cancelled_) return 0;
      const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return 0;
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return 0;
      if (core_->runtime->stopping()) return 0;
      reader_ = core_->scheduler.current();
      core_->scheduler.suspend();
      reader_ = nullptr;
    }
  }

  bool write(std::span<const std::string_view> pieces) override {
    constexpr std::size_t kIovMax = 64;
    std::size_t piece = 0;
    std::size_t offset = 0;  // within pieces[piece]
    while (piece < pieces.size()) {
      if (fd_ < 0 || cancelled_) return false;
      iovec iov[kIovMax];
      int count = 0;
      for (std::size_t i = piece; i < pieces.size() && count < static_cast<int>(kIovMax); ++i) {
        const std::string_view p = pieces[i];
        const std::size_t skip = i == piece ? offset : 0;
        if (p.size() == skip) continue;
        iov[count].iov_base = const_cast<char*>(p.data() + skip);
        iov[count].iov_len = p.size() - skip;
        ++count;
      }
      if (count == 0) return true;
      const ssize_t n = ::writev(fd_, iov, count);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return false;
        writer_ = core_->scheduler.current();
        core_->scheduler.suspend();
        writer_ = nullptr;
        continue;
      }
      auto written = static_cast<std::size_t>(n);
      bytes_written_ += written;
      while (written > 0 && piece < pieces.size()) {
        const std::size_t left = pieces[piece].size() - offset;
        if (written >= left) {
          written -= left;
          ++piece;
          offset = 0;
        } else {
          offset += written;
          written = 0;
        }
      }
      while (piece < pieces.size() && pieces[piece].size() == offset) {
        ++piece;
        offset = 0;
      }
    }
    return true;
  }

  void close() override {
    if (fd_ < 0) return;
    ::epoll_ctl(core_->epoll_fd, EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
    fd_ = -1;
    remove_from(core_->streams, this);
    wake_all();
  }

  // Shutdown: whoever is blocked gets end-of-stream / a failed write.
  void cancel() {
    cancelled_ = true;
    wake_all();
  }
  void wake_readers() {
    if (reader_ != nullptr) core_->scheduler.wake(reader_);
  }

  std::string peer_address() const override { return peer_; }
  std::string local_address() const override { return local_; }
  std::uint64_t bytes_written() const override { return bytes_written_; }
  bool is_unix_socket() const override { return unix_; }

  void set_keepalive(int interval_s) override {
    if (fd_ < 0 || unix_ || interval_s <= 0) return;
    // As Redis's anetKeepAlive: probes after interval_s idle seconds, then every third of it,
    // the connection dead after three unanswered. A failure leaves the kernel's defaults.
    int on = 1;
    int idle = interval_s;
    int gap = std::max(1, interval_s / 3);
    int probes = 3;
    ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &gap, sizeof gap);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  }

  void wake_on_input(fiber::Fiber* fiber) override {
    ASSERT(reader_ == nullptr || fiber == nullptr);
    reader_ = fiber;
  }
  bool peer_hung_up() override {
    if (fd_ < 0 || cancelled_) return true;
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    // Pending bytes (a pipelined command) or nothing yet: still there. EPOLLRDHUP with bytes
    // still unread is not seen here; the next read finds the end.
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }

  void on_events(std::uint32_t events) override {
    if (reader_ != nullptr && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
      core_->scheduler.wake(reader_);
    }
    if (writer_ != nullptr && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
      core_->scheduler.wake(writer_);
    }
  }

 private:
  void wake_all() {
    if (reader_ != nullptr) core_->scheduler.wake(reader_);
    if (writer_ != nullptr) core_->scheduler.wake(writer_);
  }

  EpollCore* core_;
  int fd_;
  fiber::Fiber* reader_ = nullptr;
  fiber::Fiber* writer_ = nullptr;
  bool cancelled_ = false;
  bool unix_ = false;
  std::uint64_t bytes_written_ = 0;
  std::string peer_;
  std::string local_;
};

class EpollListener final : public Listener, public Pollable {
 public:
  // `unix_path`: set for a unix-socket listener (port 0).
  EpollListener(EpollCore* core, int fd, std::uint16_t port, std::string host,
                std::string unix_path = {})
      : core_(core),
        fd_(fd),
        port_(port),
        host_(std::move(host)),
        unix_path_(std::move(unix_path)) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET | EPOLLEXCLUSIVE;
    event.data.ptr = static_cast<Pollable*>(this);
    ASSERT_EQ(::epoll_ctl(core_->epoll_fd, EPOLL_CTL_ADD, fd_, &event), 0);
    core_->listeners.push_back(this);
  }
  ~EpollListener() override {
    close();
    auto& all = core_->listeners;
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
  }

  std::unique_ptr<Stream> accept() override {
    for (;;) {
      if (fd_ < 0) return nullptr;
      const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        if (!unix_path_.empty()) return std::make_unique<EpollStream>(core_, fd, unix_path_);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return std::make_unique<EpollStream>(core_, fd);
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) {
        waiter_ = core_->scheduler.current();
        core_->scheduler.suspend();
        waiter_ = nullptr;
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: back off rather than spin; connections wait in the backlog.
        core_->runtime->sleep_for(10 * kNanosPerMilli);
        continue;
      }
      return nullptr;
    }
  }

  void close() override {
    if (fd_ < 0) return;
    ::epoll_ctl(core_->epoll_fd, EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
    fd_ = -1;
    core_->runtime->release_listen_socket(host_, port_);
    if (waiter_ != nullptr) core_->scheduler.wake(waiter_);
  }

  std::uint16_t port() const override { return port_; }

  void on_events(std::uint32_t) override {
    if (waiter_ != nullptr) core_->scheduler.wake(waiter_);
  }

 private:
  EpollCore* core_;
  int fd_;
  std::uint16_t port_;
  std::string host_;  // as asked for: the key of the shared socket
  std::string unix_path_;
  fiber::Fiber* waiter_ = nullptr;
};

EpollRuntime::EpollRuntime(Options options)
    : options_(std::move(options)), hash_seed_(os_random_seed()) {
  ASSERT_GE(options_.workers, 1u);
  ASSERT_LE(options_.workers, limits::shards_max);
  for (std::uint32_t i = 0; i < options_.workers; ++i) {
    cores_.push_back(std::make_unique<EpollCore>(this, i, options_.workers));
  }
  disk_ = std::make_unique<OffloadDisk>(this, options_.data_directory);
}

EpollRuntime::~EpollRuntime() = default;

std::uint32_t EpollRuntime::core_count() const {
  return options_.workers;
}
std::uint32_t EpollRuntime::current_core() const {
  return this_core().index;
}
Nanos EpollRuntime::monotonic_now() {
  return monotonic_nanos();
}

std::int64_t EpollRuntime::unix_now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

fiber::Scheduler& EpollRuntime::scheduler() {
  return this_core().scheduler;
}
Rng& EpollRuntime::rng() {
  return this_core().rng;
}
Disk& EpollRuntime::disk() {
  return *disk_;
}

void EpollRuntime::sleep_for(Nanos duration) {
  EpollCore& core = this_core();
  ASSERT(core.scheduler.in_fiber());
  if (stopping()) {
    // No timer once shutdown began (the sweep of sleepers is over): let others run instead.
    core.scheduler.yield();
    return;
  }
  const Nanos deadline = monotonic_nanos() + std::max<Nanos>(duration, 0);
  core.sleepers.push({deadline, core.sleeper_sequence++, core.scheduler.current()});
  // The entry stays until its deadline passes or shutdown sweeps it; the fiber waits for it
  // either way, so a timer never wakes a fiber that has moved on.
  while (monotonic_nanos() < deadline && !stopping()) core.scheduler.suspend();
}

void EpollRuntime::wake_core_from_io(EpollCore& core) {
  wake_core(core);
}

void EpollRuntime::wake_core(EpollCore& core) {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(core.wake_fd, &one, sizeof one);
}

bool EpollRuntime::push_to(std::uint32_t from, std::uint32_t to, Hop* hop) {
  EpollCore& target = *cores_[to];
  if (!target.inbound[from]->push(hop)) return false;
  // The push (a seq_cst store) and this seq_cst load pair with core_main's seq_cst
  // "sleeping" store and ring check: in their single total order, either the target sees the
  // hop before it sleeps, or we see it sleeping and wake it.
  if (target.sleeping.load(std::memory_order_seq_cst) &&
      target.sleeping.exchange(false, std::memory_order_acq_rel)) {
    wake_core(target);
  }
  return true;
}

void EpollRuntime::post(Hop* hop) {
  EpollCore& core = this_core();
  ASSERT_NE(hop->target_core, core.index);
  ASSERT_LT(hop->target_core, cores_.size());
  hop->origin_core = core.index;
  // Back-pressure: a full ring means the target has not drained it yet; it drains on every
  // turn of its loop whatever else it waits for, so yielding until there is room always ends.
  while (!push_to(core.index, hop->target_core, hop)) {
    ASSERT(core.scheduler.in_fiber());
    core.scheduler.yield();
  }
}

void EpollRuntime::send_home(Hop* hop) {
  EpollCore& core = this_core();
  ASSERT_EQ(hop->target_core, core.index);
  if (hop->origin_core == core.index) {
    hop->run_at_origin();
    return;
  }
  send_home_from(core, hop);
}

void EpollRuntime::send_home_from(EpollCore& core, Hop* hop) {
  // Keep order behind hops already waiting; otherwise try the ring, and wait if it is full.
  EpollCore::Overflow& waiting = core.overflow[hop->origin_core];
  if (waiting.head == nullptr && push_to(core.index, hop->origin_core, hop)) return;
  ASSERT(hop->next_parked == nullptr);
  if (waiting.tail == nullptr) {
    waiting.head = hop;
  } else {
    waiting.tail->next_parked = hop;
  }
  waiting.tail = hop;
}

void EpollRuntime::flush_overflow(EpollCore& core) {
  for (std::uint32_t to = 0; to < core.overflow.size(); ++to) {
    EpollCore::Overflow& waiting = core.overflow[to];
    while (waiting.head != nullptr) {
      Hop* hop = waiting.head;
      Hop* next = hop->next_parked;
      hop->next_parked = nullptr;
      if (!push_to(core.index, to, hop)) {
        hop->next_parked = next;
        break;
      }
      waiting.head = next;
      if (next == nullptr) waiting.tail = nullptr;
    }
  }
}

namespace {
// A non-blocking TCP socket for host:port (resolved into *address); -1 with *error set.
int open_tcp_socket(const std::string& host, std::uint16_t port, sockaddr_storage* address,
                    socklen_t* length, std::string* error) {
  if (!resolve(host, port, address, length)) {
    *error = "cannot parse address '" + host + "'";
    return -1;
  }
  const int fd = ::socket(address->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) *error = std::string("socket: ") + std::strerror(errno);
  return fd;
}
}  // namespace

std::unique_ptr<Listener> EpollRuntime::listen(const std::string& host, std::uint16_t port,
                                               std::string* error) {
  // One listening socket for the whole process, bound without SO_REUSEPORT, so the address is
  // eddy's alone: a second process asking for it gets EADDRINUSE instead of silently taking a
  // share of the connections. Each core listens on its own descriptor of that socket
  // (EPOLLEXCLUSIVE: a new connection wakes one waiting core, not all of them).
  EpollCore& core = this_core();
  std::lock_guard<std::mutex> lock(listen_mutex_);
  const auto key = std::make_pair(host, port);
  auto it = port == 0 ? listen_sockets_.end() : listen_sockets_.find(key);
  if (it == listen_sockets_.end()) {
    sockaddr_storage address{};
    socklen_t length = 0;
    const int fd = open_tcp_socket(host, port, &address, &length, error);
    if (fd < 0) return nullptr;
    int one = 1;
    // Only lets a restarted server bind over connections still in TIME_WAIT.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      *error = "bind " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    if (::listen(fd, 511) != 0) {
      *error = std::string("listen: ") + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
    const std::uint16_t actual_port =
        bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    it = listen_sockets_
             .emplace(std::make_pair(host, actual_port), SharedListenSocket{fd, actual_port, 0, {}})
             .first;
  }
  const int fd = ::fcntl(it->second.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("dup: ") + std::strerror(errno);
    return nullptr;
  }
  ++it->second.users;
  return std::make_unique<EpollListener>(&core, fd, it->second.port, host);
}

void EpollRuntime::release_listen_socket(const std::string& host, std::uint16_t port) {
  std::lock_guard<std::mutex> lock(listen_mutex_);
  auto it = listen_sockets_.find(std::make_pair(host, port));
  ASSERT(it != listen_sockets_.end());
  ASSERT_GT(it->second.users, 0u);
  if (--it->second.users == 0) {
    ::close(it->second.fd);
    // As Redis at shutdown: the socket file goes with the socket.
    if (!it->second.unix_path.empty()) ::unlink(it->second.unix_path.c_str());
    listen_sockets_.erase(it);
  }
}

std::unique_ptr<Listener> EpollRuntime::listen_unix(const std::string& path, unsigned permissions,
                                                    std::string* error) {
  // One socket for the process, shared by the cores as the TCP one is. The path is eddy's
  // alone: a socket file nobody listens on (left by a server that died) is removed first, as
  // Redis does, but one that another process still listens on is refused ("Address already in
  // use"), where Redis would take the path from under it.
  EpollCore& core = this_core();
  std::lock_guard<std::mutex> lock(listen_mutex_);
  const auto key = std::make_pair("unix:" + path, std::uint16_t{0});
  auto it = listen_sockets_.find(key);
  if (it == listen_sockets_.end()) {
    sockaddr_un address{};
    if (path.empty() || path.size() >= sizeof address.sun_path) {
      *error = "unix socket path too long (" + std::to_string(path.size()) + "), must be under " +
               std::to_string(sizeof address.sun_path);
      return nullptr;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) {
      if (!S_ISSOCK(existing.st_mode)) {
        *error = "unix socket " + path + ": the path exists and is not a socket";
        return nullptr;
      }
      // Non-blocking: a live owner whose backlog is full answers EAGAIN at once, where a
      // blocking connect would wait for it to accept (forever, if it never does).
      const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      const bool live = probe >= 0 && (::connect(probe, reinterpret_cast<sockaddr*>(&address),
                                                 sizeof address) == 0 ||
                                       errno == EAGAIN || errno == EINPROGRESS);
      if (probe >= 0) ::close(probe);
      if (live) {
        *error = "unix socket " + path + ": " + std::strerror(EADDRINUSE);
        return nullptr;
      }
      ::unlink(path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      *error = std::string("socket: ") + std::strerror(errno);
      return nullptr;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      *error = "bind " + path + ": " + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    if (permissions != 0 && ::chmod(path.c_str(), static_cast<mode_t>(permissions)) != 0) {
      *error = "chmod " + path + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      return nullptr;
    }
    if (::listen(fd, 511) != 0) {
      *error = std::string("listen: ") + std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      return nullptr;
    }
    it = listen_sockets_.emplace(key, SharedListenSocket{fd, 0, 0, path}).first;
  }
  const int fd = ::fcntl(it->second.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("dup: ") + std::strerror(errno);
    return nullptr;
  }
  ++it->second.users;
  return std::make_unique<EpollListener>(&core, fd, 0, key.first, path);
}

void EpollRuntime::log(std::string_view line) {
  // One write per line, so lines from several cores never interleave.
  std::string text = "eddy-server: ";
  text.append(line);
  text.push_back('\n');
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
}

std::unique_ptr<Stream> EpollRuntime::connect(const std::string& host, std::uint16_t port,
                                              std::string* error) {
  EpollCore& core = this_core();
  sockaddr_storage address{};
  socklen_t length = 0;
  const int fd = open_tcp_socket(host, port, &address, &length, error);
  if (fd < 0) return nullptr;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 && errno != EINPROGRESS) {
    *error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  auto stream = std::make_unique<EpollStream>(&core, fd);
  // Writable means connected (or failed: SO_ERROR says which).
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int so_error = 0;
    socklen_t so_length = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_length);
    if (so_error != 0) {
      *error = std::string("connect: ") + std::strerror(so_error);
      return nullptr;
    }
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0) return stream;
    sleep_for(kNanosPerMilli);
  }
  *error = "connect: timed out";
  return nullptr;
}

bool EpollRuntime::send_to_peer(const std::string&, std::string) {
  return false;
}

std::optional<PeerMessage> EpollRuntime::receive_from_peer() {
  // No peers: nothing will ever arrive; wait until shutdown.
  while (!stopping()) sleep_for(kNanosPerSecond);
  return std::nullopt;
}

void EpollRuntime::stop() {
  stopping_.store(true, std::memory_order_release);
  for (auto& core : cores_) wake_core(*core);
}

void EpollRuntime::run(std::function<void(std::uint32_t)> on_start) {
  for (auto& core_ptr : cores_) {
    EpollCore* core = core_ptr.get();
    core->thread = std::thread([this, core, &on_start] { core_main(*core, on_start); });
  }
  for (auto& core : cores_) core->thread.join();
}

void EpollRuntime::core_main(EpollCore& core, const std::function<void(std::uint32_t)>& on_start) {
  t_core = &core;
  if (options_.pin_threads) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    CPU_SET(core.index % cpus, &set);
    ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
  }
  const std::uint32_t me = core.index;
  core.scheduler.spawn("start", [&on_start, me] { on_start(me); });

  constexpr int kEventsMax = 256;
  epoll_event events[kEventsMax];
  auto rings_empty = [&] {
    for (auto& ring : core.inbound) {
      if (!ring->empty()) return false;
    }
    return true;
  };
  for (;;) {
    // 1. Mail from other cores: requests to run here, and our own hops coming home. Hops
    //    waiting for room to go home go first, so they keep their order.
    flush_overflow(core);
    for (auto& ring : core.inbound) {
      Hop* hop = nullptr;
      while (ring->pop(&hop)) {
        if (hop->origin_core == me) {
          hop->run_at_origin();
        } else {
          ASSERT_EQ(hop->target_core, me);
          if (hop->run_at_target()) send_home_from(core, hop);
        }
      }
    }
    // 1b. Disk calls the I/O thread has finished: their fibers go on.
    for (IoRequest* done = core.io_done.exchange(nullptr, std::memory_order_acquire);
         done != nullptr;) {
      IoRequest* next = done->next_done;
      done->completed = true;
      core.scheduler.wake(done->fiber);
      done = next;
    }
    // 2. Timers.
    const Nanos now = monotonic_nanos();
    while (!core.sleepers.empty() && core.sleepers.top().deadline <= now) {
      core.scheduler.wake(core.sleepers.top().fiber);
      core.sleepers.pop();
    }
    // 3. Fibers.
    core.scheduler.run_ready();

    // 4. Shutdown: stop accepting, end idle connections, then wait for every core to drain.
    if (stopping()) {
      if (!core.shutdown_started) {
        core.shutdown_started = true;
        core.cancel_deadline = monotonic_nanos() + 5 * kNanosPerSecond;
        for (EpollListener* listener : std::vector<EpollListener*>(core.listeners)) {
          listener->close();
        }
        for (EpollStream* stream : core.streams) stream->wake_readers();
        while (!core.sleepers.empty()) {
          core.scheduler.wake(core.sleepers.top().fiber);
          core.sleepers.pop();
        }
      } else if (monotonic_nanos() > core.cancel_deadline) {
        // A client that will not read its last replies does not hold the server forever.
        for (EpollStream* stream : std::vector<EpollStream*>(core.streams)) stream->cancel();
      }
      if (core.scheduler.live_count() == 0 && !core.counted_idle) {
        core.counted_idle = true;
        cores_idle_.fetch_add(1, std::memory_order_acq_rel);
      }
      bool overflow_empty = true;
      for (const auto& waiting : core.overflow) overflow_empty &= waiting.head == nullptr;
      if (core.counted_idle && cores_idle_.load(std::memory_order_acquire) == cores_.size() &&
          rings_empty() && overflow_empty) {
        break;
      }
    }

    // 5. Wait for I/O, mail or the next timer; never sleep with work pending.
    int timeout_ms = 0;
    bool overflow_waiting = false;
    for (const auto& waiting : core.overflow) overflow_waiting |= waiting.head != nullptr;
    const auto io_done = [&] { return core.io_done.load(std::memory_order_seq_cst) != nullptr; };
    if (!core.scheduler.has_ready() && rings_empty() && !overflow_waiting && !io_done()) {
      timeout_ms = -1;
      if (!core.sleepers.empty()) {
        const Nanos wait = core.sleepers.top().deadline - monotonic_nanos();
        timeout_ms = wait <= 0 ? 0 : static_cast<int>((wait + kNanosPerMilli - 1) / kNanosPerMilli);
      }
      if (stopping()) timeout_ms = timeout_ms < 0 ? 10 : std::min(timeout_ms, 10);
      core.sleeping.store(true, std::memory_order_seq_cst);
      if (!rings_empty() || io_done()) timeout_ms = 0;
    }
    const int n = ::epoll_wait(core.epoll_fd, events, kEventsMax, timeout_ms);
    core.sleeping.store(false, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t r = ::read(core.wake_fd, &count, sizeof count);
        continue;
      }
      static_cast<Pollable*>(events[i].data.ptr)->on_events(events[i].events);
    }
  }
  t_core = nullptr;
}

}  // namespace eddy
