#include "cli/command_line.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

namespace tether::cli {

namespace {

// Puts the synopsis first and the description after it, as a man page
// does; a subcommand's synopsis names its command in full ("tetherctl show").
class SynopsisFormatter : public CLI::Formatter {
 public:
  explicit SynopsisFormatter(std::vector<std::string> lines) : lines_(std::move(lines)) {
    label("Usage", "usage");
  }

  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string out;
    if (app->get_parent() == nullptr && !lines_.empty()) {
      out = "usage: " + lines_.front() + "\n";
      for (std::size_t i = 1; i < lines_.size(); ++i) out += "       " + lines_[i] + "\n";
    } else {
      for (const CLI::App* parent = app->get_parent(); parent; parent = parent->get_parent())
        name = parent->get_name() + " " + name;
      out = CLI::Formatter::make_usage(app, name);
      // A prefix command passes the words after it on as they are.
      if (app->get_prefix_command() && !out.empty() && out.back() == '\n')
        out.insert(out.size() - 1, " [WORDS...]");
    }
    if (!app->get_description().empty()) out += "\n" + app->get_description() + "\n";
    return out;
  }

  std::string make_description(const CLI::App*) const override { return ""; }

 private:
  std::vector<std::string> lines_;
};

// The subcommand (or `app` itself) whose help was asked for: the deepest one
// parsed.
const CLI::App& deepest_parsed(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands())
    if (sub->parsed()) return deepest_parsed(*sub);
  return app;
}

// CLI11 says "--tunnel: 1 required FILE.conf missing" when an option's
// value is missing; other mismatches keep CLI11's words.
std::string mismatch_error(const std::string& message) {
  const std::size_t colon = message.find(':');
  const bool missing = message.size() > 8 && message.compare(message.size() - 8, 8, " missing") == 0;
  if (colon == std::string::npos || message[0] != '-' || !missing) return message;
  return message.substr(0, colon) + " needs a value";
}

std::string unexpected_error(const std::string& argument) {
  if (argument.size() > 1 && argument[0] == '-') return "unknown option '" + argument + "'";
  return "unexpected argument '" + argument + "'";
}

}  // namespace

void set_synopsis(CLI::App& app, std::vector<std::string> lines) {
  app.formatter(std::make_shared<SynopsisFormatter>(std::move(lines)));
}

ParseOutcome parse_arguments(CLI::App& app, const std::vector<std::string>& args) {
  ParseOutcome outcome;
  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    outcome.kind = ParseOutcome::Kind::help;
  } catch (const CLI::CallForAllHelp&) {
    outcome.kind = ParseOutcome::Kind::help;
  } catch (const CLI::ArgumentMismatch& e) {
    outcome.kind = ParseOutcome::Kind::usage_error;
    outcome.error = mismatch_error(e.what());
  } catch (const CLI::ExtrasError&) {
    outcome.kind = ParseOutcome::Kind::usage_error;
    std::vector<std::string> extras = app.remaining(true);
    outcome.error = extras.empty() ? std::string("unexpected arguments") : unexpected_error(extras.front());
  } catch (const CLI::ParseError& e) {
    outcome.kind = ParseOutcome::Kind::usage_error;
    outcome.error = e.what();  // CLI11's own words name the option
  }
  return outcome;
}

std::string help_text(const CLI::App& app) {
  const CLI::App& asked = deepest_parsed(app);
  return asked.help();
}

std::optional<int> parse_or_exit(CLI::App& app, int argc, const char* const* argv, int usage_exit_code) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ParseOutcome outcome = parse_arguments(app, args);
  switch (outcome.kind) {
    case ParseOutcome::Kind::run: return std::nullopt;
    case ParseOutcome::Kind::help: std::cout << help_text(app) << std::flush; return 0;
    case ParseOutcome::Kind::usage_error: return usage_error(app, outcome.error, usage_exit_code);
  }
  return usage_exit_code;
}

int usage_error(const CLI::App& app, const std::string& error, int usage_exit_code) {
  std::cerr << app.get_name() << ": " << error << "\n" << help_text(app) << std::flush;
  return usage_exit_code;
}

}  // namespace tether::cli
