#include "daemon/tetherd_options.h"

#include "smtp/config_files.h"
#include "smtp/config_parser.h"
#include "tunnel/tunnel_config_file.h"

namespace tether::daemon {

std::string usage() {
  return "usage: tetherd --tunnel FILE.conf [--relay SMTPD.CONF] [--control PATH] [--state DIR] [--log-level LEVEL]\n"
         "               [--key-log FILE] [--config-root DIR]\n"
         "       tetherd --relay SMTPD.CONF [options]\n"
         "       tetherd -n [--tunnel FILE.conf] [--relay SMTPD.CONF] [--config-root DIR]\n"
         "\n"
         "  --tunnel FILE.conf  wg-quick configuration; the interface is named after the file (wg0.conf: wg0)\n"
         "  --relay SMTPD.CONF  run the mail relay with this smtpd.conf(5) configuration\n"
         "  --config-root DIR   read the files smtpd.conf names (tables, pki, ca) below DIR\n"
         "  --control PATH      control socket for tetherctl (default /run/tether/tetherd.sock)\n"
         "  --state DIR         tetherd's own files: the mail queue (default /var/lib/tether)\n"
         "  --log-level LEVEL   debug, info, warning, error or off (default info); logs go to stderr\n"
         "  --key-log FILE      append session keys for Wireshark's wg.keylog_file (secret!)\n"
         "  -n                  check the configuration, print what is wrong, and exit (0: fine)\n";
}

Result<DaemonOptions> parse_options(const std::vector<std::string>& args) {
  DaemonOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // --name VALUE or --name=VALUE
    std::string name = arg, value;
    bool has_value = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      name = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
      has_value = true;
    }
    auto take_value = [&]() -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return Error(ErrorCode::invalid_argument, name + " needs a value");
      return args[++i];
    };
    if (name == "-n") {
      options.check_only = true;
    } else if (name == "-h" || name == "--help") {
      options.help = true;
    } else if (name == "--tunnel") {
      auto v = take_value();
      if (!v) return v.error();
      options.tunnel_file = *v;
    } else if (name == "--relay") {
      auto v = take_value();
      if (!v) return v.error();
      options.relay_file = *v;
    } else if (name == "--config-root") {
      auto v = take_value();
      if (!v) return v.error();
      options.config_root = std::filesystem::absolute(*v);
    } else if (name == "--control") {
      auto v = take_value();
      if (!v) return v.error();
      options.control_path = *v;
    } else if (name == "--state") {
      auto v = take_value();
      if (!v) return v.error();
      options.state_dir = *v;
    } else if (name == "--log-level") {
      auto v = take_value();
      if (!v) return v.error();
      auto level = parse_log_level(*v);
      if (!level) return level.error();
      options.log_level = *level;
    } else if (name == "--key-log") {
      auto v = take_value();
      if (!v) return v.error();
      // Relative to where tetherd was started, not to its state directory.
      options.key_log = std::filesystem::absolute(*v);
    } else {
      return Error(ErrorCode::invalid_argument, "unknown option '" + arg + "'");
    }
  }
  if (!options.help && options.tunnel_file.empty() && options.relay_file.empty())
    return Error(ErrorCode::invalid_argument, "--tunnel FILE.conf or --relay SMTPD.CONF is required");
  return options;
}

std::optional<std::string> interface_name_from_path(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  const std::string suffix = ".conf";
  if (base.size() <= suffix.size() || base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const std::string name = base.substr(0, base.size() - suffix.size());
  if (name.empty() || name.size() > 15) return std::nullopt;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '=' || c == '+' || c == '.' || c == '-';
    if (!ok) return std::nullopt;
  }
  return name;
}

RelayFileCheck check_relay_file(const std::string& path, const std::filesystem::path& root) {
  RelayFileCheck check;
  auto text = smtp::read_text_file(path);
  if (!text) {
    check.errors.push_back(text.error().message);  // names the file
    return check;
  }
  smtp::ConfigFileLoader loader =
      root.empty() ? smtp::real_file_loader() : smtp::rooted_file_loader(root.string());
  smtp::ConfigParseResult parsed = smtp::parse_config(*text, path, loader);
  for (const smtp::ConfigError& e : parsed.errors) check.errors.push_back(e.to_string());
  if (parsed.ok()) check.config = std::make_shared<const smtp::Config>(std::move(parsed.config));
  return check;
}

TunnelFileCheck check_tunnel_file(const std::string& path) {
  TunnelFileCheck check;
  if (auto name = interface_name_from_path(path))
    check.interface_name = *name;
  else
    check.errors.push_back(path +
                           ": the file name must be an interface name (1 to 15 of a-z A-Z 0-9 _ = + . -) "
                           "followed by .conf, as wg-quick requires");

  auto loaded = tunnel::load_tunnel_config_file(path);
  if (!loaded) {
    check.errors.push_back(loaded.error().message);
    return check;
  }
  for (const auto& e : loaded->errors) check.errors.push_back(e.to_string());
  for (const auto& w : loaded->warnings) {
    tunnel::ConfigDiagnostic tagged = w;
    tagged.message = "warning: " + tagged.message;
    check.warnings.push_back(tagged.to_string());
  }
  if (loaded->ok() && !loaded->config.interface.private_key)
    check.errors.push_back(path + ": [Interface] has no PrivateKey");
  check.config = std::move(loaded->config);
  return check;
}

}  // namespace tether::daemon
