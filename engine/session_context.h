#pragma once
// What a session-level, fan-out or cross-shard command handler gets: the engine, the calling
// client, its arguments, where to reply, and a coordinator to reach other shards and cores.

#include "engine/client.h"
#include "engine/cmd/command.h"

namespace eddy {

class Engine;
class Coordinator;
class MultiExec;

struct SessionContext {
  Engine& engine;
  ClientState& client;
  const CommandSpec& spec;
  Args args;
  ReplyBuilder& reply;
  Coordinator& coordinator;
  // The connection's transaction state (MULTI/EXEC, WATCH); null where there is no connection.
  MultiExec* multi = nullptr;
};

}  // namespace eddy
