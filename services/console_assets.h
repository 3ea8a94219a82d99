// The console's browser side, compiled into ledgerd (tools/embed_asset.sh):
// its page, script and style (services/console/), and the charting library
// Apache ECharts, vendored from npm at the version services/console/vendor/
// package-lock.json pins (tools/vendor_console.sh fetches it again and
// checks the copy is that version's file, byte for byte).
#ifndef LEDGER_SERVICES_CONSOLE_ASSETS_H_
#define LEDGER_SERVICES_CONSOLE_ASSETS_H_

#include <string_view>

namespace ledger::console_assets {

extern const std::string_view kIndexHtml;
extern const std::string_view kConsoleJs;
extern const std::string_view kConsoleCss;
extern const std::string_view kEchartsJs;

}  // namespace ledger::console_assets

#endif  // LEDGER_SERVICES_CONSOLE_ASSETS_H_
