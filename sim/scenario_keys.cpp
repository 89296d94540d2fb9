// Scenario schema and name suggestions (see scenario_keys.h).
#include "sim/scenario_keys.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace fedsim::scenario_detail {
namespace {

using K = ValueKind;

constexpr std::array<std::string_view, 8> kSections = {"run",    "data",   "partition", "model",
                                                       "client", "server", "privacy",   "secagg"};

constexpr KeySpec kKeys[] = {
    {"run", "name", K::String},
    {"run", "seed", K::Integer},
    {"run", "rounds", K::Integer},
    {"run", "eval_every", K::Integer},
    {"run", "checkpoint_every", K::Integer},
    {"run", "backend", K::String},
    {"run", "output", K::String},
    {"data", "source", K::String},
    {"data", "task", K::String},
    {"data", "samples", K::Integer},
    {"data", "shops", K::Integer},
    {"data", "shop_size_sigma", K::Number},
    {"data", "category_alpha", K::Number},
    {"data", "fraud_rate", K::Number},
    {"data", "path", K::String},
    {"data", "label_column", K::String},
    {"data", "client_column", K::String},
    {"data", "feature_columns", K::StringArray},
    {"data", "id_columns", K::StringArray},
    {"data", "key_file", K::String},
    {"data", "categorical_columns", K::StringArray},
    {"data", "winsorize", K::NumberArray},
    {"data", "winsorize_columns", K::StringArray},
    {"data", "test_fraction", K::Number},
    {"data", "standardize", K::Boolean},
    {"partition", "scheme", K::String},
    {"partition", "clients", K::Integer},
    {"partition", "alpha", K::Number},
    {"partition", "quantity_sigma", K::Number},
    {"partition", "min_samples", K::Integer},
    {"model", "kind", K::String},
    {"model", "hidden", K::IntegerArray},
    {"model", "activation", K::String},
    {"client", "local_epochs", K::Integer},
    {"client", "local_steps", K::Integer},
    {"client", "batch_size", K::Integer},
    {"client", "lr", K::Number},
    {"client", "momentum", K::Number},
    {"client", "weight_decay", K::Number},
    {"client", "prox_mu", K::Number},
    {"server", "optimizer", K::String},
    {"server", "lr", K::Number},
    {"server", "momentum", K::Number},
    {"server", "beta1", K::Number},
    {"server", "beta2", K::Number},
    {"server", "tau", K::Number},
    {"server", "clients_per_round", K::Integer},
    {"server", "sampling_rate", K::Number},
    {"server", "weighting", K::String},
    {"privacy", "mode", K::String},
    {"privacy", "noise_multiplier", K::Number},
    {"privacy", "target_epsilon", K::Number},
    {"privacy", "clip", K::Number},
    {"privacy", "delta", K::Number},
    {"privacy", "accountant", K::String},
    {"privacy", "sample_rate", K::Number},
    {"privacy", "adaptive_clip", K::Boolean},
    {"privacy", "target_quantile", K::Number},
    {"privacy", "clip_lr", K::Number},
    {"privacy", "count_noise", K::Number},
    {"secagg", "mode", K::String},
    {"secagg", "bits", K::Integer},
    {"secagg", "threshold", K::Integer},
    {"secagg", "neighbours", K::Integer},
    {"secagg", "clip", K::Number},
    {"secagg", "dropout_before_masking", K::Number},
    {"secagg", "dropout_after_masking", K::Number},
    {"secagg", "dropout_before_unmasking", K::Number},
    {"secagg", "fast", K::Boolean},
    {"secagg", "distributed_dp", K::Boolean},
};

// Names people commonly type for a key (from other frameworks or plain English), so that a
// misspelling of them still finds the real key: "lerning_rate" -> "learning_rate" -> "lr".
struct Alias {
  std::string_view section;  // "" = every section that has `key`
  std::string_view alias;
  std::string_view key;
};
constexpr Alias kAliases[] = {
    {"", "learning_rate", "lr"},
    {"client", "epochs", "local_epochs"},
    {"client", "steps", "local_steps"},
    {"client", "batch", "batch_size"},
    {"client", "mu", "prox_mu"},
    {"client", "proximal_mu", "prox_mu"},
    {"run", "num_rounds", "rounds"},
    {"run", "device", "backend"},
    {"partition", "num_clients", "clients"},
    {"partition", "n_clients", "clients"},
    {"server", "num_clients", "clients_per_round"},
    {"server", "fraction_fit", "sampling_rate"},
    {"model", "layers", "hidden"},
    {"model", "hidden_layers", "hidden"},
    {"model", "type", "kind"},
    {"data", "label", "label_column"},
    {"data", "features", "feature_columns"},
    {"data", "ids", "id_columns"},
    {"privacy", "sigma", "noise_multiplier"},
    {"privacy", "epsilon", "target_epsilon"},
    {"privacy", "max_grad_norm", "clip"},
    {"privacy", "clip_norm", "clip"},
    {"privacy", "l2_norm_clip", "clip"},
    {"privacy", "noise", "noise_multiplier"},
    {"privacy", "sampling_rate", "sample_rate"},
    {"privacy", "adaptive_clipping", "adaptive_clip"},
    {"privacy", "quantile", "target_quantile"},
    {"privacy", "clip_learning_rate", "clip_lr"},
    {"privacy", "clipped_count_stddev", "count_noise"},
};

std::string join(std::string_view a, std::string_view b) {
  return std::string(a) + "." + std::string(b);
}

}  // namespace

std::span<const std::string_view> sections() {
  return kSections;
}
std::span<const KeySpec> keys() {
  return kKeys;
}

bool is_section(std::string_view section) {
  return std::find(kSections.begin(), kSections.end(), section) != kSections.end();
}

const KeySpec* find_key(std::string_view section, std::string_view key) {
  for (const KeySpec& k : kKeys) {
    if (k.section == section && k.key == key) return &k;
  }
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool close_enough(std::string_view word, std::string_view candidate, std::size_t distance) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  return distance <= limit && distance < std::max(word.size(), candidate.size());
}

// Within the key's own section first (names and aliases, by edit distance); failing that, the
// same name (or alias) in another section, e.g. [client] optimizer -> server.optimizer.
std::string suggest_key(std::string_view section, std::string_view key) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  auto consider = [&](std::string_view sec, std::string_view name, std::string_view target) {
    const std::size_t d = edit_distance(key, name);
    if (d < best_distance && close_enough(key, name, d)) {
      best_distance = d;
      best = join(sec, target);
    }
  };
  if (is_section(section)) {
    for (const KeySpec& k : kKeys) {
      if (k.section == section) consider(k.section, k.key, k.key);
    }
    for (const Alias& a : kAliases) {
      if ((a.section.empty() || a.section == section) && find_key(section, a.key)) {
        consider(section, a.alias, a.key);
      }
    }
    if (!best.empty()) return best;
  }
  for (const KeySpec& k : kKeys) {
    if (k.section != section && k.key == key) return join(k.section, k.key);
  }
  for (const Alias& a : kAliases) {
    if (a.alias != key) continue;
    for (const KeySpec& k : kKeys) {
      if (k.key == a.key && (a.section.empty() || a.section == k.section)) {
        return join(k.section, k.key);
      }
    }
  }
  return {};
}

std::string suggest_section(std::string_view section) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (std::string_view s : kSections) {
    const std::size_t d = edit_distance(section, s);
    if (d < best_distance && close_enough(section, s, d)) {
      best_distance = d;
      best = std::string(s);
    }
  }
  return best;
}

}  // namespace fedsim::scenario_detail
