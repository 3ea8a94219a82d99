#include "app/app_state.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/projection_rows.pb.h"

namespace ledger {
namespace {

// The app-state database's views (ledger/FORMAT.md, "The app state").
// key, intake position -> entry; scanned by key, filtered by the store.
constexpr const char* kCustomers = EventStore::kAppStateCustomers;
static_assert(sizeof(CustomerIndex::Key) ==
              EventStore::kAppStateCustomerKeyBytes);
constexpr char kNumbers[] = "numbers";    // year -> its numbers
constexpr char kErasures[] = "erasures";  // data key id -> ""
constexpr char kLog[] = "log";            // "end" -> hash of the last event
constexpr char kEndRow[] = "end";

std::string KeyBytes(const CustomerIndex::Key& key) {
  return std::string(key.data(), key.size());
}

// A customer row's key: the customer's key, then the intake's position.
std::string EntryKey(absl::string_view customer_ref, uint64_t position) {
  std::string key = KeyBytes(CustomerIndex::KeyOf(customer_ref));
  PutFixed64BE(&key, position);
  return key;
}

constexpr size_t kEntryKeyBytes = sizeof(CustomerIndex::Key) + 8;

absl::Status Corrupt(absl::string_view what, absl::string_view key) {
  return absl::DataLossError(absl::StrCat("the app state's ", what, " row ",
                                          absl::BytesToHexString(key),
                                          " does not parse"));
}

v1::AppYearNumbersRow RowOf(const YearNumbers& numbers) {
  v1::AppYearNumbersRow row;
  row.set_last(numbers.last);
  for (const auto& [first, last] : numbers.free) {
    row.add_free_first(first);
    row.add_free_last(last);
  }
  return row;
}

YearNumbers NumbersOf(const v1::AppYearNumbersRow& row) {
  YearNumbers numbers;
  numbers.last = row.last();
  for (int i = 0; i < row.free_first_size() && i < row.free_last_size(); ++i) {
    numbers.Free(row.free_first(i), row.free_last(i));
  }
  return numbers;
}

// The events of the log between two flushes, as the rows they change.
struct Folded {
  std::vector<std::pair<std::string, v1::AppCustomerEntryRow>> entries;
  // Complaint id -> its entry in `entries`.
  absl::flat_hash_map<std::string, size_t> entry_of;
  absl::flat_hash_set<int64_t> years;  // Whose numbers changed.
  std::vector<std::string> erasures;
  uint64_t last = 0;
  std::string last_hash;
};

}  // namespace

AppState::AppState(EventStore* store, AppStateOptions options)
    : store_(*store), rows_(store->app_state()), options_(options) {}

absl::StatusOr<std::unique_ptr<AppState>> AppState::Open(
    EventStore* store, AppStateOptions options) {
  std::unique_ptr<AppState> state(new AppState(store, options));
  RETURN_IF_ERROR(state->Load());
  if (options.flush_every_events > 0 ||
      options.flush_every > absl::ZeroDuration()) {
    state->flusher_ = std::thread([s = state.get()] {
      NameThisThread("ledger-appstate");
      s->FlushLoop();
    });
  }
  return state;
}

AppState::~AppState() { Close(); }

void AppState::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    stop_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  if (absl::Status s = Flush(); !s.ok() && !absl::IsDataLoss(s)) {
    // The next open folds what was not written.
    LogWarn(absl::StrFormat("app state: %s", s.ToString()));
  }
}

