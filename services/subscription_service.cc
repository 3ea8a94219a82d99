#include "services/subscription_service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/complaint/validation.h"
#include "ledger/subscribe/subscription.h"
#include "rpc/status.h"

namespace ledger {
namespace {

// The niceness of a subscription's thread (0 is the commands'; 19 the
// least CPU).
constexpr int kSubscriberNiceness = 10;

absl::Status CheckNames(const std::string& durable_name,
                        const std::string& member_id) {
  RETURN_IF_ERROR(CheckOptionalId("durable_name", durable_name));
  RETURN_IF_ERROR(CheckOptionalId("member_id", member_id));
  if (!member_id.empty() && durable_name.empty()) {
    return absl::InvalidArgumentError(
        "member_id needs a durable_name (the consumer group's name)");
  }
  return absl::OkStatus();
}

// One Subscribe call. SubscriptionService::Stream runs on a thread of its
// own (a subscription waits for the log, and gRPC's threads must not wait);
// each write waits until gRPC has taken the one before, as a synchronous
// writer's did.
class SubscribeCall final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Responses encoded and waiting for gRPC. The subscription's thread
  // waits only when this many are queued, and is woken when half have
  // gone: not once per message. (Waiting for each write, as a synchronous
  // writer does, cost two thread switches per event; 64 subscribers
  // catching up at once spent the machine on them and writes fell to an
  // eighth, tools/stalled_subscribers.sh.)
  static constexpr size_t kMaxQueued = 256;

  SubscribeCall(SubscriptionService* service,
                grpc::CallbackServerContext* context,
                std::unique_ptr<v1::SubscribeRequest> request, Caller caller)
      : request_(std::move(request)) {
    std::thread([this, service, context, caller = std::move(caller)] {
      NameThisThread("ledger-subscr");
      // Behind the commands for the CPU: a subscriber catching up reads,
      // checks and encodes the log as fast as its connection takes it.
      // (Linux's niceness is per thread.)
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()),
                  kSubscriberNiceness);
      grpc::Status status =
          service->Stream(context, caller, *request_,
                          [this](const v1::SubscribeResponse& response) {
                            return Write(response);
                          });
      Drain();
      Finish(status);  // The last use of `this`: OnDone deletes it.
    }).detach();
  }

  // On gRPC's thread: the next queued response, if any.
  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {  // The stream is broken: nothing more goes out.
        write_ok_ = false;
        writing_ = false;
        queue_.clear();
        return;
      }
      if (queue_.empty()) {
        writing_ = false;
        return;
      }
      current_ = std::move(queue_.front());
      queue_.pop_front();
      if (full_ && queue_.size() <= kMaxQueued / 2) full_ = false;
    }
    StartWrite(&current_);
  }

  void OnDone() override { delete this; }

 private:
  // Queues `response`; false once the stream is broken.
  bool Write(const v1::SubscribeResponse& response) {
    grpc::ByteBuffer buffer;
    bool own_buffer = false;
    if (!grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::SubscribeResponse>(
             response, &buffer, &own_buffer)
             .ok()) {
      return false;
    }
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SubscribeCall* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu_) {
            return !call->full_ || !call->write_ok_;
          },
          this));
      if (!write_ok_) return false;
      if (writing_) {
        queue_.push_back(std::move(buffer));
        if (queue_.size() >= kMaxQueued) full_ = true;
        return true;
      }
      writing_ = true;
      current_ = std::move(buffer);
    }
    StartWrite(&current_);
    return true;
  }

  // Waits until every queued response is written (or the stream broke).
  void Drain() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](SubscribeCall* call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu_) {
          return !call->writing_;
        },
        this));
  }

  const std::unique_ptr<v1::SubscribeRequest> request_;
  absl::Mutex mu_;
  // The response gRPC is writing (while writing_), and those waiting.
  grpc::ByteBuffer current_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The queue reached kMaxQueued and has not gone down to half since.
  bool full_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
};

// A Subscribe call whose request did not parse.
class RefusedSubscribe final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedSubscribe(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// "ipv4:127.0.0.1:5123" -> "ipv4:127.0.0.1"; "ipv6:[::1]:5123" ->
// "ipv6:[::1]".
std::string CallerOf(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  const size_t scheme = peer.find(':');
  if (colon == std::string::npos || colon == scheme) return peer;
  return peer.substr(0, colon);
}

}  // namespace

