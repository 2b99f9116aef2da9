"""Bounded traffic to a server on this machine: every loop has a count and a time limit.

Two generators for two questions. ``recorded`` (threads and ``requests``) keeps every
request with its answer, to prove a rollout or a killed worker lost
nothing. ``throughput`` (asyncio, pre-encoded requests) costs the client little, to
measure a server. Both refuse any host but loopback and share ``shared`` (the bounds
check, the percentile). ``bad_requests`` is the catalogue of bad inputs: each case, how
``V2Client`` refuses it and what each server answers.
"""
