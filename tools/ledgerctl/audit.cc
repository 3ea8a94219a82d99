#include "tools/ledgerctl/audit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/sha256.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/store/chain.h"
#include "ledger/store/merkle.h"
#include "ledger/store/signed_note.h"
#include "ledger/v1/audit_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tools/ledgerctl/cli.h"
#include "tools/ledgerctl/client.h"
#include "tools/ledgerctl/event_format.h"

namespace ledger::ctl {
namespace {

using AuditClient = Client<v1::AuditService>;
using LogClient = Client<v1::Ledger>;

constexpr char kExportFormat[] = "complaint-ledger-audit-export/1";
// Events per page read for an export.
constexpr uint32_t kExportPage = 1000;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read it"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The log's verifier key: the one given, else `fallback` (what the server
// or the export says) with a warning that it proves less.
absl::StatusOr<NoteVerifier> LogKey(const Options& options,
                                    const std::string& fallback,
                                    absl::string_view from, std::ostream& err) {
  std::string text = options.log_key;
  if (text.empty() && !options.log_key_file.empty()) {
    absl::StatusOr<std::string> file = ReadFile(options.log_key_file);
    if (!file.ok()) return file.status();
    text = *std::move(file);
  }
  if (text.empty()) {
    if (fallback.empty()) {
      return absl::FailedPreconditionError(
          "the log's verifier key is needed: --log_key or --log_key_file");
    }
    err << "ledgerctl: checking against the key " << from
        << " gives; pin the log's own key with --log_key to rule out a "
           "forged log\n";
    text = fallback;
  }
  return NoteVerifier::Parse(absl::StripAsciiWhitespace(text));
}

// A note checked under `key` and read as a checkpoint of that log.
absl::StatusOr<Checkpoint> OpenCheckpoint(const NoteVerifier& key,
                                          const std::string& note) {
  absl::StatusOr<std::string> text = key.Open(note);
  if (!text.ok()) return text.status();
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpointText(*text);
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->origin != key.name()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the checkpoint is of log ", checkpoint->origin,
                     ", not of ", key.name()));
  }
  return checkpoint;
}

struct Fetched {
  Checkpoint checkpoint;
  std::string note;
  NoteVerifier key;
};

// The server's checkpoint of `size` events (0: the latest), checked.
absl::StatusOr<Fetched> FetchCheckpoint(AuditClient& client, uint64_t size,
                                        const Options& options,
                                        std::ostream& err) {
  v1::GetCheckpointRequest request;
  request.set_tree_size(size);
  v1::GetCheckpointResponse response;
  absl::Status s =
      client.Call(&v1::AuditService::Stub::GetCheckpoint, request, &response);
  if (!s.ok()) return s;
  absl::StatusOr<NoteVerifier> key =
      LogKey(options, response.verifier_key(), "the server", err);
  if (!key.ok()) return key.status();
  absl::StatusOr<Checkpoint> checkpoint = OpenCheckpoint(*key, response.note());
  if (!checkpoint.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server's checkpoint does not verify under the log's key ",
        key->Text(), ": ", checkpoint.status().message()));
  }
  if (size != 0 && checkpoint->size != size) {
    return absl::FailedPreconditionError(
        absl::StrCat("asked for the checkpoint of ", size,
                     " events, got one of ", checkpoint->size));
  }
  return Fetched{*std::move(checkpoint), response.note(), *std::move(key)};
}

// A checkpoint saved in a file, checked. The key may come from the server.
absl::StatusOr<Fetched> SavedCheckpoint(AuditClient* client,
                                        const std::string& path,
                                        const Options& options,
                                        std::ostream& err) {
  absl::StatusOr<std::string> note = ReadFile(path);
  if (!note.ok()) return note.status();
  std::string server_key;
  if (options.log_key.empty() && options.log_key_file.empty() &&
      client != nullptr) {
    v1::GetCheckpointResponse response;
    absl::Status s = client->Call(&v1::AuditService::Stub::GetCheckpoint,
                                  v1::GetCheckpointRequest(), &response);
    if (!s.ok()) return s;
    server_key = response.verifier_key();
  }
  absl::StatusOr<NoteVerifier> key =
      LogKey(options, server_key, "the server", err);
  if (!key.ok()) return key.status();
  absl::StatusOr<Checkpoint> checkpoint = OpenCheckpoint(*key, *note);
  if (!checkpoint.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " does not verify under the log's key ", key->Text(),
                     ": ", checkpoint.status().message()));
  }
  return Fetched{*std::move(checkpoint), *std::move(note), *std::move(key)};
}

