// tetherctl: keys for the tunnel config, and a client for tetherd's control
// socket.
//
//   tetherctl genkey | tee privatekey | tetherctl pubkey > publickey
//   tetherctl encrypt [PASSWORD]     a credentials line, as smtpctl encrypt
//   tetherctl show tunnel | show queue | monitor | pause smtp | ...
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
#include "daemon/encrypt_command.h"
#include "daemon/key_commands.h"

namespace {

const char* const kDefaultControl = "/run/tether/tetherd.sock";

void usage(std::ostream& out) {
  out << "usage: tetherctl [--control PATH] COMMAND\n"
         "\n"
         "  genkey        print a new private key (as wg genkey)\n"
         "  genpsk        print a new preshared key (as wg genpsk)\n"
         "  pubkey        read a private key on stdin, print its public key (as wg pubkey)\n"
         "  encrypt [PASSWORD]  print a bcrypt hash for a credentials table (stdin if no PASSWORD)\n"
         "  show tunnel   the tunnel's interface and peers, as wg show prints them\n"
         "  show queue    the relay's queue, as smtpctl show queue\n"
         "  monitor       the relay's activity once a second, as smtpctl monitor\n"
         "  pause smtp|mta|mda, resume smtp|mta|mda, schedule all|ID, remove all|ID\n"
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

int encrypt_password(const std::vector<std::string>& words) {
  std::string input;
  if (words.size() > 1) {
    for (std::size_t i = 1; i < words.size(); ++i) input += (i > 1 ? " " : "") + words[i];
  } else {
    std::getline(std::cin, input);
  }
  auto line = tether::control::encrypt_password_text(input);
  if (!line) {
    std::cerr << "tetherctl: " << line.error().message << "\n";
    return 1;
  }
  std::cout << *line << std::flush;
  return std::cout ? 0 : 1;
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
  if (words[0] == "encrypt") return encrypt_password(words);

  std::string request;
  for (const std::string& w : words) request += (request.empty() ? "" : " ") + w;
  std::string text;
  // A stream (monitor) may stay quiet for as long as it likes.
  const bool streaming = single && words[0] == "monitor";
  auto verdict = tether::control::run_request(control, request, [&](std::string_view piece) {
    // Answers are printed once the verdict says where they go; a stream
    // (no verdict until the end) goes out as it comes.
    text.append(piece.data(), piece.size());
    if (text.size() > 65536 || streaming) {
      std::cout << text << std::flush;
      text.clear();
    }
  }, streaming ? tether::Duration::zero() : tether::Duration::seconds(30));
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
