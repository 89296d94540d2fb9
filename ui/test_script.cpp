// Scripted input (test_script.h): the widget registry, the script parser and the per-frame driver
// that turns commands into Dear ImGui 1.86 input (io.MousePos, io.MouseDown, io.KeysDown indexed
// by the GLFW backend's key codes, io.KeyCtrl, io.AddInputCharactersUTF8).
#include "ui/test_script.h"

#include <imgui_internal.h>

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "ui/app.h"

namespace fedsim::ui::ui_test {
namespace {

struct Rect {
  ImVec2 min, max;
  bool operator==(const Rect& o) const {
    return min.x == o.min.x && min.y == o.min.y && max.x == o.max.x && max.y == o.max.y;
  }
};
// Marks of the frame being built, of the last frame and of the one before.
std::map<std::string, Rect, std::less<>> g_now, g_last, g_prev;

constexpr int kFindFrames = 120;  // frames a click waits for its widget to appear
constexpr int kWaitRunsSeconds = 600;

// The named keys of `key`, as ImGuiKey_ values (the GLFW backend maps them in io.KeyMap).
const std::map<std::string, int>& named_keys() {
  static const std::map<std::string, int> named = {
      {"Enter", ImGuiKey_Enter},    {"Tab", ImGuiKey_Tab},
      {"Escape", ImGuiKey_Escape},  {"Backspace", ImGuiKey_Backspace},
      {"Delete", ImGuiKey_Delete},  {"Space", ImGuiKey_Space},
      {"Left", ImGuiKey_LeftArrow}, {"Right", ImGuiKey_RightArrow},
      {"Up", ImGuiKey_UpArrow},     {"Down", ImGuiKey_DownArrow},
      {"Home", ImGuiKey_Home},      {"End", ImGuiKey_End}};
  return named;
}

// "Ctrl+A" -> ("A", true).
std::pair<std::string, bool> split_ctrl(const std::string& key) {
  if (key.rfind("Ctrl+", 0) == 0) return {key.substr(5), true};
  return {key, false};
}

bool is_letter(const std::string& k) {
  return k.size() == 1 && std::isalpha(static_cast<unsigned char>(k[0]));
}

bool valid_key(const std::string& key) {
  const std::string k = split_ctrl(key).first;
  return is_letter(k) || named_keys().count(k) > 0;
}

// The io.KeysDown index of a valid key name: its io.KeyMap entry, or for a letter the GLFW code
// (upper-case ASCII, as App::handle_keys reads them).
int key_index(const std::string& name) {
  if (is_letter(name)) return std::toupper(static_cast<unsigned char>(name[0]));
  return ImGui::GetIO().KeyMap[named_keys().at(name)];
}

}  // namespace

bool g_recording = false;

// The rectangle of the last item without its label (ImGui's navigation rectangle: a slider's or
// an input's frame), clipped to what its window shows; skipped when not visible (scrolled away, or
// a popup's first, hidden, frame).
void record(std::string_view name) {
  const ImGuiContext& g = *GImGui;
  if (g.CurrentWindow->Hidden || !ImGui::IsItemVisible()) return;
  const ImRect item =
      g.LastItemData.NavRect.GetArea() > 0 ? g.LastItemData.NavRect : g.LastItemData.Rect;
  const ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 c0 = dl->GetClipRectMin(), c1 = dl->GetClipRectMax();
  const Rect r{ImVec2(std::max(item.Min.x, c0.x), std::max(item.Min.y, c0.y)),
               ImVec2(std::min(item.Max.x, c1.x), std::min(item.Max.y, c1.y))};
  if (r.min.x >= r.max.x || r.min.y >= r.max.y) return;
  g_now[std::string(name)] = r;
}

std::vector<Command> parse(const std::string& text, const std::string& file) {
  std::vector<Command> out;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto where = [&] { return file + ":" + std::to_string(line_no) + ": "; };
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line.erase(0, first);
    const bool typing = line.rfind("type", 0) == 0 && (line.size() == 4 || line[4] == ' ');
    if (const auto hash = line.find('#'); hash != std::string::npos && !typing)
      line.erase(hash);  // a comment (a typed '#' stays)
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    std::istringstream words(line);
    Command c;
    c.line = line_no;
    words >> c.verb;
    if (typing) {
      const auto start = line.find_first_not_of(' ', 4);
      if (start == std::string::npos) throw std::runtime_error(where() + "type: no text");
      c.args = {line.substr(start)};
      out.push_back(c);
      continue;
    }
    for (std::string w; words >> w;) c.args.push_back(w);
    const auto want = [&](size_t n, const char* usage) {
      if (c.args.size() != n) throw std::runtime_error(where() + "usage: " + usage);
    };
    if (c.verb == "click" || c.verb == "ctrl-click") {
      want(1, "click NAME");
    } else if (c.verb == "key") {
      want(1, "key [Ctrl+]Enter|Tab|Escape|Backspace|Delete|Space|Left|Right|Up|Down|Home|End|A-Z");
      if (!valid_key(c.args[0])) throw std::runtime_error(where() + "unknown key " + c.args[0]);
    } else if (c.verb == "wait") {
      want(1, "wait FRAMES");
      char* end = nullptr;
      const long n = std::strtol(c.args[0].c_str(), &end, 10);
      if (*end != '\0' || n < 0) throw std::runtime_error(where() + "wait: not a frame count");
    } else if (c.verb == "wait-runs" || c.verb == "print-runs" || c.verb == "quit") {
      want(0, c.verb.c_str());
    } else if (c.verb == "screenshot") {
      want(1, "screenshot PATH");
    } else if (c.verb == "export-chart") {
      want(2, "export-chart NAME PATH");
      const auto& names = chart_names();
      if (std::find(names.begin(), names.end(), c.args[0]) == names.end())
        throw std::runtime_error(where() + "unknown chart " + c.args[0]);
    } else {
      throw std::runtime_error(where() + "unknown command '" + c.verb + "'");
    }
    out.push_back(c);
  }
  return out;
}

