#include "app/personal_data.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "app/complaint_app.h"
#include "ledger/base/data_key_id.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/event_store.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace ledger {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// Additional data bound into each ciphertext: what it is and whose.
constexpr absl::string_view kWrapLabel = "complaint-ledger/data-key/v1:";
constexpr absl::string_view kSealLabel = "complaint-ledger/personal-data/v1:";

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-256-GCM: nonce || ciphertext || tag.
absl::StatusOr<std::string> Encrypt(absl::string_view key,
                                    absl::string_view plaintext,
                                    absl::string_view aad) {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (RAND_bytes(bytes, kNonceBytes) != 1 || ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(
          ctx.get(), bytes + kNonceBytes, &len,
          reinterpret_cast<const unsigned char*>(plaintext.data()),
          static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          bytes + kNonceBytes + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed (OpenSSL)");
  }
  return out;
}

absl::StatusOr<std::string> Decrypt(absl::string_view key,
                                    absl::string_view sealed,
                                    absl::string_view aad) {
  if (sealed.size() < kNonceBytes + kTagBytes) {
    return absl::DataLossError(
        "a sealed value is shorter than its nonce and tag");
  }
  const size_t size = sealed.size() - kNonceBytes - kTagBytes;
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(size, '\0');
  std::string tag(sealed.substr(kNonceBytes + size));
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                        &len, bytes + kNonceBytes,
                        static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(),
                          reinterpret_cast<unsigned char*>(out.data()) + len,
                          &len) != 1) {
    return absl::DataLossError(
        "sealed personal data does not authenticate (AES-256-GCM)");
  }
  return out;
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

absl::StatusOr<std::string> HexKey(absl::string_view hex,
                                   const std::string& where) {
  std::string bytes;
  if (hex.size() != 2 * kKeyBytes || !absl::ascii_isxdigit(hex[0]) ||
      (bytes = absl::HexStringToBytes(hex)).size() != kKeyBytes ||
      absl::BytesToHexString(bytes) != absl::AsciiStrToLower(hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": a key is 64 hex digits (32 bytes)"));
  }
  return bytes;
}

// The first code point of `s` (UTF-8), then `stars` asterisks.
std::string FirstThenStars(absl::string_view s, size_t stars) {
  if (s.empty()) return "";
  size_t first = 1;
  while (first < s.size() &&
         (static_cast<unsigned char>(s[first]) & 0xC0) == 0x80) {
    ++first;
  }
  return absl::StrCat(s.substr(0, first), std::string(stars, '*'));
}

}  // namespace

absl::StatusOr<SiteKeys> LoadSiteKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  SiteKeys keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(text, ' ', absl::SkipEmpty());
    const std::string where = absl::StrCat(path, ":", n);
    if (words.size() != 2 ||
        (words[0] != "master_key" && words[0] != "customer_ref_key")) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": expected \"master_key HEX\" or \"customer_ref_key HEX\""));
    }
    absl::StatusOr<std::string> key = HexKey(words[1], where);
    if (!key.ok()) return key.status();
    (words[0] == "master_key" ? keys.master_key : keys.customer_ref_key) = *key;
  }
  if (keys.master_key.empty() || keys.customer_ref_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": needs both master_key and customer_ref_key"));
  }
  return keys;
}

PersonalData::PersonalData(std::unique_ptr<rocksdb::DB> db, SiteKeys keys)
    : db_(std::move(db)), keys_(std::move(keys)) {}

PersonalData::~PersonalData() {
  if (db_ != nullptr) db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::unique_ptr<PersonalData>> PersonalData::Open(
    const std::string& key_dir, SiteKeys keys) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // A wrapped key is gone once its WAL and files are: nothing may keep old
  // logs around (these are RocksDB's defaults, stated).
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  options.recycle_log_file_num = 0;
  std::error_code made;
  std::filesystem::create_directories(key_dir, made);
  if (made) {
    return absl::UnavailableError(
        absl::StrCat("cannot make ", key_dir, ": ", made.message()));
  }
  rocksdb::DB* raw = nullptr;
  absl::Status opened =
      FromRocks(rocksdb::DB::Open(options, key_dir, &raw),
                absl::StrCat("opening the customers' keys in ", key_dir));
  if (!opened.ok()) return opened;
  return std::unique_ptr<PersonalData>(
      new PersonalData(std::unique_ptr<rocksdb::DB>(raw), std::move(keys)));
}

std::string PersonalData::CustomerRef(
    absl::string_view normalized_phone) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const std::string message =
      absl::StrCat("complaint-ledger/customer/v2:", normalized_phone);
  HMAC(EVP_sha256(), keys_.customer_ref_key.data(),
       static_cast<int>(keys_.customer_ref_key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       mac, &size);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), size));
}

