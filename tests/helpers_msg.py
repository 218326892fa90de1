"""Outlook `.msg` files as Outlook saves a received e-mail dragged out to a folder.

A `.msg` is an OLE2 compound file (MS-CFB) holding MAPI properties (MS-OXMSG): small
properties in a `__properties_version1.0` stream, strings and binaries each in a
`__substg1.0_<tag>` stream, and each attachment in its own `__attach_version1.0_#N`
storage. `compound_file` writes such a container (storages, a mini stream for the small
streams, as many FAT sectors as needed); `outlook_msg` fills it with what Outlook keeps for
a received message: class `IPM.Note`, subject, sender name and SMTP address, Internet
Message-ID, the submit time, and attachments by value with their long file names.
Nothing here is a committed binary; the tests read the result with the real reader
(extract-msg) through pmo.
"""

from __future__ import annotations

import datetime as dt
import struct

FREE, END, FAT_MARK, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR, MINI, CUTOFF = 512, 64, 4096

Tree = dict  # name -> bytes (a stream) or Tree (a storage)


def _order(name: str) -> tuple[int, str]:
    return (len(name), name.upper())  # how MS-CFB sorts siblings


def compound_file(tree: Tree) -> bytes:
    """An MS-CFB version 3 file holding `tree` (streams under 4096 bytes in the mini stream)."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "children": tree}]
    mini = bytearray()
    mini_fat: list[int] = []
    big: list[tuple[int, bytes]] = []  # (entry index, data) for streams in regular sectors

    def add(children: Tree) -> int:
        """Add a storage's children as a right-sibling chain; the first child's index."""
        indices = []
        for name in sorted(children, key=_order):
            value = children[name]
            index = len(entries)
            entry = {"name": name, "type": 1 if isinstance(value, dict) else 2, "right": NONE, "child": NONE}
            entries.append(entry)
            indices.append(index)
            if isinstance(value, dict):
                entry["child"] = add(value)
            elif len(value) < CUTOFF:
                entry["start"], entry["size"] = (len(mini) // MINI if value else END), len(value)
                count = -(-len(value) // MINI)
                mini_fat.extend(list(range(len(mini_fat) + 1, len(mini_fat) + count)) + [END] if count else [])
                mini.extend(value.ljust(count * MINI, b"\0"))
            else:
                entry["size"] = len(value)
                big.append((index, value))
        for a, b in zip(indices, indices[1:]):
            entries[a]["right"] = b
        return indices[0] if indices else NONE

    entries[0]["child"] = add(tree)
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        count = -(-len(data) // SECTOR)
        first = len(sectors)
        padded = data.ljust(count * SECTOR, b"\0")
        sectors.extend(padded[i:i + SECTOR] for i in range(0, len(padded), SECTOR))
        fat.extend(list(range(first + 1, first + count)) + [END])
        return first

    directory_bytes = bytearray()  # filled in below, once stream positions are known
    dir_count = -(-len(entries) * 128 // SECTOR)
    dir_start = len(sectors)
    sectors.extend([b""] * dir_count)
    fat.extend(list(range(dir_start + 1, dir_start + dir_count)) + [END])
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_start = place(mini_fat_bytes)
    entries[0]["start"], entries[0]["size"] = place(bytes(mini)), len(mini)
    for index, data in big:
        entries[index]["start"] = place(data)

    for entry in entries:
        encoded = (entry["name"] + "\0").encode("utf-16-le")
        directory_bytes += (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), entry["type"], 1)
                            + struct.pack("<III", NONE, entry.get("right", NONE), entry.get("child", NONE))
                            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
                            + struct.pack("<IQ", entry.get("start", END if entry["type"] != 1 else 0),
                                          entry.get("size", 0)))
    unused = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NONE, NONE, NONE) + b"\0" * 48
    while len(directory_bytes) < dir_count * SECTOR:
        directory_bytes += unused
    for i in range(dir_count):
        sectors[dir_start + i] = bytes(directory_bytes[i * SECTOR:(i + 1) * SECTOR])

    # The FAT describes itself too: grow it until its own sectors fit.
    fat_count = 1
    while (len(fat) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    assert fat_count <= 109, "too big for a header-only DIFAT"
    fat_start = len(sectors)
    fat += [FAT_MARK] * fat_count
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    difat = list(range(fat_start, fat_start + fat_count)) + [FREE] * (109 - fat_count)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_count, dir_start, 0, CUTOFF,
                            mini_fat_start, -(-len(mini_fat_bytes) // SECTOR), END, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == SECTOR
    return header + b"".join(sectors) + fat_bytes


def _text(value: str) -> bytes:
    return value.encode("utf-16-le")


def _filetime(when: dt.datetime) -> int:
    return int((when - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 10_000_000)


def _properties(header: bytes, fixed: dict[int, tuple[int, bytes]], variable: dict[int, int]) -> bytes:
    """A `__properties_version1.0` stream: fixed-size values inline, strings and binaries by size."""
    out = bytearray(header)
    for tag, (flags, value) in fixed.items():
        out += struct.pack("<II", tag, flags) + value.ljust(8, b"\0")
    for tag, size in variable.items():
        out += struct.pack("<IIII", tag, 6, size, 0)
    return bytes(out)


def outlook_msg(sender_name: str, sender_address: str, subject: str, sent: dt.datetime, message_id: str,
                attachments: list[tuple[str, bytes]]) -> bytes:
    """A received e-mail as Outlook saves it to a `.msg` file, with these attachments (name, bytes)."""
    strings = {0x001A: "IPM.Note", 0x0037: subject, 0x0C1A: sender_name, 0x5D01: sender_address, 0x1035: message_id}
    tree: Tree = {f"__substg1.0_{tag:04X}001F": _text(text) for tag, text in strings.items()}
    fixed = {
        0x00390040: (6, struct.pack("<Q", _filetime(sent))),  # PR_CLIENT_SUBMIT_TIME
        0x0E070003: (6, struct.pack("<I", 1)),  # PR_MESSAGE_FLAGS: read, sent (not MSGFLAG_UNSENT)
        0x340D0003: (6, struct.pack("<I", 0x40000)),  # PR_STORE_SUPPORT_MASK: strings are Unicode
    }
    variable = {(tag << 16) | 0x001F: len(_text(text)) for tag, text in strings.items()}
    count = len(attachments)
    tree["__properties_version1.0"] = _properties(struct.pack("<8xIIII8x", 0, count, 0, count), fixed, variable)
    tree["__nameid_version1.0"] = {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                   "__substg1.0_00040102": b""}
    for number, (name, data) in enumerate(attachments):
        storage: Tree = {"__substg1.0_3707001F": _text(name), "__substg1.0_3704001F": _text(name[:12]),
                         "__substg1.0_37010102": data}
        storage["__properties_version1.0"] = _properties(
            b"\0" * 8, {0x37050003: (6, struct.pack("<I", 1)),  # PR_ATTACH_METHOD: by value
                        0x0E210003: (6, struct.pack("<I", number))},
            {0x3707001F: len(_text(name)), 0x3704001F: len(_text(name[:12])), 0x37010102: len(data)})
        tree[f"__attach_version1.0_#{number:08X}"] = storage
    return compound_file(tree)
