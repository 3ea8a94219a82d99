#include "tools/ledgerctl/ledgerctl.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/verify.h"
#include "ledger/store/version.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "rpc/status.h"
#include "tools/ledgerctl/audit.h"
#include "tools/ledgerctl/cli.h"
#include "tools/ledgerctl/client.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/event_format.h"
#include "tools/ledgerctl/proto_flags.h"
#include "tools/ledgerctl/text_width.h"
#include "tools/ledgerctl/timeline.h"
#include "tools/progress.h"

namespace ledger::ctl {
namespace {

constexpr uint64_t kDefaultLogLimit = 100;

using LedgerClient = Client<v1::Ledger>;
using QueryClient = Client<v1::QueryService>;

// Prints events as they come; owns the header of the text and CSV formats.
class EventPrinter {
 public:
  EventPrinter(const Options& options, std::ostream& out)
      : options_(options), out_(out) {}
  void Print(const v1::Event& event) {
    if (options_.format == Format::kJson) {
      out_ << EventJson(event, options_.zone) << "\n";
      return;
    }
    if (!header_printed_) {
      if (options_.format == Format::kCsv) {
        StartCsv(options_, out_);
        out_ << CsvHeader() << "\n";
      } else {
        out_ << TextHeader() << "\n";
      }
    }
    header_printed_ = true;
    out_ << (options_.format == Format::kCsv
                 ? CsvLine(event, options_.zone, CsvCell)
                 : TextLine(event, options_.zone))
         << "\n";
  }

