// The Ledger gRPC service: read access to the event store. Handlers only
// convert proto <-> store types and statuses; the store does the work.
#ifndef LEDGER_SERVICES_LEDGER_SERVICE_H_
#define LEDGER_SERVICES_LEDGER_SERVICE_H_

#include "ledger/store/event_store.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger {

class LedgerService final : public v1::Ledger::Service {
 public:
  // `store` must outlive the service.
  explicit LedgerService(const EventStore* store) : store_(*store) {}

  grpc::Status ReadStream(grpc::ServerContext* context,
                          const v1::ReadStreamRequest* request,
                          v1::ReadStreamResponse* response) override;
  grpc::Status ReadAll(grpc::ServerContext* context,
                       const v1::ReadAllRequest* request,
                       v1::ReadAllResponse* response) override;
  grpc::Status GetHead(grpc::ServerContext* context,
                       const v1::GetHeadRequest* request,
                       v1::GetHeadResponse* response) override;
  grpc::Status GetLogHead(grpc::ServerContext* context,
                          const v1::GetLogHeadRequest* request,
                          v1::GetLogHeadResponse* response) override;

 private:
  const EventStore& store_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_LEDGER_SERVICE_H_
