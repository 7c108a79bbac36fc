/* The page embedded at build time (cmake/embed_file.cmake) is pipeline/web/index.html byte
 * for byte: pl_page_html holds the file, NUL-terminated, and pl_page_html_len its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve.h"

static void embedded_page_is_the_file(void **state) {
  (void)state;
  FILE *f = fopen(PAGE_FILE, "rb");
  assert_non_null(f);
  char *want = malloc(pl_page_html_len + 2);
  assert_non_null(want);
  size_t n = fread(want, 1, pl_page_html_len + 1, f); /* one more: the file is not longer */
  fclose(f);
  assert_int_equal(n, pl_page_html_len);
  assert_memory_equal(pl_page_html, want, n);
  assert_int_equal(pl_page_html[pl_page_html_len], '\0');
  assert_non_null(strstr(pl_page_html, "EventSource"));
  free(want);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(embedded_page_is_the_file)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
