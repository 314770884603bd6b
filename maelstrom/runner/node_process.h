#pragma once
// One node under test: a child process with its stdin and stdout on non-blocking pipes and its
// stderr in a log file. Lines written to it are buffered until the pipe takes them; output is
// split into lines as it arrives.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace eddy::maelstrom::runner {

class NodeProcess {
 public:
  NodeProcess() = default;
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;
  ~NodeProcess();

  // Starts `bin args...` in `work_dir` with stderr appended to `log_path`. The child gets its
  // own process group and dies with the runner.
  bool start(const std::string& bin, const std::vector<std::string>& args,
             const std::string& work_dir, const std::string& log_path, std::string* error);

  int stdout_fd() const { return out_fd_; }
  int stdin_fd() const { return in_fd_; }
  pid_t pid() const { return pid_; }

  // Queues one line (a newline is appended) for the node's stdin.
  void send_line(const std::string& line);
  bool wants_write() const { return in_fd_ >= 0 && !write_buffer_.empty(); }
  // Writes what the pipe takes now. False when the node closed its stdin (it is gone).
  bool flush();

  enum class ReadStatus { kOk, kEof, kError };
  // Reads what is available and appends complete lines to *lines.
  ReadStatus read_lines(std::vector<std::string>* lines);

  // The process ended by itself: reaps it if so and describes how ("exited with status 3").
  bool poll_exit(std::string* how);
  // SIGKILL to its process group, then reaps it. Idempotent.
  void kill_and_reap();
  bool running() const { return pid_ > 0 && !reaped_; }

 private:
  static std::string describe_status(int status);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string write_buffer_;
  std::size_t write_offset_ = 0;
  std::string read_buffer_;
};

}  // namespace eddy::maelstrom::runner
