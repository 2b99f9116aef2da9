"""Clients that run in a process of their own (the core path's ``V2Client`` is ``wine_serving.client``).

``triton_grpc`` imports only ``tritonclient`` and runs with ``python -m
wine_serving.clients.triton_grpc``, so Triton's protobuf never meets MLServer's in one process.
"""