 private:
  const Options& options_;
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
  EventPrinter printer(options, out);
  v1::ReadStreamRequest request;
  request.set_stream_id(stream);
  request.set_direction(options.backward ? v1::READ_DIRECTION_BACKWARD
                                         : v1::READ_DIRECTION_FORWARD);
  request.set_from_end(options.backward && !options.from_revision.has_value());
  request.set_from_revision(options.from_revision.value_or(0));
  // A stream never written is NOT_FOUND (an empty page says nothing).
  v1::GetHeadRequest head_request;
  head_request.set_stream_id(stream);
  v1::GetHeadResponse head;
  if (absl::Status s =
          client.Call(&v1::Ledger::Stub::GetHead, head_request, &head);
      !s.ok()) {
    return Fail(err, s);
  }
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
  EventPrinter printer(options, out);
  v1::ReadAllRequest request;
  request.set_from_position(std::max<uint64_t>(options.from, 1));
  uint64_t limit = options.limit == 0 ? kDefaultLogLimit : options.limit;
  if (options.last > 0) {
    v1::GetLogHeadResponse head;
    absl::Status s = client.Call(&v1::Ledger::Stub::GetLogHead,
                                 v1::GetLogHeadRequest(), &head);
    if (!s.ok()) return Fail(err, s);
    const uint64_t end = head.position_last();
    request.set_from_position(end >= options.last ? end - options.last + 1 : 1);
    limit = options.last;
  }
  return PrintPages<v1::ReadAllRequest, v1::ReadAllResponse>(
      client, &v1::Ledger::Stub::ReadAll, request, limit, printer, err,
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
  v1::GetLogHeadResponse head;
  if (absl::Status s = client.Call(&v1::Ledger::Stub::GetLogHead,
                                   v1::GetLogHeadRequest(), &head);
      !s.ok()) {
    return Fail(err, s);
  }
  Progress progress("ledgerctl verify: events", head.position_last());
  VerifyReport report = VerifyChain(
      [&client, &progress](uint64_t from, uint32_t limit) {
        progress.Update(from - 1);
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
  progress.Update(report.events_verified);
  progress.Finish();
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
  const bool follow = options.follow || options.from_now;
  if (options.from_now) {
    v1::GetLogHeadResponse head;
    absl::Status s = LedgerClient(options).Call(&v1::Ledger::Stub::GetLogHead,
                                                v1::GetLogHeadRequest(), &head);
    if (!s.ok()) return Fail(err, s);
    request.set_from_position(head.position_last() + 1);
  }
  request.set_durable_name(options.durable);
  for (const std::string& t : options.types) {
    request.mutable_filter()->add_event_types(t);
  }
  request.mutable_filter()->set_station_id(options.station);
  request.mutable_filter()->set_stream_id(options.stream);
  request.mutable_filter()->set_stream_prefix(options.prefix);
  grpc::ClientContext context;
  auto reader = stub->Subscribe(&context, request);
  EventPrinter printer(options, out);
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
    } else if (response.has_caught_up() && !follow) {
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

// Display names of agents, stations and departments, by id; empty when
// the caller may not list them (names are a convenience, never a reason to
// fail).
struct Names {
  std::map<std::string, std::string> agents, stations, departments;

  static Names Fetch(const Options& options) {
    Names names;
    v1::ListReferenceDataResponse data;
    if (!Client<v1::ReferenceDataService>(options)
             .Call(&v1::ReferenceDataService::Stub::ListReferenceData,
                   v1::ListReferenceDataRequest(), &data)
             .ok()) {
      return names;
    }
    for (const auto& a : data.agents()) {
      names.agents[a.agent_id()] = a.display_name();
    }
    for (const auto& s : data.stations())
      names.stations[s.station_id()] = s.name();
    for (const auto& d : data.departments()) {
      names.departments[d.department_id()] = d.name();
    }
    return names;
  }
  // "a17 王芳", or the id alone when its name is unknown or the id itself.
  static std::string With(const std::map<std::string, std::string>& names,
                          const std::string& id) {
    auto it = names.find(id);
    return it == names.end() || it->second.empty() || it->second == id
               ? id
               : absl::StrCat(id, " ", it->second);
  }
};

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
    err << "ledgerctl queue: \"" << kind_name << "\" is not one of";
    for (int k = 1; v1::QueueKind_IsValid(k); ++k) {
      err << " " << QueueKindName(static_cast<v1::QueueKind>(k));
    }
    err << "\n";
    return kExitUsage;
  }
  const absl::TimeZone& zone = options.zone;
  if (!options.now.empty()) {
    absl::StatusOr<absl::Time> now = ParseTimeFlag("now", options.now, zone);
    if (!now.ok()) {
      err << "ledgerctl queue: " << now.status().message() << "\n";
      return kExitUsage;
    }
    request.set_now_us(absl::ToUnixMicros(*now));
  }
  request.set_owner_agent_id(options.owner);
  request.set_station_id(options.station);
  request.set_department_id(options.department);
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  request.set_page_size(static_cast<uint32_t>(std::min<uint64_t>(
      options.limit == 0 ? 100 : options.limit, kMaxPageSize)));
  QueryClient client(options);
  const Names names =
      options.format == Format::kText ? Names::Fetch(options) : Names();
  bool first_page = true;
  uint64_t total = 0, position = 0, shown = 0;
  while (true) {
    v1::GetQueueResponse page;
    absl::Status s =
        client.Call(&v1::QueryService::Stub::GetQueue, request, &page);
    if (!s.ok()) return Fail(err, s);
    if (first_page) {
      total = page.total();
      position = page.position();
      if (options.format == Format::kCsv) {
        StartCsv(options, out);
        out << "due,due_what,complaint_id,owner_agent_id,stage,severity,"
               "overdue,important,station_id\n";
      } else if (options.format == Format::kText && page.items_size() > 0) {
        out << Fit("DUE", 16) << "  " << Fit("WHAT", 28) << "  "
            << Fit("COMPLAINT", 14) << "  " << Fit("OWNER", 16) << "  "
            << Fit("SEVERITY", 10) << "  FLAGS\n";
      }
    }
    for (const v1::QueueItem& item : page.items()) {
      ++shown;
      const std::string due =
          item.due_us() == 0
              ? "-"
              : absl::FormatTime("%Y-%m-%d %H:%M",
                                 absl::FromUnixMicros(item.due_us()), zone);
      if (options.format == Format::kJson) {
        out << MessageJson(item) << "\n";
      } else if (options.format == Format::kCsv) {
        out << due << "," << CsvCell(item.due_what()) << ","
            << CsvCell(item.complaint_id()) << ","
            << CsvCell(item.owner_agent_id()) << ","
            << v1::Stage_Name(item.stage()) << ","
            << v1::Severity_Name(item.severity()) << ","
            << (item.overdue() ? "true" : "false") << ","
            << (item.important() ? "true" : "false") << ","
            << CsvCell(item.station_id()) << "\n";
      } else {
        out << Fit(due, 16) << "  " << Fit(item.due_what(), 28) << "  "
            << Fit(item.complaint_id(), 14) << "  "
            << Fit(Names::With(names.agents, item.owner_agent_id()), 16) << "  "
            << Fit(absl::AsciiStrToLower(v1::Severity_Name(item.severity())
                                             .substr(strlen("SEVERITY_"))),
                   10)
            << "  " << (item.overdue() ? "OVERDUE " : "")
            << (item.important() ? "important" : "") << "\n";
      }
    }
    first_page = false;
    if (page.next_page_token().empty() || options.limit != 0) break;
    request.set_page_token(page.next_page_token());
  }
  if (options.format == Format::kText) {
    out << total << " in the queue"
        << (shown < total ? absl::StrCat(", ", shown, " shown") : "")
        << ", as of log position " << position << "\n";
  }
  return kExitOk;
}

// --month YYYY-MM (checked by ParseMonthFlag).
absl::StatusOr<v1::YearMonth> ParseMonth(const Options& options) {
  absl::StatusOr<std::pair<int, int>> parsed =
      ParseMonthFlag("month", options.month);
  if (!parsed.ok()) return parsed.status();
  v1::YearMonth m;
  m.set_year(parsed->first);
  m.set_month(parsed->second);
  return m;
}

std::string MonthLabel(const v1::YearMonth& m) {
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

std::string Yuan(const v1::Money& m) {
  return absl::StrFormat("%d.%02d", m.minor_units() / 100,
                         m.minor_units() % 100);
}

int UsageError(std::ostream& err, absl::string_view command,
               const absl::Status& status) {
  err << "ledgerctl " << command << ": " << status.message() << "\n";
  return kExitUsage;
}

// The station monthly table: aligned text, JSON (one object) or CSV.
int StationsCommand(const Options& options, std::ostream& out,
                    std::ostream& err) {
  v1::GetStationTableRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "stations", month.status());
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
    StartCsv(options, out);
    out << "station_id,name,complaints,repeat,malicious,copies,ratio_per_10k,"
           "rank,penalty_charged,penalty_not_charged,currency\n";
    for (const auto* r : rows) {
      out << CsvCell(r->station_id()) << "," << CsvCell(r->name()) << ","
          << r->complaints() << "," << r->repeat() << "," << r->malicious()
          << "," << r->copies() << ","
          << absl::StrFormat("%.2f", r->ratio_per_10k()) << "," << r->rank()
          << "," << Yuan(r->penalty_charged()) << ","
          << Yuan(r->penalty_not_charged()) << ","
          << CsvCell(r->penalty_charged().currency_code()) << "\n";
    }
    return kExitOk;
  }
  out << Fit("STATION", 10) << "  " << Fit("NAME", 18) << "  "
      << absl::StrFormat("%10s  %6s  %9s  %10s  %9s  %4s  %12s  %12s\n",
                         "COMPLAINTS", "REPEAT", "MALICIOUS", "COPIES",
                         "PER 10K", "RANK", "PENALTY", "NOT CHARGED");
  for (const auto* r : rows) {
    out << Fit(r->station_id(), 10) << "  " << Fit(r->name(), 18) << "  "
        << absl::StrFormat("%10d  %6d  %9d  %10d  %9.2f  %4s  %12s  %12s\n",
                           r->complaints(), r->repeat(), r->malicious(),
                           r->copies(), r->ratio_per_10k(),
                           r->rank() == 0 ? "-" : absl::StrCat(r->rank()),
                           Yuan(r->penalty_charged()),
                           Yuan(r->penalty_not_charged()));
  }
  out << "month " << MonthLabel(*month) << ", as of log position "
      << table.position() << "\n";
  return kExitOk;
}

// "83.3%", or "n/a" without data.
std::string Percent(double value, bool no_data) {
  return no_data ? "n/a" : absl::StrFormat("%.1f%%", 100 * value);
}

std::string Verdict(const v1::Kpi& k) {
  return k.no_data()   ? "n/a"
         : k.pending() ? "pending"
         : k.pass()    ? "pass"
                       : "FAIL";
}

// The monthly analysis: counts, then each KPI against its target with the
// previous month and the same month last year.
int AnalysisCommand(const Options& options, std::ostream& out,
                    std::ostream& err) {
  v1::GetMonthlyAnalysisRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "analysis", month.status());
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  if (!options.now.empty()) {
    absl::StatusOr<absl::Time> now =
        ParseTimeFlag("now", options.now, options.zone);
    if (!now.ok()) return UsageError(err, "analysis", now.status());
    request.set_now_us(absl::ToUnixMicros(*now));
  } else if (options.as_of > 0) {
    // As of a past position, a month is judged as it stood then: at the
    // time of that event (when the caller may read it; else the server's
    // clock).
    v1::ReadAllRequest at;
    at.set_from_position(options.as_of);
    at.set_limit(1);
    v1::ReadAllResponse page;
    if (LedgerClient(options)
            .Call(&v1::Ledger::Stub::ReadAll, at, &page)
            .ok() &&
        page.events_size() == 1 && page.events(0).position() == options.as_of) {
      request.set_now_us(page.events(0).recorded_time_us());
    }
  }
  v1::GetMonthlyAnalysisResponse analysis;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetMonthlyAnalysis, request, &analysis);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(analysis) << "\n";
    return kExitOk;
  }
  const v1::MonthFigures& m = analysis.month();
  auto optional_rate = [](double value, bool no_data) {
    return no_data ? std::string() : absl::StrFormat("%.4f", value);
  };
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "kpi,numerator,denominator,value,target,verdict,"
           "previous_month,same_month_last_year\n";
    for (const v1::Kpi& k : m.kpis()) {
      out << CsvCell(k.name()) << "," << k.numerator() << "," << k.denominator()
          << "," << optional_rate(k.value(), k.no_data()) << ","
          << absl::StrFormat("%.2f", k.target()) << "," << Verdict(k) << ","
          << optional_rate(k.previous_month_value(), k.previous_month_no_data())
          << ","
          << optional_rate(k.same_month_last_year_value(),
                           k.same_month_last_year_no_data())
          << "\n";
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
  out << Fit("KPI", 32)
      << absl::StrFormat("  %9s  %8s  %-7s  %9s  %9s\n", "VALUE", "TARGET", "",
                         "PREV", "LAST YEAR");
  bool any_pending = false;
  for (const v1::Kpi& k : m.kpis()) {
    any_pending = any_pending || k.pending();
    out << Fit(k.name(), 32)
        << absl::StrFormat(
               "  %9s  %s%5.0f%%  %-7s  %9s  %9s   (%d / %d)\n",
               Percent(k.value(), k.no_data()),
               k.at_least() ? ">=" : "<=", 100 * k.target(), Verdict(k),
               Percent(k.previous_month_value(), k.previous_month_no_data()),
               Percent(k.same_month_last_year_value(),
                       k.same_month_last_year_no_data()),
               k.numerator(), k.denominator());
  }
  if (any_pending) {
    out << "pending: the month has not ended; its figures so far are "
           "neither passed nor failed\n";
  }
  return kExitOk;
}

int ScorecardCommand(const std::string& agent, const Options& options,
                     std::ostream& out, std::ostream& err) {
  v1::GetAgentScorecardRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "scorecard", month.status());
  request.set_agent_id(agent);
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::AgentScorecard card;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetAgentScorecard, request, &card);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(card) << "\n";
    return kExitOk;
  }
  auto rate = [](double value, int64_t of) {
    return of == 0 ? std::string("n/a")
                   : absl::StrFormat("%.0f%%", 100 * value);
  };
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "agent_id,display_name,month,cases_owned,repeat_cases,replies,"
           "replies_on_time,revisits,revisits_on_time,revisits_satisfied\n"
        << CsvCell(card.agent_id()) << "," << CsvCell(card.display_name())
        << "," << MonthLabel(*month) << "," << card.cases_owned() << ","
        << card.repeat_cases() << "," << card.replies() << ","
        << card.replies_on_time() << "," << card.revisits() << ","
        << card.revisits_on_time() << "," << card.revisits_satisfied() << "\n";
    return kExitOk;
  }
  out << Names::With({{card.agent_id(), card.display_name()}}, card.agent_id())
      << ", " << MonthLabel(*month) << ": " << card.cases_owned()
      << " cases owned (" << card.repeat_cases() << " repeat); "
      << card.replies() << " replies, "
      << rate(card.reply_on_time_rate(), card.replies()) << " on time; "
      << card.revisits() << " revisits, "
      << rate(card.revisit_on_time_rate(), card.revisits()) << " on time, "
      << rate(card.satisfaction_rate(), card.revisits())
      << " satisfied (as of log position " << card.position() << ")\n";
  for (const v1::Kpi& k : card.kpis()) {
    out << absl::StrFormat("  %-28s %6s  (target %s %.0f%%) %s  %d/%d\n",
                           k.name(), Percent(k.value(), k.no_data()),
                           k.at_least() ? ">=" : "<=", 100 * k.target(),
                           Verdict(k), k.numerator(), k.denominator());
  }
  return kExitOk;
}

