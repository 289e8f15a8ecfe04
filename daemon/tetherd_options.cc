#include "daemon/tetherd_options.h"

#include <CLI/CLI.hpp>

#include "cli/command_line.h"

namespace tether::daemon {

namespace {

// What the command line gives as text and the options hold converted.
struct RawOptions {
  std::string control_path;
  std::string state_dir;
  std::string log_level;
  std::string key_log;
  std::string config_root;
};

void describe_options(CLI::App& app, DaemonOptions& options, RawOptions& raw) {
  std::vector<std::string> synopsis{
      "tetherd --tunnel FILE.conf [--relay SMTPD.CONF] [--control PATH] [--state DIR] [--log-level LEVEL]",
      "        [--key-log FILE] [--config-root DIR]",
      "tetherd --relay SMTPD.CONF [options]",
      "tetherd -n [--tunnel FILE.conf] [--relay SMTPD.CONF] [--config-root DIR]",
  };
  cli::set_synopsis(app, std::move(synopsis));
  // As before CLI11: an option given twice takes its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  struct ValueOption {
    const char* name;
    std::string* value;
    const char* value_name;
    const char* help;
  };
  const ValueOption value_options[] = {
      {"--tunnel", &options.tunnel_file, "FILE.conf",
       "wg-quick configuration; the interface is named after the file (wg0.conf: wg0)"},
      {"--relay", &options.relay_file, "SMTPD.CONF",
       "run the mail relay with this smtpd.conf(5) configuration"},
      {"--config-root", &raw.config_root, "DIR",
       "read the files smtpd.conf names (tables, pki, ca) below DIR"},
      {"--control", &raw.control_path, "PATH",
       "control socket for tetherctl (default /run/tether/tetherd.sock)"},
      {"--state", &raw.state_dir, "DIR", "tetherd's own files: the mail queue (default /var/lib/tether)"},
      {"--log-level", &raw.log_level, "LEVEL",
       "debug, info, warning, error or off (default info); logs go to stderr"},
      {"--key-log", &raw.key_log, "FILE", "append session keys for Wireshark's wg.keylog_file (secret!)"},
  };
  for (const ValueOption& o : value_options)
    app.add_option(o.name, *o.value, o.help)->type_name(o.value_name);
  app.add_flag("-n", options.check_only,
               "check the configuration (and load its pki and ca files, as smtpd -n), print what is wrong, "
               "and exit (0: fine; warnings, such as a relay backup name missing from its MX list, keep 0)");
}

}  // namespace

std::string usage() {
  CLI::App app("Runs tether's tunnel and mail relay on this machine.", "tetherd");
  DaemonOptions options;
  RawOptions raw;
  describe_options(app, options, raw);
  return cli::help_text(app);
}

Result<DaemonOptions> parse_options(const std::vector<std::string>& args) {
  CLI::App app("Runs tether's tunnel and mail relay on this machine.", "tetherd");
  DaemonOptions options;
  RawOptions raw;
  describe_options(app, options, raw);
  const cli::ParseOutcome outcome = cli::parse_arguments(app, args);
  if (outcome.kind == cli::ParseOutcome::Kind::usage_error)
    return Error(ErrorCode::invalid_argument, outcome.error);
  if (outcome.kind == cli::ParseOutcome::Kind::help) {
    options.help = true;
    return options;
  }
  if (!raw.control_path.empty()) options.control_path = raw.control_path;
  if (!raw.state_dir.empty()) options.state_dir = raw.state_dir;
  if (!raw.config_root.empty()) options.config_root = std::filesystem::absolute(raw.config_root);
  // Relative to where tetherd was started, not to its state directory.
  if (!raw.key_log.empty()) options.key_log = std::filesystem::absolute(raw.key_log);
  if (!raw.log_level.empty()) {
    auto level = parse_log_level(raw.log_level);
    if (!level) return level.error();
    options.log_level = *level;
  }
  if (options.tunnel_file.empty() && options.relay_file.empty())
    return Error(ErrorCode::invalid_argument, "--tunnel FILE.conf or --relay SMTPD.CONF is required");
  return options;
}

node::TunnelFile check_tunnel_file(const std::string& path) {
  node::TunnelFile file = node::load_tunnel_file(path);
  if (!file.interface_name)
    file.errors.insert(file.errors.begin(),
                       path + ": the file name must be an interface name (1 to 15 of a-z A-Z 0-9 _ = + . -) "
                              "followed by .conf, as wg-quick requires");
  return file;
}

}  // namespace tether::daemon
