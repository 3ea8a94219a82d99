// The supervisor's console: what ledgerd's HTTP side (services/
// http_server.h) serves besides /metrics.
//
//   GET  /                  the console, one page (services/console/): it
//                           signs in, then shows Today, a complaint, the
//                           station month, the month analysis, agents and
//                           the ledger, from the JSON API
//   GET  /console.js, /console.css, /echarts.min.js   its assets, compiled in
//   POST /session           {"token": "<JWT>"}: checks the token as the gate
//                           does and sets the session cookie (HttpOnly,
//                           SameSite=Strict, Secure over TLS; it ends when
//                           the token expires); answers who signed in
//   GET  /session           who is signed in (401 when nobody)
//   DELETE /session         signs out (clears the cookie)
//   POST /api/v1/<rpc>      the JSON API (services/json_api.h)
//   GET  /api/v1/live       Server-Sent Events: "position" with the log's
//                           last position each time events were committed
//                           (and the views have read them); positions only,
//                           the page then asks the API what changed
//   GET  /export/stations/<YYYY-MM>.xlsx   the month's station table as an
//                           Excel workbook (libxlsxwriter), from
//                           GetStationTable as the caller may see it
//
// Every response carries a Content-Security-Policy that allows this
// origin's scripts only, and no framing.
#ifndef LEDGER_SERVICES_CONSOLE_H_
#define LEDGER_SERVICES_CONSOLE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/query_service.pb.h"
#include "services/http_server.h"
#include "services/json_api.h"

namespace ledger {

struct ConsoleOptions {
  std::shared_ptr<JsonApi> api;
  SubscriptionHub* hub = nullptr;
  std::function<bool(uint64_t, absl::Duration)> views_reach;
  size_t max_live_streams = 16;
  // Set when the server stops: live streams end.
  std::shared_ptr<std::atomic<bool>> stopping;
};

void ServeConsole(httplib::Server& http, const ConsoleOptions& options,
                  const HttpGate* gate);

// The station table of a month as an .xlsx workbook's bytes: one sheet,
// the stations' rows and a totals row (sums as formulas, with their values
// cached for readers that do not calculate).
absl::StatusOr<std::string> StationTableWorkbook(
    const v1::GetStationTableResponse& table);

}  // namespace ledger

#endif  // LEDGER_SERVICES_CONSOLE_H_