// The month-end second revisit sample: an agent's (AGENT) or everyone's.
int SampleCommand(const std::string& agent, const Options& options,
                  std::ostream& out, std::ostream& err) {
  v1::GetSecondRevisitSampleRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "sample", month.status());
  request.set_agent_id(agent);
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetSecondRevisitSampleResponse sample;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetSecondRevisitSample, request, &sample);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(sample) << "\n";
    return kExitOk;
  }
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "agent_id,month,handled,quota,done,remaining,proposed\n";
    for (const v1::AgentSample& a : sample.agents()) {
      out << CsvCell(a.agent_id()) << "," << MonthLabel(*month) << ","
          << a.handled() << "," << a.quota() << "," << a.done() << ","
          << a.remaining() << ","
          << CsvCell(absl::StrJoin(a.proposed_complaint_ids(), " ")) << "\n";
    }
    return kExitOk;
  }
  for (const v1::AgentSample& a : sample.agents()) {
    out << a.agent_id() << ", " << MonthLabel(*month) << ": " << a.handled()
        << " complaints handled, at least " << a.quota()
        << " to call back at month end; " << a.done() << " done, "
        << a.remaining() << " to go\n";
    for (const v1::SampleStratum& t : a.strata()) {
      out << "  "
          << (t.customer_type().empty() ? "(type not known)"
                                        : t.customer_type())
          << ": " << t.handled() << " handled, quota " << t.quota() << ", "
          << t.done() << " done\n";
    }
    if (a.proposed_complaint_ids_size() > 0) {
      out << "  call back: " << absl::StrJoin(a.proposed_complaint_ids(), " ")
          << "\n";
    }
  }
  out << "(as of log position " << sample.position() << ")\n";
  return kExitOk;
}

