/* page.c — PLACEHOLDER until the live page lands (issue 9): see serve.h. */
#include "serve.h"

const char pl_page_html[] = "<!doctype html><title>sidearm</title><p>The live page is not built yet.</p>\n";
const size_t pl_page_html_len = sizeof pl_page_html - 1;
