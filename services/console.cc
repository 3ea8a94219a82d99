#include "services/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"
#include "ledger/base/log.h"
#include "nlohmann/json.hpp"
#include "rpc/status.h"
#include "services/console_assets.h"
#include "services/workbook.h"

namespace ledger {
namespace {

using Json = nlohmann::ordered_json;

// What a page may load and do: this origin's scripts and styles only (the
// charts set element styles, hence 'unsafe-inline' for style), no framing,
// no forms to elsewhere.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

// A live stream waits this long for events before it pings (a write to a
// browser that has gone fails, which ends the stream).
constexpr absl::Duration kLiveWait = absl::Seconds(1);
constexpr int kLivePingEvery = 5;  // waits
// Commits arriving close together are told as one update.
constexpr absl::Duration kLiveCoalesce = absl::Milliseconds(200);
// How long an update waits for the views to read its events.
constexpr absl::Duration kLiveViewsWait = absl::Seconds(2);
// Streams one identity may hold at once (tabs of the console).
constexpr size_t kLiveStreamsPerCaller = 4;
// A stream asks the gate again every this many waits (about a minute).
constexpr int kLiveRecheckEvery = 60;

// One asset: its text, its type, and (made at first use) its gzip form and
// an ETag.
struct Asset {
  Asset(std::string_view text, const char* type) : text(text), type(type) {}

  const std::string_view text;
  const char* const type;
  std::once_flag once;
  std::string gzipped;
  std::string etag;

  void Prepare() {
    std::call_once(once, [this] {
      z_stream z{};
      // 16 + 15: a gzip header and trailer, 32 KiB window.
      deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + 15, 9,
                   Z_DEFAULT_STRATEGY);
      gzipped.resize(deflateBound(&z, text.size()));
      z.next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));  // Read.
      z.avail_in = static_cast<uInt>(text.size());
      z.next_out = reinterpret_cast<Bytef*>(gzipped.data());
      z.avail_out = static_cast<uInt>(gzipped.size());
      const int done = deflate(&z, Z_FINISH);
      if (done == Z_STREAM_END) {
        gzipped.resize(z.total_out);
      } else {
        gzipped.clear();  // Served as it is.
      }
      deflateEnd(&z);
      etag = absl::StrFormat("\"%016x\"", std::hash<std::string_view>()(text));
    });
  }
};

Asset* FindAsset(std::string_view path) {
  static Asset index{console_assets::kIndexHtml, "text/html; charset=utf-8"};
  static Asset js{console_assets::kConsoleJs,
                  "application/javascript; charset=utf-8"};
  static Asset css{console_assets::kConsoleCss, "text/css; charset=utf-8"};
  static Asset echarts{console_assets::kEchartsJs,
                       "application/javascript; charset=utf-8"};
  if (path == "/") return &index;
  if (path == "/console.js") return &js;
  if (path == "/console.css") return &css;
  if (path == "/echarts.min.js") return &echarts;
  return nullptr;
}

void ServeAsset(Asset& asset, const httplib::Request& req,
                httplib::Response& res) {
  asset.Prepare();
  const bool gzip =
      !asset.gzipped.empty() &&
      absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip");
  // Each form its own tag.
  const std::string etag =
      gzip ? absl::StrCat(asset.etag.substr(0, asset.etag.size() - 1), "-gz\"")
           : asset.etag;
  res.set_header("ETag", etag);
  res.set_header("Vary", "Accept-Encoding");
  // Checked with the server at each load: a new ledgerd's assets replace
  // the old at once.
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  std::string_view body = gzip ? std::string_view(asset.gzipped) : asset.text;
  if (gzip) res.set_header("Content-Encoding", "gzip");
  // A provider with a length: httplib does not compress it again.
  res.set_content_provider(
      body.size(), asset.type,
      [body](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(body.data() + offset, length);
      });
}

void Reply(const HttpReply& reply, httplib::Response& res) {
  res.status = reply.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(reply.body, reply.content_type.c_str());
}

