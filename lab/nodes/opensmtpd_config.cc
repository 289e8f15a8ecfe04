#include "lab/nodes/opensmtpd_config.h"

#include <fstream>
#include <sstream>

#include "node/deployment_files.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line.substr(0, line.find('#')));
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool is_listen_on_egress(const std::vector<std::string>& w) {
  return w.size() >= 3 && w[0] == "listen" && w[1] == "on" && w[2] == "egress";
}

// `word` with its absolute path (after "file:" or inside quotes) pointing
// below `root` when the file is there.
std::string rooted(const std::string& word, const fs::path& root) {
  std::size_t start = word.rfind("file:", 0) == 0 ? 5 : (word.size() > 2 && word.front() == '"' ? 1 : std::string::npos);
  if (start == std::string::npos || start >= word.size() || word[start] != '/') return word;
  const std::size_t end = word.front() == '"' ? word.find('"', start) : word.size();
  const std::string path = word.substr(start, end == std::string::npos ? std::string::npos : end - start);
  std::error_code ec;
  const fs::path inside = root / fs::path(path).relative_path();
  if (root.empty() || !fs::exists(inside, ec)) return word;
  return word.substr(0, start) + inside.string() + (end == std::string::npos ? "" : word.substr(end));
}

// The line with `egress` (the third word of a listen line) replaced.
std::string listen_on(const std::string& line, const std::string& interface) {
  const auto at = line.find("egress");
  return line.substr(0, at) + interface + line.substr(at + 6);
}

// Words separated by single blanks, paths rooted; a comment is dropped
// (it might hold a quote the word splitting would see).
std::string rewritten(const std::string& line, const fs::path& root) {
  const std::vector<std::string> words = words_of(line);
  if (words.empty()) return "";
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + rooted(w, root);
  return out;
}

std::string trimmed_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string opensmtpd_conf_text(const std::string& conf, const fs::path& config_root,
                                const std::vector<std::string>& interfaces) {
  std::istringstream lines(conf);
  std::string out, appended;
  for (std::string line; std::getline(lines, line);) {
    // A line continued with a backslash keeps its break: the numbers stay.
    const bool continued = !trimmed_end(line).empty() && trimmed_end(line).back() == '\\';
    std::string copy = continued ? line : rewritten(line, config_root);
    if (!continued && !interfaces.empty() && is_listen_on_egress(words_of(copy))) {
      for (std::size_t i = 1; i < interfaces.size(); ++i) appended += listen_on(copy, interfaces[i]) + "\n";
      copy = listen_on(copy, interfaces.front());
    }
    out += copy + "\n";
  }
  if (!appended.empty())
    out += "# the host's other interfaces, for `listen on egress` (tether-lab)\n" + appended;
  return out;
}

std::vector<std::string> opensmtpd_tls_refusals(const std::string& conf, const std::string& file,
                                                const std::string& field) {
  std::vector<std::string> out;
  std::istringstream lines(conf);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const std::vector<std::string> w = words_of(line);
    if (w.empty() || w[0] != "listen") continue;
    for (const std::string& word : w)
      if (word == "tls" || word == "tls-require" || word == "smtps") {
        out.push_back(file + ":" + std::to_string(number) + ": " + field + ": `" + word +
                      "`: Debian's OpenSMTPD 6.8 cannot serve TLS with OpenSSL 3 (its key engine loses the "
                      "private key; fixed in 7.x); give this host a listener without it");
        break;
      }
  }
  return out;
}

std::vector<std::string> opensmtpd_parser_refusals(const std::string& output, const std::string& copy,
                                                   const std::string& file, const std::string& field) {
  std::vector<std::string> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    line = trimmed_end(line);
    if (line.empty() || line == "configuration OK" || line.rfind("warn: ", 0) == 0) continue;
    if (line.rfind(copy + ":", 0) == 0) {
      const std::string rest = line.substr(copy.size() + 1);  // "LINE: why"
      const auto colon = rest.find(": ");
      if (colon != std::string::npos) {
        out.push_back(file + ":" + rest.substr(0, colon) + ": " + field + ": " + rest.substr(colon + 2) +
                      " (OpenSMTPD 6.8's parser)");
        continue;
      }
    }
    out.push_back(field + ": " + file + ": " + line + " (OpenSMTPD 6.8)");
  }
  return out;
}

Result<fs::path> write_opensmtpd_conf(const fs::path& original, const std::string& field, const fs::path& directory,
                                      const std::vector<std::string>& interfaces, const std::string& tunnel,
                                      const std::function<CommandResult(const std::vector<std::string>&)>& check) {
  std::ifstream in(original, std::ios::binary);
  if (!in) return Error(ErrorCode::not_found, field + ": " + original.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<std::string> refused = opensmtpd_tls_refusals(text.str(), original.string(), field);
  std::error_code ec;
  fs::create_directories(directory, ec);
  const fs::path copy = directory / "smtpd.conf";
  std::ofstream out(copy, std::ios::binary | std::ios::trunc);
  out << opensmtpd_conf_text(text.str(), fs::absolute(node::config_root(original)), interfaces);
  out.close();
  if (!out) return Error(ErrorCode::internal, copy.string() + ": cannot write");
  const std::vector<std::string> argv{"smtpd", "-n", "-f", copy.string()};
  const CommandResult checked = check(argv);
  if (checked.exit_code < 0 || checked.exit_code == 127)
    return Error(ErrorCode::not_found, field + ": cannot run Debian's OpenSMTPD (package opensmtpd): " +
                                           checked.describe(argv));
  if (!checked.ok())
    for (const std::string& r : opensmtpd_parser_refusals(checked.output, copy.string(), original.string(), field))
      if (tunnel.empty() || r.find("invalid virtual ip or interface: " + tunnel + " ") == std::string::npos)
        refused.push_back(r);
  if (refused.empty()) return copy;
  std::string joined;
  for (const std::string& r : refused) joined += (joined.empty() ? "" : "\n") + r;
  return Error(ErrorCode::unsupported, joined);
}

}  // namespace tether::lab
