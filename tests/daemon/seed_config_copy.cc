#include "seed_config_copy.h"

#include <boost/test/unit_test.hpp>

#include <map>
#include <regex>

#include "crypto/self_signed_certificate.h"
#include "support/run_process.h"

namespace tether::testing {

std::filesystem::path copy_seed_with_pki(const std::filesystem::path& seed_dir, const std::filesystem::path& into) {
  std::filesystem::copy(seed_dir, into, std::filesystem::copy_options::recursive);
  const std::string conf = read_file(into / "smtpd.conf");
  const std::regex pki_line(R"re(pki\s+(\S+)\s+(cert|key)\s+"([^"]+)")re");
  std::map<std::string, crypto::CertificateAndKey> made;
  for (std::sregex_iterator it(conf.begin(), conf.end(), pki_line), end; it != end; ++it) {
    const std::string name = (*it)[1], what = (*it)[2], path = (*it)[3];
    if (!made.count(name)) {
      auto certificate = crypto::make_self_signed_certificate(name);
      BOOST_TEST_REQUIRE(certificate.ok());
      made[name] = *certificate;
    }
    const std::filesystem::path file = into / std::filesystem::path(path).relative_path();
    std::filesystem::create_directories(file.parent_path());
    write_file(file, what == "cert" ? made[name].certificate_pem : made[name].private_key_pem);
  }
  return into;
}

}  // namespace tether::testing
