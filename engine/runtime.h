#pragma once
// The runtime boundary. Everything under engine/ reaches time, randomness, fibers, other
// cores, sockets and files only through the interfaces in this header. Three runtimes
// implement them: net/epoll (production: threads, epoll, real sockets and files), sim/
// (one thread, virtual time, seeded faults) and maelstrom/ (JSON lines on stdin/stdout).
//
// Threading contract: a Runtime is shared by all cores of a node, but every call acts on the
// *calling* core (the one whose loop is running, or whose fiber is running). Objects handed
// out (streams, the scheduler) belong to the core that created them.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fiber/scheduler.h"
#include "engine/rng.h"

namespace eddy {

using Nanos = std::int64_t;
inline constexpr Nanos kNanosPerMilli = 1'000'000;
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

// A unit of work sent to another core and back, without allocation: the sender embeds it in
// memory it owns (a session's batch, a transaction's step) and keeps it alive until
// run_at_origin() has been called.
//
// Life: post(hop) -> run_at_target() on hop.target_core (outside any fiber; must not
// suspend). If it returns true the runtime sends the hop home at once; if false, the target
// has parked it (e.g. behind a key lock) and will call Runtime::send_home(hop) later, from the
// target core. Then run_at_origin() runs on hop.origin_core (outside any fiber; typically
// wakes the waiting fiber).
class Hop {
 public:
  virtual ~Hop() = default;
  virtual bool run_at_target() = 0;
  virtual void run_at_origin() = 0;

  std::uint32_t origin_core = 0;
  std::uint32_t target_core = 0;
  // Intrusive link: for the shard that parks the hop, or for the runtime while the hop waits
  // for room in a mailbox on its way home. Never both at once.
  Hop* next_parked = nullptr;
};

// A byte stream (a client connection, a test peer). Calls suspend the calling fiber.
class Stream {
 public:
  virtual ~Stream() = default;
  // Reads at least one byte into `buffer`. Returns bytes read; 0 at end of stream (peer
  // closed, connection reset, or the runtime is shutting down); never a partial failure.
  virtual std::size_t read(std::span<char> buffer) = 0;
  // Writes every byte of every piece, in order. Returns false if the stream broke (the
  // caller then stops; remaining bytes are dropped).
  virtual bool write(std::span<const std::string_view> pieces) = 0;
  bool write(std::string_view bytes) { return write(std::span<const std::string_view>(&bytes, 1)); }
  // Closes the stream; later reads return 0 and writes false.
  virtual void close() = 0;
  // While the fiber that reads this stream does something else (waits in a blocking command),
  // wake `fiber` when the peer sends more or hangs up; nullptr stops that. A stream that cannot
  // tell does nothing (its clients are then noticed gone only when they are next read).
  virtual void wake_on_input(fiber::Fiber* fiber) { (void)fiber; }
  // Without suspending: whether the peer has hung up (a read would see end of stream after
  // whatever it already sent).
  virtual bool peer_hung_up() { return false; }
  virtual std::string peer_address() const = 0;
  virtual std::string local_address() const = 0;
  // Bytes the stream has handed to the other side (the kernel) since it opened, for a write
  // still under way: what it has not taken yet is a client's pending output. A stream that
  // cannot tell says 0 (its whole write then counts as pending).
  virtual std::uint64_t bytes_written() const { return 0; }
  // TCP keepalive as Redis's anetKeepAlive sets it: the first probe after `interval_s` idle
  // seconds, then one every interval_s / 3 (at least 1), the peer dead after 3 unanswered.
  // Streams that are no TCP connection ignore it.
  virtual void set_keepalive(int interval_s) { (void)interval_s; }
  // A connection through a unix socket (local for protected mode, flag U in CLIENT LIST).
  virtual bool is_unix_socket() const { return false; }
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Suspends until a connection arrives; nullptr once the listener is closed.
  virtual std::unique_ptr<Stream> accept() = 0;
  virtual void close() = 0;
  virtual std::uint16_t port() const = 0;
};

// Files, as the storage layer sees them. Paths are relative to the runtime's data directory.
class Disk {
 public:
  using FileId = std::int64_t;
  virtual ~Disk() = default;
  // Opens (creating when `create`) a file for reading and appending; -1 with `error` set on
  // failure.
  virtual FileId open(const std::string& path, bool create, std::string* error) = 0;
  virtual bool append(FileId file, std::string_view bytes) = 0;
  virtual bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) = 0;
  virtual bool sync(FileId file) = 0;
  // Reads up to buffer.size() bytes at offset; returns bytes read (0 at end), -1 on error.
  virtual std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) = 0;
  virtual std::int64_t size(FileId file) = 0;
  virtual bool truncate(FileId file, std::uint64_t size) = 0;
  virtual void close(FileId file) = 0;
  virtual bool rename(const std::string& from, const std::string& to) = 0;
  virtual bool remove(const std::string& path) = 0;
  virtual std::vector<std::string> list(const std::string& directory) = 0;
  // Creates `directory` (not its parents) if it is missing; false if it cannot be made. Disks
  // whose directories are implicit in paths (the simulator's) have nothing to do.
  virtual bool make_directory(const std::string& directory) {
    (void)directory;
    return true;
  }
  // Why the last call that failed failed, in strerror's words where the disk knows them (what
  // Redis's MISCONF error shows after a failed write or fsync).
  virtual std::string last_error() const { return "Input/output error"; }

  // Whole small files (a config file). engine/disk.cc builds both from the calls above, where
  // a failure has no reason beyond "Input/output error" and a file that cannot be opened counts
  // as missing; PosixDisk does them with its own syscalls and says why in strerror's words.
  enum class ReadStatus { kRead, kMissing, kFailed };
  // The file at `path` into *text; more than `limit` bytes is kFailed ("File too large").
  virtual ReadStatus read_file(const std::string& path, std::size_t limit, std::string* text,
                               std::string* reason);
  // Replaces the file at `path` with `bytes` so that a crash leaves the old file or the new
  // one, never a mix: a temporary file beside it is written and synced, then renamed over it.
  // False with the reason in *reason (the temporary file is removed).
  virtual bool replace_file(const std::string& path, std::string_view bytes, std::string* reason);
};

