// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the shim's C++ files: map any in-flight exception to an mg_err.
#ifndef MG_XAPIAN_INTERNAL_HH
#define MG_XAPIAN_INTERNAL_HH

#include "err.h"
#include "schema.h"

#include <xapian.h>

#include <string>

// Call only inside a catch block: rethrows the current exception, classifies
// it and writes "what: Type: message" into err (which may be NULL), then
// returns -code. Never throws.
//   Xapian::DatabaseLockError                   -> MG_ELOCKED ("... locked ..."), or
//                                                  MG_EIO ("... permission denied ...")
//                                                  when the lock file may not be opened
//   DatabaseNotFoundError, DatabaseOpeningError,
//   DocNotFoundError                            -> MG_ENOTFOUND
//   DatabaseVersionError (incompatible format)  -> MG_EDB
//   DatabaseCreateError (mkdir/create failed)   -> MG_EIO
//   DatabaseCorruptError                        -> MG_ECORRUPT
//   DatabaseModifiedError                       -> MG_EMODIFIED (reopen, retry)
//   QueryParserError                            -> MG_EQUERY
//   any other Xapian::Error                     -> MG_EDB
//   std::bad_alloc                              -> MG_ENOMEM
//   anything else                               -> MG_EINTERNAL
int mg_xapian_catch(mg_err *err, const char *what) noexcept;

// The stored record of a document: value slot MG_SLOT_RECORD, or the document
// data for a document written by schema 1 (which has no such slot).
inline std::string mg_stored_record(const Xapian::Document &doc)
{
    std::string rec = doc.get_value(MG_SLOT_RECORD);
    return rec.empty() ? doc.get_data() : rec;
}

#endif
