#include "smtp/config.h"

#include <algorithm>

#include "core/ascii.h"

namespace tether::smtp {

namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.name == name; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Table* Config::find_table(const std::string& name) const { return find_named(tables, name); }

Table* Config::find_table(const std::string& name) {
  auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

// pki and ca names are host names, compared as OpenSMTPD does: lower-cased.
const Pki* Config::find_pki(const std::string& name) const {
  return find_named(pkis, ascii_lower(name));
}

const CertificateAuthority* Config::find_ca(const std::string& name) const {
  return find_named(cas, ascii_lower(name));
}

const Filter* Config::find_filter(const std::string& name) const { return find_named(filters, name); }

const Action* Config::find_action(const std::string& name) const { return find_named(actions, name); }

}  // namespace tether::smtp
