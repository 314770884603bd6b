#include "maelstrom/runner/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace eddy::maelstrom::runner {

NodeProcess::~NodeProcess() {
  kill_and_reap();
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool NodeProcess::start(const std::string& bin, const std::vector<std::string>& args,
                        const std::string& work_dir, const std::string& log_path,
                        std::string* error) {
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    ::close(to_child[0]);
    ::close(to_child[1]);
    return false;
  }
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *error = "cannot open " + log_path + ": " + std::strerror(errno);
    for (const int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
    return false;
  }
  std::vector<std::string> words;
  words.push_back(bin);
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    for (const int fd : {to_child[0], to_child[1], from_child[0], from_child[1], log_fd}) {
      ::close(fd);
    }
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (::chdir(work_dir.c_str()) != 0) ::_exit(127);
    ::execv(argv[0], argv.data());
    const char message[] = "eddy-maelstrom-runner: exec failed\n";
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so a kill right away finds the group
  ::close(to_child[0]);
  ::close(from_child[1]);
  ::close(log_fd);
  pid_ = pid;
  in_fd_ = to_child[1];
  out_fd_ = from_child[0];
  ::fcntl(in_fd_, F_SETFL, ::fcntl(in_fd_, F_GETFL) | O_NONBLOCK);
  ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  return true;
}

void NodeProcess::send_line(const std::string& line) {
  if (in_fd_ < 0) return;
  write_buffer_ += line;
  write_buffer_ += '\n';
}

bool NodeProcess::flush() {
  while (in_fd_ >= 0 && write_offset_ < write_buffer_.size()) {
    const ssize_t n = ::write(in_fd_, write_buffer_.data() + write_offset_,
                              write_buffer_.size() - write_offset_);
    if (n > 0) {
      write_offset_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // EPIPE: the node closed its stdin or is gone.
    ::close(in_fd_);
    in_fd_ = -1;
    write_buffer_.clear();
    write_offset_ = 0;
    return false;
  }
  if (write_offset_ == write_buffer_.size()) {
    write_buffer_.clear();
    write_offset_ = 0;
  } else if (write_offset_ > (1u << 20)) {
    write_buffer_.erase(0, write_offset_);
    write_offset_ = 0;
  }
  return true;
}

NodeProcess::ReadStatus NodeProcess::read_lines(std::vector<std::string>* lines) {
  if (out_fd_ < 0) return ReadStatus::kEof;
  char chunk[65536];
  ReadStatus status = ReadStatus::kOk;
  for (;;) {
    const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
    if (n > 0) {
      read_buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    status = n == 0 ? ReadStatus::kEof : ReadStatus::kError;
    ::close(out_fd_);
    out_fd_ = -1;
    break;
  }
  std::size_t start = 0;
  for (std::size_t newline; (newline = read_buffer_.find('\n', start)) != std::string::npos;) {
    lines->emplace_back(read_buffer_, start, newline - start);
    start = newline + 1;
  }
  read_buffer_.erase(0, start);
  // A last line without its newline still counts once the pipe is closed.
  if (status != ReadStatus::kOk && !read_buffer_.empty()) {
    lines->push_back(std::move(read_buffer_));
    read_buffer_.clear();
  }
  return status;
}

std::string NodeProcess::describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "stopped";
}

bool NodeProcess::poll_exit(std::string* how) {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  *how = describe_status(status);
  return true;
}

void NodeProcess::kill_and_reap() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

}  // namespace eddy::maelstrom::runner
