#include "daemon/tetherd_options.h"


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

node::TunnelFile check_tunnel_file(const std::string& path) {
  node::TunnelFile file = node::load_tunnel_file(path);
  if (!file.interface_name)
    file.errors.insert(file.errors.begin(),
                       path + ": the file name must be an interface name (1 to 15 of a-z A-Z 0-9 _ = + . -) "
                              "followed by .conf, as wg-quick requires");
  return file;
}

}  // namespace tether::daemon