absl::Status AppState::Load() {
  absl::MutexLock fold(&fold_mu_);
  std::string drop;
  absl::StatusOr<uint64_t> checkpoint = rows_.ViewCheckpoint(kLog);
  if (!checkpoint.ok()) {
    if (!absl::IsDataLoss(checkpoint.status())) return checkpoint.status();
    drop = std::string(checkpoint.status().message());
    checkpoint = 0;
  }
  const LogHead head = store_.log_head();
  if (drop.empty() && *checkpoint > head.position_last) {
    drop = absl::StrCat("its rows reach position ", *checkpoint,
                        " and the log ends at ", head.position_last);
  }
  if (drop.empty() && *checkpoint > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> hash,
                     rows_.GetRow(kLog, kEndRow));
    std::string found;
    absl::Status read = store_.ScanAll(*checkpoint, 1, [&](const v1::Event& e) {
      found = e.hash();
      return false;
    });
    if (absl::IsDataLoss(read)) {
      // The log is broken right there: commands are refused (broken()),
      // so the rows are left as they are.
      absl::MutexLock lock(&mu_);
      broken_ = read;
      flushed_ = *checkpoint;
      at_open_.checkpoint = *checkpoint;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(read);
    if (!hash.has_value() || *hash != found) {
      drop = absl::StrCat("the event at its position ", *checkpoint,
                          " is not the one it read (another history)");
    }
  }
  if (!drop.empty()) {
    LogWarn(absl::StrFormat(
        "app state: dropped and folded again from the log: %s", drop));
    RETURN_IF_ERROR(rows_.DropAllViews());
    at_open_.rebuilt_because = drop;
    checkpoint = 0;
  }
  at_open_.checkpoint = *checkpoint;
  {
    absl::MutexLock lock(&mu_);
    flushed_ = *checkpoint;
  }
  absl::Status scanned = rows_.ScanView(
      kNumbers, [this](absl::string_view key, absl::string_view value) {
        int64_t year = 0;
        v1::AppYearNumbersRow row;
        if (absl::SimpleAtoi(key, &year) &&
            row.ParseFromArray(value.data(), value.size())) {
          numbers_[year] = NumbersOf(row);
        }
        return true;
      });
  RETURN_IF_ERROR(scanned);
  if (absl::Status folded = FoldTo(head.position_last); !folded.ok()) {
    if (!absl::IsDataLoss(folded)) return folded;
  }
  at_open_.events_folded = flushed() - at_open_.checkpoint;
  numbers_at_open_ = numbers_;
  return rows_.ScanView(kErasures,
                        [this](absl::string_view key, absl::string_view) {
                          erased_at_open_.emplace_back(key);
                          return true;
                        });
}

absl::Status AppState::FoldTo(uint64_t end) {
  // In chunks, each written with its checkpoint: a fold of a whole log
  // (the first start of a ledger) holds one chunk's rows at a time, and
  // what it wrote stays written when it is stopped.
  constexpr uint64_t kChunk = 1 << 16;
  while (true) {
    const uint64_t at = flushed();
    if (at >= end) return absl::OkStatus();
    RETURN_IF_ERROR(FoldChunk(std::min(end, at + kChunk)));
    if (flushed() == at) return absl::OkStatus();  // The log ends sooner.
  }
}

