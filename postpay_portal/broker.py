"""The embedded broker: kombu's file-system transport, made safe for concurrent use.

Kombu's ``_put`` creates the message file under its final ``*.msg`` name and writes into
it afterwards, while ``_get`` moves and reads any ``*.msg`` file without taking the lock:
a worker polling every 20 ms can take a file that is still empty, fail to decode it and
stop with "Unrecoverable error" (seen in our worker tests; kombu issue #1551 reports the
same error). Here a message is written to a hidden temporary file and renamed into place,
which is atomic on POSIX, so a reader sees a whole message or none; and a file that is not
JSON (a foreign writer, a full disk) is logged and skipped instead of killing the worker.

``postpay_portal/celery.py`` registers this class as the ``filesystem://`` transport.
"""

import logging
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")  # not a *.msg name
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:  # each failed read has removed its file, so this ends with Empty
            try:
                return super()._get(queue)
            except ValueError:
                logger.error("skipped a message of queue %r that is not JSON", queue)


class Transport(filesystem.Transport):
    Channel = Channel


def register():
    """Make ``filesystem://`` mean this transport in this process."""
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES["filesystem"] = "postpay_portal.broker:Transport"
