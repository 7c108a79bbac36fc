# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake: writes a C file defining
# `const char NAME[]` (the bytes of IN, NUL-terminated) and `const size_t NAME_len`.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} by cmake/embed.cmake: do not edit */\n#include <stddef.h>\n"
  "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {${bytes}0x00};\nconst size_t ${NAME}_len = sizeof ${NAME} - 1;\n")
