// ledgerctl: see tools/ledgerctl/ledgerctl.h (`ledgerctl help`).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "tools/ledgerctl/ledgerctl.h"

int main(int argc, char** argv) {
  return ledger::ctl::Main(std::vector<std::string>(argv + 1, argv + argc),
                           std::cout, std::cerr,
                           [](const char* name) { return std::getenv(name); });
}
