// aliases(5) and virtual expansion: recursion, loops, the depth limit, and
// targets tether refuses to deliver to (commands, files).

#include "smtp/alias_expansion.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "smtp/seed_configs.h"

using namespace tether;
using namespace tether::smtp;

namespace {

Table mapping(std::vector<std::pair<std::string, std::string>> entries, std::string name = "aliases") {
  Table t;
  t.name = std::move(name);
  t.kind = TableKind::mapping;
  int line = 0;
  for (auto& [k, v] : entries) t.entries.push_back({k, v, ++line});
  return t;
}

// "u:jay a:admin@example.net" for compact comparisons.
std::string summary(const AliasExpansion& e) {
  std::string out;
  for (const AliasTarget& t : e.targets) {
    if (!out.empty()) out += ' ';
    out += (t.kind == AliasTarget::Kind::local_user ? "u:" : "a:") + t.value;
  }
  return out;
}

AliasExpansion expand(const Table& t, std::string_view name) {
  Result<AliasExpansion> e = expand_aliases(t, name);
  BOOST_REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().to_string()));
  return std::move(e).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(alias_expansion)

BOOST_AUTO_TEST_CASE(seed_aliases_file) {
  // carinho's /etc/mail/aliases fixture: MAILER-DAEMON -> postmaster -> root -> jay.
  ConfigParseResult parsed = tether::smtp::testing::parse_seed("carinho");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.error_text());
  const Table* aliases = parsed.config.find_table("aliases");
  BOOST_REQUIRE(aliases);
  AliasExpansion e = expand(*aliases, "MAILER-DAEMON");
  BOOST_TEST(summary(e) == "u:jay");
  BOOST_TEST(e.targets[0].via == "mailer-daemon -> postmaster -> root -> jay");
}

BOOST_AUTO_TEST_CASE(recursion_and_mixed_targets) {
  Table t = mapping({{"postmaster", "root"},
                     {"root", "jay, admin@example.net"},
                     {"jay", "jay, jay@backup.example.net"},
                     {"team", "root, alice, \"bob\""}});
  BOOST_TEST(summary(expand(t, "postmaster")) == "u:jay a:jay@backup.example.net a:admin@example.net");
  // Everyone once, though jay is reached twice.
  BOOST_TEST(summary(expand(t, "team")) == "u:jay a:jay@backup.example.net a:admin@example.net u:alice u:bob");
  // No entry: the user of that name.
  BOOST_TEST(summary(expand(t, "carol")) == "u:carol");
}

BOOST_AUTO_TEST_CASE(names_ignore_case_and_tags) {
  Table t = mapping({{"root", "jay"}, {"jay+lists", "lists@example.net"}});
  BOOST_TEST(summary(expand(t, "ROOT")) == "u:jay");
  BOOST_TEST(summary(expand(t, "Root+cron")) == "u:jay");         // falls back to root
  BOOST_TEST(summary(expand(t, "jay+lists")) == "a:lists@example.net");  // its own entry first
  BOOST_TEST(summary(expand(t, "Alice+Tag")) == "u:alice");        // no entry: the plain user
}

BOOST_AUTO_TEST_CASE(loops_are_errors) {
  Table t = mapping({{"a", "b"}, {"b", "c, jay"}, {"c", "A"}});
  Result<AliasExpansion> e = expand_aliases(t, "a");
  BOOST_REQUIRE(!e.ok());
  BOOST_CHECK_MESSAGE(e.error().message.find("alias loop a -> b -> c -> a") != std::string::npos, e.error().message);
  // A diamond is not a loop.
  Table diamond = mapping({{"all", "x, y"}, {"x", "jay"}, {"y", "jay, z"}, {"z", "x"}});
  BOOST_TEST(summary(expand(diamond, "all")) == "u:jay");
}

BOOST_AUTO_TEST_CASE(depth_limit) {
  auto chain = [](int entries) {
    std::vector<std::pair<std::string, std::string>> e;
    for (int i = 0; i < entries; ++i)
      e.push_back({"l" + std::to_string(i), i + 1 < entries ? "l" + std::to_string(i + 1) : "jay"});
    return mapping(e);
  };
  BOOST_TEST(summary(expand(chain(10), "l0")) == "u:jay");
  Result<AliasExpansion> deep = expand_aliases(chain(11), "l0");
  BOOST_REQUIRE(!deep.ok());
  BOOST_CHECK_MESSAGE(deep.error().message.find("deeper than 10 levels") != std::string::npos, deep.error().message);
  AliasOptions shallow;
  shallow.max_depth = 2;
  BOOST_TEST(!expand_aliases(chain(3), "l0", shallow).ok());
}

BOOST_AUTO_TEST_CASE(commands_and_files_are_refused_not_run) {
  Table t = mapping({{"lists", "\"|/usr/bin/mlmmj-receive -L /var/spool/mlmmj/x\", jay"},
                     {"archive", "/var/mail/archive, :include:/etc/mail/more, error:550 gone"},
                     {"root", "lists"}});
  AliasExpansion e = expand(t, "root");
  BOOST_TEST(summary(e) == "u:jay");
  BOOST_REQUIRE(e.refused.size() == 1u);
  BOOST_TEST(e.refused[0].target == "|/usr/bin/mlmmj-receive -L /var/spool/mlmmj/x");
  BOOST_TEST(e.refused[0].reason == "alias 'lists' -> '|/usr/bin/mlmmj-receive -L /var/spool/mlmmj/x': "
                                    "delivery to a command is not supported");
  AliasExpansion a = expand(t, "archive");
  BOOST_TEST(a.targets.empty());
  BOOST_REQUIRE(a.refused.size() == 3u);
  BOOST_TEST(a.refused[0].reason.find("delivery to a file is not supported") != std::string::npos);
  BOOST_TEST(a.refused[1].reason.find("include files are not supported") != std::string::npos);
  BOOST_TEST(a.refused[2].reason.find("error: targets are not supported") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(virtual_tables) {
  Table t = mapping({{"jay@example.org", "jay, jay@elsewhere.example.net"},
                     {"postmaster@example.org", "jay@example.org"},
                     {"@example.org", "opensmtpd"}},
                    "vusers");
  auto v = [&](std::string_view address) {
    Result<AliasExpansion> e = expand_virtual(t, address);
    BOOST_REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().to_string()));
    return summary(*e);
  };
  BOOST_TEST(v("jay@example.org") == "u:jay a:jay@elsewhere.example.net");
  BOOST_TEST(v("Postmaster@Example.org") == "u:jay a:jay@elsewhere.example.net");
  BOOST_TEST(v("jay+tag@example.org") == "u:jay a:jay@elsewhere.example.net");
  BOOST_TEST(v("bob@example.org") == "u:opensmtpd");  // the domain's catch-all
  BOOST_TEST(v("bob@other.example.net") == "a:bob@other.example.net");
}

BOOST_AUTO_TEST_SUITE_END()
