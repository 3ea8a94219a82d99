// The Ledger gRPC service: read access to the event store. Handlers only
// convert proto <-> store types and statuses; the store does the work.
#ifndef LEDGER_SERVICES_LEDGER_SERVICE_H_
#define LEDGER_SERVICES_LEDGER_SERVICE_H_

#include "ledger/store/event_store.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class LedgerService final : public ParsedRequests<v1::Ledger::CallbackService> {
 public:
  // `store` and `pool` must outlive the service; reads run on `pool`.
  LedgerService(const EventStore* store, WorkPool* pool)
      : store_(*store), pool_(*pool) {
    const std::string name = v1::Ledger::service_full_name();
    ParseRequests(name, "ReadStream", &LedgerService::ReadStream);
    ParseRequests(name, "ReadAll", &LedgerService::ReadAll);
    ParseRequests(name, "GetHead", &LedgerService::GetHead);
    ParseRequests(name, "GetLogHead", &LedgerService::GetLogHead);
  }

  grpc::ServerUnaryReactor* ReadStream(
      grpc::CallbackServerContext* context,
      const v1::ReadStreamRequest* request,
      v1::ReadStreamResponse* response) override;
  grpc::ServerUnaryReactor* ReadAll(grpc::CallbackServerContext* context,
                                    const v1::ReadAllRequest* request,
                                    v1::ReadAllResponse* response) override;
  grpc::ServerUnaryReactor* GetHead(grpc::CallbackServerContext* context,
                                    const v1::GetHeadRequest* request,
                                    v1::GetHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetLogHead(
      grpc::CallbackServerContext* context,
      const v1::GetLogHeadRequest* request,
      v1::GetLogHeadResponse* response) override;

 private:
  const EventStore& store_;
  WorkPool& pool_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_LEDGER_SERVICE_H_
