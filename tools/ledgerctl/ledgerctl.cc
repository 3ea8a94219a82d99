#include "tools/ledgerctl/ledgerctl.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/verify.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "rpc/status.h"
#include "tools/ledgerctl/audit.h"
#include "tools/ledgerctl/client.h"
#include "tools/ledgerctl/event_format.h"

namespace ledger::ctl {
namespace {

constexpr uint64_t kDefaultLogLimit = 100;

using LedgerClient = Client<v1::Ledger>;
using QueryClient = Client<v1::QueryService>;

// Prints events as they come; owns the header of the text format.
class EventPrinter {
 public:
  EventPrinter(Format format, std::ostream& out) : format_(format), out_(out) {}
  void Print(const v1::Event& event) {
    if (format_ != Format::kText) {
      out_ << EventJson(event) << "\n";
      return;
    }
    if (!header_printed_) out_ << TextHeader() << "\n";
    header_printed_ = true;
    out_ << TextLine(event) << "\n";
  }

 private:
  Format format_;
  std::ostream& out_;
  bool header_printed_ = false;
};

uint32_t PageLimit(uint64_t remaining) {
  return static_cast<uint32_t>(std::min<uint64_t>(remaining, kMaxPageSize));
}

// Prints pages of events until `limit` events are printed or `next` (given
// the request and the page just printed) says there are no more; `next`
// also points the request at the following page.
template <typename Request, typename Response, typename Method, typename Next>
int PrintPages(LedgerClient& client, Method method, Request& request,
               uint64_t limit, EventPrinter& printer, std::ostream& err,
               Next next) {
  for (uint64_t remaining = limit; remaining > 0;) {
    request.set_limit(PageLimit(remaining));
    Response response;
    absl::Status s = client.Call(method, request, &response);
    if (!s.ok()) return Fail(err, s);
    for (const v1::Event& e : response.events()) printer.Print(e);
    remaining -= std::min<uint64_t>(remaining, response.events_size());
    if (response.events().empty() || !next(request, response)) break;
  }
  return kExitOk;
}

int ReadCommand(const std::string& stream, const Options& options,
                std::ostream& out, std::ostream& err) {
  LedgerClient client(options);
  EventPrinter printer(options.format, out);
  v1::ReadStreamRequest request;
  request.set_stream_id(stream);
  request.set_direction(options.backward ? v1::READ_DIRECTION_BACKWARD
                                         : v1::READ_DIRECTION_FORWARD);
  request.set_from_end(options.backward && !options.from_revision.has_value());
  request.set_from_revision(options.from_revision.value_or(0));
  return PrintPages<v1::ReadStreamRequest, v1::ReadStreamResponse>(
      client, &v1::Ledger::Stub::ReadStream, request,
      options.limit == 0 ? UINT64_MAX : options.limit, printer, err,
      [&options](v1::ReadStreamRequest& request,
                 const v1::ReadStreamResponse& page) {
        if (page.end_of_stream()) return false;
        const uint64_t last = page.events().rbegin()->revision();
        request.set_from_end(false);
        request.set_from_revision(options.backward ? last - 1 : last + 1);
        return true;
      });
}

int LogCommand(const Options& options, std::ostream& out, std::ostream& err) {
  LedgerClient client(options);
  EventPrinter printer(options.format, out);
  v1::ReadAllRequest request;
  request.set_from_position(std::max<uint64_t>(options.from, 1));
  return PrintPages<v1::ReadAllRequest, v1::ReadAllResponse>(
      client, &v1::Ledger::Stub::ReadAll, request,
      options.limit == 0 ? kDefaultLogLimit : options.limit, printer, err,
      [](v1::ReadAllRequest& request, const v1::ReadAllResponse& page) {
        request.set_from_position(page.events().rbegin()->position() + 1);
        return true;
      });
}

int HeadCommand(const std::string& stream, const Options& options,
                std::ostream& out, std::ostream& err) {
  LedgerClient client(options);
  v1::GetHeadRequest request;
  request.set_stream_id(stream);
  v1::GetHeadResponse head;
  absl::Status s = client.Call(&v1::Ledger::Stub::GetHead, request, &head);
  if (!s.ok()) return Fail(err, s);
  if (options.format != Format::kText) {
    out << "{\"stream_id\":" << JsonQuote(stream)
        << ",\"revision_last\":" << head.revision_last()
        << ",\"position_last\":" << head.position_last() << "}\n";
  } else {
    out << stream << ": revision " << head.revision_last() << " at position "
        << head.position_last() << "\n";
  }
  return kExitOk;
}

int PrintVerifyReport(const VerifyReport& report, const Options& options,
                      std::ostream& out) {
  const bool ok = report.status.ok();
  if (options.format != Format::kText) {
    out << "{\"ok\":" << (ok ? "true" : "false")
        << ",\"events_verified\":" << report.events_verified
        << ",\"position_last\":" << report.position_last
        << ",\"hash_last\":" << JsonQuote(Hex(report.hash_last));
    if (report.first_broken_position.has_value()) {
      out << ",\"first_broken_position\":" << *report.first_broken_position;
    }
    if (report.signed_size.has_value()) {
      out << ",\"signed_size\":" << *report.signed_size;
    }
    if (!ok) out << ",\"error\":" << JsonQuote(report.status.ToString());
    out << "}\n";
  } else if (ok) {
    out << "chain OK: " << report.events_verified << " events, positions 1.."
        << report.position_last << ", last hash " << Hex(report.hash_last)
        << "\n";
    if (report.signed_size.has_value()) {
      out << "signed: events 1.." << *report.signed_size
          << " are those of the log's latest checkpoint\n";
    }
  } else {
    out << "chain BROKEN";
    if (report.first_broken_position.has_value()) {
      out << " at position " << *report.first_broken_position;
    }
    out << " after " << report.events_verified
        << " good events: " << report.status.ToString() << "\n";
  }
  return ok ? kExitOk : kExitFailed;
}

int VerifyCommand(const Options& options, std::ostream& out,
                  std::ostream& err) {
  if (!options.data_dir.empty()) {
    EventStoreOptions store_options;
    store_options.read_only = true;
    store_options.create_if_missing = false;
    auto store = EventStore::Open(options.data_dir, store_options);
    if (!store.ok()) {
      VerifyReport report;
      report.status = store.status();
      report.first_broken_position = BrokenPosition(store.status());
      return PrintVerifyReport(report, options, out);
    }
    return PrintVerifyReport(VerifyStore(**store), options, out);
  }
  absl::StatusOr<std::optional<SignedCheckpoint>> checkpoint =
      LatestSignedCheckpoint(options, err);
  if (!checkpoint.ok()) return Fail(err, checkpoint.status());
  LedgerClient client(options);
  VerifyReport report = VerifyChain(
      [&client](uint64_t from, uint32_t limit) {
        v1::ReadAllRequest request;
        request.set_from_position(from);
        request.set_limit(limit);
        v1::ReadAllResponse response;
        absl::Status s =
            client.Call(&v1::Ledger::Stub::ReadAll, request, &response);
        if (!s.ok()) return absl::StatusOr<std::vector<v1::Event>>(s);
        return absl::StatusOr<std::vector<v1::Event>>(std::vector<v1::Event>(
            response.events().begin(), response.events().end()));
      },
      *checkpoint);
  return PrintVerifyReport(report, options, out);
}

// Prints the log as it arrives through a subscription: up to the end of the
// log, or (with --follow) until interrupted. With --durable, resumes after
// the subscription's last acknowledged position and acknowledges what it
// printed.
int TailCommand(const Options& options, std::ostream& out, std::ostream& err) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
  auto channel = MakeChannel(options.target, options.security, args);
  auto stub = v1::Subscriptions::NewStub(channel);
  v1::SubscribeRequest request;
  request.set_from_position(std::max<uint64_t>(options.from, 1));
  request.set_durable_name(options.durable);
  for (const std::string& t : options.types) {
    request.mutable_filter()->add_event_types(t);
  }
  request.mutable_filter()->set_station_id(options.station);
  request.mutable_filter()->set_stream_id(options.stream);
  request.mutable_filter()->set_stream_prefix(options.prefix);
  grpc::ClientContext context;
  auto reader = stub->Subscribe(&context, request);
  EventPrinter printer(options.format, out);
  v1::SubscribeResponse response;
  uint64_t covered = 0;
  auto ack = [&]() -> absl::Status {
    if (options.durable.empty() || covered == 0) return absl::OkStatus();
    grpc::ClientContext ack_context;
    ack_context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
    v1::AckRequest ack_request;
    ack_request.set_durable_name(options.durable);
    ack_request.set_position(covered);
    v1::AckResponse ack_response;
    return FromGrpcStatus(stub->Ack(&ack_context, ack_request, &ack_response));
  };
  while (reader->Read(&response)) {
    if (response.has_event()) {
      printer.Print(response.event());
      out.flush();
      covered = response.event().position();
    } else if (response.has_checkpoint()) {
      covered = response.checkpoint().position();
    } else if (response.has_caught_up() && !options.follow) {
      context.TryCancel();
      break;
    } else if (response.has_heartbeat()) {
      if (absl::Status s = ack(); !s.ok()) return Fail(err, s);
    }
  }
  if (absl::Status s = ack(); !s.ok()) return Fail(err, s);
  grpc::Status finished = reader->Finish();
  if (!finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
    return Fail(err, FromGrpcStatus(finished));
  }
  return kExitOk;
}

std::string QueueKindName(v1::QueueKind kind) {
  std::string name = v1::QueueKind_Name(kind).substr(strlen("QUEUE_KIND_"));
  for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return name;
}

std::string Csv(absl::string_view s) {
  if (s.find_first_of(",\"\n") == absl::string_view::npos) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A queue as an aligned table (text), JSON lines or CSV, all its pages.
int QueueCommand(const std::string& kind_name, const Options& options,
                 std::ostream& out, std::ostream& err) {
  v1::GetQueueRequest request;
  for (int k = 1; v1::QueueKind_IsValid(k); ++k) {
    if (QueueKindName(static_cast<v1::QueueKind>(k)) == kind_name) {
      request.set_kind(static_cast<v1::QueueKind>(k));
    }
  }
  if (request.kind() == v1::QUEUE_KIND_UNSPECIFIED) {
    err << "ledgerctl: queue " << kind_name << ": not one of";
    for (int k = 1; v1::QueueKind_IsValid(k); ++k) {
      err << " " << QueueKindName(static_cast<v1::QueueKind>(k));
    }
    err << "\n";
    return kExitUsage;
  }
  absl::TimeZone zone;
  absl::LoadTimeZone(kDefaultTimeZone, &zone);
  if (!options.now.empty()) {
    absl::Time now;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%d %H:%M", options.now, zone, &now, &error)) {
      err << "ledgerctl: --now " << options.now << ": " << error << "\n";
      return kExitUsage;
    }
    request.set_now_us(absl::ToUnixMicros(now));
  }
  request.set_owner_agent_id(options.owner);
  request.set_station_id(options.station);
  request.set_department_id(options.department);
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  request.set_page_size(static_cast<uint32_t>(std::min<uint64_t>(
      options.limit == 0 ? 100 : options.limit, kMaxPageSize)));
  QueryClient client(options);
  bool first_page = true;
  while (true) {
    v1::GetQueueResponse page;
    absl::Status s =
        client.Call(&v1::QueryService::Stub::GetQueue, request, &page);
    if (!s.ok()) return Fail(err, s);
    for (const v1::QueueItem& item : page.items()) {
      const std::string due =
          item.due_us() == 0
              ? "-"
              : absl::FormatTime("%Y-%m-%d %H:%M",
                                 absl::FromUnixMicros(item.due_us()), zone);
      if (options.format == Format::kJson) {
        out << MessageJson(item) << "\n";
        continue;
      }
      if (options.format == Format::kCsv) {
        if (first_page && &item == &page.items(0)) {
          out << "due,due_what,complaint_id,owner_agent_id,stage,severity,"
                 "overdue,important,station_id\n";
        }
        out << due << "," << Csv(item.due_what()) << ","
            << Csv(item.complaint_id()) << "," << Csv(item.owner_agent_id())
            << "," << v1::Stage_Name(item.stage()) << ","
            << v1::Severity_Name(item.severity()) << ","
            << (item.overdue() ? "true" : "false") << ","
            << (item.important() ? "true" : "false") << ","
            << Csv(item.station_id()) << "\n";
        continue;
      }
      if (first_page && &item == &page.items(0)) {
        out << absl::StrFormat("%-16s  %-28s  %-12s  %-8s  %-10s  %s\n", "DUE",
                               "WHAT", "COMPLAINT", "OWNER", "SEVERITY",
                               "FLAGS");
      }
      out << absl::StrFormat(
          "%-16s  %-28s  %-12s  %-8s  %-10s  %s%s\n", due, item.due_what(),
          item.complaint_id(), item.owner_agent_id(),
          absl::AsciiStrToLower(
              v1::Severity_Name(item.severity()).substr(strlen("SEVERITY_"))),
          item.overdue() ? "OVERDUE " : "",
          item.important() ? "important" : "");
    }
    if (options.format == Format::kText && first_page) {
      out << page.total() << " in the queue, as of log position "
          << page.position() << "\n";
    }
    first_page = false;
    if (page.next_page_token().empty() || options.limit != 0) break;
    request.set_page_token(page.next_page_token());
  }
  return kExitOk;
}

// --month YYYY-MM, or INVALID_ARGUMENT naming the command that needs it.
absl::StatusOr<v1::YearMonth> ParseMonth(const Options& options,
                                         absl::string_view command) {
  int year = 0, month = 0;
  if (std::sscanf(options.month.c_str(), "%d-%d", &year, &month) != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, " needs --month YYYY-MM"));
  }
  v1::YearMonth m;
  m.set_year(year);
  m.set_month(month);
  return m;
}

