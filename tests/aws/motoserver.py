#!/usr/bin/env python3
"""motoserver - moto's server (python3 -m moto.server ARGS), with one
change: a DMS replication task leaves "creating" for "ready" by itself, as
DMS's do a moment after CreateReplicationTask. moto keeps it "creating"
until it is started, which DMS refuses and cutover waits out.

    motoserver.py -H 127.0.0.1 -p PORT

The task is "creating" in CreateReplicationTask's answer and "ready" in
every DescribeReplicationTasks after it (tests/aws/fakeaws.py has a task
that stays "creating" for a while, to show that cutover waits it out).
"""
import sys

from moto.dms import models
from moto.server import main

_to_dict = models.FakeReplicationTask.to_dict


def to_dict(self):
    if self.status == "creating":
        self._looks = getattr(self, "_looks", 0) + 1
        if self._looks > 1:
            self.ready()
    return _to_dict(self)


models.FakeReplicationTask.to_dict = to_dict

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
