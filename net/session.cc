#include "net/session.h"

#include <algorithm>
#include <cstring>

#include "engine/acl/publish.h"
#include "engine/acl/user.h"
#include "engine/base/fault.h"
#include "engine/limits.h"
#include "engine/storage/aof.h"

namespace eddy {

namespace {
// The first bytes of a query buffer, for the log: control bytes as \xNN.
std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      text.push_back(c);
    } else {
      text.append("\\x");
      text.push_back(kHex[byte >> 4]);
      text.push_back(kHex[byte & 0xf]);
    }
  }
  return text;
}

// A buffer grown for one large command goes back to its working size afterwards.
constexpr std::size_t kInputShrinkBytes = 1024 * 1024;
constexpr std::size_t kOutputShrinkBytes = 1024 * 1024;
}  // namespace

void Session::spawn(Engine* engine, std::unique_ptr<Stream> stream) {
  // As Redis sets it on every new connection: the value of tcp-keepalive now.
  const std::int64_t keepalive_s =
      engine->client_limits().tcp_keepalive_s.load(std::memory_order_relaxed);
  if (keepalive_s > 0) stream->set_keepalive(static_cast<int>(keepalive_s));
  if (!engine->admit_client()) {
    stream->write(std::string_view("-ERR max number of clients reached\r\n"));
    stream->close();
    return;
  }
  auto* raw = stream.release();
  engine->runtime().scheduler().spawn("session", [engine, raw] {
    Session session(engine, std::unique_ptr<Stream>(raw));
    session.run();
  });
}

Session::Session(Engine* engine, std::unique_ptr<Stream> stream)
    : engine_(engine), stream_(std::move(stream)), executor_(engine, &client_) {
  executor_.set_stream(stream_.get());
  executor_.set_flush([this] { return flush(); });
  client_.stream = stream_.get();
  Runtime& rt = engine_->runtime();
  client_.id = engine_->stats().next_client_id.fetch_add(1, std::memory_order_relaxed);
  client_.core = rt.current_core();
  client_.addr = stream_->peer_address();
  client_.laddr = stream_->local_address();
  client_.unix_socket = stream_->is_unix_socket();
  client_.created_ms = client_.last_active_ms = rt.unix_now_ms();
  engine_->clients_on(client_.core).add(&client_);
  engine_->stats().connections_received.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  engine_->clients_on(client_.core).remove(&client_);
  engine_->release_client();  // the place admit_client() took in spawn()
  stream_->close();
}

bool Session::fill() {
  compact();
  // Redis's client-query-buffer-limit, its live value: what was received and not yet parsed
  // may not pass it.
  const auto limit = static_cast<std::size_t>(
      engine_->client_limits().query_buffer_bytes_max.load(std::memory_order_relaxed));
  // Never a uselessly small read. The buffer grows (doubling) only when bytes have actually
  // filled it, never to a length a client merely announced: a "$536870000" header followed by
  // nothing must not make the server commit 512 MB. It stops growing just past the limit.
  constexpr std::size_t kReadBytesMin = 1024;
  if (input_.size() - input_end_ < kReadBytesMin) {
    const std::size_t grown = std::max(input_.size() * 2, input_end_ + kReadBytesMin);
    input_.resize(std::min(grown, std::max(limit, input_end_) + kReadBytesMin));
  }
  std::size_t room = input_.size() - input_end_;
  // Fault point: tiny reads make every command arrive in pieces.
  if (BUGGIFY("session.tiny_read")) room = std::min<std::size_t>(room, 3);
  const std::size_t n = stream_->read(std::span<char>(input_.data() + input_end_, room));
  if (n == 0) return false;
  input_end_ += n;
  client_.query_buffer_bytes = input_end_ - input_begin_;
  account_memory();
  if (client_.query_buffer_bytes > limit) {
    // As Redis: logged, and the connection closed without a reply.
    const std::size_t shown = std::min<std::size_t>(client_.query_buffer_bytes, 64);
    engine_->runtime().log(
        "client closed for passing client-query-buffer-limit: " +
        client_info_line(client_, engine_->runtime().unix_now_ms()) +
        " (first bytes: " + printable(std::string_view(input_.data() + input_begin_, shown)) + ")");
    return false;
  }
  return true;
}

void Session::account_memory() {
  client_.input_buffer_bytes = input_.size();
  engine_->clients_on(client_.core).set_memory(&client_, input_.size() + output_.capacity());
}

void Session::compact() {
  if (input_begin_ == 0) return;
  const std::size_t pending = input_end_ - input_begin_;
  if (pending > 0) std::memmove(input_.data(), input_.data() + input_begin_, pending);
  input_begin_ = 0;
  input_end_ = pending;
  if (input_.size() > kInputShrinkBytes && pending < limits::read_chunk_bytes) {
    input_.resize(limits::read_chunk_bytes);
    input_.shrink_to_fit();
  }
}

bool Session::flush() {
  if (client_.close_asap) return false;
  if (output_.empty()) return true;
  account_memory();
  Runtime& rt = engine_->runtime();
  const OutputBufferLimit limit = engine_->client_limits().output_limit(client_.output_class());
  if (output_limit_reached(client_, output_.size(), limit, rt.unix_now_ms())) {
    close_for_output_limit();
    return false;
  }
  // Under appendfsync always, replies leave only once the log covers what they may show.
  if (storage::AppendOnlyLog* aof = engine_->aof(); aof != nullptr) {
    const bool wrote = client_.wrote_since_reply;
    client_.wrote_since_reply = false;
    if (!aof->await_before_reply(wrote)) {
      // The log failed: these writes are not known to be durable, so they are not acknowledged.
      client_.close_asap = true;
      output_.clear();
      return false;
    }
  }
  // While the write waits for the kernel, the client cron sees what is still pending.
  client_.output_bytes = output_.size();
  client_.output_written_base = stream_->bytes_written();
  const bool ok = stream_->write(std::string_view(output_));
  output_.clear();
  client_.output_bytes = 0;
  client_.output_soft_limit_since_ms = 0;  // nothing is pending any more
  if (output_.capacity() > kOutputShrinkBytes) output_.shrink_to_fit();
  account_memory();
  return ok && !client_.close_asap;
}

