// Loading a config from disk: unreadable files are errors naming the path,
// parse diagnostics carry the path, and a private key readable by group or
// others draws a warning (wg-quick warns about a world-accessible config).

#include "tunnel/tunnel_config_file.h"
#include "tunnel/print_optional.h"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace tether;
using namespace tether::tunnel;

namespace {

const std::string kConf =
    "[Interface]\n"
    "PrivateKey = GlEHqhAE3CWIkbvFzMUixJBv5f36VtxU3pvVGfEO4kg=\n"
    "ListenPort = 6900\n";

// A private temporary directory, removed with its files at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/tether_tunnel_config_XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0) BOOST_TEST_MESSAGE("could not remove " << path);
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    BOOST_REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tunnel_config_file)

BOOST_AUTO_TEST_CASE(private_file_loads_without_warning) {
  TempDir dir;
  std::string p = dir.write("wg0.conf", kConf, 0600);
  auto r = load_tunnel_config_file(p);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r->ok());
  BOOST_TEST(r->warnings.empty());
  BOOST_TEST(r->config.interface.listen_port == 6900);
}

BOOST_AUTO_TEST_CASE(readable_private_key_is_warned_about) {
  TempDir dir;
  for (mode_t mode : {mode_t(0644), mode_t(0640), mode_t(0604)}) {
    std::string p = dir.write("wg0.conf", kConf, mode);
    auto r = load_tunnel_config_file(p);
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST_REQUIRE(r->warnings.size() == 1u);
    std::string w = r->warnings[0].to_string();
    BOOST_TEST(w.find(p + ": holds a PrivateKey but is readable by") == 0u, w);
    BOOST_TEST(w.find("chmod 600") != std::string::npos, w);
  }
  // No key, nothing to protect.
  std::string p = dir.write("nokey.conf", "[Interface]\nListenPort = 1\n", 0644);
  auto r = load_tunnel_config_file(p);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r->warnings.empty());
}

BOOST_AUTO_TEST_CASE(diagnostics_name_the_path) {
  TempDir dir;
  std::string p = dir.write("wg1.conf", kConf + "MTU = huge\n", 0600);
  auto r = load_tunnel_config_file(p);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST_REQUIRE(r->errors.size() == 1u);
  BOOST_TEST(r->errors[0].to_string() == p + ":4: MTU: 'huge' is not an MTU from 68 to 65535");
}

BOOST_AUTO_TEST_CASE(unreadable_paths_are_errors) {
  TempDir dir;
  auto missing = load_tunnel_config_file(dir.path + "/absent.conf");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().code == ErrorCode::not_found);
  BOOST_TEST(missing.error().message.find(dir.path + "/absent.conf") != std::string::npos);
  auto directory = load_tunnel_config_file(dir.path);
  BOOST_TEST_REQUIRE(!directory.ok());
  BOOST_TEST(directory.error().message.find("Is a directory") != std::string::npos, directory.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
