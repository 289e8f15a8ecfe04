#include "tunnel/tunnel_config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tether::tunnel {

namespace {

Error read_error(const std::string& path, int err) {
  ErrorCode code = err == ENOENT ? ErrorCode::not_found
                   : (err == EACCES || err == EPERM) ? ErrorCode::permission_denied
                                                     : ErrorCode::io;
  return Error(code, "cannot read " + path + ": " + std::strerror(err));
}

}  // namespace

Result<TunnelConfigParse> load_tunnel_config_file(const std::string& path, const std::string& shown_as) {
  const std::string& name = shown_as.empty() ? path : shown_as;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return read_error(name, errno);
  // The mode comes from the open descriptor, so it describes the very file
  // that was read even if the path is swapped meanwhile.
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return read_error(name, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return read_error(name, EISDIR);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return read_error(name, err);
    }
    if (n == 0) break;
    text.append(buf, std::size_t(n));
  }
  ::close(fd);

  TunnelConfigParse parse = parse_tunnel_config(text, name);
  if (parse.config.interface.private_key && (st.st_mode & (S_IRGRP | S_IROTH))) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    parse.warnings.insert(parse.warnings.begin(),
                          {name, 0,
                           std::string("holds a PrivateKey but is readable by ") +
                               ((st.st_mode & S_IROTH) ? "others" : "its group") + " (mode " + mode +
                               "); chmod 600 " + path});
  }
  return parse;
}

}  // namespace tether::tunnel
