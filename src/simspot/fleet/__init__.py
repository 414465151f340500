"""Fleet: many boxes reporting over MQTT to one store of record in PostgreSQL.

``protocol`` is the contract between a box and the fleet server (topics, messages, ACLs);
``report`` is the box's capability; ``ingest``, ``db`` and ``api`` make up ``simspot fleet serve``.
See docs/FLEET.md.
"""