// The knowledge base's typical cases: by words (the operands), category,
// month marked.
int KnowledgeCommand(const std::vector<std::string>& words,
                     const Options& options, std::ostream& out,
                     std::ostream& err) {
  v1::SearchKnowledgeBaseRequest request;
  request.set_words(absl::StrJoin(words, " "));
  if (!options.month.empty()) {
    absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
    if (!month.ok()) return UsageError(err, "knowledge", month.status());
    *request.mutable_month() = *month;
  }
  if (!options.category.empty()) {
    if (absl::Status s =
            SetFlag("category", options.category, options.zone, &request);
        !s.ok()) {
      return UsageError(err, "knowledge", s);
    }
  }
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::SearchKnowledgeBaseResponse found;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::SearchKnowledgeBase, request, &found);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(found) << "\n";
    return kExitOk;
  }
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "complaint_id,category,marked,marked_by,summary,solution,"
           "points_to_watch,tags\n";
    for (const v1::TypicalCase& c : found.cases()) {
      out << CsvCell(c.complaint_id()) << "," << EnumValueLabel(c.category())
          << "," << LocalTime(c.marked_us(), options.zone) << ","
          << CsvCell(c.marked_by_agent_id()) << "," << CsvCell(c.summary())
          << "," << CsvCell(c.solution()) << "," << CsvCell(c.points_to_watch())
          << "," << CsvCell(absl::StrJoin(c.tags(), " ")) << "\n";
    }
    return kExitOk;
  }
  for (const v1::TypicalCase& c : found.cases()) {
    out << c.complaint_id() << "  " << EnumValueLabel(c.category()) << "  "
        << LocalTime(c.marked_us(), options.zone) << "  by "
        << c.marked_by_agent_id()
        << (c.tags().empty()
                ? ""
                : absl::StrCat("  [", absl::StrJoin(c.tags(), ", "), "]"))
        << "\n  " << c.summary() << "\n  solution: " << c.solution()
        << "\n  watch: " << c.points_to_watch() << "\n";
  }
  out << found.cases_size() << " typical case(s) (as of log position "
      << found.position() << ")\n";
  return kExitOk;
}

// A half-month digest of the knowledge base.
int DigestCommand(const Options& options, std::ostream& out,
                  std::ostream& err) {
  v1::GetDigestRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "digest", month.status());
  *request.mutable_month() = *month;
  if (absl::Status s = SetFlag("half", options.half, options.zone, &request);
      !s.ok() || request.half() == v1::DIGEST_HALF_UNSPECIFIED) {
    return UsageError(err, "digest",
                      absl::InvalidArgumentError("--half is first or second"));
  }
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetDigestResponse digest;
  absl::Status s = QueryClient(options).Call(&v1::QueryService::Stub::GetDigest,
                                             request, &digest);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(digest) << "\n";
    return kExitOk;
  }
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "complaint_id,kind,category,station_id,department_id,severity,"
           "replied,reply_outcome,closed,assist_requests,typical\n";
    for (const v1::DigestEntry& e : digest.entries()) {
      out << CsvCell(e.complaint_id()) << "," << EnumValueLabel(e.kind()) << ","
          << EnumValueLabel(e.category()) << "," << CsvCell(e.station_id())
          << "," << CsvCell(e.department_id()) << ","
          << EnumValueLabel(e.severity()) << "," << e.replied() << ","
          << EnumValueLabel(e.reply_outcome()) << "," << e.closed() << ","
          << e.assist_requests() << "," << e.typical() << "\n";
    }
    return kExitOk;
  }
  out << absl::StrFormat(
      "Digest %04d-%02d-%02d to %04d-%02d-%02d: %s%s\n",
      digest.first_day().year(), digest.first_day().month(),
      digest.first_day().day(), digest.last_day().year(),
      digest.last_day().month(), digest.last_day().day(),
      digest.drawn()
          ? absl::StrCat("drawn up at log position ", digest.drawn_position())
          : "not drawn up (what a draw would give now)",
      digest.circulated() ? "; circulated" : "");
  int64_t closed = 0;
  for (const v1::DigestEntry& e : digest.entries()) closed += e.closed();
  out << "  " << digest.entries_size() << " cases received, " << closed
      << " signed off\n";
  for (const v1::Count& c : digest.by_category()) {
    out << "  " << c.key() << ": " << c.count() << "\n";
  }
  for (const v1::TypicalCase& c : digest.typical_cases()) {
    out << "  typical " << c.complaint_id() << ": " << c.summary() << " -- "
        << c.solution() << "\n";
  }
  if (digest.read_by_size() > 0) {
    out << "  read by " << absl::StrJoin(digest.read_by(), ", ") << "\n";
  }
  out << "(as of log position " << digest.position() << ")\n";
  return kExitOk;
}

