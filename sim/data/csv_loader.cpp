// CSV loader with pseudonymisation at load (see csv_loader.h).
#include "sim/data/csv_loader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string_view>

#include "sim/data/pseudonymize.h"

namespace fedsim {
namespace {

[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& msg) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + msg);
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Split one line into fields (RFC 4180 quotes within the line). Returns false on an unclosed quote.
bool split_fields(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::string cur;
  size_t i = 0;
  for (;;) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return false;
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += line[i++];
      }
      // Anything between the closing quote and the comma is kept as is.
      while (i < line.size() && line[i] != ',') cur += line[i++];
    } else {
      while (i < line.size() && line[i] != ',') cur += line[i++];
    }
    out.push_back(cur);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

bool is_missing(std::string_view v) {
  return v.empty() || v == "NA" || v == "NaN" || v == "nan" || v == "NAN" || v == "null" ||
         v == "NULL";
}

// Text from the file for an error message: control bytes (NUL, CR, ...) written as \xNN, so the
// message stays one readable line (a NUL in a value or column name used to cut it short).
std::string printable(std::string_view v) {
  std::string s;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7F) {
      static const char* kHex = "0123456789ABCDEF";
      s += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    } else {
      s += char(c);
    }
  }
  return s;
}
// A value for an error message: at most 40 bytes, printable, in single quotes.
std::string quoted(std::string_view v) {
  std::string s = "'";  // appended piece by piece: "'" + std::string&& trips GCC 12's -Wrestrict
  s += printable(v.substr(0, 40));
  s += v.size() > 40 ? "...'" : "'";
  return s;
}

// Column roles, resolved from the header.
struct Columns {
  int label = -1, client = -1;
  std::vector<int> features, ids;
};

Columns resolve_columns(const DataConfig& cfg, const std::vector<std::string>& header, int64_t hl) {
  const std::string& path = cfg.path;
  std::map<std::string, int> index;
  for (int j = 0; j < int(header.size()); ++j) {
    if (header[j].empty()) fail(path, hl, "column " + std::to_string(j + 1) + " has an empty name");
    if (!index.emplace(header[j], j).second) fail(path, hl, "duplicate column '" + header[j] + "'");
  }
  auto find = [&](const std::string& name, const char* role) {
    auto it = index.find(name);
    if (it == index.end()) {
      std::string all;
      for (const auto& h : header) all += (all.empty() ? "" : ", ") + printable(h);
      fail(path, hl, std::string(role) + " column '" + name + "' not found (columns: " + all + ")");
    }
    return it->second;
  };
  Columns c;
  if (cfg.label_column.empty())
    throw std::runtime_error(path + ": data.label_column is required for a csv source");
  c.label = find(cfg.label_column, "label");
  std::vector<bool> taken(header.size(), false);
  taken[c.label] = true;
  if (!cfg.client_column.empty()) {
    c.client = find(cfg.client_column, "client");
    if (taken[c.client]) fail(path, hl, "client column '" + cfg.client_column + "' is the label");
    taken[c.client] = true;
  }
  for (const auto& name : cfg.id_columns) {
    const int j = find(name, "id");
    if (j == c.label) fail(path, hl, "id column '" + name + "' is the label column");
    c.ids.push_back(j);
    taken[j] = true;
  }
  if (cfg.feature_columns.empty()) {
    for (int j = 0; j < int(header.size()); ++j)
      if (!taken[j]) c.features.push_back(j);
  } else {
    for (const auto& name : cfg.feature_columns) {
      const int j = find(name, "feature");
      if (taken[j])
        fail(path, hl, "feature column '" + name + "' is also the label, client or an id column");
      if (std::find(c.features.begin(), c.features.end(), j) != c.features.end())
        fail(path, hl, "feature column '" + name + "' listed twice");
      c.features.push_back(j);
    }
  }
  if (c.features.empty()) fail(path, hl, "no feature columns");
  return c;
}

float parse_feature(std::string_view raw, const std::string& path, int64_t line,
                    const std::string& col) {
  std::string_view v = trim(raw);
  if (is_missing(v))
    fail(path, line,
         "column '" + col + "': missing value " + quoted(v) +
             " (missing values are not supported; impute them first)");
  std::string_view num = v;
  if (num.size() > 1 && num[0] == '+' && num[1] != '-') num.remove_prefix(1);  // not "+-1"
  double val = 0;
  const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), val);
  if (ec != std::errc() || end != num.data() + num.size())
    fail(path, line, "column '" + col + "': non-numeric value " + quoted(v));
  if (!std::isfinite(val) || std::fabs(val) > 3.4e38)
    fail(path, line, "column '" + col + "': value " + quoted(v) + " is not a finite float");
  return float(val);
}

int64_t parse_label(std::string_view raw, const std::string& path, int64_t line,
                    const std::string& col) {
  std::string_view v = trim(raw);
  if (is_missing(v)) fail(path, line, "label column '" + col + "': missing label");
  std::string_view num = v;
  if (num.size() > 1 && num[0] == '+' && num[1] != '-') num.remove_prefix(1);  // not "+-1"
  int64_t val = 0;
  const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), val);
  if (ec != std::errc() || end != num.data() + num.size())
    fail(path, line,
         "label column '" + col + "': expected an integer class label, got " + quoted(v));
  return val;
}

}  // namespace