Script::Script(const std::string& file) : file_(file), mouse_(-FLT_MAX, -FLT_MAX) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file + ": cannot read script");
  std::stringstream text;
  text << in.rdbuf();
  commands_ = parse(text.str(), file);
  g_recording = true;
}

void Script::fail(const std::string& msg) {
  const int line = pc_ < commands_.size() ? commands_[pc_].line : 0;
  std::fprintf(stderr, "fedsim-ui: %s:%d: %s\n", file_.c_str(), line, msg.c_str());
  rc_ = 1;
  done_ = true;
}

// The centre of NAME's rectangle when it was the same in the last two frames.
bool Script::find(const std::string& name, ImVec2* centre) {
  const auto a = g_last.find(name), b = g_prev.find(name);
  if (a == g_last.end() || b == g_prev.end() || !(a->second == b->second)) return false;
  *centre = ImVec2(std::floor((a->second.min.x + a->second.max.x) * 0.5f),
                   std::floor((a->second.min.y + a->second.max.y) * 0.5f));
  return true;
}

std::string Script::take_screenshot() {
  return std::exchange(screenshot_, std::string());
}

// One line per run, in the Runs table's order:
//   script-run NAME status=complete noise=1 accuracy=0.6132 epsilon=8.557
static void print_runs(App& app) {
  app.refresh();
  for (const auto& s : app.snaps) {
    const char* status = s.state == RunState::Finished ? to_string(s.status) : to_string(s.state);
    std::printf("script-run %s status=%s noise=%.6g accuracy=%.6g epsilon=%.6g\n", s.name.c_str(),
                status, s.privacy.noise_multiplier, final_accuracy(s), final_epsilon(s));
  }
  std::fflush(stdout);
}

// Runs commands from pc_ until one needs this frame (mouse, keys, typed text, waiting); then sets
// the frame's input. phase_ counts the frames the current command has had, step_ its stage.
void Script::before_frame(App& app) {
  g_prev = std::move(g_last);
  g_last = std::move(g_now);
  g_now.clear();
  ImGuiIO& io = ImGui::GetIO();
  const auto advance = [&] { phase_ = step_ = 0, ++pc_; };
  while (!done_ && pc_ < commands_.size()) {
    const Command& c = commands_[pc_];
    const int phase = phase_++;
    if (c.verb == "click" || c.verb == "ctrl-click") {
      if (step_ == 0) {  // find the widget, move the mouse there
        if (find(c.args[0], &mouse_)) {
          step_ = 1;
        } else if (phase >= kFindFrames) {
          std::string shown;
          for (const auto& [n, r] : g_last) shown += " " + n;
          fail("no widget '" + c.args[0] + "' on screen after " + std::to_string(kFindFrames) +
               " frames (on screen:" + shown + ")");
        }
      } else if (step_ == 1) {  // press
        down_ = true;
        ctrl_ = c.verb == "ctrl-click";
        step_ = 2;
      } else {  // release
        down_ = ctrl_ = false;
        advance();
      }
      break;
    }
    if (c.verb == "type") {
      io.AddInputCharactersUTF8(c.args[0].c_str());
      advance();
      break;
    }
    if (c.verb == "key") {
      const auto [name, ctrl] = split_ctrl(c.args[0]);
      if (step_ == 0) {  // press
        key_ = key_index(name);
        io.KeysDown[key_] = true;
        ctrl_ = ctrl;
        step_ = 1;
      } else {  // release
        io.KeysDown[key_] = false;
        key_ = -1;
        ctrl_ = false;
        advance();
      }
      break;
    }
    if (c.verb == "wait") {
      if (phase < std::stol(c.args[0])) break;
    } else if (c.verb == "wait-runs") {
      if (phase == 0) waiting_since_ = std::chrono::steady_clock::now();
      bool busy = false;
      for (const auto& s : app.runs.snapshot())
        busy = busy || s.state == RunState::Queued || s.state == RunState::Running;
      if (busy && std::chrono::steady_clock::now() - waiting_since_ >
                      std::chrono::seconds(kWaitRunsSeconds))
        fail("wait-runs: runs still busy after " + std::to_string(kWaitRunsSeconds) + " s");
      if (busy) break;
    } else if (c.verb == "print-runs") {
      print_runs(app);
    } else if (c.verb == "screenshot") {
      screenshot_ = c.args[0];  // written by main after this frame is rendered
      advance();
      break;
    } else if (c.verb == "export-chart") {
      std::error_code ec;
      const auto parent = std::filesystem::path(c.args[1]).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      app.pending_png = c.args[0];  // drawn alone in this frame, written by main after rendering
      app.pending_png_path = c.args[1];
      advance();
      break;
    } else if (c.verb == "quit") {
      done_ = true;
      break;
    }
    advance();  // wait, wait-runs, print-runs: over without taking this frame
  }
  if (pc_ >= commands_.size()) done_ = true;
  // The script's mouse and modifier state replaces the backend's (no real input under Xvfb).
  io.MousePos = mouse_;
  io.MouseDown[0] = down_;
  io.KeyCtrl = ctrl_;
}

}  // namespace fedsim::ui::ui_test