// Who read a digest in the month.
int ReadingsCommand(const Options& options, std::ostream& out,
                    std::ostream& err) {
  v1::GetReadingRecordRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "readings", month.status());
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetReadingRecordResponse record;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetReadingRecord, request, &record);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(record) << "\n";
    return kExitOk;
  }
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "agent_id,month,read\n";
    for (const v1::AgentReading& a : record.agents()) {
      out << CsvCell(a.agent_id()) << "," << MonthLabel(*month) << ","
          << CsvCell(absl::StrJoin(a.read(), "; ")) << "\n";
    }
    return kExitOk;
  }
  for (const v1::AgentReading& a : record.agents()) {
    out << a.agent_id() << ": "
        << (a.read().empty() ? "NOTHING READ" : absl::StrJoin(a.read(), ", "))
        << "\n";
  }
  out << record.not_read_size() << " agent(s) without a reading in "
      << MonthLabel(*month) << " (as of log position " << record.position()
      << ")\n";
  return kExitOk;
}

const char* TableState(v1::PenaltyTableState state) {
  switch (state) {
    case v1::PENALTY_TABLE_STATE_DRAWN_UP:
      return "drawn up, not signed";
    case v1::PENALTY_TABLE_STATE_SIGNED:
      return "signed";
    case v1::PENALTY_TABLE_STATE_PUBLISHED:
      return "signed, published";
    case v1::PENALTY_TABLE_STATE_SENT_TO_FINANCE:
      return "signed, published, sent to finance";
    default:
      return "not drawn up (what a draw would give now)";
  }
}

// The month's penalty table; with --export, the file for finance.
int PenaltyTableCommand(const Options& options, std::ostream& out,
                        std::ostream& err) {
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "penalty-table", month.status());
  if (!options.export_format.empty()) {
    v1::ExportPenaltyTableRequest request;
    *request.mutable_month() = *month;
    if (options.as_of > 0) request.set_as_of_position(options.as_of);
    if (options.export_format == "csv") {
      request.set_format(v1::EXPORT_FORMAT_CSV);
    } else if (options.export_format == "xlsx") {
      request.set_format(v1::EXPORT_FORMAT_XLSX);
    } else {
      return UsageError(
          err, "penalty-table",
          absl::InvalidArgumentError(absl::StrCat(
              "--export is csv or xlsx, not ", options.export_format)));
    }
    v1::ExportPenaltyTableResponse file;
    absl::Status s = QueryClient(options).Call(
        &v1::QueryService::Stub::ExportPenaltyTable, request, &file);
    if (!s.ok()) return Fail(err, s);
    const std::string path =
        options.out_file.empty() ? file.file_name() : options.out_file;
    if (absl::Status w = WriteFile(path, file.content()); !w.ok()) {
      return Fail(err, w);
    }
    out << "wrote " << path << " (" << file.content().size() << " bytes)\n";
    return kExitOk;
  }
  v1::GetPenaltyTableRequest request;
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetPenaltyTableResponse table;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetPenaltyTable, request, &table);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(table) << "\n";
    return kExitOk;
  }
  std::vector<std::pair<const char*, const v1::PenaltyLine*>> rows;
  for (const auto& l : table.lines()) rows.emplace_back("line", &l);
  for (const auto& l : table.adjustments()) rows.emplace_back("adjustment", &l);
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "kind,station_id,station_head,complaint_id,severity,amount,"
           "charged,adjusts_month,cause_position\n";
    for (const auto& [kind, l] : rows) {
      out << kind << "," << CsvCell(l->station_id()) << ","
          << CsvCell(l->station_head_agent_id()) << ","
          << CsvCell(l->complaint_id()) << ","
          << absl::AsciiStrToLower(v1::Severity_Name(l->severity()).substr(9))
          << "," << Yuan(l->amount()) << "," << l->charged() << ","
          << (l->has_adjusts_month() ? MonthLabel(l->adjusts_month()) : "")
          << "," << l->cause_position() << "\n";
    }
    return kExitOk;
  }
  out << "Penalty table of " << MonthLabel(*month) << ": "
      << TableState(table.state());
  if (table.state() != v1::PENALTY_TABLE_STATE_UNSPECIFIED) {
    out << "; drawn up by " << table.drawn_by_agent_id() << " at log position "
        << table.drawn_position();
  }
  if (!table.signed_by_agent_id().empty()) {
    out << "; signed by " << table.signed_by_agent_id();
  }
  out << "\n";
  for (const auto& [kind, l] : rows) {
    out << absl::StrFormat(
        "  %-10s %-10s %-10s %-14s %-9s %10s%s%s\n", kind, l->station_id(),
        l->station_head_agent_id(), l->complaint_id(),
        absl::AsciiStrToLower(v1::Severity_Name(l->severity()).substr(9)),
        Yuan(l->amount()), l->charged() ? "" : "  (not charged)",
        l->has_adjusts_month()
            ? absl::StrCat("  adjusts ", MonthLabel(l->adjusts_month()),
                           ", cause at position ", l->cause_position())
            : "");
  }
  out << "Charged " << Yuan(table.total_charged()) << ", not charged "
      << Yuan(table.total_not_charged()) << " "
      << table.total_charged().currency_code() << "\n";
  out << "(as of log position " << table.position() << ")\n";
  return kExitOk;
}

// "12.5", or "n/a".
std::string Points(int32_t tenths, bool na) {
  return na ? "n/a"
            : absl::StrFormat("%s%d.%d", tenths < 0 ? "-" : "",
                              std::abs(tenths) / 10, std::abs(tenths) % 10);
}

