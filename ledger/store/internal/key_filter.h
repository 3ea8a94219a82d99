// Which keys of a column family may exist, answered from memory: the hashes
// of every key the family holds, so that a look-up of a key never written (a
// new command id, a new stream) skips RocksDB. Such look-ups are most of an
// append's reads, and in RocksDB each one probes the bloom filter of every
// file the key could be in, which grows with the ledger (BENCHMARKS.md,
// "Durable appends in process").
//
// A hash present proves nothing (another key's, or a write not yet visible):
// the caller reads RocksDB. The writer adds a key before writing it, so a
// reader that finds a key absent from the filter finds it absent from RocksDB
// too. Until the family's existing keys are loaded (Load, on a thread of the
// store's, at open), and once more than its maximum were added, every key
// may exist.
#ifndef LEDGER_STORE_INTERNAL_KEY_FILTER_H_
#define LEDGER_STORE_INTERNAL_KEY_FILTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"

namespace ledger::internal {

class KeyFilter {
 public:
  // Past this many keys the filter gives up (and its memory, ~10–20 bytes a
  // key): eight million commands or streams are decades of a call centre.
  static constexpr size_t kMaxKeys = size_t{1} << 23;

  explicit KeyFilter(size_t max_keys = kMaxKeys) : max_keys_(max_keys) {}
  KeyFilter(const KeyFilter&) = delete;
  KeyFilter& operator=(const KeyFilter&) = delete;

  // False only when no key `key` was ever written.
  bool MayContain(absl::string_view key) const {
    const uint64_t h = Hash(key);
    absl::ReaderMutexLock lock(&mu_);
    return !complete_ || hashes_.contains(h);
  }

  // Before the keys are written.
  template <typename Keys>
  void AddAll(const Keys& keys) {
    std::vector<uint64_t> hashes;
    hashes.reserve(keys.size());
    for (const auto& key : keys) hashes.push_back(Hash(Key(key)));
    Insert(hashes);
  }

  // Reads every key of `family` (what was written before the filter began),
  // then answers for them; with `key_of`, for what it makes of each (e.g.
  // the stream id of an index entry). Stops early, leaving the filter
  // incomplete, when `stop` is set or the read fails; returns the read's
  // status.
  rocksdb::Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
            const std::atomic<bool>& stop,
            absl::string_view (*key_of)(absl::string_view) = nullptr) {
    rocksdb::ReadOptions read;
    read.fill_cache = false;  // A scan, not the working set.
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, family));
    std::vector<uint64_t> hashes;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key(it->key().data(), it->key().size());
      hashes.push_back(Hash(key_of == nullptr ? key : key_of(key)));
      if (hashes.size() == 4096) {
        if (stop.load()) return rocksdb::Status::OK();
        Insert(hashes);
        hashes.clear();
      }
    }
    if (!it->status().ok()) return it->status();
    Insert(hashes);
    absl::MutexLock lock(&mu_);
    complete_ = !full_;
    return rocksdb::Status::OK();
  }

 private:
  static uint64_t Hash(absl::string_view key) {
    return absl::Hash<absl::string_view>()(key);
  }
  template <typename T>
  static absl::string_view Key(const T& key) {
    if constexpr (requires { key.first; }) {
      return key.first;  // A map's entry.
    } else {
      return key;
    }
  }

  void Insert(const std::vector<uint64_t>& hashes) {
    absl::MutexLock lock(&mu_);
    if (full_) return;
    hashes_.insert(hashes.begin(), hashes.end());
    if (hashes_.size() > max_keys_) {
      full_ = true;
      complete_ = false;
      hashes_ = absl::flat_hash_set<uint64_t>();
    }
  }

  const size_t max_keys_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<uint64_t> hashes_ ABSL_GUARDED_BY(mu_);
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
  bool full_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_KEY_FILTER_H_
