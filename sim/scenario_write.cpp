// Writing a scenario back out: enum names, the fully resolved TOML (recorded in every result file,
// and parseable again to an equal Scenario) and the output path.
#include <string>

#include "sim/scenario.h"
#include "sim/scenario_reader.h"

namespace fedsim {
namespace {

using scenario_detail::format_number;
using scenario_detail::quote;

// Appends "key = value" lines; one overload per value type.
class TomlWriter {
 public:
  void section(const char* name) {
    out_ += (out_.empty() ? "[" : "\n[") + std::string(name) + "]\n";
  }
  void put(const char* key, const std::string& v) { line(key, quote(v)); }
  void put(const char* key, const char* v) { line(key, quote(v)); }
  void put(const char* key, bool v) { line(key, v ? "true" : "false"); }
  void put(const char* key, double v) { line(key, format_number(v)); }
  void put(const char* key, int v) { line(key, std::to_string(v)); }
  void put(const char* key, int64_t v) { line(key, std::to_string(v)); }
  void put(const char* key, uint64_t v) { line(key, std::to_string(v)); }
  void put(const char* key, const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + quote(v[i]);
    line(key, s + "]");
  }
  void put(const char* key, const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_number(v[i]);
    line(key, s + "]");
  }
  void put(const char* key, const std::vector<int>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    line(key, s + "]");
  }
  std::string take() { return std::move(out_); }