namespace {

// The keys database: "k/<key id>" -> the wrapped data key; "g/<customer
// ref>" -> the generation of the customer's current key (absent: 1). A key
// id is "<customer ref>#<generation>": a customer who comes back after an
// erasure gets a new key under the next generation.
std::string KeyRow(absl::string_view key_id) {
  return absl::StrCat("k/", key_id);
}
std::string GenerationRow(absl::string_view ref) {
  return absl::StrCat("g/", ref);
}
// An erasure begun here and not yet finished in the replica.
std::string PendingErasureRow(absl::string_view key_id) {
  return absl::StrCat("p/", key_id);
}
// Set once this node's keys are in the replica too (ShareKeys).
constexpr char kSharedRow[] = "m/shared";

}  // namespace

absl::StatusOr<uint64_t> PersonalData::Generation(
    const std::string& customer_ref) const {
  std::string value;
  rocksdb::Status got =
      db_->Get(rocksdb::ReadOptions(), GenerationRow(customer_ref), &value);
  if (got.IsNotFound()) return 1;
  RETURN_IF_ERROR(FromRocks(got, "reading a customer's key generation"));
  uint64_t generation = 0;
  if (!absl::SimpleAtoi(value, &generation) || generation == 0) {
    return absl::DataLossError(absl::StrCat("the key generation of customer ",
                                            customer_ref, " is damaged"));
  }
  return generation;
}

std::string PersonalData::CurrentKeyId(const std::string& customer_ref) const {
  absl::StatusOr<uint64_t> generation = Generation(customer_ref);
  return absl::StrCat(customer_ref, "#", generation.ok() ? *generation : 1);
}

absl::StatusOr<std::string> PersonalData::Unwrap(
    const std::string& key_id, const std::string& wrapped) const {
  absl::StatusOr<std::string> key =
      Decrypt(keys_.master_key, wrapped, absl::StrCat(kWrapLabel, key_id));
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat("the data key ", key_id,
                     " does not unwrap: is --key_file the site's master key?"));
  }
  return key;
}

absl::StatusOr<std::string> PersonalData::LocalKey(
    const std::string& key_id) const {
  std::string wrapped;
  rocksdb::Status got =
      db_->Get(rocksdb::ReadOptions(), KeyRow(key_id), &wrapped);
  if (got.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("the personal data under key ", key_id,
                     " was erased (its key is destroyed)"));
  }
  RETURN_IF_ERROR(FromRocks(got, "reading a customer's data key"));
  return Unwrap(key_id, wrapped);
}

absl::StatusOr<bool> PersonalData::ErasedHere(const std::string& key_id) const {
  ASSIGN_OR_RETURN(const DataKeyId id, ParseDataKeyId(key_id));
  ASSIGN_OR_RETURN(uint64_t current, Generation(id.customer_ref));
  return id.generation < current;
}

absl::StatusOr<std::string> PersonalData::ExistingKey(
    const std::string& key_id) const {
  absl::StatusOr<std::string> key = LocalKey(key_id);
  if (replica_ == nullptr || !absl::IsNotFound(key.status())) return key;
  // Another node made it, unless this node destroyed it (then the replica
  // may only lag behind: it is not brought back).
  ASSIGN_OR_RETURN(const bool erased, ErasedHere(key_id));
  if (erased) return key;
  ASSIGN_OR_RETURN(std::optional<std::string> wrapped, replica_->Read(key_id));
  if (!wrapped.has_value()) return key;
  ASSIGN_OR_RETURN(std::string unwrapped, Unwrap(key_id, *wrapped));
  RETURN_IF_ERROR(KeepKey(key_id, *wrapped));
  return unwrapped;
}

absl::Status PersonalData::KeepKey(const std::string& key_id,
                                   const std::string& wrapped) const {
  // Not once an erasure of it began here (it may have while the replica
  // was read): EraseKey changes the generation under the same lock.
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(const bool erased, ErasedHere(key_id));
  if (erased) {
    return absl::NotFoundError(
        absl::StrCat("the personal data under key ", key_id,
                     " was erased (its key is destroyed)"));
  }
  return FromRocks(db_->Put(rocksdb::WriteOptions(), KeyRow(key_id), wrapped),
                   "writing a customer's data key");
}