// Who is signed in, for the page: the roles decide what it offers (the
// server decides what it shows).
std::string CallerJson(const Caller& caller, bool open) {
  Json me;
  me["agent_id"] = caller.agent_id;
  me["open"] = open;
  Json roles = Json::array();
  for (v1::Role role : caller.roles) roles.push_back(v1::Role_Name(role));
  me["roles"] = roles;
  me["station_scoped"] = caller.station_scoped;
  me["stations"] = caller.stations;
  // The RPCs the caller's roles may call (the access table's rows): the
  // page offers what these allow (the gate decides each call regardless).
  Json rpcs = Json::array();
  for (const AccessRule& rule : AccessTable()) {
    const bool allowed =
        open ||
        std::any_of(rule.roles.begin(), rule.roles.end(), [&](v1::Role role) {
          return std::find(caller.roles.begin(), caller.roles.end(), role) !=
                 caller.roles.end();
        });
    if (allowed) rpcs.push_back(rule.rpc);
  }
  me["rpcs"] = rpcs;
  if (caller.expires != absl::InfiniteFuture()) {
    me["expires"] = absl::FormatTime(absl::RFC3339_sec, caller.expires,
                                     absl::UTCTimeZone());
  }
  return me.dump();
}

// Set-Cookie for the session cookie holding `token`, for `lasts` (none:
// until the browser closes). An empty token for no time signs out.
std::string SessionCookie(const HttpGate& gate, const std::string& token,
                          std::optional<absl::Duration> lasts) {
  std::string cookie = absl::StrCat(gate.SessionCookie(), "=", token,
                                    "; Path=/; HttpOnly; SameSite=Strict");
  if (gate.tls()) absl::StrAppend(&cookie, "; Secure");
  if (lasts.has_value()) {
    absl::StrAppend(&cookie, "; Max-Age=",
                    std::max<int64_t>(absl::ToInt64Seconds(*lasts), 0));
  }
  return cookie;
}

// Browsers drop a cookie longer than about 4096 bytes: a longer token is
// refused at sign-in rather than lost afterwards.
constexpr size_t kMaxCookieToken = 4000;

// How many live streams there are, in all and per identity: each holds one
// of the HTTP side's workers.
struct LiveStreams {
  absl::Mutex mu;
  size_t total ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<std::string, size_t> by_caller ABSL_GUARDED_BY(mu);

  // A place for `who`, or why not.
  absl::Status Take(const std::string& who, size_t max_total) {
    absl::MutexLock lock(&mu);
    if (total >= max_total) {
      return absl::UnavailableError(absl::StrCat(
          "already ", max_total,
          " live streams (each holds a worker); the page still works, "
          "reload later to follow live"));
    }
    if (by_caller[who] >= kLiveStreamsPerCaller) {
      return absl::ResourceExhaustedError(
          absl::StrCat(who.empty() ? "nobody" : who, " already follows ",
                       kLiveStreamsPerCaller, " live streams; close a tab"));
    }
    ++total;
    ++by_caller[who];
    return absl::OkStatus();
  }
  void Give(const std::string& who) {
    absl::MutexLock lock(&mu);
    --total;
    if (--by_caller[who] == 0) by_caller.erase(who);
  }
};

// The live stream of one browser: positions of the log as it grows.
struct LiveStream {
  std::unique_ptr<LiveFeed> feed;
  SubscriptionHub* hub;
  std::function<bool(uint64_t, absl::Duration)> views_reach;
  std::shared_ptr<std::atomic<bool>> stopping;
  std::shared_ptr<LiveStreams> streams;
  // Whose it is, and how to ask the gate again: a stream ends when its
  // token expires, or when the gate would no longer admit it (the agent
  // made inactive, their role changed).
  const HttpGate* gate;
  std::string caller;
  std::string authorization;
  absl::Time expires = absl::InfiniteFuture();
  uint64_t told = 0;
  int quiet = 0;
  int waits = 0;
  bool started = false;

  ~LiveStream() { streams->Give(caller); }

  // Whether the stream may go on.
  bool StillAdmitted() {
    if (absl::Now() >= expires) return false;
    if (++waits < kLiveRecheckEvery) return true;
    waits = 0;
    httplib::Response ignored;
    return gate->AdmitCredential("GET /api/v1/live", authorization, ignored,
                                 nullptr);
  }

  // A feed from the hub's current end (a feed is only handed out at the
  // exact end: try again when the log moved meanwhile).
  absl::Status Attach() {
    for (int tries = 0; tries < 100; ++tries) {
      const uint64_t at = hub->last_published();
      absl::StatusOr<std::unique_ptr<LiveFeed>> attached = hub->Attach(at);
      if (!attached.ok()) return attached.status();  // Closed: stopping.
      if (*attached != nullptr) {
        feed = *std::move(attached);
        if (told == 0) told = at;
        return absl::OkStatus();
      }
    }
    return absl::UnavailableError(
        "the log grows too fast to attach a live stream now; try again");
  }

