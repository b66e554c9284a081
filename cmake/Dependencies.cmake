# Third-party packages, all from Debian 12. Only adapters/*, projections (pqxx) and apps may
# link the imported targets named here (see shared/STYLE.md rule 2).
find_package(Threads REQUIRED)
# Debian's python3 carries python3-yaml; a pyenv python3 earlier on PATH does not.
if(EXISTS /usr/bin/python3 AND NOT Python3_EXECUTABLE)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)
execute_process(COMMAND ${Python3_EXECUTABLE} -c "import yaml"
                RESULT_VARIABLE filament_no_yaml OUTPUT_QUIET ERROR_QUIET)
if(filament_no_yaml)
  message(FATAL_ERROR "${Python3_EXECUTABLE} lacks PyYAML: apt-get install python3-yaml")
endif()

find_package(nlohmann_json 3.11 REQUIRED)
find_package(GTest REQUIRED)
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Net NetSSL Util JSON JWT)
find_package(CLI11 2.1 REQUIRED)

find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)  # libpqxx.pc lacks -lpq
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CMARK REQUIRED IMPORTED_TARGET libcmark)
pkg_check_modules(MAGIC REQUIRED IMPORTED_TARGET libmagic)

# nodejs/http-parser 2.9 (Debian libhttp-parser-dev; no pkg-config file): HTTP/1.1 request
# framing for adapters/http.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(HttpParser::HttpParser UNKNOWN IMPORTED)
set_target_properties(HttpParser::HttpParser PROPERTIES
  IMPORTED_LOCATION "${HTTP_PARSER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HTTP_PARSER_INCLUDE_DIR}")
# Xapian's CMake config sets variables only (no target): wrap them (adapters/search only).
find_package(xapian 1.4 REQUIRED CONFIG)
add_library(Xapian::Xapian INTERFACE IMPORTED)
target_link_libraries(Xapian::Xapian INTERFACE ${XAPIAN_LIBRARIES})
target_include_directories(Xapian::Xapian SYSTEM INTERFACE ${XAPIAN_INCLUDE_DIR})