absl::StatusOr<std::string> PersonalData::KeyToSealWith(
    const std::string& key_id) {
  absl::StatusOr<std::string> key = LocalKey(key_id);
  if (!absl::IsNotFound(key.status())) return key;
  // Without a replica, one at a time, so that two intakes of a new customer
  // agree; with one, the replica makes them agree (the key it stores
  // first is everyone's), without holding intakes up behind its answer.
  std::optional<absl::MutexLock> one_at_a_time;
  if (replica_ == nullptr) {
    one_at_a_time.emplace(&create_mu_);
    key = LocalKey(key_id);  // Another intake may have just made it.
    if (!absl::IsNotFound(key.status())) return key;
  }
  std::string made(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(made.data()), kKeyBytes) !=
      1) {
    return absl::InternalError("no random bytes for a data key (OpenSSL)");
  }
  absl::StatusOr<std::string> wrapped =
      Encrypt(keys_.master_key, made, absl::StrCat(kWrapLabel, key_id));
  if (!wrapped.ok()) return wrapped.status();
  if (replica_ != nullptr) {
    ASSIGN_OR_RETURN(std::string stored, replica_->Create(key_id, *wrapped));
    if (stored != *wrapped) {
      ASSIGN_OR_RETURN(made, Unwrap(key_id, stored));
      *wrapped = std::move(stored);
    }
  }
  // Counted before it is visible: a group commit that seals with it after
  // another thread saw it syncs it (SyncKeys).
  written_.fetch_add(1);
  if (replica_ != nullptr) {
    RETURN_IF_ERROR(KeepKey(key_id, *wrapped));
  } else {
    RETURN_IF_ERROR(
        FromRocks(db_->Put(rocksdb::WriteOptions(), KeyRow(key_id), *wrapped),
                  "writing a customer's data key"));
  }
  return made;
}

absl::Status PersonalData::ShareKeys(std::shared_ptr<KeyReplica> replica) {
  replica_ = std::move(replica);
  std::string value;
  rocksdb::Status shared = db_->Get(rocksdb::ReadOptions(), kSharedRow, &value);
  if (shared.ok()) return absl::OkStatus();
  if (!shared.IsNotFound()) {
    return FromRocks(shared, "reading the customers' keys");
  }
  // The keys made before this node shared them (once): into the replica,
  // where they must be the same as any stored under their ids.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("k/"); it->Valid() && it->key().starts_with("k/"); it->Next()) {
    const std::string key_id = it->key().ToString().substr(2);
    const std::string wrapped = it->value().ToString();
    absl::StatusOr<std::string> stored = replica_->Create(key_id, wrapped);
    // Erased by the others: this node destroys its copy as it folds the
    // erasure (ComplaintApp), not shared meanwhile.
    if (absl::IsFailedPrecondition(stored.status())) continue;
    RETURN_IF_ERROR(stored.status());
    if (*stored != wrapped) {
      return absl::DataLossError(absl::StrCat(
          "the data key ", key_id,
          " of this node is not the one the other nodes share: personal "
          "data sealed with either cannot be opened with the other"));
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the customers' keys"));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->Put(sync, kSharedRow, ""),
                   "writing the customers' keys");
}

absl::StatusOr<v1::SealedPersonalData> PersonalData::Seal(
    const std::string& customer_ref, const v1::CustomerContact& contact) {
  ASSIGN_OR_RETURN(uint64_t generation, Generation(customer_ref));
  const std::string key_id = absl::StrCat(customer_ref, "#", generation);
  absl::StatusOr<std::string> key = KeyToSealWith(key_id);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> sealed = Encrypt(
      *key, contact.SerializeAsString(), absl::StrCat(kSealLabel, key_id));
  if (!sealed.ok()) return sealed.status();
  v1::SealedPersonalData out;
  out.set_key_id(key_id);
  out.set_nonce(sealed->substr(0, kNonceBytes));
  out.set_ciphertext(sealed->substr(kNonceBytes));
  return out;
}

absl::StatusOr<v1::CustomerContact> PersonalData::Unseal(
    const v1::SealedPersonalData& sealed) const {
  absl::StatusOr<std::string> key = ExistingKey(sealed.key_id());
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> plain =
      Decrypt(*key, absl::StrCat(sealed.nonce(), sealed.ciphertext()),
              absl::StrCat(kSealLabel, sealed.key_id()));
  if (!plain.ok()) return plain.status();
  v1::CustomerContact contact;
  if (!contact.ParseFromString(*plain)) {
    return absl::DataLossError("sealed personal data does not parse");
  }
  return contact;
}

absl::Status PersonalData::SyncKeys() {
  const uint64_t written = written_.load();
  absl::MutexLock lock(&sync_mu_);
  if (synced_ >= written) return absl::OkStatus();
  RETURN_IF_ERROR(FromRocks(db_->SyncWAL(), "syncing the customers' keys"));
  synced_ = written;
  return absl::OkStatus();
}

