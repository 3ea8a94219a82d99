#include "projections/runner.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "projections/fold.h"

namespace ledger {
namespace {

// Events folded between two writes of the views, at the most.
constexpr uint64_t kFlushEvery = 4096;

}  // namespace

ProjectionRunner::ProjectionRunner(ViewStore* rows,
                                   std::unique_ptr<LogSource> log,
                                   std::vector<std::unique_ptr<View>> views)
    : ProjectionRunner(rows, std::move(log), std::move(views), Options()) {}

ProjectionRunner::ProjectionRunner(ViewStore* rows,
                                   std::unique_ptr<LogSource> log,
                                   std::vector<std::unique_ptr<View>> views,
                                   Options options)
    : rows_(*rows), log_(std::move(log)), options_(options) {
  absl::MutexLock lock(&mu_);
  for (auto& v : views) views_.push_back(Entry{std::move(v), 0});
}

ProjectionRunner::~ProjectionRunner() { Stop(); }

absl::Status ProjectionRunner::LoadViews() {
  // Each view parses its own rows: side by side, a restart waits for the
  // largest view rather than for all of them (BENCHMARKS.md, "Restart and
  // memory").
  std::vector<absl::Status> loaded(views_.size());
  {
    std::vector<std::thread> loaders;
    for (size_t i = 0; i < views_.size(); ++i) {
      loaders.emplace_back([this, &loaded, i, view = views_[i].view.get()] {
        NameThisThread("ledger-load");
        loaded[i] = view->Load(rows_);
      });
    }
    for (std::thread& t : loaders) t.join();
  }
  for (size_t i = 0; i < views_.size(); ++i) {
    RETURN_IF_ERROR(loaded[i]);
    Entry& e = views_[i];
    ASSIGN_OR_RETURN(e.checkpoint, rows_.ViewCheckpoint(e.view->name()));
  }
  return absl::OkStatus();
}

absl::Status ProjectionRunner::Start() {
  const absl::Status loaded = Load();
  std::vector<std::function<void(absl::Status)>> waiting;
  {
    absl::MutexLock lock(&load_mu_);
    loaded_ = true;
    load_status_ = loaded;
    waiting.swap(waiting_);
  }
  if (loaded.ok() && !stop_.load()) {
    thread_ = std::thread([this] {
      NameThisThread("ledger-project");
      // Behind the commands for the CPU (Linux's niceness is per thread):
      // when both cores are busy the views fall behind and catch up after,
      // rather than the writers slowing down for them.
      if (options_.niceness != 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()),
                    options_.niceness);
      }
      Loop();
    });
  }
  for (auto& then : waiting) then(loaded);
  ReportHealth();
  return loaded;
}

void ProjectionRunner::WhenLoaded(
    std::function<void(absl::Status)> then) const {
  absl::Status loaded;
  {
    absl::MutexLock lock(&load_mu_);
    if (!loaded_) {
      waiting_.push_back(std::move(then));
      return;
    }
    loaded = load_status_;
  }
  then(loaded);
}

absl::Status ProjectionRunner::Load() {
  {
    absl::MutexLock lock(&mu_);
    if (options_.while_loading) options_.while_loading();
    if (absl::Status loaded = LoadViews(); !loaded.ok()) {
      // Views are derived: damaged ones are dropped and rebuilt from the
      // log, which alone is the record.
      if (!absl::IsDataLoss(loaded) && !IsOlderLayout(loaded)) return loaded;
      // Without the status's payload (what marks an older layout).
      const std::string why = absl::StrCat(
          absl::StatusCodeToString(loaded.code()), ": ", loaded.message());
      std::fprintf(
          stderr,
          "projections: the views %s (%s); dropping them and "
          "rebuilding them from the log\n",
          IsOlderLayout(loaded) ? "are of another layout" : "are damaged",
          why.c_str());
      RETURN_IF_ERROR(rows_.DropAllViews());
      for (Entry& e : views_) e.view = e.view->NewEmpty();
      rebuilt_after_ = why;
      RETURN_IF_ERROR(LoadViews());
    }
    uint64_t from = std::numeric_limits<uint64_t>::max();
    for (const Entry& e : views_) from = std::min(from, e.checkpoint);
    position_ = views_.empty() ? 0 : from;
    flushed_ = position_;
    // A remote ledger away now is waited for (Loop); one that answers must
    // reach as far as every view has read.
    uint64_t furthest = 0;
    for (const Entry& e : views_) furthest = std::max(furthest, e.checkpoint);
    if (absl::StatusOr<uint64_t> head = log_->Head(); head.ok()) {
      log_end_ = *head;
      if (*head < furthest) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the views have read the log up to position ", furthest,
            " but the log of ", log_->name(), " ends at ", *head,
            ": they were built from another ledger; give them their own "
            "directory or rebuild them"));
      }
    }
  }
  return absl::OkStatus();
}