std::string Describe(const Checkpoint& c) {
  return absl::StrCat("the checkpoint of ", c.size, " events of log ", c.origin,
                      " (root ", merkle::Hex(c.root), ")");
}

absl::StatusOr<std::vector<merkle::Hash>> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<merkle::Hash> out;
  out.reserve(in.size());
  for (const std::string& h : in) {
    absl::StatusOr<merkle::Hash> hash = merkle::FromBytes(h);
    if (!hash.ok()) return hash.status();
    out.push_back(*hash);
  }
  return out;
}

int CheckpointCommand(const Options& options, std::ostream& out,
                      std::ostream& err) {
  AuditClient client(options);
  absl::StatusOr<Fetched> got =
      FetchCheckpoint(client, options.tree_size, options, err);
  if (!got.ok()) return Fail(err, got.status());
  const std::string path =
      options.out_file.empty()
          ? absl::StrCat("checkpoint-", got->checkpoint.size, ".note")
          : options.out_file;
  if (absl::Status s = WriteFile(path, got->note); !s.ok()) return Fail(err, s);
  out << got->note << "\n"
      << "verified: " << Describe(got->checkpoint) << ", signed by key "
      << got->key.Text() << "\nsaved to " << path << "\n";
  return kExitOk;
}

int ProveCommand(const std::string& position_text, const Options& options,
                 std::ostream& out, std::ostream& err) {
  uint64_t position = 0;
  if (!absl::SimpleAtoi(position_text, &position) || position == 0) {
    err << "ledgerctl: audit prove POSITION: a position of the log (1, 2, "
           "...), not "
        << position_text << "\n";
    return kExitUsage;
  }
  AuditClient audit(options);
  absl::StatusOr<Fetched> cp =
      options.checkpoint_file.empty()
          ? FetchCheckpoint(audit, options.tree_size, options, err)
          : SavedCheckpoint(&audit, options.checkpoint_file, options, err);
  if (!cp.ok()) return Fail(err, cp.status());
  if (position > cp->checkpoint.size) {
    return Fail(err, absl::OutOfRangeError(absl::StrCat(
                         "event ", position, " is not in ",
                         Describe(cp->checkpoint), "; try a later one")));
  }
  LogClient log(options);
  v1::ReadAllRequest read;
  read.set_from_position(position);
  read.set_limit(1);
  v1::ReadAllResponse page;
  if (absl::Status s = log.Call(&v1::Ledger::Stub::ReadAll, read, &page);
      !s.ok()) {
    return Fail(err, s);
  }
  if (page.events().empty() || page.events(0).position() != position) {
    return Fail(err, absl::NotFoundError(
                         absl::StrCat("the server has no event ", position)));
  }
  const v1::Event& event = page.events(0);
  if (ComputeEventHash(event) != event.hash()) {
    return Fail(err, absl::FailedPreconditionError(
                         absl::StrCat("the server's event ", position,
                                      " does not match its own hash")));
  }
  v1::GetInclusionProofRequest request;
  request.set_position(position);
  request.set_tree_size(cp->checkpoint.size);
  v1::GetInclusionProofResponse response;
  if (absl::Status s = audit.Call(&v1::AuditService::Stub::GetInclusionProof,
                                  request, &response);
      !s.ok()) {
    return Fail(err, s);
  }
  absl::StatusOr<std::vector<merkle::Hash>> proof = Hashes(response.hashes());
  if (!proof.ok()) return Fail(err, proof.status());
  absl::Status verified = merkle::VerifyInclusion(
      position - 1, cp->checkpoint.size, merkle::LeafHash(event.hash()), *proof,
      cp->checkpoint.root);
  if (!verified.ok()) {
    return Fail(
        err, absl::FailedPreconditionError(absl::StrCat(
                 "event ", position, " as the server gives it is NOT ", "in ",
                 Describe(cp->checkpoint), ": ", verified.message())));
  }
  out << "verified: event " << position << " (" << event.event_type() << " in "
      << event.stream_id() << ", hash " << absl::BytesToHexString(event.hash())
      << ") is in " << Describe(cp->checkpoint) << "; inclusion proof of "
      << proof->size() << " hashes\n";
  return kExitOk;
}

