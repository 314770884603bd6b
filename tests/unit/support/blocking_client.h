#pragma once
// A plain blocking TCP client for tests that drive a real eddy-server or EpollRuntime from an
// ordinary thread: send raw bytes or commands, read whole replies.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/support/reply_reader.h"

namespace eddy::testing {

// A port nobody listens on right now (bind to 0, read the port, close).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class BlockingClient {
 public:
  // Connects to 127.0.0.1:port, retrying for up to ~5 s while the server starts.
  explicit BlockingClient(std::uint16_t port) {
    for (int attempt = 0; attempt < 500; ++attempt) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval timeout{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        return;
      }
      ::close(fd_);
      fd_ = -1;
      ::usleep(10000);
    }
    throw std::runtime_error("cannot connect");
  }
  ~BlockingClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  void send_raw(std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      done += static_cast<std::size_t>(n);
    }
  }

  static std::string encode(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& arg : args) {
      out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    }
    return out;
  }

  void send(const std::vector<std::string>& args) { send_raw(encode(args)); }

  // The next whole reply; throws on timeout or closed connection.
  Reply read_reply() {
    for (;;) {
      std::size_t pos = 0;
      if (auto reply = parse_reply(buffer_, &pos)) {
        buffer_.erase(0, pos);
        return *reply;
      }
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) throw std::runtime_error("connection closed or timed out");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Whether a reply (or the end of the stream) is waiting, within `timeout_ms`.
  bool readable(int timeout_ms) {
    if (!buffer_.empty()) return true;
    pollfd entry{fd_, POLLIN, 0};
    return ::poll(&entry, 1, timeout_ms) > 0;
  }

  Reply call(const std::vector<std::string>& args) {
    send(args);
    return read_reply();
  }

  // True when the server has closed the connection (reads end-of-stream).
  bool closed_by_peer() {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace eddy::testing
