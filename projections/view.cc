#include "projections/view.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "projections/memory_view_store.h"

namespace ledger {
namespace {

// The row that names the layout of a view's rows; bumped when a view's
// rows change shape, so that a newer build rebuilds rows an older one
// wrote (and an older build finds rows it cannot parse: DATA_LOSS, and
// rebuilds them too).
constexpr char kLayoutRow[] = "layout";
constexpr char kLayout[] = "6";
constexpr char kOlderLayoutPayload[] = "type.ledger/projections.older_layout";

}  // namespace

View::View(ViewOptions options)
    : options_(options),
      own_store_(std::make_unique<MemoryViewStore>()),
      store_(own_store_.get()) {}

View::~View() = default;

const ViewStore& View::store() const { return *store_; }

absl::Status View::Load(const ViewStore& store) {
  ASSIGN_OR_RETURN(const uint64_t checkpoint, store.ViewCheckpoint(name()));
  if (checkpoint > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> layout,
                     store.GetRow(name(), kLayoutRow));
    if (layout != kLayout) return OlderLayoutError(name());
  }
  layout_written_ = checkpoint > 0;
  store_ = &store;
  own_store_.reset();
  return Restore(store);
}

void View::TakeChanges(ViewChanges* changes) {
  const size_t puts = changes->puts.size();
  const size_t deletes = changes->deletes.size();
  Changes(changes);
  if (!layout_written_) {
    changes->puts.emplace_back(kLayoutRow, kLayout);
    layout_written_ = true;
  }
  if (own_store_ != nullptr) {
    // What this call added (a caller may gather several calls' changes).
    std::vector<ViewChanges> mine(1);  // Not a braced list: a copy.
    mine[0].view = name();
    mine[0].puts.assign(changes->puts.begin() + puts, changes->puts.end());
    mine[0].deletes.assign(changes->deletes.begin() + deletes,
                           changes->deletes.end());
    Break(own_store_->WriteViews(mine));
  }
}

absl::Status View::NeverReceived(const v1::Event& event) {
  return absl::NotFoundError(
      absl::StrCat("event ", event.position(), " of a case never received"));
}

absl::Status OlderLayoutError(const std::string& view) {
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      "the rows of view ", view, " were written by a build of another layout"));
  status.SetPayload(kOlderLayoutPayload, absl::Cord(kLayout));
  return status;
}

bool IsOlderLayout(const absl::Status& status) {
  return status.GetPayload(kOlderLayoutPayload).has_value();
}

void View::Apply(const v1::Event& event) {
  absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(event);
  if (!decoded.ok()) return Skip();
  Apply(*decoded);
}

absl::Status LoadRows(const ViewStore& store, const std::string& view,
                      absl::string_view key_prefix,
                      const std::function<bool(absl::string_view key,
                                               absl::string_view value)>& row) {
  absl::Status bad;
  RETURN_IF_ERROR(store.ScanView(
      view, key_prefix, [&](absl::string_view key, absl::string_view value) {
        if (row(key.substr(key_prefix.size()), value)) return true;
        bad = absl::DataLossError(
            absl::StrCat("row ", key, " of view ", view, " does not parse"));
        return false;
      }));
  return bad;
}

absl::StatusOr<bool> ReadRow(const ViewStore& store, const std::string& view,
                             absl::string_view key,
                             google::protobuf::Message* row) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, store.GetRow(view, key));
  if (!value.has_value()) return false;
  if (!row->ParseFromString(*value)) {
    return absl::DataLossError(
        absl::StrCat("row ", key, " of view ", view, " does not parse"));
  }
  return true;
}

std::string MonthGroup(const v1::Date& received_day) {
  return absl::StrFormat("%04d-%02d", received_day.year(),
                         received_day.month());
}

std::string MonthGroup(const v1::YearMonth& month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
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