void SubscriptionService::Stop() {
  stopping_ = true;
  hub_.Close();
}

void SubscriptionService::ParseSubscribeRequests() {
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()
          ->FindServiceByName(v1::Subscriptions::service_full_name())
          ->FindMethodByName("Subscribe");
  MarkMethodRawCallback(
      method->index(),
      new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer,
                                                         grpc::ByteBuffer>(
          [this, rpc = method->full_name()](
              grpc::CallbackServerContext* context,
              const grpc::ByteBuffer* request)
              -> grpc::ServerWriteReactor<grpc::ByteBuffer>* {
            auto parsed = std::make_unique<v1::SubscribeRequest>();
            if (!grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                          v1::SubscribeRequest>(
                     const_cast<grpc::ByteBuffer*>(request), parsed.get())
                     .ok()) {
              return new RefusedSubscribe(
                  Unparseable(rpc, v1::SubscribeRequest::descriptor()));
            }
            Caller caller;
            if (grpc::Status admitted = Admit(rpc, *context, *parsed, &caller);
                !admitted.ok()) {
              return new RefusedSubscribe(std::move(admitted));
            }
            absl::Status valid =
                CheckNames(parsed->durable_name(), parsed->member_id());
            if (!valid.ok()) return new RefusedSubscribe(ToGrpcStatus(valid));
            // A durable subscription is its owner's (services/gate.h).
            if (!parsed->durable_name().empty()) {
              parsed->set_durable_name(
                  OwnedName(caller, parsed->durable_name()));
            }
            return new SubscribeCall(this, context, std::move(parsed),
                                     std::move(caller));
          }));
}

grpc::Status SubscriptionService::Stream(
    grpc::CallbackServerContext* context, const Caller& who,
    const v1::SubscribeRequest& request,
    const std::function<bool(const v1::SubscribeResponse&)>& write) {
  // The names were checked before the owner's namespace was put in front
  // (the handler in ParseSubscribeRequests).
  if (request.heartbeat_ms() != 0 &&
      (request.heartbeat_ms() < kMinHeartbeatMs ||
       request.heartbeat_ms() > kMaxHeartbeatMs)) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "heartbeat_ms is ", request.heartbeat_ms(), "; it is 0 (the default, ",
        "1000) or from ", kMinHeartbeatMs, " to ", kMaxHeartbeatMs)));
  }
  // One caller's share of the subscriptions.
  // By identity; by address when nobody authenticates.
  const std::string caller =
      who.agent_id.empty() ? CallerOf(context->peer()) : who.agent_id;
  {
    absl::MutexLock lock(&callers_mu_);
    size_t& held = callers_[caller];
    if (held >= kMaxSubscribersPerCaller) {
      return ToGrpcStatus(absl::ResourceExhaustedError(
          absl::StrCat(caller, " holds ", held,
                       " subscriptions, the most one caller may "
                       "hold; end one first")));
    }
    ++held;
  }
  struct Release {
    SubscriptionService* service;
    const std::string& caller;
    ~Release() {
      absl::MutexLock lock(&service->callers_mu_);
      if (--service->callers_[caller] == 0) service->callers_.erase(caller);
    }
  } release{this, caller};
  SubscriptionOptions options;
  options.yield_to_writers = true;  // Other services come after the commands.
  options.filter = request.filter();
  options.heartbeat = absl::Milliseconds(
      request.heartbeat_ms() == 0 ? 1000 : request.heartbeat_ms());
  switch (request.start_case()) {
    case v1::SubscribeRequest::kFromPosition:
      options.from_position = request.from_position();
      break;
    case v1::SubscribeRequest::kFromNow:
      options.from_position = store_.log_head().position_last + 1;
      break;
    default:
      options.from_position = 1;
  }
  std::unique_ptr<GroupMember> member;
  std::vector<uint64_t> acked_partitions;
  if (!request.member_id().empty()) {
    absl::StatusOr<std::unique_ptr<GroupMember>> joined =
        groups_.Join(request.durable_name(), request.member_id());
    if (!joined.ok()) return ToGrpcStatus(joined.status(), context);
    member = std::move(*joined);
    absl::StatusOr<std::vector<uint64_t>> positions =
        groups_.Positions(request.durable_name());
    if (!positions.ok()) return ToGrpcStatus(positions.status(), context);
    acked_partitions = std::move(*positions);
    // Each partition resumes after its own acknowledged position; one never
    // acknowledged starts where the request says (default: the beginning).
    uint64_t from = store_.log_head().position_last + 1;
    for (int p : member->partitions()) {
      from = std::min(from, acked_partitions[p] > 0 ? acked_partitions[p] + 1
                                                    : options.from_position);
    }
    options.from_position = from;
    options.share = [&member, &acked_partitions](const v1::Event& e) {
      const int p = PartitionOf(e.stream_id());
      return member->Owns(p) && e.position() > acked_partitions[p];
    };
  } else if (!request.durable_name().empty()) {
    absl::StatusOr<uint64_t> acked =
        store_.views().LoadCheckpoint(request.durable_name());
    if (!acked.ok()) return ToGrpcStatus(acked.status(), context);
    if (*acked > 0) options.from_position = *acked + 1;
  }
  if (member != nullptr) {
    v1::SubscribeResponse assignment;
    assignment.mutable_assignment()->set_generation(member->generation());
    for (int p : member->partitions()) {
      assignment.mutable_assignment()->add_partitions(p);
    }
    if (!write(assignment)) return grpc::Status::OK;
  }
  Subscription subscription(&store_, &hub_, &tagger_, std::move(options));
  absl::Status s = subscription.Run(write, [this, context, &member] {
    return stopping_ || context->IsCancelled() ||
           (member != nullptr && member->Changed());
  });
  if (s.ok() && member != nullptr && member->Changed() && !stopping_) {
    s = absl::AbortedError(absl::StrCat(
        "consumer group ", request.durable_name(),
        " changed its members; subscribe again for the new share"));
  }
  return ToGrpcStatus(s, context);
}

