#include "lab/nodes/host_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "node/deployment_files.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string lowered(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// wg-quick's keys are matched without regard to case, as wg(8)'s config.c
// does (strncasecmp in process_line); a section header starts with '['.
bool is_keepalive_line(const std::string& line) {
  const std::string t = trimmed(line);
  const auto equals = t.find('=');
  return equals != std::string::npos && lowered(trimmed(t.substr(0, equals))) == "persistentkeepalive";
}

bool is_profile_statement(const std::string& line) {
  const std::string t = trimmed(line);
  return t.rfind("profile", 0) == 0 && (t.size() == 7 || t[7] == ' ' || t[7] == '\t');
}

Result<std::string> read_text(const fs::path& file, const std::string& field) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorCode::not_found, field + ": " + file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<void> write_text(const fs::path& file, const std::string& text, fs::perms perms) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error(ErrorCode::internal, file.string() + ": cannot write");
  std::error_code ec;
  fs::permissions(file, perms, ec);
  return {};
}

std::string where(const scenario::Scenario& s, const scenario::HostSpec& host, const std::string& field) {
  return s.source.filename().string() + (host.line > 0 ? ":" + std::to_string(host.line) : "") + ": hosts." +
         host.name + "." + field;
}

bool is_user_name(const std::string& s) {
  if (s.empty() || s.size() > 32 || s.front() == '-' || s.front() == '.') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

// "key: a, b" or "key a, b" lines of a file table (comments and blanks
// skipped); the values, split on commas and blanks.
void collect_values(const fs::path& table, std::vector<std::string>& users) {
  std::ifstream in(table);
  for (std::string line; std::getline(in, line);) {
    line = trimmed(line.substr(0, line.find('#')));
    const auto split = line.find_first_of(": \t");
    if (line.empty() || split == std::string::npos) continue;
    std::string values = line.substr(split + 1);
    for (char& c : values)
      if (c == ',' || c == ':' || c == '\t') c = ' ';
    std::istringstream words(values);
    for (std::string w; words >> w;)
      if (is_user_name(w) && std::find(users.begin(), users.end(), w) == users.end()) users.push_back(w);
  }
}

}  // namespace

std::vector<std::string> table_users(const HostFiles& files) {
  std::vector<std::string> users;
  if (files.relay.empty()) return users;
  std::ifstream in(files.relay);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string keyword, name, source;
    if (!(words >> keyword >> name >> source) || keyword != "table" || source.rfind("file:", 0) != 0) continue;
    fs::path path = source.substr(5);
    // A path already below the root (an OpenSMTPD host's copy points there:
    // opensmtpd_config.h) stays as it is.
    const bool rooted = path.string().rfind(files.config_root.string() + "/", 0) == 0;
    if (path.is_absolute() && !rooted) path = files.config_root / path.relative_path();
    collect_values(path, users);
  }
  return users;
}

std::string with_keepalive(const std::string& wg_quick, std::uint16_t seconds) {
  std::istringstream lines(wg_quick);
  std::string out;
  bool in_peer = false;
  for (std::string line; std::getline(lines, line);) {
    const std::string t = trimmed(line);
    if (!t.empty() && t.front() == '[') {
      in_peer = lowered(t) == "[peer]";
      out += line + "\n";
      if (in_peer) out += "PersistentKeepalive = " + std::to_string(seconds) + "\n";
      continue;
    }
    if (in_peer && is_keepalive_line(line)) continue;
    out += line + "\n";
  }
  return out;
}

std::string with_profile(const std::string& smtpd_conf, smtp::RelayProfile profile) {
  std::istringstream lines(smtpd_conf);
  std::string out = std::string("profile ") + smtp::to_string(profile) + "\n";
  for (std::string line; std::getline(lines, line);)
    if (!is_profile_statement(line)) out += line + "\n";
  return out;
}

std::vector<std::string> refusals(const scenario::Scenario& scenario, const scenario::HostSpec& host) {
  std::vector<std::string> out;
  if (host.os == scenario::HostOs::openbsd && !host.tunnel.empty())
    out.push_back(where(scenario, host, "os") +
                  ": openbsd: tetherd runs its tunnel on the Linux timer profile and has no option for "
                  "OpenBSD's; the lab will not run a Linux tunnel in its place");
  return out;
}

Result<HostFiles> write_host_files(const scenario::Scenario& scenario, const scenario::HostSpec& host,
                                   const fs::path& directory) {
  if (auto refused = refusals(scenario, host); !refused.empty()) {
    std::string text;
    for (const std::string& r : refused) text += (text.empty() ? "" : "\n") + r;
    return Error(ErrorCode::unsupported, text);
  }
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return Error(ErrorCode::internal, directory.string() + ": " + ec.message());
  HostFiles files;
  const std::string prefix = "hosts." + host.name + ".";
  if (!host.tunnel.empty()) {
    auto text = read_text(host.tunnel, prefix + "tunnel");
    if (!text.ok()) return text.error();
    if (host.persistent_keepalive) *text = with_keepalive(*text, *host.persistent_keepalive);
    // tetherd names the interface after the file, as wg-quick does.
    files.tunnel = directory / (host.interface_name + ".conf");
    // It holds the private key: tetherd (as wg-quick) warns when others may read it.
    if (auto r = write_text(files.tunnel, *text, fs::perms::owner_read | fs::perms::owner_write); !r.ok()) return r.error();
    node::TunnelFile loaded = node::load_tunnel_file(files.tunnel.string(), host.tunnel.filename().string());
    if (!loaded.ok()) return Error(ErrorCode::invalid_argument, prefix + "tunnel: " + loaded.error_text());
  }
  // An OpenSMTPD host's relay file is OpenSMTPD's (opensmtpd_config.h).
  if (!host.smtpd.empty() && host.implementation == scenario::RelayImplementation::tetherd) {
    auto text = read_text(host.smtpd, prefix + "smtpd");
    if (!text.ok()) return text.error();
    if (host.profile) *text = with_profile(*text, *host.profile);
    files.relay = directory / "smtpd.conf";
    files.config_root = fs::absolute(node::config_root(host.smtpd));
    if (auto r = write_text(files.relay, *text, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                    fs::perms::others_read);
        !r.ok())
      return r.error();
    node::RelayFile loaded = node::load_relay_file(files.relay.string(), files.config_root, host.smtpd.filename().string());
    if (!loaded.ok()) return Error(ErrorCode::invalid_argument, prefix + "smtpd: " + loaded.error_text());
  }
  return files;
}

}  // namespace tether::lab
