// Scripted input for tests (fedsim-ui --script FILE): a small script of UI actions fed to Dear
// ImGui as mouse and keyboard input before each NewFrame, so the panels' real widgets handle them.
//
// Widgets are found by name: a panel calls ui_test::mark("run.start") right after a widget; while
// a script runs, that records the widget's on-screen rectangle for this frame (nothing happens
// otherwise: one branch on a global flag). A click goes to the centre of the rectangle the widget
// had in the last two frames (the same in both, so popups and layout have settled).
//
// Script: one command a line, '#' starts a comment.
//   click NAME | ctrl-click NAME    move there one frame, press the next, release the one after
//                                   (ctrl-click on a slider or drag opens its text input)
//   type TEXT                       the rest of the line as typed characters
//   key [Ctrl+]KEY                  Enter Tab Escape Backspace Delete Space Left Right Up Down
//                                   Home End, or a letter A-Z; pressed one frame, released the next
//   wait N                          N frames
//   wait-runs                       until no run is queued or running
//   print-runs                      one line per run on stdout (see print_runs in test_script.cpp)
//   screenshot PATH                 the whole window to PNG (written by main after rendering)
//   export-chart NAME PATH          a chart alone to PNG (as --export-chart)
//   quit                            end (also at the end of the script)
// An unknown command is an error with its line number when the script is read; a widget not on
// screen within 120 frames is one when the script gets there. Either makes the exit code 1.
#pragma once

#include <imgui.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::ui {

struct App;

namespace ui_test {

extern bool g_recording;  // a script runs: mark() records
void record(std::string_view name);
// Records the last widget's rectangle under `name` (`prefix` + `name` for names made per run).
inline void mark(std::string_view name) {
  if (g_recording) record(name);
}
inline void mark(std::string_view prefix, std::string_view name) {
  if (g_recording) record(std::string(prefix).append(name));
}

// One command of a script, with its line (1-based) for messages.
struct Command {
  int line = 0;
  std::string verb;               // click, ctrl-click, type, key, wait, ...
  std::vector<std::string> args;  // type: the text as one argument
};

// Parses a script; throws std::runtime_error "FILE:LINE: ..." on an unknown or malformed command.
std::vector<Command> parse(const std::string& text, const std::string& file);

class Script {
 public:
  // Reads and parses FILE (throws as parse); turns recording on.
  explicit Script(const std::string& file);

  // Call after the platform backend's NewFrame and before ImGui::NewFrame: sets this frame's mouse
  // and keyboard state and runs the commands that act between frames.
  void before_frame(App& app);
  // A screenshot asked for this frame ("" when none); main writes it after rendering.
  std::string take_screenshot();
  bool finished() const { return done_; }
  int exit_code() const { return rc_; }

 private:
  void fail(const std::string& msg);
  bool find(const std::string& name, ImVec2* centre);  // false: not on screen (yet)

  std::string file_;
  std::vector<Command> commands_;
  size_t pc_ = 0;                     // the command being run
  int phase_ = 0, step_ = 0;          // its frames so far, its stage (click: find, press, release)
  ImVec2 mouse_;                      // the script's mouse (off screen at first)
  bool down_ = false, ctrl_ = false;  // left button, Ctrl
  int key_ = -1;                      // the io.KeysDown index held (-1: none)
  std::chrono::steady_clock::time_point waiting_since_;  // wait-runs began
  std::string screenshot_;
  bool done_ = false;
  int rc_ = 0;
};

}  // namespace ui_test
}  // namespace fedsim::ui
