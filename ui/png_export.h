// PNG export of dashboard charts ("PNG of any chart at a chosen size", UI.md): encode or write an
// RGBA buffer (pure, unit-tested), convert a chart's ImGui rectangle to framebuffer pixels (pure),
// and read that rectangle back from the current OpenGL framebuffer (png_export_gl.cpp, the only
// OpenGL call). stb_image_write comes from Debian's libstb.so (no STB_IMAGE_WRITE_IMPLEMENTATION).
// Errors throw std::runtime_error naming the file, so the interface can show them.
#pragma once

#include <string>
#include <vector>

namespace fedsim::ui {

// An RGBA buffer of w x h pixels (row stride 4 * w) as PNG bytes; `flip_vertically`: the buffer
// holds its rows bottom-up (as glReadPixels returns them) and the PNG is written top-down.
std::vector<unsigned char> encode_png_rgba(const unsigned char* rgba, int w, int h,
                                           bool flip_vertically = false);

// Writes the same PNG to `path` (with stbi_write_png).
void write_png_rgba(const std::string& path, const unsigned char* rgba, int w, int h,
                    bool flip_vertically = false);

// A rectangle of framebuffer pixels, with OpenGL's origin at the bottom-left (as glReadPixels
// takes it). Empty (w or h 0) when the rectangle lies outside the framebuffer.
struct FramebufferRect {
  int x = 0, y = 0, w = 0, h = 0;
};

// The framebuffer pixels under the ImGui rectangle [min, max] (logical coordinates, origin at the
// top-left, e.g. PlotResult::frame_min/frame_max): scaled by io.DisplayFramebufferScale, rounded
// outwards, clipped to the framebuffer of display_size * fb_scale pixels, y flipped.
FramebufferRect framebuffer_rect(float min_x, float min_y, float max_x, float max_y,
                                 float display_w, float display_h, float fb_scale_x = 1.0f,
                                 float fb_scale_y = 1.0f);

// Reads `r` from the current OpenGL read framebuffer (the back buffer: call after the frame is
// rendered and before glfwSwapBuffers) and writes it to `path` as PNG, top row first.
void save_framebuffer_png(const std::string& path, const FramebufferRect& r);

}  // namespace fedsim::ui
