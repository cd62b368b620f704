# IPython kernel configuration for the course's virtualenv (the Makefile copies it to
# .venv/etc/ipython/, where every kernel started from that venv reads it).
#
# Every notebook the book build executes starts a kernel, and each logged
#   [IPKernelApp] WARNING | Kernel is running over TCP without encryption. ...
# (ipykernel >= 7, kernelapp.init_sockets), burying real warnings in the build log. The kernels
# here talk to their client on 127.0.0.1 only, so the warning tells a reader of the log
# nothing; this drops that one message and leaves every other kernel log message alone.
import logging


class _DropTcpEncryptionNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_DropTcpEncryptionNotice())
