"""Process ownership (under ``servers``): every server started here is stopped, whatever happens.

``managed`` (the base class of every owned server), ``group`` (stopping a process
group), ``watchdog`` (the sidecar that outlives a killed owner), ``ports`` (loopback,
free ports), ``logs`` (a failure's one-line cause) and ``inspection`` (a running
server's processes, CPU and sockets: ``managed`` asks it whether another process shares
a server's port, and the later notebooks read a server's processes with it); ``freeze``
(lesson 15: pausing a process, always resumed, and finding the thread blocked in a pipe write).
"""
