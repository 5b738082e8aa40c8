"""Where the service may send a request of its own: a partner agency's callback address.

In production a callback must be a public address: a host that is, or resolves to, a private,
loopback, link-local, shared or reserved address is refused, so an agency cannot point the
service at the machines behind it. Development and tests deliver to receivers on loopback.
"""

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str, Any], list[tuple[Any, ...]]]


class RefusedAddress(ValueError):
    """A callback address the service will not send to; str(exc) is a bilingual reason."""


def check_public(url: str, *, resolve: Resolver = socket.getaddrinfo) -> None:
    """Refuse a URL unless every address its host resolves to is a public one."""
    host = urlsplit(url).hostname
    if not host:
        raise RefusedAddress("缺少主机名 / has no host")
    try:
        infos = resolve(host, None)
    except (socket.gaierror, UnicodeError):
        raise RefusedAddress(f"主机名无法解析 / host {host!r} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise RefusedAddress(
                f"不允许内网、回环或保留地址 / {host} is {address}, not a public address"
            )
