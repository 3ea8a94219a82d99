// RocksMemory: RocksDB's memory for one ledger, bounded by configuration
// (EventStoreOptions::block_cache_bytes and memtable_bytes; ledgerd's
// --rocksdb_block_cache_mb and --rocksdb_memtable_mb). The log's database,
// the views' and the app state's share one block cache for their data
// blocks, and one budget for all their memtables: past it RocksDB writes the
// largest out early. And how each database's figures are read for /metrics.
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

  // Table options reading data blocks through the shared cache. (Index
  // and filter blocks stay with their table readers, as RocksDB keeps them
  // by default: charged to the cache, they were read back on a query after
  // each start, and a queue page at 1M complaints took 1-2.6 ms instead of
  // 0.2-0.3 ms.)
  rocksdb::BlockBasedTableOptions Table() const {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
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
