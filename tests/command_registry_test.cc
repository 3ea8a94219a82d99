// The command registry (app/commands.h) against the protos: every command
// RPC, every BatchCommand field and every command has its line, and each
// line its RPC.
#include "app/commands.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/v1/complaint_service.grpc.pb.h"

namespace ledger::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::ServiceDescriptor;

const ServiceDescriptor* Service(const char* name) {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      name);
}

struct Registered {
  const Descriptor* type;
  CommandKind kind;
  std::string cli_name;
};

std::vector<Registered> AllRegistered() {
  std::vector<Registered> all;
  ForEachCommand([&all](const auto& spec) {
    using Command = typename std::decay_t<decltype(spec)>::Type;
    all.push_back({Command::descriptor(), spec.kind, spec.cli_name});
  });
  return all;
}

TEST(CommandRegistryTest, EveryCommandHasOneRpcNamedLikeItInItsService) {
  for (const Registered& r : AllRegistered()) {
    const ServiceDescriptor* own =
        Service(r.kind == CommandKind::kComplaint
                    ? v1::ComplaintService::service_full_name()
                    : v1::ReferenceDataService::service_full_name());
    ASSERT_NE(own, nullptr);
    const google::protobuf::MethodDescriptor* method =
        own->FindMethodByName(r.type->name());
    ASSERT_NE(method, nullptr)
        << own->full_name() << " has no RPC " << r.type->name();
    EXPECT_EQ(method->input_type(), r.type) << method->full_name();
    EXPECT_EQ(method->output_type(), v1::CommandResult::descriptor())
        << method->full_name();
  }
}

TEST(CommandRegistryTest, EveryRpcAnsweringACommandResultIsRegistered) {
  std::set<const Descriptor*> registered;
  for (const Registered& r : AllRegistered()) registered.insert(r.type);
  int rpcs = 0;
  for (const char* name : {v1::ComplaintService::service_full_name(),
                           v1::ReferenceDataService::service_full_name()}) {
    const ServiceDescriptor* service = Service(name);
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      if (service->method(i)->output_type() !=
          v1::CommandResult::descriptor()) {
        continue;
      }
      ++rpcs;
      EXPECT_TRUE(registered.contains(service->method(i)->input_type()))
          << service->method(i)->full_name()
          << " takes a message missing from app/commands.h";
    }
  }
  EXPECT_EQ(rpcs, static_cast<int>(registered.size()))
      << "a registered command has more than one RPC";
}

TEST(CommandRegistryTest, BatchCommandHoldsExactlyTheComplaintCommands) {
  std::set<const Descriptor*> complaint;
  for (const Registered& r : AllRegistered()) {
    if (r.kind == CommandKind::kComplaint) complaint.insert(r.type);
  }
  const Descriptor* batch = v1::BatchCommand::descriptor();
  ASSERT_EQ(batch->oneof_decl_count(), 1);
  std::set<const Descriptor*> fields;
  for (int i = 0; i < batch->oneof_decl(0)->field_count(); ++i) {
    fields.insert(batch->oneof_decl(0)->field(i)->message_type());
  }
  EXPECT_EQ(fields, complaint);
}

TEST(CommandRegistryTest, NamesAreUniqueAndContextsFound) {
  std::set<std::string> names;
  for (const Registered& r : AllRegistered()) {
    EXPECT_TRUE(names.insert(r.cli_name).second) << r.cli_name;
  }
  v1::Reply reply;
  reply.mutable_context()->set_command_id("c-1");
  const v1::CommandContext* context = CommandContextOf(reply);
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(context->command_id(), "c-1");
  EXPECT_EQ(CommandContextOf(v1::CommandResult()), nullptr);
}

}  // namespace
}  // namespace ledger::testing
