"""The projection engine: each read model follows the event log on its own.

- ``batch``: a batch's rows held in memory and written back with multi-row statements;
- ``checkpoints``: each projection's position and health, stored with its rows;
- ``runner``: applies batches for one projection, stalls visibly on a bad event, retries;
- ``board``: positions as this process knows them, for read-your-writes waits;
- ``wakeup``: committed events wake runners and waiters (LISTEN/NOTIFY, in-process signal);
- ``engine``: the set of runners of a process, started and stopped together.
"""