std::string MonthLabel(const v1::YearMonth& m) {
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

std::string Yuan(const v1::Money& m) {
  return absl::StrFormat("%d.%02d", m.minor_units() / 100,
                         m.minor_units() % 100);
}

// The station monthly table: aligned text, JSON (one object) or CSV.
int StationsCommand(const Options& options, std::ostream& out,
                    std::ostream& err) {
  v1::GetStationTableRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options, "stations");
  if (!month.ok()) {
    err << "ledgerctl: " << month.status().message() << "\n";
    return kExitUsage;
  }
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetStationTableResponse table;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetStationTable, request, &table);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(table) << "\n";
    return kExitOk;
  }
  std::vector<const v1::StationMonth*> rows;
  for (const auto& row : table.stations()) rows.push_back(&row);
  rows.push_back(&table.totals());
  if (options.format == Format::kCsv) {
    out << "station_id,name,complaints,repeat,malicious,copies,ratio_per_10k,"
           "rank,penalty_charged,penalty_not_charged,currency\n";
    for (const auto* r : rows) {
      out << Csv(r->station_id()) << "," << Csv(r->name()) << ","
          << r->complaints() << "," << r->repeat() << "," << r->malicious()
          << "," << r->copies() << ","
          << absl::StrFormat("%.2f", r->ratio_per_10k()) << "," << r->rank()
          << "," << Yuan(r->penalty_charged()) << ","
          << Yuan(r->penalty_not_charged()) << ","
          << r->penalty_charged().currency_code() << "\n";
    }
    return kExitOk;
  }
  out << absl::StrFormat(
      "%-10s  %-18s  %10s  %6s  %9s  %10s  %9s  %4s  %12s  %12s\n", "STATION",
      "NAME", "COMPLAINTS", "REPEAT", "MALICIOUS", "COPIES", "PER 10K", "RANK",
      "PENALTY", "NOT CHARGED");
  for (const auto* r : rows) {
    out << absl::StrFormat(
        "%-10s  %-18s  %10d  %6d  %9d  %10d  %9.2f  %4s  %12s  %12s\n",
        r->station_id(), r->name(), r->complaints(), r->repeat(),
        r->malicious(), r->copies(), r->ratio_per_10k(),
        r->rank() == 0 ? "-" : absl::StrCat(r->rank()),
        Yuan(r->penalty_charged()), Yuan(r->penalty_not_charged()));
  }
  out << "month " << MonthLabel(*month) << ", as of log position "
      << table.position() << "\n";
  return kExitOk;
}

