// Scenario panel: open a scenario (file browser over scenarios/ and directories, a path field,
// recent files), edit every key within its valid range, see the engine's validation message at
// the key, save the edited scenario (resolved TOML).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "sim/scenario_keys.h"
#include "ui/app.h"
#include "ui/test_script.h"

namespace fedsim::ui {
namespace {

namespace fs = std::filesystem;
using scenario_detail::ValueKind;

// Choices of the enumerated string keys (docs/scenario.md).
const std::map<std::string, std::vector<const char*>>& choices() {
  static const std::map<std::string, std::vector<const char*>> c = {
      {"run.backend", {"auto", "cpu", "cuda"}},
      {"data.source", {"synthetic", "csv", "fashion_mnist"}},
      {"data.task", {"purchase", "fraud"}},
      {"partition.scheme", {"iid", "dirichlet", "quantity", "natural"}},
      {"model.kind", {"logreg", "mlp"}},
      {"model.activation", {"relu"}},
      {"server.optimizer", {"fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad"}},
      {"server.weighting", {"samples", "uniform"}},
      {"privacy.mode", {"none", "sample", "user"}},
      {"privacy.accountant", {"rdp", "pld"}},
  };
  return c;
}

// Valid ranges of the numeric keys (docs/scenario.md); open ends are kept just inside.
struct KeyRange {
  double lo, hi;
};
KeyRange range_of(const std::string& key) {
  constexpr double inf = std::numeric_limits<double>::infinity(), tiny = 1e-12;
  static const std::map<std::string, KeyRange> r = {
      {"run.seed", {0, inf}},
      {"run.rounds", {1, 1e7}},
      {"run.eval_every", {1, 1e7}},
      {"run.checkpoint_every", {0, 1e7}},
      {"data.samples", {10, 1e9}},
      {"data.shops", {1, 1e8}},
      {"data.shop_size_sigma", {0, 10}},
      {"data.category_alpha", {tiny, 1e6}},
      {"data.fraud_rate", {tiny, 0.5 - tiny}},
      {"data.test_fraction", {tiny, 1 - tiny}},
      {"partition.clients", {1, 1e8}},
      {"partition.alpha", {tiny, 1e6}},
      {"partition.quantity_sigma", {0, 10}},
      {"partition.min_samples", {1, 1e9}},
      {"client.local_epochs", {1, 1e6}},
      {"client.local_steps", {0, 1e9}},
      {"client.batch_size", {1, 1e9}},
      {"client.lr", {tiny, 1e6}},
      {"client.momentum", {0, 1 - tiny}},
      {"client.weight_decay", {0, 1e6}},
      {"client.prox_mu", {0, 1e6}},
      {"server.lr", {tiny, 1e6}},
      {"server.momentum", {0, 1 - tiny}},
      {"server.beta1", {0, 1 - tiny}},
      {"server.beta2", {0, 1 - tiny}},
      {"server.tau", {tiny, 1e6}},
      {"server.clients_per_round", {1, 1e8}},
      {"server.sampling_rate", {0, 1}},
      {"privacy.noise_multiplier", {0, 1e4}},
      {"privacy.target_epsilon", {0, 1e4}},
      {"privacy.clip", {tiny, 1e6}},
      {"privacy.delta", {1e-300, 1 - tiny}},
      {"privacy.sample_rate", {0, 1}},
      {"privacy.target_quantile", {tiny, 1 - tiny}},
      {"privacy.clip_lr", {tiny, 1e6}},
      {"privacy.count_noise", {0, 1e9}},
  };
  const auto it = r.find(key);
  return it == r.end() ? KeyRange{-inf, inf} : it->second;
}

std::string unquote(const std::string& v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

std::string quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stays a TOML float
  return s;
}

const scenario_detail::KeySpec* spec_of(const std::string& key) {
  const auto dot = key.find('.');
  return scenario_detail::find_key(key.substr(0, dot), key.substr(dot + 1));
}

void file_browser(App& app) {
  std::error_code ec;
  fs::path dir = app.browse_dir.empty() ? fs::path(".") : fs::path(app.browse_dir);
  ImGui::TextDisabled("%s", fs::absolute(dir, ec).lexically_normal().string().c_str());
  ImGui::BeginChild("browser", ImVec2(0, 6 * ImGui::GetTextLineHeightWithSpacing()), true);
  if (ImGui::Selectable("../")) app.browse_dir = (dir / "..").lexically_normal().string();
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    if (a.is_directory() != b.is_directory()) return a.is_directory();
    return a.path().filename() < b.path().filename();
  });
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    if (e.is_directory(ec)) {
      if (ImGui::Selectable((name + "/").c_str())) app.browse_dir = e.path().string();
    } else if (e.path().extension() == ".toml") {
      if (ImGui::Selectable(name.c_str(), app.edit.path() == e.path().string()))
        app.open(e.path().string());
    }
  }
  ImGui::EndChild();
}

}  // namespace

