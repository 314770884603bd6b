#include "sim/maelstrom_cluster.h"

#include <nlohmann/json.hpp>

#include "engine/base/assert.h"

namespace eddy::sim {

// A process's stdin: lines the harness pushes, read by the node's reader fiber. Closing it is
// part of a crash, so buffered input is discarded, not drained.
class MaelstromCluster::InputPipe final : public Stream {
 public:
  explicit InputPipe(SimNode* node) : node_(node) {}

  void push(std::string_view bytes) {
    if (closed_) return;
    // Bounded like a pipe's buffer would be in effect: a node that stops reading loses input
    // rather than growing the simulator without limit.
    if (buffer_.size() - read_pos_ + bytes.size() > kMaxBufferedBytes) return;
    buffer_.append(bytes);
    wake_reader();
  }

  std::size_t read(std::span<char> out) override {
    fiber::Scheduler& scheduler = node_->scheduler_of(0);
    while (read_pos_ == buffer_.size() && !closed_) {
      reader_ = scheduler.current();
      scheduler.suspend();
      reader_ = nullptr;
    }
    if (closed_) return 0;
    const std::size_t n = std::min(out.size(), buffer_.size() - read_pos_);
    std::memcpy(out.data(), buffer_.data() + read_pos_, n);
    read_pos_ += n;
    if (read_pos_ == buffer_.size()) {
      buffer_.clear();
      read_pos_ = 0;
    }
    return n;
  }
  bool write(std::span<const std::string_view>) override { return false; }
  void close() override {
    closed_ = true;
    buffer_.clear();
    read_pos_ = 0;
    wake_reader();
  }
  std::string peer_address() const override { return "harness"; }
  std::string local_address() const override { return "stdin"; }

 private:
  static constexpr std::size_t kMaxBufferedBytes = 64u << 20;
  void wake_reader() {
    if (reader_ != nullptr) node_->scheduler_of(0).wake(reader_);
  }
  SimNode* node_;
  std::string buffer_;
  std::size_t read_pos_ = 0;
  bool closed_ = false;
  fiber::Fiber* reader_ = nullptr;
};

// A process's stdout: every complete line goes to the harness at once. Dead after a crash.
class MaelstromCluster::OutputSink final : public Stream {
 public:
  explicit OutputSink(std::function<void(std::string)> on_line) : on_line_(std::move(on_line)) {}

  std::size_t read(std::span<char>) override { return 0; }
  bool write(std::span<const std::string_view> pieces) override {
    if (dead_) return false;
    for (std::string_view piece : pieces) partial_.append(piece);
    std::size_t start = 0;
    for (std::size_t newline; (newline = partial_.find('\n', start)) != std::string::npos;) {
      on_line_(partial_.substr(start, newline - start));
      start = newline + 1;
    }
    partial_.erase(0, start);
    return true;
  }
  void close() override { dead_ = true; }
  std::string peer_address() const override { return "harness"; }
  std::string local_address() const override { return "stdout"; }

 private:
  std::function<void(std::string)> on_line_;
  std::string partial_;
  bool dead_ = false;
};

// One process's view of the node's disk: it goes dead when the process crashes, so a dying
// process's fibers cannot touch the files the next incarnation recovers from.
class MaelstromCluster::ProcessDisk final : public Disk {
 public:
  explicit ProcessDisk(SimDisk* disk) : disk_(disk) {}
  void kill() { dead_ = true; }

  FileId open(const std::string& path, bool create, std::string* error) override {
    if (dead_) {
      if (error != nullptr) *error = "process is dead";  // Disk::read_file passes none
      return -1;
    }
    return disk_->open(path, create, error);
  }
  bool append(FileId file, std::string_view bytes) override {
    return !dead_ && disk_->append(file, bytes);
  }
  bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) override {
    return !dead_ && disk_->write_at(file, offset, bytes);
  }
  bool sync(FileId file) override { return !dead_ && disk_->sync(file); }
  std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) override {
    return dead_ ? -1 : disk_->read_at(file, offset, buffer);
  }
  std::int64_t size(FileId file) override { return dead_ ? -1 : disk_->size(file); }
  bool truncate(FileId file, std::uint64_t size) override {
    return !dead_ && disk_->truncate(file, size);
  }
  void close(FileId file) override {
    if (!dead_) disk_->close(file);
  }
  bool rename(const std::string& from, const std::string& to) override {
    return !dead_ && disk_->rename(from, to);
  }
  bool remove(const std::string& path) override { return !dead_ && disk_->remove(path); }
  std::vector<std::string> list(const std::string& directory) override {
    return dead_ ? std::vector<std::string>{} : disk_->list(directory);
  }

 private:
  SimDisk* disk_;
  bool dead_ = false;
};

struct MaelstromCluster::Process {
  std::shared_ptr<InputPipe> input;
  std::shared_ptr<OutputSink> output;
  std::shared_ptr<ProcessDisk> disk;
  bool initialised = false;
};

