// Keys of the event store's column families. Integers are big-endian so that
// RocksDB's bytewise order is numeric order.
//
//   events     [position: u64be]                      -> Event (serialized)
//   streams    [stream id][0x00][revision: u64be]     -> [position: u64be]
//   heads      [stream id]                            -> HeadValue (format 1
//                                                        only; see FORMAT.md)
//   commands   [command id]                           -> CommandRecord
//
// A stream id never contains 0x00 (checked on append), so a stream's index
// entries are contiguous and ordered by revision.
#ifndef LEDGER_STORE_INTERNAL_KEYS_H_
#define LEDGER_STORE_INTERNAL_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/base/big_endian.h"

namespace ledger::internal {

using ::ledger::DecodeFixed64BE;
using ::ledger::PutFixed64BE;

inline std::string PositionKey(uint64_t position) {
  std::string key;
  PutFixed64BE(&key, position);
  return key;
}

inline std::string StreamPrefix(std::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

inline std::string StreamKey(std::string_view stream_id, uint64_t revision) {
  std::string key = StreamPrefix(stream_id);
  PutFixed64BE(&key, revision);
  return key;
}

// The value of a format-1 `heads` entry: last revision, then last
// position. (Format 2 reads a head off the stream's last `streams` entry.)
inline std::string HeadValue(uint64_t revision_last, uint64_t position_last) {
  std::string value;
  PutFixed64BE(&value, revision_last);
  PutFixed64BE(&value, position_last);
  return value;
}

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_KEYS_H_
