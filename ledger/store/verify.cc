#include "ledger/store/verify.h"

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

}  // namespace

VerifyReport VerifyChain(const PageReader& read_page) {
  VerifyReport report;
  ChainVerifier chain;
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
    }
    if (!source_error.ok()) return Fail(std::move(report), source_error);
  }
  report.hash_last = chain.hash_last();
  return report;
}

VerifyReport VerifyStore(const EventStore& store) {
  // ScanAll checks every hash and link itself, on two threads for a long log.
  VerifyReport report;
  report.hash_last = GenesisHash();
  absl::Status s = store.ScanAll(1, store.log_head().position_last,
                                 [&report](const v1::Event& event) {
                                   ++report.events_verified;
                                   report.position_last = event.position();
                                   report.hash_last = event.hash();
                                   return true;
                                 });
  if (!s.ok()) return Fail(std::move(report), std::move(s));
  // Damage the walk cannot see: events missing after the intact end.
  if (absl::Status damage = store.damage(); !damage.ok()) {
    return Fail(std::move(report), std::move(damage));
  }
  return report;
}

}  // namespace ledger
