// libFuzzer target for the smtpd.conf parser (and the router, on what
// parses): any bytes must give a config or errors, never a crash, a hang or
// a sanitizer report. Build with -DTETHER_FUZZ=ON and clang; seed the corpus
// with tests/smtp/seed_configs/*/smtpd.conf.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "smtp/config_parser.h"
#include "smtp/router.h"

using namespace tether;
using namespace tether::smtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Table files and includes resolve to small fixed files, and one path to
  // the input itself, so include loops and bad table files are reached too.
  ConfigFileLoader loader = [&text](const std::string& path) -> Result<std::string> {
    if (path == "/etc/mail/aliases") return std::string("root: jay, postmaster\npostmaster: root\n");
    if (path == "/etc/mail/secrets") return std::string("mailuser mailuser:foobar\n");
    if (path == "/etc/mail/credentials") return std::string("mailuser $2b$10$abcdefghijklmnopqrstuv\n");
    if (path == "/etc/mail/list") return std::string("# @list\n192.0.2.1\n2001:db8::/32\nexample.org\n");
    if (path == "/fuzz/self") return text;
    return Error(ErrorCode::not_found, path + ": No such file or directory");
  };
  ConfigParseResult r = parse_config(text, "fuzz.conf", loader);
  if (!r.ok()) {
    for (const ConfigError& e : r.errors) (void)e.to_string();
    return 0;
  }
  Router router(std::make_shared<const Config>(std::move(r.config)),
                LocalIdentity{"mail.example.org", {"example.org"}, {*IpAddress::parse("192.0.2.1")}});
  RouteRequest local = RouteRequest::local("root@mail.example.org", "jay@example.org");
  RouteRequest remote = RouteRequest::remote(*IpAddress::parse("2001:db8::5"), "x@y.example", "test+tag@example.com");
  remote.rdns = "host.dyn.example.net";
  remote.helo = "host.example.net";
  remote.authenticated = true;
  remote.auth_user = "mailuser";
  (void)router.route(local);
  (void)router.route(remote);
  return 0;
}
