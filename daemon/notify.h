/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram to the unix socket named by $NOTIFY_SOCKET. */
#ifndef MG_DAEMON_NOTIFY_H
#define MG_DAEMON_NOTIFY_H

/* Send state ("READY=1", "STOPPING=1") to the service manager. Does
 * nothing without $NOTIFY_SOCKET; a failure is logged as a warning. */
void mg_notify(const char *state);

#endif
