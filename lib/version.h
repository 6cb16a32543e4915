/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The morgue release: the one place it is written. The Makefile reads it for
 * the pkg-config files and the shared library, debian/changelog names the
 * same version (tests/e2e/version.sh checks they agree), and every program's
 * --version, morgued's ready line and its "stats" reply print it. */
#ifndef MORGUE_VERSION_H
#define MORGUE_VERSION_H

#define MORGUE_VERSION_MAJOR 0
#define MORGUE_VERSION_MINOR 1
#define MORGUE_VERSION_PATCH 0
#define MORGUE_VERSION "0.1.0"

#endif
