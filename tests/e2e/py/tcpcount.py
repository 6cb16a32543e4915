# SPDX-License-Identifier: GPL-2.0-or-later
"""A TCP relay that counts bytes: listens on 127.0.0.1 (a free port, written
to PORTFILE once it listens), relays each connection to 127.0.0.1:TARGET and,
when a connection ends, appends one line "DOWN UP" to LOG: the bytes the
target sent to the client and the client sent to the target. Runs until
killed.

usage: tcpcount.py TARGET_PORT PORTFILE LOG"""
import os
import socket
import sys
import threading

target, portfile, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()


def pump(src, dst, count, i):
    while True:
        try:
            b = src.recv(1 << 16)
        except OSError:
            b = b""
        if not b:
            break
        count[i] += len(b)
        try:
            dst.sendall(b)
        except OSError:
            break
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(client):
    server = socket.create_connection(("127.0.0.1", target))
    count = [0, 0]
    down = threading.Thread(target=pump, args=(server, client, count, 0))
    down.start()
    pump(client, server, count, 1)
    down.join()
    client.close()
    server.close()
    with lock, open(logfile, "a") as f:
        f.write("%d %d\n" % (count[0], count[1]))


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    threading.Thread(target=relay, args=(c,), daemon=True).start()