// The monthly analysis: counts, then each KPI against its target with the
// previous month and the same month last year.
int AnalysisCommand(const Options& options, std::ostream& out,
                    std::ostream& err) {
  v1::GetMonthlyAnalysisRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options, "analysis");
  if (!month.ok()) {
    err << "ledgerctl: " << month.status().message() << "\n";
    return kExitUsage;
  }
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetMonthlyAnalysisResponse analysis;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetMonthlyAnalysis, request, &analysis);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(analysis) << "\n";
    return kExitOk;
  }
  const v1::MonthFigures& m = analysis.month();
  if (options.format == Format::kCsv) {
    out << "kpi,numerator,denominator,value,target,pass,no_data,"
           "previous_month,same_month_last_year\n";
    for (const v1::Kpi& k : m.kpis()) {
      out << Csv(k.name()) << "," << k.numerator() << "," << k.denominator()
          << "," << absl::StrFormat("%.4f", k.value()) << ","
          << absl::StrFormat("%.2f", k.target()) << ","
          << (k.pass() ? "true" : "false") << ","
          << (k.no_data() ? "true" : "false") << ","
          << absl::StrFormat("%.4f", k.previous_month_value()) << ","
          << absl::StrFormat("%.4f", k.same_month_last_year_value()) << "\n";
    }
    return kExitOk;
  }
  out << "month " << MonthLabel(*month) << ": " << m.cases()
      << " cases (previous month " << analysis.previous_month().cases()
      << ", same month last year " << analysis.same_month_last_year().cases()
      << "), as of log position " << analysis.position() << "\n";
  auto counts = [&out](const char* title,
                       const google::protobuf::RepeatedPtrField<v1::Count>& c) {
    out << "  " << title << ":";
    for (const v1::Count& x : c)
      out << " " << x.key() << " " << x.count() << ";";
    out << "\n";
  };
  counts("by kind", m.by_kind());
  counts("by category", m.by_category());
  counts("by channel", m.by_channel());
  counts("by importance", m.by_importance());
  counts("by station", m.by_station());
  counts("by department", m.by_department());
  out << absl::StrFormat("%-32s  %9s  %8s  %6s  %9s  %9s\n", "KPI", "VALUE",
                         "TARGET", "", "PREV", "LAST YEAR");
  for (const v1::Kpi& k : m.kpis()) {
    out << absl::StrFormat(
        "%-32s  %8.1f%%  %s%5.0f%%  %6s  %8.1f%%  %8.1f%%   (%d / %d)\n",
        k.name(), 100 * k.value(), k.at_least() ? ">=" : "<=", 100 * k.target(),
        k.no_data() ? "n/a"
        : k.pass()  ? "pass"
                    : "FAIL",
        100 * k.previous_month_value(), 100 * k.same_month_last_year_value(),
        k.numerator(), k.denominator());
  }
  return kExitOk;
}

