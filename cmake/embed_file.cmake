# embed_file.cmake — writes a C source holding a file's bytes, with no tool but CMake:
#   cmake -DIN=web/index.html -DOUT=page.c -DNAME=pl_page_html -P embed_file.cmake
# defines `const char NAME[]` (the bytes, then a NUL) and `const size_t NAME_len` (the
# byte count, without the NUL), after including serve.h so that the types are checked against
# its declarations. Run by add_custom_command, so it runs again when IN changes.
foreach(v IN ITEMS IN OUT NAME)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "embed_file.cmake: -D${v}= is required")
  endif()
endforeach()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
# 16 bytes a line, each byte as '\xNN' (a char constant: no overflow where char is signed)
string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])"
       "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
get_filename_component(src "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from ${src} by cmake/embed_file.cmake: do not edit. */\n"
  "#include \"serve.h\"\n\n"
  "const char ${NAME}[] = {\n${bytes}0};\n"
  "const size_t ${NAME}_len = ${size};\n")
# replaced only when the bytes differ, so an unchanged page does not relink the program
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
