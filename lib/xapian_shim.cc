// SPDX-License-Identifier: GPL-2.0-or-later
// The write side of the C API over libxapian: databases, documents, compaction.
#include "xapian_internal.hh"
#include "xapian_shim.h"

#include <xapian.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

namespace {

// Set err from a Xapian exception as "what: Type: message (context): errno
// text". Builds no std::string, so reporting cannot itself throw.
int set_from_xapian(mg_err *err, int code, const char *what, const Xapian::Error &e) noexcept
{
    const char *sys = nullptr;
    try {
        sys = e.get_error_string(); // formats errno lazily, may allocate
    } catch (...) {
    }
    const char *ctx = e.get_context().c_str();
    char detail[200];
    snprintf(detail, sizeof detail, "%s%s%s%s%s%s", e.get_msg().c_str(), *ctx ? " (" : "", ctx,
             *ctx ? ")" : "", sys && *sys ? ": " : "", sys && *sys ? sys : "");
    if (code == MG_ELOCKED)
        return mg_err_set(err, code, "%s: database is locked by another writer (%s)", what, detail);
    return mg_err_set(err, code, "%s: %s: %s", what, e.get_type(), detail);
}

} // namespace

int mg_xapian_catch(mg_err *err, const char *what) noexcept
{
    if (!what)
        what = "xapian";
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        return set_from_xapian(err, MG_ELOCKED, what, e);
    } catch (const Xapian::DatabaseNotFoundError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DatabaseVersionError &e) {
        // An index written by an incompatible Xapian: not missing, not damaged.
        return set_from_xapian(err, MG_EDB, what, e);
    } catch (const Xapian::DatabaseOpeningError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DocNotFoundError &e) {
        return set_from_xapian(err, MG_ENOTFOUND, what, e);
    } catch (const Xapian::DatabaseCorruptError &e) {
        return set_from_xapian(err, MG_ECORRUPT, what, e);
    } catch (const Xapian::DatabaseModifiedError &e) {
        return set_from_xapian(err, MG_EMODIFIED, what, e);
    } catch (const Xapian::QueryParserError &e) {
        return set_from_xapian(err, MG_EQUERY, what, e);
    } catch (const Xapian::Error &e) {
        return set_from_xapian(err, MG_EDB, what, e);
    } catch (const std::bad_alloc &) {
        return mg_err_set(err, MG_ENOMEM, "%s: out of memory", what);
    } catch (const std::exception &e) {
        return mg_err_set(err, MG_EINTERNAL, "%s: unexpected exception: %s", what, e.what());
    } catch (...) {
        return mg_err_set(err, MG_EINTERNAL, "%s: unknown exception", what);
    }
}
