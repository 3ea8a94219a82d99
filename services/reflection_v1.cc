#include "services/reflection_v1.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace ledger {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

// One stream: each request read is answered before the next is read.
class Reactor final : public grpc::ServerBidiReactor<ServerReflectionRequest,
                                                     ServerReflectionResponse> {
 public:
  explicit Reactor(const std::vector<std::string>* services)
      : services_(*services) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // The client is done.
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    Answer();
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNKNOWN, "the write failed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Error(grpc::StatusCode code, std::string message) {
    response_.mutable_error_response()->set_error_code(code);
    response_.mutable_error_response()->set_error_message(std::move(message));
  }

  // `file`, then what it depends on that this stream has not sent.
  void SendFile(const FileDescriptor* file) {
    auto* out = response_.mutable_file_descriptor_response();
    std::vector<const FileDescriptor*> pending{file};
    bool first = true;
    while (!pending.empty()) {
      const FileDescriptor* f = pending.back();
      pending.pop_back();
      if (!first && sent_.count(f->name()) > 0) continue;
      first = false;
      sent_.insert(f->name());
      google::protobuf::FileDescriptorProto proto;
      f->CopyTo(&proto);
      proto.SerializeToString(out->add_file_descriptor_proto());
      for (int i = 0; i < f->dependency_count(); ++i) {
        if (sent_.count(f->dependency(i)->name()) == 0) {
          pending.push_back(f->dependency(i));
        }
      }
    }
  }

  void Answer() {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    response_.set_valid_host(request_.host());
    *response_.mutable_original_request() = request_;
    switch (request_.message_request_case()) {
      case ServerReflectionRequest::kFileByFilename: {
        const FileDescriptor* file =
            pool->FindFileByName(request_.file_by_filename());
        if (file == nullptr) {
          return Error(grpc::StatusCode::NOT_FOUND, "File not found.");
        }
        return SendFile(file);
      }
      case ServerReflectionRequest::kFileContainingSymbol: {
        const FileDescriptor* file =
            pool->FindFileContainingSymbol(request_.file_containing_symbol());
        if (file == nullptr) {
          return Error(grpc::StatusCode::NOT_FOUND, "Symbol not found.");
        }
        return SendFile(file);
      }
      case ServerReflectionRequest::kFileContainingExtension: {
        const auto* type = pool->FindMessageTypeByName(
            request_.file_containing_extension().containing_type());
        const auto* extension =
            type == nullptr
                ? nullptr
                : pool->FindExtensionByNumber(
                      type,
                      request_.file_containing_extension().extension_number());
        if (extension == nullptr) {
          return Error(grpc::StatusCode::NOT_FOUND, "Extension not found.");
        }
        return SendFile(extension->file());
      }
      case ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const auto* type = pool->FindMessageTypeByName(
            request_.all_extension_numbers_of_type());
        if (type == nullptr) {
          return Error(grpc::StatusCode::NOT_FOUND, "Type not found.");
        }
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        auto* out = response_.mutable_all_extension_numbers_response();
        out->set_base_type_name(type->full_name());
        for (const auto* e : extensions) out->add_extension_number(e->number());
        return;
      }
      case ServerReflectionRequest::kListServices:
        for (const std::string& name : services_) {
          response_.mutable_list_services_response()->add_service()->set_name(
              name);
        }
        return;
      default:
        return Error(grpc::StatusCode::UNIMPLEMENTED,
                     "a request of no kind this server knows");
    }
  }

  const std::vector<std::string>& services_;
  ServerReflectionRequest request_;
  ServerReflectionResponse response_;
  std::set<std::string> sent_;
};

}  // namespace

ReflectionV1::ReflectionV1(std::vector<std::string> services)
    : services_(std::move(services)) {}

grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse>*
ReflectionV1::ServerReflectionInfo(grpc::CallbackServerContext*) {
  return new Reactor(&services_);
}

}  // namespace ledger