int ScorecardCommand(const std::string& agent, const Options& options,
                     std::ostream& out, std::ostream& err) {
  v1::GetAgentScorecardRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options, "scorecard");
  if (!month.ok()) {
    err << "ledgerctl: " << month.status().message() << "\n";
    return kExitUsage;
  }
  request.set_agent_id(agent);
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::AgentScorecard card;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetAgentScorecard, request, &card);
  if (!s.ok()) return Fail(err, s);
  if (options.format != Format::kText) {
    out << MessageJson(card) << "\n";
    return kExitOk;
  }
  out << absl::StrFormat(
      "%s, %s: %d cases owned (%d repeat); %d replies, %.0f%% on time; "
      "%d revisits, %.0f%% on time, %.0f%% satisfied (as of log position %d)\n",
      card.agent_id(), MonthLabel(*month), card.cases_owned(),
      card.repeat_cases(), card.replies(), 100 * card.reply_on_time_rate(),
      card.revisits(), 100 * card.revisit_on_time_rate(),
      100 * card.satisfaction_rate(), card.position());
  return kExitOk;
}

int ProjectionsCommand(const Options& options, std::ostream& out,
                       std::ostream& err) {
  v1::ListProjectionsResponse list;
  absl::Status s =
      QueryClient(options).Call(&v1::QueryService::Stub::ListProjections,
                                v1::ListProjectionsRequest(), &list);
  if (!s.ok()) return Fail(err, s);
  if (options.format != Format::kText) {
    // One line per view, every field (source, error, rebuilt_after).
    for (const auto& p : list.projections()) out << MessageJson(p) << "\n";
    return kExitOk;
  }
  out << absl::StrFormat("%-12s  %12s  %8s  %8s\n", "PROJECTION", "CHECKPOINT",
                         "LAG", "SKIPPED");
  for (const auto& p : list.projections()) {
    out << absl::StrFormat("%-12s  %12d  %8d  %8d\n", p.name(), p.checkpoint(),
                           p.lag(), p.skipped());
  }
  if (!list.projections().empty()) {
    const v1::ProjectionInfo& first = list.projections(0);
    out << "reading " << first.source() << "\n";
    if (!first.rebuilt_after().empty()) {
      out << "rebuilt from the log at start, after: " << first.rebuilt_after()
          << "\n";
    }
    if (!first.error().empty())
      out << "not following: " << first.error() << "\n";
  }
  return kExitOk;
}

