#!/usr/bin/env python3
"""Loads bench/compare's dataset into Libra: the same items, members and starting loans as the peers.

Creates items 1 ... items (each with `copies` copies) and members 1 ... members (standard tier,
card valid to 2099), then member m checks out items ((m - 1) * limit + k) % items + 1 for
k = 0 ... limit - 1, in that order, so that every member starts at the loan limit with the loans
it has in PostgreSQL and Redis. Speaks JSON frames on the protocol port (docs/protocol.md) with
nothing but the standard library: up to 4,096 commands per frame, 8 frames in flight, on one
connection (whose frames the server runs in order). Exits 1 unless every command succeeded.
"""
import argparse
import json
import socket
import struct
import sys

HELLO, BATCH = 0x0001, 0x0002
WELCOME, RESULTS, ERROR = 0x8001, 0x8002, 0xFFFF
COMMANDS_PER_FRAME = 4096
FRAMES_IN_FLIGHT = 8


def frame(opcode, request_id, payload):
    body = json.dumps(payload, separators=(",", ":")).encode()
    return struct.pack("<IBBHQ", 12 + len(body), 1, 1, opcode, request_id) + body


def read_answer(sock):
    head = sock.recv(16, socket.MSG_WAITALL)
    if len(head) < 16:
        raise SystemExit("libra-dataset: the server closed the connection")
    length, _, _, opcode, request_id = struct.unpack("<IBBHQ", head)
    body = b""
    while len(body) < length - 12:
        chunk = sock.recv(length - 12 - len(body))
        if not chunk:
            raise SystemExit("libra-dataset: the server closed the connection")
        body += chunk
    return opcode, request_id, json.loads(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--copies", type=int, required=True)
    parser.add_argument("--limit", type=int, required=True)
    arguments = parser.parse_args()

    sock = socket.create_connection(("127.0.0.1", arguments.port))
    sock.sendall(frame(HELLO, 1, {"token": arguments.token}))
    opcode, _, answer = read_answer(sock)
    if opcode != WELCOME:
        raise SystemExit(f"libra-dataset: HELLO refused: {answer}")

    isbns = ["978-0-306-40615-7", "0-306-40615-2", "978-3-16-148410-0", "0-19-853453-1"]
    items = ({"op": "create_item", "isbn": isbns[index % 4], "title": f"Title {index}", "author": f"Author {index % 5000}",
              "publisher": "Press", "year": 2000, "type": "book", "copies": arguments.copies}
             for index in range(1, arguments.items + 1))
    members = ({"op": "register_member", "email": f"member{index}@load.example", "name": f"Member {index}",
                "tier": "standard", "card_expiry": "2099-12-31"}
               for index in range(1, arguments.members + 1))
    checkouts = ({"op": "checkout", "member": member, "item": ((member - 1) * arguments.limit + k) % arguments.items + 1}
                 for member in range(1, arguments.members + 1) for k in range(arguments.limit))
    for name, commands, count in (("items", items, arguments.items), ("members", members, arguments.members),
                                  ("starting loans", checkouts, arguments.members * arguments.limit)):
        run(sock, list(commands), name)
        print(f"libra-dataset: {count} {name}", file=sys.stderr)
    sock.close()


next_request_id = 2


def run(sock, commands, name):
    """Sends the commands in order and checks that every one succeeded."""
    global next_request_id
    frames = [commands[start:start + COMMANDS_PER_FRAME] for start in range(0, len(commands), COMMANDS_PER_FRAME)]
    first_id = next_request_id
    next_request_id += len(frames)
    sent = answered = 0
    while answered < len(frames):
        while sent < len(frames) and sent - answered < FRAMES_IN_FLIGHT:
            sock.sendall(frame(BATCH, first_id + sent, {"commands": frames[sent]}))
            sent += 1
        opcode, request_id, answer = read_answer(sock)
        if opcode != RESULTS:
            raise SystemExit(f"libra-dataset: a frame of {name} was refused: {answer}")
        refused = [result for result in answer["results"] if not result.get("ok")]
        if refused:
            raise SystemExit(f"libra-dataset: {len(refused)} of {name} refused, e.g. {refused[0]}")
        answered += 1


if __name__ == "__main__":
    main()