int ConsistencyCommand(const std::string& saved, const Options& options,
                       std::ostream& out, std::ostream& err) {
  AuditClient audit(options);
  absl::StatusOr<Fetched> old = SavedCheckpoint(&audit, saved, options, err);
  if (!old.ok()) return Fail(err, old.status());
  absl::StatusOr<Fetched> now = FetchCheckpoint(audit, 0, options, err);
  if (!now.ok()) return Fail(err, now.status());
  if (now->key.Text() != old->key.Text()) {
    return Fail(err, absl::FailedPreconditionError(
                         "the two checkpoints are signed by different keys"));
  }
  const Checkpoint& a = old->checkpoint;
  const Checkpoint& b = now->checkpoint;
  if (b.size < a.size) {
    return Fail(err, absl::FailedPreconditionError(absl::StrCat(
                         "NOT CONSISTENT: the log's latest checkpoint has ",
                         b.size, " events, fewer than the ", a.size,
                         " of yours: the log was cut short or rolled back")));
  }
  std::vector<merkle::Hash> proof;
  if (a.size > 0) {
    v1::GetConsistencyProofRequest request;
    request.set_from_size(a.size);
    request.set_to_size(b.size);
    v1::GetConsistencyProofResponse response;
    if (absl::Status s = audit.Call(
            &v1::AuditService::Stub::GetConsistencyProof, request, &response);
        !s.ok()) {
      return Fail(err, s);
    }
    absl::StatusOr<std::vector<merkle::Hash>> hashes =
        Hashes(response.hashes());
    if (!hashes.ok()) return Fail(err, hashes.status());
    proof = *std::move(hashes);
  }
  absl::Status verified =
      merkle::VerifyConsistency(a.size, b.size, a.root, b.root, proof);
  if (!verified.ok()) {
    return Fail(err, absl::FailedPreconditionError(absl::StrCat(
                         "NOT CONSISTENT: the log of ", b.size,
                         " events does not extend your checkpoint of ", a.size,
                         " events: its history was rewritten (",
                         verified.message(), ")")));
  }
  if (!options.out_file.empty()) {
    if (absl::Status s = WriteFile(options.out_file, now->note); !s.ok()) {
      return Fail(err, s);
    }
  }
  out << "verified: the log of " << b.size << " events (root "
      << merkle::Hex(b.root) << ") extends your checkpoint of " << a.size
      << " events (root " << merkle::Hex(a.root) << "); consistency proof of "
      << proof.size() << " hashes"
      << (options.out_file.empty()
              ? ""
              : absl::StrCat("; saved the new one to ", options.out_file))
      << "\n";
  return kExitOk;
}

// [start, end) of a YYYY-MM month in `zone`.
absl::StatusOr<std::pair<absl::Time, absl::Time>> MonthSpan(
    const std::string& month, const absl::TimeZone& zone) {
  absl::StatusOr<std::pair<int, int>> parsed = ParseMonthFlag("month", month);
  if (!parsed.ok()) return parsed.status();
  const auto [year, m] = *parsed;
  const absl::Time start = absl::FromCivil(absl::CivilMonth(year, m), zone);
  const absl::Time end = absl::FromCivil(absl::CivilMonth(year, m) + 1, zone);
  return std::make_pair(start, end);
}

