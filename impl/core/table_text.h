#pragma once
// Fields of the tables tether writes (events.csv, messages.csv, the
// capture timeline): CSV as RFC 4180 quotes it, and JSON strings, appended
// to a buffer so a large table is written without a string per field.

#include <string>
#include <string_view>

namespace tether {

// The field as is, or in double quotes (quotes doubled) when it holds a
// comma, a quote or a line break.
void append_csv_field(std::string& out, std::string_view field);
// The same, written at `out`, which has room for 2 + 2 * field.size()
// bytes; returns the end. For writers that size a whole row at once.
char* write_csv_field(char* out, std::string_view field);
std::string csv_field(std::string_view field);

// A JSON string literal, quotes included: ", \ and control characters
// escaped; bytes that are not UTF-8 are written as \u00XX of the byte, so
// the output is valid JSON whatever a capture holds.
void append_json_string(std::string& out, std::string_view text);

}  // namespace tether