void ProjectionRunner::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  absl::Status s = Flush(/*side_by_side=*/false);
  if (!s.ok()) LogWarn(absl::StrFormat("projections: %s", s.ToString()));
}

bool ProjectionRunner::CatchUp() {
  // How long the catch-up took and where, said once it ends (a first start
  // on a big ledger, or after a long stop).
  uint64_t caught_up = 0;
  absl::Duration folding, writing;
  const absl::Time began = absl::Now();
  auto report = absl::MakeCleanup([&] {
    if (caught_up == 0) return;
    const double s = absl::ToDoubleSeconds(absl::Now() - began);
    LogInfo(absl::StrFormat(
        "projections: caught up on %d events in %.2f s (%.0f events/s): "
        "folding %.2f s, writing the rows %.2f s",
        caught_up, s, s > 0 ? caught_up / s : 0.0,
        absl::ToDoubleSeconds(folding), absl::ToDoubleSeconds(writing)));
  });
  while (!stop_.load()) {
    // Trouble with the source is left to Follow, which rides it out or
    // reports it.
    absl::StatusOr<uint64_t> head = log_->Head();
    if (!head.ok()) return true;
    absl::MutexLock lock(&mu_);
    if (views_.empty()) return true;
    // position_ is where the views furthest behind stand. Views at
    // different positions (a crash between the per-view writes of a
    // catch-up, a view rebuilt or added) first fold up to the furthest,
    // in chunks, however short the stretch: the event-by-event path would
    // then take the whole rest of the log.
    uint64_t furthest = 0;
    for (const Entry& e : views_) furthest = std::max(furthest, e.checkpoint);
    const uint64_t target = furthest > position_ ? furthest : *head;
    if (furthest == position_ &&
        *head < position_ + options_.catch_up_min_events) {
      return true;
    }
    std::vector<Entry*> behind;
    std::vector<View*> views;
    for (Entry& e : views_) {
      if (e.checkpoint != position_) continue;
      behind.push_back(&e);
      views.push_back(e.view.get());
    }
    const uint64_t to = std::min(
        target,
        position_ + std::max<uint64_t>(options_.catch_up_chunk_events, 1));
    if (to <= position_) return true;
    uint64_t last = position_;
    const absl::Time fold_began = absl::Now();
    absl::Status folded = Fold(*log_, position_ + 1, to, views,
                               /*threads=*/2, &last);
    const absl::Time write_began = absl::Now();
    folding += write_began - fold_began;
    caught_up += last - position_;
    for (Entry* e : behind) e->checkpoint = last;
    position_ = std::numeric_limits<uint64_t>::max();
    for (const Entry& e : views_) position_ = std::min(position_, e.checkpoint);
    log_end_ = std::max(log_end_, *head);
    absl::Status flushed = Flush(/*side_by_side=*/true);
    writing += absl::Now() - write_began;
    if (absl::Status s = flushed; !s.ok()) {
      // As when following: the rows cannot be written, so stop.
      error_ = s;
      LogWarn(absl::StrFormat("projections: %s", s.ToString()));
      return false;
    }
    if (!folded.ok() || last < to) return true;
  }
  return true;
}

void ProjectionRunner::Loop() {
  if (!CatchUp()) {
    ReportHealth();
    return;
  }
  uint64_t from;
  {
    absl::MutexLock lock(&mu_);
    from = position_ + 1;
  }
  absl::Status s = log_->Follow(
      from,
      [this](const v1::SubscribeResponse& r) {
        absl::MutexLock lock(&mu_);
        if (r.has_event()) {
          const v1::Event& e = r.event();
          // Parsed once for every view.
          absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(e);
          for (Entry& entry : views_) {
            if (e.position() <= entry.checkpoint) continue;
            if (decoded.ok()) {
              entry.view->Apply(*decoded);
            } else {
              entry.view->Skip();
            }
            entry.checkpoint = e.position();
          }
          position_ = e.position();
          log_end_ = std::max(log_end_, position_);
          if (++unflushed_ < kFlushEvery) return true;
        } else if (r.has_checkpoint()) {
          position_ = std::max(position_, r.checkpoint().position());
          for (Entry& entry : views_) {
            entry.checkpoint = std::max(entry.checkpoint, position_);
          }
        } else if (r.has_heartbeat()) {
          log_end_ = std::max(log_end_, r.heartbeat().log_position());
        }
        if (position_ == flushed_) return true;  // Nothing new to write.
        // A full window side by side; the few events of a quiet moment
        // are not worth a thread.
        absl::Status flushed = Flush(unflushed_ >= kFlushEvery);
        if (!flushed.ok()) {
          error_ = flushed;
          LogWarn(absl::StrFormat("projections: %s", flushed.ToString()));
          return false;
        }
        return true;
      },
      [this] { return stop_.load(); },
      [this](const absl::Status& error) { SetError(error); });
  if (!s.ok()) {
    LogWarn(absl::StrFormat("projections: stopped: %s", s.ToString()));
    SetError(s);
  }
  ReportHealth();  // A write that failed stopped it too.
}

