// PersonalData: customers' names, phones, addresses and emails sealed per
// customer, and erasable by destroying the customer's key (crypto-shredding).
//
// Each customer (by customer_ref) has a random 256-bit data key. A
// ComplaintReceived's contact is sealed with it, AES-256-GCM, before the
// event is appended, so the log and its hash chain hold only ciphertext.
// Data keys are wrapped (AES-256-GCM) by the site's master key and kept in
// a RocksDB of their own (--key_dir), apart from the log. Erase deletes the
// customer's wrapped key and rewrites the keys' files until no copy is left
// on disk; from then on nothing can read that customer's sealed data.
//
// customer_ref itself is HMAC-SHA-256 of the normalised phone under the
// site's customer-ref key: repeat detection keeps working, and nobody
// without the key can enumerate phone numbers to find a customer.
//
// The site's keys (--key_file) are two lines, "master_key <64 hex digits>"
// and "customer_ref_key <64 hex digits>" (tools/dev_identity.sh makes them
// for development). All cryptography is OpenSSL's.
#ifndef LEDGER_APP_PERSONAL_DATA_H_
#define LEDGER_APP_PERSONAL_DATA_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/v1/common.pb.h"

namespace rocksdb {
class DB;
}

namespace ledger {

struct EventStoreOptions;
struct ComplaintAppOptions;

struct SiteKeys {
  std::string master_key;        // 32 bytes
  std::string customer_ref_key;  // 32 bytes
};

// Reads a key file; errors name the file and the line.
absl::StatusOr<SiteKeys> LoadSiteKeys(const std::string& path);

// Where the nodes of a replicated ledger (ledgerd --log nats) keep their
// customers' wrapped data keys, so that what one node sealed every node
// opens, and an erasure destroys the key on all of them. Wrapped keys only:
// the site's master key never leaves the nodes.
class KeyReplica {
 public:
  virtual ~KeyReplica() = default;
  // Stores `wrapped` under `key_id` unless a key is stored there already;
  // the one stored (another node's, when it made that key first).
  virtual absl::StatusOr<std::string> Create(const std::string& key_id,
                                             const std::string& wrapped) = 0;
  // nullopt when none is stored (never made, or erased).
  virtual absl::StatusOr<std::optional<std::string>> Read(
      const std::string& key_id) const = 0;
  // Destroys the stored key; OK when there is none.
  virtual absl::Status Erase(const std::string& key_id) = 0;
};

class PersonalData {
 public:
  static absl::StatusOr<std::unique_ptr<PersonalData>> Open(
      const std::string& key_dir, SiteKeys keys);
  ~PersonalData();

  // The customer's pseudonymous key: hex HMAC-SHA-256 of the normalised
  // phone.
  std::string CustomerRef(absl::string_view contact_key) const;

  // `contact` sealed under the data key of `customer_ref`, made on first
  // use. A new key is written but not yet synced: SyncKeys, which the
  // store calls before each group commit, makes it durable before any event
  // sealed with it is.
  absl::StatusOr<v1::SealedPersonalData> Seal(
      const std::string& customer_ref, const v1::CustomerContact& contact);

  // The contact back; NOT_FOUND once the customer's data was erased,
  // DATA_LOSS when the ciphertext or its key does not authenticate.
  absl::StatusOr<v1::CustomerContact> Unseal(
      const v1::SealedPersonalData& sealed) const;

  // Makes every key written so far durable (an fsync of the keys' log when
  // there is something new, nothing otherwise).
  absl::Status SyncKeys();

  // Destroys the current data key of `customer_ref`: deleted, then the
  // keys' memtable flushed and their files compacted, so that no copy of
  // the wrapped key is left in them. A customer who comes back later gets
  // a key of the next generation ("<ref>#2"). Erasing an erased (or never
  // made) key is OK.
  absl::Status Erase(const std::string& customer_ref);
  // The same for exactly the key `key_id` ("<ref>#<generation>"). First,
  // in one synced write, the customer's generation moves past it (even
  // when this node never held it: a key id is never made twice), the key
  // is deleted here and the erasure is marked pending; then the key's
  // bytes are shredded here, then it is erased in the replica, and the
  // mark goes. An error leaves the mark: the next EraseKey of it (each
  // start, ComplaintApp) finishes it. OK at once when nothing is left.
  absl::Status EraseKey(const std::string& key_id);

  // Shares the keys through `replica` (before any other call): a key made
  // here is stored there before anything is sealed with it (and when
  // another node stored one under the same id first, that one is used); a
  // key this node lacks is read from there (unless this node erased it);
  // an erasure destroys it here, then there. The first time, the keys
  // this node holds already are stored there too: DATA_LOSS when the
  // replica holds another key under one of their ids.
  absl::Status ShareKeys(std::shared_ptr<KeyReplica> replica);

  // The id of the key `customer_ref`'s data is sealed with now.
  std::string CurrentKeyId(const std::string& customer_ref) const;
  // Whether the key `key_id` exists.
  absl::StatusOr<bool> HasKey(const std::string& key_id) const;

 private:
  PersonalData(std::unique_ptr<rocksdb::DB> db, SiteKeys keys);
  // The data key `key_id`, unwrapped; NOT_FOUND once destroyed (here, or
  // in the replica).
  absl::StatusOr<std::string> ExistingKey(const std::string& key_id) const;
  // The same from this node's keys only.
  absl::StatusOr<std::string> LocalKey(const std::string& key_id) const;
  // `wrapped` unwrapped: DATA_LOSS when it does not authenticate.
  absl::StatusOr<std::string> Unwrap(const std::string& key_id,
                                     const std::string& wrapped) const;
  // Whether `key_id` is of a generation erased here already (a customer's
  // generation moves on when their key is destroyed).
  absl::StatusOr<bool> ErasedHere(const std::string& key_id) const;
  // Writes `wrapped` as this node's copy of `key_id` (from the replica),
  // unless an erasure of it began here: NOT_FOUND then.
  absl::Status KeepKey(const std::string& key_id,
                       const std::string& wrapped) const;
  // The same, made first when it does not exist yet (one at a time).
  absl::StatusOr<std::string> KeyToSealWith(const std::string& key_id);
  absl::StatusOr<uint64_t> Generation(const std::string& customer_ref) const;

  std::unique_ptr<rocksdb::DB> db_;
  const SiteKeys keys_;
  std::shared_ptr<KeyReplica> replica_;
  // Making a key: one at a time, so two intakes of a new customer agree
  // (without a replica); keeping one, against an erasure.
  mutable absl::Mutex create_mu_;
  // Keys written, and how many of them are synced.
  std::atomic<uint64_t> written_{0};
  absl::Mutex sync_mu_;
  uint64_t synced_ ABSL_GUARDED_BY(sync_mu_) = 0;
};

// Opens the site's keys (`key_file`) and the customers' data keys at
// `key_dir`, and makes `app` seal with them and `store` sync them before
// each group commit: how ledgerd and ledger_seed open a sealing ledger.
absl::Status UsePersonalData(const std::string& key_file,
                             const std::string& key_dir,
                             EventStoreOptions& store,
                             ComplaintAppOptions& app);

// For those who may see a customer but not all of it: "138****8000",
// "W**", "12 H****", "w***@example.com".
v1::CustomerContact Masked(const v1::CustomerContact& contact);

}  // namespace ledger

#endif  // LEDGER_APP_PERSONAL_DATA_H_
