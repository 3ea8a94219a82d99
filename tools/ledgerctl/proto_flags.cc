#include "tools/ledgerctl/proto_flags.h"

#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "ledger/base/status_macros.h"
#include "ledger/v1/common.pb.h"
#include "tools/ledgerctl/cli.h"

namespace ledger::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Bad(const std::string& name, const std::string& value,
                 absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", name, " ", value, ": ", what));
}

// A field and the message holding it, found by a flag name.
struct Target {
  Message* message = nullptr;
  const FieldDescriptor* field = nullptr;
};

// The path of fields `name` (underscored) names from `d`: the field itself;
// a singular message field's name as a prefix, then the rest inside it; or
// the name inside a singular message field. Empty when there is none.
std::vector<const FieldDescriptor*> FindPath(const std::string& name,
                                             const Descriptor* d) {
  if (const FieldDescriptor* f = d->FindFieldByName(name); f != nullptr) {
    return {f};
  }
  auto nested = [](const FieldDescriptor* f) {
    return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
           !f->is_repeated();
  };
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string prefix = f->name() + "_";
    if (!nested(f) || name.compare(0, prefix.size(), prefix) != 0) continue;
    auto rest = FindPath(name.substr(prefix.size()), f->message_type());
    if (!rest.empty()) {
      rest.insert(rest.begin(), f);
      return rest;
    }
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!nested(f)) continue;
    auto rest = FindPath(name, f->message_type());
    if (!rest.empty()) {
      rest.insert(rest.begin(), f);
      return rest;
    }
  }
  return {};
}

Target Find(const std::string& name, Message* message) {
  std::vector<const FieldDescriptor*> path =
      FindPath(name, message->GetDescriptor());
  if (path.empty()) return {};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return {message, path.back()};
}

absl::StatusOr<const EnumValueDescriptor*> ParseEnum(
    const FieldDescriptor* field, const std::string& flag,
    const std::string& value) {
  const auto* e = field->enum_type();
  const std::string wanted = absl::AsciiStrToUpper(
      absl::StrReplaceAll(value, {{"-", "_"}, {" ", "_"}}));
  const std::string& zero = e->value(0)->name();
  const std::string prefix = zero.substr(0, zero.size() - 11);  // UNSPECIFIED
  for (int i = 1; i < e->value_count(); ++i) {
    const std::string& name = e->value(i)->name();
    if (name == wanted || name == prefix + wanted) return e->value(i);
  }
  return Bad(flag, value, absl::StrCat("not one of ", EnumChoices(e)));
}

absl::StatusOr<int64_t> ParseTime(const std::string& flag,
                                  const std::string& value,
                                  const absl::TimeZone& zone) {
  int64_t us = 0;
  if (absl::SimpleAtoi(value, &us)) return us;
  ASSIGN_OR_RETURN(absl::Time t, ParseTimeFlag(flag, value, zone));
  return absl::ToUnixMicros(t);
}

absl::StatusOr<v1::Money> ParseMoney(const std::string& flag,
                                     const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(value, ':');
  double amount = 0;
  if (parts.size() != 2 || parts[0].size() != 3 ||
      !absl::SimpleAtod(parts[1], &amount) || amount < 0) {
    return Bad(flag, value, "not an amount like CNY:200.00");
  }
  v1::Money money;
  money.set_currency_code(absl::AsciiStrToUpper(parts[0]));
  money.set_minor_units(static_cast<int64_t>(std::llround(amount * 100)));
  return money;
}

// Fills `m` from a value of its type's shorthand, or text format.
absl::Status ParseMessage(const std::string& flag, const std::string& value,
                          Message* m) {
  const std::string& type = m->GetDescriptor()->full_name();
  std::vector<std::string> parts;
  int a = 0, b = 0, c = 0;
  if (type == v1::AssistTarget::descriptor()->full_name()) {
    parts = absl::StrSplit(value, absl::MaxSplits(':', 1));
    auto* target = static_cast<v1::AssistTarget*>(m);
    if (parts.size() == 2 && parts[0] == "station") {
      target->set_station_id(parts[1]);
    } else if (parts.size() == 2 && parts[0] == "department") {
      target->set_department_id(parts[1]);
    } else {
      return Bad(flag, value, "not station:ID or department:ID");
    }
    return absl::OkStatus();
  }
  if (type == v1::Date::descriptor()->full_name()) {
    parts = absl::StrSplit(value, '-');
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &a) ||
        !absl::SimpleAtoi(parts[1], &b) || !absl::SimpleAtoi(parts[2], &c)) {
      return Bad(flag, value, "not a date YYYY-MM-DD");
    }
    auto* date = static_cast<v1::Date*>(m);
    date->set_year(a);
    date->set_month(b);
    date->set_day(c);
    return absl::OkStatus();
  }
  if (type == v1::YearMonth::descriptor()->full_name()) {
    parts = absl::StrSplit(value, '-');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) ||
        !absl::SimpleAtoi(parts[1], &b)) {
      return Bad(flag, value, "not a month YYYY-MM");
    }
    static_cast<v1::YearMonth*>(m)->set_year(a);
    static_cast<v1::YearMonth*>(m)->set_month(b);
    return absl::OkStatus();
  }
  if (type == v1::TimeOfDay::descriptor()->full_name()) {
    parts = absl::StrSplit(value, ':');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) ||
        !absl::SimpleAtoi(parts[1], &b)) {
      return Bad(flag, value, "not a time of day HH:MM");
    }
    static_cast<v1::TimeOfDay*>(m)->set_hours(a);
    static_cast<v1::TimeOfDay*>(m)->set_minutes(b);
    return absl::OkStatus();
  }
  if (type == v1::Money::descriptor()->full_name()) {
    ASSIGN_OR_RETURN(*static_cast<v1::Money*>(m), ParseMoney(flag, value));
    return absl::OkStatus();
  }
  if (type == v1::PenaltyRate::descriptor()->full_name()) {
    parts = absl::StrSplit(value, absl::MaxSplits('=', 1));
    auto* rate = static_cast<v1::PenaltyRate*>(m);
    if (parts.size() != 2) {
      return Bad(flag, value, "not a rate like repeat=CNY:200.00");
    }
    ASSIGN_OR_RETURN(
        const EnumValueDescriptor* severity,
        ParseEnum(rate->GetDescriptor()->FindFieldByName("severity"), flag,
                  parts[0]));
    rate->set_severity(static_cast<v1::Severity>(severity->number()));
    ASSIGN_OR_RETURN(*rate->mutable_amount_per_complaint(),
                     ParseMoney(flag, parts[1]));
    return absl::OkStatus();
  }
  if (type == v1::CustomerType::descriptor()->full_name()) {
    parts = absl::StrSplit(value, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty()) {
      return Bad(flag, value,
                 "not a customer type like frequent=\"Buys weekly\"");
    }
    static_cast<v1::CustomerType*>(m)->set_code(std::string(parts[0]));
    static_cast<v1::CustomerType*>(m)->set_name(std::string(parts[1]));
    return absl::OkStatus();
  }
  if (!google::protobuf::TextFormat::ParseFromString(value, m)) {
    return Bad(flag, value, absl::StrCat("not a ", type, " in text format"));
  }
  return absl::OkStatus();
}