absl::Status PersonalData::Erase(const std::string& customer_ref) {
  return EraseKey(CurrentKeyId(customer_ref));
}

absl::Status PersonalData::EraseKey(const std::string& key_id) {
  ASSIGN_OR_RETURN(const DataKeyId id, ParseDataKeyId(key_id));
  const std::string& customer_ref = id.customer_ref;
  const uint64_t generation = id.generation;
  auto exists = [this](const std::string& row) -> absl::StatusOr<bool> {
    std::string value;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), row, &value);
    if (got.IsNotFound()) return false;
    RETURN_IF_ERROR(FromRocks(got, "reading the customers' keys"));
    return true;
  };
  bool here = false;
  bool pending = false;  // Begun before, and not finished.
  {
    // One write: no key is made, kept or fetched for this id from here on
    // (KeepKey checks the generation under this lock).
    absl::MutexLock lock(&create_mu_);
    ASSIGN_OR_RETURN(here, exists(KeyRow(key_id)));
    ASSIGN_OR_RETURN(pending, exists(PendingErasureRow(key_id)));
    ASSIGN_OR_RETURN(const uint64_t current, Generation(customer_ref));
    if (!here && !pending && generation < current) {
      return absl::OkStatus();  // Done before.
    }
    rocksdb::WriteBatch batch;
    if (here) batch.Delete(KeyRow(key_id));
    // The customer's next key (should they come back) is of a later
    // generation than the one destroyed.
    if (current <= generation) {
      batch.Put(GenerationRow(customer_ref), absl::StrCat(generation + 1));
    }
    batch.Put(PendingErasureRow(key_id), "");
    rocksdb::WriteOptions sync;
    sync.sync = true;
    RETURN_IF_ERROR(
        FromRocks(db_->Write(sync, &batch), "deleting a customer's data key"));
  }
  if (here || pending) {
    // The key's bytes live on in the memtable's log and in older files
    // until they are rewritten: flush (the log becomes obsolete and is
    // deleted), then rewrite every file without it.
    RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions()),
                              "flushing the customers' keys"));
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    RETURN_IF_ERROR(FromRocks(db_->CompactRange(compact, nullptr, nullptr),
                              "compacting the customers' keys"));
  }
  if (replica_ != nullptr) RETURN_IF_ERROR(replica_->Erase(key_id));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->Delete(sync, PendingErasureRow(key_id)),
                   "finishing the erasure of a customer's data key");
}

absl::StatusOr<bool> PersonalData::HasKey(const std::string& key_id) const {
  absl::StatusOr<std::string> key = ExistingKey(key_id);
  if (absl::IsNotFound(key.status())) return false;
  RETURN_IF_ERROR(key.status());
  return true;
}

absl::Status UsePersonalData(const std::string& key_file,
                             const std::string& key_dir,
                             EventStoreOptions& store,
                             ComplaintAppOptions& app) {
  ASSIGN_OR_RETURN(SiteKeys keys, LoadSiteKeys(key_file));
  ASSIGN_OR_RETURN(std::unique_ptr<PersonalData> personal,
                   PersonalData::Open(key_dir, std::move(keys)));
  app.personal_data = std::move(personal);
  // The store holds them too: its writer syncs them until it closes.
  store.before_commit = [sealing = app.personal_data] {
    return sealing->SyncKeys();
  };
  return absl::OkStatus();
}

v1::CustomerContact Masked(const v1::CustomerContact& contact) {
  v1::CustomerContact out;
  const std::string& phone = contact.phone();
  if (phone.size() >= 11) {
    // A mobile number: 138****8000, as Chinese call centres print it.
    out.set_phone(absl::StrCat(phone.substr(0, 3),
                               std::string(phone.size() - 7, '*'),
                               phone.substr(phone.size() - 4)));
  } else if (phone.size() > 4) {
    out.set_phone(absl::StrCat(std::string(phone.size() - 4, '*'),
                               phone.substr(phone.size() - 4)));
  } else if (!phone.empty()) {
    out.set_phone(std::string(phone.size(), '*'));
  }
  out.set_name(FirstThenStars(contact.name(), 2));
  out.set_address(FirstThenStars(contact.address(), 4));
  if (const size_t at = contact.email().find('@'); at != std::string::npos) {
    out.set_email(absl::StrCat(FirstThenStars(contact.email(), 3),
                               contact.email().substr(at)));
  } else {
    out.set_email(FirstThenStars(contact.email(), 3));
  }
  return out;
}

}  // namespace ledger