void key_editor(App& app, const std::string& key) {
  const auto* spec = spec_of(key);
  if (!spec) return;
  ScenarioEdit& e = app.edit;
  const std::string value = e.value(key);
  const std::string label = std::string(spec->key) + "##" + key;
  ImGui::PushID(key.c_str());
  if (e.edited(key)) {
    if (ImGui::SmallButton("x")) e.reset(key);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("reset to the file's value");
  } else {
    ImGui::TextDisabled(" ");
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-ImGui::GetContentRegionAvail().x * 0.45f);
  const KeyRange range = range_of(key);
  switch (spec->kind) {
    case ValueKind::Integer: {
      int64_t v = std::strtoll(value.c_str(), nullptr, 10);
      const int64_t step = 1;
      if (ImGui::InputScalar(label.c_str(), ImGuiDataType_S64, &v, &step)) {
        v = int64_t(std::clamp(double(v), range.lo, range.hi));
        e.set(key, std::to_string(v));
      }
      break;
    }
    case ValueKind::Number: {
      double v = std::strtod(value.c_str(), nullptr);
      if (ImGui::InputDouble(label.c_str(), &v, 0.0, 0.0, "%.6g"))
        e.set(key, number_text(std::clamp(v, range.lo, range.hi)));
      break;
    }
    case ValueKind::Boolean: {
      bool v = value == "true";
      if (ImGui::Checkbox(label.c_str(), &v)) e.set(key, v ? "true" : "false");
      break;
    }
    case ValueKind::String: {
      const auto c = choices().find(key);
      const std::string cur = unquote(value);
      if (c != choices().end()) {
        if (ImGui::BeginCombo(label.c_str(), cur.c_str())) {
          for (const char* o : c->second) {
            if (ImGui::Selectable(o, cur == o)) e.set(key, quote(o));
            ui_test::mark(key + "=", o);  // e.g. privacy.mode=sample
          }
          ImGui::EndCombo();
        }
      } else {
        std::string text = cur;
        if (ImGui::InputText(label.c_str(), &text, ImGuiInputTextFlags_EnterReturnsTrue))
          e.set(key, quote(text));
      }
      break;
    }
    default: {  // arrays, in TOML syntax
      std::string text = value;
      if (ImGui::InputText(label.c_str(), &text, ImGuiInputTextFlags_EnterReturnsTrue))
        e.set(key, text);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("TOML array, e.g. [64, 64]; Enter applies");
      break;
    }
  }
  ui_test::mark(key);  // the key's input, e.g. run.rounds
  if (e.error_key() == key) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", e.error().c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::PopID();
}

void panel_scenario(App& app) {
  ScenarioEdit& e = app.edit;
  ImGui::Text("file: %s%s", e.path().c_str(), e.dirty() ? " (edited)" : "");

  // Open: path field (Ctrl+O focuses it), recent files, browser.
  if (app.focus_path) {
    ImGui::SetKeyboardFocusHere();
    app.focus_path = false;
  }
  ImGui::SetNextItemWidth(-120);
  const bool enter =
      ImGui::InputText("##path", &app.path_field, ImGuiInputTextFlags_EnterReturnsTrue);
  ui_test::mark("scenario.path");
  ImGui::SameLine();
  if (ImGui::Button("Open") || enter) app.open(app.path_field);
  ui_test::mark("scenario.open");
  ImGui::SameLine();
  if (ImGui::Button("Default")) {
    e.load_default();
    app.info("the embedded default scenario");
  }
  if (!app.recent.empty()) {
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##recent", "recent files")) {
      for (const auto& r : std::vector<std::string>(app.recent))
        if (ImGui::Selectable(r.c_str())) app.open(r);
      ImGui::EndCombo();
    }
  }
  if (ImGui::CollapsingHeader("Browse")) file_browser(app);

  // Save the resolved scenario.
  ImGui::SetNextItemWidth(-120);
  ImGui::InputText("##save", &app.save_field);
  ui_test::mark("scenario.save-path");
  ImGui::SameLine();
  ImGui::BeginDisabled(!e.valid());
  if (ImGui::Button("Save")) app.save();
  ui_test::mark("scenario.save");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!e.dirty());
  if (ImGui::Button("Reset")) e.reset_all();
  ImGui::EndDisabled();

  // An error about no particular key (or a key not shown here) goes above the keys.
  const std::string& ek = e.error_key();
  if (!e.valid() && (ek.empty() || !spec_of(ek))) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", e.error().c_str());
    ImGui::PopTextWrapPos();
  }

  ImGui::BeginChild("keys");
  std::string section;
  bool open = false;
  for (const auto& k : scenario_detail::keys()) {
    if (k.section == "privacy") continue;  // the Privacy panel
    if (k.section != section) {
      section = std::string(k.section);
      const bool has_error = ek.rfind(section + ".", 0) == 0;
      if (has_error) ImGui::SetNextItemOpen(true);
      open = ImGui::CollapsingHeader(section.c_str(),
                                     section == "run" ? ImGuiTreeNodeFlags_DefaultOpen : 0);
    }
    if (open) key_editor(app, section + "." + std::string(k.key));
  }
  ImGui::EndChild();
}

}  // namespace fedsim::ui