// The monthly assessment: every agent's (an agent gets their own).
int AssessmentCommand(const std::string& agent, const Options& options,
                      std::ostream& out, std::ostream& err) {
  v1::GetAssessmentRequest request;
  absl::StatusOr<v1::YearMonth> month = ParseMonth(options);
  if (!month.ok()) return UsageError(err, "assessment", month.status());
  request.set_agent_id(agent);
  *request.mutable_month() = *month;
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::GetAssessmentResponse assessment;
  absl::Status s = QueryClient(options).Call(
      &v1::QueryService::Stub::GetAssessment, request, &assessment);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    out << MessageJson(assessment) << "\n";
    return kExitOk;
  }
  auto part = [](const v1::AgentAssessment& a, v1::AssessmentPart p) {
    for (const v1::AssessmentPartPoints& x : a.parts()) {
      if (x.part() == p) return Points(x.points_tenths(), x.na());
    }
    return std::string("n/a");
  };
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "agent_id,month,attitude,ability,efficiency,teamwork,total,"
           "below_standard,months_below_in_a_row,flagged,published\n";
    for (const v1::AgentAssessment& a : assessment.agents()) {
      out << CsvCell(a.agent_id()) << "," << MonthLabel(*month) << ","
          << part(a, v1::ASSESSMENT_PART_ATTITUDE) << ","
          << part(a, v1::ASSESSMENT_PART_ABILITY) << ","
          << part(a, v1::ASSESSMENT_PART_EFFICIENCY) << ","
          << part(a, v1::ASSESSMENT_PART_TEAMWORK) << ","
          << Points(a.total_tenths(), a.total_na()) << "," << a.below_standard()
          << "," << a.months_below_in_a_row() << "," << a.flagged() << ","
          << assessment.published() << "\n";
    }
    return kExitOk;
  }
  out << "Assessment of " << MonthLabel(*month) << ": "
      << (assessment.published()
              ? absl::StrFormat(
                    "published at log position %d by %s; appeals until %04d-"
                    "%02d-%02d",
                    assessment.published_position(),
                    assessment.published_by_agent_id(),
                    assessment.appeal_last_day().year(),
                    assessment.appeal_last_day().month(),
                    assessment.appeal_last_day().day())
              : std::string("draft (not published)"))
      << "\n";
  for (const v1::AgentAssessment& a : assessment.agents()) {
    out << absl::StrFormat(
        "%s (%s): total %s of 100%s%s\n", a.agent_id(), a.display_name(),
        Points(a.total_tenths(), a.total_na()),
        a.below_standard()
            ? absl::StrCat("; below standard (", a.months_below_in_a_row(),
                           " month(s) in a row)")
            : "",
        a.flagged() ? "; FLAGGED: three months in a row" : "");
    for (const v1::AssessmentPartPoints& p : a.parts()) {
      out << absl::StrFormat(
          "  %-10s %5s / %d  %s%s%s\n",
          absl::AsciiStrToLower(v1::AssessmentPart_Name(p.part()).substr(16)),
          Points(p.points_tenths(), p.na()), p.weight(), p.basis(),
          p.reason().empty() ? "" : absl::StrCat("; entered: ", p.reason()),
          p.corrected_by_appeal_id().empty()
              ? ""
              : absl::StrCat("; corrected by appeal ",
                             p.corrected_by_appeal_id()));
    }
  }
  for (const v1::AssessmentAppeal& ap : assessment.appeals()) {
    out << "appeal " << ap.appeal_id() << " by " << ap.agent_id() << " ("
        << absl::AsciiStrToLower(v1::AssessmentPart_Name(ap.part()).substr(16))
        << "): " << ap.reason() << " -- "
        << (!ap.decided() ? std::string("open")
            : ap.accepted()
                ? absl::StrCat("accepted, ",
                               Points(ap.corrected_points_tenths(), false),
                               ": ", ap.decision_reason())
                : absl::StrCat("rejected: ", ap.decision_reason()))
        << "\n";
  }
  out << "(as of log position " << assessment.position() << ")\n";
  return kExitOk;
}

std::string RoleNames(const v1::AgentRegistered& a) {
  std::vector<std::string> roles;
  for (int r : a.roles()) {
    roles.push_back(Dashed(absl::AsciiStrToLower(
        v1::Role_Name(static_cast<v1::Role>(r)).substr(strlen("ROLE_")))));
  }
  return absl::StrJoin(roles, ",");
}

// Agents, stations or departments, with their names.
int ListCommand(const std::string& what, const Options& options,
                std::ostream& out, std::ostream& err) {
  if (what != "agents" && what != "stations" && what != "departments") {
    err << "ledgerctl list: \"" << what
        << "\" is not agents, stations or departments\n";
    return kExitUsage;
  }
  v1::ListReferenceDataResponse data;
  absl::Status s = Client<v1::ReferenceDataService>(options).Call(
      &v1::ReferenceDataService::Stub::ListReferenceData,
      v1::ListReferenceDataRequest(), &data);
  if (!s.ok()) return Fail(err, s);
  const bool csv = options.format == Format::kCsv;
  const bool json = options.format == Format::kJson;
  if (csv) StartCsv(options, out);
  if (what == "agents") {
    if (csv) out << "agent_id,display_name,roles,department_id,active\n";
    if (options.format == Format::kText) {
      out << Fit("AGENT", 12) << "  " << Fit("NAME", 26) << "  "
          << Fit("ROLES", 30) << "  " << Fit("DEPARTMENT", 12) << "  ACTIVE\n";
    }
    for (const auto& a : data.agents()) {
      if (json) {
        out << MessageJson(a) << "\n";
      } else if (csv) {
        out << CsvCell(a.agent_id()) << "," << CsvCell(a.display_name()) << ","
            << CsvCell(RoleNames(a)) << "," << CsvCell(a.department_id()) << ","
            << (a.active() ? "true" : "false") << "\n";
      } else {
        out << Fit(a.agent_id(), 12) << "  " << Fit(a.display_name(), 26)
            << "  " << Fit(RoleNames(a), 30) << "  "
            << Fit(a.department_id(), 12) << "  " << (a.active() ? "yes" : "no")
            << "\n";
      }
    }
  } else if (what == "stations") {
    if (csv) out << "station_id,name,head_agent_id,region\n";
    if (options.format == Format::kText) {
      out << Fit("STATION", 12) << "  " << Fit("NAME", 24) << "  "
          << Fit("HEAD", 12) << "  REGION\n";
    }
    for (const auto& st : data.stations()) {
      if (json) {
        out << MessageJson(st) << "\n";
      } else if (csv) {
        out << CsvCell(st.station_id()) << "," << CsvCell(st.name()) << ","
            << CsvCell(st.head_agent_id()) << "," << CsvCell(st.region())
            << "\n";
      } else {
        out << Fit(st.station_id(), 12) << "  " << Fit(st.name(), 24) << "  "
            << Fit(st.head_agent_id(), 12) << "  " << st.region() << "\n";
      }
    }
  } else {
    if (csv) out << "department_id,name,head_agent_id\n";
    if (options.format == Format::kText) {
      out << Fit("DEPARTMENT", 12) << "  " << Fit("NAME", 24) << "  HEAD\n";
    }
    for (const auto& d : data.departments()) {
      if (json) {
        out << MessageJson(d) << "\n";
      } else if (csv) {
        out << CsvCell(d.department_id()) << "," << CsvCell(d.name()) << ","
            << CsvCell(d.head_agent_id()) << "\n";
      } else {
        out << Fit(d.department_id(), 12) << "  " << Fit(d.name(), 24) << "  "
            << d.head_agent_id() << "\n";
      }
    }
  }
  if (options.format == Format::kText && !data.calendar_version().empty()) {
    out << "calendar " << data.calendar_version() << " ("
        << absl::StrJoin(data.calendar_years(), ", ") << "; "
        << data.time_zone() << ")\n";
  }
  return kExitOk;
}