int RebuildCommand(const std::string& name, const Options& options,
                   std::ostream& out, std::ostream& err) {
  // No deadline: a rebuild folds the whole log.
  auto stub =
      v1::QueryService::NewStub(MakeChannel(options.target, options.security));
  grpc::ClientContext context;
  v1::RebuildRequest request;
  request.set_name(name);
  v1::RebuildResponse response;
  absl::Status s = FromGrpcStatus(stub->Rebuild(&context, request, &response));
  if (!s.ok()) return Fail(err, s);
  out << name << " rebuilt up to position " << response.checkpoint() << "\n";
  return kExitOk;
}

int BackupCommand(const std::string& name, const Options& options,
                  std::ostream& out, std::ostream& err) {
  // No deadline: the copy is checked whole (~1 s per million events).
  auto stub =
      v1::Ledger::NewStub(MakeChannel(options.target, options.security));
  grpc::ClientContext context;
  v1::BackupRequest request;
  request.set_name(name);
  v1::BackupResponse response;
  absl::Status s = FromGrpcStatus(stub->Backup(&context, request, &response));
  if (!s.ok()) return Fail(err, s);
  if (options.format != Format::kText) {
    out << "{\"path\":" << JsonQuote(response.path())
        << ",\"position_last\":" << response.position_last()
        << ",\"hash_last\":\"" << absl::BytesToHexString(response.hash_last())
        << "\",\"events_verified\":" << response.events_verified() << "}\n";
  } else {
    out << "backup " << response.path() << ": the log to position "
        << response.position_last() << " (hash "
        << absl::BytesToHexString(response.hash_last()) << "), "
        << response.events_verified() << " events verified\n";
  }
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, const Options& options,
        std::ostream& out, std::ostream& err) {
  const std::string command = args.empty() ? "" : args[0];
  const size_t operands = args.empty() ? 0 : args.size() - 1;
  if (command == "read" && operands == 1) {
    return ReadCommand(args[1], options, out, err);
  }
  if (command == "head" && operands == 1) {
    return HeadCommand(args[1], options, out, err);
  }
  if (command == "log" && operands == 0) return LogCommand(options, out, err);
  if (command == "verify" && operands == 0) {
    return VerifyCommand(options, out, err);
  }
  if (command == "tail" && operands == 0) return TailCommand(options, out, err);
  if (command == "queue" && operands == 1) {
    return QueueCommand(args[1], options, out, err);
  }
  if (command == "stations" && operands == 0) {
    return StationsCommand(options, out, err);
  }
  if (command == "scorecard" && operands == 1) {
    return ScorecardCommand(args[1], options, out, err);
  }
  if (command == "analysis" && operands == 0) {
    return AnalysisCommand(options, out, err);
  }
  if (command == "projections" && operands == 0) {
    return ProjectionsCommand(options, out, err);
  }
  if (command == "rebuild" && operands == 1) {
    return RebuildCommand(args[1], options, out, err);
  }
  if (command == "backup" && operands == 1) {
    return BackupCommand(args[1], options, out, err);
  }
  if (command == "audit" && operands >= 1) {
    return AuditCommand(std::vector<std::string>(args.begin() + 1, args.end()),
                        options, out, err);
  }
  err << "usage: ledgerctl [--target HOST:PORT] [--format text|json] COMMAND\n"
         "  read <stream> [--from_revision N] [--backward] [--limit M]\n"
         "  log [--from N] [--limit M]\n"
         "  head <stream>\n"
         "  verify [--data_dir DIR]\n"
         "  tail [--from N] [--type T,...] [--station S] [--stream ID] "
         "[--prefix P] [--follow] [--durable NAME]\n"
         "  queue KIND [--now \"YYYY-MM-DD HH:MM\"] [--as_of N] [--limit M]\n"
         "      KIND: open-by-owner --owner A | assists-pending [--station S "
         "| --department D] | revisits-due | sign-offs-waiting | "
         "paperwork-pending | escalations-waiting | important | overdue\n"
         "  stations --month YYYY-MM [--as_of N]\n"
         "  analysis --month YYYY-MM [--as_of N]\n"
         "  scorecard AGENT --month YYYY-MM [--as_of N]\n"
         "  projections | rebuild VIEW\n"
         "  backup NAME                 a checked copy in ledgerd's "
         "--backup_dir/NAME\n"
         "  audit checkpoint|prove|consistency|export|verify-export|keygen "
         "(ledgerctl audit)\n"
         "  show ID [--as_of N] | receive | classify | dispatch | reply | ... "
         "(ledgerctl help)\n";
  return kExitUsage;
}

}  // namespace ledger::ctl

namespace ledger::ctl {

absl::Status LoadSecurity(Options& options) {
  std::string identity = options.identity;
  if (identity.empty()) {
    if (const char* env = std::getenv("LEDGER_IDENTITY"); env != nullptr) {
      identity = env;
    }
  }
  std::string tls_ca = options.tls_ca;
  if (tls_ca.empty() && !identity.empty()) tls_ca = IdentityCaFile(identity);
  std::string token_file = options.token_file;
  if (token_file.empty() && !options.as.empty()) {
    if (identity.empty()) {
      return absl::InvalidArgumentError(
          "--as AGENT needs --identity DIR (or $LEDGER_IDENTITY): the "
          "directory holding tokens/AGENT.token");
    }
    token_file = IdentityTokenFile(identity, options.as);
  }
  absl::StatusOr<ClientSecurity> security =
      LoadClientSecurity(tls_ca, token_file);
  if (!security.ok()) return security.status();
  options.security = *std::move(security);
  return absl::OkStatus();
}

}  // namespace ledger::ctl
