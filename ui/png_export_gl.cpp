// The one OpenGL call of the PNG export (png_export.h): glReadPixels of a framebuffer rectangle.
// Kept apart so that the unit-tested parts never reference OpenGL.
#include <GL/gl.h>

#include <stdexcept>
#include <vector>

#include "ui/png_export.h"

namespace fedsim::ui {

void save_framebuffer_png(const std::string& path, const FramebufferRect& r) {
  if (r.w <= 0 || r.h <= 0) throw std::runtime_error("PNG export: the chart is not on screen");
  std::vector<unsigned char> rgba(static_cast<size_t>(r.w) * static_cast<size_t>(r.h) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(r.x, r.y, r.w, r.h, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  if (GLenum err = glGetError(); err != GL_NO_ERROR) {
    throw std::runtime_error("PNG export: glReadPixels failed (GL error " + std::to_string(err) +
                             ")");
  }
  // Rows come bottom-up from OpenGL; the PNG is written top-down. Alpha is forced opaque: the
  // framebuffer's alpha is not meaningful for a screenshot.
  for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = 255;
  write_png_rgba(path, rgba.data(), r.w, r.h, /*flip_vertically=*/true);
}

}  // namespace fedsim::ui