// A customer's complaints by the contact they gave.
int FindCommand(const Options& options, std::ostream& out, std::ostream& err) {
  v1::FindComplaintsRequest request;
  const int given = !options.phone.empty() + !options.email.empty() +
                    !options.address.empty();
  if (given != 1) {
    err << "ledgerctl find: give one of --phone, --email, --address\n";
    return kExitUsage;
  }
  request.mutable_customer()->set_phone(options.phone);
  request.mutable_customer()->set_email(options.email);
  request.mutable_customer()->set_address(options.address);
  v1::FindComplaintsResponse found;
  absl::Status s = Client<v1::ComplaintService>(options).Call(
      &v1::ComplaintService::Stub::FindComplaints, request, &found);
  if (!s.ok()) return Fail(err, s);
  auto label = [](const auto& name) {
    return Dashed(absl::AsciiStrToLower(name));
  };
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "complaint_id,received,kind,category\n";
  }
  for (const v1::FoundComplaint& c : found.complaints()) {
    const std::string received = absl::FormatTime(
        "%Y-%m-%d %H:%M", absl::FromUnixMicros(c.received_time_us()),
        options.zone);
    const std::string kind =
        label(v1::InfoKind_Name(c.kind()).substr(strlen("INFO_KIND_")));
    const std::string category =
        c.category() == v1::COMPLAINT_CATEGORY_UNSPECIFIED
            ? ""
            : label(v1::ComplaintCategory_Name(c.category())
                        .substr(strlen("COMPLAINT_CATEGORY_")));
    if (options.format == Format::kJson) {
      out << MessageJson(c) << "\n";
    } else if (options.format == Format::kCsv) {
      out << CsvCell(c.complaint_id()) << "," << received << ","
          << CsvCell(kind) << "," << CsvCell(category) << "\n";
    } else {
      out << Fit(c.complaint_id(), 14) << "  " << received << "  " << kind
          << (category.empty() ? "" : " / ") << category << "\n";
    }
  }
  if (options.format == Format::kText) {
    out << found.complaints_size() << " complaint"
        << (found.complaints_size() == 1 ? "" : "s") << " by this customer\n";
  }
  return kExitOk;
}

int ProjectionsCommand(const Options& options, std::ostream& out,
                       std::ostream& err) {
  v1::ListProjectionsResponse list;
  absl::Status s =
      QueryClient(options).Call(&v1::QueryService::Stub::ListProjections,
                                v1::ListProjectionsRequest(), &list);
  if (!s.ok()) return Fail(err, s);
  if (options.format == Format::kJson) {
    // One line per view, every field (source, error, rebuilt_after).
    for (const auto& p : list.projections()) out << MessageJson(p) << "\n";
    return kExitOk;
  }
  if (options.format == Format::kCsv) {
    StartCsv(options, out);
    out << "name,checkpoint,lag,skipped,source,error,rebuilt_after\n";
    for (const auto& p : list.projections()) {
      out << CsvCell(p.name()) << "," << p.checkpoint() << "," << p.lag() << ","
          << p.skipped() << "," << CsvCell(p.source()) << ","
          << CsvCell(p.error()) << "," << CsvCell(p.rebuilt_after()) << "\n";
    }
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

// Fills `options` from the settings and the command's flags; a value that
// does not parse is INVALID_ARGUMENT naming the flag.
absl::Status FillOptions(const CommandLine& line,
                         const std::map<std::string, Setting>& settings,
                         Options& options) {
  auto setting = [&settings](const char* name) {
    auto it = settings.find(name);
    return it == settings.end() ? std::string() : it->second.value;
  };
  options.target = setting("target");
  options.as = setting("as");
  options.identity = setting("identity");
  options.token_file = setting("token_file");
  options.tls_ca = setting("tls_ca");
  const std::string format = setting("format");
  if (format != "text" && format != "json" && format != "csv") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format is text, json or csv, not \"", format, "\" (",
                     settings.at("format").source, ")"));
  }
  options.format = format == "json"  ? Format::kJson
                   : format == "csv" ? Format::kCsv
                                     : Format::kText;
  const std::string bom = absl::AsciiStrToLower(setting("csv_bom"));
  options.csv_bom = bom == "true" || bom == "1" || bom == "yes";
  const std::string zone = setting("time_zone");
  if (!absl::LoadTimeZone(zone, &options.zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", zone, "\" (",
                     settings.at("time_zone").source, ")"));
  }
  auto count = [&line](const char* name, uint64_t* out) -> absl::Status {
    if (!line.Has(name)) return absl::OkStatus();
    if (!absl::SimpleAtoi(line.Get(name), out)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", Dashed(name), " takes a number, not \"", line.Get(name), "\""));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(count("from", &options.from));
  RETURN_IF_ERROR(count("limit", &options.limit));
  RETURN_IF_ERROR(count("last", &options.last));
  RETURN_IF_ERROR(count("as_of", &options.as_of));
  RETURN_IF_ERROR(count("size", &options.tree_size));
  if (line.Has("from_revision")) {
    uint64_t r = 0;
    RETURN_IF_ERROR(count("from_revision", &r));
    options.from_revision = r;
  }
  if (line.Has("as_of") && options.as_of == 0) {
    return absl::InvalidArgumentError(
        "--as_of takes a log position (1, 2, ...), not 0");
  }
  options.backward = line.Get("backward") == "true";
  options.follow = line.Get("follow") == "true";
  options.from_now = line.Get("from_now") == "true";
  options.data_dir = line.Get("data_dir");
  options.types.clear();
  if (auto it = line.flags.find("type"); it != line.flags.end()) {
    for (const std::string& v : it->second) {
      for (absl::string_view t : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        options.types.emplace_back(t);
      }
    }
  }
  options.station = line.Get("station");
  options.stream = line.Get("stream");
  options.prefix = line.Get("prefix");
  options.durable = line.Get("durable");
  options.owner = line.Get("owner");
  options.department = line.Get("department");
  options.now = line.Get("now");
  options.month = line.Get("month");
  options.phone = line.Get("phone");
  options.email = line.Get("email");
  options.address = line.Get("address");
  options.log_key = line.Get("log_key");
  options.log_key_file = line.Get("log_key_file");
  options.checkpoint_file = line.Get("checkpoint");
  options.out_file = line.Get("out");
  options.export_format = line.Get("export");
  options.half = line.Get("half");
  options.category = line.Get("category");
  return absl::OkStatus();
}

