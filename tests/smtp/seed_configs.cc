#include "smtp/seed_configs.h"

#include <boost/test/unit_test.hpp>
#include <map>

#include "smtp/config_files.h"

namespace tether::smtp::testing {

const std::vector<std::string>& seed_machines() {
  static const std::vector<std::string> machines = {"namorar", "carinho", "mimando", "mx2", "lan-collector",
                                                    "lan-client"};
  return machines;
}

std::string seed_dir(const std::string& machine) { return std::string(SMTP_SEED_CONFIG_DIR) + "/" + machine; }

ConfigParseResult parse_seed(const std::string& machine) {
  std::string dir = seed_dir(machine);
  auto text = read_text_file(dir + "/smtpd.conf");
  BOOST_TEST_REQUIRE(text.ok(), "cannot read " << dir << "/smtpd.conf");
  return parse_config(*text, "smtpd.conf", rooted_file_loader(dir));
}

namespace {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  BOOST_TEST_REQUIRE(a.ok(), text);
  return *a;
}

}  // namespace

LocalIdentity seed_identity(const std::string& machine) {
  if (machine == "namorar")
    return {"namorar.example.com",
            {},
            {ip("2001:db8:1234:1234::c155"), ip("2001:db8:1234:1234::b17e"), ip("2001:db8:1234:1234::6969"),
             ip("192.0.2.2"), ip("2001:db8:c1da::2")}};
  if (machine == "carinho")
    return {"carinho.lan", {}, {ip("2001:db8:6969::1"), ip("2001:db8:c1da::1"), ip("2001:db8:dd::dd")}};
  if (machine == "mimando") return {"mimando.lan", {}, {ip("2001:db8:6969::2")}};
  if (machine == "mx2") return {"mx2.example.org", {}, {ip("203.0.113.2")}};
  if (machine == "lan-collector") return {"devbox-mx0.home.lan", {}, {ip("192.168.1.10")}};
  if (machine == "lan-client") return {"devbox-ntp.home.lan", {}, {ip("192.168.1.11")}};
  BOOST_FAIL("unknown seed machine " << machine);
  return {};
}

Router seed_router(const std::string& machine) {
  ConfigParseResult r = parse_seed(machine);
  BOOST_TEST_REQUIRE(r.ok(), machine << ":\n" << r.error_text());
  return Router(std::make_shared<const Config>(std::move(r.config)), seed_identity(machine));
}

ConfigFileLoader memory_loader(std::vector<std::pair<std::string, std::string>> files) {
  std::map<std::string, std::string> map(files.begin(), files.end());
  return [map](const std::string& path) -> Result<std::string> {
    auto it = map.find(path);
    if (it == map.end()) return Error(ErrorCode::not_found, path + ": No such file or directory");
    return it->second;
  };
}

}  // namespace tether::smtp::testing