MaelstromCluster::MaelstromCluster(World* world, SimNode* client_node,
                                   MaelstromClusterConfig config,
                                   std::function<void(std::string)> to_client)
    : world_(world),
      client_node_(client_node),
      config_(std::move(config)),
      to_client_(std::move(to_client)) {
  ASSERT_GE(config_.nodes, 1u);
  for (std::uint32_t i = 0; i < config_.nodes; ++i) {
    auto node = std::make_unique<Node>();
    node->id = "n" + std::to_string(i);
    node->sim = &world_->add_node(node->id, 1, maelstrom::kNodeFiberStackBytes);
    node_ids_.push_back(node->id);
    nodes_.push_back(std::move(node));
  }
}

MaelstromCluster::~MaelstromCluster() = default;

void MaelstromCluster::start() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node* node = nodes_[i].get();
    // The node's network card: peer datagrams become lines on the current process's stdin.
    node->sim->scheduler_of(0).spawn("peer-pump", [node] {
      while (auto message = node->sim->receive_from_peer()) {
        if (node->process != nullptr) node->process->input->push(message->bytes + "\n");
      }
    });
    start_process(i);
  }
}

void MaelstromCluster::start_process(std::size_t index) {
  Node& node = *nodes_[index];
  ASSERT(node.process == nullptr);
  auto process = std::make_shared<Process>();
  process->input = std::make_shared<InputPipe>(node.sim);
  process->output =
      std::make_shared<OutputSink>([this, index](std::string line) { route_line(index, line); });
  process->disk = std::make_shared<ProcessDisk>(&node.sim->sim_disk());
  node.process = process;
  ++node.incarnation;
  maelstrom::NodeAssemblyOptions options = config_.node;
  options.crdt.disk = process->disk.get();
  options.lin_kv.disk = process->disk.get();
  SimNode* sim = node.sim;
  world_->trace(sim, 0, "process start #" + std::to_string(node.incarnation));
  sim->scheduler_of(0).spawn("maelstrom-process", [sim, process, options] {
    maelstrom::NodeAssembly assembly(sim, process->input.get(), process->output.get(), options);
    assembly.run();
  });
  nlohmann::json init = {{"src", "c0"},
                         {"dest", node.id},
                         {"body",
                          {{"type", "init"},
                           {"msg_id", static_cast<std::int64_t>(node.incarnation)},
                           {"node_id", node.id},
                           {"node_ids", node_ids_}}}};
  send_to_node(index, init.dump());
}

void MaelstromCluster::send_to_node(std::size_t index, std::string line) {
  Node& node = *nodes_[index];
  std::shared_ptr<Process> process = node.process;
  if (process == nullptr) return;  // down: the request is lost, as with a dead process
  world_->schedule(0, node.sim, 0, [process, line = std::move(line)]() mutable {
    line.push_back('\n');
    process->input->push(line);
  });
}

void MaelstromCluster::route_line(std::size_t from, std::string line) {
  Node& node = *nodes_[from];
  const nlohmann::json message = nlohmann::json::parse(line, nullptr, false);
  const bool well_formed = message.is_object() && message.contains("dest") &&
                           message["dest"].is_string() && message.contains("src") &&
                           message["src"].is_string() && message["src"] == node.id &&
                           message.contains("body") && message["body"].is_object();
  ASSERT_MSG(well_formed, "a Maelstrom node printed a line that is not a message from itself");
  const std::string dest = message["dest"].get<std::string>();
  if (!dest.empty() && dest[0] == 'c') {
    if (dest == "c0") {
      // The harness's own client: init replies.
      if (message["body"].value("type", "") == "init_ok" && node.process != nullptr) {
        node.process->initialised = true;
      }
      return;
    }
    world_->schedule(0, client_node_, 0, [this, line = std::move(line)] { to_client_(line); });
    return;
  }
  ++peer_messages_;
  const bool known = node.sim->send_to_peer(dest, std::move(line));
  ASSERT_MSG(known, "a Maelstrom node sent a message to a node that does not exist");
}

bool MaelstromCluster::initialised(std::size_t index) const {
  const auto& process = nodes_[index]->process;
  return process != nullptr && process->initialised;
}

bool MaelstromCluster::all_initialised() const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!initialised(i)) return false;
  }
  return true;
}

void MaelstromCluster::crash(std::size_t index) {
  Node& node = *nodes_[index];
  if (node.process == nullptr) return;
  world_->trace(node.sim, 0, "process crash #" + std::to_string(node.incarnation));
  node.process->input->close();
  node.process->output->close();
  node.process->disk->kill();
  node.process = nullptr;
  node.sim->sim_disk().crash(world_->rng(World::Stream::kDisk));
  ++crashes_;
}

void MaelstromCluster::restart(std::size_t index) {
  if (stopped_ || nodes_[index]->process != nullptr) return;
  start_process(index);
}

void MaelstromCluster::stop() {
  stopped_ = true;
  for (auto& node : nodes_) {
    if (node->process != nullptr) node->process->input->close();
    node->process = nullptr;
  }
  for (auto& node : nodes_) node->sim->stop();
}

}  // namespace eddy::sim