// The first position whose event was recorded at or after `t` (times do
// not go back along the log), head + 1 when none.
absl::StatusOr<uint64_t> FirstAtOrAfter(LogClient& log, uint64_t head,
                                        absl::Time t) {
  uint64_t lo = 1, hi = head + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    v1::ReadAllRequest read;
    read.set_from_position(mid);
    read.set_limit(1);
    v1::ReadAllResponse page;
    absl::Status s = log.Call(&v1::Ledger::Stub::ReadAll, read, &page);
    if (!s.ok()) return s;
    if (page.events().empty()) {
      return absl::NotFoundError(absl::StrCat("no event ", mid));
    }
    if (absl::FromUnixMicros(page.events(0).recorded_time_us()) >= t) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::string Json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.add_whitespace = pretty;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  return json;
}

// One line of events.jsonl: a v1::AuditExportEvent in protobuf JSON
// (written here directly: protobuf's JSON printer took most of an
// export's time).
std::string ExportLine(const v1::Event& e, const std::string& canonical) {
  return absl::StrCat(
      "{\"position\":\"", e.position(), "\",\"hash\":\"",
      absl::Base64Escape(e.hash()), "\",\"canonical\":\"",
      absl::Base64Escape(canonical),
      "\",\"stream_id\":", JsonQuote(e.stream_id()), ",\"revision\":\"",
      e.revision(), "\",\"event_type\":", JsonQuote(e.event_type()),
      ",\"recorded_time\":\"",
      absl::FormatTime(absl::RFC3339_full,
                       absl::FromUnixMicros(e.recorded_time_us()),
                       absl::UTCTimeZone()),
      "\",\"actor\":", JsonQuote(e.actor()), "}");
}

constexpr char kExportReadme[] =
    R"(# An export of the complaint ledger for audit

This directory holds one month of the ledger's event log and what proves
that these are exactly the events the ledger signed, in order, none changed,
none left out: check it with no server and none of the ledger's code.

- `events.jsonl`: one event a line (protobuf JSON, `ledger.v1.AuditExportEvent`):
  its position, its record hash, and its canonical bytes (base64; the
  encoding is in the ledger's `ledger/FORMAT.md`: "CLEDGER1", the position
  as 8 bytes big-endian, ..., the previous event's hash last), with the
  readable fields beside them.
- `checkpoint`: the log's signed checkpoint (C2SP tlog-checkpoint in a
  C2SP signed note, Ed25519): the log's name, a number of events N and the
  root of the RFC 9162 Merkle tree over the first N events.
- `proof.json`: the first and last positions, the tree's edge before the
  first event (`left_border`) and an RFC 9162 consistency proof from the
  last event to N.
- `log.pub`: the log's verifier key as the server gave it. Check it against
  the key the ledger's operator published, or pass that key yourself.

To check:

    ledgerctl audit verify-export DIR --log_key '<the published key>'
    python3 tlog_verify.py export DIR --key '<the published key>'

(`tlog_verify.py` is the ledger's `tools/audit/tlog_verify.py`: Python's
hashlib and python3-cryptography only.) Both recompute each event's hash from
its canonical bytes, check the links between events, append the events'
leaves (SHA-256(0x00 || hash)) to the tree's edge, and check that the root
they reach is the one the signed checkpoint extends. An event changed,
added, removed or reordered, or a forged edge or proof, fails the check.
)";