absl::Status SetOne(const Target& t, const std::string& flag,
                    const std::string& value, const absl::TimeZone& zone) {
  Message* m = t.message;
  const FieldDescriptor* f = t.field;
  const Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(m, f, value) : r->SetString(m, f, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string v = absl::AsciiStrToLower(value);
      bool b;
      if (v.empty() || v == "true" || v == "yes" || v == "1") {
        b = true;
      } else if (v == "false" || v == "no" || v == "0") {
        b = false;
      } else {
        return Bad(flag, value, "not true or false");
      }
      rep ? r->AddBool(m, f, b) : r->SetBool(m, f, b);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      for (absl::string_view one : absl::StrSplit(value, ',')) {
        ASSIGN_OR_RETURN(const EnumValueDescriptor* e,
                         ParseEnum(f, flag, std::string(one)));
        rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (absl::EndsWith(f->name(), "_us")) {
        ASSIGN_OR_RETURN(v, ParseTime(flag, value, zone));
      } else if (!absl::SimpleAtoi(value, &v)) {
        return Bad(flag, value, "not an integer");
      }
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(flag, value, "not a count");
      rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v))
        return Bad(flag, value, "not an integer");
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(flag, value, "not a count");
      rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      absl::Status s = ParseMessage(flag, value, sub);
      if (!s.ok() && rep) r->RemoveLast(m, f);
      return s;
    }
    default:
      return Bad(flag, value, "this field type cannot be set from a flag");
  }
}

// The field name a flag stands for.
std::string FieldName(const std::string& flag, const Descriptor* d) {
  std::string name = absl::StrReplaceAll(flag, {{"-", "_"}});
  const FieldDescriptor* target = d->FindFieldByName("target");
  if (name == "unit" && target != nullptr &&
      target->message_type() == v1::AssistTarget::descriptor()) {
    return "target";
  }
  return name;
}

}  // namespace

std::string EnumChoices(const google::protobuf::EnumDescriptor* e) {
  const std::string& zero = e->value(0)->name();
  const std::string prefix = zero.substr(0, zero.size() - 11);  // UNSPECIFIED
  std::string choices;
  for (int i = 1; i < e->value_count(); ++i) {
    absl::StrAppend(
        &choices, i > 1 ? ", " : "",
        absl::AsciiStrToLower(absl::StrReplaceAll(
            e->value(i)->name().substr(prefix.size()), {{"_", "-"}})));
  }
  return choices;
}

bool HasShorthand(const Descriptor* d) {
  return d == v1::AssistTarget::descriptor() || d == v1::Date::descriptor() ||
         d == v1::YearMonth::descriptor() || d == v1::TimeOfDay::descriptor() ||
         d == v1::Money::descriptor() || d == v1::PenaltyRate::descriptor() ||
         d == v1::CustomerType::descriptor();
}

FlagKind KindOfFlag(const std::string& name, const Descriptor* d) {
  std::vector<const FieldDescriptor*> path = FindPath(FieldName(name, d), d);
  if (path.empty()) return FlagKind::kNone;
  return path.back()->cpp_type() == FieldDescriptor::CPPTYPE_BOOL
             ? FlagKind::kBool
             : FlagKind::kValue;
}

absl::Status SetFlag(const std::string& name, const std::string& value,
                     const absl::TimeZone& zone, Message* message) {
  Target t = Find(FieldName(name, message->GetDescriptor()), message);
  if (t.field == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " is not a field of ", message->GetDescriptor()->name()));
  }
  return SetOne(t, name, value, zone);
}

}  // namespace ledger::ctl