  bool Send(httplib::DataSink& sink, uint64_t position) {
    const std::string event = absl::StrCat(
        "id: ", position, "\nevent: position\ndata: ", position, "\n\n");
    return sink.write(event.data(), event.size());
  }

  // One turn of httplib's provider loop: false ends the stream.
  bool Turn(httplib::DataSink& sink) {
    if (*stopping || !StillAdmitted()) {
      sink.done();
      return true;
    }
    if (!started) {
      started = true;
      const std::string retry = "retry: 2000\n\n";
      if (!sink.write(retry.data(), retry.size())) return false;
      return Send(sink, told);
    }
    std::vector<EventBatch> batches;
    switch (feed->Next(kLiveWait, &batches, kLiveCoalesce)) {
      case LiveFeed::Wait::kEvents: {
        quiet = 0;
        const uint64_t last = batches.back()->back().position();
        if (last <= told) return true;
        if (views_reach) views_reach(last, kLiveViewsWait);
        told = last;
        return Send(sink, last);
      }
      case LiveFeed::Wait::kTimeout: {
        if (++quiet < kLivePingEvery) return true;
        quiet = 0;
        const std::string ping = ": ping\n\n";
        return sink.write(ping.data(), ping.size());
      }
      case LiveFeed::Wait::kOverflowed:
        // Only the latest position matters: start again at the end.
        feed.reset();
        if (!Attach().ok()) sink.done();
        return true;
      case LiveFeed::Wait::kClosed:
        sink.done();
        return true;
    }
    return false;
  }
};

// "2026-11" into year and month.
bool ParseMonth(absl::string_view text, int* year, int* month) {
  return text.size() == 7 && text[4] == '-' &&
         absl::SimpleAtoi(text.substr(0, 4), year) &&
         absl::SimpleAtoi(text.substr(5, 2), month) && *month >= 1 &&
         *month <= 12 && *year >= 1970 && *year <= 9999;
}

}  // namespace

absl::StatusOr<std::string> StationTableWorkbook(
    const v1::GetStationTableResponse& table) {
  const std::string month =
      absl::StrFormat("%04d-%02d", table.month().year(), table.month().month());
  return WorkbookBytes([&](lxw_workbook* book) {
    const std::string title = absl::StrCat(month, " 站点月报 Stations");
    const std::string subject =
        absl::StrCat("log position ", table.position(), " (complaint-ledger)");
    const char* const headers[] = {
        "站点 Station",       "名称 Name",
        "投诉 Complaints",    "份数 Copies",
        "万份比 Per 10,000",  "排名 Rank",
        "重复 Repeat",        "恶意 Malicious",
        "处罚 Penalty (CNY)", "不计处罚 Not charged (CNY)"};
    const ReportSheet report =
        AddReportSheet(book, month, title, subject, headers);
    lxw_worksheet* sheet = report.sheet;
    lxw_format* bold = report.header;
    format_set_text_wrap(bold);
    lxw_format* cell = report.cell;
    lxw_format* money = report.money;
    lxw_format* ratio = workbook_add_format(book);
    format_set_border(ratio, LXW_BORDER_THIN);
    format_set_num_format(ratio, "0.00");
    worksheet_set_column(sheet, 0, 1, 16, nullptr);
    worksheet_set_column(sheet, 2, 9, 13, nullptr);
    lxw_row_t row = report.first_row;
    for (const v1::StationMonth& s : table.stations()) {
      worksheet_write_string(sheet, row, 0, s.station_id().c_str(), cell);
      worksheet_write_string(sheet, row, 1, s.name().c_str(), cell);
      worksheet_write_number(sheet, row, 2, static_cast<double>(s.complaints()),
                             cell);
      worksheet_write_number(sheet, row, 3, static_cast<double>(s.copies()),
                             cell);
      worksheet_write_number(sheet, row, 4, s.ratio_per_10k(), ratio);
      if (s.rank() > 0) {
        worksheet_write_number(sheet, row, 5, s.rank(), cell);
      } else {
        worksheet_write_string(sheet, row, 5, "-", cell);
      }
      worksheet_write_number(sheet, row, 6, static_cast<double>(s.repeat()),
                             cell);
      worksheet_write_number(sheet, row, 7, static_cast<double>(s.malicious()),
                             cell);
      worksheet_write_number(sheet, row, 8, Yuan(s.penalty_charged()), money);
      worksheet_write_number(sheet, row, 9, Yuan(s.penalty_not_charged()),
                             money);
      ++row;
    }
    // Totals: the centre's. When the rows are all the stations (their sums
    // are the totals) as formulas over them, with their values; for a
    // station head, whose rows are theirs only, as numbers.
    const v1::StationMonth& t = table.totals();
    int64_t complaints = 0, copies = 0, repeat = 0, malicious = 0;
    int64_t charged = 0, not_charged = 0;
    for (const v1::StationMonth& s : table.stations()) {
      complaints += s.complaints();
      copies += s.copies();
      repeat += s.repeat();
      malicious += s.malicious();
      charged += s.penalty_charged().minor_units();
      not_charged += s.penalty_not_charged().minor_units();
    }
    const bool whole = complaints == t.complaints() && copies == t.copies() &&
                       repeat == t.repeat() && malicious == t.malicious() &&
                       charged == t.penalty_charged().minor_units() &&
                       not_charged == t.penalty_not_charged().minor_units();
    worksheet_write_string(
        sheet, row, 0, whole ? "合计 Total" : "全中心合计 Centre total", bold);
    const lxw_row_t first = report.first_row;
    auto sum = [&](lxw_col_t col, double value, lxw_format* format) {
      if (!whole || row == first) {
        worksheet_write_number(sheet, row, col, value, format);
        return;
      }
      const char letter = static_cast<char>('A' + col);
      const std::string formula =
          absl::StrFormat("=SUM(%c%d:%c%d)", letter, first + 1, letter, row);
      worksheet_write_formula_num(sheet, row, col, formula.c_str(), format,
                                  value);
    };
    sum(2, static_cast<double>(t.complaints()), cell);
    sum(3, static_cast<double>(t.copies()), cell);
    sum(6, static_cast<double>(t.repeat()), cell);
    sum(7, static_cast<double>(t.malicious()), cell);
    sum(8, Yuan(t.penalty_charged()), money);
    sum(9, Yuan(t.penalty_not_charged()), money);
  });
}

