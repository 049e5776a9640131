// A minimal program using the installed Gryadka C++ client: puts a key, reads it back, and
// prints both results. Built out of tree against an installed package (README.md here).
//
// Usage: gryadka_example --target=HOST:PORT[,HOST:PORT...] [--key=K] [--value=V]
// Exits 0 when the value read back equals the value put, 1 on any error (printed to stderr),
// 2 on bad usage.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"

namespace {

// Returns the value of "--name=value" in `arg`, or nullptr when `arg` is not that flag.
const char* FlagValue(const char* arg, std::string_view name) {
  const std::string prefix = "--" + std::string(name) + "=";
  return std::string_view(arg).substr(0, prefix.size()) == prefix ? arg + prefix.size() : nullptr;
}

std::vector<std::string> SplitComma(const std::string& list) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const size_t end = comma == std::string::npos ? list.size() : comma;
    if (end > start) parts.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  std::string targets;
  std::string key = "example-key";
  std::string value = "hello from the C++ example";
  for (int i = 1; i < argc; ++i) {
    if (const char* v = FlagValue(argv[i], "target")) {
      targets = v;
    } else if (const char* v = FlagValue(argv[i], "key")) {
      key = v;
    } else if (const char* v = FlagValue(argv[i], "value")) {
      value = v;
    } else {
      std::cerr << "unknown argument \"" << argv[i] << "\"\n";
      std::cerr << "usage: " << argv[0] << " --target=HOST:PORT[,...] [--key=K] [--value=V]\n";
      return 2;
    }
  }
  if (targets.empty()) {
    std::cerr << "--target=HOST:PORT is required (a gryadka-proposer's address)\n";
    return 2;
  }

  gryadka::ClientOptions options;
  options.targets = SplitComma(targets);
  options.default_deadline_ms = 5000;
  absl::StatusOr<std::unique_ptr<gryadka::Client>> client =
      gryadka::Client::Create(std::move(options));
  if (!client.ok()) {
    std::cerr << "cannot create the client: " << client.status() << "\n";
    return 1;
  }

  absl::StatusOr<gryadka::ChangeResult> put = (*client)->Put(key, value);
  if (!put.ok()) {
    std::cerr << "put failed: " << put.status() << "\n";
    return 1;
  }
  std::cout << "put " << key << " = \"" << put->record.value << "\" version "
            << put->record.version << "\n";

  absl::StatusOr<gryadka::GetResult> got = (*client)->Get(key);
  if (!got.ok()) {
    std::cerr << "get failed: " << got.status() << "\n";
    return 1;
  }
  if (!got->found) {
    std::cerr << "get: " << key << " is absent right after the put\n";
    return 1;
  }
  std::cout << "get " << key << " = \"" << got->record.value << "\" version "
            << got->record.version << "\n";
  if (got->record.value != value || got->record.version != put->record.version) {
    std::cerr << "get returned another record than the put wrote\n";
    return 1;
  }
  return 0;
}
