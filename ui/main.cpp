// fedsim-ui: the dashboard. GLFW window + OpenGL 3 + Dear ImGui 1.86 (Debian), the App of app.h.
//
//   fedsim-ui [--scenario FILE] [--run | --sweep] [--open-results FILE.h5]... [--frames N]
//             [--export-chart NAME out.png]... [--screenshot out.png] [--size 1280x800]
//             [--tab Runs|Clients|SecAgg|Export|Queries] [--script FILE] [--frame-stats]
//
// --sweep queues every point of FILE's [sweep] table (as `fedsim sweep`, shown as separate runs).
// --open-results opens a run or sweep file as finished runs (as the Export panel's "Open results").
// --frames N renders at most N frames and exits (with --run: stops earlier, a few frames after
// the run finished); --export-chart draws chart NAME (chart_names(): accuracy, tradeoff, ...)
// alone at the window's size through the real OpenGL path and writes it to PNG, once the runs
// have finished (at the end with --frames); --screenshot writes the whole window to PNG after the
// last frame (read from the back buffer before the swap). Closing the window stops every run
// cleanly (saved with status interrupted) and prints where each run's results are. --tab brings
// that tab of the lower right panel to front (e.g. for a screenshot of SecAgg).
// --script FILE drives the window with scripted mouse and keyboard input (test_script.h) and exits
// when the script ends (exit code 1 on a script error). --frame-stats prints, at exit, the frame
// times while a run was training (frame_stats.h).
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ui/app.h"
#include "ui/frame_stats.h"
#include "ui/png_export.h"
#include "ui/test_script.h"

namespace {

struct Args {
  std::string scenario, screenshot;
  std::string tab;     // --tab: the tab shown first
  std::string script;  // --script: scripted input
  bool frame_stats = false;
  bool run = false;
  bool sweep = false;  // --sweep: queue every point of the scenario's [sweep] table
  long frames = -1;    // -1: until the window is closed
  int width = 1280, height = 800;
  std::vector<std::string> results;                         // --open-results, in order
  std::vector<std::pair<std::string, std::string>> charts;  // --export-chart NAME PATH
};

int usage(const char* msg) {
  std::fprintf(stderr,
               "fedsim-ui: %s\nusage: fedsim-ui [--scenario FILE] [--run | --sweep] "
               "[--open-results FILE.h5]... [--frames N] [--export-chart NAME out.png]... "
               "[--screenshot out.png] [--size WxH] [--tab Runs|Clients|SecAgg|Export|Queries] "
               "[--script FILE] [--frame-stats]\n",
               msg);
  return 2;
}

void glfw_error(int code, const char* what) {
  std::fprintf(stderr, "fedsim-ui: GLFW error %d: %s\n", code, what);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--scenario" && has_value)
      a.scenario = argv[++i];
    else if (arg == "--run")
      a.run = true;
    else if (arg == "--sweep")
      a.sweep = a.run = true;
    else if (arg == "--frames" && has_value)
      a.frames = std::strtol(argv[++i], nullptr, 10);
    else if (arg == "--screenshot" && has_value)
      a.screenshot = argv[++i];
    else if (arg == "--tab" && has_value)
      a.tab = argv[++i];
    else if (arg == "--script" && has_value)
      a.script = argv[++i];
    else if (arg == "--frame-stats")
      a.frame_stats = true;
    else if (arg == "--open-results" && has_value)
      a.results.push_back(argv[++i]);
    else if (arg == "--export-chart" && i + 2 < argc) {
      const std::string name = argv[++i], path = argv[++i];
      const auto& names = fedsim::ui::chart_names();
      if (std::find(names.begin(), names.end(), name) == names.end())
        return usage(("--export-chart: unknown chart " + name).c_str());
      a.charts.emplace_back(name, path);
    } else if (arg == "--size" && has_value) {
      if (std::sscanf(argv[++i], "%dx%d", &a.width, &a.height) != 2 || a.width < 320 ||
          a.height < 240)
        return usage("--size expects WxH, at least 320x240");
    } else if (arg == "--help" || arg == "-h") {
      usage("the fedsim dashboard");
      return 0;
    } else {
      return usage(("unknown or incomplete argument: " + arg).c_str());
    }
  }

