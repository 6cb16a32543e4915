# SPDX-License-Identifier: GPL-2.0-or-later
"""A slow link to a server on this host, for tests: a TCP proxy on the
loopback that holds every chunk the server sends for DELAY_MS before
passing it on (what the client sends goes through at once).

usage: slow_proxy.py TARGET_PORT DELAY_MS

Listens on a free loopback port, prints it on one line once it listens,
and serves until it is killed."""
import asyncio
import sys

target, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000.0


async def pipe(reader, writer, wait):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if wait:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def client(c_reader, c_writer):
    try:
        s_reader, s_writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        c_writer.close()
        return
    await asyncio.gather(pipe(c_reader, s_writer, 0), pipe(s_reader, c_writer, delay))


async def main():
    server = await asyncio.start_server(client, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
