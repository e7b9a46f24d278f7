/* SPDX-License-Identifier: BSD-3-Clause */
/* config_text.c - the text rules of zenedge-bridged's INI values (config.h). */
#include <ctype.h>
#include <string.h>

#include "bridge_errors.h"
#include "config.h"

int bridge_config_strip_comment(const char *value, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = value; *p; p++) {
        bool starts = (*p == '#' || *p == ';') && (p == value || isspace((unsigned char)p[-1]));
        if (starts)
            break;
        if (n + 1 >= len)
            return BRIDGE_E_CONFIG;
        out[n++] = *p;
    }
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        n--;
    out[n] = '\0';
    return BRIDGE_OK;
}
