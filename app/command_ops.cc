#include "app/internal/command_ops.h"

#include <typeindex>
#include <typeinfo>

#include "absl/container/flat_hash_map.h"

namespace ledger::internal {
namespace {

using google::protobuf::Message;

// The ops of one registered command type.
template <typename Command>
CommandOps MakeOps(const CommandSpec<Command>& spec) {
  CommandOps ops{};
  ops.kind = spec.kind;
  ops.descriptor = Command::descriptor();
  ops.clone = [](const Message& m) -> std::unique_ptr<Message> {
    return std::make_unique<Command>(static_cast<const Command&>(m));
  };
  ops.context = [](const Message& m) -> const v1::CommandContext& {
    return static_cast<const Command&>(m).context();
  };
  ops.mutable_context = [](Message& m) {
    return static_cast<Command&>(m).mutable_context();
  };
  if constexpr (requires(const Command& c) { c.complaint_id(); }) {
    ops.complaint_id = [](const Message& m) -> const std::string& {
      return static_cast<const Command&>(m).complaint_id();
    };
    ops.set_complaint_id = [](Message& m, const std::string& id) {
      static_cast<Command&>(m).set_complaint_id(id);
    };
  }
  if constexpr (requires(const Command& c, const v1::ComplaintState& s,
                         const DecideContext& d) { Decide(s, c, d); }) {
    ops.decide = [](const v1::ComplaintState& state, const Message& m,
                    const DecideContext& context) {
      return Decide(state, static_cast<const Command&>(m), context);
    };
  }
  if constexpr (requires(const Command& c, const ReferenceData& r,
                         const std::string& a) { DecideReference(r, a, c); }) {
    ops.decide_reference = [](const ReferenceData& data,
                              const std::string& actor, absl::Time,
                              const Message& m) {
      return DecideReference(data, actor, static_cast<const Command&>(m));
    };
  } else if constexpr (requires(const Command& c, const ReferenceData& r,
                                const std::string& a, absl::Time t) {
                         DecideReference(r, a, c, t);
                       }) {
    ops.decide_reference = [](const ReferenceData& data,
                              const std::string& actor, absl::Time now,
                              const Message& m) {
      return DecideReference(data, actor, static_cast<const Command&>(m), now);
    };
  }
  return ops;
}

// By the message's dynamic type: a DynamicMessage of a command's descriptor
// is not of the command's class, and typeid tells them apart without the
// descriptor lookup GetDescriptor makes on every call.
const absl::flat_hash_map<std::type_index, CommandOps>& AllOps() {
  static const auto* const kOps = [] {
    auto* ops = new absl::flat_hash_map<std::type_index, CommandOps>();
    ForEachCommand([ops](const auto& spec) {
      using Command = typename std::decay_t<decltype(spec)>::Type;
      ops->emplace(std::type_index(typeid(Command)), MakeOps(spec));
    });
    return ops;
  }();
  return *kOps;
}

// A complaint command is decided by Decide against the complaint's state, a
// reference command by DecideReference against the reference data: the
// registry's kind must say which one each has.
constexpr bool kKindsMatchDecide = [] {
  bool match = true;
  ForEachCommand([&match](const auto& spec) {
    using Command = typename std::decay_t<decltype(spec)>::Type;
    constexpr bool complaint = requires(
        const Command& c, const v1::ComplaintState& s, const DecideContext& d) {
      Decide(s, c, d);
      c.complaint_id();
    };
    constexpr bool reference = requires(
        const Command& c, const ReferenceData& r, const std::string& a) {
      DecideReference(r, a, c);
    }
    || requires(const Command& c, const ReferenceData& r, const std::string& a,
                absl::Time t) {
      DecideReference(r, a, c, t);
    };
    match = match &&
            (spec.kind == CommandKind::kComplaint ? complaint && !reference
                                                  : reference && !complaint);
  });
  return match;
}();
static_assert(kKindsMatchDecide,
              "every complaint command of app/commands.h has a Decide and a "
              "complaint_id, every reference command a DecideReference");

}  // namespace

const CommandOps* OpsOf(const Message& command) {
  const auto& ops = AllOps();
  auto it = ops.find(std::type_index(typeid(command)));
  return it == ops.end() ? nullptr : &it->second;
}

}  // namespace ledger::internal

namespace ledger {

const v1::CommandContext* CommandContextOf(
    const google::protobuf::Message& command) {
  const internal::CommandOps* ops = internal::OpsOf(command);
  return ops == nullptr ? nullptr : &ops->context(command);
}

}  // namespace ledger