absl::Status AppState::FoldChunk(uint64_t end) {
  uint64_t from = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!broken_.ok()) return broken_;
    from = flushed_ + 1;
  }
  if (end < from) return absl::OkStatus();
  Folded fold;
  absl::Status status;
  // The row of a complaint's intake: from this fold, else from the rows
  // (found by the intake, the first event of the complaint's stream).
  auto entry_of = [&](absl::string_view complaint_id)
      -> absl::StatusOr<v1::AppCustomerEntryRow*> {
    if (auto it = fold.entry_of.find(complaint_id); it != fold.entry_of.end()) {
      return &fold.entries[it->second].second;
    }
    ASSIGN_OR_RETURN(std::vector<v1::Event> first,
                     store_.ReadStream(ComplaintStream(complaint_id), 0,
                                       ReadDirection::kForward, 1));
    v1::ComplaintReceived received;
    if (first.empty() || !Is<v1::ComplaintReceived>(first[0]) ||
        !received.ParseFromString(first[0].payload()) ||
        received.customer_ref().empty()) {
      return nullptr;
    }
    std::string key = EntryKey(received.customer_ref(), first[0].position());
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     rows_.GetRow(kCustomers, key));
    if (!value.has_value()) return nullptr;
    v1::AppCustomerEntryRow entry;
    if (!entry.ParseFromString(*value)) return Corrupt(kCustomers, key);
    fold.entry_of[complaint_id] = fold.entries.size();
    fold.entries.emplace_back(std::move(key), std::move(entry));
    return &fold.entries.back().second;
  };
  auto visit = [&](const v1::Event& e) -> absl::Status {
    if (Is<v1::ComplaintReceived>(e)) {
      v1::ComplaintReceived received;
      if (!received.ParseFromString(e.payload())) return PayloadDoesNotParse(e);
      int64_t year = 0;
      int64_t number = 0;
      if (ParseComplaintNumber(ComplaintIdView(e.stream_id()), &year,
                               &number)) {
        numbers_[year].Committed(number);
        fold.years.insert(year);
      }
      // Received once only: its stream's first event (the store keeps
      // revisions unique), so no read of the rows is needed to know.
      if (received.customer_ref().empty() || e.revision() != 0) {
        return absl::OkStatus();
      }
      std::string key = EntryKey(received.customer_ref(), e.position());
      v1::AppCustomerEntryRow entry;
      entry.set_complaint_id(received.complaint_id());
      entry.set_received_time_us(received.received_time_us());
      fold.entry_of[received.complaint_id()] = fold.entries.size();
      fold.entries.emplace_back(std::move(key), std::move(entry));
    } else if (Is<v1::ComplaintClassified>(e)) {
      v1::ComplaintClassified classified;
      if (!classified.ParseFromString(e.payload())) {
        return PayloadDoesNotParse(e);
      }
      ASSIGN_OR_RETURN(v1::AppCustomerEntryRow * entry,
                       entry_of(ComplaintIdView(e.stream_id())));
      if (entry != nullptr) {
        entry->set_kind(classified.kind());
        entry->set_category(classified.category());
      }
    } else if (Is<v1::CustomerDataErased>(e)) {
      v1::CustomerDataErased erased;
      if (!erased.ParseFromString(e.payload())) return PayloadDoesNotParse(e);
      if (!erased.key_id().empty()) fold.erasures.push_back(erased.key_id());
    }
    return absl::OkStatus();
  };
  absl::Status scanned =
      store_.ScanAll(from, end - from + 1, [&](const v1::Event& e) {
        status = visit(e);
        if (!status.ok()) return false;
        fold.last = e.position();
        fold.last_hash = e.hash();
        return true;
      });
  if (scanned.ok()) scanned = status;
  if (fold.last >= from) {
    std::vector<ViewChanges> changes(4);
    changes[0].view = kCustomers;
    changes[0].puts.reserve(fold.entries.size());
    for (auto& [key, entry] : fold.entries) {
      changes[0].puts.emplace_back(std::move(key), entry.SerializeAsString());
    }
    changes[1].view = kNumbers;
    for (const int64_t year : fold.years) {
      changes[1].puts.emplace_back(absl::StrCat(year),
                                   RowOf(numbers_[year]).SerializeAsString());
    }
    changes[2].view = kErasures;
    for (std::string& key_id : fold.erasures) {
      changes[2].puts.emplace_back(std::move(key_id), "");
    }
    changes[3].view = kLog;
    changes[3].puts.emplace_back(kEndRow, fold.last_hash);
    for (ViewChanges& c : changes) c.checkpoint = fold.last;
    RETURN_IF_ERROR(rows_.WriteViews(changes));
    absl::MutexLock lock(&mu_);
    flushed_ = fold.last;
    unflushed_ = 0;
    // What the rows now hold leaves the overlay.
    for (auto it = intakes_.begin(); it != intakes_.end();) {
      std::vector<Intake>& list = it->second;
      list.erase(std::remove_if(
                     list.begin(), list.end(),
                     [&](const Intake& i) { return i.position <= fold.last; }),
                 list.end());
      if (list.empty()) {
        intakes_.erase(it++);
      } else {
        ++it;
      }
    }
    absl::erase_if(classified_, [&](const auto& c) {
      return c.second.position <= fold.last;
    });
  }
  if (absl::IsDataLoss(scanned)) {
    absl::MutexLock lock(&mu_);
    broken_ = scanned;
  }
  return scanned;
}

