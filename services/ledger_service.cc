#include "services/ledger_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/complaint/validation.h"
#include "rpc/status.h"

namespace ledger {
namespace {

void MoveEvents(std::vector<v1::Event>& events,
                google::protobuf::RepeatedPtrField<v1::Event>* out) {
  out->Reserve(static_cast<int>(events.size()));
  for (v1::Event& e : events) *out->Add() = std::move(e);
}

}  // namespace

grpc::ServerUnaryReactor* LedgerService::ReadStream(
    grpc::CallbackServerContext* context, const v1::ReadStreamRequest* request,
    v1::ReadStreamResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    if (!v1::ReadDirection_IsValid(request->direction())) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "direction ", request->direction(), " is no ReadDirection")));
    }
    const bool backward = request->direction() == v1::READ_DIRECTION_BACKWARD;
    if (request->from_end() && !backward) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          "from_end is only meaningful for backward reads"));
    }
    std::optional<uint64_t> from;
    if (!request->from_end()) from = request->from_revision();
    auto events = store_.ReadStream(
        request->stream_id(), from,
        backward ? ReadDirection::kBackward : ReadDirection::kForward,
        request->limit());
    if (!events.ok()) return ToGrpcStatus(events.status(), context);

    bool end = events->empty();
    if (!end && backward) {
      end = events->back().revision() == 0;
    } else if (!end) {
      auto head = store_.Head(request->stream_id());
      if (!head.ok()) return ToGrpcStatus(head.status(), context);
      end = events->back().revision() >= head->revision_last;
    }
    response->set_end_of_stream(end);
    MoveEvents(*events, response->mutable_events());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LedgerService::ReadAll(
    grpc::CallbackServerContext* context, const v1::ReadAllRequest* request,
    v1::ReadAllResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    auto events = store_.ReadAll(request->from_position(), request->limit());
    if (!events.ok()) return ToGrpcStatus(events.status(), context);
    // The page may have seen a commit whose head is not yet published.
    uint64_t last = store_.log_head().position_last;
    if (!events->empty()) last = std::max(last, events->back().position());
    response->set_log_position_last(last);
    MoveEvents(*events, response->mutable_events());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LedgerService::GetHead(
    grpc::CallbackServerContext* context, const v1::GetHeadRequest* request,
    v1::GetHeadResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    auto head = store_.Head(request->stream_id());
    if (!head.ok()) return ToGrpcStatus(head.status(), context);
    response->set_revision_last(head->revision_last);
    response->set_position_last(head->position_last);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LedgerService::GetLogHead(
    grpc::CallbackServerContext* context, const v1::GetLogHeadRequest*,
    v1::GetLogHeadResponse* response) {
  return FinishNow(context, [=, this] {
    LogHead head = store_.log_head();
    response->set_position_last(head.position_last);
    response->set_hash_last(head.hash_last);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LedgerService::Backup(
    grpc::CallbackServerContext* context, const v1::BackupRequest* request,
    v1::BackupResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    if (backup_dir_.empty()) {
      return ToGrpcStatus(
          absl::FailedPreconditionError(
              "backups are off: ledgerd was started without --backup_dir"),
          context);
    }
    const std::string& name = request->name();
    // An id, as every name in the ledger; never a path.
    absl::Status valid = CheckId("name", name);
    if (valid.ok() && (name == "." || name == "..")) {
      valid = absl::InvalidArgumentError(
          absl::StrCat("name \"", name, "\" is not a directory's name"));
    }
    if (!valid.ok()) return ToGrpcStatus(valid, context);
    absl::StatusOr<BackupReport> report =
        store_.Backup(absl::StrCat(backup_dir_, "/", name));
    if (!report.ok()) return ToGrpcStatus(report.status(), context);
    response->set_path(absl::StrCat(backup_dir_, "/", name));
    response->set_position_last(report->head.position_last);
    response->set_hash_last(report->head.hash_last);
    response->set_events_verified(report->events_verified);
    return grpc::Status::OK;
  });
}

}  // namespace ledger
