"""Process ownership (under ``servers``): every server started here is stopped, whatever happens.

``managed`` (the base class of every owned server), ``group`` (stopping a process
group), ``watchdog`` (the sidecar that outlives a killed owner), ``ports`` (loopback,
free ports, and whether another process listens on a server's port), ``logs`` (a failure's
one-line cause); for the later notebooks and the tests, ``inspection`` (a running server's
processes, CPU and sockets) and ``freeze`` (lesson 15: pausing a process, always resumed, and
finding the thread blocked in a pipe write).
"""
