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

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "daemon/control_client.h"
#include "daemon/encrypt_command.h"
#include "daemon/key_commands.h"

namespace {

const char* const kDefaultControl = "/run/tether/tetherd.sock";
constexpr int kUsageExit = 1;

struct CommandHelp {
  const char* name;
  const char* help;
};

// Run here, without words.
constexpr CommandHelp kKeyCommands[] = {
    {"genkey", "print a new private key (as wg genkey)"},
    {"genpsk", "print a new preshared key (as wg genpsk)"},
    {"pubkey", "read a private key on stdin, print its public key (as wg pubkey)"},
};

// The commands tetherd answers, for --help; each is sent with its words as
// typed. A command not listed here (one a node app registered) is sent too.
constexpr CommandHelp kControlCommands[] = {
    {"show",
     "show tunnel: the tunnel's interface and peers, as wg show prints them; "
     "show queue: the relay's queue, as smtpctl show queue"},
    {"monitor", "the relay's activity once a second, as smtpctl monitor"},
    {"pause", "pause smtp|mta|mda: turn new connections away (421), or hold relaying or local delivery"},
    {"resume", "resume smtp|mta|mda"},
    {"schedule", "schedule all|ID: try queued mail now"},
    {"remove", "remove all|ID: delete queued mail"},
    {"reload", "read the tunnel and relay files again and apply them"},
    {"help", "every command the running tetherd knows"},
};

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
  if (!words.empty()) {
    for (std::size_t i = 0; i < words.size(); ++i) input += (i > 0 ? " " : "") + words[i];
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

// Sends one request to tetherd and prints its answer.
int send_request(const std::string& control, const std::vector<std::string>& words) {
  std::string request;
  for (const std::string& w : words) request += (request.empty() ? "" : " ") + w;
  std::string text;
  // A stream (monitor) may stay quiet for as long as it likes.
  const bool streaming = words.size() == 1 && words[0] == "monitor";
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

int unknown_option(const CLI::App& app, const std::string& option) {
  return tether::cli::usage_error(app, "unknown option '" + option + "'", kUsageExit);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Keys for the tunnel config, and a client for tetherd's control socket.", "tetherctl");
  tether::cli::set_synopsis(app, {"tetherctl [--control PATH] COMMAND [WORDS...]"});
  std::string control = kDefaultControl;
  app.add_option("--control", control,
                 std::string("tetherd's control socket (default ") + kDefaultControl + ")")
      ->type_name("PATH");
  // Whatever follows the command is its words, as typed (a password may
  // start with '-'); a first word that is no command here goes to tetherd.
  app.prefix_command();
  app.require_subcommand(0, 1);

  for (const CommandHelp& command : kKeyCommands)
    app.add_subcommand(command.name, command.help)->prefix_command(false);
  app.add_subcommand("encrypt", "print a bcrypt hash for a credentials table (stdin if no PASSWORD)")
      ->prefix_command();
  // A control command's words go to tetherd; --control may follow them.
  std::vector<std::string> command_words;
  for (const CommandHelp& command : kControlCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.help)->prefix_command(false)->fallthrough();
    sub->add_option("WORDS", command_words, "what the command acts on (see its description)")->type_name("");
  }

  if (auto done = tether::cli::parse_or_exit(app, argc, argv, kUsageExit)) return *done;
  if (!app.get_subcommands().empty()) {
    const CLI::App& command = *app.get_subcommands().front();
    const std::string& name = command.get_name();
    if (name == "genkey") return genkey(true);
    if (name == "genpsk") return genkey(false);
    if (name == "pubkey") return pubkey();
    if (name == "encrypt") return encrypt_password(command.remaining());
    // An option of no command: it fell through to the top.
    if (!app.remaining().empty()) return unknown_option(app, app.remaining().front());
    std::vector<std::string> words{name};
    words.insert(words.end(), command_words.begin(), command_words.end());
    return send_request(control, words);
  }
  const std::vector<std::string> words = app.remaining();
  if (words.empty()) return tether::cli::usage_error(app, "a command is needed", kUsageExit);
  if (words[0].rfind("-", 0) == 0) return unknown_option(app, words[0]);
  return send_request(control, words);
}