// A datagram from another node of the cluster (replication, gossip).
struct PeerMessage {
  std::string from;
  std::string bytes;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Cores of this node; a shard lives on exactly one core.
  virtual std::uint32_t core_count() const = 0;
  virtual std::uint32_t current_core() const = 0;

  // Monotonic time of this node: never goes back.
  virtual Nanos monotonic_now() = 0;
  // Wall-clock time (Unix epoch, µs): may jump, as a real clock can. Expiry uses it (in ms),
  // as Redis does, because EXPIREAT and EXPIRETIME speak in Unix time.
  virtual std::int64_t unix_now_us() = 0;
  std::int64_t unix_now_ms() { return unix_now_us() / 1000; }

  // The current core's fiber scheduler: spawn, suspend, wake, yield.
  virtual fiber::Scheduler& scheduler() = 0;
  // From a fiber: suspend it for at least `duration` of monotonic time.
  virtual void sleep_for(Nanos duration) = 0;

  // The current core's random stream. Simulations seed it; production seeds it from the OS.
  virtual Rng& rng() = 0;
  // The seed of the node's hash tables (the keyspace, large hashes and sets), fixed for the
  // runtime's life and callable from any thread: OS entropy in production, so that nobody can
  // precompute keys that collide; derived from the run's seed in a simulation.
  virtual std::uint64_t hash_seed() const = 0;

  // Cross-core work: see Hop. post() is called from a fiber; if the mailbox towards the
  // target is full, the fiber yields until there is room (the target drains its mailboxes on
  // every turn of its loop, whatever it is waiting for, so room always comes).
  virtual void post(Hop* hop) = 0;
  // From the target core, for a hop whose run_at_target() returned false.
  virtual void send_home(Hop* hop) = 0;

  // Streams.
  virtual std::unique_ptr<Listener> listen(const std::string& host, std::uint16_t port,
                                           std::string* error) = 0;
  virtual std::unique_ptr<Stream> connect(const std::string& host, std::uint16_t port,
                                          std::string* error) = 0;
  // A listener on a unix socket at `path` with permissions `permissions` (0: the umask's). A
  // runtime without unix sockets refuses.
  virtual std::unique_ptr<Listener> listen_unix(const std::string& path, unsigned permissions,
                                                std::string* error) {
    (void)path;
    (void)permissions;
    *error = "unix sockets are not supported by this runtime";
    return nullptr;
  }

  virtual Disk& disk() = 0;

  // Peer messaging between the nodes of a cluster. Datagrams: a message may be delayed,
  // dropped, duplicated or reordered, and partitions may cut links for a while; the protocol
  // above (Raft, anti-entropy) must cope.
  virtual const std::string& node_name() const = 0;
  // Sends `bytes` to `peer`; false when this runtime knows no such peer.
  virtual bool send_to_peer(const std::string& peer, std::string bytes) = 0;
  // From a fiber: waits for the next message to this node; nullopt once stopping.
  virtual std::optional<PeerMessage> receive_from_peer() = 0;

  // A line for the server's log (a client closed for its output buffer, an evicted client).
  // Runtimes without a log drop it.
  virtual void log(std::string_view line) { (void)line; }

  // True once shutdown has begun (SIGTERM in production): loops should wind down.
  virtual bool stopping() const = 0;
};

}  // namespace eddy
