"""Court feed intake: the UDP receiver thread, the processing pipeline, pull requests."""

from restrike.ingest.net import interface_addresses, resolve_host
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.process import ProcessReceiver
from restrike.ingest.receiver import Datagram, UdpReceiver, kernel_drops, open_udp_socket
from restrike.ingest.resync import pull_requests, send_pull_requests

__all__ = [
    "Datagram",
    "Pipeline",
    "ProcessReceiver",
    "UdpReceiver",
    "interface_addresses",
    "kernel_drops",
    "open_udp_socket",
    "pull_requests",
    "resolve_host",
    "send_pull_requests",
]
