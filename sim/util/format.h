// Numbers in messages: the one "%.6g" formatting that error messages, change logs and tables share
// (6 significant digits, "inf"/"nan" as printf writes them).
#pragma once

#include <cstdio>
#include <string>

namespace fedsim {

inline std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace fedsim
