// tetherctl: keys for the tunnel config, and a client for tetherd's control
// socket.
//
//   tetherctl genkey | tee privatekey | tetherctl pubkey > publickey
//   tetherctl show tunnel
//
// Commands other than the key commands are sent to tetherd as they are, so
// a command a node app registers there works without a new tetherctl.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "daemon/control_client.h"
#include "daemon/key_commands.h"

namespace {

const char* const kDefaultControl = "/run/tether/tetherd.sock";

void usage(std::ostream& out) {
  out << "usage: tetherctl [--control PATH] COMMAND\n"
         "\n"
         "  genkey        print a new private key (as wg genkey)\n"
         "  genpsk        print a new preshared key (as wg genpsk)\n"
         "  pubkey        read a private key on stdin, print its public key (as wg pubkey)\n"
         "  show tunnel   the tunnel's interface and peers, as wg show prints them\n"
         "  help          every command the running tetherd knows\n"
         "\n"
         "  --control PATH  tetherd's control socket (default " << kDefaultControl << ")\n";
}

int print_key(const tether::Result<std::string>& key) {
  if (!key) {
    std::cerr << "tetherctl: " << key.error().message << "\n";
    return 1;
  }
  std::cout << *key << std::flush;
  return std::cout ? 0 : 1;
}

int genkey(bool clamp) {
  // As wg does: a key written into a file others can read is no secret.
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
    std::cerr << "Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n";
  return print_key(tether::control::generate_key_text(clamp));
}

int pubkey() {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return print_key(tether::control::public_key_text(input));
}

}  // namespace

int main(int argc, char** argv) {
  std::string control = kDefaultControl;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--control" && i + 1 < argc) {
      control = argv[++i];
    } else if (arg.rfind("--control=", 0) == 0) {
      control = arg.substr(10);
    } else if (words.empty() && (arg == "-h" || arg == "--help")) {
      usage(std::cout);
      return 0;
    } else if (words.empty() && arg.rfind("--", 0) == 0) {
      std::cerr << "tetherctl: unknown option '" << arg << "'\n";
      usage(std::cerr);
      return 1;
    } else {
      words.push_back(arg);
    }
  }
  if (words.empty()) {
    usage(std::cerr);
    return 1;
  }
  const bool single = words.size() == 1;
  if (single && words[0] == "genkey") return genkey(true);
  if (single && words[0] == "genpsk") return genkey(false);
  if (single && words[0] == "pubkey") return pubkey();

  std::string request;
  for (const std::string& w : words) request += (request.empty() ? "" : " ") + w;
  std::string text;
  auto verdict = tether::control::run_request(control, request, [&](std::string_view piece) {
    // Answers are printed once the verdict says where they go; a stream
    // (no verdict until the end) goes out as it comes.
    text.append(piece.data(), piece.size());
    if (text.size() > 65536) {
      std::cout << text << std::flush;
      text.clear();
    }
  });
  if (!verdict) {
    std::cout << text;
    std::cerr << "tetherctl: " << verdict.error().message;
    if (verdict.error().code == tether::ErrorCode::not_found ||
        verdict.error().code == tether::ErrorCode::connection_refused)
      std::cerr << " (is tetherd running?)";
    std::cerr << "\n";
    return 1;
  }
  (*verdict ? std::cout : std::cerr) << text << std::flush;
  return *verdict ? 0 : 1;
}