absl::Status AppState::Flush() {
  absl::MutexLock fold(&fold_mu_);
  return FoldTo(store_.log_head().position_last);
}

void AppState::FlushLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto due = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_ || (options_.flush_every_events > 0 &&
                         unflushed_ >= options_.flush_every_events);
      };
      if (options_.flush_every > absl::ZeroDuration()) {
        mu_.AwaitWithTimeout(absl::Condition(&due), options_.flush_every);
      } else {
        mu_.Await(absl::Condition(&due));
      }
      if (stop_) return;
      if (!broken_.ok()) continue;
    }
    if (absl::Status s = Flush(); !s.ok() && !absl::IsDataLoss(s)) {
      LogWarn(absl::StrFormat("app state: %s", s.ToString()));
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Seconds(1));
    }
  }
}

void AppState::Index(absl::Span<const DecodedEvent> events) {
  absl::MutexLock lock(&mu_);
  for (const DecodedEvent& event : events) {
    const v1::Event& e = event.event();
    // Folded into the rows already, by a flush that read the log.
    if (e.position() <= flushed_) continue;
    ++unflushed_;
    if (const auto* received = event.As<v1::ComplaintReceived>()) {
      if (received->customer_ref().empty() || e.revision() != 0) continue;
      PriorComplaint prior;
      prior.complaint_id = received->complaint_id();
      prior.received_time_us = received->received_time_us();
      intakes_[CustomerIndex::KeyOf(received->customer_ref())].push_back(
          Intake{e.position(), std::move(prior)});
    } else if (const auto* classified = event.As<v1::ComplaintClassified>()) {
      classified_[ComplaintIdView(e.stream_id())] = Classification{
          e.position(), classified->kind(), classified->category()};
    }
  }
}

absl::StatusOr<std::vector<PriorComplaint>> AppState::History(
    const std::string& customer_ref) const {
  const CustomerIndex::Key key = CustomerIndex::KeyOf(customer_ref);
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::pair<uint64_t, PriorComplaint>> found;
  absl::Status parsed;
  RETURN_IF_ERROR(rows_.ScanView(
      kCustomers, KeyBytes(key),
      [&](absl::string_view row_key, absl::string_view value) {
        v1::AppCustomerEntryRow entry;
        if (row_key.size() != kEntryKeyBytes ||
            !entry.ParseFromArray(value.data(), value.size())) {
          parsed = Corrupt(kCustomers, row_key);
          return false;
        }
        PriorComplaint prior;
        prior.complaint_id = entry.complaint_id();
        prior.received_time_us = entry.received_time_us();
        prior.kind = entry.kind();
        prior.category = entry.category();
        found.emplace_back(
            DecodeFixed64BE(std::string_view(row_key.data() + sizeof(key), 8)),
            std::move(prior));
        return true;
      }));
  RETURN_IF_ERROR(parsed);
  // The overlay's intakes come after the rows' (a flush between the two
  // reads leaves some in both: kept once).
  const uint64_t rows_end = found.empty() ? 0 : found.back().first;
  if (auto it = intakes_.find(key); it != intakes_.end()) {
    for (const Intake& intake : it->second) {
      if (intake.position > rows_end) {
        found.emplace_back(intake.position, intake.prior);
      }
    }
  }
  std::vector<PriorComplaint> history;
  history.reserve(found.size());
  for (auto& [position, prior] : found) {
    if (auto c = classified_.find(prior.complaint_id); c != classified_.end()) {
      prior.kind = c->second.kind;
      prior.category = c->second.category;
    }
    history.push_back(std::move(prior));
  }
  return history;
}

uint64_t AppState::flushed() const {
  absl::ReaderMutexLock lock(&mu_);
  return flushed_;
}

absl::Status AppState::broken() const {
  absl::ReaderMutexLock lock(&mu_);
  return broken_;
}

}  // namespace ledger
