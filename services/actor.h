// Who is acting: the one place that decides it. Today each request names
// its actor in CommandContext.actor_agent_id; when callers authenticate, this
// takes the identity from the call's auth context instead, and nothing else
// changes.
#ifndef LEDGER_SERVICES_ACTOR_H_
#define LEDGER_SERVICES_ACTOR_H_

#include <string>

#include "grpcpp/server_context.h"
#include "ledger/v1/commands.pb.h"

namespace ledger {

inline std::string ActorOf(const grpc::ServerContextBase* /*call*/,
                           const v1::CommandContext& context) {
  return context.actor_agent_id();
}

}  // namespace ledger

#endif  // LEDGER_SERVICES_ACTOR_H_
