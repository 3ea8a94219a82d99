#include "services/followed_registry.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
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

absl::Status Failed(const grpc::Status& s, absl::string_view what) {
  const absl::Status status = FromGrpcStatus(s);
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

}  // namespace

FollowedRegistry::FollowedRegistry(std::string target, ClientSecurity security)
    : target_(std::move(target)), security_(std::move(security)) {}

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

absl::Status FollowedRegistry::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

bool FollowedRegistry::WaitForFirstRead(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto read = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return current_ != nullptr || stop_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&read), timeout);
  return current_ != nullptr;
}

absl::StatusOr<uint64_t> FollowedRegistry::Read(ReferenceData& data) const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
  std::unique_ptr<v1::Ledger::Stub> ledger =
      v1::Ledger::NewStub(MakeChannel(target_, security_, args));
  uint64_t head = 0;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    v1::GetLogHeadResponse response;
    const grpc::Status s =
        ledger->GetLogHead(&context, v1::GetLogHeadRequest(), &response);
    if (!s.ok()) return Failed(s, absl::StrCat("asking ", target_));
    head = response.position_last();
  }
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
      const grpc::Status s = ledger->ReadStream(&context, request, &response);
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) break;
      if (!s.ok()) {
        return Failed(s, absl::StrCat("reading ", stream, " at ", target_));
      }
      for (const v1::Event& e : response.events()) {
        if (e.position() > head) {
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

void FollowedRegistry::Publish(const ReferenceData& data, absl::Status status) {
  auto snapshot = std::make_shared<const ReferenceData>(data);
  absl::MutexLock lock(&mu_);
  current_ = std::move(snapshot);
  status_ = std::move(status);
  heard_ = absl::Now();
}

void FollowedRegistry::Run() {
  NameThisThread("registry");
  auto stopped = [this] {
    absl::MutexLock lock(&mu_);
    return stop_;
  };
  auto report = [this](const absl::Status& s) {
    absl::MutexLock lock(&mu_);
    status_ = s;
  };
  absl::Duration backoff = kFirstBackoff;
  while (!stopped()) {
    ReferenceData data;
    absl::Status failed;
    if (absl::StatusOr<uint64_t> read = Read(data); !read.ok()) {
      failed = read.status();
    } else {
      backoff = kFirstBackoff;
      Publish(data, absl::OkStatus());
      v1::SubscriptionFilter filter;
      filter.set_stream_prefix("ref-");
      std::unique_ptr<LogSource> log = RemoteLog(target_, security_, filter);
      const absl::Status followed = log->Follow(
          *read + 1,
          [&](const v1::SubscribeResponse& response) {
            Heard();  // Events, checkpoints and heartbeats alike.
            if (!response.has_event() ||
                !IsReferenceStream(response.event().stream_id())) {
              return true;
            }
            failed = data.Apply(response.event());
            if (!failed.ok()) return false;
            Publish(data, absl::OkStatus());
            return true;
          },
          stopped, report);
      if (failed.ok()) failed = followed;
    }
    if (failed.ok()) continue;  // Stopped.
    // Callers keep the last registry read while it is read again.
    report(failed);
    std::fprintf(stderr, "ledgerd: agent registry of %s: %s\n", target_.c_str(),
                 std::string(failed.message()).c_str());
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace ledger
