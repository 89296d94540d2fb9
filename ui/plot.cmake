# fedsim_ui_plot: the dashboard's chart component on ImDrawList (plot.h, plot_math.h) and PNG export
# of charts (png_export.h). Included by ui/CMakeLists.txt once imgui, GLFW and OpenGL are found.
add_library(fedsim_ui_plot STATIC
            ${CMAKE_CURRENT_LIST_DIR}/plot_math.cpp
            ${CMAKE_CURRENT_LIST_DIR}/plot.cpp
            ${CMAKE_CURRENT_LIST_DIR}/png_export.cpp
            ${CMAKE_CURRENT_LIST_DIR}/png_export_gl.cpp)
target_include_directories(fedsim_ui_plot PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(fedsim_ui_plot PUBLIC PkgConfig::IMGUI OpenGL::GL)  # imgui.pc pulls -lstb
target_compile_options(fedsim_ui_plot PRIVATE ${FEDSIM_WARNINGS})
