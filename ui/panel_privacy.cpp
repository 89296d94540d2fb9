// Privacy panel: the [privacy] keys, and the epsilon the scenario will have spent after its planned
// rounds: RDP computed within the frame as a slider moves, PLD (and calibration for a target
// epsilon, and the epsilon-vs-rounds curve) from PrivacyWorker when ready; never blocks a frame.
#include <imgui.h>

#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"
#include "ui/test_script.h"

namespace fedsim::ui {

static void prediction(App& app);

void panel_privacy(App& app) {
  ScenarioEdit& e = app.edit;
  key_editor(app, "privacy.mode");
  const std::string mode = e.value("privacy.mode");
  if (mode != "\"none\"") {
    // The noise slider: moving it changes the scenario (an override) and the prediction at once.
    float z = float(std::strtod(e.value("privacy.noise_multiplier").c_str(), nullptr));
    ImGui::SetNextItemWidth(-ImGui::GetContentRegionAvail().x * 0.45f);
    if (ImGui::SliderFloat("noise (sigma)", &z, 0.0f, 10.0f, "%.3f", ImGuiSliderFlags_Logarithmic))
      e.set("privacy.noise_multiplier", std::to_string(double(z)));
    ui_test::mark("privacy.noise");
    key_editor(app, "privacy.target_epsilon");
  }
  prediction(app);
  if (mode != "\"none\"") {
    for (const char* k : {"privacy.clip", "privacy.delta", "run.rounds", "privacy.accountant",
                          "privacy.sample_rate"})
      key_editor(app, k);
    if (mode == "\"user\"") {
      key_editor(app, "server.sampling_rate");
      key_editor(app, "privacy.adaptive_clip");
    }
  }
}

// The predicted epsilon right under the noise slider, then the epsilon-vs-rounds chart.
static void prediction(App& app) {
  ScenarioEdit& e = app.edit;
  if (!e.valid()) {
    ImGui::TextDisabled("(scenario invalid: no prediction)");
    return;
  }
  const PrivacyInputs in = privacy_inputs(e.scenario());
  if (!in.note.empty()) {
    ImGui::TextDisabled("%s", in.note.c_str());
    return;
  }
  app.privacy.request(in);
  const auto pred = app.privacy.latest();
  const bool fresh = pred && pred->inputs == in;
  double sigma = in.noise_multiplier, eps_rdp = NAN;
  if (in.target_epsilon > 0) {
    if (fresh) sigma = pred->sigma, eps_rdp = pred->eps_rdp;
  } else {
    eps_rdp = predict_rdp(in, sigma, in.rounds);  // ~1-3 ms: within the frame
  }
  ImGui::Text("q = %.4g%s, %lld step(s)/round", in.q, in.q_estimated ? " (est.)" : "",
              static_cast<long long>(in.steps_per_round));
  if (in.target_epsilon > 0)
    ImGui::Text("sigma = %s (calibrated, %s)", fresh ? fmt_eps(sigma).c_str() : "...",
                to_string(in.accountant));
  ImGui::Text("-> epsilon %s (RDP)  %s (PLD)%s  after %d rounds, d=%.0e", fmt_eps(eps_rdp).c_str(),
              fresh ? fmt_eps(pred->eps_pld).c_str() : "...", fresh ? "" : "", in.rounds, in.delta);
  if (fresh && !pred->error.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", pred->error.c_str());
    ImGui::PopTextWrapPos();
  }
  chart_privacy(app, ImVec2(-1, 110.0f));
}

void chart_privacy(App& app, ImVec2 size) {
  const auto pred = app.privacy.latest();
  std::vector<PlotSeries> series;
  if (pred && !pred->curve_rounds.empty()) {
    const std::vector<double> x(pred->curve_rounds.begin(), pred->curve_rounds.end());
    PlotSeries rdp, pld;
    rdp.label = "RDP", rdp.x = x, rdp.y = pred->curve_rdp;
    pld.label = "PLD", pld.x = x, pld.y = pred->curve_pld;
    rdp.color = palette(4);
    rdp.marker = Marker::None;
    pld.color = palette(0);
    pld.marker = Marker::None;
    series = {rdp, pld};
  }
  plot("privacy", size, axis("round"), axis("epsilon (log)", true), series);
}

}  // namespace fedsim::ui