Dataset load_csv(const DataConfig& cfg, CsvExtras* extras) {
  const std::string& path = cfg.path;
  if (path.empty()) throw std::runtime_error("csv source: data.path is not set");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open csv file");

  std::string line;
  std::vector<std::string> fields;
  int64_t lineno = 0;
  // Header: the first non-empty line.
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    if (lineno == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0)
      line.erase(0, 3);  // UTF-8 byte order mark
    if (lineno == 1 && line.size() >= 2 &&
        (line.compare(0, 2, "\xFF\xFE") == 0 || line.compare(0, 2, "\xFE\xFF") == 0))
      fail(path, lineno,
           "the file is UTF-16 (byte order mark FF FE or FE FF); convert it to UTF-8");
    if (!split_fields(line, fields)) fail(path, lineno, "unclosed quote in header");
    for (const auto& f : fields) header.emplace_back(trim(f));
    break;
  }
  if (header.empty()) throw std::runtime_error(path + ": empty csv file (no header)");
  const Columns col = resolve_columns(cfg, header, lineno);

  std::string key;
  if (col.client >= 0 || !col.ids.empty()) {
    if (cfg.key_file.empty())
      throw std::runtime_error(path +
                               ": data.key_file is required to pseudonymise the client/id "
                               "columns (HMAC-SHA256 key)");
    key = read_key_file(cfg.key_file);
  }

  Dataset ds;
  ds.d = int(col.features.size());
  for (int j : col.features) ds.feature_names.push_back(header[j]);
  // Categorical feature columns: text values interned as codes (cat[k] for the k-th feature).
  std::vector<int> cat(col.features.size(), -1);
  std::vector<CategoricalColumn> cats;
  std::vector<std::map<std::string, int, std::less<>>> codes;
  for (size_t k = 0; k < col.features.size(); ++k) {
    const std::string& name = header[col.features[k]];
    const auto& cc = cfg.categorical_columns;
    if (std::find(cc.begin(), cc.end(), name) == cc.end()) continue;
    cat[k] = int(cats.size());
    cats.push_back({int(k), name, {}});
    codes.emplace_back();
  }
  for (const auto& name : cfg.categorical_columns) {
    const bool found =
        std::any_of(cats.begin(), cats.end(), [&](auto& c) { return c.name == name; });
    if (!found)
      fail(path, lineno,
           "categorical column '" + name +
               "' is not a feature column (not in the header, the label, client or an id "
               "column, or not in data.feature_columns)");
  }
  std::vector<int64_t> raw_labels;
  std::vector<Digest> client_digest;
  std::vector<std::vector<Digest>> id_digest(col.ids.size());

  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    if (!split_fields(line, fields)) fail(path, lineno, "unclosed quote");
    if (fields.size() != header.size())
      fail(path, lineno,
           "expected " + std::to_string(header.size()) + " fields, got " +
               std::to_string(fields.size()));
    for (size_t k = 0; k < col.features.size(); ++k) {
      const int j = col.features[k];
      if (cat[k] < 0) {
        ds.x.push_back(parse_feature(fields[j], path, lineno, header[j]));
        continue;
      }
      const std::string_view v = trim(fields[j]);
      if (is_missing(v))
        fail(path, lineno,
             "categorical column '" + header[j] + "': missing value " + quoted(v) +
                 " (give missing values a category of their own, e.g. 'missing')");
      auto& m = codes[cat[k]];
      auto it = m.find(v);
      if (it == m.end()) {
        if (m.size() >= (size_t(1) << 24))
          fail(path, lineno, "categorical column '" + header[j] + "': more than 2^24 categories");
        it = m.emplace(std::string(v), int(m.size())).first;
        cats[cat[k]].values.emplace_back(v);
      }
      ds.x.push_back(float(it->second));
    }
    raw_labels.push_back(parse_label(fields[col.label], path, lineno, header[col.label]));
    // Identifiers: only their keyed digests are kept; the raw text is overwritten with the next
    // line.
    if (col.client >= 0) {
      if (trim(fields[col.client]).empty())
        fail(path, lineno, "client column '" + header[col.client] + "': empty client id");
      client_digest.push_back(hmac_sha256(key, fields[col.client]));
    }
    for (size_t k = 0; k < col.ids.size(); ++k)
      id_digest[k].push_back(hmac_sha256(key, fields[col.ids[k]]));
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  std::fill(line.begin(), line.end(), '\0');
  for (auto& f : fields) std::fill(f.begin(), f.end(), '\0');
  if (raw_labels.empty()) throw std::runtime_error(path + ": no data rows after the header");

  ds.n = int64_t(raw_labels.size());
  std::vector<int64_t> values = raw_labels;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.size() < 2)
    throw std::runtime_error(path + ": label column '" + cfg.label_column +
                             "' has a single class (" + std::to_string(values[0]) +
                             "); need at least 2");
  ds.classes = int(values.size());
  ds.y.resize(size_t(ds.n));
  for (int64_t i = 0; i < ds.n; ++i)
    ds.y[i] =
        int32_t(std::lower_bound(values.begin(), values.end(), raw_labels[i]) - values.begin());

  int64_t clients = 0;
  if (col.client >= 0) ds.group = dense_ids_by_digest(client_digest, &clients);
  if (extras) {
    extras->label_values = values;
    extras->id_columns = cfg.id_columns;
    extras->ids.clear();
    for (const auto& dg : id_digest) extras->ids.push_back(dense_ids_by_digest(dg));
    extras->clients = clients;
    extras->categorical = std::move(cats);
  }
  return ds;
}

}  // namespace fedsim
