#pragma once
// Puts the registry's newest user directory in force on every core, and brings each core's
// connections along: a connection keeps its user when the user still exists (it now runs
// with the user's new rules), and one whose user was deleted is disconnected, as Redis does
// (the calling client after its reply). Suspends the calling fiber until every core is done,
// so when ACL SETUSER answers, its rules hold everywhere.

namespace eddy {
class Engine;
class Coordinator;
struct ClientState;
}  // namespace eddy

namespace eddy::acl {

void publish_users(Engine& engine, Coordinator& coordinator, ClientState* caller);

// Sets the connection's user when the session starts: the core's default user, authenticated
// when it needs no password (Redis's createClient).
void start_client(Engine& engine, ClientState& client);

// Whether a connection that has not logged in must AUTH first: the calling core's default
// user has a password or is off (Redis's authRequired).
bool auth_required(Engine& engine);

}  // namespace eddy::acl
