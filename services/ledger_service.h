// The Ledger gRPC service: read access to the event store. Handlers only
// convert proto <-> store types and statuses; the store does the work.
#ifndef LEDGER_SERVICES_LEDGER_SERVICE_H_
#define LEDGER_SERVICES_LEDGER_SERVICE_H_

#include <string>
#include <utility>

#include "ledger/store/event_store.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class LedgerService final : public ParsedRequests<v1::Ledger::CallbackService> {
 public:
  // `store` and `pool` must outlive the service; reads run on `pool`.
  // Backups go under `backup_dir` (none when empty); the store is then
  // written to (EventStore::Backup).
  LedgerService(EventStore* store, WorkPool* pool, std::string backup_dir = "")
      : store_(*store), pool_(*pool), backup_dir_(std::move(backup_dir)) {
    const std::string name = v1::Ledger::service_full_name();
    ParseRequests(name, "ReadStream", &LedgerService::ReadStream);
    ParseRequests(name, "ReadAll", &LedgerService::ReadAll);
    ParseRequests(name, "GetHead", &LedgerService::GetHead);
    ParseRequests(name, "GetLogHead", &LedgerService::GetLogHead);
    ParseRequests(name, "Backup", &LedgerService::Backup);
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
  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* context,
                                   const v1::BackupRequest* request,
                                   v1::BackupResponse* response) override;

 private:
  EventStore& store_;
  WorkPool& pool_;
  const std::string backup_dir_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_LEDGER_SERVICE_H_
