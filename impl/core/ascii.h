#pragma once
// ASCII case folding, the only kind protocol text needs: SMTP verbs and
// parameters, domain names, smtpd.conf and wg-quick keywords. Unlike
// std::tolower it never depends on the process's locale, so a Turkish or
// any other locale cannot make "MAIL" and "mail" differ.

#include <cstddef>
#include <string>
#include <string_view>

namespace tether {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }

std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

// Equal but for the case of ASCII letters.
bool ascii_iequals(std::string_view a, std::string_view b);
// `text` begins with `prefix`, ignoring the case of ASCII letters.
bool ascii_istarts_with(std::string_view text, std::string_view prefix);
// Edits (insertions, deletions, substitutions) from a to b, ignoring the
// case of ASCII letters: how near a mistyped keyword is to a real one, for
// errors that suggest it.
std::size_t ascii_edit_distance(std::string_view a, std::string_view b);

}  // namespace tether