grpc::ServerUnaryReactor* SubscriptionService::Ack(
    grpc::CallbackServerContext* context, const v1::AckRequest* request,
    v1::AckResponse* response) {
  absl::Status valid =
      CheckNames(request->durable_name(), request->member_id());
  if (valid.ok() && request->durable_name().empty()) {
    valid = absl::InvalidArgumentError("durable_name is required");
  }
  if (!valid.ok()) {
    return FinishNow(context, [&valid] { return ToGrpcStatus(valid); });
  }
  // The caller acknowledges only their own subscriptions (services/gate.h).
  auto owned = std::make_shared<v1::AckRequest>(*request);
  owned->set_durable_name(OwnedName(CurrentCaller(), request->durable_name()));
  return FinishOn(pool_, context, [this, context, owned, response] {
    return AckNow(context, *owned, response);
  });
}

grpc::Status SubscriptionService::AckNow(grpc::CallbackServerContext* context,
                                         const v1::AckRequest& request,
                                         v1::AckResponse* response) {
  // The names were checked in Ack, before the owner's namespace.
  absl::Status valid = absl::OkStatus();
  const uint64_t head = store_.log_head().position_last;
  if (request.position() > head) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("position ", request.position(),
                     " is past the end of the log (", head, ")"));
  }
  if (!valid.ok()) return ToGrpcStatus(valid);
  if (!request.member_id().empty()) {
    absl::StatusOr<uint64_t> acked =
        groups_.Ack(request.durable_name(), request.member_id(),
                    request.generation(), request.position());
    if (!acked.ok()) return ToGrpcStatus(acked.status(), context);
    response->set_position(*acked);
    return grpc::Status::OK;
  }
  const std::string& name = request.durable_name();
  absl::MutexLock lock(&ack_mu_);
  absl::StatusOr<uint64_t> acked = store_.views().LoadCheckpoint(name);
  if (!acked.ok()) return ToGrpcStatus(acked.status(), context);
  if (request.position() > *acked) {
    absl::Status saved =
        store_.views().SaveCheckpoint(name, request.position());
    if (!saved.ok()) return ToGrpcStatus(saved, context);
    acked = request.position();
  }
  response->set_position(*acked);
  return grpc::Status::OK;
}

}  // namespace ledger
