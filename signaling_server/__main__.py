"""``python -m signaling_server``: run the signalling server.

The first line on stdout is the URL the server actually listens on (useful with
``--port 0``); logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from signaling_server.server import ServerConfig, SignalingServer
from ultrasound_consult import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m signaling_server",
        description="Signalling server for ultrasound-consult: introduces the peers of a call.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


async def run(config: ServerConfig) -> None:
    server = SignalingServer(config)
    try:
        await server.start()
    except OSError as exc:
        print(
            f"error: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}. "
            "Pick another --port, or stop the program already using it.",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    print(server.url, flush=True)
    logging.getLogger("signaling_server").info("listening on %s", server.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(ServerConfig(host=args.host, port=args.port)))


if __name__ == "__main__":
    main()
