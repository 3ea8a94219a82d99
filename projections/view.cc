#include "projections/view.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "ledger/calendar/business_calendar.h"

namespace ledger {

void View::Apply(const v1::Event& event) {
  absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(event);
  if (!decoded.ok()) return Skip();
  Apply(*decoded);
}

absl::Status LoadRows(const ViewStore& store, const std::string& view,
                      const std::function<bool(absl::string_view key,
                                               absl::string_view value)>& row) {
  absl::Status bad;
  absl::Status scanned =
      store.ScanView(view, [&](absl::string_view key, absl::string_view value) {
        if (row(key, value)) return true;
        bad = absl::DataLossError(
            absl::StrCat("row ", key, " of view ", view, " does not parse"));
        return false;
      });
  if (!scanned.ok()) return scanned;
  return bad;
}

SiteZone::SiteZone() : name_(kDefaultTimeZone) {
  absl::LoadTimeZone(name_, &zone_);
}

bool SiteZone::Set(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) return false;
  name_ = name;
  zone_ = zone;
  return true;
}

v1::Date SiteZone::DayOf(int64_t time_us) const {
  return ToDate(absl::ToCivilDay(absl::FromUnixMicros(time_us), zone_));
}

}  // namespace ledger
