#include "smtp/config_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tether::smtp {

Result<std::string> read_text_file(const std::string& path) {
  // An ifstream opens a directory and reads nothing from it: the config
  // would be an empty one, reported as "no match rules" (issue 14).
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Error(ErrorCode::invalid_argument, path + ": Is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int e = errno;
    ErrorCode code = e == ENOENT ? ErrorCode::not_found
                     : (e == EACCES || e == EPERM) ? ErrorCode::permission_denied
                                                   : ErrorCode::io;
    return Error(code, path + ": " + (e ? std::strerror(e) : "cannot open"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Error(ErrorCode::io, path + ": read error");
  std::string text = out.str();
  // Not a text file, or a damaged one. The line is named and the byte never
  // echoed: a NUL in a diagnostic cuts it short on most terminals.
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
    return Error(ErrorCode::invalid_argument,
                 path + ":" + std::to_string(line) + ": NUL byte (0x00): a config file must be text");
  }
  return text;
}

ConfigFileLoader real_file_loader() {
  return [](const std::string& path) { return read_text_file(path); };
}

ConfigFileLoader rooted_file_loader(std::string root) {
  while (!root.empty() && root.back() == '/') root.pop_back();
  return [root](const std::string& path) {
    if (path.find("/../") != std::string::npos || path.compare(0, 3, "../") == 0)
      return Result<std::string>(Error(ErrorCode::permission_denied, path + ": '..' may not leave the root"));
    return read_text_file(root + (path.empty() || path.front() != '/' ? "/" : "") + path);
  };
}

ConfigParseResult parse_config_file(const std::string& path, const ConfigParseOptions& options) {
  auto text = read_text_file(path);
  if (!text) {
    ConfigParseResult r;
    r.errors.push_back({{path, 0}, text.error().message});
    return r;
  }
  return parse_config(*text, path, real_file_loader(), options);
}

}  // namespace tether::smtp
