// Password hashes for SMTP AUTH, against the seed's credentials line.
#include "crypto/bcrypt.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

namespace {

// The seed article's credentials line "mailuser $2b$10$TMCTeP...": the bcrypt
// hash of "foobar".
const std::string kSeedHash = "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6";

}  // namespace

BOOST_AUTO_TEST_SUITE(bcrypt)

BOOST_AUTO_TEST_CASE(seed_hash_right_and_wrong_password) {
  Result<bool> right = verify_password("foobar", kSeedHash);
  BOOST_REQUIRE_MESSAGE(right.ok(), (right.ok() ? "" : right.error().to_string()));
  BOOST_TEST(*right);

  for (const char* wrong : {"foobaz", "Foobar", "foobar ", "", "foo"}) {
    Result<bool> r = verify_password(wrong, kSeedHash);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!*r, "password '" << wrong << "' must not verify");
  }
}

// $2a$ and $2y$ are the same function as $2b$ for ASCII passwords; files
// made by older tools use them.
BOOST_AUTO_TEST_CASE(prefixes_2a_and_2y_verify) {
  for (const char* prefix : {"$2a$", "$2y$"}) {
    const std::string hash = prefix + kSeedHash.substr(4);
    Result<bool> r = verify_password("foobar", hash);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    BOOST_TEST(*r);
  }
}

// A SHA-512-crypt hash from `openssl passwd -6 -salt tethersalt foobar`
// (an independent implementation) verifies too.
BOOST_AUTO_TEST_CASE(sha512_crypt_from_openssl_passwd) {
  const std::string hash =
      "$6$tethersalt$6vNIvU9qM21GKW4n0CgNe4IeYkSQCtbfRTYYUofJnFOaNV3xihV4CDx6bSbQjPW0NHmw9vIVF72qPfUkvJGBE/";
  BOOST_TEST(*verify_password("foobar", hash));
  BOOST_TEST(!*verify_password("foobaz", hash));
}

BOOST_AUTO_TEST_CASE(malformed_hashes_are_clear_errors) {
  for (const char* bad :
       {"", "foobar", "$2b$10$tooshort", "$2b$99$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6",
        "$zz$whatever", "abDES1234567"}) {
    Result<bool> r = verify_password("foobar", bad);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "hash '" << bad << "' must be an error");
    BOOST_TEST(r.error().code == ErrorCode::invalid_argument);
    BOOST_TEST(r.error().message.find("hash") != std::string::npos);
  }
  Result<bool> nul = verify_password(std::string("foo\0bar", 7), kSeedHash);
  BOOST_TEST(!nul.ok());
}

// A new hash from caller-supplied salt bytes: right format, verifies,
// deterministic for the same salt, different for another.
BOOST_AUTO_TEST_CASE(make_hash_round_trip) {
  Bytes salt(16);
  for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<std::uint8_t>(i * 7 + 1);
  Result<std::string> hash = make_bcrypt_hash("s3cret pass", salt, 4);
  BOOST_REQUIRE_MESSAGE(hash.ok(), (hash.ok() ? "" : hash.error().to_string()));
  BOOST_TEST(hash->substr(0, 7) == "$2b$04$");
  BOOST_TEST(hash->size() == 60u);
  BOOST_TEST(*verify_password("s3cret pass", *hash));
  BOOST_TEST(!*verify_password("s3cret pas", *hash));
  BOOST_TEST(*make_bcrypt_hash("s3cret pass", salt, 4) == *hash);
  salt[0] ^= 0xff;
  BOOST_TEST(*make_bcrypt_hash("s3cret pass", salt, 4) != *hash);

  Result<std::string> default_cost = make_bcrypt_hash("foobar", salt);
  BOOST_REQUIRE(default_cost.ok());
  BOOST_TEST(default_cost->substr(0, 7) == "$2b$10$");

  BOOST_TEST(!make_bcrypt_hash("x", Bytes(15)).ok());
  BOOST_TEST(!make_bcrypt_hash("x", salt, 3).ok());
}

BOOST_AUTO_TEST_SUITE_END()