// The commands that print tables or events, which CSV suits.
bool PrintsCsv(const std::string& command) {
  for (const char* c : {"queue", "stations", "analysis", "scorecard", "sample",
                        "assessment", "penalty-table", "list", "find", "log",
                        "read", "tail", "projections"}) {
    if (command == c) return true;
  }
  return false;
}

int ConfigCommand(const std::map<std::string, Setting>& settings,
                  std::ostream& out) {
  for (const auto& [name, s] : settings) {
    out << Fit(name, 12) << "  " << Fit(s.value.empty() ? "-" : s.value, 40)
        << "  " << s.source << "\n";
  }
  return kExitOk;
}

}  // namespace

std::string CsvCell(absl::string_view s) {
  std::string text(s);
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' ||
                        text[0] == '@' || text[0] == '\t' || text[0] == '\r')) {
    // A spreadsheet would run it as a formula.
    text.insert(text.begin(), '\'');
  }
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void StartCsv(const Options& options, std::ostream& out) {
  if (options.csv_bom) out << "\xEF\xBB\xBF";
}

int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err,
         const std::function<const char*(const char*)>& environ) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(args);
  if (!line.ok()) {
    err << "ledgerctl: " << line.status().message() << "\n";
    return kExitUsage;
  }
  if (line->command == "version" || line->Get("version") == "true") {
    out << VersionString("ledgerctl") << "\n";
    return kExitOk;
  }
  if (line->command.empty() || line->command == "help") {
    if (line->command.empty() && line->Get("help") != "true") {
      PrintOverview(err);
      return kExitUsage;
    }
    if (line->operands.empty()) {
      PrintOverview(out);
      return kExitOk;
    }
    const CommandHelp* command = FindCommandHelp(line->operands[0]);
    if (command == nullptr || line->operands.size() > 1) {
      err << "ledgerctl help: unknown command \"" << line->operands[0]
          << "\" (ledgerctl help lists them)\n";
      return kExitUsage;
    }
    PrintCommandHelp(*command, out);
    return kExitOk;
  }
  if (line->Get("help") == "true") {
    PrintCommandHelp(*FindCommandHelp(line->command), out);
    return kExitOk;
  }
  absl::StatusOr<std::map<std::string, Setting>> settings =
      ResolveSettings(*line, environ);
  if (!settings.ok()) {
    err << "ledgerctl: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  if (line->command == "config") return ConfigCommand(*settings, out);
  Options options;
  if (absl::Status s = FillOptions(*line, *settings, options); !s.ok()) {
    return UsageError(err, line->command, s);
  }
  if (options.format == Format::kCsv && !PrintsCsv(line->command) &&
      !IsComplaintCommand(line->command)) {
    err << "ledgerctl " << line->command
        << ": --format csv is not available here: text or json\n";
    return kExitUsage;
  }
  if (absl::Status s = LoadSecurity(options); !s.ok()) {
    err << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  if (IsComplaintCommand(line->command)) {
    return RunComplaintCommand(*line, options, out, err);
  }
  std::vector<std::string> words{line->command};
  words.insert(words.end(), line->operands.begin(), line->operands.end());
  return Run(words, options, out, err);
}

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
  if (command == "sample" && operands <= 1) {
    return SampleCommand(operands == 1 ? args[1] : "", options, out, err);
  }
  if (command == "knowledge") {
    return KnowledgeCommand(
        std::vector<std::string>(args.begin() + 1, args.end()), options, out,
        err);
  }
  if (command == "digest" && operands == 0) {
    return DigestCommand(options, out, err);
  }
  if (command == "readings" && operands == 0) {
    return ReadingsCommand(options, out, err);
  }
  if (command == "penalty-table" && operands == 0) {
    return PenaltyTableCommand(options, out, err);
  }
  if (command == "assessment" && operands <= 1) {
    return AssessmentCommand(operands == 1 ? args[1] : "", options, out, err);
  }
  if (command == "analysis" && operands == 0) {
    return AnalysisCommand(options, out, err);
  }
  if (command == "list" && operands == 1) {
    return ListCommand(args[1], options, out, err);
  }
  if (command == "find" && operands == 0) {
    return FindCommand(options, out, err);
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
  const CommandHelp* help = FindCommandHelp(command);
  if (help == nullptr) {
    err << "ledgerctl: unknown command \"" << command
        << "\" (ledgerctl help lists them)\n";
  } else {
    err << "ledgerctl " << command << ": takes "
        << (help->operands.empty() ? "no operands" : help->operands) << "; got "
        << operands << " (ledgerctl help " << command << ")\n";
  }
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