int ExportCommand(const std::string& dir, const Options& options,
                  std::ostream& out, std::ostream& err) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(kDefaultTimeZone, &zone)) {
    return Fail(err, absl::InternalError(absl::StrCat("no time zone data for ",
                                                      kDefaultTimeZone)));
  }
  absl::StatusOr<std::pair<absl::Time, absl::Time>> span =
      MonthSpan(options.month, zone);
  if (!span.ok()) {
    err << "ledgerctl: audit export DIR --month YYYY-MM: "
        << span.status().message() << "\n";
    return kExitUsage;
  }
  AuditClient audit(options);
  LogClient log(options);
  absl::StatusOr<Fetched> cp = FetchCheckpoint(audit, 0, options, err);
  if (!cp.ok()) return Fail(err, cp.status());
  const uint64_t size = cp->checkpoint.size;
  absl::StatusOr<uint64_t> first = FirstAtOrAfter(log, size, span->first);
  if (!first.ok()) return Fail(err, first.status());
  absl::StatusOr<uint64_t> after = FirstAtOrAfter(log, size, span->second);
  if (!after.ok()) return Fail(err, after.status());
  if (*first >= *after) {
    return Fail(err, absl::NotFoundError(absl::StrCat(
                         "the log's ", size, " signed events hold none of ",
                         options.month)));
  }
  const uint64_t a = *first, b = *after - 1;
  if (b == size) {
    // The month may go on past the checkpoint: say so rather than cut it.
    v1::GetLogHeadResponse head;
    if (absl::Status s = log.Call(&v1::Ledger::Stub::GetLogHead,
                                  v1::GetLogHeadRequest(), &head);
        !s.ok()) {
      return Fail(err, s);
    }
    if (head.position_last() > size && absl::Now() < span->second) {
      err << "ledgerctl: " << options.month
          << " is still running: the export ends at the latest checkpoint ("
          << size << " events)\n";
    }
  }
  v1::GetTreeEdgeRequest edge_request;
  edge_request.set_tree_size(a - 1);
  v1::GetTreeEdgeResponse edge;
  if (absl::Status s =
          audit.Call(&v1::AuditService::Stub::GetTreeEdge, edge_request, &edge);
      !s.ok()) {
    return Fail(err, s);
  }
  v1::AuditExportProof proof;
  proof.set_format(kExportFormat);
  proof.set_origin(cp->checkpoint.origin);
  proof.set_month(options.month);
  proof.set_time_zone(kDefaultTimeZone);
  proof.set_first_position(a);
  proof.set_last_position(b);
  proof.set_tree_size(size);
  *proof.mutable_left_border() = edge.hashes();
  if (b < size) {
    v1::GetConsistencyProofRequest request;
    request.set_from_size(b);
    request.set_to_size(size);
    v1::GetConsistencyProofResponse response;
    if (absl::Status s = audit.Call(
            &v1::AuditService::Stub::GetConsistencyProof, request, &response);
        !s.ok()) {
      return Fail(err, s);
    }
    *proof.mutable_consistency_proof() = response.hashes();
  }

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Fail(err, absl::UnavailableError(absl::StrCat("cannot make ", dir,
                                                         ": ", ec.message())));
  }
  std::ofstream events(dir + "/events.jsonl", std::ios::trunc);
  const uint64_t total = b - a + 1;
  const auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::string canonical;
  for (uint64_t next = a; next <= b;) {
    v1::ReadAllRequest read;
    read.set_from_position(next);
    read.set_limit(
        static_cast<uint32_t>(std::min<uint64_t>(kExportPage, b - next + 1)));
    v1::ReadAllResponse page;
    if (absl::Status s = log.Call(&v1::Ledger::Stub::ReadAll, read, &page);
        !s.ok()) {
      return Fail(err, s);
    }
    if (page.events().empty()) {
      return Fail(err, absl::NotFoundError(
                           absl::StrCat("the server has no event ", next)));
    }
    for (const v1::Event& e : page.events()) {
      if (e.position() != next) {
        return Fail(err, absl::DataLossError(absl::StrCat(
                             "the server gave event ", e.position(),
                             " for position ", next)));
      }
      canonical.clear();
      AppendCanonicalBytes(e, &canonical);
      events << ExportLine(e, canonical) << "\n";
      if (++next > b) break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report >= std::chrono::seconds(1) || next > b) {
      last_report = now;
      const double seconds =
          std::chrono::duration<double>(now - started).count();
      const uint64_t done = next - a;
      const double rate = seconds > 0 ? done / seconds : 0;
      const std::string progress = absl::StrFormat(
          "export %s: %d of %d events (%.0f%%), %.0f events/s, %.0f s left",
          options.month, done, total, 100.0 * done / total, rate,
          rate > 0 ? (total - done) / rate : 0.0);
      err << (terminal ? "\r" : "") << progress << (terminal ? "" : "\n");
    }
  }
  if (terminal) err << "\n";
  events.close();
  if (!events) {
    return Fail(err, absl::UnavailableError(
                         absl::StrCat("cannot write ", dir, "/events.jsonl")));
  }
  for (const auto& [name, content] :
       std::initializer_list<std::pair<const char*, std::string>>{
           {"proof.json", Json(proof, true) + "\n"},
           {"checkpoint", cp->note},
           {"log.pub", cp->key.Text() + "\n"},
           {"README.md", kExportReadme}}) {
    if (absl::Status s = WriteFile(absl::StrCat(dir, "/", name), content);
        !s.ok()) {
      return Fail(err, s);
    }
  }
  out << "exported events " << a << " to " << b << " (" << total
      << " events of " << options.month << ") with " << Describe(cp->checkpoint)
      << " to " << dir << "\n";
  return kExitOk;
}

