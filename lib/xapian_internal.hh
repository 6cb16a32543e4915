// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the shim's C++ files: map any in-flight exception to an mg_err.
#ifndef MG_XAPIAN_INTERNAL_HH
#define MG_XAPIAN_INTERNAL_HH

// err.h is a C header without extern "C" guards.
extern "C" {
#include "err.h"
}

// Call only inside a catch block: rethrows the current exception, classifies
// it (Xapian::DatabaseLockError -> MG_ELOCKED, DatabaseNotFoundError and
// DocNotFoundError -> MG_ENOTFOUND, DatabaseCorruptError -> MG_ECORRUPT,
// DatabaseModifiedError -> MG_EMODIFIED, QueryParserError -> MG_EQUERY,
// std::bad_alloc -> MG_ENOMEM, other Xapian errors -> MG_EDB, anything else
// -> MG_EINTERNAL), writes "what: message" into err and returns -code.
int mg_xapian_catch(mg_err *err, const char *what) noexcept;

#endif
