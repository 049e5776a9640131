// gryadkactl: the command-line client. Run `gryadkactl --help` for commands, flags and exit
// codes. Results go to stdout (one line, or one JSON object with --json); errors go to stderr
// as "gryadkactl: CODE_NAME: message".
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "client/ctl_args.h"
#include "client/ctl_output.h"
#include "client/membership_admin.h"
#include "client/membership_driver.h"
#include "client/resolve.h"
#include "client/tls.h"
#include "client/version.h"

namespace gryadka::ctl {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "gryadkactl: " << EscapeBytes(status.ToString()) << "\n";
  return kExitError;
}

// A line of membership output with control characters (from a server's strings) made visible;
// quotes stay as they are.
std::string Printable(absl::string_view line) {
  std::string out;
  for (char c : line) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += EscapeBytes(absl::string_view(&c, 1));
    } else {
      out += c;
    }
  }
  return out;
}

// Membership errors span lines (what failed, then what to do): each line escaped on its own.
int FailLines(const absl::Status& status) {
  for (absl::string_view line : absl::StrSplit(status.ToString(), '\n')) {
    std::cerr << "gryadkactl: " << Printable(line) << "\n";
  }
  return kExitError;
}

int RunMembershipCommand(const Args& args) {
  std::vector<std::unique_ptr<ProposerAdmin>> admins;
  MembershipContext context;
  for (const std::string& target :
       client::ExpandDnsTargets(args.targets, client::ResolveWithGetaddrinfo)) {
    absl::StatusOr<std::unique_ptr<ProposerAdmin>> admin = NewGrpcProposerAdmin(target, args.tls);
    if (!admin.ok()) return Fail(admin.status());
    admins.push_back(*std::move(admin));
    context.proposers.push_back(admins.back().get());
  }
  context.args = args.membership;
  context.call_deadline_ms = args.deadline_ms;
  context.command_prefix =
      absl::StrCat("gryadkactl --proposers=", absl::StrJoin(args.targets, ","), " membership");
  context.print = [](const std::string& line) { std::cout << Printable(line) << std::endl; };
  const absl::Status status = RunMembership(context);
  return status.ok() ? kExitOk : FailLines(status);
}

int Print(const std::string& line, bool applied) {
  std::cout << line << "\n";
  return applied ? kExitOk : kExitNotApplied;
}

int RunCommand(const Args& args, const Client& client) {
  const CallOptions call{args.deadline_ms};
  switch (args.command) {
    case Command::kGet: {
      absl::StatusOr<GetResult> r = client.Get(args.key, call);
      return r.ok() ? Print(FormatGet(args.key, *r, args.json), true) : Fail(r.status());
    }
    case Command::kPut: {
      absl::StatusOr<ChangeResult> r = client.Put(args.key, args.value, call);
      if (!r.ok()) return Fail(r.status());
      return Print(FormatChange("put", args.key, std::nullopt, *r, args.json), r->applied);
    }
    case Command::kCas: {
      absl::StatusOr<ChangeResult> r =
          client.CompareAndSet(args.key, *args.expected_version, args.value, call);
      if (!r.ok()) return Fail(r.status());
      return Print(FormatChange("cas", args.key, args.expected_version, *r, args.json),
                   r->applied);
    }
    case Command::kIncr: {
      absl::StatusOr<IncrementResult> r = client.Increment(args.key, args.delta, call);
      if (!r.ok()) return Fail(r.status());
      return Print(FormatIncrement(args.key, args.delta, *r, args.json), r->applied);
    }
    case Command::kDel: {
      absl::StatusOr<ChangeResult> r = client.Delete(args.key, args.expected_version, call);
      if (!r.ok()) return Fail(r.status());
      return Print(FormatChange("del", args.key, args.expected_version, *r, args.json),
                   r->applied);
    }
    case Command::kMembership:
      return RunMembershipCommand(args);
    case Command::kHealth: {
      const std::vector<TargetHealth> targets = client.CheckTargets(call);
      std::cout << FormatHealth(targets, args.json) << "\n";
      int failing = 0;
      for (const TargetHealth& t : targets) failing += t.status.ok() ? 0 : 1;
      if (failing == 0) return kExitOk;
      std::cerr << "gryadkactl: " << failing << " of " << targets.size()
                << " targets not serving\n";
      return kExitError;
    }
  }
  return kExitError;
}

int Main(int argc, char** argv) {
  const std::vector<absl::string_view> raw(argv + 1, argv + argc);
  Env env;
  env.target = std::getenv("GRYADKA_TARGET");
  env.tls_ca = std::getenv("GRYADKA_TLS_CA");
  env.tls_cert = std::getenv("GRYADKA_TLS_CERT");
  env.tls_key = std::getenv("GRYADKA_TLS_KEY");
  absl::StatusOr<Args> args = ParseArgs(raw, env);
  if (!args.ok()) {
    std::cerr << "gryadkactl: " << args.status().message() << "\n\n" << Usage();
    return kExitUsage;
  }
  if (args->help) {
    std::cout << Usage();
    return kExitOk;
  }
  if (args->version) {
    std::cout << VersionLine("gryadkactl") << "\n";
    return kExitOk;
  }
  {  // the TLS files, checked first so that errors name the flags and the file
    grpc::ChannelArguments unused;
    auto credentials = client::MakeChannelCredentials(args->tls, &unused, client::kCtlTlsNames);
    if (!credentials.ok()) {
      std::cerr << "gryadkactl: " << Printable(credentials.status().message()) << "\n";
      return kExitUsage;
    }
  }
  if (args->command == Command::kMembership) return RunMembershipCommand(*args);
  ClientOptions options;
  options.tls = args->tls;
  options.targets = args->targets;
  options.default_deadline_ms = args->deadline_ms;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(std::move(options));
  if (!client.ok()) {  // only bad --target / GRYADKA_TARGET values get here (TLS: see above)
    std::cerr << "gryadkactl: " << client.status().message() << "\n\n" << Usage();
    return kExitUsage;
  }
  return RunCommand(*args, **client);
}

}  // namespace
}  // namespace gryadka::ctl

int main(int argc, char** argv) { return gryadka::ctl::Main(argc, argv); }