void Session::close_for_output_limit() {
  engine_->runtime().log(
      "client closed for passing its output buffer limit "
      "(client-output-buffer-limit): " +
      client_info_line(client_, engine_->runtime().unix_now_ms()));
  client_.close_asap = true;
  output_.clear();
}

bool Session::denied_by_protected_mode() {
  // Redis's protected mode: no password on the default user and protected-mode yes, so only
  // loopback clients may talk. The check runs once per connection, not per command.
  const acl::User& user = *engine_->acl().on_core(engine_->runtime().current_core()).default_user();
  if (!user.nopass() || client_.unix_socket || is_local_peer(client_.addr)) return false;
  if (engine_->config().get_one("protected-mode") != "yes") return false;
  // Redis's own reply, byte for byte: clients and operators search for this text.
  static constexpr std::string_view kDenied =
      "-DENIED Redis is running in protected mode because protected mode is enabled and no "
      "password is set for the default user. In this mode connections are only accepted from "
      "the loopback interface. If you want to connect from external computers to Redis you "
      "may adopt one of the following solutions: 1) Just disable protected mode sending the "
      "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
      "Redis from the same host the server is running, however MAKE SURE Redis is not "
      "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
      "permanent. 2) Alternatively you can just disable the protected mode by editing the "
      "Redis configuration file, and setting the protected mode option to 'no', and then "
      "restarting the server. 3) If you started the server manually just for testing, "
      "restart it with the '--protected-mode no' option. 4) Setup a an authentication "
      "password for the default user. NOTE: You only need to do one of the above things in "
      "order for the server to start accepting connections from the outside.\r\n";
  engine_->stats().rejected_connections.fetch_add(1, std::memory_order_relaxed);
  stream_->write(kDenied);
  return true;
}

bool is_local_peer(std::string_view address) {
  // "127.0.0.1:port" or "[::1]:port" are loopback; any other IP address is not. A stream
  // that is no socket (the simulator's, stdin) is local, as Redis counts a unix socket.
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return true;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host == "[::1]";
  }
  const bool ipv4 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  if (!ipv4) return true;
  return host == "127.0.0.1";
}

void Session::run() {
  if (denied_by_protected_mode()) return;
  serve();
  // What the connection holds at shards (watched keys) goes with it.
  executor_.end_session();
}

void Session::serve() {
  input_.resize(limits::read_chunk_bytes);
  Runtime& rt = engine_->runtime();
  for (;;) {
    // Parse every complete command already read (up to the batch bound).
    args_.clear();
    commands_.clear();
    bool protocol_error = false;
    // Before AUTH: Redis's small-command limits, and one command at a time, so that the
    // limits lift for the commands right after a pipelined AUTH, as in Redis.
    const bool unauthenticated = !client_.authenticated && acl::auth_required(*engine_);
    parser_.set_unauthenticated(unauthenticated);
    parser_.set_bulk_bytes_max(
        engine_->client_limits().proto_max_bulk_len.load(std::memory_order_relaxed));
    const std::size_t batch_max = unauthenticated ? 1 : limits::batch_commands_max;
    while (commands_.size() < batch_max) {
      std::size_t consumed = 0;
      const auto first_arg = static_cast<std::uint32_t>(args_.size());
      auto status =
          parser_.parse(std::span<char>(input_.data() + input_begin_, input_end_ - input_begin_),
                        args_, &consumed);
      input_begin_ += consumed;
      if (status == resp::ParseStatus::kCommand) {
        commands_.push_back(
            CommandRef{first_arg, static_cast<std::uint32_t>(args_.size()) - first_arg});
        continue;
      }
      if (status == resp::ParseStatus::kError) protocol_error = true;
      break;
    }

    // Run them; the executor stops early when the replies pile up, so flush and go on.
    std::size_t done = 0;
    while (done < commands_.size()) {
      client_.last_active_ms = rt.unix_now_ms();
      // Fault point: a tiny reply bound makes the session flush mid-batch.
      const std::size_t soft_max =
          BUGGIFY("session.flush_early") ? 1 : limits::reply_batch_bytes_max;
      done += executor_.execute(args_, std::span<const CommandRef>(commands_).subspan(done),
                                output_, soft_max);
      if (client_.close_asap) {
        // The replies reached the hard output limit while they were built, or the client was
        // evicted meanwhile (logged where it was decided): nothing is sent.
        if (executor_.output_limit_reached()) {
          close_for_output_limit();
        } else {
          output_.clear();
        }
        return;
      }
      account_memory();
      if (client_.close_after_reply) break;
      if (done < commands_.size() && !flush()) return;
    }

    if (protocol_error && !client_.close_after_reply) {
      // Like Redis: the commands before the bad bytes are answered, then the error, then close.
      ReplyBuilder reply(&output_, client_.protocol);
      reply.error("ERR " + std::string(parser_.error()));
      client_.close_after_reply = true;
    }
    if (client_.close_after_reply) {
      flush();
      return;
    }
    if (commands_.size() == batch_max) {
      // More complete commands may be waiting in the buffer; keep the reply batch bounded.
      if (output_.size() >= limits::reply_batch_bytes_max && !flush()) return;
      continue;
    }
    if (!flush()) return;
    if (rt.stopping()) return;
    if (!fill()) return;
  }
}

}  // namespace eddy
