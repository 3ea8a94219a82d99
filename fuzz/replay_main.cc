// Replays inputs through a fuzz target without libFuzzer, for builds made
// by any compiler (ctest's FuzzReplay.* tests):
//   <target>_replay DIR_OR_FILE...
// calls LLVMFuzzerInitialize, then LLVMFuzzerTestOneInput once with each
// file (each file of a directory, in name order; README files are notes,
// not inputs). Fails when an argument cannot be read or no input was found;
// a crash is the target's, as under libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool IsInput(const fs::path& path) {
  return fs::is_regular_file(path) &&
         path.filename().string().rfind("README", 0) != 0;
}

// The inputs `arg` names, or false when it names nothing readable.
bool InputsOf(const fs::path& arg, std::vector<fs::path>* inputs) {
  std::error_code error;
  if (fs::is_directory(arg, error)) {
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry :
         fs::directory_iterator(arg, error)) {
      if (IsInput(entry.path())) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    inputs->insert(inputs->end(), files.begin(), files.end());
    return !error;
  }
  if (!fs::is_regular_file(arg, error)) return false;
  inputs->push_back(arg);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!InputsOf(argv[i], &inputs)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no inputs to replay\n", argv[0]);
    return 2;
  }
  for (const fs::path& path : inputs) {
    std::ifstream file(path, std::ios::binary);
    const std::string input((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    if (!file.is_open() || file.bad()) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], path.c_str());
      return 2;
    }
    // Printed before the call, so that a crash names its input.
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.c_str(),
                 input.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                           input.size());
  }
  std::fprintf(stderr, "%zu inputs replayed\n", inputs.size());
  return 0;
}