  std::unique_ptr<fedsim::ui::ui_test::Script> script;  // read before a window opens
  if (!a.script.empty()) {
    try {
      script = std::make_unique<fedsim::ui::ui_test::Script>(a.script);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fedsim-ui: %s\n", e.what());
      return 2;
    }
  }

  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "fedsim-ui: cannot open a window (no display? try xvfb-run -a)\n");
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  GLFWwindow* window = glfwCreateWindow(a.width, a.height, "fedsim", nullptr, nullptr);
  if (!window) {
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(a.frames >= 0 || script ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330");

  int rc = 0;
  {
    auto app = std::make_unique<fedsim::ui::App>();
    if (!a.scenario.empty()) app->open(a.scenario);
    app->select_tab = a.tab;
    for (const auto& f : a.results) {
      const int n = app->open_results(f);
      if (n < 0)
        rc = 1;
      else
        std::printf("opened %s: %d run(s)\n", f.c_str(), n);
    }
    if (a.sweep) {
      if (app->start_sweep(a.scenario) < 0) rc = 1;
    } else if (a.run) {
      if (app->start() < 0) rc = 1;
    }
    long frame = 0, after_finish = -1;
    std::size_t next_chart = 0;  // --export-chart: the next one to draw
    int chart_wait = 0;          // frames left for an issued chart: drawn, then one clean frame
    fedsim::ui::FrameStats stats;
    using Clock = std::chrono::steady_clock;
    const auto ms = [](Clock::duration d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    while (!glfwWindowShouldClose(window)) {
      const auto t_frame = Clock::now();
      glfwPollEvents();
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      if (script) script->before_frame(*app);
      const auto t_build = Clock::now();
      const double cpu_build = fedsim::ui::FrameStats::thread_cpu_ms();
      ImGui::NewFrame();
      app->frame(ImGui::GetIO().DisplaySize);
      ImGui::Render();
      const double build_ms = ms(Clock::now() - t_build);
      const double build_cpu_ms = fedsim::ui::FrameStats::thread_cpu_ms() - cpu_build;
      int fw = 0, fh = 0;
      glfwGetFramebufferSize(window, &fw, &fh);
      glViewport(0, 0, fw, fh);
      glClearColor(0.09f, 0.09f, 0.10f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

      // A chart exported this frame: read it back before the swap.
      if (!app->png_path.empty()) {
        try {
          const ImVec2 s = ImGui::GetIO().DisplaySize, sc = ImGui::GetIO().DisplayFramebufferScale;
          fedsim::ui::save_framebuffer_png(
              app->png_path, fedsim::ui::framebuffer_rect(app->png_rect.min.x, app->png_rect.min.y,
                                                          app->png_rect.max.x, app->png_rect.max.y,
                                                          s.x, s.y, sc.x, sc.y));
          app->info("chart written to " + app->png_path);
          if (chart_wait > 0 || script) std::printf("chart: %s\n", app->png_path.c_str());
        } catch (const std::exception& e) {
          app->error(e.what());
          if (chart_wait > 0 || script) rc = 1;  // a chart asked for by a test
        }
      }
      if (const std::string shot = script ? script->take_screenshot() : ""; !shot.empty()) {
        try {
          fedsim::ui::save_framebuffer_png(shot, {0, 0, fw, fh});
          std::printf("screenshot: %s (%dx%d)\n", shot.c_str(), fw, fh);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "fedsim-ui: %s\n", e.what());
          rc = 1;
        }
      }

      // Headless mode: stop after N frames, or a few frames after the runs finished.
      ++frame;
      bool done = a.frames >= 0 && frame >= a.frames;
      if (a.run && after_finish < 0 && !app->snaps.empty()) {
        bool all = true;
        for (const auto& s : app->snaps) all = all && s.state == fedsim::ui::RunState::Finished;
        if (all) after_finish = frame;
      }
      const bool settled = a.run ? after_finish >= 0 && frame >= after_finish + 5 : frame >= 5;
      if (a.frames >= 0 && a.run && settled) done = true;
      if (script && script->finished()) done = true;
      // --export-chart: once the runs have finished (or at the end), one chart at a time, each
      // drawn alone on the next frame and read back, then one clean frame for the screenshot.
      if (chart_wait > 0) {
        --chart_wait;
        done = false;
      } else if (next_chart < a.charts.size() && (done || settled)) {
        const auto& [name, path] = a.charts[next_chart++];
        std::error_code ec;
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent, ec);
        app->pending_png = name;
        app->pending_png_path = path;
        chart_wait = 1;
        done = false;
      }
      if (done && !a.screenshot.empty()) {
        try {
          fedsim::ui::save_framebuffer_png(a.screenshot, {0, 0, fw, fh});
          std::printf("screenshot: %s (%dx%d)\n", a.screenshot.c_str(), fw, fh);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "fedsim-ui: %s\n", e.what());
          rc = 1;
        }
      }
      glfwSwapBuffers(window);
      if (a.frame_stats) {  // frames during which a run was training
        bool training = false;
        for (const auto& s : app->snaps)
          training = training || s.state == fedsim::ui::RunState::Running;
        if (training) stats.add(build_ms, build_cpu_ms, ms(Clock::now() - t_frame));
      }
      if (done) break;
      if (a.frames < 0 && app->snaps.empty())  // idle: no need to spin
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    // Stop every run still going (saved as interrupted) and say where each run's results are.
    for (const auto& s : app->runs.snapshot())
      if (s.state != fedsim::ui::RunState::Finished) app->runs.stop(s.id);
    app->runs.wait_idle();
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      app->refresh();  // prints "run finished|interrupted|...: PATH" for the newly ended
      bool all = true;
      for (const auto& s : app->snaps) all = all && s.state == fedsim::ui::RunState::Finished;
      if (all || std::chrono::steady_clock::now() - t0 > std::chrono::seconds(30)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const auto& s : app->snaps)
      if (!app->view(s.id).loaded)  // runs opened from files are in their files already
        std::printf("results of %s (%s): %s\n", s.name.c_str(), fedsim::to_string(s.status),
                    s.output_path.empty() ? "(not saved)" : s.output_path.c_str());
    if (a.frame_stats) stats.print(stdout);
    if (script && script->exit_code() != 0) rc = script->exit_code();
  }  // ~App: ~RunManager joins the workers

  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return rc;
}
