# Scenario loading and validation (no SimGrid): sim/scenario.hpp, sim/scenario.cpp.
# Included by sim/CMakeLists.txt; relative paths resolve against this file's folder.
add_library(sim_scenario ${CMAKE_CURRENT_LIST_DIR}/scenario.cpp)
target_include_directories(sim_scenario PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(sim_scenario PUBLIC nlohmann_json::nlohmann_json PRIVATE models_common models_execution fmt::fmt)
