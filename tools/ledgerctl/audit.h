// ledgerctl audit: an auditor's tools for the log's Merkle tree and signed
// checkpoints (proto/ledger/v1/audit_service.proto). Every answer of the
// server is checked here before it is believed: notes against the log's
// verifier key (--log_key, as the operator published it), proofs with the
// RFC 9162 verifiers, events against their own hashes.
//
//   audit checkpoint [--size N] [--out FILE]   fetch, check, print, save
//   audit prove POSITION [--checkpoint FILE]   the event is in the log
//   audit consistency FILE [--out NEW]         today's log extends FILE's
//   audit export DIR --month YYYY-MM           a month for offline audit
//   audit verify-export DIR                    check an export, no server
//   audit keygen ORIGIN FILE                   a new signing key (0600);
//                                              prints its verifier key
//
// Exit codes as ledgerctl's: 1 when a check fails (the message says what
// did not hold: a rewritten or truncated log, a changed event).
#ifndef LEDGER_TOOLS_LEDGERCTL_AUDIT_H_
#define LEDGER_TOOLS_LEDGERCTL_AUDIT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/store/event_store.h"
#include "tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

// The server's latest checkpoint, its note checked under --log_key (or
// the key the server gives, with a warning on `err`); nullopt when the
// ledger signs none (or has no tree yet). For `verify`.
absl::StatusOr<std::optional<SignedCheckpoint>> LatestSignedCheckpoint(
    const Options& options, std::ostream& err);

// args[0] is the audit command.
int AuditCommand(const std::vector<std::string>& args, const Options& options,
                 std::ostream& out, std::ostream& err);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_AUDIT_H_
