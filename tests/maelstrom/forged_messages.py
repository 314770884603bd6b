#!/usr/bin/env python3
"""Hostile input to a lin-kv node: a forged lin_kv_propose (a node-to-node message) sent by a
client, with an entry whose body's type is not a string. Before the fix the leader proposed
it, and every replica aborted when applying it (again at every restart, with the entry in the
log). The node must drop it and go on serving.

    tests/maelstrom/forged_messages.py BUILD_DIR/eddy-maelstrom
"""
import json
import select
import subprocess
import sys


def main() -> int:
    node = subprocess.Popen([sys.argv[1], "--workload", "lin-kv"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(src, body):
        try:
            node.stdin.write((json.dumps({"src": src, "dest": "n0", "body": body}) + "\n").encode())
            node.stdin.flush()
        except BrokenPipeError:
            pass  # the node died: the replies below say so

    def reply(timeout=5.0):
        ready, _, _ = select.select([node.stdout], [], [], timeout)
        line = node.stdout.readline() if ready else b""
        return json.loads(line)["body"] if line else None

    failures = []
    send("c0", {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]})
    if (reply() or {}).get("type") != "init_ok":
        failures.append("no init_ok")
    bad_entry = json.dumps({"o": 0, "i": 1, "s": 1, "b": {"type": 5}})
    send("c1", {"type": "lin_kv_propose", "entry": bad_entry})  # from a client
    send("n0", {"type": "lin_kv_propose", "entry": bad_entry})  # "from" the node itself
    send("c1", {"type": "write", "msg_id": 2, "key": 1, "value": 7})
    got = reply()
    if (got or {}).get("type") != "write_ok":
        failures.append(f"write after the forged messages: {got}")
    send("c1", {"type": "read", "msg_id": 3, "key": 1})
    got = reply()
    if (got or {}).get("type") != "read_ok" or got.get("value") != 7:
        failures.append(f"read after the forged messages: {got}")
    if node.poll() is not None:
        failures.append(f"the node exited with {node.returncode}")
    try:
        node.stdin.close()
    except BrokenPipeError:
        pass
    node.wait(10)
    for failure in failures:
        print(f"forged_messages: FAIL {failure}")
    if not failures:
        print("forged_messages: ok (forged lin_kv_propose dropped, the node serves on)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