void ProjectionRunner::SetError(const absl::Status& error) {
  bool recovered;
  {
    absl::MutexLock lock(&mu_);
    recovered = error.ok() && !error_.ok();
    error_ = error;
  }
  if (!error.ok()) {
    LogWarn(absl::StrFormat("projections: %s", error.ToString()));
  } else if (recovered) {
    // A projection process's ledger back after an outage, say.
    LogInfo(absl::StrFormat("projections: following %s again", log_->name()));
  }
  ReportHealth();
}

void ProjectionRunner::OnHealth(std::function<void(bool following)> report) {
  {
    absl::MutexLock health(&health_mu_);
    on_health_ = std::move(report);
    reported_.reset();
  }
  ReportHealth();
}

void ProjectionRunner::ReportHealth() {
  absl::MutexLock health(&health_mu_);
  bool following;
  {
    // Not mu_ before the views are loaded: Start holds it meanwhile.
    absl::MutexLock loaded(&load_mu_);
    following = loaded_ && load_status_.ok();
  }
  if (following) {
    absl::ReaderMutexLock lock(&mu_);
    following = error_.ok();
  }
  if (!on_health_ || reported_ == following) return;
  reported_ = following;
  on_health_(following);
}

absl::Status ProjectionRunner::Flush(bool side_by_side) {
  // After a write that failed nothing more is written: the rows it held
  // were handed over (TakeChanges), and a later write would put the
  // views' checkpoints past them. A restart resumes from what is on disk.
  RETURN_IF_ERROR(write_error_);
  for (Entry& e : views_) {
    // A view whose rows could not be read has folded wrong: nothing of it
    // is written, and the runner stops.
    RETURN_IF_ERROR(e.view->broken());
  }
  auto take = [](View* view, uint64_t checkpoint) {
    ViewChanges c;
    c.view = view->name();
    view->TakeChanges(&c);
    c.checkpoint = checkpoint;
    return c;
  };
  if (!side_by_side || views_.size() < 2) {
    // Every view's rows in one batch.
    std::vector<ViewChanges> changes;
    for (Entry& e : views_) {
      changes.push_back(take(e.view.get(), e.checkpoint));
    }
    write_error_ = rows_.WriteViews(changes);
    RETURN_IF_ERROR(write_error_);
  } else {
    // Two threads take the views in turn, each serialising a view's rows
    // and writing them with the view's checkpoint in a batch of their own
    // while the other does the next: a crash between two writes leaves
    // views at different positions, each resuming after its own. On one
    // thread, writing the rows was ~40% of a catch-up (BENCHMARKS.md,
    // "Rebuilding the views").
    std::vector<std::pair<View*, uint64_t>> views;
    for (Entry& e : views_) views.emplace_back(e.view.get(), e.checkpoint);
    std::atomic<size_t> next{0};
    auto write = [this, &views, &next, &take]() -> absl::Status {
      for (size_t i = next++; i < views.size(); i = next++) {
        // Moved in: a braced list would copy every row.
        std::vector<ViewChanges> changes;
        changes.push_back(take(views[i].first, views[i].second));
        RETURN_IF_ERROR(rows_.WriteViews(changes));
      }
      return absl::OkStatus();
    };
    absl::Status other;
    std::thread helper([&write, &other] {
      NameThisThread("ledger-flush");
      other = write();
    });
    absl::Status mine = write();
    helper.join();
    write_error_ = !mine.ok() ? mine : other;
    RETURN_IF_ERROR(write_error_);
  }
  unflushed_ = 0;
  flushed_ = position_;
  return absl::OkStatus();
}

