/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * manifest.h - reading one model manifest (models/<name>/model.ini, format
 * in docs/models.md) into a bridge_model_t, without its weights.
 *
 * Role: the parsing half of the registry part (registry.h is its public
 * face): every key checked as it is read (libinih), then the whole model
 * (contiguous tensor indices, complete entries, sizes, unique names). The
 * first problem found is reported as "<file>: [<section>] <key>: <what is
 * wrong>" (with " (line N)" when a line is to blame).
 * Thread: the main thread at start (and the tests); no shared state.
 * May touch: the manifest file (read only) and the model it fills.
 */
#ifndef ZENEDGE_BRIDGE_MANIFEST_H
#define ZENEDGE_BRIDGE_MANIFEST_H

#include <stddef.h>

#include "registry.h"

/* Parse and check the manifest at path into *m (zeroed first; weights
 * declared, not loaded). Returns BRIDGE_OK, BRIDGE_E_INVAL (NULL
 * argument), BRIDGE_E_IO (cannot be opened), BRIDGE_E_NOMEM or
 * BRIDGE_E_MANIFEST, with a message in err (errlen bytes). */
int bridge_manifest_parse(bridge_model_t *m, const char *path, char *err, size_t errlen);

/* printf into err (when err and len are non-zero) for the registry part's
 * messages. Returns 0. */
int bridge_errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* ZENEDGE_BRIDGE_MANIFEST_H */
