#include "services/config_file.h"

#include <fstream>
#include <map>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ledger {
namespace {

constexpr absl::string_view kConfig = "--config";

absl::StatusOr<std::vector<std::string>> ReadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--config: cannot read ", path));
  }
  std::vector<std::string> flags;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const absl::string_view flag = absl::StripAsciiWhitespace(line);
    if (flag.empty() || flag[0] == '#') continue;
    if (!absl::StartsWith(flag, "--") || flag.size() == 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": \"", flag,
          "\" is not a flag (--name=value, or --name for a boolean)"));
    }
    if (flag == kConfig || absl::StartsWith(flag, "--config=")) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": a configuration file names no other"));
    }
    flags.emplace_back(flag);
  }
  return flags;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> WithConfigFile(
    const std::vector<std::string>& args) {
  std::vector<std::string> rest;
  std::string path;
  bool given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (i == 0 || (arg != kConfig && !absl::StartsWith(arg, "--config="))) {
      rest.push_back(arg);
      if (arg == "--") {  // The rest are not flags.
        rest.insert(rest.end(), args.begin() + i + 1, args.end());
        break;
      }
      continue;
    }
    if (given) return absl::InvalidArgumentError("--config given twice");
    given = true;
    if (arg == kConfig) {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError("--config needs a file");
      }
      path = args[++i];
    } else {
      path = arg.substr(kConfig.size() + 1);
    }
    if (path.empty())
      return absl::InvalidArgumentError("--config needs a file");
  }
  if (!given) return rest;
  absl::StatusOr<std::vector<std::string>> flags = ReadConfig(path);
  if (!flags.ok()) return flags.status();
  rest.insert(rest.begin() + (rest.empty() ? 0 : 1), flags->begin(),
              flags->end());
  return rest;
}

std::string ConfigFileText(const std::string& source_suffix, bool commented) {
  // By name, whatever order the flags were registered in.
  std::map<std::string, const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), source_suffix))
      flags[std::string(name)] = flag;
  }
  std::string text;
  for (const auto& [name, flag] : flags) {
    if (name == "config" || name == "print_config") continue;
    absl::StrAppend(&text, "\n");
    // The help, wrapped at 76 columns as comment lines.
    size_t column = 1;
    text.push_back('#');
    for (absl::string_view word :
         absl::StrSplit(flag->Help(), ' ', absl::SkipEmpty())) {
      if (column + 1 + word.size() > 76 && column > 1) {
        text.append("\n#");
        column = 1;
      }
      absl::StrAppend(&text, " ", word);
      column += 1 + word.size();
    }
    text.push_back('\n');
    const std::string default_value = flag->DefaultValue();
    absl::StrAppend(
        &text, "# default: ", default_value.empty() ? "\"\"" : default_value,
        "\n", commented ? "# " : "", "--", name, "=", flag->CurrentValue(),
        "\n");
  }
  return text;
}

}  // namespace ledger
