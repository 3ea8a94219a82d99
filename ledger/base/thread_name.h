// Names the calling thread, as `top -H`, `perf` and gdb show it.
#ifndef LEDGER_BASE_THREAD_NAME_H_
#define LEDGER_BASE_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace ledger {

// Linux keeps 15 characters of it; the rest is dropped.
inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace ledger

#endif  // LEDGER_BASE_THREAD_NAME_H_
