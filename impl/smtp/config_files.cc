#include "smtp/config_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tether::smtp {

Result<std::string> read_text_file(const std::string& path) {
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
  return out.str();
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
