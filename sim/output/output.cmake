# sim_output: run-output writers (atomic files, Chrome trace, CSV, summary statistics).
# Pure C++ (no SimGrid); included from sim/CMakeLists.txt with include(output/output.cmake).
add_library(sim_output
  ${CMAKE_CURRENT_LIST_DIR}/atomic_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chrome_trace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_folder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stats.cpp)
target_include_directories(sim_output PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(sim_output PUBLIC fmt::fmt nlohmann_json::nlohmann_json Eigen3::Eigen)
