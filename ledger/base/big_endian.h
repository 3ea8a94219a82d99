// Unsigned 64-bit integers as 8 bytes, most significant first: the order
// RocksDB's bytewise comparison sorts numerically (keys of the store, the
// app state, audit exports).
#ifndef LEDGER_BASE_BIG_ENDIAN_H_
#define LEDGER_BASE_BIG_ENDIAN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ledger {

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

// Requires src.size() >= 8.
inline uint64_t DecodeFixed64BE(std::string_view src) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(src[i]);
  }
  return v;
}

}  // namespace ledger

#endif  // LEDGER_BASE_BIG_ENDIAN_H_
