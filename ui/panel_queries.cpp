// Queries panel: a differentially private question about the edited scenario's data (the
// statistic, column, groups, bounds, mechanism, trust model and epsilon), asked through the same
// path as `fedsim query` (QueryView, analytics::answer_query), and its answer: each group's noisy
// value beside its 95% interval (a table and an interval bar per row), what it spent, and the
// dataset's budget left; a query past the budget is refused and spends nothing.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/app.h"
#include "ui/test_script.h"

namespace fedsim::ui {
namespace {

std::string g4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// One row's interval [lo, hi] and value on a shared axis [a, b], drawn into the current cell.
void interval_bar(double a, double b, double lo, double hi, double value, ImU32 colour) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = std::max(40.0f, ImGui::GetContentRegionAvail().x), h = ImGui::GetFrameHeight();
  auto x = [&](double v) {
    const double t = b > a ? (std::clamp(v, a, b) - a) / (b - a) : 0.5;
    return p.x + float(t) * w;
  };
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float y = p.y + h / 2;
  dl->AddLine(ImVec2(x(lo), y), ImVec2(x(hi), y), colour, 2.0f);
  dl->AddLine(ImVec2(x(lo), y - 4), ImVec2(x(lo), y + 4), colour, 1.5f);
  dl->AddLine(ImVec2(x(hi), y - 4), ImVec2(x(hi), y + 4), colour, 1.5f);
  dl->AddCircleFilled(ImVec2(x(value), y), 3.5f, colour);
  ImGui::Dummy(ImVec2(w, h));
}

void form(App& app) {
  QueryForm& f = app.queries.form;
  const float w = 150;
  ImGui::SetNextItemWidth(w);
  ImGui::Combo("statistic", &f.stat, kQueryStats, 6);
  ui_test::mark("query.stat");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w);
  ImGui::InputText("column", &f.column);
  ui_test::mark("query.column");
  ImGui::SetNextItemWidth(w);
  ImGui::InputText("group by", &f.group_by);
  ui_test::mark("query.group_by");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w);
  ImGui::InputText("where", &f.where);
  ui_test::mark("query.where");
  ImGui::SetNextItemWidth(w);
  ImGui::InputDouble("lower", &f.lower, 0, 0, "%.6g");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w);
  ImGui::InputDouble("upper", &f.upper, 0, 0, "%.6g");
  ImGui::SetNextItemWidth(w);
  ImGui::InputInt("rows / client", &f.max_rows);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w);
  ImGui::InputInt("groups / client", &f.max_groups);
  f.max_rows = std::max(1, f.max_rows);
  f.max_groups = std::max(1, f.max_groups);
  ImGui::SetNextItemWidth(w);
  ImGui::Combo("mechanism", &f.mechanism, kQueryMechanisms, 4);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w);
  ImGui::Combo("trust", &f.trust, kQueryTrust, 3);
  ImGui::SetNextItemWidth(w);
  ImGui::InputDouble("epsilon", &f.epsilon, 0.1, 1.0, "%.3g");
  ui_test::mark("query.epsilon");
  if (f.mechanism == 1 || f.mechanism == 3) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(w);
    ImGui::InputDouble("delta", &f.delta, 0, 0, "%.3g");
  }
}

void outcome(App& app) {
  const auto& out = *app.queries.last;
  if (!out.error.empty()) {
    ImGui::TextColored(ImVec4(0.95f, 0.35f, 0.3f, 1), "%s", out.error.c_str());
    return;
  }
  if (out.refused) {
    ImGui::PushTextWrapPos();
    ImGui::TextColored(ImVec4(0.95f, 0.35f, 0.3f, 1), "%s", out.message.c_str());
    ImGui::PopTextWrapPos();
  } else {
    const auto& r = out.result;
    ImGui::Text("%s: spent epsilon %s (delta %s); sensitivity %s", r.description.c_str(),
                g4(r.cost.epsilon).c_str(), g4(r.cost.delta).c_str(), g4(r.sensitivity).c_str());
    double a = INFINITY, b = -INFINITY;
    for (const auto& g : r.answers) {
      a = std::min(a, g.ci_low);
      b = std::max(b, g.ci_high);
    }
    if (ImGui::BeginTable(
            "answers", 4,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY,
            ImVec2(0, std::min(260.0f, 28.0f + 24.0f * float(r.answers.size()))))) {
      ImGui::TableSetupColumn("group");
      ImGui::TableSetupColumn("answer");
      ImGui::TableSetupColumn("95% interval");
      ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableHeadersRow();
      for (const auto& g : r.answers) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(g.group.empty() ? "all" : g.group.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(g4(g.value).c_str());
        ImGui::TableNextColumn();
        ImGui::Text("[%s, %s]", g4(g.ci_low).c_str(), g4(g.ci_high).c_str());
        ImGui::TableNextColumn();
        interval_bar(a, b, g.ci_low, g.ci_high, g.value, IM_COL32(80, 150, 230, 255));
      }
      ImGui::EndTable();
    }
    for (const auto& n : r.notes) ImGui::TextDisabled("%s", n.c_str());
  }
}

}  // namespace

void panel_queries(App& app) {
  form(app);
  const bool valid = app.edit.valid();
  if (!valid) ImGui::BeginDisabled();
  const bool ask = ImGui::Button("Ask");
  ui_test::mark("query.ask");
  if (!valid) ImGui::EndDisabled();
  ImGui::SameLine();
  if (valid) {
    const std::string path = app.queries.ledger_path(app.edit.scenario());
    const auto& last = app.queries.last;
    if (last && (last->answered || last->refused))
      ImGui::Text("budget %s: epsilon %s of %s spent, %s left", path.c_str(),
                  g4(last->spent.epsilon).c_str(), g4(last->budget_epsilon).c_str(),
                  g4(std::max(0.0, last->budget_epsilon - last->spent.epsilon)).c_str());
    else
      ImGui::TextDisabled("budget %s (a new ledger gets epsilon %s)", path.c_str(),
                          g4(app.queries.form.budget_epsilon).c_str());
  } else {
    ImGui::TextDisabled("fix the scenario first");
  }
  if (ask && valid) {
    const auto& out = app.queries.ask(app.edit.scenario());
    if (out.answered)
      app.info("query answered: " + out.result.description);
    else if (out.refused)
      app.error("query refused by the budget; nothing spent");
    else
      app.error("query: " + out.error);
  }
  if (app.queries.last) outcome(app);
}

}  // namespace fedsim::ui