absl::Status Tampered(uint64_t position, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("event ", position, ": ", what));
}

// The export's checks (see kExportReadme); OK or what did not hold.
absl::Status VerifyExport(const std::string& dir, const Options& options,
                          std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> proof_json = ReadFile(dir + "/proof.json");
  if (!proof_json.ok()) return proof_json.status();
  v1::AuditExportProof proof;
  if (!google::protobuf::util::JsonStringToMessage(*proof_json, &proof).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/proof.json is not an export's proof"));
  }
  if (proof.format() != kExportFormat) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown export format \"", proof.format(), "\""));
  }
  absl::StatusOr<std::string> note = ReadFile(dir + "/checkpoint");
  if (!note.ok()) return note.status();
  absl::StatusOr<std::string> pub = ReadFile(dir + "/log.pub");
  absl::StatusOr<NoteVerifier> key =
      LogKey(options, pub.ok() ? *pub : "", "the export", err);
  if (!key.ok()) return key.status();
  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*key, *note);
  if (!cp.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the export's checkpoint does not verify: ", cp.status().message()));
  }
  const uint64_t a = proof.first_position(), b = proof.last_position();
  if (a == 0 || a > b || cp->size != proof.tree_size() || b > cp->size) {
    return absl::FailedPreconditionError(
        absl::StrCat("proof.json's positions ", a, " to ", b, " and tree size ",
                     proof.tree_size(), " do not fit the checkpoint of ",
                     cp->size, " events"));
  }
  absl::StatusOr<std::vector<merkle::Hash>> border =
      Hashes(proof.left_border());
  if (!border.ok()) return border.status();
  absl::StatusOr<merkle::CompactRange> range =
      merkle::CompactRange::FromHashes(a - 1, *std::move(border));
  if (!range.ok()) return range.status();

  std::ifstream events(dir + "/events.jsonl");
  if (!events)
    return absl::NotFoundError(dir + "/events.jsonl: cannot read it");
  uint64_t expected = a;
  std::string previous_hash;
  v1::AuditExportEvent event;
  for (std::string line; std::getline(events, line);) {
    if (line.empty()) continue;
    event.Clear();
    if (!google::protobuf::util::JsonStringToMessage(line, &event).ok()) {
      return Tampered(expected, "its line of events.jsonl is not an event");
    }
    if (event.position() != expected) {
      return Tampered(
          expected, absl::StrCat("missing; the line says ", event.position()));
    }
    const std::string& c = event.canonical();
    Sha256 sha;
    sha.Update(c);
    if (sha.Finish() != event.hash()) {
      return Tampered(expected, "its hash does not match its content");
    }
    if (c.size() < 8 + 8 + 36 || c.substr(0, 8) != "CLEDGER1" ||
        DecodeFixed64BE(c.substr(8, 8)) != expected ||
        c.substr(c.size() - 36, 4) != std::string("\0\0\0\x20", 4)) {
      return Tampered(expected, "its canonical bytes are not of this position");
    }
    if (expected > a && c.substr(c.size() - 32) != previous_hash) {
      return Tampered(expected,
                      absl::StrCat("it does not link to event ", expected - 1,
                                   ", which was changed"));
    }
    previous_hash = event.hash();
    range->Append(merkle::LeafHash(event.hash()));
    ++expected;
  }
  if (expected != b + 1) {
    return Tampered(expected, absl::StrCat("missing: the export ends at ",
                                           expected - 1, ", its proof at ", b));
  }
  const merkle::Hash root = range->Root();
  absl::Status consistent;
  if (b == cp->size) {
    if (root != cp->root) {
      consistent = absl::FailedPreconditionError("the roots differ");
    }
  } else {
    absl::StatusOr<std::vector<merkle::Hash>> hashes =
        Hashes(proof.consistency_proof());
    if (!hashes.ok()) return hashes.status();
    consistent =
        merkle::VerifyConsistency(b, cp->size, root, cp->root, *hashes);
  }
  if (!consistent.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "events ", a, " to ", b, " are not those of ", Describe(*cp),
        ": an event was changed and re-hashed (the last one, or one whose "
        "successor was re-linked), or the edge or proof was altered (",
        consistent.message(), ")"));
  }
  out << "verified: events " << a << " to " << b << " (" << (b - a + 1)
      << " events, " << proof.month() << ") are exactly those of "
      << Describe(*cp) << ", signed by key " << key->Text() << "\n";
  return absl::OkStatus();
}

