#include "services/json_api.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "nlohmann/json.hpp"
#include "services/gate.h"

namespace ledger {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::MethodDescriptor;
using Json = nlohmann::ordered_json;

// Longer than any query takes on a ledger of millions (BENCHMARKS.md).
constexpr absl::Duration kCallDeadline = absl::Seconds(30);

const char kHealthCheck[] = "grpc.health.v1.Health.Check";

// The RPC named `rpc` when JSON may call it: unary, and in the access
// table (or the health check).
const MethodDescriptor* Callable(std::string_view rpc) {
  std::string name(rpc);
  if (const size_t slash = name.rfind('/'); slash != std::string::npos) {
    name[slash] = '.';
  }
  const MethodDescriptor* method =
      DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr || method->client_streaming() ||
      method->server_streaming()) {
    return nullptr;
  }
  if (name == kHealthCheck) return method;
  for (const AccessRule& rule : AccessTable()) {
    if (name == rule.rpc) return method;
  }
  return nullptr;
}

// "/ledger.v1.QueryService/GetQueue".
std::string PathOf(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

std::unique_ptr<Message> New(const google::protobuf::Descriptor* type) {
  const Message* prototype =
      MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(prototype->New());
}

absl::StatusOr<Json> ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return absl::InternalError(std::string(status.message()));
  }
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("protobuf's JSON does not parse");
  }
  return json;
}

// Every Event in `json` (an object with an event_type and a payload, as
// only Event has) gets its payload decoded by its type: the fields of the
// event, instead of their bytes in base64. A payload of a type this build
// does not know is left as it is.
void DecodePayloads(Json& json) {
  if (json.is_array()) {
    for (Json& item : json) DecodePayloads(item);
    return;
  }
  if (!json.is_object()) return;
  const auto type = json.find("event_type");
  const auto payload = json.find("payload");
  if (type != json.end() && payload != json.end() && type->is_string() &&
      payload->is_string()) {
    const google::protobuf::Descriptor* descriptor =
        DescriptorPool::generated_pool()->FindMessageTypeByName(
            type->get<std::string>());
    std::string bytes;
    if (descriptor != nullptr &&
        absl::Base64Unescape(payload->get<std::string>(), &bytes)) {
      std::unique_ptr<Message> event = New(descriptor);
      if (event->ParseFromString(bytes)) {
        if (absl::StatusOr<Json> decoded = ToJson(*event); decoded.ok()) {
          *payload = *std::move(decoded);
        }
      }
    }
    return;
  }
  for (auto& [key, value] : json.items()) DecodePayloads(value);
}

// Never throws: bytes that are not UTF-8 (a message quoting a request's
// body) are replaced.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// What gRPC accepts in a metadata value (it aborts the process on anything
// else): printable ASCII.
bool PrintableAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

HttpReply ErrorReply(const grpc::Status& status) {
  HttpReply reply;
  reply.status = HttpStatusOf(status.error_code());
  Json body;
  body["code"] = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  body["message"] = status.error_message();
  reply.body = Dump(body);
  return reply;
}

JsonApi::JsonApi(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      stub_(std::make_unique<grpc::GenericStub>(channel_)) {}

grpc::Status JsonApi::Call(const std::string& rpc, const Message& request,
                           Message* response,
                           const std::string& authorization) const {
  const MethodDescriptor* method = Callable(rpc);
  if (method == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(rpc, " is not an RPC served as JSON"));
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  if (!PrintableAscii(authorization)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the credential is not printable ASCII");
  }
  if (!authorization.empty()) {
    context.AddMetadata("authorization", authorization);
  }
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer sent(&slice, 1);
  grpc::ByteBuffer received;
  grpc::Status status;
  absl::Notification done;
  stub_->UnaryCall(&context, PathOf(*method), grpc::StubOptions(), &sent,
                   &received, [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
  done.WaitForNotification();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!received.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable answer");
  }
  std::string answer;
  for (const grpc::Slice& s : slices) {
    answer.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(answer)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("the answer of ", rpc, " does not parse"));
  }
  return grpc::Status::OK;
}

HttpReply JsonApi::Call(std::string_view rpc, std::string_view json,
                        const std::string& authorization) const {
  const MethodDescriptor* method = Callable(rpc);
  if (method == nullptr) {
    return ErrorReply(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat(std::string(rpc),
                                  " is not an RPC served as JSON (unary RPCs "
                                  "of the access table: README, \"Who may "
                                  "call what\")")));
  }
  std::unique_ptr<Message> request = New(method->input_type());
  if (!json.empty()) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(json.data(), json.size()), request.get(),
        options);
    if (!parsed.ok()) {
      return ErrorReply(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("the body is not a JSON ",
                                    method->input_type()->full_name(), ": ",
                                    std::string(parsed.message()))));
    }
  }
  std::unique_ptr<Message> response = New(method->output_type());
  const grpc::Status status = Call(std::string(method->full_name()), *request,
                                   response.get(), authorization);
  if (!status.ok()) return ErrorReply(status);
  absl::StatusOr<Json> body = ToJson(*response);
  if (!body.ok()) {
    return ErrorReply(grpc::Status(grpc::StatusCode::INTERNAL,
                                   std::string(body.status().message())));
  }
  DecodePayloads(*body);
  HttpReply reply;
  reply.body = Dump(*body);
  return reply;
}

}  // namespace ledger
