// Pure parts of the PNG export (png_export.h): stb_image_write encoding and the ImGui-to-
// framebuffer rectangle. No OpenGL here (that is png_export_gl.cpp).
#include "ui/png_export.h"

#include <stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace fedsim::ui {

namespace {

void check_size(const unsigned char* rgba, int w, int h) {
  if (rgba == nullptr || w <= 0 || h <= 0) {
    throw std::runtime_error("PNG export: empty image (" + std::to_string(w) + " x " +
                             std::to_string(h) + ")");
  }
}

// stbi_flip_vertically_on_write is a global flag in stb: set it for one call, then clear it.
struct FlipGuard {
  explicit FlipGuard(bool flip) { stbi_flip_vertically_on_write(flip ? 1 : 0); }
  ~FlipGuard() { stbi_flip_vertically_on_write(0); }
};

// stbi_write_func: appends the bytes stb hands over to a std::vector.
void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<unsigned char> encode_png_rgba(const unsigned char* rgba, int w, int h,
                                           bool flip_vertically) {
  check_size(rgba, w, h);
  std::vector<unsigned char> png;
  FlipGuard flip(flip_vertically);
  if (!stbi_write_png_to_func(append_bytes, &png, w, h, 4, rgba, 4 * w)) {
    throw std::runtime_error("PNG export: stbi_write_png_to_func failed");
  }
  return png;
}

void write_png_rgba(const std::string& path, const unsigned char* rgba, int w, int h,
                    bool flip_vertically) {
  check_size(rgba, w, h);
  FlipGuard flip(flip_vertically);
  errno = 0;
  if (!stbi_write_png(path.c_str(), w, h, 4, rgba, 4 * w)) {
    std::string why = errno ? std::strerror(errno) : "stbi_write_png failed";
    throw std::runtime_error("cannot write " + path + ": " + why);
  }
}

FramebufferRect framebuffer_rect(float min_x, float min_y, float max_x, float max_y,
                                 float display_w, float display_h, float fb_scale_x,
                                 float fb_scale_y) {
  const int fb_w = static_cast<int>(std::lround(display_w * fb_scale_x));
  const int fb_h = static_cast<int>(std::lround(display_h * fb_scale_y));
  // Outward rounding, then clipping to [0, fb_w) x [0, fb_h) (top-left origin).
  int x0 = std::clamp(static_cast<int>(std::floor(min_x * fb_scale_x)), 0, fb_w);
  int y0 = std::clamp(static_cast<int>(std::floor(min_y * fb_scale_y)), 0, fb_h);
  int x1 = std::clamp(static_cast<int>(std::ceil(max_x * fb_scale_x)), 0, fb_w);
  int y1 = std::clamp(static_cast<int>(std::ceil(max_y * fb_scale_y)), 0, fb_h);
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, fb_h - y1, x1 - x0, y1 - y0};  // OpenGL counts rows from the bottom
}

}  // namespace fedsim::ui