void ServeConsole(httplib::Server& http, const ConsoleOptions& options,
                  const HttpGate* gate) {
  http.set_post_routing_handler(
      [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Security-Policy", kContentSecurityPolicy);
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("X-Frame-Options", "DENY");
      });
  for (const char* path :
       {"/", "/console.js", "/console.css", "/echarts.min.js"}) {
    http.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      ServeAsset(*FindAsset(req.path), req, res);
    });
  }
  // Sign in with a token: the cookie carries it from then on.
  http.Post("/session", [gate](const httplib::Request& req,
                               httplib::Response& res) {
    // Pass: the console's header, also here (a login by someone
    // else's token from another site's form is refused).
    std::string ignored;
    if (!gate->Pass(req, res, &ignored)) return;
    if (req.get_header_value("X-Ledger-Console") != "1") {
      res.status = 403;
      res.set_content(
          "sign in from the console's page (it sends X-Ledger-Console: "
          "1); a program sends its token in an Authorization header "
          "instead\n",
          "text/plain; charset=utf-8");
      return;
    }
    Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    std::string token;
    if (body.is_object() && body.contains("token") &&
        body["token"].is_string()) {
      token = body["token"].get<std::string>();
    }
    if (!TokenShaped(token, kMaxCookieToken)) {
      Reply(ErrorReply(grpc::Status(
                grpc::StatusCode::INVALID_ARGUMENT,
                "the body is {\"token\": \"<JWT>\"}, a token as the site's "
                "identity provider issues it")),
            res);
      return;
    }
    Caller caller;
    if (!gate->AdmitCredential("POST /session", absl::StrCat("Bearer ", token),
                               res, &caller)) {
      return;
    }
    // The session ends with the token (a token without an end: with the
    // browser).
    res.set_header(
        "Set-Cookie",
        SessionCookie(*gate, token,
                      caller.expires == absl::InfiniteFuture()
                          ? std::nullopt
                          : std::optional(caller.expires - absl::Now())));
    Reply(HttpReply{200, CallerJson(caller, gate->open())}, res);
  });
  http.Get("/session",
           [gate](const httplib::Request& req, httplib::Response& res) {
             Caller caller;
             if (!gate->Admit("GET /session", req, res, &caller)) return;
             Reply(HttpReply{200, CallerJson(caller, gate->open())}, res);
           });
  http.Delete("/session",
              [gate](const httplib::Request& req, httplib::Response& res) {
                std::string ignored;
                if (!gate->Pass(req, res, &ignored)) return;
                res.set_header("Set-Cookie",
                               SessionCookie(*gate, "", absl::ZeroDuration()));
                Reply(HttpReply{200, "{}"}, res);
              });
  std::shared_ptr<JsonApi> api = options.api;
  http.Post(R"(/api/v1/([A-Za-z0-9_.]+/[A-Za-z0-9_]+))",
            [gate, api](const httplib::Request& req, httplib::Response& res) {
              std::string authorization;
              if (!gate->Pass(req, res, &authorization)) return;
              Reply(api->Call(req.matches[1].str(), req.body, authorization),
                    res);
            });
  auto streams = std::make_shared<LiveStreams>();
  http.Get("/api/v1/live", [gate, options, streams](const httplib::Request& req,
                                                    httplib::Response& res) {
    std::string authorization;
    if (!gate->Pass(req, res, &authorization)) return;
    Caller caller;
    if (!gate->AdmitCredential("GET /api/v1/live", authorization, res,
                               &caller)) {
      return;
    }
    if (options.hub == nullptr) {
      Reply(ErrorReply(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                    "this process has no live log")),
            res);
      return;
    }
    if (absl::Status taken =
            streams->Take(caller.agent_id, options.max_live_streams);
        !taken.ok()) {
      Reply(ErrorReply(ToGrpcStatus(taken)), res);
      return;
    }
    auto stream = std::make_shared<LiveStream>();
    stream->hub = options.hub;
    stream->views_reach = options.views_reach;
    stream->stopping = options.stopping;
    stream->streams = streams;
    stream->gate = gate;
    stream->caller = caller.agent_id;
    stream->authorization = authorization;
    stream->expires = caller.expires;
    if (absl::Status attached = stream->Attach(); !attached.ok()) {
      Reply(ErrorReply(ToGrpcStatus(attached)), res);
      return;
    }
    res.set_header("Cache-Control", "no-store");
    // Exactly this type: httplib leaves it uncompressed (and unbuffered).
    res.set_chunked_content_provider("text/event-stream",
                                     [stream](size_t, httplib::DataSink& sink) {
                                       return stream->Turn(sink);
                                     });
  });
  http.Get(R"(/export/stations/([0-9]{4}-[0-9]{2})\.xlsx)",
           [gate, api](const httplib::Request& req, httplib::Response& res) {
             std::string authorization;
             if (!gate->Pass(req, res, &authorization)) return;
             v1::GetStationTableRequest request;
             int year = 0, month = 0;
             if (!ParseMonth(req.matches[1].str(), &year, &month)) {
               Reply(ErrorReply(grpc::Status(
                         grpc::StatusCode::INVALID_ARGUMENT,
                         absl::StrCat(req.matches[1].str(),
                                      " is not a month (YYYY-MM)"))),
                     res);
               return;
             }
             request.mutable_month()->set_year(year);
             request.mutable_month()->set_month(month);
             if (std::string at = req.get_param_value("as_of_position");
                 !at.empty()) {
               uint64_t position = 0;
               if (!absl::SimpleAtoi(at, &position)) {
                 Reply(ErrorReply(grpc::Status(
                           grpc::StatusCode::INVALID_ARGUMENT,
                           "as_of_position is a position of the log")),
                       res);
                 return;
               }
               request.set_as_of_position(position);
             }
             v1::GetStationTableResponse table;
             const grpc::Status status =
                 api->Call("ledger.v1.QueryService.GetStationTable", request,
                           &table, authorization);
             if (!status.ok()) {
               Reply(ErrorReply(status), res);
               return;
             }
             absl::StatusOr<std::string> book = StationTableWorkbook(table);
             if (!book.ok()) {
               LogError(absl::StrCat("export of the station table of ",
                                     req.matches[1].str(), ": ",
                                     book.status().ToString()));
               Reply(ErrorReply(grpc::Status(grpc::StatusCode::INTERNAL,
                                             "the workbook could not be "
                                             "written")),
                     res);
               return;
             }
             res.set_header("Cache-Control", "no-store");
             res.set_header("Content-Disposition",
                            absl::StrCat("attachment; filename=\"stations-",
                                         req.matches[1].str(), "-at-",
                                         table.position(), ".xlsx\""));
             res.set_content(
                 *book,
                 "application/"
                 "vnd.openxmlformats-officedocument.spreadsheetml.sheet");
           });
}

}  // namespace ledger