int KeygenCommand(const std::string& origin, const std::string& path,
                  std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::pair<std::string, std::string>> keys =
      GenerateNoteKey(origin);
  if (!keys.ok()) return Fail(err, keys.status());
  if (std::filesystem::exists(path)) {
    return Fail(err, absl::AlreadyExistsError(absl::StrCat(
                         path, " exists: a log keeps its key; not replaced")));
  }
  std::FILE* f = std::fopen(path.c_str(), "wx");
  if (f == nullptr || ::chmod(path.c_str(), 0600) != 0) {
    if (f != nullptr) std::fclose(f);
    return Fail(err,
                absl::UnavailableError(absl::StrCat("cannot write ", path)));
  }
  std::fputs((keys->first + "\n").c_str(), f);
  if (std::fclose(f) != 0) {
    return Fail(err,
                absl::UnavailableError(absl::StrCat("cannot write ", path)));
  }
  out << keys->second << "\n";
  return kExitOk;
}

}  // namespace

absl::StatusOr<std::optional<SignedCheckpoint>> LatestSignedCheckpoint(
    const Options& options, std::ostream& err) {
  AuditClient client(options);
  absl::StatusOr<Fetched> got = FetchCheckpoint(client, 0, options, err);
  if (absl::IsNotFound(got.status()) || absl::IsUnimplemented(got.status()) ||
      (absl::IsFailedPrecondition(got.status()) &&
       absl::StrContains(got.status().message(), "no Merkle tree"))) {
    return std::nullopt;
  }
  if (!got.ok()) return got.status();
  return SignedCheckpoint{got->checkpoint.size, got->checkpoint.root,
                          got->note};
}

int AuditCommand(const std::vector<std::string>& args, const Options& options,
                 std::ostream& out, std::ostream& err) {
  const std::string& command = args[0];
  const size_t operands = args.size() - 1;
  if (command == "checkpoint" && operands == 0) {
    return CheckpointCommand(options, out, err);
  }
  if (command == "prove" && operands == 1) {
    return ProveCommand(args[1], options, out, err);
  }
  if (command == "consistency" && operands == 1) {
    return ConsistencyCommand(args[1], options, out, err);
  }
  if (command == "export" && operands == 1) {
    return ExportCommand(args[1], options, out, err);
  }
  if (command == "verify-export" && operands == 1) {
    absl::Status s = VerifyExport(args[1], options, out, err);
    return s.ok() ? kExitOk : Fail(err, s);
  }
  if (command == "keygen" && operands == 2) {
    return KeygenCommand(args[1], args[2], out, err);
  }
  err << "usage: ledgerctl [--log_key KEY | --log_key_file F] audit COMMAND\n"
         "  checkpoint [--size N] [--out FILE]   fetch, check, print and save "
         "a checkpoint\n"
         "  prove POSITION [--checkpoint FILE]   check that the event is in "
         "the signed log\n"
         "  consistency FILE [--out NEW]         check that today's log "
         "extends a saved checkpoint\n"
         "  export DIR --month YYYY-MM           a month's events with their "
         "proof, for offline audit\n"
         "  verify-export DIR                    check an export (no server)\n"
         "  keygen ORIGIN FILE                   a new signing key for "
         "ledgerd --signing_key\n";
  return kExitUsage;
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace ledger::ctl
