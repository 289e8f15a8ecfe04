// HMAC-BLAKE2s and WireGuard's KDF1/2/3: the vectors of wireguard-go's
// device/kdf_test.go (also reproduced independently with python3 hmac +
// hashlib.blake2s before being written here).
#include "crypto/kdf.h"

#include <boost/test/unit_test.hpp>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

namespace {

struct KdfVector {
  const char* key;
  const char* input;
  const char* t0;
  const char* t1;
  const char* t2;
};

const KdfVector kWireguardGoVectors[] = {
    {"746573742d6b6579",      // "test-key"
     "746573742d696e707574",  // "test-input"
     "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
     "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
     "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"},
    {"776972656775617264",  // "wireguard"
     "776972656775617264", "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
     "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
     "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"},
    {"", "",  // empty key and input: HMAC's zero-length key path
     "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
     "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
     "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kdf)

BOOST_AUTO_TEST_CASE(wireguard_go_kdf3_vectors) {
  for (const KdfVector& v : kWireguardGoVectors) {
    const Bytes key = hex_bytes(v.key);
    const Bytes input = hex_bytes(v.input);
    const auto t = kdf3(key, input);
    BOOST_TEST(to_hex(t[0]) == v.t0);
    BOOST_TEST(to_hex(t[1]) == v.t1);
    BOOST_TEST(to_hex(t[2]) == v.t2);
  }
}

// KDF1 and KDF2 are prefixes of KDF3.
BOOST_AUTO_TEST_CASE(kdf1_and_kdf2_are_prefixes) {
  for (const KdfVector& v : kWireguardGoVectors) {
    const Bytes key = hex_bytes(v.key);
    const Bytes input = hex_bytes(v.input);
    const auto one = kdf1(key, input);
    const auto two = kdf2(key, input);
    BOOST_TEST(to_hex(one[0]) == v.t0);
    BOOST_TEST(to_hex(two[0]) == v.t0);
    BOOST_TEST(to_hex(two[1]) == v.t1);
  }
}

// HMAC-BLAKE2s itself, including a key longer than the 64-byte block (which
// RFC 2104 hashes first). Expected values from python3:
//   hmac.new(key, data, hashlib.blake2s).hexdigest()
BOOST_AUTO_TEST_CASE(hmac_blake2s_matches_python_hmac) {
  BOOST_TEST(to_hex(hmac_blake2s(ByteView(std::string_view("test-key")),
                                 ByteView(std::string_view("test-input")))) ==
             "ed378e02e152b574e0d9e01fb029a7066c3cc687917c28bf9dfe5b042769fa46");
  const Bytes long_key(100, 0x5a);
  BOOST_TEST(to_hex(hmac_blake2s(long_key, ByteView(std::string_view("data")))) ==
             "72aaa7833c388470d1ac0c77453c872ce5f5701c8141f5762a23191bf7580347");
}

BOOST_AUTO_TEST_SUITE_END()
