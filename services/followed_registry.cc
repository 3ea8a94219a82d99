#include "services/followed_registry.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "ledger/base/log.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/limits.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "projections/remote_log.h"
#include "rpc/status.h"

namespace ledger {
namespace {

constexpr absl::Duration kCallDeadline = absl::Seconds(30);
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

bool IsReferenceStream(const std::string& stream_id) {
  return std::find(std::begin(kReferenceStreams), std::end(kReferenceStreams),
                   stream_id) != std::end(kReferenceStreams);
}

}  // namespace

FollowedRegistry::FollowedRegistry(std::string target, ClientSecurity security)
    : target_(std::move(target)), security_(std::move(security)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
  ledger_ = v1::Ledger::NewStub(MakeChannel(target_, security_, args));
  v1::SubscriptionFilter filter;
  filter.set_stream_prefix("ref-");
  log_ = RemoteLog(target_, security_, filter);
}

FollowedRegistry::~FollowedRegistry() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FollowedRegistry::Start() {
  thread_ = std::thread([this] { Run(); });
}

std::shared_ptr<const ReferenceData> FollowedRegistry::Get() const {
  absl::MutexLock lock(&mu_);
  // Out of touch too long: an agent deactivated meanwhile is unknown here.
  if (absl::Now() - heard_ > kMaxStaleness) return nullptr;
  return current_;
}

void FollowedRegistry::Heard() {
  absl::MutexLock lock(&mu_);
  heard_ = absl::Now();
}

absl::StatusOr<uint64_t> FollowedRegistry::Read(ReferenceData& data) const {
  absl::StatusOr<uint64_t> head = log_->Head();
  if (!head.ok()) return head.status();
  // Each stream up to `head` only: what came after, the follow delivers.
  for (const char* stream : kReferenceStreams) {
    uint64_t from = 0;
    bool done = false;
    while (!done) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
      v1::ReadStreamRequest request;
      request.set_stream_id(stream);
      request.set_from_revision(from);
      request.set_limit(kMaxPageSize);
      v1::ReadStreamResponse response;
      const grpc::Status s = ledger_->ReadStream(&context, request, &response);
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) break;
      if (!s.ok()) {
        return FromGrpcStatus(
            s, absl::StrCat("reading ", stream, " at ", target_));
      }
      for (const v1::Event& e : response.events()) {
        if (e.position() > *head) {
          done = true;
          break;
        }
        if (absl::Status applied = data.Apply(e); !applied.ok()) {
          return applied;
        }
        from = e.revision() + 1;
      }
      done = done || response.end_of_stream() || response.events().empty();
    }
  }
  return head;
}

void FollowedRegistry::Publish(const ReferenceData& data) {
  auto snapshot = std::make_shared<const ReferenceData>(data);
  absl::MutexLock lock(&mu_);
  current_ = std::move(snapshot);
  heard_ = absl::Now();
}

void FollowedRegistry::Run() {
  NameThisThread("registry");
  auto stopped = [this] {
    absl::MutexLock lock(&mu_);
    return stop_;
  };
  absl::Duration backoff = kFirstBackoff;
  while (!stopped()) {
    ReferenceData data;
    absl::Status failed;
    if (absl::StatusOr<uint64_t> read = Read(data); !read.ok()) {
      failed = read.status();
    } else {
      backoff = kFirstBackoff;
      Publish(data);
      const absl::Status followed = log_->Follow(
          *read + 1,
          [&](const v1::SubscribeResponse& response) {
            Heard();  // Events, checkpoints and heartbeats alike.
            if (!response.has_event() ||
                !IsReferenceStream(response.event().stream_id())) {
              return true;
            }
            failed = data.Apply(response.event());
            if (!failed.ok()) return false;
            Publish(data);
            return true;
          },
          // Its reconnections ride out a ledger away; Get() tells how long.
          stopped, [](const absl::Status&) {});
      if (failed.ok()) failed = followed;
    }
    if (failed.ok()) continue;  // Stopped.
    // Callers keep the last registry read while it is read again.
    LogWarn(absl::StrFormat("ledgerd: agent registry of %s: %s", target_,
                            std::string(failed.message())));
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace ledger
