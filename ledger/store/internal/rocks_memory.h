// RocksMemory: RocksDB's memory for one ledger, bounded by configuration
// (EventStoreOptions::block_cache_bytes and memtable_bytes; ledgerd's
// --rocksdb_block_cache_mb and --rocksdb_memtable_mb). The log's database,
// the views' and the app state's share one block cache, which also holds
// their index and filter blocks (so the metadata of a growing log is
// charged to it instead of growing beside it), and one budget for all their
// memtables: past it RocksDB writes the largest out early. And how each
// database's figures are read for /metrics.
#ifndef LEDGER_STORE_INTERNAL_ROCKS_MEMORY_H_
#define LEDGER_STORE_INTERNAL_ROCKS_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ledger/store/view_store.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace ledger::internal {

struct RocksMemory {
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<rocksdb::WriteBufferManager> memtables;

  static RocksMemory Of(size_t cache_bytes, size_t memtable_bytes) {
    RocksMemory memory;
    memory.cache = rocksdb::NewLRUCache(cache_bytes);
    memory.memtables =
        std::make_shared<rocksdb::WriteBufferManager>(memtable_bytes);
    return memory;
  }

  // Table options reading through the shared cache, index and filter
  // blocks included (those of level 0, the newest files, pinned there).
  rocksdb::BlockBasedTableOptions Table() const {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.cache_index_and_filter_blocks = cache != nullptr;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = cache != nullptr;
    return table;
  }

  // A database's options counted against the memtable budget.
  void Apply(rocksdb::DBOptions* options) const {
    if (memtables != nullptr) options->write_buffer_manager = memtables;
  }
};

// kDbPropertyNames of `db` as DbProperty rows named `name`: those of each
// column family summed over its families.
inline void AppendDbProperties(rocksdb::DB* db, const std::string& name,
                               std::vector<DbProperty>* out) {
  for (size_t i = 0; i < std::size(kDbPropertyNames); ++i) {
    uint64_t value = 0;
    const bool read =
        i < kDbFamilyPropertyCount
            ? db->GetAggregatedIntProperty(kDbPropertyNames[i], &value)
            : db->GetIntProperty(kDbPropertyNames[i], &value);
    if (read) out->push_back({name, kDbPropertyNames[i], value});
  }
}

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_MEMORY_H_
