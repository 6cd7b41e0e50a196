# Writes OUTPUT, a C++ file defining `NAME` (a std::string_view) over the bytes of INPUT.
#   cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=symbol -P embed_bytes.cmake
file(READ "${INPUT}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by core/cmake/embed_bytes.cmake.\n"
  "#include <string_view>\n"
  "namespace migrationd {\n"
  "namespace {\nconstexpr char kBytes[] = {${bytes}};\n}  // namespace\n"
  "extern const std::string_view ${NAME}(kBytes, sizeof kBytes);\n"
  "}  // namespace migrationd\n")
