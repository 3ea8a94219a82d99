#include "ledger/store/verify.h"

#include "absl/strings/str_cat.h"
#include "ledger/store/chain.h"
#include "ledger/store/errors.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

VerifyReport Fail(VerifyReport report, absl::Status status) {
  report.first_broken_position = BrokenPosition(status);
  report.status = std::move(status);
  return report;
}

// The tree over the events walked, checked against a signed checkpoint
// once it reaches its size.
class SignedTree {
 public:
  explicit SignedTree(const std::optional<SignedCheckpoint>& checkpoint)
      : checkpoint_(checkpoint) {}

  absl::Status Add(const v1::Event& event, VerifyReport& report) {
    if (!checkpoint_.has_value() || range_.size() >= checkpoint_->size) {
      return absl::OkStatus();
    }
    range_.Append(merkle::LeafHash(event.hash()));
    if (range_.size() < checkpoint_->size) return absl::OkStatus();
    if (range_.Root() != checkpoint_->root) {
      return absl::DataLossError(
          absl::StrCat("events 1 to ", checkpoint_->size,
                       " are not those the log signed in its checkpoint of ",
                       checkpoint_->size, " events (root ",
                       merkle::Hex(checkpoint_->root), "; theirs is ",
                       merkle::Hex(range_.Root()), "): the log was rewritten"));
    }
    report.signed_size = checkpoint_->size;
    return absl::OkStatus();
  }

  // At the end of the walk: the log holds the checkpoint's events.
  absl::Status Finish(const VerifyReport& report) const {
    if (!checkpoint_.has_value() || report.position_last >= checkpoint_->size) {
      return absl::OkStatus();
    }
    return DataLossAt(
        report.position_last + 1,
        absl::StrCat("the log ends at position ", report.position_last,
                     ", but its checkpoint "
                     "of ",
                     checkpoint_->size,
                     " events was signed: events are missing"));
  }

 private:
  const std::optional<SignedCheckpoint>& checkpoint_;
  merkle::CompactRange range_;
};

}  // namespace

VerifyReport VerifyChain(const PageReader& read_page,
                         const std::optional<SignedCheckpoint>& checkpoint) {
  VerifyReport report;
  ChainVerifier chain;
  SignedTree tree(checkpoint);
  absl::Status source_error;
  while (true) {
    const uint64_t from = chain.position_last() + 1;
    absl::StatusOr<std::vector<v1::Event>> page = read_page(from, kMaxPageSize);
    if (!page.ok()) {
      const std::optional<uint64_t> broken = BrokenPosition(page.status());
      if (!broken.has_value() || *broken <= from ||
          *broken - from > kMaxPageSize) {
        return Fail(std::move(report), page.status());
      }
      // Check the good events before the broken one, then stop.
      source_error = page.status();
      page = read_page(from, static_cast<uint32_t>(*broken - from));
      if (!page.ok()) return Fail(std::move(report), page.status());
    }
    if (page->empty()) break;
    for (const v1::Event& event : *page) {
      if (absl::Status s = chain.Add(event); !s.ok()) {
        return Fail(std::move(report), std::move(s));
      }
      ++report.events_verified;
      report.position_last = chain.position_last();
      report.hash_last = chain.hash_last();
      if (absl::Status s = tree.Add(event, report); !s.ok()) {
        return Fail(std::move(report), std::move(s));
      }
    }
    if (!source_error.ok()) return Fail(std::move(report), source_error);
  }
  report.hash_last = chain.hash_last();
  if (absl::Status s = tree.Finish(report); !s.ok()) {
    return Fail(std::move(report), std::move(s));
  }
  return report;
}

VerifyReport VerifyStore(const EventStore& store) {
  // ScanAll checks every hash and link itself, on two threads for a long log.
  VerifyReport report;
  report.hash_last = GenesisHash();
  std::optional<SignedCheckpoint> checkpoint;
  if (absl::StatusOr<SignedCheckpoint> latest = store.LatestCheckpoint();
      latest.ok()) {
    checkpoint = *std::move(latest);
  }
  SignedTree tree(checkpoint);
  absl::Status signed_ok;
  absl::Status s = store.ScanAll(1, store.log_head().position_last,
                                 [&](const v1::Event& event) {
                                   ++report.events_verified;
                                   report.position_last = event.position();
                                   report.hash_last = event.hash();
                                   signed_ok = tree.Add(event, report);
                                   return signed_ok.ok();
                                 });
  if (!s.ok()) return Fail(std::move(report), std::move(s));
  if (!signed_ok.ok()) return Fail(std::move(report), std::move(signed_ok));
  if (absl::Status end = tree.Finish(report); !end.ok()) {
    return Fail(std::move(report), std::move(end));
  }
  // Damage the walk cannot see: events missing after the intact end.
  if (absl::Status damage = store.damage(); !damage.ok()) {
    return Fail(std::move(report), std::move(damage));
  }
  return report;
}

}  // namespace ledger