 private:
  void line(const char* key, const std::string& value) {
    out_ += std::string(key) + " = " + value + "\n";
  }
  std::string out_;
};

}  // namespace

const char* to_string(BackendKind v) {
  switch (v) {
    case BackendKind::Auto:
      return "auto";
    case BackendKind::Cpu:
      return "cpu";
    case BackendKind::Cuda:
      return "cuda";
  }
  return "?";
}

const char* to_string(DataSource v) {
  switch (v) {
    case DataSource::Synthetic:
      return "synthetic";
    case DataSource::Csv:
      return "csv";
    case DataSource::FashionMnist:
      return "fashion_mnist";
  }
  return "?";
}

const char* to_string(SyntheticTask v) {
  return v == SyntheticTask::Fraud ? "fraud" : "purchase";
}

const char* to_string(PartitionScheme v) {
  switch (v) {
    case PartitionScheme::Iid:
      return "iid";
    case PartitionScheme::Dirichlet:
      return "dirichlet";
    case PartitionScheme::Quantity:
      return "quantity";
    case PartitionScheme::Natural:
      return "natural";
  }
  return "?";
}

const char* to_string(ModelKind v) {
  return v == ModelKind::LogReg ? "logreg" : "mlp";
}

const char* to_string(Activation) {
  return "relu";
}

const char* to_string(ServerOptimizer v) {
  switch (v) {
    case ServerOptimizer::FedAvg:
      return "fedavg";
    case ServerOptimizer::FedAvgM:
      return "fedavgm";
    case ServerOptimizer::FedAdam:
      return "fedadam";
    case ServerOptimizer::FedYogi:
      return "fedyogi";
    case ServerOptimizer::FedAdagrad:
      return "fedadagrad";
  }
  return "?";
}

const char* to_string(Weighting v) {
  return v == Weighting::Uniform ? "uniform" : "samples";
}

const char* to_string(SecAggModeKind v) {
  switch (v) {
    case SecAggModeKind::SecAgg:
      return "secagg";
    case SecAggModeKind::SecAggPlus:
      return "secagg+";
    default:
      return "off";
  }
}

const char* to_string(PrivacyMode v) {
  switch (v) {
    case PrivacyMode::None:
      return "none";
    case PrivacyMode::Sample:
      return "sample";
    case PrivacyMode::User:
      return "user";
  }
  return "?";
}

const char* to_string(AccountantKind v) {
  return v == AccountantKind::Pld ? "pld" : "rdp";
}

// Every section and key in the order of scenario_keys.cpp (and docs/scenario.md).
std::string resolved_toml(const Scenario& s) {
  TomlWriter w;
  w.section("run");
  w.put("name", s.run.name);
  w.put("seed", s.run.seed);
  w.put("rounds", s.run.rounds);
  w.put("eval_every", s.run.eval_every);
  w.put("checkpoint_every", s.run.checkpoint_every);
  w.put("backend", to_string(s.run.backend));
  w.put("output", s.run.output);

  const DataConfig& d = s.data;
  w.section("data");
  w.put("source", to_string(d.source));
  w.put("task", to_string(d.task));
  w.put("samples", d.samples);
  w.put("shops", d.shops);
  w.put("shop_size_sigma", d.shop_size_sigma);
  w.put("category_alpha", d.category_alpha);
  w.put("fraud_rate", d.fraud_rate);
  w.put("path", d.path);
  w.put("label_column", d.label_column);
  w.put("client_column", d.client_column);
  w.put("feature_columns", d.feature_columns);
  w.put("id_columns", d.id_columns);
  w.put("key_file", d.key_file);
  w.put("categorical_columns", d.categorical_columns);
  w.put("winsorize", d.winsorize);
  w.put("winsorize_columns", d.winsorize_columns);
  w.put("test_fraction", d.test_fraction);
  w.put("standardize", d.standardize);

  w.section("partition");
  w.put("scheme", to_string(s.partition.scheme));
  w.put("clients", s.partition.clients);
  w.put("alpha", s.partition.alpha);
  w.put("quantity_sigma", s.partition.quantity_sigma);
  w.put("min_samples", s.partition.min_samples);

  w.section("model");
  w.put("kind", to_string(s.model.kind));
  w.put("hidden", s.model.hidden);
  w.put("activation", to_string(s.model.activation));

  const ClientConfig& c = s.client;
  w.section("client");
  w.put("local_epochs", c.local_epochs);
  w.put("local_steps", c.local_steps);
  w.put("batch_size", c.batch_size);
  w.put("lr", c.lr);
  w.put("momentum", c.momentum);
  w.put("weight_decay", c.weight_decay);
  w.put("prox_mu", c.prox_mu);

  const ServerConfig& v = s.server;
  w.section("server");
  w.put("optimizer", to_string(v.optimizer));
  w.put("lr", v.lr);
  w.put("momentum", v.momentum);
  w.put("beta1", v.beta1);
  w.put("beta2", v.beta2);
  w.put("tau", v.tau);
  w.put("clients_per_round", v.clients_per_round);
  w.put("sampling_rate", v.sampling_rate);
  w.put("weighting", to_string(v.weighting));

  const PrivacyConfig& p = s.privacy;
  w.section("privacy");
  w.put("mode", to_string(p.mode));
  w.put("noise_multiplier", p.noise_multiplier);
  w.put("target_epsilon", p.target_epsilon);
  w.put("clip", p.clip);
  w.put("delta", p.delta);
  w.put("accountant", to_string(p.accountant));
  w.put("sample_rate", p.sample_rate);
  w.put("adaptive_clip", p.adaptive_clip);
  w.put("target_quantile", p.target_quantile);
  w.put("clip_lr", p.clip_lr);
  w.put("count_noise", p.count_noise);
  const SecAggConfig& a = s.secagg;
  w.section("secagg");
  w.put("mode", to_string(a.mode));
  w.put("bits", a.bits);
  w.put("threshold", a.threshold);
  w.put("neighbours", a.neighbours);
  w.put("clip", a.clip);
  w.put("dropout_before_masking", a.dropout_before_masking);
  w.put("dropout_after_masking", a.dropout_after_masking);
  w.put("dropout_before_unmasking", a.dropout_before_unmasking);
  w.put("fast", a.fast);
  w.put("distributed_dp", a.distributed_dp);
  return w.take();
}

std::string output_path(const Scenario& s) {
  std::string out = s.run.output;
  auto replace_all = [&out](const std::string& from, const std::string& to) {
    for (std::size_t pos = out.find(from); pos != std::string::npos;
         pos = out.find(from, pos + to.size())) {
      out.replace(pos, from.size(), to);
    }
  };
  replace_all("{name}", s.run.name);
  replace_all("{seed}", std::to_string(s.run.seed));
  return out;
}

}  // namespace fedsim