const ProjectionRunner::Entry* ProjectionRunner::Find(
    const std::string& name) const {
  for (const Entry& e : views_) {
    if (e.view->name() == name) return &e;
  }
  return nullptr;
}

bool ProjectionRunner::WaitFor(uint64_t position, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return position_ >= position;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

absl::Status ProjectionRunner::Read(
    const std::string& name,
    const std::function<absl::Status(const View&, uint64_t)>& read) const {
  absl::ReaderMutexLock lock(&mu_);
  const Entry* e = Find(name);
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection named ", name));
  }
  return read(*e->view, e->checkpoint);
}

absl::StatusOr<std::unique_ptr<View>> ProjectionRunner::AsOf(
    const std::string& name, uint64_t position) const {
  std::unique_ptr<View> view;
  {
    absl::ReaderMutexLock lock(&mu_);
    const Entry* e = Find(name);
    if (e == nullptr) {
      return absl::NotFoundError(absl::StrCat("no projection named ", name));
    }
    view = e->view->NewEmpty();
  }
  ASSIGN_OR_RETURN(const uint64_t head, log_->Head());
  if (position > head) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of_position ", position,
                     " is past the end of the log (", head, ")"));
  }
  RETURN_IF_ERROR(Fold(*log_, 1, position, {view.get()}, 1));
  RETURN_IF_ERROR(view->broken());
  // Into the view's own store, so that its queries read its index rather
  // than every complaint it changed.
  ViewChanges written;
  view->TakeChanges(&written);
  RETURN_IF_ERROR(view->broken());
  return view;
}

absl::StatusOr<uint64_t> ProjectionRunner::Rebuild(const std::string& name) {
  absl::MutexLock lock(&mu_);
  Entry* entry = nullptr;
  for (Entry& e : views_) {
    if (e.view->name() == name) entry = &e;
  }
  if (entry == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection named ", name));
  }
  // The runner's own loop waits on this lock meanwhile: the rebuilt view
  // reaches exactly where the others are and carries on with them. Its
  // rows are written chunk by chunk as it goes (memory stays bounded), each
  // chunk with its checkpoint: stopped half way, it carries on from there.
  RETURN_IF_ERROR(rows_.DropView(name));
  std::unique_ptr<View> fresh = entry->view->NewEmpty();
  RETURN_IF_ERROR(fresh->Load(rows_));
  entry->view = std::move(fresh);
  entry->checkpoint = 0;
  const uint64_t chunk = std::max<uint64_t>(options_.catch_up_chunk_events, 1);
  auto fold = [&]() -> absl::Status {
    for (uint64_t from = 1; from <= position_; from += chunk) {
      const uint64_t to = std::min(position_, from + chunk - 1);
      RETURN_IF_ERROR(Fold(*log_, from, to, {entry->view.get()}, 1));
      RETURN_IF_ERROR(entry->view->broken());
      std::vector<ViewChanges> changes(1);  // Not a braced list: a copy.
      changes[0].view = name;
      entry->view->TakeChanges(&changes[0]);
      changes[0].checkpoint = to;
      RETURN_IF_ERROR(rows_.WriteViews(changes));
      entry->checkpoint = to;
    }
    return absl::OkStatus();
  };
  if (absl::Status folded = fold(); !folded.ok()) {
    // The view stands half rebuilt, behind the others, and would miss what
    // comes next: the runner reports it stopped; a restart carries on
    // from the view's checkpoint.
    error_ = absl::Status(
        folded.code(), absl::StrCat("rebuilding view ", name, " stopped at ",
                                    entry->checkpoint, ": ", folded.message()));
    return error_;
  }
  return position_;
}

std::vector<v1::ProjectionInfo> ProjectionRunner::List() const {
  // The end of the log as the source says now; while it cannot say (a
  // remote ledger away), as it last said.
  absl::StatusOr<uint64_t> asked = log_->Head();
  absl::ReaderMutexLock lock(&mu_);
  const uint64_t head = asked.ok() ? *asked : log_end_;
  std::vector<v1::ProjectionInfo> list;
  for (const Entry& e : views_) {
    v1::ProjectionInfo info;
    info.set_name(e.view->name());
    info.set_checkpoint(e.checkpoint);
    info.set_lag(head > e.checkpoint ? head - e.checkpoint : 0);
    info.set_skipped(e.view->skipped());
    info.set_source(log_->name());
    if (!error_.ok()) info.set_error(error_.ToString());
    info.set_rebuilt_after(rebuilt_after_);
    list.push_back(std::move(info));
  }
  return list;
}

}  // namespace ledger
