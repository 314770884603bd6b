#include "engine/acl/publish.h"

#include "engine/acl/registry.h"
#include "engine/engine.h"
#include "engine/tx/coordinator.h"

namespace eddy::acl {

void publish_users(Engine& engine, Coordinator& coordinator, ClientState* caller) {
  const std::shared_ptr<const UserDirectory> directory = engine.acl().latest();
  coordinator.run_on_all_cores([&](std::uint32_t core) {
    // A core that already has a newer directory got it from a later change, whose publisher
    // brings this core's clients along.
    if (!engine.acl().install(core, directory)) return;
    const UserDirectory& users = engine.acl().on_core(core);
    engine.clients_on(core).for_each([&](ClientState& client) {
      if (client.user == nullptr) return;
      const UserPtr* now = users.find(client.user->name());
      if (now != nullptr && (*now)->uid() == client.user->uid()) {
        client.user = *now;
        return;
      }
      // Deleted (or deleted and made again: a different user of the same name).
      client.user = users.default_user();
      client.authenticated = false;
      client.close_after_reply = true;
      if (&client != caller && client.stream != nullptr) client.stream->close();
    });
  });
}

void start_client(Engine& engine, ClientState& client) {
  const UserPtr& user = engine.acl().on_core(engine.runtime().current_core()).default_user();
  client.user = user;
  client.authenticated = user->nopass() && user->enabled();
}

}  // namespace eddy::acl

namespace eddy::acl {

bool auth_required(Engine& engine) {
  const User& user = *engine.acl().on_core(engine.runtime().current_core()).default_user();
  return !user.nopass() || !user.enabled();
}

}  // namespace eddy::acl
