#pragma once
// What every tether command does with its command line, through CLI11: one
// --help layout, a synopsis in the style of a man page's SYNOPSIS heading
// both --help and every usage error, and errors in words that name the
// option ("--tunnel needs a value", "unknown option '--frob'").

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tether::cli {

// Heads `app`'s help with `lines`: "usage: LINE1", then each other line
// under it. Subcommands keep CLI11's usage line.
void set_synopsis(CLI::App& app, std::vector<std::string> lines);

struct ParseOutcome {
  enum class Kind { run, help, usage_error };
  Kind kind = Kind::run;
  std::string error;  // usage_error: what is wrong, naming the option
};

// Parses `args` (argv without the program name). Never prints, never exits.
// An app that allows extras keeps what it did not recognise in
// app.remaining(); one that does not reports the first as an error.
ParseOutcome parse_arguments(CLI::App& app, const std::vector<std::string>& args);

// The whole --help text of `app`, or of the subcommand that asked for it.
std::string help_text(const CLI::App& app);

// The usual endings, for main(): on --help prints the help to stdout and
// returns 0; on a usage error prints "NAME: ERROR" and the help to stderr and
// returns `usage_exit_code`; returns nullopt when the command should run.
std::optional<int> parse_or_exit(CLI::App& app, int argc, const char* const* argv, int usage_exit_code);

// For errors found after parsing (a missing choice, a bad value): prints
// "NAME: ERROR" and the help to stderr; returns `usage_exit_code`.
int usage_error(const CLI::App& app, const std::string& error, int usage_exit_code);

}  // namespace tether::cli
